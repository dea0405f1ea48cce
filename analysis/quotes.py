"""Quotations with their speakers: whose words an outlet carries.

Quotations come from :func:`analysis.tokens.quote_spans` (the same spans that mark the
``quoted`` voice of the token table), top-level quotes only: a quotation nested inside
another belongs to the outer speaker. Each quotation gets a speaker from the attribution
around it, tried in this order:

1. ``after``: the quote is followed by its attribution, "…,” Peskov said", "…,” the
   organizations wrote in a statement", "…,” Lavrov was quoted as saying", "…,” she added";
2. ``inverted``: "…,” said Karin Jean-Pierre";
3. ``according_to``: "according to X, “…”";
4. ``colon``: a speaker named before a colon, "Peskov: “…”";
5. ``before``: a reporting verb earlier in the same sentence, "Psaki said that the Biden
   administration “…”" (the nearest subject before the verb), or a participle, "Putin
   reacted furiously, saying “…”" (the subject of the sentence);
6. ``introduced``, ``paragraph``: the speech just before, or another quotation of the same
   paragraph, has a speaker (see below);
7. ``continued``: a paragraph that opens with a quotation and has no attribution continues
   the last quotation of the previous paragraph.

A speaker is an actor mention (``analysis.actors``), or a name no profile covers ("U.N.
spokesman Stephane Dujarric": ``speaker`` the name in its fullest form in the article,
``affiliation`` from the words around it), or an unnamed speaker ("a representative of the
Federal Penitentiary Service": ``speaker`` empty, the words in ``attributed_to``), read outside
quotations. A pronoun ("he said", "she added", "it added", "they urged") or a definite
description ("the ministry said", "the spokeswoman said", "the statement reads") takes the
nearest compatible antecedent: sentence by sentence backwards, the one reporting speech first
("Dujarric said"), then the subject, then the others; a person for "he"/"she"/"the spokesman",
an organisation whose name holds the noun for "it"/"the ministry". The search stops at the last
quotation's speaker (a new speaker is never skipped), and is left empty when nothing fits.

An unattributed quotation also takes the speaker whose speech the sentence just before
reports (``introduced``: "…, Dujarric said. “It’s a first step …”", or closing the previous
paragraph: "Wang added.\n\n“China is always committed …”").

Quotations of one to three words that no attribution introduces directly are ``scare``
quotes (“harsh tactics”); the rest are ``speech``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import pandas as pd

from analysis.actors import ActorList, appositive_label, find_mentions, load_actors, pre_label, text_mentions
from analysis.tokens import count_words, paragraph_spans, quote_spans, sentence_spans

QUOTE_COLUMNS = [
    "article_id",
    "outlet",
    "quote_id",
    "start",
    "end",
    "text",
    "speaker",
    "actor",
    "affiliation",
    "verb",
    "kind",
    "attribution",
    "attributed_to",
    "closed",
    "paragraph",
    "words",
]
SOURCES_COLUMNS = ["outlet", "speaker", "affiliation", "quotes", "words"]

#: Reporting verbs: the form printed in the ``verb`` column, then the forms matched in text.
REPORTING_VERBS: dict[str, tuple[str, ...]] = {
    "said": ("said", "says", "say", "saying"),
    "added": ("added", "adds", "adding"),
    "told": ("told", "tells", "telling"),
    "claimed": ("claimed", "claims", "claiming"),
    "insisted": ("insisted", "insists", "insisting"),
    "admitted": ("admitted", "admits", "admitting"),
    "accused": ("accused", "accuses", "accusing"),
    "stressed": ("stressed", "stresses", "stressing"),
    "wrote": ("wrote", "writes", "writing", "written"),
    "noted": ("noted", "notes", "noting"),
    "warned": ("warned", "warns", "warning"),
    "stated": ("stated", "states", "stating"),
    "declared": ("declared", "declares", "declaring"),
    "announced": ("announced", "announces", "announcing"),
    "argued": ("argued", "argues", "arguing"),
    "explained": ("explained", "explains", "explaining"),
    "replied": ("replied", "replies", "replying"),
    "responded": ("responded", "responds", "responding"),
    "answered": ("answered", "answers", "answering"),
    "commented": ("commented", "comments", "commenting"),
    "reiterated": ("reiterated", "reiterates", "reiterating"),
    "emphasized": ("emphasized", "emphasised", "emphasizes", "emphasises", "emphasizing", "emphasising"),
    "urged": ("urged", "urges", "urging"),
    "called": ("called", "calls", "calling"),
    "condemned": ("condemned", "condemns", "condemning"),
    "criticized": ("criticized", "criticised", "criticizes", "criticises", "criticizing", "criticising"),
    "denied": ("denied", "denies", "denying"),
    "confirmed": ("confirmed", "confirms", "confirming"),
    "acknowledged": ("acknowledged", "acknowledges", "acknowledging"),
    "described": ("described", "describes", "describing"),
    "reacted": ("reacted", "reacts", "reacting"),
    "asked": ("asked", "asks", "asking"),
    "demanded": ("demanded", "demands", "demanding"),
    "alleged": ("alleged", "alleges", "alleging"),
    "promised": ("promised", "promises", "promising"),
    "vowed": ("vowed", "vows", "vowing"),
    "tweeted": ("tweeted", "tweets", "tweeting"),
    "hailed": ("hailed", "hails", "hailing"),
    "praised": ("praised", "praises", "praising"),
    "quoted": ("was quoted as saying", "were quoted as saying", "is quoted as saying", "quoted as saying"),
    "posted": ("posted", "posts", "posting"),
    "suggested": ("suggested", "suggests", "suggesting"),
    "recalled": ("recalled", "recalls", "recalling"),
    "pointed out": ("pointed out", "points out", "pointing out"),
    "underlined": ("underlined", "underlines", "underlining"),
    "underscored": ("underscored", "underscores", "underscoring"),
    "remarked": ("remarked", "remarks", "remarking"),
    "observed": ("observed", "observes", "observing"),
    "continued": ("continued", "continues", "continuing", "went on"),
    "concluded": ("concluded", "concludes", "concluding"),
    "assured": ("assured", "assures", "assuring"),
    "complained": ("complained", "complains", "complaining"),
    "lamented": ("lamented", "laments", "lamenting"),
    "threatened": ("threatened", "threatens", "threatening"),
    "predicted": ("predicted", "predicts", "predicting"),
    "revealed": ("revealed", "reveals", "revealing"),
    "disclosed": ("disclosed", "discloses", "disclosing"),
    "indicated": ("indicated", "indicates", "indicating"),
    "shouted": ("shouted", "shouts", "shouting"),
    "joked": ("joked", "jokes", "joking", "quipped", "quips", "quipping"),
    "cautioned": ("cautioned", "cautions", "cautioning"),
    "countered": ("countered", "counters", "countering", "retorted", "retorts", "retorting"),
    "boasted": ("boasted", "boasts", "boasting"),
    "conceded": ("conceded", "concedes", "conceding"),
    "reported": ("reported", "reports", "reporting"),
    "specified": ("specified", "specifies", "specifying"),
    "clarified": ("clarified", "clarifies", "clarifying"),
    "elaborated": ("elaborated", "elaborates", "elaborating"),
    "asserted": ("asserted", "asserts", "asserting"),
    "affirmed": ("affirmed", "affirms", "affirming"),
    "maintained": ("maintained", "maintains", "maintaining"),
    "contended": ("contended", "contends", "contending"),
    "slammed": ("slammed", "slams", "slamming", "blasted", "blasts", "blasting"),
}
_VERB_OF = {form: verb for verb, forms in REPORTING_VERBS.items() for form in forms}
_VERB = re.compile(r"(?<![\w’'-])(?:" + "|".join(sorted(map(re.escape, _VERB_OF), key=len, reverse=True)) + r")(?![\w’'-])")
_PRONOUN = re.compile(r"(?<![\w’'-])(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)(?![\w’'-])")
# Nouns of a definite description ("the ministry said") and of an unnamed speaker ("a local
# official said"), by whether they name an organisation or a person.
_ORGANISATION_NOUNS = (
    "ministry organizations organisations groups embassy department agency administration government kremlin "
    "court service committee office statement"
).split()
_PERSON_NOUNS = (
    "spokesman spokeswoman spokesperson minister diplomat president envoy official officials representative "
    "ambassador secretary lawyer leader senator aide adviser advisor source sources"
).split()
_DESCRIPTION = re.compile(
    r"(?<![\w’'-])[Tt]he\s+(?:[\w-]+\s+){0,2}(?P<noun>"
    + "|".join(n for n in _ORGANISATION_NOUNS + _PERSON_NOUNS if n not in ("source", "sources", "officials"))
    + r")(?![\w’'-])",
    re.IGNORECASE,
)
_NOMINAL = re.compile(
    r"(?<![\w’'-])(?P<article>[Aa]n?|[Oo]ne|[Aa]nother|[Tt]wo|[Ss]everal)\s+(?:[\w.-]+\s+){0,4}?(?P<noun>"
    + "|".join(_PERSON_NOUNS)
    + r")(?:\s+(?:of|for|from|at|with|in)\s+(?:the\s+)?[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)?(?![\w’'-])"
)
_PLURAL_NOUNS = frozenset({"officials", "sources", "organizations", "organisations", "groups"})
_ACCORDING_TO = re.compile(r"(?<![\w’'-])[Aa]ccording to\s+")
_PREPOSITION_BEFORE = re.compile(r"(?:\b(?:to|of|in|with|by|on|at|for|from|about|against|over|than)\s+(?:the\s+)?)$")
_POSSESSIVE_AFTER = re.compile(r"^[’']s?(?!\w)")
_UNKNOWN_SPEAKER = re.compile(
    r"(?:[Aa]n?|[Tt]he|[Oo]ne|[Aa]nother|[A-Z][\w’'.-]*)(?:\s+(?!(?:and|but|or|that|which|who)\b)[\w’'.-]+){0,6}"
)
# What may stand between a speaker and the reporting verb: "Tom Cotton (R-Ark.) told",
# "Antony Blinken on Wednesday said", "Peskov also said".
_SPEAKER_TO_VERB = re.compile(
    r"[\s,]*(?:\([^()]{1,40}\)[\s,]*)?(?:,\s+(?:a|an|the)\s+[^,.;:()]{1,80},\s+)?(?:(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s+|"
    r"(?:also|later|earlier|then|again|has|had|have|was|were|reportedly|previously|separately)\s+)*"
)
_MASK = "·"  # replaces quoted text, so words inside quotations are never read as attribution
SCARE_MAX_WORDS = 3

# Names no profile covers: runs of capitalised words ("Antony Blinken", "Stephane Dujarric"),
# after the titles and nationality words that lead them ("U.S. Secretary of State").
_NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+|['’][A-Z][a-z]+)*"
_NAME_RUN = re.compile(rf"(?<![\w’'.-])(?:(?:{_NAME_WORD}|[A-Z]\.)\s+(?:(?:al|bin|de|van|von)[\s-]+)?)*{_NAME_WORD}(?![\w-])")
_TITLES = frozenset(
    "President Presidents Secretary Secretary-General Minister Ministers Foreign Prime Deputy Senator Sen Rep State "
    "Spokesman Spokeswoman Spokesperson General Ambassador Chancellor Premier Mr Mrs Ms Dr Judge Justice Chairman "
    "Chairwoman Leader Director Chief Special Envoy Vice Press Commissioner Governor Mayor King Queen Prince Pope "
    "Professor Lawyer Defense Defence Interior Affairs Senior Former Acting Of".split()
)
_NOT_NAME_WORDS = frozenset(
    "The A An In On At Of For From By With To And But Or If When While After Before As Last Next This That These Those "
    "It He She They We I You His Her Their Our Its Meanwhile However Also Then So Such Some Many More Most Later "
    "Earlier Speaking Responding Asked Given Despite Under Over During Since Until Both Each Every No Not Yes Today "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December".split()
)
_ORGANISATION_WORDS = frozenset(
    "Ministry Court Service Committee Department News Agency Office Council House Party Union Government "
    "Administration Embassy Commission Parliament Senate Congress Duma Assembly Bank Group Organization "
    "Organisation Foundation Institute University Times Post Journal Press Forces Army Navy Police Prosecutor "
    "Treaty Federation Republic Kingdom States Nations Company Corporation Club Network Radio Television".split()
)
# Nationality and bloc words that lead a name ("Russian Foreign Minister Sergei Lavrov"); a list, not
# endings: "Sergei", "Julian" and "Duncan" are names.
_NATIONALITIES = frozenset(
    "Russian American Chinese European Ukrainian British French German Turkish Iranian Israeli Syrian Japanese Korean "
    "Indian Pakistani Saudi Iraqi Afghan Belarusian Polish Swiss Swedish Finnish Norwegian Danish Dutch Italian "
    "Spanish Canadian Australian Mexican Brazilian Egyptian Georgian Armenian Azerbaijani Kazakh Estonian Latvian "
    "Lithuanian Hungarian Czech Slovak Romanian Bulgarian Serbian Croatian Greek Cuban Venezuelan Qatari Emirati "
    "Lebanese Palestinian Jordanian Libyan Western Eastern Soviet African Asian Arab Taiwanese".split()
)


@dataclass(frozen=True)
class _Speaker:
    """Who a candidate names: the ``speaker``, ``actor`` and ``affiliation`` columns, and what can refer back to them."""

    speaker: str  # canonical actor name, a name as written (fullest form in the article), or '' (unnamed)
    actor: str  # the profile's canonical name, '' when none covers the speaker
    affiliation: str
    words: str  # the words naming an unnamed speaker ("a local official")
    pronouns: tuple[str, ...]  # pronouns that can refer back: ("he",), ("he", "she"), ("it", "they")


@dataclass
class _Candidate:
    """A possible speaker: an actor mention, a name, an unnamed speaker, a pronoun or a definite description."""

    start: int
    end: int
    kind: str  # "actor" | "name" | "nominal" | "pronoun" | "description"
    value: str  # actor name, full name, the phrase, the pronoun or the description noun
    who: _Speaker | None = None  # for actors, names and nominals: whom they name
    oblique: bool = False  # possessive ("Blinken’s remarks") or after a preposition ("to Lavrov"): not a subject


def _verb_follows(text: str, end: int) -> bool:
    gap = _SPEAKER_TO_VERB.match(text, end)
    return bool(_VERB.match(text, gap.end()))


def _name_runs(text: str) -> list[tuple[int, int, str, bool]]:
    """Capitalised names in ``text``: ``(start, end, name, is_organisation)``, leading titles and openers dropped.

    A single word counts only after a title ("President Lukashenko"), or when a reporting verb
    follows it ("Wang said"), or as the last word of a longer name found in the text.
    """
    runs = []
    for match in _NAME_RUN.finditer(text):
        words = [(w.start(), w.end(), w.group()) for w in re.finditer(r"\S+", match.group())]
        words = [(match.start() + s, match.start() + e, w) for s, e, w in words]
        organisation = any(w in _ORGANISATION_WORDS for _, _, w in words)
        titled = False
        if organisation:
            while words and words[0][2] in _NOT_NAME_WORDS:
                words = words[1:]
        else:
            titled = False
            while words and (
                words[0][2].rstrip(".") in _TITLES or words[0][2] in _NOT_NAME_WORDS or words[0][2].rstrip("s") in _NATIONALITIES
            ):
                titled = titled or words[0][2].rstrip(".") in _TITLES
                words = words[1:]
            while words and (words[-1][2] in _NOT_NAME_WORDS or words[-1][2].rstrip(".") in _TITLES):
                words = words[:-1]
        if not words or all(len(w) == 2 and w.endswith(".") for _, _, w in words):
            continue
        runs.append((words[0][0], words[-1][1], " ".join(w for _, _, w in words), organisation, titled))
    surnames = {name.split()[-1] for _, _, name, organisation, _ in runs if " " in name and not organisation}
    return [
        (start, end, name, organisation)
        for start, end, name, organisation, titled in runs
        if " " in name or titled or name in surnames or _verb_follows(text, end)
    ]


def _label_affiliation(label: str, actors: ActorList) -> str:
    """The affiliation a label gives: a profiled actor's in it ("Kremlin spokesman"), else its capitalised words ("U.N.")."""
    named = find_mentions(label, actors)
    if named:
        return actors.by_name[named[0][2]].affiliation
    words = [w for w in label.split() if w[:1].isupper() and w.rstrip(".") not in _TITLES and w not in _NOT_NAME_WORDS]
    return " ".join(words)


