"""Actors: who is mentioned, where in the article, and with which label.

Actors are data (``analysis/actors.yaml``): a canonical name, the variants matched in text,
an affiliation and the pronoun that can refer back to them. :func:`actor_mentions` finds
every mention in headlines and bodies with one Aho-Corasick automaton (pyahocorasick) per
actor list, keeps the leftmost-longest match at word boundaries, and reads the label an
outlet attaches to the name: the descriptors before it ("detained Kremlin critic Alexei
Navalny") or in apposition ("Anatoly Antonov, the Russian ambassador to the United States").
:func:`label_table` tabulates labels actor × outlet; :func:`candidate_names` offers the
frequent capitalised names that no profile covers yet.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import ahocorasick
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analysis.paths import read_yaml
from analysis.tokens import fold_word, paragraph_spans, quote_spans, sentence_spans

ACTORS_FILE = Path(__file__).with_name("actors.yaml")
KINDS = ("person", "institution", "group", "media", "country")
PRONOUNS = ("he", "she", "they", "it")
Position = Literal["headline", "lead", "body"]
MENTION_COLUMNS = [
    "article_id",
    "outlet",
    "actor",
    "affiliation",
    "kind",
    "mention",
    "label",
    "position",
    "voice",
    "start",
    "end",
]
HONORIFICS = {"he": ("Mr.",), "she": ("Ms.", "Mrs."), "they": (), "it": ()}


class ActorsError(ValueError):
    """An actors file is malformed; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Actor:
    """One profiled actor (see ``analysis/actors.yaml`` for the fields)."""

    name: str
    kind: str
    affiliation: str
    pronoun: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class ActorList:
    """Actors and the label vocabulary, with the matcher built once."""

    actors: tuple[Actor, ...]
    label_heads: frozenset[str]
    label_modifiers: frozenset[str]

    @cached_property
    def by_name(self) -> dict[str, Actor]:
        return {actor.name: actor for actor in self.actors}

    @cached_property
    def automaton(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for actor in self.actors:
            for variant in actor.variants:
                automaton.add_word(variant, (actor.name, len(variant)))
        automaton.make_automaton()
        return automaton

    @cached_property
    def pre_label_pattern(self) -> re.Pattern[str]:
        return _pre_label_pattern(self.label_heads, self.label_modifiers)

    @cached_property
    def heads_pattern(self) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, self.label_heads))) + r")\b", re.IGNORECASE)


def _person_forms(name: str, surname: str, pronoun: str) -> list[str]:
    return [surname, *(f"{title} {surname}" for title in HONORIFICS.get(pronoun, ()))]


