"""Intervals and small-sample flags shared by every measure.

Rates are reported with their denominators and a 95% interval; groups too small to
support a comparison are flagged, never hidden.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

#: Fewer articles than this in a group: its interval is unreliable.
SMALL_SAMPLE_ARTICLES = 5
#: Fewer tokens than this in a group: rates per 1,000 tokens rest on too few words.
SMALL_SAMPLE_TOKENS = 1000
#: The group of an article without a value in the grouping column.
MISSING_GROUP = "(missing)"
#: Cells (replicates × articles) resampled at once: bounds the bootstrap's memory (~16 bytes a cell).
BOOTSTRAP_CELLS = 4_000_000


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def wilson(successes, trials, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, vectorized.

    Parameters
    ----------
    successes, trials : int or array-like of int
        Where ``trials`` is 0 the interval is NaN.
    confidence : float, default=0.95

    Returns
    -------
    low, high : ndarray of float

    Examples
    --------
    >>> low, high = wilson(5, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2366, 0.7634)
    >>> [round(float(x), 4) for x in wilson(0, 10)]
    [0.0, 0.2775]
    """
    _check_confidence(confidence)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def bootstrap_ratio(
    numerators, denominators, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for one ratio of sums, resampling units (articles).

    :func:`bootstrap_ratios` for a single measure, with its draws.

    Parameters
    ----------
    numerators, denominators : array-like
        One value per unit, e.g. hits and tokens per article.
    n_boot : int, default=2000
    confidence : float, default=0.95
    seed : int, default=0
        The same inputs and seed give the same interval.

    Returns
    -------
    low, high : float
        NaN unless two or more units have a positive denominator.

    Raises
    ------
    ValueError
        When ``numerators`` and ``denominators`` differ in length, ``n_boot`` < 1 or
        ``confidence`` is outside (0, 1).

    Examples
    --------
    >>> low, high = bootstrap_ratio([2, 3, 1, 4], [100, 120, 90, 110])
    >>> low < (2 + 3 + 1 + 4) / (100 + 120 + 90 + 110) < high
    True
    """
    num = np.asarray(numerators, dtype=float).ravel()
    den = np.asarray(denominators, dtype=float).ravel()
    if num.size != den.size:
        raise ValueError(f"numerators ({num.size} values) and denominators ({den.size}) need one value per unit each")
    if num.size == 0:
        return float("nan"), float("nan")
    low, high = bootstrap_ratios(num, den, n_boot=n_boot, confidence=confidence, seed=seed)
    return float(low[0]), float(high[0])


def bootstrap_mean(values, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for a mean (e.g. of per-sentence scores)."""
    values = np.asarray(values, dtype=float)
    return bootstrap_ratio(values, np.ones_like(values), n_boot=n_boot, confidence=confidence, seed=seed)


def small_sample(n_articles, n_tokens=None):
    """True where a group has too few articles (or tokens) to compare.

    Examples
    --------
    >>> small_sample(3, 5000), small_sample(40, 500), small_sample(40, 50_000)
    (True, True, False)
    """
    flag = np.asarray(n_articles) < SMALL_SAMPLE_ARTICLES
    if n_tokens is not None:
        flag = flag | (np.asarray(n_tokens) < SMALL_SAMPLE_TOKENS)
    return flag.item() if flag.ndim == 0 else flag


def group_labels(articles: pd.DataFrame, by: str) -> pd.Series:
    """The ``by`` column as text labels indexed by article id; ``(missing)`` where it has no value.

    Raises
    ------
    KeyError
        ``by`` is not an article column; the message lists the columns.
    """
    if by not in articles.columns:
        raise KeyError(f"no article column {by!r} to group by; available: {', '.join(map(str, articles.columns))}")
    labels = articles[by].astype(object).where(articles[by].notna(), MISSING_GROUP).astype(str)
    return pd.Series(labels.to_numpy(), index=articles["id"].astype(str).to_numpy(), name="group")


def bootstrap_ratios(
    numerators: np.ndarray,
    denominators: np.ndarray,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of several ratios of sums, resampling the same units (articles).

    Many measures at once, in bounded memory: each replicate draws articles with replacement once and recomputes
    every column's ``sum(numerators) / sum(denominators)``.

    Parameters
    ----------
    numerators, denominators : array of shape (n_articles, n_measures)
        One row per article (``denominators`` may be one column, shared by every measure).
    n_boot, confidence, seed
        Replicates, interval level and random seed (same inputs and seed, same intervals).

    Returns
    -------
    low, high : numpy.ndarray of shape (n_measures,)
        NaN for a measure unless two or more articles have a positive denominator: one article
        says nothing about the variation between articles, and a zero-width interval would
        look like certainty.

    Examples
    --------
    >>> low, high = bootstrap_ratios([[2, 0], [3, 1], [1, 0], [4, 0]], [[100], [120], [90], [110]])
    >>> bool(low[0] < 10 / 420 < high[0]), bool(low[1] <= 1 / 420 <= high[1])
    (True, True)
    """
    _check_confidence(confidence)
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1 (e.g. 2000), got {n_boot!r}")
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    num = num[:, None] if num.ndim == 1 else num
    den = np.broadcast_to(den[:, None] if den.ndim == 1 else den, num.shape)
    n_articles, n_measures = num.shape
    low, high = np.full(n_measures, np.nan), np.full(n_measures, np.nan)
    enough = np.count_nonzero(den > 0, axis=0) >= 2
    if not enough.any():
        return low, high
    rng = np.random.default_rng(seed)
    # Measures often share a denominator (every category of a voice): resample each distinct one once.
    # With whole-number counts the sums are exact, so which columns go together changes nothing.
    distinct, denominator_of = np.unique(den, axis=1, return_inverse=True)
    both = np.hstack([num, distinct])
    ratios = np.empty((n_boot, n_measures))
    step = max(1, BOOTSTRAP_CELLS // n_articles)
    for begin in range(0, n_boot, step):
        size = min(step, n_boot - begin)
        picks = rng.integers(0, n_articles, size=(size, n_articles)) + n_articles * np.arange(size)[:, None]
        weights = np.bincount(picks.ravel(), minlength=size * n_articles).reshape(size, n_articles).astype(float)
        sums = weights @ both  # one pass over the weights for numerators and denominators
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios[begin : begin + size] = sums[:, :n_measures] / sums[:, n_measures:][:, denominator_of.ravel()]
    tail = (1 - confidence) / 2 * 100
    with np.errstate(invalid="ignore"):
        bounds = np.nanpercentile(np.where(np.isfinite(ratios), ratios, np.nan)[:, enough], [tail, 100 - tail], axis=0)
    low[enough], high[enough] = bounds
    return low, high


#: Below this Youden index (sensitivity + specificity - 1) a classifier is too close to chance to correct for.
MIN_YOUDEN = 0.1


def classifier_rates(confusion: dict[str, int]) -> tuple[float, float]:
    """Sensitivity and specificity from confusion counts ``tp``, ``fp``, ``fn``, ``tn`` (0 where a class is empty)."""
    tp, fp, fn, tn = (int(confusion[key]) for key in ("tp", "fp", "fn", "tn"))
    return tp / max(tp + fn, 1), tn / max(tn + fp, 1)


def corrected_prevalence(
    positives: np.ndarray,
    units: np.ndarray,
    *,
    confusion: dict[str, int],
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """A classifier's share of positive units, corrected for its error, with an interval that carries it.

    The correction is the Rogan-Gladen estimator, ``(q + sp - 1) / (se + sp - 1)``, where
    ``q`` is the share of units the classifier calls positive and ``se``, ``sp`` its
    sensitivity and specificity, clipped to [0, 1]. Every source of error is drawn together,
    ``n_boot`` times: the articles are resampled (the units of an article are not
    independent), ``q`` is drawn from its Jeffreys posterior given the resampled counts (so a
    group where the classifier finds nothing still gets an upper bound), and ``se`` and ``sp``
    from their Beta posteriors given the cross-validated confusion counts (uniform priors).
    The estimate is the median of the draws and the interval their percentiles, so the two
    agree even when the confusion counts are small; with large counts the median is the
    plain Rogan-Gladen value.

    Parameters
    ----------
    positives, units : array of shape (n_articles,)
        Units the classifier calls positive, and units, per article.
    confusion : dict
        Cross-validated ``tp``, ``fp``, ``fn``, ``tn`` of the classifier.

    Returns
    -------
    observed, corrected, low, high : float
        The uncorrected share, and the corrected one with its interval: NaN when the
        classifier's sensitivity + specificity - 1 is below ``MIN_YOUDEN`` (too close to
        chance to say anything), the interval also NaN with fewer than two articles.

    Examples
    --------
    A classifier that finds 80% of positives and wrongly calls 10% of negatives positive
    reports 17% when the true share is 10%; the correction recovers it:

    >>> observed, corrected, low, high = corrected_prevalence(
    ...     [17] * 50, [100] * 50, confusion={"tp": 800, "fn": 200, "tn": 900, "fp": 100})
    >>> round(observed, 2), round(corrected, 2), bool(low < 0.10 < high)
    (0.17, 0.1, True)
    """
    _check_confidence(confidence)
    tp, fp, fn, tn = (int(confusion[key]) for key in ("tp", "fp", "fn", "tn"))
    positives, units = np.asarray(positives, dtype=float), np.asarray(units, dtype=float)
    observed = float(positives.sum() / units.sum()) if units.sum() else float("nan")
    sensitivity, specificity = classifier_rates(confusion)
    if sensitivity + specificity - 1 < MIN_YOUDEN or not np.isfinite(observed):
        return observed, float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    se = rng.beta(tp + 1, fn + 1, size=n_boot)
    sp = rng.beta(tn + 1, fp + 1, size=n_boot)
    if np.count_nonzero(units > 0) >= 2:
        k, n = np.empty(n_boot), np.empty(n_boot)
        step = max(1, BOOTSTRAP_CELLS // len(units))  # bounded memory on large groups
        for begin in range(0, n_boot, step):
            picks = rng.integers(0, len(units), size=(min(step, n_boot - begin), len(units)))
            k[begin : begin + len(picks)], n[begin : begin + len(picks)] = positives[picks].sum(axis=1), units[picks].sum(axis=1)
    else:
        k, n = np.full(n_boot, positives.sum()), np.full(n_boot, units.sum())
    q = rng.beta(k + 0.5, n - k + 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = np.clip((q + sp - 1) / (se + sp - 1), 0, 1)
    draws = draws[np.isfinite(draws) & (se + sp - 1 > 0)]
    corrected = float(np.median(draws))
    if np.count_nonzero(units > 0) < 2:
        return observed, corrected, float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return observed, corrected, float(low), float(high)