def _speaker_candidates(text: str, mentions: list[dict], actors: ActorList, sentence_starts: list[int]) -> list[_Candidate]:
    """Every speaker candidate of a masked body, in text order; possessives and prepositional objects skipped.

    Names no profile covers take the fullest form the article gives them ("Blinken" after
    "Antony Blinken") and an affiliation from their label; an actor mention inside such a
    label ("the spokeswoman for the Russian Foreign Ministry, Maria Zakharova") is the label's.
    """
    profile = actors.by_name
    nominals = [m for m in _NOMINAL.finditer(text) if _MASK not in m.group()]
    # "A State Department spokesperson", "a spokesman for the Kremlin": the unnamed speaker,
    # whose words name the institution.
    spans = [(m.start(), m.end()) for m in nominals]
    taken = [(m["label_start"], m["label_end"]) for m in mentions] + spans
    names = []
    for start, end, name, organisation in _name_runs(text):
        if _MASK in name or any(a < end and start < b for a, b in taken):
            continue
        sentence_start = sentence_starts[max(bisect_right(sentence_starts, start) - 1, 0)] if sentence_starts else 0
        label, label_start = pre_label(text, start, actors=actors, window_start=sentence_start)
        after, label_end = appositive_label(text, end, actors=actors)
        names.append((start, end, name, organisation, label or after, label_start, label_end))
    full = {}
    for _, _, name, organisation, *_ in names:
        if " " in name and not organisation:
            full.setdefault(name.split()[-1], name)
    labels = [(ls, s) for s, _, _, _, _, ls, _ in names if ls < s] + [(e, le) for _, e, _, _, _, _, le in names if le > e]
    found = [
        _Candidate(
            m["start"],
            m["end"],
            "actor",
            m["actor"],
            _Speaker(m["actor"], m["actor"], profile[m["actor"]].affiliation, "", _fitting(profile[m["actor"]].pronoun)),
        )
        for m in mentions
        if not any(a <= m["start"] and m["end"] <= b for a, b in labels + spans)
    ]
    for start, end, name, organisation, label, *_ in names:
        name = full.get(name, name)
        pronouns = ("it", "they") if organisation else ("he", "she")
        found.append(_Candidate(start, end, "name", name, _Speaker(name, "", _label_affiliation(label, actors), "", pronouns)))
    occupied = [(c.start, c.end) for c in found]
    for m in nominals:
        if any(a < m.end() and m.start() < b for a, b in occupied):
            continue
        phrase = m.group()
        pronouns = ("they",) if m.group("noun").lower() in _PLURAL_NOUNS else ("he", "she")
        affiliation = _label_affiliation(phrase[m.end("article") - m.start() :], actors)
        found.append(_Candidate(m.start(), m.end(), "nominal", phrase, _Speaker("", "", affiliation, phrase, pronouns)))
    found += [_Candidate(m.start(), m.end(), "pronoun", m.group().lower()) for m in _PRONOUN.finditer(text)]
    found += [
        _Candidate(m.start(), m.end(), "description", m.group("noun").lower())
        for m in _DESCRIPTION.finditer(text)
        if not any(c.kind in ("actor", "name", "nominal") and c.start <= m.start("noun") < c.end for c in found)
        and not any(a <= m.start() and m.end() <= b for a, b in labels + taken)  # "Ryabkov, the deputy minister,"
    ]
    for c in found:
        c.oblique = bool(_POSSESSIVE_AFTER.match(text, c.end) or _PREPOSITION_BEFORE.search(text[max(0, c.start - 20) : c.start]))
    return sorted(found, key=lambda c: c.start)