def _parse_actor(entry: object, index: int, source: str) -> Actor:
    where = f"{source}: actors[{index}]"
    if not isinstance(entry, dict):
        raise ActorsError(f"{where} must be a mapping with name, kind, affiliation, pronoun; got {entry!r}")
    for field in ("name", "kind", "affiliation", "pronoun"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise ActorsError(f"{where} ({entry.get('name', '?')}): field {field!r} is missing or not text")
    if entry["kind"] not in KINDS:
        raise ActorsError(f"{where} ({entry['name']}): kind {entry['kind']!r} must be one of {list(KINDS)}")
    if entry["pronoun"] not in PRONOUNS:
        raise ActorsError(f"{where} ({entry['name']}): pronoun {entry['pronoun']!r} must be one of {list(PRONOUNS)}")
    variants = entry.get("variants") or []
    if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
        raise ActorsError(f"{where} ({entry['name']}): variants must be a list of names")
    forms = [entry["name"], *variants]
    if entry["kind"] == "person":
        surname = entry.get("surname") or entry["name"].split()[-1]
        if not isinstance(surname, str):
            raise ActorsError(f"{where} ({entry['name']}): 'surname' must be text")
        forms += _person_forms(surname, surname, entry["pronoun"])
    return Actor(
        name=entry["name"],
        kind=entry["kind"],
        affiliation=entry["affiliation"],
        pronoun=entry["pronoun"],
        variants=tuple(dict.fromkeys(f.strip() for f in forms)),
    )


def load_actors(*paths: str | os.PathLike[str] | None, shipped: bool = True) -> ActorList:
    """The shipped actors (``analysis/actors.yaml``), added to and overridden by each file of ``paths`` in turn.

    An actor of a later file with the name of an earlier one replaces it; a variant a later
    actor claims is taken from the earlier actor that had it; new actors add; the label words
    of all files are pooled. ``None`` paths are skipped (so ``load_actors(args.actors)`` is the
    shipped list when no file is given); ``shipped=False`` uses the files alone.

    Raises
    ------
    ActorsError
        When a file is not a mapping with an ``actors`` list, an entry lacks a field, or two
        actors of one file claim the same variant; the message names the entry.
    FileNotFoundError
        When one of ``paths`` does not exist.
    """
    files = ([str(ACTORS_FILE.resolve())] if shipped else []) + [str(Path(p).resolve()) for p in paths if p is not None]
    if not files:
        raise ActorsError("load_actors: shipped=False needs at least one actors file")
    return _merged_actors(tuple(files))


def corpus_actors_file(corpus: str | os.PathLike[str] | None) -> Path | None:
    """A corpus folder's own ``actors.yaml`` (added to the shipped profiles), None when it has none."""
    if corpus is None or not Path(corpus).is_dir():
        return None
    own = Path(corpus) / "actors.yaml"
    return own if own.is_file() else None


@lru_cache(maxsize=8)
def _merged_actors(files: tuple[str, ...]) -> ActorList:
    by_name: dict[str, Actor] = {}
    heads: set[str] = set()
    modifiers: set[str] = set()
    for path in files:
        loaded = _load_actors(path)
        claimed = {variant for actor in loaded.actors for variant in actor.variants}
        kept = {
            name: replace(actor, variants=tuple(v for v in actor.variants if v not in claimed)) for name, actor in by_name.items()
        }
        by_name = {**kept, **{actor.name: actor for actor in loaded.actors}}
        heads |= loaded.label_heads
        modifiers |= loaded.label_modifiers
    return ActorList(actors=tuple(by_name.values()), label_heads=frozenset(heads), label_modifiers=frozenset(modifiers))


@lru_cache(maxsize=8)
def _load_actors(path: str) -> ActorList:
    if not Path(path).exists():
        raise FileNotFoundError(f"actors file {path!r} not found: give a YAML file like analysis/actors.yaml")
    data = read_yaml(path, ActorsError)
    if not isinstance(data, dict) or not isinstance(data.get("actors"), list):
        raise ActorsError(f"{path}: expected a mapping with an 'actors' list (see analysis/actors.yaml)")
    actors = tuple(_parse_actor(entry, i, path) for i, entry in enumerate(data["actors"]))
    owner: dict[str, str] = {}
    for actor in actors:
        for variant in actor.variants:
            if owner.setdefault(variant, actor.name) != actor.name:
                raise ActorsError(f"{path}: variant {variant!r} belongs to both {owner[variant]!r} and {actor.name!r}")
    words = data.get("label_words") or {}
    if not isinstance(words, dict) or not all(
        isinstance(words.get(key) or [], list) and all(isinstance(w, str) for w in words.get(key) or [])
        for key in ("heads", "modifiers")
    ):
        raise ActorsError(f"{path}: 'label_words' must map heads and modifiers to lists of words (see analysis/actors.yaml)")
    return ActorList(
        actors=actors,
        label_heads=frozenset(w.lower() for w in words.get("heads", [])),
        label_modifiers=frozenset(w.lower() for w in words.get("modifiers", [])),
    )


# ---------------------------------------------------------------------------
# Finding mentions
# ---------------------------------------------------------------------------


def _is_boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_")


def find_mentions(text: str, actors: ActorList) -> list[tuple[int, int, str]]:
    """Leftmost-longest actor mentions in ``text`` at word boundaries: ``(start, end, actor)``.

    Examples
    --------
    >>> text = "Mr. Putin met Joe Biden; Biden’s aide and Putinism did not."
    >>> [(text[s:e], a) for s, e, a in find_mentions(text, load_actors())]
    [('Mr. Putin', 'Vladimir Putin'), ('Joe Biden', 'Joe Biden'), ('Biden', 'Joe Biden')]
    """
    found = []
    for last, (name, length) in actors.automaton.iter(text):
        start = last + 1 - length
        if _is_boundary(text, start, last + 1):
            found.append((start, last + 1, name))
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    kept, reach = [], -1
    for start, end, name in found:
        if start >= reach:
            kept.append((start, end, name))
            reach = end
    return kept


_CAPITALISED = r"[A-Z][\w’'.-]*"
_LEADING_FUNCTION_WORDS = re.compile(
    r"^(?:(?:The|A|An|In|On|At|Last|Meanwhile|But|And|However|Also|When|While|After|Before|Then|So)\s+)+"
)


_LAST_WORD = re.compile(r"(?<!\S)(?P<word>[^\s,]+),?\s+$")
_TAIL_PREPOSITION = re.compile(r"\s(?:to|of|for|in)\s")


def _pre_label_pattern(heads: frozenset[str], modifiers: frozenset[str]) -> re.Pattern[str]:
    head = "|".join(sorted(map(re.escape, heads), key=len, reverse=True)) or "(?!)"
    modifier = "|".join(sorted(map(re.escape, modifiers), key=len, reverse=True)) or "(?!)"
    word = rf"(?:{_CAPITALISED}|(?i:{modifier})|(?i:{head}))"
    tail = rf"(?:\s+(?:to|of|for|in)\s+(?:the\s+)?{_CAPITALISED}(?:\s+{_CAPITALISED})*)?"
    return re.compile(rf"(?<![\w’'-])(?P<label>(?:{word}\s+)*(?i:{head}){tail})(?P<sep>,?\s+)$")


_APPOSITIVE = re.compile(r"^,\s+(?P<label>(?:the|a|an|its|his|her|their)\s+[^,.;:“”\"()]{2,80}?)(?=\s*[,.;:])")
_NOT_APPOSITIVE = re.compile(r"^(?:the|a|an|its|his|her|their)\s+\w+\s+(?:who|which|that|said|says)\b")


def pre_label(text: str, start: int, *, actors: ActorList, window_start: int = 0) -> tuple[str, int]:
    """The label before the mention at ``start`` and the offset where it begins ('' and ``start`` when none).

    Examples
    --------
    >>> text = "supporting detained Kremlin critic Alexei Navalny"
    >>> pre_label(text, text.index("Alexei"), actors=load_actors())
    ('detained Kremlin critic', 11)
    >>> text = "Lavrov’s visit was announced by the Chinese Foreign Ministry spokesperson, Hua Chunying"
    >>> pre_label(text, text.index("Hua"), actors=load_actors())[0]
    'Chinese Foreign Ministry spokesperson'
    """
    window_start = max(window_start, start - 120)
    last = _LAST_WORD.search(text, window_start, start)
    if not last:
        return "", start
    word = last.group("word")
    # Most names follow a lowercase word that cannot end a label ("said", "that"): skip the regex.
    if word.lower() not in actors.label_heads and not (word[0].isupper() and _TAIL_PREPOSITION.search(text, window_start, start)):
        return "", start
    match = actors.pre_label_pattern.search(text, window_start, start)
    if not match:
        return "", start
    label = match.group("label")
    stripped = _LEADING_FUNCTION_WORDS.sub("", label)
    if not stripped or not actors.heads_pattern.search(stripped):
        return "", start
    return stripped, match.start("label") + len(label) - len(stripped)


def appositive_label(text: str, end: int, *, actors: ActorList) -> tuple[str, int]:
    """The appositive after the mention ending at ``end`` ("…, the Russian ambassador to X,") and its end offset.

    Examples
    --------
    >>> text = "Anatoly Antonov, the Russian ambassador to the United States, was summoned"
    >>> appositive_label(text, len("Anatoly Antonov"), actors=load_actors())[0]
    'Russian ambassador to the United States'
    """
    match = _APPOSITIVE.match(text[end : end + 120])
    if not match or _NOT_APPOSITIVE.match(match.group("label")) or not actors.heads_pattern.search(match.group("label")):
        return "", end
    label = re.sub(r"^(?:the|a|an)\s+", "", match.group("label"))
    return label, end + match.end("label")


def text_mentions(text: str, actors: ActorList, *, sentence_starts: list[int]) -> list[dict]:
    """Mentions in one text with their labels; mentions inside another mention's label are dropped.

    Each mention is a dict with ``start``, ``end``, ``actor``, ``mention``, ``label``, and
    ``label_start``/``label_end`` (the label's extent; equal to ``start``/``end`` when none).
    ``sentence_starts`` (sorted offsets) keeps a pre-modifier label inside its sentence.
    """
    rows = []
    for start, end, name in find_mentions(text, actors):
        sentence_start = sentence_starts[max(bisect_right(sentence_starts, start) - 1, 0)] if sentence_starts else 0
        label, label_start = pre_label(text, start, actors=actors, window_start=sentence_start)
        after, label_end = appositive_label(text, end, actors=actors)
        if not label and after:
            label = after
        rows.append(
            {
                "start": start,
                "end": end,
                "actor": name,
                "mention": text[start:end],
                "label": label,
                "label_start": label_start,
                "label_end": label_end,
            }
        )
    # "Kremlin spokesman Dmitry Peskov" names Peskov; the Kremlin there is part of his label.
    spans = [(r["label_start"], r["start"]) for r in rows if r["label_start"] < r["start"]]
    spans += [(r["end"], r["label_end"]) for r in rows if r["label_end"] > r["end"]]
    return [r for r in rows if not any(a <= r["start"] and r["end"] <= b for a, b in spans)]


def _voice(offset: int, quotes: list) -> str:
    return "quoted" if any(q.depth == 0 and q.start < offset < q.end for q in quotes) else "narration"


def actor_mentions(articles: pd.DataFrame, *, actors: ActorList | None = None) -> pd.DataFrame:
    """Every actor mention in the headlines and bodies of ``articles``, with its label.

    Parameters
    ----------
    articles : DataFrame
        The article table (``id``, ``outlet``, ``headline``, ``body``).
    actors : ActorList, optional
        From :func:`load_actors`; default the shipped actors.

    Returns
    -------
    DataFrame
        One row per mention, in article and text order:

        - ``article_id``, ``outlet`` : str
        - ``actor``, ``affiliation``, ``kind`` : the profiled actor
        - ``mention`` : the text matched ("Alexey Navalny", "Mr. Putin", "Biden")
        - ``label`` : the descriptor attached to this mention ("opposition leader"), '' when none
        - ``position`` : ``headline``, ``lead`` (the first body paragraph) or ``body``
        - ``voice`` : ``quoted`` inside a quotation (the label is then the speaker's, not the
          outlet's), else ``narration``
        - ``start``, ``end`` : offsets into the headline (position ``headline``) or the body

    Notes
    -----
    A mention inside another mention's label is not counted: in "Kremlin spokesman Dmitry
    Peskov" the actor is Peskov and "Kremlin spokesman" is how the outlet names him.
    """
    actors = actors or load_actors()
    rows = []
    for article_id, outlet, headline, body in zip(
        articles["id"].astype(str), articles["outlet"], articles["headline"].fillna(""), articles["body"].fillna(""), strict=True
    ):
        for found in text_mentions(headline, actors, sentence_starts=[0]):
            voice = _voice(found["start"], quote_spans(headline))
            rows.append({"article_id": article_id, "outlet": outlet, "position": "headline", "voice": voice, **found})
        paragraphs = paragraph_spans(body)
        lead_end = paragraphs[0][1] if paragraphs else 0
        starts = [s for s, _ in sentence_spans(body, paragraphs=paragraphs)]
        quotes = quote_spans(body, paragraphs=paragraphs)
        for found in text_mentions(body, actors, sentence_starts=starts):
            position = "lead" if found["start"] < lead_end else "body"
            voice = _voice(found["start"], quotes)
            rows.append({"article_id": article_id, "outlet": outlet, "position": position, "voice": voice, **found})
    table = pd.DataFrame(rows, columns=[*MENTION_COLUMNS, "label_start", "label_end"])
    profile = actors.by_name
    table["affiliation"] = table["actor"].astype(object).map(lambda name: profile[name].affiliation)
    table["kind"] = table["actor"].astype(object).map(lambda name: profile[name].kind)
    return table[MENTION_COLUMNS].astype({"start": "int64", "end": "int64"}).reset_index(drop=True)


def label_table(mentions: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """How each group labels each actor: actor × group × label with counts.

    Parameters
    ----------
    mentions : DataFrame
        From :func:`actor_mentions` (joined with article columns when ``by`` is not ``outlet``).
    by : str, default="outlet"

    Returns
    -------
    DataFrame
        ``actor``, ``group``, ``label`` (lowercased so "Kremlin Spokesman" and "Kremlin
        spokesman" count together), ``mentions`` (labelled mentions), ``of_mentions`` (all
        the group's mentions of the actor, labelled or not); sorted by actor, group, count.
    """
    if by not in mentions.columns:
        raise KeyError(f"label_table: by={by!r} is not a column of the mentions table; join article columns first")
    totals = mentions.groupby(["actor", by]).size().rename("of_mentions")
    labelled = mentions[mentions["label"] != ""].assign(label=lambda t: t["label"].str.lower())
    counts = labelled.groupby(["actor", by, "label"]).size().rename("mentions").reset_index()
    counts = counts.join(totals, on=["actor", by]).rename(columns={by: "group"})
    return counts.sort_values(["actor", "group", "mentions"], ascending=[True, True, False]).reset_index(drop=True)


_NAME_RUN = re.compile(r"(?<![\w’'.-])[A-Z][a-z]+(?:[ -](?:al-|i )?[A-Z][a-z]+)*")
# Capitalised words that are not names: sentence openers, days, months, titles.
_NOT_NAMES = frozenset(
    "The A An As At In On Of For From By With To And But Or If When While After Before Last Next This That These Those "
    "It He She They We I You His Her Their Our Its Meanwhile However Also Then So Such Some Many More Most "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Later Earlier New President Prime Minister Secretary Spokesman Mr Mrs Ms Dr Unfortunately "
    "Police Relations Tens Prior During Putin Biden".split()
)

_DEMONYM = re.compile(r"(?:ian|ese|ean|can|ern)s?$")  # "Russian", "Chinese", "European": adjectives, not names


def candidate_names(articles: pd.DataFrame, *, actors: ActorList | None = None, min_count: int = 2) -> pd.DataFrame:
    """Frequent capitalised names that no actor profile covers: candidates for ``actors.yaml``.

    Runs of capitalised words in headlines and bodies ("Cold War", "Ukraine", "Germany"),
    without leading sentence openers, titles, days and months, that do not overlap a
    profiled mention. A single word counts only where it does not open a sentence.

    Returns
    -------
    DataFrame
        ``name``, ``count`` (occurrences), ``articles`` (articles containing it),
        ``outlets`` (distinct outlets), for names seen at least ``min_count`` times; most
        frequent first.

    Examples
    --------
    >>> articles = pd.DataFrame({"id": ["a"], "outlet": ["X"], "headline": [""],
    ...     "body": ["Yulia Navalnaya met Putin. Later Yulia Navalnaya spoke in Berlin."]})
    >>> candidate_names(articles)[["name", "count"]].values.tolist()
    [['Yulia Navalnaya', 2]]
    """
    actors = actors or load_actors()
    rows = []
    for article_id, outlet, headline, body in zip(
        articles["id"].astype(str), articles["outlet"], articles["headline"].fillna(""), articles["body"].fillna(""), strict=True
    ):
        for text in (headline, body):
            covered = find_mentions(text, actors)
            for match in _NAME_RUN.finditer(text):
                words = match.group().split(" ")
                while words and words[0] in _NOT_NAMES:
                    words = words[1:]
                if not words or words[-1] in _NOT_NAMES:
                    continue
                name = " ".join(words)
                start = match.end() - len(name)
                opens_sentence = start == 0 or re.search(r"[.!?”\"]\s*$|^\s*$|\n\s*$", text[max(0, start - 3) : start])
                if len(words) == 1 and (opens_sentence or _DEMONYM.search(name)):
                    continue
                if not any(s < match.end() and start < e for s, e, _ in covered):
                    rows.append((name, article_id, outlet))
    found = pd.DataFrame(rows, columns=["name", "article_id", "outlet"])
    table = found.groupby("name").agg(
        count=("article_id", "size"), articles=("article_id", "nunique"), outlets=("outlet", "nunique")
    )
    table = table[table["count"] >= min_count].reset_index()
    return table.sort_values(["count", "name"], ascending=[False, True]).reset_index(drop=True)


# ---------------------------------------------------------------------------
# Names in running text without profiles: the evidence event grouping and omission compare
# (lowercased, titles dropped), beside ``candidate_names`` above, which proposes profiles
# ---------------------------------------------------------------------------

_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-zA-Z’'\-]+(?:\s+(?:[A-Z][a-zA-Z’'\-]+|of|al-|bin))*\b")


