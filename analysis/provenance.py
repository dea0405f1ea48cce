"""Text reuse between articles: which passages an outlet took from another article, and how it changed them.

Outlets republish wire copy whole, trimmed, lightly edited, or rewritten with synonyms so it
looks original. This module finds such passages in two steps, so that it scales to thousands
of articles without comparing every pair:

1. **Candidate pairs** (:func:`candidate_pairs`): every article becomes the set of its
   word 4-gram shingles (words lowercased, Porter-stemmed, spelling variants and listed
   synonyms mapped to one form, see ``provenance.yaml``), hashed into a sparse binary matrix;
   one sparse product gives the number of shingles every pair shares. Pairs sharing at least
   ``min_shingles`` are aligned. Shingles found in more than ``max_articles_per_shingle``
   articles are boilerplate and are skipped.
2. **Alignment** (:func:`align`) within a candidate pair: ``difflib.SequenceMatcher`` over the
   two sequences of normalised words gives matching runs; runs closer than ``max_gap`` words
   on both sides are joined into one passage, which tolerates substituted, inserted and
   deleted words. A passage is kept when it has at least ``min_words`` matching words making
   up at least ``min_density`` of its length, and, below a density of 0.85, at least twice
   ``min_words`` (stories on the same event share short phrasings without copying). Aligned words are then masked and the matcher
   runs again (up to three rounds), so passages that were moved around are found too.

Each passage gets a kind: ``exact`` (the same words), ``edited`` (words inserted, deleted,
inflected or respelled, or up to two words replaced), or ``paraphrase`` (three or more words
replaced by others, listed synonyms included), and its word-level ``changes``.

Relation: a pair is a ``copy`` (wire copy, republication, edited or spun copy) when each side
of its passages holds at least ``COPY_NARRATION_WORDS`` (20) words of narration, words outside
quotations (:func:`analysis.tokens.quote_spans`, the spans of the token table's ``quoted``
voice) in runs of at least ``NARRATION_RUN_WORDS`` (12), so that the attributions between
quoted paragraphs ("…,” he added. “…") do not count, and at least ``COPY_MIN_SHARE`` (a fifth) of one
body is shared, so that a background paragraph an agency reuses in its next story does not make
the two one story; otherwise a ``common_source`` when at least half the shared words of one side are
quoted (both quote, or one quotes and one translates or narrates, the same statement; its
``speaker`` is named), else a ``shared_phrase`` (a few words of stock wording). Copies are
grouped into families by :func:`copy_families`.

Direction: the earlier-published article is the likely source; on the same day, the one whose
side of the aligned passages is at least 10% longer (a republication trims); otherwise
``unknown``. Passages found against a reference corpus of wire stories always come from the
reference.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.actors import load_actors
from analysis.cluster import Engine, check_engine, client_for
from analysis.corpus import load_corpus
from analysis.engine import Partition, partitions, workers_of
from analysis.options import Progress, no_progress
from analysis.paths import read_yaml
from analysis.quotes import article_quotes
from analysis.tokens import fold_word, quote_spans, shingle_hashes

EQUIVALENCES_FILE = Path(__file__).with_name("provenance.yaml")

# Initialisms stay whole ("U.S."); hyphens split ("five-year" = "five year" for alignment).
_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W_]+(?:['’][^\W_]+)*")

SHINGLE_WORDS = 4
MIN_SHINGLES = 3
MAX_ARTICLES_PER_SHINGLE = 500
MAX_GAP = 5
MIN_WORDS = 8
MIN_DENSITY = 0.6
DENSE = 0.85
ROUNDS = 3
COMPLETENESS_MARGIN = 1.1
PARAPHRASE_WORDS = 3
COPY_NARRATION_WORDS = 20
NARRATION_RUN_WORDS = 12
COMMON_SOURCE_QUOTED = 0.5
COPY_MIN_SHARE = 0.2

Kind = Literal["exact", "edited", "paraphrase"]
Relation = Literal["copy", "common_source", "shared_phrase"]
Direction = Literal["a_to_b", "b_to_a", "unknown"]

PAIR_COLUMNS = [
    "article_a",
    "article_b",
    "outlet_a",
    "outlet_b",
    "published_a",
    "published_b",
    "shared_a",
    "shared_b",
    "words_a",
    "words_b",
    "direction",
    "basis",
    "source",
    "kind",
    "relation",
    "speaker",
    "quoted_share",
    "n_passages",
    "passages",
]
PASSAGE_COLUMNS = [
    "article_a",
    "article_b",
    "outlet_a",
    "outlet_b",
    "direction",
    "passage",
    "kind",
    "a_start",
    "a_end",
    "b_start",
    "b_end",
    "a_text",
    "b_text",
    "changes",
]
SPAN_COLUMNS = ["article_id", "start", "end", "source_id"]
FAMILY_COLUMNS = ["family", "article_id", "outlet", "published", "role", "share", "change", "members", "original"]


class ProvenanceError(ValueError):
    """The articles or options given to a provenance function cannot be used."""


# ---------------------------------------------------------------------------
# Words and their alignment keys
# ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def load_equivalences(path: Path = EQUIVALENCES_FILE) -> dict[str, tuple[str, str]]:
    """Map each listed stem to ``(canonical stem, "spelling" | "synonym")`` from ``provenance.yaml``.

    Groups sharing a stem are merged, so the map stays consistent.
    """
    try:
        data = read_yaml(path, ProvenanceError) or {}
    except OSError as err:
        raise ProvenanceError(f"{path}: cannot read the word equivalences ({err}); fix or restore the file") from err
    if not isinstance(data, dict):
        raise ProvenanceError(f"{path}: expected a mapping with 'equivalents' and 'synonyms' lists")
    mapping: dict[str, tuple[str, str]] = {}
    for section, relation in (("equivalents", "spelling"), ("synonyms", "synonym")):
        groups = data.get(section) or []
        if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
            raise ProvenanceError(f"{path}: '{section}' must be a list of lists of words")
        for group in groups:
            stems = [_stem(str(word).lower().replace(".", "")) for word in group]
            canonical = next((mapping[s][0] for s in stems if s in mapping), stems[0])
            for stem in stems:
                mapping.setdefault(stem, (canonical, relation))
    return mapping


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word, to_lowercase=False)


def _stem_of_surface(surface: str) -> str:
    if surface.endswith("'s"):
        surface = surface[:-2]
    return _stem(surface.replace(".", "").replace("'", ""))


def alignment_key(surface: str) -> str:
    """The form two words must share to align: stem, with spelling variants and synonyms mapped to one.

    Examples
    --------
    >>> alignment_key("kernels") == alignment_key("cores"), alignment_key("U.S.") == alignment_key("us")
    (True, True)
    """
    stem = _stem_of_surface(fold_word(surface))
    return load_equivalences().get(stem, (stem, ""))[0]


@dataclass(frozen=True)
class ArticleWords:
    """One article's words: character spans, surface forms and integer alignment keys."""

    article_id: str
    starts: np.ndarray
    ends: np.ndarray
    surface: list[str]
    keys: np.ndarray