def _fitting(pronoun: str) -> tuple[str, ...]:
    """Pronouns that can refer back to a profiled actor: "it" actors are also "they" ("the ministry … they")."""
    return ("it", "they") if pronoun == "it" else (pronoun,)


def _in_range(candidates: list[_Candidate], lo: int, hi: int, *, oblique: bool = False) -> list[_Candidate]:
    """Candidates inside ``[lo, hi)``; possessives and prepositional objects only with ``oblique``."""
    return [c for c in candidates if lo <= c.start and c.end <= hi and (oblique or not c.oblique)]


@dataclass
class _Resolver:
    """Turns candidates into speakers using what the article said before."""

    actors: ActorList
    candidates: list[_Candidate]
    sentences: list[tuple[int, int]]
    reporters: dict[int, _Candidate]  # reporting verb offset -> the candidate reporting there ("X said")
    speakers: list[tuple[int, _Speaker]]  # (offset, speaker) of the article's attributed quotations so far
    resolved: dict[int, _Speaker | None]

    def resolve(self, candidate: _Candidate) -> _Speaker | None:
        if candidate.who is not None:
            return candidate.who
        if candidate.start not in self.resolved:
            self.resolved[candidate.start] = self._antecedent(candidate)
        return self.resolved[candidate.start]

    def _fits(self, candidate: _Candidate, who: _Speaker) -> bool:
        if candidate.kind == "pronoun":
            return candidate.value in who.pronouns
        noun = candidate.value
        if noun == "statement":  # "the statement said": whoever issued it
            return True
        if noun in _PERSON_NOUNS:
            gendered = {"spokesman": "he", "spokeswoman": "she"}.get(noun)
            return gendered in who.pronouns if gendered else bool({"he", "she"} & set(who.pronouns))
        # An organisation is named by its noun: "the ministry" is the last ministry named.
        if who.actor:
            actor = self.actors.by_name[who.actor]
            names = " ".join((actor.name, *actor.variants)).lower()
        else:
            names = (who.speaker or who.words).lower()
        return (noun.rstrip("s") if noun.endswith("s") else noun) in names

    def _antecedent(self, candidate: _Candidate) -> _Speaker | None:
        """The nearest compatible antecedent, sentence by sentence backwards, never past the last quotation's speaker.

        Subjects and speakers first: possessives and prepositional objects ("Biden’s team",
        "a total of 27 organizations") only when no subject fits.

        Within a sentence the one reporting speech comes first ("Dujarric said"), then the
        subject, then the others; a description must also hold its noun in the name when it
        names an organisation ("the ministry").
        """
        stop = self.speakers[-1][0] if self.speakers else 0
        for oblique in (False, True):
            index = max(bisect_right([s for s, _ in self.sentences], candidate.start) - 1, 0)
            while index >= 0:
                lo, hi = self.sentences[index]
                hi = min(hi, candidate.start)
                reporting = [] if oblique else [c for offset, c in self.reporters.items() if lo <= offset < hi]
                here = [c for c in _in_range(self.candidates, lo, hi, oblique=True) if c.kind in ("actor", "name", "nominal")]
                for c in reporting + [c for c in here if c.oblique == oblique]:
                    who = self.resolve(c) if c.who is None and c.start < candidate.start else c.who
                    if who is not None and self._fits(candidate, who):
                        return who
                if lo <= stop:
                    break
                index -= 1
            if not oblique and self.speakers and self._fits(candidate, self.speakers[-1][1]):
                return self.speakers[-1][1]  # the last speaker, never one before a newer speaker
        return None


