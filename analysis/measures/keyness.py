"""Distinctive terms: which words one group uses more than another (keyness).

Three statistics on the same 2 × 2 tables (word vs. all other words, group vs. reference),
vectorized over the vocabulary:

- the weighted log-odds ratio with an informative Dirichlet prior and its z-score (Monroe,
  Colaresi & Quinn 2008, "Fightin' Words", *Political Analysis* 16(4), eq. 22 and the variance
  below it). It shrinks words seen a few times toward the corpus rate, so rare words do not
  top the list by chance: rank by ``z``.
- Pearson's chi-squared with Yates' continuity correction applied as quanteda's
  ``textstat_keyness`` does (only when an expected cell is below 5 and |ad − bc| ≥ N/2).
- the log-likelihood ratio G² (Dunning 1993), without correction.

``chi2`` and ``g2`` are signed like quanteda's: positive when the group uses the word more
than expected, negative when less. With raw counts they test word occurrences as independent
draws, which words in articles are not: treat their p-values as a ranking, not as evidence.

The prior mass ``m`` (``prior_mass``, default 100): the prior adds ``m`` pseudo-words to each
side, spread like the pooled corpus (``α_w = m · c_w / Σc``). With 100, a word seen once or twice
in one group and never in the other stays at |z| < 1.96 in corpora of the seeds' size and far
larger (its prior is well under one occurrence, so its variance is large), while for groups of a
few hundred words or more the prior is a small share of the counts and leaves the differences in
frequent words to the data. Larger values shrink more; Monroe et al.'s own choice, the whole
corpus's counts (``m = Σc``), suits large corpora and would flatten a handful of articles.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_distribution
from scipy.stats import rankdata

from analysis.cluster import Engine
from analysis.engine import pool_articles
from analysis.measures.tfidf import (
    Counted,
    StopWords,
    group_matrix,
    matrix_of,
    stop_word_set,
    term_counts,
    word_count_measure,
)
from analysis.options import Voice
from analysis.stats import small_sample
from analysis.tokens import tokenize

#: Default prior mass m: pseudo-words the Dirichlet prior adds (see the module notes).
DEFAULT_PRIOR_MASS = 100.0
#: Reference label when a group is compared with all the others pooled.
REST = "(rest)"
#: Least occurrences (both sides together) of a word that keyness lists.
MIN_COUNT = 3

KEYNESS_COLUMNS = [
    "group",
    "reference",
    "rank",
    "term",
    "count",
    "count_reference",
    "log_odds",
    "z",
    "chi2",
    "p_chi2",
    "g2",
    "p_g2",
    "n_articles",
    "n_tokens",
    "n_tokens_reference",
    "small_sample",
]


class UnknownGroupError(KeyError):
    """The reference group named is not one of the groups."""


def log_odds_dirichlet(y_i, y_j, alpha, *, totals: tuple[float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted log-odds ratio of each word, group i vs. group j, and its z-score.

    Monroe, Colaresi & Quinn (2008), eq. 22, with the informative Dirichlet prior ``alpha``::

        δ_w = ln((y_iw + α_w) / (n_i + α_0 − y_iw − α_w)) − ln((y_jw + α_w) / (n_j + α_0 − y_jw − α_w))
        σ²_w ≈ 1 / (y_iw + α_w) + 1 / (y_jw + α_w),     z_w = δ_w / σ_w

    Parameters
    ----------
    y_i, y_j : array-like of shape (n_words,)
        Word counts in each group (``n_i = Σ y_i``, ``n_j = Σ y_j``).
    alpha : array-like of shape (n_words,)
        Prior pseudo-counts, all positive (``α_0 = Σ α``).
    totals : (n_i, n_j, α_0), optional
        The sums over the whole vocabulary, when the arrays hold only some of its words.

    Returns
    -------
    log_odds, z : numpy.ndarray
        Positive when group i uses the word more (in log odds) than group j.

    Examples
    --------
    >>> delta, z = log_odds_dirichlet([10, 0, 5], [2, 6, 5], [1.0, 1.0, 1.0])
    >>> [round(float(v), 3) for v in delta], bool(z[0] > 0 > z[1])
    ([1.918, -2.582, -0.182], True)
    """
    y_i, y_j, alpha = (np.asarray(v, dtype=float) for v in (y_i, y_j, alpha))
    n_i, n_j, alpha_0 = totals if totals is not None else (y_i.sum(), y_j.sum(), alpha.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y_i + alpha) / (n_i + alpha_0 - y_i - alpha)) - np.log((y_j + alpha) / (n_j + alpha_0 - y_j - alpha))
        z = delta / np.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))
    return delta, z