def article_words(articles: pd.DataFrame, *, text_column: str = "body") -> list[ArticleWords]:
    """Split every article's text into words with offsets and alignment keys (one shared key space)."""
    for column in ("id", text_column):
        if column not in articles.columns:
            raise ProvenanceError(f"articles: no {column!r} column; pass the article table from analysis.corpus")
    spans, words = [], []
    for text in articles[text_column].fillna("").astype(str):
        found = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        spans.append(found)
        words.extend(w for _, _, w in found)
    codes, uniques = pd.factorize(pd.Series(words, dtype=object).map(fold_word)) if words else (np.array([], int), [])
    unique_keys = [alignment_key(u) for u in uniques]
    key_codes, _ = pd.factorize(pd.Series(unique_keys, dtype=object)) if unique_keys else (np.array([], int), [])
    keys = np.asarray(key_codes, dtype=np.int64)[codes] if len(codes) else np.array([], dtype=np.int64)
    result, offset = [], 0
    for article_id, found in zip(articles["id"].astype(str), spans, strict=True):
        n = len(found)
        result.append(
            ArticleWords(
                article_id=article_id,
                starts=np.fromiter((s for s, _, _ in found), dtype=np.int64, count=n),
                ends=np.fromiter((e for _, e, _ in found), dtype=np.int64, count=n),
                surface=[fold_word(w) for _, _, w in found],
                keys=keys[offset : offset + n],
            )
        )
        offset += n
    return result


# ---------------------------------------------------------------------------
# Candidate pairs
# ---------------------------------------------------------------------------


def shingle_matrix(words: Sequence[ArticleWords], *, shingle_words: int = SHINGLE_WORDS) -> sp.csr_matrix:
    """Binary articles × shingles matrix: which word ``shingle_words``-grams (of keys) each article has."""
    rows, hashes = [], []
    for row, article in enumerate(words):
        keys = article.keys.astype(np.uint64)
        if len(keys) < shingle_words:
            continue
        hashes.append(np.unique(shingle_hashes(keys, shingle_words)))
        rows.append(np.full(len(hashes[-1]), row, dtype=np.int64))
    if not hashes:
        return sp.csr_matrix((len(words), 0), dtype=np.int32)
    columns, _ = pd.factorize(np.concatenate(hashes))
    data = np.ones(len(columns), dtype=np.int32)
    return sp.csr_matrix((data, (np.concatenate(rows), columns)), shape=(len(words), int(columns.max()) + 1))