def _masked(body: str, spans: list[tuple[int, int]]) -> str:
    chars = list(body)
    for start, end in spans:
        chars[start + 1 : end - 1] = _MASK * max(0, end - start - 2)
    return "".join(chars)


def _reporters(text: str, candidates: list[_Candidate], sentences: list[tuple[int, int]]) -> dict[int, _Candidate]:
    """Who reports speech at each reporting verb of ``text``: "Dujarric said", "said Jean-Pierre", "…, saying"."""
    starts = [s for s, _ in sentences]
    found = {}
    for verb in _VERB.finditer(text):
        before = [
            c
            for c in candidates
            if not c.oblique and c.end <= verb.start() and _SPEAKER_TO_VERB.fullmatch(text, c.end, verb.start())
        ]
        if before:
            found[verb.start()] = before[-1]
            continue
        lo, hi = sentences[max(bisect_right(starts, verb.start()) - 1, 0)]
        in_sentence = _in_range(candidates, lo, verb.start())
        if verb.group().endswith("ing") and in_sentence:
            found[verb.start()] = in_sentence[0]  # "Navalny attributed his arrest to …, saying"
            continue
        after = [c for c in _in_range(candidates, verb.end(), hi) if c.start - verb.end() <= 2]
        if after and re.search(r"[,”\"]\s*$", text[lo : verb.start()]):
            found[verb.start()] = after[0]  # "…,” said Karine Jean-Pierre"
    return found