def _margins(a, b, n_a, n_b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a, b, n_a - a, n_b - b, float(n_a + n_b)


def chi2_yates(a, b, n_a, n_b) -> np.ndarray:
    """Signed chi-squared of each word's 2 × 2 table, Yates-corrected as quanteda does.

    The table is ``[[a, b], [n_a − a, n_b − b]]``: the word's count in the group and in the
    reference, and their other words. The correction (subtracting N/2 from |ad − bc|) applies
    only where an expected cell is below 5 and |ad − bc| ≥ N/2, as in quanteda's
    ``textstat_keyness(measure = "chi2", correction = "default")``.

    Parameters
    ----------
    a, b : array-like
        The word's count in the group and in the reference.
    n_a, n_b : float
        Words in the group and in the reference.

    Returns
    -------
    numpy.ndarray
        Chi-squared, negative where ``a`` is at or below its expected count.

    Examples
    --------
    >>> [round(float(v), 4) for v in chi2_yates([3, 7], [7, 2], 10, 9)]
    [-2.6324, 2.6324]
    """
    a, b, c, d, n = _margins(a, b, n_a, n_b)
    expected = (a + b) * (a + c) / n
    smallest = np.minimum.reduce([(a + b) * (a + c), (a + b) * (b + d), (a + c) * (c + d), (c + d) * (b + d)]) / n
    cross = np.abs(a * d - b * c)
    corrected = (smallest < 5) & (cross >= n / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = n * (cross - np.where(corrected, n / 2, 0.0)) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    return np.where(a > expected, 1.0, -1.0) * np.nan_to_num(value, nan=0.0)


def g2(a, b, n_a, n_b) -> np.ndarray:
    """Signed log-likelihood ratio G² of each word's 2 × 2 table (no continuity correction).

    ``G² = 2 Σ O ln(O / E)`` over the four cells, ``0 · ln 0 = 0``; same table and sign as
    :func:`chi2_yates`.

    Examples
    --------
    >>> [round(float(v), 4) for v in g2([3, 7], [7, 2], 10, 9)]
    [-4.5349, 4.5349]
    """
    a, b, c, d, n = _margins(a, b, n_a, n_b)
    row_word, row_other = a + b, c + d
    total = np.zeros_like(a)
    for observed, row, column in ((a, row_word, n_a), (b, row_word, n_b), (c, row_other, n_a), (d, row_other, n_b)):
        expected = row * column / n
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(observed > 0, observed * np.log(observed / expected), 0.0)
    return np.where(a > row_word * n_a / n, 1.0, -1.0) * 2 * total


class _Comparison(NamedTuple):
    group: str
    reference: str
    counts: np.ndarray
    reference_counts: np.ndarray
    members: int


def _comparisons(group_counts: np.ndarray, groups: np.ndarray, sizes: np.ndarray, reference: str | None):
    """Each group against the reference group, or against all other groups pooled."""
    labels = [str(g) for g in groups]
    if reference is not None:
        if reference not in labels:
            raise UnknownGroupError(f"no group {reference!r} to compare with; the groups are: {', '.join(labels)}")
        r = labels.index(reference)
        return [
            _Comparison(labels[g], reference, group_counts[g], group_counts[r], sizes[g]) for g in range(len(labels)) if g != r
        ]
    total = group_counts.sum(axis=0)
    if len(labels) == 2:  # one-vs-rest of two groups is the pair itself
        return [_Comparison(labels[g], labels[1 - g], group_counts[g], group_counts[1 - g], sizes[g]) for g in range(2)]
    return [_Comparison(labels[g], REST, group_counts[g], total - group_counts[g], sizes[g]) for g in range(len(labels))]


def keyness(
    tokens_or_counts: Counted,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    reference: str | None = None,
    prior_mass: float = DEFAULT_PRIOR_MASS,
    prior_counts: pd.Series | None = None,
    voice: Voice = "all",
    stop_words: StopWords = "english",
    min_count: int = MIN_COUNT,
    top: int | None = None,
) -> pd.DataFrame:
    """Distinctive words of each group: weighted log-odds z-scores, chi-squared and G².

    Parameters
    ----------
    tokens_or_counts : DataFrame or CountMatrix
        The token table, ``analysis.measures.tfidf.term_counts`` output for ``voice``, or an
        articles × words ``CountMatrix`` (``analysis.measures.tfidf.stack_count_matrices``).
    articles : DataFrame
        The article table: ``id`` and the ``by`` column.
    by : str, default="outlet"
        Article column whose values are the groups.
    reference : str, optional
        Compare every other group with this one (pairwise). Default: each group against all
        other groups pooled (``reference`` = ``(rest)``); with exactly two groups, each
        against the other.
    prior_mass : float, default=100
        ``m`` in ``α_w = m · c_w / Σc`` (see the module notes for the choice).
    prior_counts : Series, optional
        Word → count of a background corpus for the prior. It is added to the pooled counts
        of the groups, so that every word compared has a positive prior; its words that the
        groups never use are not compared but keep their share of ``m``. Default: the pooled
        counts alone.
    voice : {"all", "narration", "quoted"}, default="all"
    stop_words : "english", collection of str or None, default="english"
        Words left out before counting totals (``analysis.measures.tfidf.stop_word_set``):
        the prior shrinks function words, but on a few thousand words "said" and "the" still
        lead the lists.
    min_count : int, default=3
        Words used fewer times by both sides together are not listed (they still count in
        the totals): a word seen once or twice has a z that says little.
    top : int, optional
        Keep the ``top`` words with the highest ``z`` per group; default: every word.

    Returns
    -------
    DataFrame
        One row per comparison and word used by either side, by group then decreasing ``z``:

        - ``group``, ``reference`` : the two sides (``(rest)`` = all other groups)
        - ``rank`` : by decreasing ``z`` within the comparison; tied words share a rank
        - ``term``
        - ``count``, ``count_reference`` : the word's occurrences on each side
        - ``log_odds`` : weighted log-odds ratio δ (positive: the group uses it more)
        - ``z`` : δ divided by its standard deviation; |z| > 1.96 is the usual threshold
        - ``chi2``, ``p_chi2`` : signed Yates-corrected chi-squared and its p-value (1 df)
        - ``g2``, ``p_g2`` : signed log-likelihood G² and its p-value (1 df)
        - ``n_articles`` : articles in the group
        - ``n_tokens``, ``n_tokens_reference`` : words on each side (the denominators)
        - ``small_sample`` : the group has too few articles or words to stand for its outlet

    Raises
    ------
    KeyError
        ``by`` is not an article column (:class:`UnknownGroupError` when ``reference`` is not
        one of its values).
    ValueError
        ``prior_mass`` is not positive, ``top`` is below 1, or fewer than two groups.
    """
    if not prior_mass > 0:
        raise ValueError(f"prior_mass must be positive, not {prior_mass}")
    if top is not None and top < 1:
        raise ValueError(f"top must be 1 or more (or None for every word), not {top}")
    if min_count < 1:
        raise ValueError(f"min_count must be 1 or more, not {min_count}")
    everything = matrix_of(tokens_or_counts, voice=voice, rows=articles["id"].astype(str).tolist(), stop_words=stop_words)
    indicator, groups = group_matrix(articles, by, everything.rows)
    if len(groups) < 2:
        raise ValueError(f"keyness compares groups, and the articles form {len(groups)} group(s) by {by!r}")
    group_counts = np.asarray((indicator @ everything.matrix).toarray(), dtype=float)
    sizes = np.asarray(indicator.sum(axis=1)).ravel().astype(np.int64)
    pooled, unseen = group_counts.sum(axis=0), 0.0
    if prior_counts is not None:
        stop = stop_word_set(stop_words)
        extra = prior_counts[~prior_counts.index.isin(list(stop))] if stop else prior_counts
        pooled = pooled + extra.reindex(everything.terms).fillna(0).to_numpy(dtype=float)
        # Words only the prior corpus has are never compared, but they hold part of the mass m.
        unseen = float(extra[~extra.index.isin(everything.terms)].sum())
    alpha = prior_mass * pooled / (pooled.sum() + unseen)

    pieces = []
    for comparison in _comparisons(group_counts, groups, sizes, reference):
        y_i, y_j = comparison.counts, comparison.reference_counts
        used = np.flatnonzero((y_i + y_j) >= min_count)
        n_i, n_j = y_i.sum(), y_j.sum()
        # Only words used min_count times get a row, but n and α_0 = m run over the whole vocabulary.
        delta, z = log_odds_dirichlet(y_i[used], y_j[used], alpha[used], totals=(n_i, n_j, prior_mass))
        chi = chi2_yates(y_i[used], y_j[used], n_i, n_j)
        likelihood = g2(y_i[used], y_j[used], n_i, n_j)
        order = np.lexsort((everything.terms[used], -z))
        if top is not None:
            order = order[:top]
        pieces.append(
            pd.DataFrame(
                {
                    "group": comparison.group,
                    "reference": comparison.reference,
                    "rank": rankdata(-z[order], method="min").astype(np.int64),
                    "term": everything.terms[used][order],
                    "count": y_i[used][order].astype(np.int64),
                    "count_reference": y_j[used][order].astype(np.int64),
                    "log_odds": delta[order],
                    "z": z[order],
                    "chi2": chi[order],
                    "p_chi2": chi2_distribution.sf(np.abs(chi[order]), 1),
                    "g2": likelihood[order],
                    "p_g2": chi2_distribution.sf(np.abs(likelihood[order]), 1),
                    "n_articles": comparison.members,
                    "n_tokens": int(n_i),
                    "n_tokens_reference": int(n_j),
                }
            )
        )
    table = pd.concat(pieces, ignore_index=True)
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy(), table["n_tokens"].to_numpy()), bool)
    return table.astype({"group": "str", "reference": "str", "term": "str"})[KEYNESS_COLUMNS]