def candidate_pairs(
    words: Sequence[ArticleWords],
    *,
    min_shingles: int = MIN_SHINGLES,
    max_articles_per_shingle: int = MAX_ARTICLES_PER_SHINGLE,
    shingle_words: int = SHINGLE_WORDS,
    allowed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Pairs of articles sharing at least ``min_shingles`` word shingles (one sparse product).

    Parameters
    ----------
    words : sequence of ArticleWords
        From :func:`article_words`.
    min_shingles : int, default=3
        Shared shingles a pair needs to be aligned.
    max_articles_per_shingle : int, default=500
        Shingles in more articles than this are skipped as boilerplate.
    shingle_words : int, default=4
        Words per shingle.
    allowed : bool array, optional
        Keep only pairs in which at least one article is ``True`` (e.g. the corpus, not the
        reference folder).

    Returns
    -------
    DataFrame
        ``i``, ``j`` (row positions in ``words``, ``i < j``) and ``shared`` (shingles in common).
    """
    matrix = shingle_matrix(words, shingle_words=shingle_words)
    df = np.asarray(matrix.sum(axis=0)).ravel()
    matrix = matrix[:, np.flatnonzero((df >= 2) & (df <= max_articles_per_shingle))]
    shared = sp.triu(matrix @ matrix.T, k=1).tocoo()
    keep = shared.data >= min_shingles
    pairs = pd.DataFrame({"i": shared.row[keep], "j": shared.col[keep], "shared": shared.data[keep]})
    if allowed is not None:
        pairs = pairs[allowed[pairs["i"]] | allowed[pairs["j"]]]
    return pairs.sort_values(["i", "j"], ignore_index=True)


# ---------------------------------------------------------------------------
# Alignment within a pair
# ---------------------------------------------------------------------------


def _runs(a: np.ndarray, b: np.ndarray, taken_a: np.ndarray, taken_b: np.ndarray) -> list[tuple[int, int, int]]:
    # Masked words get keys no other word has, so they never match again.
    seq_a = np.where(taken_a, -1 - np.arange(len(a)), a).tolist()
    seq_b = np.where(taken_b, -(10**9) - np.arange(len(b)), b).tolist()
    matcher = SequenceMatcher(None, seq_a, seq_b, autojunk=False)
    return [(m.a, m.b, m.size) for m in matcher.get_matching_blocks() if m.size]


def _join_runs(
    runs: list[tuple[int, int, int]], *, max_gap: int, min_words: int, min_density: float
) -> list[tuple[int, int, int, int, int]]:
    """Join matching runs into passages ``(a0, a1, b0, b1, matched)``; keep the dense, long ones."""
    passages, current = [], None
    for a, b, size in runs:
        if current and 0 <= a - current[1] <= max_gap and 0 <= b - current[3] <= max_gap:
            current = [current[0], a + size, current[2], b + size, current[4] + size]
        else:
            if current:
                passages.append(tuple(current))
            current = [a, a + size, b, b + size, size]
    if current:
        passages.append(tuple(current))
    kept = []
    for passage in passages:
        matched, density = passage[4], passage[4] / max(passage[1] - passage[0], passage[3] - passage[2])
        # A loosely matching passage needs twice the words: same-event stories share short phrasings.
        if matched >= min_words and density >= min_density and (density >= DENSE or matched >= 2 * min_words):
            kept.append(passage)
    return kept


def _change_type(a_words: list[str], b_words: list[str]) -> str:
    if not a_words:
        return "insertion"
    if not b_words:
        return "deletion"
    stems_a = [_stem_of_surface(w) for w in a_words]
    stems_b = [_stem_of_surface(w) for w in b_words]
    if stems_a == stems_b:
        bare = str.maketrans("", "", ".'")
        same_letters = [w.translate(bare) for w in a_words] == [w.translate(bare) for w in b_words]
        return "spelling" if same_letters else "inflection"
    equivalences = load_equivalences()
    keys_a = [equivalences.get(s, (s, ""))[0] for s in stems_a]
    keys_b = [equivalences.get(s, (s, ""))[0] for s in stems_b]
    if "".join(keys_a) == "".join(keys_b):
        relations = {equivalences.get(s, (s, ""))[1] for s in stems_a + stems_b}
        return "synonym" if "synonym" in relations else "spelling"
    return "substitution"


def _offset(words: ArticleWords, index: int) -> int:
    """Character offset where word ``index`` starts (after the last word when ``index`` is past it)."""
    return int(words.starts[index]) if index < len(words.starts) else int(words.ends[-1])


def passage_changes(a: ArticleWords, b: ArticleWords, a0: int, a1: int, b0: int, b1: int) -> list[dict[str, Any]]:
    """Word-level changes from ``a``'s words ``a0:a1`` to ``b``'s words ``b0:b1``.

    Each change: ``a``, ``b`` (the words on each side, "" for none), ``type`` (insertion,
    deletion, inflection, spelling, synonym or substitution) and character offsets
    ``a_start``, ``a_end``, ``b_start``, ``b_end`` (an empty side has start = end, where the
    words would be).
    """
    words_a, words_b = a.surface[a0:a1], b.surface[b0:b1]
    changes = []
    for op, i0, i1, j0, j1 in SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        a_start, b_start = _offset(a, a0 + i0), _offset(b, b0 + j0)
        changes.append(
            {
                "a": " ".join(words_a[i0:i1]),
                "b": " ".join(words_b[j0:j1]),
                "type": _change_type(words_a[i0:i1], words_b[j0:j1]),
                "a_start": a_start,
                "a_end": int(a.ends[a0 + i1 - 1]) if i1 > i0 else a_start,
                "b_start": b_start,
                "b_end": int(b.ends[b0 + j1 - 1]) if j1 > j0 else b_start,
            }
        )
    return changes


def passage_kind(changes: Sequence[dict[str, Any]]) -> Kind:
    """``exact`` without changes; ``paraphrase`` when 3+ words were replaced by others; else ``edited``.

    A replacement counts the words of its shorter side ("who spoke on condition of anonymity"
    → "said" replaces one word and deletes the rest); listed synonyms count as replaced.
    """
    if not changes:
        return "exact"
    replaced = sum(min(len(c["a"].split()), len(c["b"].split())) for c in changes if c["type"] in ("substitution", "synonym"))
    return "paraphrase" if replaced >= PARAPHRASE_WORDS else "edited"


def align(
    a: ArticleWords,
    b: ArticleWords,
    *,
    text_a: str,
    text_b: str,
    max_gap: int = MAX_GAP,
    min_words: int = MIN_WORDS,
    min_density: float = MIN_DENSITY,
    rounds: int = ROUNDS,
) -> list[dict[str, Any]]:
    """Aligned passages between two articles, in ``a``'s text order.

    Returns
    -------
    list of dict
        Each passage: ``a_start``, ``a_end``, ``b_start``, ``b_end`` (character offsets into
        each text), ``kind`` (exact | edited | paraphrase), ``a_text``, ``b_text``,
        ``changes`` (see :func:`passage_changes`), ``words_a``, ``words_b`` (words spanned),
        ``matched`` (words aligned as equal keys).
    """
    taken_a = np.zeros(len(a.keys), dtype=bool)
    taken_b = np.zeros(len(b.keys), dtype=bool)
    found = []
    for _ in range(rounds):
        new = _join_runs(_runs(a.keys, b.keys, taken_a, taken_b), max_gap=max_gap, min_words=min_words, min_density=min_density)
        if not new:
            break
        for a0, a1, b0, b1, matched in new:
            taken_a[a0:a1] = True
            taken_b[b0:b1] = True
            found.append((a0, a1, b0, b1, matched))
    passages = []
    for a0, a1, b0, b1, matched in sorted(found):
        changes = passage_changes(a, b, a0, a1, b0, b1)
        a_start, a_end, b_start, b_end = int(a.starts[a0]), int(a.ends[a1 - 1]), int(b.starts[b0]), int(b.ends[b1 - 1])
        passages.append(
            {
                "a_start": a_start,
                "a_end": a_end,
                "b_start": b_start,
                "b_end": b_end,
                "kind": passage_kind(changes),
                "a_text": text_a[a_start:a_end],
                "b_text": text_b[b_start:b_end],
                "changes": changes,
                "words_a": a1 - a0,
                "words_b": b1 - b0,
                "matched": int(matched),
            }
        )
    return passages


def pair_direction(
    published_a: Any, published_b: Any, words_a: int, words_b: int, *, b_is_reference: bool = False
) -> tuple[Direction, str]:
    """Likely direction of reuse and what shows it: ``(direction, basis)``.

    The earlier article is the source (basis ``date``); on the same day, the one whose side of
    the passages is at least 10% longer (``completeness``: republications trim); a reference
    wire story is always the source (``reference``); otherwise ``("unknown", "")``.
    """
    if b_is_reference:
        return "b_to_a", "reference"
    day_a, day_b = pd.Timestamp(published_a), pd.Timestamp(published_b)
    if pd.notna(day_a) and pd.notna(day_b) and day_a.normalize() != day_b.normalize():
        return ("a_to_b", "date") if day_a < day_b else ("b_to_a", "date")
    if words_a >= COMPLETENESS_MARGIN * words_b:
        return "a_to_b", "completeness"
    if words_b >= COMPLETENESS_MARGIN * words_a:
        return "b_to_a", "completeness"
    return "unknown", ""


def _pair_kind(passages: Sequence[dict[str, Any]]) -> str:
    kinds = {p["kind"] for p in passages}
    for kind in ("paraphrase", "edited", "exact"):
        if kind in kinds:
            return kind
    return ""


def _pairs_by_position(candidates: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Candidate pairs given by article id as ``i`` < ``j`` positions in ``ids`` (unknown ids dropped)."""
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    position = position[~position.index.duplicated()]
    a = position.reindex(candidates["article_a"].astype(str).to_numpy()).to_numpy()
    b = position.reindex(candidates["article_b"].astype(str).to_numpy()).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b))
    a, b = a[known].astype(np.int64), b[known].astype(np.int64)
    pairs = pd.DataFrame({"i": np.minimum(a, b), "j": np.maximum(a, b)})
    return pairs.drop_duplicates().sort_values(["i", "j"], ignore_index=True)


