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
6. ``paragraph``: another quotation in the same paragraph has a speaker;
7. ``continued``: a paragraph that opens with a quotation and has no attribution continues
   the last quotation of the previous paragraph.

A speaker is an actor mention (``analysis.actors``) outside quotations; a pronoun ("he
said", "she added", "it added", "they urged") refers back to the subject of its sentence, else
the last speaker, else the last mentioned actor, taking that pronoun; a definite description
("the ministry said", "the organizations wrote") to the last mentioned actor whose name
holds its noun. Speakers that are not profiled actors stay empty: add them to actors.yaml.

Quotations of one to three words that no attribution introduces directly are ``scare``
quotes (“harsh tactics”); the rest are ``speech``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import pandas as pd

from analysis.actors import ActorList, load_actors, text_mentions
from analysis.tokens import count_words, paragraph_spans, quote_spans, sentence_spans

QUOTE_COLUMNS = [
    "article_id",
    "outlet",
    "quote_id",
    "start",
    "end",
    "text",
    "speaker",
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
    "quoted": ("was quoted as saying", "were quoted as saying", "is quoted as saying", "quoted as saying"),
}
_VERB_OF = {form: verb for verb, forms in REPORTING_VERBS.items() for form in forms}
_VERB = re.compile(r"(?<![\w’'-])(?:" + "|".join(sorted(map(re.escape, _VERB_OF), key=len, reverse=True)) + r")(?![\w’'-])")
_PRONOUN = re.compile(r"(?<![\w’'-])(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)(?![\w’'-])")
_DESCRIPTION = re.compile(
    r"(?<![\w’'-])[Tt]he\s+(?:[\w-]+\s+){0,2}?(?P<noun>ministry|organi[sz]ations|groups|embassy|department|agency|"
    r"administration|government|kremlin|spokesman|spokeswoman|spokesperson|minister|diplomat|president|envoy)(?![\w’'-])",
    re.IGNORECASE,
)
_ACCORDING_TO = re.compile(r"(?<![\w’'-])[Aa]ccording to\s+")
_PREPOSITION_BEFORE = re.compile(r"(?:\b(?:to|of|in|with|by|on|at|for|from|about|against|over|than)\s+(?:the\s+)?)$")
_POSSESSIVE_AFTER = re.compile(r"^[’']s?(?!\w)")
_UNKNOWN_SPEAKER = re.compile(
    r"(?:[Aa]n?|[Tt]he|[Oo]ne|[Aa]nother|[A-Z][\w’'.-]*)(?:\s+(?!(?:and|but|or|that|which|who)\b)[\w’'.-]+){0,6}"
)
_MASK = "·"  # replaces quoted text, so words inside quotations are never read as attribution
SCARE_MAX_WORDS = 3


@dataclass
class _Candidate:
    """A possible speaker: an actor mention, a pronoun or a definite description."""

    start: int
    end: int
    kind: str  # "actor" | "pronoun" | "description"
    value: str  # actor name, pronoun, or description noun


def _candidates(text: str, mentions: list[dict], lo: int, hi: int) -> list[_Candidate]:
    """Speaker candidates in ``text[lo:hi]`` in text order; possessives and prepositional objects skipped."""
    found = [_Candidate(m["start"], m["end"], "actor", m["actor"]) for m in mentions if lo <= m["start"] and m["end"] <= hi]
    found += [_Candidate(m.start(), m.end(), "pronoun", m.group().lower()) for m in _PRONOUN.finditer(text, lo, hi)]
    found += [
        _Candidate(m.start(), m.end(), "description", m.group("noun").lower())
        for m in _DESCRIPTION.finditer(text, lo, hi)
        if not any(c.kind == "actor" and c.start <= m.start("noun") < c.end for c in found)
    ]
    kept = []
    for c in sorted(found, key=lambda c: c.start):
        if _POSSESSIVE_AFTER.match(text, c.end) or _PREPOSITION_BEFORE.search(text[max(lo, c.start - 20) : c.start]):
            continue
        kept.append(c)
    return kept


@dataclass
class _Resolver:
    """Turns candidates into actor names using what the article said before."""

    actors: ActorList
    mentions: list[dict]
    speakers: list[str]  # speakers of the article's attributed quotations so far, in order

    def resolve(self, candidate: _Candidate, *, sentence_subject: _Candidate | None) -> str:
        if candidate.kind == "actor":
            return candidate.value
        profile = self.actors.by_name
        if candidate.kind == "pronoun":
            fits = {"he": ("he",), "she": ("she",), "they": ("they", "it"), "it": ("it",)}[candidate.value]
            subject = sentence_subject
            if subject and subject.kind == "actor" and subject.start < candidate.start and profile[subject.value].pronoun in fits:
                return subject.value
            for name in reversed(self.speakers):
                if profile[name].pronoun in fits:
                    return name
            for m in reversed(self.mentions):
                if m["end"] <= candidate.start and profile[m["actor"]].pronoun in fits:
                    return m["actor"]
            return ""
        noun = candidate.value.rstrip("s") if candidate.value.endswith("s") else candidate.value
        for m in reversed(self.mentions):
            if m["end"] > candidate.start:
                continue
            actor = profile[m["actor"]]
            names = " ".join((actor.name, *actor.variants, m["label"])).lower()
            if noun in names:
                return actor.name
        return ""


def _sentence_subject(text: str, mentions: list[dict], lo: int, hi: int) -> _Candidate | None:
    """The first plausible subject in ``text[lo:hi]``: a candidate not possessive, not after a preposition."""
    found = _candidates(text, mentions, lo, hi)
    return found[0] if found else None


def _masked(body: str, spans: list[tuple[int, int]]) -> str:
    chars = list(body)
    for start, end in spans:
        chars[start + 1 : end - 1] = _MASK * max(0, end - start - 2)
    return "".join(chars)


def _attribute(
    narration: str,
    quote_start: int,
    quote_end: int,
    *,
    sentence: tuple[int, int],
    end_sentence: tuple[int, int],
    mentions: list[dict],
    resolver: _Resolver,
    ends_as_speech: bool,
) -> tuple[str, str, str, str]:
    """Speaker, verb, attribution method and the words naming the speaker, from the quotation's own sentence(s).

    All empty when no attribution is found; the speaker alone is empty when the words name
    no profiled actor ("…,” a local official said").
    """
    subject = _sentence_subject(narration, mentions, sentence[0], quote_start)

    def found(c: _Candidate, verb: str, how: str) -> tuple[str, str, str, str]:
        return resolver.resolve(c, sentence_subject=subject), verb, how, narration[c.start : c.end]

    # 1-2. attribution after the quote: "…,” X said" / "…,” said X"
    after_end = end_sentence[1]
    verb = _VERB.search(narration, quote_end, after_end)
    if verb and _MASK not in narration[quote_end : verb.start()] and verb.start() - quote_end <= 120:
        between = narration[quote_end : verb.start()]
        if between.strip(" ,—–-\n"):
            # The speaker may carry a label or an appositive: "…,” Kremlin spokesman Dmitry Peskov was
            # quoted as saying", "…,” the 27 organizations, including leftist ones, said".
            who = _candidates(narration, mentions, quote_end, verb.start())
            actors_named = [c for c in who if c.kind == "actor"]
            if not re.search(r"[.!?]\s", between):
                if who:
                    return found(actors_named[0] if actors_named else who[0], _VERB_OF[verb.group()], "after")
                # A speaker no profile covers: "…,” a local official said". Only after a quotation
                # that ends as attributed speech does (“…,”), and for a short noun phrase.
                phrase = between.strip(" ,—–-\n")
                if ends_as_speech and _UNKNOWN_SPEAKER.fullmatch(phrase):
                    return "", _VERB_OF[verb.group()], "after", phrase
        else:
            who = _candidates(narration, mentions, verb.end(), after_end)
            if who and who[0].start - verb.end() <= 40:
                return found(who[0], _VERB_OF[verb.group()], "inverted")
    before_start = sentence[0]
    # 3. "according to X"
    for according in _ACCORDING_TO.finditer(narration, before_start, quote_start):
        who = _candidates(narration, mentions, according.end(), quote_start)
        if who:
            return found(who[0], "according to", "according_to")
    # 4. "X: “…”"
    if narration[before_start:quote_start].rstrip().endswith(":"):
        who = _candidates(narration, mentions, before_start, quote_start)
        verbs = list(_VERB.finditer(narration, before_start, quote_start))
        if who:
            return found(who[-1], _VERB_OF[verbs[-1].group()] if verbs else "", "colon")
    # 5. a reporting verb before the quote in its sentence
    verbs = list(_VERB.finditer(narration, before_start, quote_start))
    if verbs:
        verb = verbs[-1]
        who = _candidates(narration, mentions, before_start, verb.start())
        if who:
            participle = verb.group().endswith("ing")
            return found(who[0] if participle else who[-1], _VERB_OF[verb.group()], "before")
    return "", "", "", ""


# Reporting verbs that do not introduce someone's own words: "what it called “harsh tactics”",
# "described as", "accused of" distance the outlet from a phrase instead.
_DISTANCING_VERBS = frozenset(
    "accused alleged asked called commented condemned criticized demanded denied described promised reacted urged vowed".split()
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
    resolver = _Resolver(actors, mentions, [])
    rows: list[dict] = []
    for q in quotes:
        first = sentences[max(bisect_right(sentence_starts, q.start) - 1, 0)]
        last = sentences[max(bisect_right(sentence_starts, max(q.end - 1, q.start)) - 1, 0)]
        paragraph = max(bisect_right(paragraph_starts, q.start) - 1, 0)
        speaker, verb, how, words_naming = _attribute(
            narration,
            q.start,
            q.end,
            sentence=first,
            end_sentence=last,
            mentions=mentions,
            resolver=resolver,
            ends_as_speech=q.closed and body[q.end - 2 : q.end - 1] in (",", "?", "!"),
        )
        if speaker:
            resolver.speakers.append(speaker)
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
                "speaker": speaker,
                "verb": verb,
                "kind": "scare" if words <= SCARE_MAX_WORDS and not direct else "speech",
                "attribution": how,
                "attributed_to": words_naming,
                "closed": q.closed,
                "paragraph": paragraph,
                "words": words,
            }
        )
    _carry_over(rows, body, paragraphs)
    return rows


