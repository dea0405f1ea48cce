"""Term counts (the map) and TF-IDF per article and per group, top terms, article similarity.

The map, :func:`term_counts`, turns any set of articles' tokens into per-article counts that
add up across partitions. Every reduce here builds a sparse count matrix from those counts and
hands it to scikit-learn's ``TfidfTransformer`` with its defaults (smoothed IDF, raw term
frequency, l2 norm), so the weights equal ``TfidfVectorizer``'s given the same tokens.

Stop words: :func:`top_terms`, :func:`article_similarity` and keyness drop ``"english"`` by
default: scikit-learn's English list (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``,
318 words) and the reporting verbs of news (:data:`REPORTING_VERBS`: said, told, according…),
which every outlet uses and which would otherwise lead every list. They are dropped before the
weights are computed, as ``TfidfVectorizer(stop_words=[...])`` does with the same list; pass
``stop_words=None`` to keep every word, or a collection of your own
(:func:`read_stop_words` reads one from a file).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer

from analysis import engine as engines
from analysis.cluster import Engine, EngineError, check_engine, client_for
from analysis.corpus import CACHE_KEY_ATTR, CACHE_ROWS_ATTR, load_corpus
from analysis.engine import pool_articles
from analysis.options import VOICE_OPTIONS, Voice, check_voice
from analysis.paths import write_atomic
from analysis.query import filter_articles
from analysis.reuse import own_tokens
from analysis.stats import group_labels, small_sample
from analysis.tokens import tokenize

StopWords = Literal["english"] | Collection[str] | None

COUNT_COLUMNS = ["article_id", "term", "voice", "count"]
TOP_TERM_COLUMNS = ["group", "term", "tfidf", "count", "n_articles", "n_tokens", "small_sample"]


class CountMatrix(NamedTuple):
    """A sparse count matrix with its labels: ``matrix[i, j]`` counts ``terms[j]`` in ``rows[i]``."""

    matrix: sp.csr_matrix
    rows: np.ndarray
    terms: np.ndarray


#: Verbs and phrases of attribution: every news outlet's most frequent content words.
REPORTING_VERBS = frozenset(
    "said says saying say told tells telling tell added adding adds stated states noted notes "
    "according reported reportedly asked asks claimed claims".split()
)
ENGLISH_NEWS_STOP_WORDS = ENGLISH_STOP_WORDS | REPORTING_VERBS


def stop_word_set(stop_words: StopWords) -> frozenset[str]:
    """The words ``stop_words`` names: ``"english"`` (scikit-learn's list and :data:`REPORTING_VERBS`),
    a given collection, or none."""
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ValueError(f"stop_words must be 'english', a collection of words or None, not {stop_words!r}")
        return ENGLISH_NEWS_STOP_WORDS
    return frozenset(stop_words)


def stop_words_option(value: str) -> StopWords:
    """What a ``--stop-words`` option or a notebook's ``stop_words`` parameter names:
    ``"english"``, ``"none"`` (None), or a file read by :func:`read_stop_words`."""
    if value in ("english", "none"):
        return None if value == "none" else "english"
    return read_stop_words(value)


def read_stop_words(path: str | os.PathLike[str]) -> frozenset[str]:
    """Stop words from a text file: one word per line (or several, separated by spaces); ``#`` starts a comment.

    Raises
    ------
    ValueError
        The file is not text or holds no word.
    """
    from analysis.paths import read_text

    words = frozenset(word.casefold() for line in read_text(path).splitlines() for word in line.split("#", 1)[0].split())
    if not words:
        raise ValueError(f"{path}: no stop words in the file; write one word per line")
    return words


def term_counts(tokens: pd.DataFrame, *, voice: Voice = "all") -> pd.DataFrame:
    """How often each word occurs in each article (the map step).

    Parameters
    ----------
    tokens : DataFrame
        The token table of ``analysis.tokens.tokenize`` (``article_id``, ``token``, ``voice``).
    voice : {"all", "narration", "quoted"}, default="all"
        Count every word, only the outlet's own narration, or only words inside quotations.

    Returns
    -------
    DataFrame
        One row per article and distinct word, articles in the order they first appear in
        ``tokens``, words in alphabetical order within an article:

        - ``article_id`` : str
        - ``term`` : the lowercased word form (the token)
        - ``voice`` : the ``voice`` asked for (categorical: all, narration, quoted)
        - ``count`` : int64, occurrences of ``term`` in that voice of the article

        Counts of disjoint sets of articles concatenate into the counts of their union.

    Examples
    --------
    >>> tokens = pd.DataFrame({"article_id": ["a", "a", "a", "b"], "token": ["war", "peace", "war", "war"],
    ...                        "voice": ["narration", "quoted", "narration", "quoted"]})
    >>> term_counts(tokens).values.tolist()
    [['a', 'peace', 'all', 1], ['a', 'war', 'all', 2], ['b', 'war', 'all', 1]]
    >>> term_counts(tokens, voice="quoted")[["article_id", "term", "count"]].values.tolist()
    [['a', 'peace', 1], ['b', 'war', 1]]
    """
    check_voice(voice)
    if voice != "all":
        tokens = tokens[(tokens["voice"] == voice).to_numpy()]
    # Factorizing the columns themselves (Arrow strings) makes no Python string per token.
    article_codes, article_ids = pd.factorize(tokens["article_id"])
    term_codes, terms = pd.factorize(tokens["token"], sort=True)
    width = max(len(terms), 1)
    # One int64 key per (article, word); sorted unique keys order rows by article, then word.
    keys, counts = np.unique(article_codes.astype(np.int64) * width + term_codes, return_counts=True)
    return pd.DataFrame(
        {
            "article_id": pd.Index(article_ids).take(keys // width).astype("str").array,
            "term": pd.Index(terms).take(keys % width).astype("str").array,
            "voice": pd.Categorical.from_codes(np.full(len(keys), VOICE_OPTIONS.index(voice)), categories=VOICE_OPTIONS),
            "count": counts.astype(np.int64),
        },
        columns=COUNT_COLUMNS,
    )


def _counts_of(tokens_or_counts: Counted, voice: Voice) -> pd.DataFrame:
    """Term counts in ``voice``, from a token table or from :func:`term_counts` output."""
    check_voice(voice)
    if "count" not in tokens_or_counts.columns:
        return term_counts(tokens_or_counts, voice=voice)
    counts = tokens_or_counts
    if "voice" in counts.columns:
        present = {str(v) for v in pd.unique(counts["voice"])}
        if voice not in present and len(counts):
            raise ValueError(
                f"the term counts are for voice {', '.join(sorted(present))}, not {voice!r}: "
                f"count them with term_counts(tokens, voice={voice!r})"
            )
        counts = counts[(counts["voice"] == voice).to_numpy()]
    return counts


Counted = pd.DataFrame | CountMatrix


def matrix_of(
    data: Counted, *, voice: Voice = "all", rows: Sequence[str] | None = None, stop_words: StopWords = None
) -> CountMatrix:
    """The count matrix of a token table, of :func:`term_counts` output, or of a CountMatrix.

    A :class:`CountMatrix` (e.g. from :func:`stack_count_matrices` over partitions) is taken
    as counted in ``voice``; its stop-word columns are dropped and its rows put in ``rows``
    order (ids it lacks get empty rows).
    """
    if not isinstance(data, CountMatrix):
        return count_matrix(_counts_of(data, voice), rows=rows, stop_words=stop_words)
    check_voice(voice)
    stop = stop_word_set(stop_words)
    columns = np.flatnonzero(~np.isin(data.terms, list(stop))) if stop else np.arange(len(data.terms))
    matrix = data.matrix.tocsr()[:, columns]
    row_ids = data.rows
    if rows is not None:
        row_ids = np.asarray([str(r) for r in rows], dtype=object)
        position = pd.Index(data.rows).get_indexer(row_ids)
        picker = sp.csr_matrix(
            (np.ones(int((position >= 0).sum())), (np.flatnonzero(position >= 0), position[position >= 0])),
            shape=(len(row_ids), len(data.rows)),
        )
        matrix = (picker @ matrix).astype(np.int64)
    return CountMatrix(sp.csr_matrix(matrix), row_ids, data.terms[columns])


def stack_count_matrices(parts: Sequence[CountMatrix]) -> CountMatrix:
    """One count matrix from the matrices of disjoint sets of articles (the reduce of a map).

    Rows follow the parts' order; the vocabulary is the sorted union of theirs.

    Examples
    --------
    >>> first = CountMatrix(sp.csr_matrix([[1, 2]]), np.array(["a"], dtype=object), np.array(["peace", "war"], dtype=object))
    >>> second = CountMatrix(sp.csr_matrix([[3, 1]]), np.array(["b"], dtype=object), np.array(["talks", "war"], dtype=object))
    >>> both = stack_count_matrices([first, second])
    >>> list(both.terms), both.matrix.toarray().tolist()
    (['peace', 'talks', 'war'], [[1, 0, 2], [0, 3, 1]])
    """
    if not parts:
        return CountMatrix(sp.csr_matrix((0, 0), dtype=np.int64), np.array([], dtype=object), np.array([], dtype=object))
    terms = np.unique(np.concatenate([part.terms for part in parts]).astype(str)).astype(object)
    blocks = []
    for part in parts:
        coo = part.matrix.tocoo()
        columns = np.searchsorted(terms, part.terms.astype(str))[coo.col]
        blocks.append(sp.csr_matrix((coo.data, (coo.row, columns)), shape=(part.matrix.shape[0], len(terms))))
    return CountMatrix(sp.vstack(blocks, format="csr"), np.concatenate([part.rows for part in parts]), terms)


def count_matrix(counts: pd.DataFrame, *, rows: Sequence[str] | None = None, stop_words: StopWords = None) -> CountMatrix:
    """The articles × words count matrix of :func:`term_counts` output (sparse).

    Parameters
    ----------
    counts : DataFrame
        ``article_id``, ``term``, ``count`` (one voice).
    rows : sequence of str, optional
        Article ids, in the order wanted; articles without words get an empty row and
        counts of other articles are left out. Default: the articles of ``counts``, in order.
    stop_words : "english", collection of str or None, default=None
        Words to leave out of the matrix.

    Returns
    -------
    CountMatrix
        ``matrix`` (CSR, int64), ``rows`` (article ids), ``terms`` (sorted, as scikit-learn's
        vocabulary is).
    """
    stop = stop_word_set(stop_words)
    if stop:
        counts = counts[~counts["term"].isin(list(stop)).to_numpy()]
    article_codes, article_ids = pd.factorize(counts["article_id"])
    article_ids = np.asarray(article_ids.astype(str), dtype=object)
    row_ids = article_ids if rows is None else np.asarray([str(r) for r in rows], dtype=object)
    # Map the distinct ids (few) to rows, then every count through its id's code (many).
    row_codes = pd.Index(row_ids).get_indexer(article_ids)[article_codes] if len(counts) else article_codes
    kept = row_codes >= 0
    term_codes, terms = pd.factorize(counts["term"][kept], sort=True)
    matrix = sp.csr_matrix(
        (counts["count"].to_numpy()[kept].astype(np.int64), (row_codes[kept], term_codes)),
        shape=(len(row_ids), len(terms)),
    )
    matrix.sum_duplicates()
    return CountMatrix(matrix, row_ids, np.asarray(terms.astype(str), dtype=object))


def group_matrix(articles: pd.DataFrame, by: str, rows: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Groups × articles indicator matrix: multiply a count matrix by it to sum counts per group.

    Returns
    -------
    indicator : scipy.sparse.csr_matrix
        ``indicator[g, a] = 1`` when article ``rows[a]`` belongs to group ``g``.
    groups : numpy.ndarray
        Group labels (values of ``by``, sorted; ``(missing)`` for articles without one).

    Raises
    ------
    KeyError
        ``by`` is not an article column (the message lists the columns).
    """
    labels = group_labels(articles, by)
    labels = labels[~labels.index.duplicated()]
    group_of_row = labels.reindex(rows).fillna("(missing)").to_numpy(dtype=object)
    codes, groups = pd.factorize(group_of_row, sort=True)
    indicator = sp.csr_matrix((np.ones(len(rows)), (codes, np.arange(len(rows)))), shape=(len(groups), len(rows)))
    return indicator, np.asarray(groups, dtype=object)


def tfidf_weights(matrix: sp.spmatrix) -> sp.csr_matrix:
    """TF-IDF of a documents × words count matrix, exactly as ``TfidfVectorizer`` with its defaults.

    IDF is ``ln((1 + n) / (1 + df)) + 1`` over the ``n`` rows, each row scaled to unit length.
    """
    return TfidfTransformer().fit_transform(matrix).tocsr()


def top_terms(
    tokens_or_counts: Counted,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    top: int | None = 20,
    voice: Voice = "all",
    stop_words: StopWords = "english",
) -> pd.DataFrame:
    """The words with the highest TF-IDF in each group (outlet by default).

    A group is one document: the concatenation of its articles' words. IDF is computed over
    the groups, so a word every outlet uses weighs least and a word only one outlet uses
    weighs most. (Averaging per-article weights instead would favour outlets with short
    articles; concatenation weighs each word by how often the group uses it.)

    Parameters
    ----------
    tokens_or_counts : DataFrame or CountMatrix
        The token table, :func:`term_counts` output for ``voice``, or a :class:`CountMatrix`
        of articles (e.g. :func:`stack_count_matrices` of partitions' matrices).
    articles : DataFrame
        The article table: ``id`` and the ``by`` column.
    by : str, default="outlet"
        Any article column (``outlet``, ``ownership``, ``country``, ``event``...).
    top : int or None, default=20
        Words per group; None for all.
    voice : {"all", "narration", "quoted"}, default="all"
    stop_words : "english", collection of str or None, default="english"
        scikit-learn's English stop-word list by default.

    Returns
    -------
    DataFrame
        Per group, words by decreasing TF-IDF (ties alphabetical):

        - ``group`` : value of ``by``
        - ``term`` : the word
        - ``tfidf`` : the word's weight in the group's document (l2-normalised, 0 to 1)
        - ``count`` : occurrences in the group, in ``voice``
        - ``n_articles`` : articles in the group
        - ``n_tokens`` : words in the group in ``voice``, stop words included
        - ``small_sample`` : the group has too few articles or words to stand for the outlet
          (``analysis.stats.small_sample``)

    Raises
    ------
    KeyError
        ``by`` is not an article column.
    ValueError
        ``top`` is below 1, or ``voice`` or ``stop_words`` is not an option.
    """
    if top is not None and top < 1:
        raise ValueError(f"top must be 1 or more (or None for every word), not {top}")
    everything = matrix_of(tokens_or_counts, voice=voice, rows=articles["id"].astype(str).tolist())
    indicator, groups = group_matrix(articles, by, everything.rows)
    n_tokens = np.asarray(indicator @ everything.matrix.sum(axis=1)).ravel().astype(np.int64)
    n_articles = np.asarray(indicator.sum(axis=1)).ravel().astype(np.int64)
    stop = stop_word_set(stop_words)
    keep = np.flatnonzero(~np.isin(everything.terms, list(stop))) if stop else np.arange(len(everything.terms))
    terms = everything.terms[keep]
    group_counts = (indicator @ everything.matrix[:, keep]).tocsr()
    group_counts.eliminate_zeros()
    weights = tfidf_weights(group_counts)
    pieces = []
    for g, group in enumerate(groups):
        row = weights.getrow(g)
        columns, values = row.indices, row.data
        order = np.lexsort((terms[columns], -values))
        if top is not None:
            order = order[:top]
        chosen = columns[order]
        pieces.append(
            pd.DataFrame(
                {
                    "group": group,
                    "term": terms[chosen],
                    "tfidf": values[order],
                    "count": group_counts[g, chosen].toarray().ravel().astype(np.int64),
                    "n_articles": n_articles[g],
                    "n_tokens": n_tokens[g],
                }
            )
        )
    table = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=TOP_TERM_COLUMNS[:-1])
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy(), table["n_tokens"].to_numpy()), bool)
    return table.astype({"group": "str", "term": "str"})[TOP_TERM_COLUMNS]