def quoted_words(words: ArticleWords, body: str) -> np.ndarray:
    """True for each word of ``words`` inside a top-level quotation of ``body`` (the token table's ``quoted`` voice)."""
    mask = np.zeros(len(words.starts), dtype=bool)
    for quote in quote_spans(body):
        if quote.depth == 0:
            mask |= (words.starts > quote.start) & (words.starts < quote.end)
    return mask


def _voice_of_passages(words: ArticleWords, quoted: np.ndarray, spans: Sequence[tuple[int, int]]) -> tuple[int, float]:
    """One side's passages (character ``spans``): ``(narration words, share of their words quoted)``.

    Narration counts only in runs of ``NARRATION_RUN_WORDS`` consecutive narration words: the
    attribution between quoted paragraphs of the same statement ("…,” he added. “…") is not
    copied narration.
    """
    inside = np.zeros(len(words.starts), dtype=bool)
    for start, end in spans:
        inside |= (words.starts >= start) & (words.starts < end)
    narration = inside & ~quoted
    edges = np.flatnonzero(np.diff(np.concatenate([[0], narration.astype(np.int8), [0]])))
    runs = edges[1::2] - edges[::2]
    return int(runs[runs >= NARRATION_RUN_WORDS].sum()), float((inside & quoted).sum() / max(inside.sum(), 1))


