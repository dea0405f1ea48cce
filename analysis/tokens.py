"""Words with character offsets, sentences, and voice: the outlet's narration or words it quotes.

Every count in the project starts from these spans, so that it can be traced back to the
passage it came from.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Initialisms ("U.S.", "U.K.") stay whole; hyphens and apostrophes join word parts
# ("near-fatal", "Kremlin's", "Kremlin’s").
WORD_PATTERN = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W_]+(?:[’'\-][^\W_]+)*")

#: Abbreviations after which Punkt must not end a sentence (lowercase, no final period).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col sgt capt gov sen rep rev st jr sr no vs etc inc corp co ltd "
    "u.s u.k u.n e.u u.s.a jan feb mar apr jun jul aug sep sept oct nov dec "
    "a.m p.m i.e e.g".split()
)

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_NON_SPACE = re.compile(r"\S")
VOICES = ("narration", "quoted")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the words in ``text``.

    Examples
    --------
    >>> [("U.S. near-fatal Kremlin’s"[s:e]) for s, e in word_spans("U.S. near-fatal Kremlin’s")]
    ['U.S.', 'near-fatal', 'Kremlin’s']
    """
    return [m.span() for m in WORD_PATTERN.finditer(text)]


def count_words(text: str) -> int:
    """Number of word tokens in ``text``."""
    return sum(1 for _ in WORD_PATTERN.finditer(text))


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the blank-line separated paragraphs of ``text``."""
    spans, start = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if _NON_SPACE.search(text, s, e)]


@lru_cache(maxsize=1)
def punkt_tokenizer():
    """NLTK's Punkt with :data:`ABBREVIATIONS` (no trained model, nothing downloaded)."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    parameters = PunktParameters()
    parameters.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(parameters)


# A candidate end: terminal punctuation (not an ellipsis), closing quotes or brackets, then
# space. Punkt's rule decides the candidates: no break after an abbreviation or an initial.
# The space after it is captured: where the next sentence starts. Written to start with a
# character class ("!?" runs, or a lone period) so that the regex engine skips ahead fast.
_SENTENCE_END = re.compile(r"[.!?](?:(?<=[!?])[!?]*|(?<!\.\.)(?!\.))[”\"’)\]]*(\s+)(?=\S)")