def article_similarity(
    tokens_or_counts: Counted,
    *,
    articles: pd.DataFrame | None = None,
    voice: Voice = "all",
    stop_words: StopWords = "english",
    max_articles: int = 20_000,
) -> pd.DataFrame:
    """Cosine similarity of the articles' TF-IDF vectors (articles as documents).

    Parameters
    ----------
    tokens_or_counts : DataFrame or CountMatrix
        The token table, :func:`term_counts` output for ``voice``, or a :class:`CountMatrix`
        of articles (e.g. :func:`stack_count_matrices` of partitions' matrices).
    articles : DataFrame, optional
        The article table: rows and columns follow its ``id`` order (articles without words
        get similarity 0). Default: the articles of ``tokens_or_counts``, in order.
    voice : {"all", "narration", "quoted"}, default="all"
    stop_words : "english", collection of str or None, default="english"
    max_articles : int, default=20,000
        Refuse larger selections: the table is dense (8 bytes × articles²).

    Returns
    -------
    DataFrame
        Square, index and columns the article ids: 1 on the diagonal for articles with
        words, 0 for articles sharing no word, symmetric. Equal to
        ``sklearn.metrics.pairwise.cosine_similarity`` of ``TfidfVectorizer`` output.
    """
    rows = None if articles is None else articles["id"].astype(str).tolist()
    counts = matrix_of(tokens_or_counts, voice=voice, rows=rows, stop_words=stop_words)
    if len(counts.rows) > max_articles:
        raise ValueError(
            f"article_similarity makes a dense {len(counts.rows):,} × {len(counts.rows):,} table; select at most "
            f"{max_articles:,} articles (an event, some outlets) or raise max_articles"
        )
    weights = tfidf_weights(counts.matrix)
    similarity = (weights @ weights.T).toarray()
    np.clip(similarity, 0.0, 1.0, out=similarity)
    ids = pd.Index(counts.rows.astype(str), name="article_id")
    return pd.DataFrame(similarity, index=ids, columns=ids.rename(None))