def _attribute(
    narration: str,
    quote_start: int,
    quote_end: int,
    *,
    sentence: tuple[int, int],
    end_sentence: tuple[int, int],
    resolver: _Resolver,
    ends_as_speech: bool,
) -> tuple[_Speaker | None, str, str, str]:
    """Speaker, verb, attribution method and the words naming the speaker, from the quotation's own sentence(s).

    ``(None, '', '', '')`` when no attribution is found; the speaker is unnamed (``speaker``
    '') when the words name nobody ("…,” a local official said").
    """
    candidates = resolver.candidates

    def found(c: _Candidate, verb: str, how: str) -> tuple[_Speaker | None, str, str, str]:
        who = resolver.resolve(c)
        words = narration[c.start : c.end]
        if who is not None and not who.speaker and c.kind in ("pronoun", "description"):
            words = who.words  # "he" after "a representative of the service said": the words that name him
        return who, verb, how, words

    # 1-2. attribution after the quote: "…,” X said" / "…,” said X" / "…,” saying"
    after_end = end_sentence[1]
    verb = _VERB.search(narration, quote_end, after_end)
    if verb and _MASK not in narration[quote_end : verb.start()] and verb.start() - quote_end <= 120:
        between = narration[quote_end : verb.start()]
        if between.strip(" ,—–-\n"):
            # The speaker may carry a label or an appositive: "…,” Kremlin spokesman Dmitry Peskov was
            # quoted as saying", "…,” the 27 organizations, including leftist ones, said"; a
            # relative clause may come first: "…,” where Navalny’s case is heard, Zakharova wrote".
            who = _in_range(candidates, quote_end, verb.start())
            if not re.search(r"(?<!\b[A-Z])[.!?]\s", between):  # "U.N. spokesman" does not end a sentence
                adjacent = [c for c in who if _SPEAKER_TO_VERB.fullmatch(narration, c.end, verb.start())]
                named = [c for c in who if c.kind in ("actor", "name", "nominal")]
                if adjacent or named or who:
                    return found((adjacent or named or who)[-1 if adjacent else 0], _VERB_OF[verb.group()], "after")
                # A speaker no pattern covers: "…,” the mayor’s office in Kyiv said". Only after
                # a quotation that ends as attributed speech does (“…,”), and for a short noun phrase.
                phrase = between.strip(" ,—–-\n")
                if ends_as_speech and _UNKNOWN_SPEAKER.fullmatch(phrase):
                    return _Speaker("", "", "", phrase, ("he", "she", "they")), _VERB_OF[verb.group()], "after", phrase
        elif verb.group().endswith("ing"):
            # "X called on Russia to “…”, warning that …": the participle's subject is the sentence's.
            subject = _in_range(candidates, sentence[0], quote_start)
            if subject:
                return found(subject[0], _VERB_OF[verb.group()], "before")
        else:
            who = _in_range(candidates, verb.end(), after_end)
            if who and who[0].start - verb.end() <= 40:
                return found(who[0], _VERB_OF[verb.group()], "inverted")
    before_start = sentence[0]
    # 3. "according to X"
    for according in _ACCORDING_TO.finditer(narration, before_start, quote_start):
        who = _in_range(candidates, according.end(), quote_start, oblique=True)
        if who:
            return found(who[0], "according to", "according_to")
    # 4. "X: “…”"
    if narration[before_start:quote_start].rstrip().endswith(":"):
        who = _in_range(candidates, before_start, quote_start)
        verbs = list(_VERB.finditer(narration, before_start, quote_start))
        if who:
            return found(who[-1], _VERB_OF[verbs[-1].group()] if verbs else "", "colon")
    # 5. a reporting verb before the quote in its sentence
    verbs = list(_VERB.finditer(narration, before_start, quote_start))
    if verbs:
        verb = verbs[-1]
        who = _in_range(candidates, before_start, verb.start())
        if who:
            participle = verb.group().endswith("ing")
            return found(who[0] if participle else who[-1], _VERB_OF[verb.group()], "before")
    return None, "", "", ""