def _ends_abbreviation(text: str, period: int) -> bool:
    """Whether the period at ``period`` ends an abbreviation or an initial ("Mr.", "U.S.", "J.").

    The word is the run of non-space characters before the period (up to 19), without
    opening quotes or brackets.
    """
    window = text[max(0, period - 19) : period]
    if not window or window[-1].isspace():
        return False
    word = window.rsplit(None, 1)[-1].lstrip('“"‘([').lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _fast_sentence_spans(text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Punkt's decision as one regular-expression pass over the whole text, merged in numpy."""
    if not paragraphs:
        return []
    found = [(match.start(), *match.span(1)) for match in _SENTENCE_END.finditer(text)]
    marks, ends, next_starts = np.array(found, dtype=np.int64).reshape(-1, 3).T
    paragraph_starts, paragraph_ends = np.array(paragraphs, dtype=np.int64).T
    paragraph = np.clip(np.searchsorted(paragraph_starts, ends, side="right") - 1, 0, None)
    inside = next_starts < paragraph_ends[paragraph]  # a paragraph's end is a break anyway
    for i in np.flatnonzero(inside).tolist():
        if text[marks[i]] == "." and _ends_abbreviation(text, int(marks[i])):
            inside[i] = False
    starts = np.sort(np.concatenate([paragraph_starts, next_starts[inside]]))
    ends = np.sort(np.concatenate([paragraph_ends, ends[inside]]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def sentence_spans(
    text: str, *, method: Literal["fast", "punkt"] = "fast", paragraphs: list[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """Offsets of the sentences of ``text``; a paragraph break always ends one.

    Both methods apply Punkt's decision with :data:`ABBREVIATIONS`, so "Mr. Putin",
    "U.S. officials" and "Feb. 5" stay inside their sentence. ``"punkt"`` runs NLTK's
    PunktSentenceTokenizer; ``"fast"`` (the default) applies the same rule with one
    regular expression over the whole text, about ten times faster; the tests check that both
    agree on the seeds.
    ``paragraphs`` takes ``paragraph_spans(text)`` when already computed.

    Examples
    --------
    >>> text = "Mr. Putin met U.S. officials on Feb. 5. Then he left.\\n\\nA new one."
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['Mr. Putin met U.S. officials on Feb. 5.', 'Then he left.', 'A new one.']
    >>> sentence_spans(text) == sentence_spans(text, method="punkt")
    True
    """
    if method not in ("fast", "punkt"):
        raise ValueError(f"sentence_spans: method must be 'fast' or 'punkt', got {method!r}")
    paragraphs = paragraph_spans(text) if paragraphs is None else paragraphs
    if method == "fast":
        return _fast_sentence_spans(text, paragraphs)
    punkt = punkt_tokenizer()
    return [(p + s, p + e) for p, end in paragraphs for s, e in punkt.span_tokenize(text[p:end])]


# ---------------------------------------------------------------------------
# Quotations
# ---------------------------------------------------------------------------


class QuoteSpan(NamedTuple):
    """One quotation: ``text[start:end]`` includes its marks (no closing mark when unclosed)."""

    start: int
    end: int
    quote_id: int
    closed: bool
    depth: int


_MARKS = re.compile(r"[“”\"‘’']")
_OPENERS = " \n\t([{—–-/“‘"


def _is_opening(text: str, i: int) -> bool:
    return i == 0 or text[i - 1] in _OPENERS


def _paragraph_quotes(
    text: str, start: int, end: int, double_open: int | None = None
) -> tuple[list[tuple[int, int, bool, int]], int | None]:
    """Quotes closed inside ``text[start:end]``, and where a double quote is left open (or None).

    ``double_open`` is the offset of a double quote carried over from a previous paragraph.
    """
    found: list[tuple[int, int, bool, int]] = []
    single_open: int | None = None
    for match in _MARKS.finditer(text, start, end):
        i, mark = match.start(), match.group()
        if mark in '“”"':
            opening = mark == "“" or (mark == '"' and _is_opening(text, i))
            if double_open is None and opening:
                double_open, single_open = i, None
            elif double_open is not None and not opening:
                found.append((double_open, i + 1, True, 0))
                double_open, single_open = None, None
        else:
            if 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
                continue  # an apostrophe: Russia’s, don’t
            opening = mark == "‘" or (mark == "'" and _is_opening(text, i))
            if single_open is None and opening:
                single_open = i
            elif single_open is not None and not opening:
                found.append((single_open, i + 1, True, 1 if double_open is not None else 0))
                single_open = None
    return found, double_open


def quote_spans(text: str, *, paragraphs: list[tuple[int, int]] | None = None) -> list[QuoteSpan]:
    """Find the quotations in ``text``.

    Double quotes, curly or straight (direction from context), are quotations. A
    paragraph that opens a double quote without closing it continues into the next
    paragraph when that one opens with a quote mark (the newspaper convention for
    multi-paragraph quotes); otherwise the quote ends with its paragraph
    (``closed=False``). Single quotes are quotations when they open and close within a
    paragraph (depth 1 inside a double quote); a ’ between letters is an apostrophe.
    ``paragraphs`` takes ``paragraph_spans(text)`` when already computed.

    Examples
    --------
    >>> text = "He said “it’s ‘absurd’ and wrong,” adding “no.\\n\\nNext."
    >>> [(text[q.start:q.end], q.closed, q.depth) for q in quote_spans(text)]
    [('“it’s ‘absurd’ and wrong,”', True, 0), ('‘absurd’', True, 1), ('“no.', False, 0)]
    >>> text = "“We will talk.\\n\\n“But not now,” he said."
    >>> [(q.start, q.end, q.closed) for q in quote_spans(text)]
    [(0, 30, True)]
    """
    spans: list[tuple[int, int, bool, int]] = []
    carried: int | None = None  # a double quote left open by the previous paragraph
    carried_end = 0
    for p_start, p_end in paragraph_spans(text) if paragraphs is None else paragraphs:
        scan_from, initial = p_start, None
        if carried is not None:
            if text[p_start] in '“"':
                scan_from, initial = p_start + 1, carried
            else:
                spans.append((carried, carried_end, False, 0))
        found, carried = _paragraph_quotes(text, scan_from, p_end, initial)
        spans.extend(found)
        carried_end = p_end
    if carried is not None:
        spans.append((carried, carried_end, False, 0))
    spans.sort(key=lambda q: (q[0], q[3]))
    return [QuoteSpan(start, end, i, closed, depth) for i, (start, end, closed, depth) in enumerate(spans)]


# ---------------------------------------------------------------------------
# The token table
# ---------------------------------------------------------------------------

TOKEN_COLUMNS = ("article_id", "start", "end", "token", "sentence", "paragraph", "voice", "quote_id")

# Texts are joined into one string and scanned once. The break is a paragraph of its own, so
# no word, sentence or quotation crosses from one article into the next.
_ARTICLE_BREAK = "\n\n\x00\n\n"
# WORD_PATTERN for Arrow's RE2 on lowercased text (’ already written '): RE2's \w is ASCII,
# so letters and digits are spelled as Unicode classes. The tests check both patterns agree.
_WORD_PATTERN_RE2 = r"(?:[A-Za-z]\.){2,}|[\pL\pN]+(?:['\-][\pL\pN]+)*"
# Characters of text joined per scan: bounds the memory of the intermediate strings.
_BATCH_CHARS = 4_000_000


def _lower_keeping_offsets(text: str) -> str:
    """``text`` lowercased with ’ written ', the same length so offsets still hold."""
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowercases to "i" and a combining dot: keep the "i"
        lowered = text.replace("İ", "I").lower()
    if len(lowered) != len(text):  # any other such character, one by one
        lowered = "".join(ch.lower()[0] for ch in text)
    return lowered.replace("’", "'")


def _interval_index(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the (sorted, non-overlapping) interval holding each position, or -1."""
    if starts.size == 0:
        return np.full(positions.size, -1, dtype=np.int64)
    idx = np.searchsorted(starts, positions, side="right") - 1
    inside = (idx >= 0) & (positions < ends[np.clip(idx, 0, None)])
    return np.where(inside, idx, -1)


def _numbered_within(positions: np.ndarray, boundaries: list[int], text_starts: np.ndarray, article: np.ndarray):
    """Number of the span (by its start offset) holding each position, counted from 0 per text."""
    starts = np.asarray(boundaries, dtype=np.int64)
    first = np.searchsorted(starts, text_starts, side="left")
    return np.searchsorted(starts, positions, side="right") - 1 - first[article]


def _words(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """Text index, start, end and lowercased form of every word of ``texts``.

    Arrow (C++) marks each word with NUL on both sides and splits there, giving gaps and words
    in turn; their lengths, summed in numpy, are the offsets. No Python object per word.
    """
    lowered = pa.array([_lower_keeping_offsets(text).replace("\x00", " ") for text in texts], type=pa.large_string())
    marked = pc.replace_substring_regex(lowered, pattern=_WORD_PATTERN_RE2, replacement="\x00\\0\x00")
    pieces = pc.split_pattern(marked, pattern="\x00")
    flat = pc.list_flatten(pieces)
    piece_ends = np.cumsum(pc.utf8_length(flat).to_numpy().astype(np.int64))  # texts laid end to end
    owner = pc.list_parent_indices(pieces).to_numpy()
    first_piece = pieces.offsets.to_numpy()[:-1].astype(np.int64)
    is_word = (np.arange(len(flat)) - first_piece[owner]) % 2 == 1  # gap, word, gap, ..., gap
    text_base = np.zeros(len(texts), dtype=np.int64)
    text_base[1:] = np.cumsum([len(text) for text in texts[:-1]])
    words = np.flatnonzero(is_word)
    article = owner[words].astype(np.int64)
    ends = piece_ends[words] - text_base[article]
    return article, ends - (piece_ends[words] - piece_ends[words - 1]), ends, flat.take(pa.array(words))


def _tokenize_batch(texts: list[str]) -> dict[str, np.ndarray]:
    """Columns of the token table for ``texts``; ``article`` indexes ``texts``."""
    joined = _ARTICLE_BREAK.join(texts)
    text_starts = np.zeros(len(texts), dtype=np.int64)
    text_starts[1:] = np.cumsum([len(text) + len(_ARTICLE_BREAK) for text in texts[:-1]])
    article, local_starts, local_ends, tokens = _words(texts)
    starts = local_starts + text_starts[article]  # offsets into ``joined``
    paragraphs = paragraph_spans(joined)
    quotes = quote_spans(joined, paragraphs=paragraphs)
    top = [q for q in quotes if q.depth == 0]
    inside = _interval_index(
        starts, np.array([q.start for q in top], dtype=np.int64), np.array([q.end for q in top], dtype=np.int64)
    )
    quote_number = _numbered_within(starts, [q.start for q in quotes], text_starts, article)
    in_quote = np.array([q.quote_id for q in top] + [-1], dtype=np.int64)[inside] >= 0
    return {
        "article": article,
        "start": local_starts,
        "end": local_ends,
        "token": tokens,
        "sentence": _numbered_within(starts, [s for s, _ in sentence_spans(joined, paragraphs=paragraphs)], text_starts, article),
        "paragraph": _numbered_within(starts, [s for s, _ in paragraphs], text_starts, article),
        "quote_id": np.where(in_quote, quote_number, -1),
    }


def _batches(lengths: list[int]) -> list[slice]:
    """Consecutive slices of texts holding about :data:`_BATCH_CHARS` characters each."""
    edges, total = [0], 0
    for i, length in enumerate(lengths, start=1):
        total += length
        if total >= _BATCH_CHARS:
            edges.append(i)
            total = 0
    if edges[-1] != len(lengths):
        edges.append(len(lengths))
    return [slice(a, b) for a, b in pairwise(edges)]


def tokenize(articles: pd.DataFrame, *, text_column: str = "body") -> pd.DataFrame:
    """The token table of ``articles``: one row per word, with its voice.

    Parameters
    ----------
    articles : DataFrame
        Needs ``id`` and ``text_column``.
    text_column : str, default="body"
        Measures count the body; pass "headline" to analyse headlines apart.

    Returns
    -------
    DataFrame
        ``article_id`` (str), ``start``, ``end`` (offsets into the text), ``token``
        (lowercased word form, ’ written '), ``sentence`` and ``paragraph`` (numbered from
        0 within the article, as :func:`sentence_spans` and :func:`paragraph_spans`),
        ``voice`` ("narration" or "quoted", categorical) and ``quote_id`` (the
        :func:`quote_spans` number of the quotation holding the token, -1 in narration).

    Raises
    ------
    KeyError
        When ``articles`` has no ``id`` or no ``text_column`` column.

    Notes
    -----
    Texts are scanned in batches of a few million characters, each joined into one string:
    one regular-expression pass finds the words and numpy ``searchsorted`` places them in
    sentences, paragraphs and quotations.

    Examples
    --------
    >>> table = tokenize(pd.DataFrame({"id": ["a"], "body": ["Russia’s “reckless” move, alleged."]}))
    >>> table[["token", "voice"]].values.tolist()
    [["russia's", 'narration'], ['reckless', 'quoted'], ['move', 'narration'], ['alleged', 'narration']]
    """
    for column in ("id", text_column):
        if column not in articles.columns:
            raise KeyError(f"tokenize needs an article column {column!r}; the table has {list(articles.columns)}")
    texts = articles[text_column].fillna("").astype(str).tolist()
    parts = []
    for batch in _batches([len(text) for text in texts]):
        part = _tokenize_batch(texts[batch])
        part["article"] += batch.start
        parts.append(part)
    column = {
        key: np.concatenate([p[key] for p in parts]).astype(np.int64, copy=False) if parts else np.array([], dtype=np.int64)
        for key in ("article", "start", "end", "sentence", "paragraph", "quote_id")
    }
    # Arrow strings straight from the batches: no Python object array of every token.
    tokens = pa.chunked_array([p["token"] for p in parts], type=pa.large_string())
    ids = pd.array(articles["id"].astype(str).to_numpy(dtype=object), dtype="str")
    return pd.DataFrame(
        {
            "article_id": ids.take(column["article"]),
            "start": column["start"],
            "end": column["end"],
            "token": pd.array(tokens, dtype="str"),
            "sentence": column["sentence"],
            "paragraph": column["paragraph"],
            "voice": pd.Categorical.from_codes((column["quote_id"] >= 0).astype(np.int8), categories=VOICES),
            "quote_id": column["quote_id"],
        },
        copy=False,  # the arrays are new: no need to copy them into one block
    )