# ---------------------------------------------------------------------------
# Each article's word counts by voice, kept beside the cleaned table
# ---------------------------------------------------------------------------

#: Files of the package whose content decides an article's word counts: the tokenizer and its
#: voice rules, the voice names, and the counting here; a change is a new counts entry.
COUNTS_FILES = ("tokens.py", "options.py", "measures/tfidf.py")
#: Libraries whose version changes the counts or how their file reads.
COUNTS_LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy")
_COUNTED_VOICES = ("narration", "quoted")


class ArticleCounts(NamedTuple):
    """Each article's word counts in narration and in quotations, over one sorted vocabulary.

    ``by_voice["narration"][i, j]`` counts ``terms[j]`` in the narration of article ``rows[i]``
    (``"quoted"`` inside quotations; their sum is voice ``all``). ``hashes`` and ``lengths`` are
    the articles' ``hash`` column and body lengths: what says the counts are of these bodies.
    """

    by_voice: dict[str, sp.csr_matrix]
    rows: np.ndarray
    hashes: np.ndarray
    lengths: np.ndarray
    terms: np.ndarray


def _body_lengths(articles: pd.DataFrame) -> np.ndarray:
    return articles["body"].fillna("").str.len().to_numpy(dtype=np.int64)


def voice_counts(tokens: pd.DataFrame, articles: pd.DataFrame) -> tuple[CountMatrix, CountMatrix]:
    """Each article's word counts in narration and in quotations, from its tokens (the map of
    :func:`count_articles`; ``framing loaded`` counts the tokens it makes with it too).

    Parameters
    ----------
    tokens : DataFrame
        :func:`analysis.tokens.tokenize` of ``articles``.
    articles : DataFrame
        The articles tokenized (``id``): one row each, in their order, words or not.

    Returns
    -------
    narration, quoted : CountMatrix
        Over one vocabulary, sorted (the words of ``tokens``); :func:`article_counts` adds up those of disjoint slices.
    """
    rows = articles["id"].astype(str).to_numpy(dtype=object)
    article_codes, article_ids = pd.factorize(tokens["article_id"])
    # distinct ids (few) to rows, then every token through its id's code (many)
    row_codes = pd.Index(rows).get_indexer(pd.Index(article_ids).astype(str))[article_codes]
    term_codes, terms = pd.factorize(tokens["token"], sort=True)
    terms = np.asarray(pd.Index(terms).astype(str), dtype=object)
    is_quoted = (tokens["voice"] == "quoted").to_numpy()
    counted = []
    for chosen in (~is_quoted, is_quoted):
        ones = np.ones(int(chosen.sum()), dtype=np.int64)
        matrix = sp.csr_matrix((ones, (row_codes[chosen], term_codes[chosen])), shape=(len(rows), len(terms)))
        matrix.sum_duplicates()
        counted.append(CountMatrix(matrix, rows, terms))
    narration, quoted = counted
    return narration, quoted