# ---------------------------------------------------------------------------
# Counts pooled per group on the workers, and the entry point on either engine
# ---------------------------------------------------------------------------


def word_counts(articles: pd.DataFrame, *, voice: str = "all") -> pd.DataFrame:
    """Occurrences of each word in ``articles`` (a map for :func:`analysis.engine.pool_articles`; keyness's prior).

    Returns
    -------
    DataFrame
        ``term``, ``count``.
    """
    return term_counts(tokenize(articles), voice=voice).groupby("term", as_index=False, sort=True)["count"].sum()


def prior_word_counts(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    voice: Voice = "all",
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
) -> pd.Series:
    """Occurrences of each word in a background corpus (``prior_counts`` of :func:`keyness`), on either engine."""
    counts = pool_articles(corpus, word_counts, keys=["term"], voice=voice, engine=engine, scheduler=scheduler, client=client)
    return counts.set_index("term")["count"]


def measure_keyness(
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
    """The one entry point of ``framing keyness``: :func:`keyness` of a corpus, on either engine.

    ``local`` counts each article's words; ``dask`` sums them per group on the workers
    (:func:`analysis.measures.tfidf.pooled_group_measure`), with the same numbers. ``options`` are those of :func:`keyness`
    (``reference``, ``prior_mass``, ``prior_counts``, ``stop_words``, ``top``);
    ``exclude_reused`` needs ``local``.

    Returns
    -------
    DataFrame
        The columns of :func:`keyness`.
    """
    run = {"engine": engine, "scheduler": scheduler, "client": client, "query": query, "exclude_reused": exclude_reused}
    return word_count_measure(keyness, corpus, by=by, voice=voice, **run, **options)