def _carry_over(rows: list[dict], body: str, paragraphs: list[tuple[int, int]]) -> None:
    """Give unattributed quotations the speaker of their paragraph, or of the quote they continue."""
    by_paragraph: dict[int, list[dict]] = {}
    for row in rows:
        by_paragraph.setdefault(row["paragraph"], []).append(row)
    for row in rows:
        if row["attribution"] or row["kind"] == "scare":
            continue  # attributed (perhaps to someone not profiled), or a scare quote
        neighbours = [r for r in by_paragraph[row["paragraph"]] if r["speaker"] and r is not row]
        if neighbours:
            nearest = min(neighbours, key=lambda r: abs(r["start"] - row["start"]))
            row.update(
                speaker=nearest["speaker"], verb=nearest["verb"], attribution="paragraph", attributed_to=nearest["attributed_to"]
            )
            continue
        opens_paragraph = not body[paragraphs[row["paragraph"]][0] : row["start"]].strip(" —–-")
        earlier = [r for r in rows if r["paragraph"] == row["paragraph"] - 1 and r["speaker"] and r["kind"] == "speech"]
        if opens_paragraph and earlier:
            last = earlier[-1]
            row.update(speaker=last["speaker"], verb=last["verb"], attribution="continued", attributed_to=last["attributed_to"])


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
        - ``speaker`` : canonical actor name, '' when no attribution was found
        - ``affiliation`` : the speaker's affiliation ('' when none)
        - ``verb`` : the reporting verb ("said", "added", "quoted" for "was quoted as saying",
          "according to"), '' when none
        - ``kind`` : ``speech``, or ``scare`` for 1-3 words that no attribution introduces
        - ``attribution`` : how the speaker was found (``after``, ``inverted``,
          ``according_to``, ``colon``, ``before``, ``paragraph``, ``continued``, '' none)
        - ``attributed_to`` : the words naming the speaker ("Kremlin spokesman Dmitry Peskov"
          → "Dmitry Peskov", "he", "the ministry", or "a local official" for a speaker no
          profile covers: the place to look when ``speaker`` is empty)
        - ``closed`` : False for a quotation never closed
        - ``paragraph`` : paragraph number from 0
        - ``words`` : word tokens in ``text``
    """
    actors = actors or load_actors()
    rows = []
    for article_id, outlet, body in zip(articles["id"].astype(str), articles["outlet"], articles["body"].fillna(""), strict=True):
        rows += [{"article_id": article_id, "outlet": outlet, **q} for q in article_quotes(body, actors=actors)]
    table = pd.DataFrame(rows, columns=[c for c in QUOTE_COLUMNS if c != "affiliation"])
    profile = actors.by_name
    table["affiliation"] = table["speaker"].astype(object).map(lambda s: profile[s].affiliation if s else "")
    return table[QUOTE_COLUMNS].astype(
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