def article_counts(parts: Sequence[tuple[CountMatrix, CountMatrix]], articles: pd.DataFrame) -> ArticleCounts:
    """The :class:`ArticleCounts` of ``articles`` (``id``, ``body``, ``hash``) from the
    :func:`voice_counts` of its consecutive slices, in order (the reduce of :func:`count_articles`)."""
    # each slice's two voices share its vocabulary, so the stacked voices share the union
    stacked = {voice: stack_count_matrices([part[i] for part in parts]) for i, voice in enumerate(_COUNTED_VOICES)}
    if len(stacked["narration"].rows) != len(articles):
        raise ValueError(f"counts of {len(stacked['narration'].rows)} articles given for {len(articles)}")
    return ArticleCounts(
        by_voice={voice: counted.matrix for voice, counted in stacked.items()},
        rows=stacked["narration"].rows,
        hashes=articles["hash"].astype(str).to_numpy(dtype=object),
        lengths=_body_lengths(articles),
        terms=stacked["narration"].terms,
    )


def count_articles(articles: pd.DataFrame) -> ArticleCounts:
    """Tokenize ``articles`` (``id``, ``body``, ``hash``) in slices and count each one's words by voice.

    The counts equal :func:`term_counts` of :func:`analysis.tokens.tokenize` in each voice; only
    one slice's tokens are held at a time.
    """
    size = engines.LOCAL_ARTICLES_PER_MAP
    slices = (articles.iloc[start : start + size] for start in range(0, len(articles), size))
    return article_counts([voice_counts(tokenize(part), part) for part in slices], articles)