def pair_relation(narration_words: int, quoted_share: float, shared: float = 1.0) -> Relation:
    """A pair's relation from the copied narration of its weaker side, the quoted share of its
    shared words and the share of the more copied body that is shared.

    ``copy`` when both sides share ``COPY_NARRATION_WORDS`` words of narration (in runs of
    ``NARRATION_RUN_WORDS``) and at least ``COPY_MIN_SHARE`` of one body is shared (one is
    mostly the other's story: a paragraph of background an agency reuses in its next story
    is not a copy of that story); else ``common_source`` when at least
    ``COMMON_SOURCE_QUOTED`` of one side's shared words are quoted: the same statement quoted,
    or quoted by one and translated into narration by the other; else ``shared_phrase``
    (wording shared short of either: stock phrases, a reused paragraph).

    Examples
    --------
    >>> pair_relation(38, 0.52, 0.6), pair_relation(0, 0.79), pair_relation(9, 0.0), pair_relation(45, 0.1, 0.15)
    ('copy', 'common_source', 'shared_phrase', 'shared_phrase')
    """
    if narration_words >= COPY_NARRATION_WORDS and shared >= COPY_MIN_SHARE:
        return "copy"
    return "common_source" if quoted_share >= COMMON_SOURCE_QUOTED else "shared_phrase"


def _statement_speaker(quotes_a: list[dict], quotes_b: list[dict], passages: Sequence[dict[str, Any]]) -> str:
    """The speaker most of the shared quotations are attributed to ('' when none is named)."""
    found: list[str] = []
    for side, quotes in (("a", quotes_a), ("b", quotes_b)):
        for passage in passages:
            found += [
                q["speaker"] or q["attributed_to"]
                for q in quotes
                if q["start"] < passage[f"{side}_end"]
                and passage[f"{side}_start"] < q["end"]
                and (q["speaker"] or q["attributed_to"])
            ]
    return pd.Series(found, dtype=object).value_counts().index[0] if found else ""