_NOT_NAME_WORDS = (
    frozenset(
        "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
        "august september october november december mr mrs ms dr".split()
    )
    | ENGLISH_STOP_WORDS
)


def names_in(text: str) -> list[str]:
    """Capitalised names in ``text``, lowercased; a capitalised word opening a sentence is not one.

    Examples
    --------
    >>> names_in("Kremlin spokesman Dmitry Peskov said. The White House did not.")
    ['kremlin', 'dmitry peskov', 'white house']
    """
    openings = {start for start, _ in sentence_spans(text)} if text else set()
    found = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = match.group().split()
        if match.start() in openings or (match.start() > 0 and text[match.start() - 1] in "“\"‘'"):
            # "Kremlin" opening a sentence is still a name if it is not a common word.
            if words[0].lower() in _NOT_NAME_WORDS:
                words = words[1:]
        words = [w for w in words if w.lower() not in _NOT_NAME_WORDS or w.islower()]
        while words and words[-1].lower() in ("of", "al-", "bin"):
            words.pop()
        if words and any(w[0].isupper() for w in words):
            found.append(fold_word(" ".join(words)).removesuffix("'s"))
    return found


TITLE_WORDS = frozenset(
    "president presidents minister ministry foreign spokesman spokeswoman spokesperson secretary deputy press "
    "prime chief head state department russian american chinese us u.s ukrainian iranian british french "
    "european syrian turkish israeli german western".split()
)


def actor_names(names: Sequence[str]) -> list[str]:
    """Names as actors: titles and nationality words dropped, a bare surname joined to the one full name ending in it.

    Examples
    --------
    >>> actor_names(["russian president vladimir putin", "putin", "russian", "white house"])
    ['vladimir putin', 'vladimir putin', 'white house']
    """
    stripped = [" ".join(w for w in name.split() if w not in TITLE_WORDS) for name in names]
    stripped = [name for name in stripped if name]
    full = sorted({name for name in stripped if " " in name})
    resolved = []
    for name in stripped:
        longer = [f for f in full if f.endswith(" " + name)]
        resolved.append(longer[0] if len(longer) == 1 else name)
    return resolved