def counts_of_articles(counts: ArticleCounts, articles: pd.DataFrame, *, voice: Voice = "all") -> CountMatrix | None:
    """The :class:`CountMatrix` of ``articles`` (rows in their order) in ``voice``, or None when
    ``counts`` lacks one of them or holds other bodies under its id (another hash or length).

    Words none of the articles uses in ``voice`` are left out, as :func:`count_matrix` of
    :func:`term_counts` leaves them, so the measures see the same matrix.
    """
    check_voice(voice)
    ids = articles["id"].astype(str).to_numpy(dtype=object)
    position = _rows_of(counts, articles)
    if position is None:
        return None
    # the whole table in the cache's order (no --query) is taken as it is: no copy of every row
    every_row = len(position) == len(counts.rows) and (position == np.arange(len(position))).all()
    matrices = [counts.by_voice[v] if every_row else counts.by_voice[v][position] for v in _COUNTED_VOICES if voice in ("all", v)]
    matrix = matrices[0] + matrices[1] if len(matrices) == 2 else matrices[0]
    used = np.flatnonzero(np.bincount(matrix.indices, minlength=len(counts.terms)))
    if len(used) < len(counts.terms):
        matrix = matrix[:, used]
    matrix = sp.csr_matrix(matrix, dtype=np.int64)
    matrix.sum_duplicates()
    return CountMatrix(matrix, ids, counts.terms[used])