def text_reuse(
    articles: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    min_shingles: int = MIN_SHINGLES,
    max_articles_per_shingle: int = MAX_ARTICLES_PER_SHINGLE,
    max_gap: int = MAX_GAP,
    min_words: int = MIN_WORDS,
    min_density: float = MIN_DENSITY,
    candidates: pd.DataFrame | None = None,
    progress: Progress = no_progress,
) -> pd.DataFrame:
    """Every pair of articles that share aligned passages, with the passages.

    Parameters
    ----------
    articles : DataFrame
        Article table (``id``, ``outlet``, ``published``, ``body``).
    reference : DataFrame, optional
        Article table of reference wire stories; pairs are then also sought between each
        article and the reference (never within the reference), with the reference as
        ``article_b`` and the source.
    min_shingles, max_articles_per_shingle : int
        Candidate pairs, see :func:`candidate_pairs`.
    max_gap, min_words, min_density
        Passages, see the module docstring and :func:`align`.
    candidates : DataFrame, optional
        Candidate pairs already found (``article_a``, ``article_b`` ids), e.g. on Dask workers
        by ``analysis.engine.reuse_candidate_pairs``; only these pairs are aligned. Not with
        ``reference``.
    progress : callable, default=no_progress
        Passed the loop over candidate pairs (their alignment is the long step), as ``tqdm``
        is (see :class:`analysis.options.Progress`).

    Returns
    -------
    DataFrame
        One row per pair with at least one passage, the earlier-published article as
        ``article_a`` (then by id):

        - ``article_a``, ``article_b`` : str, article ids
        - ``outlet_a``, ``outlet_b`` : str
        - ``published_a``, ``published_b`` : datetime
        - ``shared_a``, ``shared_b`` : float, share of each body's words inside passages
        - ``words_a``, ``words_b`` : int, words of each body inside passages
        - ``direction`` : ``a_to_b`` (a is the likely source), ``b_to_a`` or ``unknown``
        - ``basis`` : what shows the direction: ``date``, ``completeness``, ``reference`` or ""
        - ``source`` : id of the likely source article, or None
        - ``kind`` : the strongest rewriting among the passages: paraphrase > edited > exact
        - ``relation`` : ``copy`` (copied narration), ``common_source`` (only the same quoted
          or translated statement is shared) or ``shared_phrase``: see :func:`pair_relation`
        - ``speaker`` : for a common source, the speaker of the shared quotations ('' otherwise)
        - ``quoted_share`` : float, share of the shared words inside quotations (the larger side's)
        - ``n_passages`` : int
        - ``passages`` : list of dict, see :func:`align` (``a_start``, ``a_end``, ``b_start``,
          ``b_end``, ``kind``, ``a_text``, ``b_text``, ``changes``, ...)
    """
    for column in ("id", "outlet", "published", "body"):
        if column not in articles.columns:
            raise ProvenanceError(f"articles: no {column!r} column; pass the article table from analysis.corpus")
    table = articles[["id", "outlet", "published", "body"]].assign(_reference=False)
    if reference is not None and len(reference):
        table = pd.concat([table, reference[["id", "outlet", "published", "body"]].assign(_reference=True)])
    # Earlier first, so that article_a is the earlier article of every pair.
    table = table.assign(id=table["id"].astype(str)).sort_values(["_reference", "published", "id"], ignore_index=True)
    words = article_words(table)
    is_reference = table["_reference"].to_numpy()
    if candidates is None:
        pairs = candidate_pairs(
            words,
            min_shingles=min_shingles,
            max_articles_per_shingle=max_articles_per_shingle,
            allowed=~is_reference,
        )
    elif reference is not None and len(reference):
        raise ProvenanceError("candidates: pairs found elsewhere cannot include the reference; pass one or the other")
    else:
        pairs = _pairs_by_position(candidates, table["id"])
    ids = table["id"].to_numpy()
    pairs = pairs[ids[pairs["i"]] != ids[pairs["j"]]]  # an article also in the reference is not its own copy
    bodies = table["body"].fillna("").astype(str).tolist()
    quoted: dict[int, np.ndarray] = {}
    quotes: dict[int, list[dict]] = {}
    actors = load_actors()
    rows = []
    for i, j in progress(zip(pairs["i"].to_numpy(), pairs["j"].to_numpy(), strict=True), desc="aligning pairs", total=len(pairs)):
        passages = align(
            words[i],
            words[j],
            text_a=bodies[i],
            text_b=bodies[j],
            max_gap=max_gap,
            min_words=min_words,
            min_density=min_density,
        )
        if not passages:
            continue
        words_a = sum(p["words_a"] for p in passages)
        words_b = sum(p["words_b"] for p in passages)
        direction, basis = pair_direction(
            table.at[i, "published"], table.at[j, "published"], words_a, words_b, b_is_reference=bool(is_reference[j])
        )
        source = {"a_to_b": table.at[i, "id"], "b_to_a": table.at[j, "id"]}.get(direction)
        for k in (i, j):
            if k not in quoted:
                quoted[k] = quoted_words(words[k], bodies[k])
        narration_a, quoted_a = _voice_of_passages(words[i], quoted[i], [(p["a_start"], p["a_end"]) for p in passages])
        narration_b, quoted_b = _voice_of_passages(words[j], quoted[j], [(p["b_start"], p["b_end"]) for p in passages])
        quoted_share = round(max(quoted_a, quoted_b), 2)
        shared_a, shared_b = words_a / max(len(words[i].keys), 1), words_b / max(len(words[j].keys), 1)
        relation = pair_relation(min(narration_a, narration_b), quoted_share, max(shared_a, shared_b))
        speaker = ""
        if relation == "common_source":
            for k in (i, j):
                if k not in quotes:
                    quotes[k] = article_quotes(bodies[k], actors=actors)
            speaker = _statement_speaker(quotes[i], quotes[j], passages)
        rows.append(
            {
                "article_a": table.at[i, "id"],
                "article_b": table.at[j, "id"],
                "outlet_a": table.at[i, "outlet"],
                "outlet_b": table.at[j, "outlet"],
                "published_a": table.at[i, "published"],
                "published_b": table.at[j, "published"],
                "shared_a": shared_a,
                "shared_b": shared_b,
                "words_a": words_a,
                "words_b": words_b,
                "direction": direction,
                "basis": basis,
                "source": source,
                "kind": _pair_kind(passages),
                "relation": relation,
                "speaker": speaker,
                "quoted_share": quoted_share,
                "n_passages": len(passages),
                "passages": passages,
            }
        )
    result = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return result.sort_values(["article_a", "article_b"], ignore_index=True) if len(result) else result