# Reporting verbs that do not introduce someone's own words: "what it called “harsh tactics”",
# "described as", "accused of" distance the outlet from a phrase instead.
_DISTANCING_VERBS = frozenset(
    "accused alleged asked called commented condemned criticized demanded denied described hailed praised promised reacted "
    "urged vowed".split()
)
_SPEECH_VERBS = tuple(verb for verb in REPORTING_VERBS if verb not in _DISTANCING_VERBS)
_DIRECT_INTRODUCTION = re.compile(
    r"(?<![\w’'-])(?:"
    + "|".join(sorted((re.escape(f) for v in _SPEECH_VERBS for f in REPORTING_VERBS[v]), key=len, reverse=True))
    + r")(?:\s+that)?(?:\s+(?:it|he|she|they|we))?[\s,:—–-]*$"
)


def article_quotes(body: str, *, actors: ActorList) -> list[dict]:
    """Quotations of one body with speaker, verb, kind and attribution (see the module notes).

    Examples
    --------
    >>> body = "“We will talk,” Peskov said.\\n\\nLater he added: “Not now.”"
    >>> [(q["text"], q["speaker"], q["verb"], q["attribution"]) for q in article_quotes(body, actors=load_actors())]
    [('We will talk,', 'Dmitry Peskov', 'said', 'after'), ('Not now.', 'Dmitry Peskov', 'added', 'colon')]
    """
    paragraphs = paragraph_spans(body)
    sentences = sentence_spans(body, paragraphs=paragraphs)
    sentence_starts = [s for s, _ in sentences]
    paragraph_starts = [s for s, _ in paragraphs]
    quotes = [q for q in quote_spans(body, paragraphs=paragraphs) if q.depth == 0]
    narration = _masked(body, [(q.start, q.end) for q in quotes])
    mentions = [
        m
        for m in text_mentions(narration, actors, sentence_starts=sentence_starts)
        if _MASK not in narration[m["start"] : m["end"]]
    ]
    candidates = _speaker_candidates(narration, mentions, actors, sentence_starts)
    reporters = _reporters(narration, candidates, sentences)
    resolver = _Resolver(actors, candidates, sentences, reporters, [], {})
    rows: list[dict] = []
    for q in quotes:
        first = sentences[max(bisect_right(sentence_starts, q.start) - 1, 0)]
        last = sentences[max(bisect_right(sentence_starts, max(q.end - 1, q.start)) - 1, 0)]
        paragraph = max(bisect_right(paragraph_starts, q.start) - 1, 0)
        who, verb, how, words_naming = _attribute(
            narration,
            q.start,
            q.end,
            sentence=first,
            end_sentence=last,
            resolver=resolver,
            ends_as_speech=q.closed and body[q.end - 2 : q.end - 1] in (",", "?", "!"),
        )
        if who is not None:
            resolver.speakers.append((q.start, who))
        inner = body[q.start + 1 : q.end - 1 if q.closed else q.end].strip()
        words = count_words(inner)
        opens_sentence = not narration[first[0] : q.start].strip(" —–-")
        direct = (opens_sentence and how in ("after", "inverted")) or bool(
            _DIRECT_INTRODUCTION.search(narration, max(first[0], q.start - 60), q.start)
        )
        rows.append(
            {
                "quote_id": q.quote_id,
                "start": q.start,
                "end": q.end,
                "text": inner,
                **_speaker_columns(who),
                "verb": verb,
                "kind": "scare" if words <= SCARE_MAX_WORDS and not direct else "speech",
                "attribution": how,
                "attributed_to": words_naming,
                "closed": q.closed,
                "paragraph": paragraph,
                "words": words,
            }
        )
    _carry_over(rows, body, paragraphs, sentences, resolver)
    return rows