def _rows_of(counts: ArticleCounts, articles: pd.DataFrame) -> np.ndarray | None:
    """The rows of ``counts`` holding ``articles``, in their order, or None when one is missing or
    holds another body under its id (another hash or length)."""
    position = pd.Index(counts.rows).get_indexer(articles["id"].astype(str).to_numpy(dtype=object))
    if (position < 0).any():
        return None
    same_bodies = (counts.hashes[position] == articles["hash"].astype(str).to_numpy(dtype=object)).all() and (
        counts.lengths[position] == _body_lengths(articles)
    ).all()
    return position if same_bodies else None


def counts_to_keep(articles: pd.DataFrame) -> str | None:
    """The key under which a pass over the tokens of ``articles`` should keep their word counts, or None.

    A key when ``articles`` are the whole of a cleaned table read through the clean-once cache
    (``attrs[CACHE_KEY_ATTR]``, and all ``attrs[CACHE_ROWS_ATTR]`` of its rows: not a ``--query``
    selection) and the entry kept under it does not hold them all; the caller then writes
    :func:`article_counts` of the :func:`voice_counts` of its tokens there
    (:func:`write_article_counts`), the entry :func:`cached_article_counts` would have made.
    """
    table_key = articles.attrs.get(CACHE_KEY_ATTR)
    if not table_key or "hash" not in articles.columns or len(articles) != articles.attrs.get(CACHE_ROWS_ATTR):
        return None
    kept = read_article_counts(table_key)
    return table_key if kept is None or _rows_of(kept, articles) is None else None


