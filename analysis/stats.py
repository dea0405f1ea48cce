"""Intervals and small-sample flags shared by every measure.

Rates are reported with their denominators and a 95% interval; groups too small to
support a comparison are flagged, never hidden.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

#: Fewer articles than this in a group: its interval is unreliable.
SMALL_SAMPLE_ARTICLES = 5
#: Fewer tokens than this in a group: rates per 1,000 tokens rest on too few words.
SMALL_SAMPLE_TOKENS = 1000
#: Replicates × units drawn at once by the bootstrap: bounds its memory (16 MB of draws).
BOOTSTRAP_CELLS = 2_000_000


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
    """Percentile bootstrap interval for a ratio of sums, resampling units (articles).

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
        NaN unless two or more units have a positive denominator: one article says nothing
        about how articles vary, and a zero-width interval would look like certainty.

    Raises
    ------
    ValueError
        When ``numerators`` and ``denominators`` differ in length, ``n_boot`` < 1 or
        ``confidence`` is outside (0, 1).

    Notes
    -----
    Replicates are drawn in blocks of at most :data:`BOOTSTRAP_CELLS` draws, so memory stays
    bounded for groups of many articles; the draws, and the interval, do not depend on the
    block size.

    Examples
    --------
    >>> low, high = bootstrap_ratio([2, 3, 1, 4], [100, 120, 90, 110])
    >>> low < (2 + 3 + 1 + 4) / (100 + 120 + 90 + 110) < high
    True
    """
    _check_confidence(confidence)
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1 (e.g. 2000), got {n_boot!r}")
    num = np.asarray(numerators, dtype=float).ravel()
    den = np.asarray(denominators, dtype=float).ravel()
    if num.size != den.size:
        raise ValueError(f"numerators ({num.size} values) and denominators ({den.size}) need one value per unit each")
    if np.count_nonzero(den > 0) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_boot)
    block = max(1, BOOTSTRAP_CELLS // num.size)
    for begin in range(0, n_boot, block):
        picks = rng.integers(0, num.size, size=(min(block, n_boot - begin), num.size))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios[begin : begin + len(picks)] = num[picks].sum(axis=1) / den[picks].sum(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


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