def _speaker_columns(who: _Speaker | None) -> dict[str, str]:
    if who is None:
        return {"speaker": "", "actor": "", "affiliation": ""}
    return {"speaker": who.speaker, "actor": who.actor, "affiliation": who.affiliation}


def _carry_over(
    rows: list[dict], body: str, paragraphs: list[tuple[int, int]], sentences: list[tuple[int, int]], resolver: _Resolver
) -> None:
    """Give unattributed quotations the speaker introduced just before them, of their paragraph, or of the quote they continue."""
    by_paragraph: dict[int, list[dict]] = {}
    for row in rows:
        by_paragraph.setdefault(row["paragraph"], []).append(row)
    starts = [s for s, _ in sentences]
    carried = ("speaker", "actor", "affiliation", "verb", "attributed_to")
    for row in rows:
        if row["attribution"] or row["kind"] == "scare":
            continue  # attributed (perhaps to someone unnamed), or a scare quote
        # "U.N. spokesman Stephane Dujarric said. “It’s a first step …”": the sentence just before
        # reports someone's speech (in this paragraph, or closing the one before when the quote opens its own).
        index = bisect_right(starts, row["start"]) - 1
        opens_paragraph = not body[paragraphs[row["paragraph"]][0] : row["start"]].strip(" —–-")
        if index > 0 and (opens_paragraph or sentences[index - 1][0] >= paragraphs[row["paragraph"]][0]):
            lo, hi = sentences[index - 1]
            reporting = [c for offset, c in resolver.reporters.items() if lo <= offset < hi]
            quoted_between = any(lo <= r["start"] < row["start"] and r is not row for r in rows)
            who = resolver.resolve(reporting[-1]) if reporting and not quoted_between else None
            if who is not None and who.speaker:
                verb = _VERB_OF[_VERB.match(body, max(o for o in resolver.reporters if lo <= o < hi)).group()]
                row.update(**_speaker_columns(who), verb=verb, attribution="introduced", attributed_to=who.speaker)
                continue
        neighbours = [r for r in by_paragraph[row["paragraph"]] if r["speaker"] and r is not row]
        if neighbours:
            nearest = min(neighbours, key=lambda r: abs(r["start"] - row["start"]))
            row.update({key: nearest[key] for key in carried}, attribution="paragraph")
            continue
        earlier = [r for r in rows if r["paragraph"] == row["paragraph"] - 1 and r["speaker"] and r["kind"] == "speech"]
        if opens_paragraph and earlier:
            row.update({key: earlier[-1][key] for key in carried}, attribution="continued")