def counts_fingerprint() -> str:
    """A hash of :data:`COUNTS_FILES`, the package version and those of :data:`COUNTS_LIBRARIES`:
    what, besides the cleaned table, decides each article's word counts."""
    from importlib.metadata import version

    from analysis import __version__
    from analysis.paths import PACKAGE_DIR, hash_files

    parts = {
        "counter": hash_files([PACKAGE_DIR / name for name in COUNTS_FILES], PACKAGE_DIR),
        "version": [__version__, *(version(lib) for lib in COUNTS_LIBRARIES)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _counts_file(table_key: str) -> Path:
    from analysis import paths

    return paths.CACHE / f"counts-{table_key}-{counts_fingerprint()}.npz"


def _text_arrays(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strings as their UTF-8 bytes and offsets (no pickle, no fixed width)."""
    strings = pa.array(values.tolist(), type=pa.large_string())
    offsets, data = strings.buffers()[1:]
    return np.frombuffer(data or b"", dtype=np.uint8), np.frombuffer(offsets, dtype=np.int64)[: len(strings) + 1]


def _from_text_arrays(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    strings = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    strings.validate(full=True)
    return np.asarray(strings.to_pylist(), dtype=object)


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()  # the array's own bytes, not a copy


def write_article_counts(table_key: str, counts: ArticleCounts) -> None:
    """Keep ``counts`` beside the cleaned table ``table_key``: one ``.npz`` written atomically,
    whose record names the key and the SHA-256 of every array (see :func:`read_article_counts`)."""
    arrays = {"lengths": counts.lengths}
    for name, values in (("rows", counts.rows), ("hashes", counts.hashes), ("terms", counts.terms)):
        arrays[f"{name}_data"], arrays[f"{name}_offsets"] = _text_arrays(values)
    for voice, matrix in counts.by_voice.items():
        arrays |= {f"{voice}_data": matrix.data, f"{voice}_indices": matrix.indices, f"{voice}_indptr": matrix.indptr}
    record = {"key": table_key, "sha256": {name: _sha256(array) for name, array in arrays.items()}}
    arrays["record"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)

    def write(temporary: Path) -> None:
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)

    try:
        write_atomic(_counts_file(table_key), write)
    except OSError:
        pass  # a read-only or full disk costs speed, not results


def read_article_counts(table_key: str) -> ArticleCounts | None:
    """The counts kept for the cleaned table ``table_key``, or None when there are none or they fail a check.

    An entry is trusted only when every array reads whole, matches the SHA-256 its record gives,
    and the record names this key and the matrices fit the rows and vocabulary; anything else
    is deleted, and the counts are made again.
    """
    file = _counts_file(table_key)
    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as stored:
            record = json.loads(stored["record"].tobytes())
            arrays = {name: stored[name] for name in record["sha256"]}
        if record["key"] != table_key or any(_sha256(arrays[name]) != digest for name, digest in record["sha256"].items()):
            raise ValueError("counts entry does not match its key or its checksums")
        rows, hashes, terms = (
            _from_text_arrays(arrays[f"{n}_data"], arrays[f"{n}_offsets"]) for n in ("rows", "hashes", "terms")
        )
        shape = (len(rows), len(terms))
        by_voice = {}
        for voice in _COUNTED_VOICES:
            matrix = sp.csr_matrix((arrays[f"{voice}_data"], arrays[f"{voice}_indices"], arrays[f"{voice}_indptr"]), shape=shape)
            matrix.check_format(full_check=True)
            by_voice[voice] = matrix
        if len(hashes) != len(rows) or len(arrays["lengths"]) != len(rows):
            raise ValueError("counts entry's columns differ in length")
    except Exception:  # any failure means the entry cannot be trusted
        file.unlink(missing_ok=True)
        return None
    return ArticleCounts(by_voice, rows, hashes, arrays["lengths"], terms)


def cached_article_counts(articles: pd.DataFrame, *, voice: Voice = "all") -> CountMatrix | None:
    """The word counts of ``articles`` in ``voice`` from the counts cache, counted and kept there on a miss.

    Only for articles read through the clean-once cache (``attrs[CACHE_KEY_ATTR]``, so not with
    ``--no-cache``): the entry, keyed by that cleaned table and :func:`counts_fingerprint`, holds
    each article's words by voice (:func:`count_articles`), so a later measure selects rows
    (``--query``) instead of tokenizing. Returns None for other tables: their words are counted
    from tokens.
    """
    table_key = articles.attrs.get(CACHE_KEY_ATTR)
    if not table_key or "hash" not in articles.columns:
        return None
    kept = read_article_counts(table_key)
    selected = None if kept is None else counts_of_articles(kept, articles, voice=voice)
    if selected is not None:
        return selected
    counted = count_articles(articles)  # a query's subset: kept until a whole table's counts replace it
    write_article_counts(table_key, counted)
    return counts_of_articles(counted, articles, voice=voice)


# ---------------------------------------------------------------------------
# Counts pooled per group on the workers, and the entry point on either engine
# ---------------------------------------------------------------------------


def group_term_counts(articles: pd.DataFrame, *, by: str = "outlet", voice: str = "all") -> pd.DataFrame:
    """Word counts per group, pooled over ``articles`` (a map for :func:`analysis.engine.pool_articles`).

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``, ``(missing)`` without one), ``term``, ``count``; the sums
        of :func:`term_counts` over each group's articles.
    """
    counts = term_counts(tokenize(articles), voice=voice)
    group = counts["article_id"].map(group_labels(articles, by))
    return counts.assign(group=group.to_numpy()).groupby(["group", "term"], as_index=False, sort=True)["count"].sum()


def group_sizes(articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """Articles per group (a map for :func:`analysis.engine.pool_articles`).

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``, ``(missing)`` without one), ``articles``.
    """
    sizes = group_labels(articles, by).value_counts()
    return pd.DataFrame({"group": sizes.index.astype(str), "articles": sizes.to_numpy(dtype=np.int64)})


def pooled_group_measure(
    measure: Callable[..., pd.DataFrame],
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    voice: Voice = "all",
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """``measure(counts, groups, by=, voice=, **options)`` from word counts pooled per group.

    For measures that need only each group's word counts (:func:`top_terms`, each group one
    document; :func:`analysis.measures.keyness.keyness`): the workers sum
    :func:`group_term_counts` per group, so the client never holds a table of articles × words
    (memory grows with groups × vocabulary). Each group becomes one pseudo-article for
    ``measure``; ``n_articles`` and ``small_sample`` are then set from the real articles, whose
    number per group is pooled on the workers too. The numbers are those of ``measure`` on the
    token table.

    Parameters
    ----------
    measure : callable
        :func:`top_terms` or :func:`analysis.measures.keyness.keyness`.
    by, voice, **options
        As for ``measure`` (``top``, ``stop_words``; for keyness ``reference``, ``prior_mass``,
        ``prior_counts``).
    engine, scheduler, client, articles_per_partition, query
        As for :func:`analysis.engine.map_articles`.

    Returns
    -------
    DataFrame
        The columns of ``measure``.
    """
    run = {"engine": engine, "scheduler": scheduler, "articles_per_partition": articles_per_partition, "query": query}
    with client_for(engine, scheduler=scheduler, client=client) as run["client"]:
        # group sizes pooled on the workers too: only a row per group reaches the client
        sizes = pool_articles(corpus, group_sizes, keys=["group"], columns=["id", by], by=by, **run)
        sizes = sizes.set_index("group")["articles"]
        columns = ["id", "body", by]
        pooled = pool_articles(corpus, group_term_counts, keys=["group", "term"], columns=columns, by=by, voice=voice, **run)
    return _measure_of_pooled(measure, pooled, sizes, by=by, voice=voice, **options)


def _measure_of_pooled(
    measure: Callable[..., pd.DataFrame], pooled: pd.DataFrame, sizes: pd.Series, *, by: str, voice: Voice, **options: Any
) -> pd.DataFrame:
    """``measure`` of word counts pooled per group (``group``, ``term``, ``count``, sorted by group
    and term), each group one pseudo-article; ``n_articles`` and ``small_sample`` from ``sizes``
    (articles per group)."""
    counts = pooled.rename(columns={"group": "article_id"}).assign(voice=voice)[["article_id", "term", "voice", "count"]]
    groups = pd.DataFrame({"id": sorted(sizes.index), by: sorted(sizes.index)})
    table = measure(counts, groups, by=by, voice=voice, **options)
    table["n_articles"] = table["group"].map(sizes).astype(np.int64)
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy(), table["n_tokens"].to_numpy()), bool)
    return table


def pooled_counts(counts: CountMatrix, articles: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """The words of an articles × words :class:`CountMatrix` summed per group, as
    :func:`group_term_counts` summed over slices gives them.

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``, ``(missing)`` without one), ``term``, ``count`` (int64);
        one row per group and word it uses, sorted by group and term.
    """
    indicator, groups = group_matrix(articles, by, counts.rows)
    # integer sums, as the slices' sums are; an integer indicator also spares a float copy of the counts
    summed = (indicator.astype(np.int64) @ counts.matrix).tocoo()
    order = np.lexsort((summed.col, summed.row))  # groups and terms are both sorted: codes order as labels
    row, column, value = summed.row[order], summed.col[order], summed.data[order]
    kept = value != 0
    return pd.DataFrame(
        {
            "group": groups[row[kept]].astype(str),
            "term": counts.terms[column[kept]].astype(str),
            "count": value[kept].astype(np.int64),
        }
    )


def measure_top_terms(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    voice: Voice = "all",
    top: int | None = 20,
    stop_words: StopWords = "english",
    exclude_reused: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    query: str | None = None,
) -> pd.DataFrame:
    """The one entry point of ``framing terms``: :func:`top_terms` of a corpus, on either engine.

    ``local`` counts each article's words and groups them; ``dask`` sums the words per group on
    the workers (:func:`pooled_group_measure`), with the same numbers. ``exclude_reused`` (leave
    out words an article took from another) needs ``local``.

    Returns
    -------
    DataFrame
        The columns of :func:`top_terms`.
    """
    run = {"engine": engine, "scheduler": scheduler, "client": client, "query": query, "exclude_reused": exclude_reused}
    return word_count_measure(top_terms, corpus, by=by, voice=voice, top=top, stop_words=stop_words, **run)


def word_count_measure(
    measure: Callable[..., pd.DataFrame],
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    voice: Voice = "all",
    exclude_reused: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """A measure of each group's word counts (:func:`top_terms`, keyness) on a corpus, on either engine.

    ``local`` counts each article's words (without those taken from another article with
    ``exclude_reused``) and calls ``measure(counts, articles, by=, voice=, **options)``; on a
    corpus of more than ``engine.LOCAL_ARTICLES_PER_MAP`` articles it sums the words per group
    in slices instead, as ``dask`` does on the workers (:func:`pooled_group_measure`), with the
    same numbers (TF-IDF weights summed in another order may differ in the last bit). Articles
    read through the clean-once cache are not tokenized but take their words from the counts
    kept beside it (:func:`cached_article_counts`, made by the first such measure or by
    ``framing loaded``), summed the same way, with the same numbers; ``exclude_reused`` finds
    reused words in tokens, so it counts afresh.
    """
    check_engine(engine)
    if engine == "dask":
        if exclude_reused:
            raise EngineError("exclude_reused needs the whole corpus at once: use --engine local")
        run = {"scheduler": scheduler, "client": client, "query": query}
        return pooled_group_measure(measure, corpus, by=by, voice=voice, engine="dask", **run, **options)
    articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
    if query:
        articles = filter_articles(articles, query)
    large = len(articles) > engines.LOCAL_ARTICLES_PER_MAP
    # words taken from other articles are found in tokens, so exclude_reused counts them afresh
    cached = None if exclude_reused else cached_article_counts(articles, voice=voice)
    if cached is not None and large:  # summed per group as the slices below would sum them
        sizes = group_sizes(articles, by=by).set_index("group")["articles"]
        return _measure_of_pooled(measure, pooled_counts(cached, articles, by=by), sizes, by=by, voice=voice, **options)
    if cached is not None:
        return measure(cached, articles, by=by, voice=voice, **options)
    if large and not exclude_reused:
        # a large corpus: words counted per group in slices, as on Dask, so no token table of the whole is held
        return pooled_group_measure(measure, articles, by=by, voice=voice, engine="local", **options)
    counts = term_counts(own_tokens(tokenize(articles), articles, exclude=exclude_reused), voice=voice)
    return measure(counts, articles, by=by, voice=voice, **options)