def copy_families(pairs: pd.DataFrame, articles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Articles that are copies of one story: the ``copy`` pairs of :func:`text_reuse`, joined transitively.

    The likely original of a family is the article whose outlet the other members' bodies
    credit most ("MOSCOW (UrduPoint News / Sputnik)"; with ``articles``, the article table),
    then the one that is the likely source of the most of its copy pairs (less those it
    took), then the earliest published, then the longest. Common-source and shared-phrase
    pairs never join a family.

    Returns
    -------
    DataFrame
        One row per member, families largest first (then by earliest member):

        - ``family`` : ``F1``, ``F2``, ...
        - ``article_id``, ``outlet``, ``published``
        - ``role`` : ``original`` (the likely original) or ``copy``
        - ``share`` : share of the member's words found in the original (through the pair with
          it; for a copy aligned only with other copies, its largest share); NaN for the original
        - ``change`` : how the copy differs from the original (``exact``, ``edited``,
          ``paraphrase``, the kind of its pair with it); '' for the original
        - ``members`` : articles in the family
        - ``original`` : id of the family's likely original
    """
    copies = pairs[pairs["relation"] == "copy"] if "relation" in pairs.columns else pairs
    parent: dict[str, str] = {}

    def root(article: str) -> str:
        while parent.setdefault(article, article) != article:
            parent[article] = parent[parent[article]]
            article = parent[article]
        return article

    info: dict[str, dict[str, Any]] = {}
    score: dict[str, int] = {}
    for pair in copies.to_dict("records"):
        parent[root(pair["article_a"])] = root(pair["article_b"])
        for side in ("a", "b"):
            article = pair[f"article_{side}"]
            words = pair[f"words_{side}"] / pair[f"shared_{side}"] if pair[f"shared_{side}"] else 0
            info[article] = {"outlet": pair[f"outlet_{side}"], "published": pair[f"published_{side}"], "words": words}
            score.setdefault(article, 0)
        if isinstance(pair["source"], str):
            taker = pair["article_b"] if pair["source"] == pair["article_a"] else pair["article_a"]
            score[pair["source"]] += 1
            score[taker] -= 1
    groups: dict[str, list[str]] = {}
    for article in info:
        groups.setdefault(root(article), []).append(article)
    by_pair = {(p["article_a"], p["article_b"]): p for p in copies.to_dict("records")}

    def with_original(article: str, original: str) -> tuple[float, str]:
        direct = by_pair.get((article, original)) or by_pair.get((original, article))
        if direct is not None:
            return direct["shared_a" if direct["article_a"] == article else "shared_b"], direct["kind"]
        own = [
            (p["shared_a" if p["article_a"] == article else "shared_b"], p["kind"]) for k, p in by_pair.items() if article in k
        ]
        return max(own)

    def first_day(members: list[str]) -> pd.Timestamp:
        days = [pd.Timestamp(info[m]["published"]) for m in members]
        return min((d for d in days if pd.notna(d)), default=pd.Timestamp.max)

    bodies = dict(zip(articles["id"].astype(str), articles["body"].fillna(""), strict=True)) if articles is not None else {}

    def credits(article: str, members: list[str]) -> int:
        name = re.compile(rf"(?<!\w){re.escape(str(info[article]['outlet']))}(?!\w)")
        return sum(bool(name.search(bodies.get(m, ""))) for m in members if m != article)

    rows = []
    ordered = sorted(groups.values(), key=lambda m: (-len(m), first_day(m), min(m)))
    for number, members in enumerate(ordered, start=1):
        original = min(members, key=lambda m: (-credits(m, members), -score[m], first_day([m]), -info[m]["words"], m))
        for article in sorted(members, key=lambda m: (m != original, first_day([m]), m)):
            share, change = (np.nan, "") if article == original else with_original(article, original)
            rows.append(
                {
                    "family": f"F{number}",
                    "article_id": article,
                    "outlet": info[article]["outlet"],
                    "published": info[article]["published"],
                    "role": "original" if article == original else "copy",
                    "share": share,
                    "change": change,
                    "members": len(members),
                    "original": original,
                }
            )
    return pd.DataFrame(rows, columns=FAMILY_COLUMNS)


def provenance_summary(pairs: pd.DataFrame, families: pd.DataFrame, *, articles: int) -> str:
    """One line: how many articles share text, as copies in how many families, and how many only a common source."""
    relations = pairs["relation"].value_counts() if len(pairs) else pd.Series(dtype=int)
    return (
        f"{articles:,} articles; {len(pairs):,} pairs share text: {relations.get('copy', 0):,} copy pairs in "
        f"{families['family'].nunique():,} families ({len(families):,} articles), {relations.get('common_source', 0):,} "
        f"pairs only quote or translate the same statement (common source), {relations.get('shared_phrase', 0):,} share "
        "a stock phrase"
    )


def family_sentences(families: pd.DataFrame) -> list[str]:
    """One plain sentence per copy family: "F1: these 3 articles are one ABC News story (011_…), copied by …".

    Examples
    --------
    >>> families = pd.DataFrame({"family": ["F1", "F1"], "article_id": ["w", "c"], "outlet": ["Newswire", "Gazette"],
    ...     "role": ["original", "copy"], "share": [float("nan"), 0.9], "change": ["", "edited"]})
    >>> family_sentences(families)
    ['F1: these 2 articles are one Newswire story (w, the likely original), copied by Gazette (90%, edited).']
    """
    sentences = []
    for family, members in families.groupby("family", sort=False):
        original = members[members["role"] == "original"].iloc[0]
        copies = members[members["role"] == "copy"]
        copied_by = ", ".join(f"{c.outlet} ({c.share:.0%}, {c.change})" for c in copies.itertuples())
        sentences.append(
            f"{family}: these {len(members)} articles are one {original['outlet']} story ({original['article_id']}, "
            f"the likely original), copied by {copied_by}."
        )
    return sentences


# ---------------------------------------------------------------------------
# Candidate pairs on either engine: shingles per partition, joined on the workers
# ---------------------------------------------------------------------------


def shingle_rows(articles: pd.DataFrame, *, shingle_words: int | None = None) -> pd.DataFrame:
    """The distinct word shingles of each article, as provenance counts them (a map step).

    Words and their alignment keys are those of :func:`article_words` (stems, spelling
    variants and synonyms mapped to one key); a shingle is a hash of ``shingle_words``
    consecutive keys. Keys are hashed from their text (pandas' fixed-key SipHash), not numbered
    per call as ``article_words`` does, so that every partition hashes alike.

    Returns
    -------
    DataFrame
        ``article_id``, ``shingle`` (uint64); one row per article and distinct shingle.
    """
    size = shingle_words or SHINGLE_WORDS
    words = article_words(articles)
    surfaces = [s for article in words for s in article.surface]
    codes, uniques = pd.factorize(pd.Series(surfaces, dtype=object)) if surfaces else (np.zeros(0, np.int64), [])
    key_hashes = pd.util.hash_array(np.array([alignment_key(u) for u in uniques], dtype=object))
    hashes = key_hashes[codes] if len(codes) else np.zeros(0, dtype=np.uint64)
    ids, shingles, offset = [], [], 0
    for article in words:
        keys = hashes[offset : offset + len(article.surface)]
        offset += len(article.surface)
        if len(keys) < size:
            continue
        distinct = np.unique(shingle_hashes(keys, size))
        shingles.append(distinct)
        ids.append(np.full(len(distinct), article.article_id, dtype=object))
    return pd.DataFrame(
        {
            "article_id": pd.array(np.concatenate(ids) if ids else [], dtype="str"),
            "shingle": np.concatenate(shingles) if shingles else np.zeros(0, dtype=np.uint64),
        }
    )


def _pairs_sharing_shingles(rows: Any, *, min_shingles: int, max_articles_per_shingle: int) -> Any:
    """Pairs sharing ``min_shingles`` shingles, from shingle rows (pandas or dask DataFrame alike)."""
    frequency = rows.groupby("shingle")["article_id"].count().rename("articles").reset_index()
    frequency = frequency[(frequency["articles"] >= 2) & (frequency["articles"] <= max_articles_per_shingle)]
    kept = rows.merge(frequency[["shingle"]], on="shingle")
    pairs = kept.merge(kept, on="shingle", suffixes=("_a", "_b"))
    pairs = pairs[pairs["article_id_a"] < pairs["article_id_b"]]
    shared = pairs.groupby(["article_id_a", "article_id_b"]).size().rename("shared").reset_index()
    return shared[shared["shared"] >= min_shingles]


def reuse_candidate_pairs(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    min_shingles: int | None = None,
    max_articles_per_shingle: int | None = None,
    shingle_words: int | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
) -> pd.DataFrame:
    """The candidate-pair step of :func:`text_reuse`, on either engine.

    Pairs of articles sharing at least ``min_shingles`` word shingles, shingles found in more
    than ``max_articles_per_shingle`` articles skipped as boilerplate (provenance's defaults:
    4-word shingles, 3 shared, 500 articles). With ``dask`` the shingles are computed per
    partition (:func:`shingle_rows`) and joined on the workers (a shuffle by shingle), so no
    process holds the articles × shingles matrix; only the pairs reach the client.

    Returns
    -------
    DataFrame
        ``article_a``, ``article_b`` (ids, ``article_a`` < ``article_b``), ``shared``
        (shingles in common); sorted by ``article_a``, ``article_b``. The same pairs and counts
        as :func:`candidate_pairs` (which numbers articles by position).
    """
    options = {
        "min_shingles": min_shingles or MIN_SHINGLES,
        "max_articles_per_shingle": max_articles_per_shingle or MAX_ARTICLES_PER_SHINGLE,
    }
    check_engine(engine)
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        shared = _pairs_sharing_shingles(shingle_rows(articles, shingle_words=shingle_words), **options)
    else:
        import dask.dataframe as dd

        with client_for("dask", scheduler=scheduler, client=client) as client:
            parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=workers_of(client))
            meta = pd.DataFrame({"article_id": pd.array([], dtype="str"), "shingle": np.zeros(0, dtype=np.uint64)})
            rows = dd.from_map(_shingles_of_partition, parts, shingle_words=shingle_words, meta=meta, enforce_metadata=False)
            shared = client.compute(_pairs_sharing_shingles(rows, **options)).result()
    shared = shared.rename(columns={"article_id_a": "article_a", "article_id_b": "article_b"})
    shared = shared.astype({"article_a": "str", "article_b": "str", "shared": np.int64})
    return shared.sort_values(["article_a", "article_b"], ignore_index=True)[["article_a", "article_b", "shared"]]


def _shingles_of_partition(partition: Partition, shingle_words: int | None) -> pd.DataFrame:
    return shingle_rows(partition.load(["id", "body"]), shingle_words=shingle_words)