def extract_quotes(articles: pd.DataFrame, *, actors: ActorList | None = None) -> pd.DataFrame:
    """Every top-level quotation in the article bodies, with its speaker.

    Parameters
    ----------
    articles : DataFrame
        The article table (``id``, ``outlet``, ``body``).
    actors : ActorList, optional
        From :func:`analysis.actors.load_actors`; default the shipped actors.

    Returns
    -------
    DataFrame
        One row per quotation, in article and text order:

        - ``article_id``, ``outlet`` : str
        - ``quote_id`` : the :func:`analysis.tokens.quote_spans` number (as in the token table)
        - ``start``, ``end`` : offsets of the quotation, marks included, in ``body``
        - ``text`` : the quoted words without the outer marks
        - ``speaker`` : the profile's canonical name, else the name as the article writes it (its
          fullest form: "Antony Blinken" for "Blinken said"); '' when no attribution was found
          or the speaker is unnamed ("a local official")
        - ``actor`` : the profile's canonical name, '' when no profile covers the speaker
        - ``affiliation`` : the profile's, else from the words around the name ("U.N." for "U.N.
          spokesman Stephane Dujarric", "Russian government" for "the spokeswoman for the Russian
          Foreign Ministry, Maria Zakharova"); '' when none
        - ``verb`` : the reporting verb ("said", "added", "quoted" for "was quoted as saying",
          "according to"), '' when none
        - ``kind`` : ``speech``, or ``scare`` for 1-3 words that no attribution introduces
        - ``attribution`` : how the speaker was found (``after``, ``inverted``,
          ``according_to``, ``colon``, ``before``, ``introduced``, ``paragraph``,
          ``continued``, '' none)
        - ``attributed_to`` : the words naming the speaker ("Kremlin spokesman Dmitry Peskov"
          → "Dmitry Peskov", "he", "the ministry", or "a local official" for an unnamed speaker,
          also when "he" refers back to one)
        - ``closed`` : False for a quotation never closed
        - ``paragraph`` : paragraph number from 0
        - ``words`` : word tokens in ``text``
    """
    actors = actors or load_actors()
    rows = []
    for article_id, outlet, body in zip(articles["id"].astype(str), articles["outlet"], articles["body"].fillna(""), strict=True):
        rows += [{"article_id": article_id, "outlet": outlet, **q} for q in article_quotes(body, actors=actors)]
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS).astype(
        {"quote_id": "int64", "start": "int64", "end": "int64", "paragraph": "int64", "words": "int64", "closed": "bool"}
    )


def sources_table(quotes: pd.DataFrame, articles: pd.DataFrame | None = None, *, kind: str = "speech") -> pd.DataFrame:
    """Who each outlet quotes: quotations and quoted words per outlet and speaker.

    Parameters
    ----------
    quotes : DataFrame
        From :func:`extract_quotes`.
    articles : DataFrame, optional
        The article table; when given, only quotes of these articles count (e.g. one event).
    kind : {"speech", "scare", "all"}, default="speech"

    Returns
    -------
    DataFrame
        ``outlet``, ``speaker`` ("(unattributed)" when none was found), ``affiliation``,
        ``quotes``, ``words``; per outlet, the most quoted speakers first.
    """
    if articles is not None:
        quotes = quotes[quotes["article_id"].isin(articles["id"].astype(str))]
    if kind != "all":
        quotes = quotes[quotes["kind"] == kind]
    named = quotes.assign(
        speaker=quotes["speaker"].replace("", "(unattributed)"), affiliation=quotes["affiliation"].replace("", "(unknown)")
    )
    table = named.groupby(["outlet", "speaker", "affiliation"]).agg(quotes=("quote_id", "size"), words=("words", "sum"))
    table = table.reset_index().sort_values(["outlet", "words", "speaker"], ascending=[True, False, True])
    return table[SOURCES_COLUMNS].reset_index(drop=True)
