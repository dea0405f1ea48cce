"""Measures over time: attention to a query, and loaded language and tone per period.

Attention is the Media Cloud measure: of the articles a group published in a period, the
share that match a query, with a Wilson 95% interval. Periods in which a group published
nothing are kept (total 0, ratio NaN), so a gap in coverage is visible, not silently skipped.

Framing trends reuse the measures' reduce functions (``analysis.measures.loaded``,
``analysis.measures.tone``, ``analysis.measures.keyness``) on one cell per group and period;
:func:`flag_shifts` compares each period with the group's previous period that has articles.

The shift test
--------------
A change is flagged only when the two periods' 95% intervals do not overlap. For two
estimates with similar standard errors that is a two-sided test at about the 0.6% level,
so it is conservative: with many periods and categories few flags are chance, and a change
that is not flagged may still be real (it is just not shown by these articles). Periods
without an interval (fewer than two articles with text) are never flagged, and
:func:`loaded_trends` and :func:`tone_trends` flag nothing next to a period that is a small
sample (fewer than 5 articles or 1,000 words: a bootstrap over two or three articles gives
intervals far too narrow); ``small_sample`` marks those periods, which stay in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from analysis.measures.loaded import RATE_COLUMNS
from analysis.options import Voice, check_voice
from analysis.stats import group_labels, small_sample, wilson

if TYPE_CHECKING:
    from analysis.measures.tfidf import StopWords

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")
_CELL_SEPARATOR = "\x1f"  # joins group and period into one grouping key for the reduce functions

ATTENTION_COLUMNS = ["group", "period", "matching", "total", "ratio", "ci_low", "ci_high", "small_sample"]
SHIFT_COLUMNS = ["compared_with", "change", "shift", "shift_direction"]


def period_start(published: pd.Series, *, interval: Interval = "week") -> pd.Series:
    """The first day of the period holding each date (weeks start on Monday).

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2021-03-22", "2021-03-28", "2021-03-31"]))
    >>> period_start(dates, interval="week").dt.strftime("%Y-%m-%d").tolist()
    ['2021-03-22', '2021-03-22', '2021-03-29']
    >>> period_start(dates, interval="month").dt.strftime("%Y-%m-%d").tolist()
    ['2021-03-01', '2021-03-01', '2021-03-01']
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval={interval!r}: use one of {', '.join(INTERVALS)}")
    dates = pd.to_datetime(published, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    days = dates.dt.normalize()
    if interval == "day":
        return days
    if interval == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days - pd.to_timedelta(days.dt.day - 1, unit="D")


#: Runs of empty periods up to this long are listed (a quiet week is data); longer gaps,
#: such as those a mistyped year opens, are not, so that the table stays bounded.
MAX_EMPTY_PERIODS = 12


def all_periods(starts: pd.Series, *, interval: Interval = "week") -> pd.DatetimeIndex:
    """The periods of ``starts`` (period starts) and the empty periods between them, except in
    gaps longer than :data:`MAX_EMPTY_PERIODS`.

    Examples
    --------
    >>> starts = pd.Series(pd.to_datetime(["2021-01-04", "2021-01-18", "2030-01-07"]))
    >>> all_periods(starts).strftime("%Y-%m-%d").tolist()
    ['2021-01-04', '2021-01-11', '2021-01-18', '2030-01-07']
    """
    known = pd.DatetimeIndex(starts.dropna().unique()).sort_values()
    if known.empty:
        return pd.DatetimeIndex([], name="period")
    frequency = {"day": "D", "week": "W-MON", "month": "MS"}[interval]
    periods = [known[:1]]
    for before, after in pairwise(known):
        steps = (after.year - before.year) * 12 + after.month - before.month if interval == "month" else (after - before).days
        empty = steps - 1 if interval != "week" else steps // 7 - 1
        filled = empty <= MAX_EMPTY_PERIODS
        periods.append(pd.date_range(before, after, freq=frequency)[1:] if filled else pd.DatetimeIndex([after]))
    return pd.DatetimeIndex(np.concatenate(periods), name="period")


def _check_dates(articles: pd.DataFrame, periods: pd.Series) -> None:
    if periods.isna().any():
        missing = articles.loc[periods.isna().to_numpy(), "id"].astype(str).tolist()
        raise ValueError(f"articles without a usable 'published' date: {missing[:5]}; fix their dates in the manifest")


def attention(
    articles: pd.DataFrame,
    matching: Sequence[bool] | np.ndarray | pd.Series,
    *,
    by: str = "outlet",
    interval: Interval = "week",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of each group's articles per period that match a query, with a Wilson interval.

    Parameters
    ----------
    articles : DataFrame
        The article table: ``id``, ``published`` and the ``by`` column.
    matching : array-like of bool
        One value per article (e.g. ``analysis.query.match(index, query)``).
    by : str, default="outlet"
        Article column to group by; missing values form the group ``(missing)``.
    interval : {"day", "week", "month"}, default="week"
        Period length; weeks start on Monday.
    confidence : float, default=0.95

    Returns
    -------
    DataFrame
        One row per group × period, every period from the corpus's first to its last for
        every group:

        - ``group`` : value of the ``by`` column
        - ``period`` : first day of the period (Timestamp)
        - ``matching`` : the group's articles in the period that match
        - ``total`` : the group's articles in the period (0 when it published none)
        - ``ratio`` : ``matching / total``; NaN when ``total`` is 0
        - ``ci_low``, ``ci_high`` : Wilson interval of the ratio; NaN when ``total`` is 0
        - ``small_sample`` : fewer than ``analysis.stats.SMALL_SAMPLE_ARTICLES`` articles

    Raises
    ------
    KeyError
        ``by`` is not an article column.
    ValueError
        ``matching`` has the wrong length, or an article has no usable date.
    """
    matching = np.asarray(matching, dtype=bool)
    if matching.shape != (len(articles),):
        raise ValueError(f"matching: {matching.shape[0]} values for {len(articles)} articles; give one per article")
    groups = group_labels(articles, by)
    periods = period_start(articles["published"], interval=interval)
    _check_dates(articles, periods)
    counts = (
        pd.DataFrame({"group": groups.to_numpy(), "period": periods.to_numpy(), "matching": matching})
        .groupby(["group", "period"])["matching"]
        .agg(matching="sum", total="size")
    )
    grid = pd.MultiIndex.from_product(
        [sorted(groups.unique()), all_periods(periods, interval=interval)], names=["group", "period"]
    )
    table = counts.reindex(grid, fill_value=0).reset_index()
    table = table.astype({"group": "str", "matching": np.int64, "total": np.int64})
    with np.errstate(invalid="ignore", divide="ignore"):
        table["ratio"] = np.where(table["total"] > 0, table["matching"] / table["total"], np.nan)
    table["ci_low"], table["ci_high"] = wilson(table["matching"], table["total"], confidence=confidence)
    table["small_sample"] = np.asarray(small_sample(table["total"].to_numpy()), dtype=bool)
    return table[ATTENTION_COLUMNS]


# ---------------------------------------------------------------------------
# Shifts between periods
# ---------------------------------------------------------------------------


def flag_shifts(
    table: pd.DataFrame,
    *,
    value: str,
    keys: Sequence[str] = ("group",),
    low: str = "ci_low",
    high: str = "ci_high",
) -> pd.DataFrame:
    """Compare each period with the previous period of the same series that has a value.

    Parameters
    ----------
    table : DataFrame
        A per-period table with ``period``, the ``keys`` columns that name a series (e.g.
        ``group`` and ``category``), ``value`` and its interval ``low``/``high``.
    value : str
        The measured column, e.g. ``rate_per_1000`` or ``compound_mean``.
    keys : sequence of str, default=("group",)

    Returns
    -------
    DataFrame
        ``table`` sorted by keys and period, with four columns added:

        - ``compared_with`` : the earlier period compared with (NaT for a series' first)
        - ``change`` : ``value`` minus the earlier period's value
        - ``shift`` : True when both intervals exist and do not overlap (see the module
          docstring for why this test)
        - ``shift_direction`` : ``"up"``, ``"down"`` or ``""``

    Examples
    --------
    >>> t = pd.DataFrame({"group": "A", "period": pd.to_datetime(["2021-01-04", "2021-01-11", "2021-01-18"]),
    ...                   "rate": [1.0, 5.0, 5.5], "ci_low": [0.5, 4.0, 4.5], "ci_high": [1.5, 6.0, 6.5]})
    >>> flag_shifts(t, value="rate")[["shift", "shift_direction"]].values.tolist()
    [[False, ''], [True, 'up'], [False, '']]
    """
    keys = list(keys)
    if not keys:
        raise ValueError("keys: name at least one column that identifies a series (e.g. 'group')")
    ordered = table.sort_values([*keys, "period"], ignore_index=True)
    present = ordered[value].notna()
    # The previous period with a value, within the same series: empty periods are skipped.
    previous = ordered[present].groupby(keys, sort=False)[["period", value, low, high]].shift(1).reindex(ordered.index)
    earlier_low, earlier_high = previous[low], previous[high]
    apart_up = ordered[low] > earlier_high
    apart_down = ordered[high] < earlier_low
    result = ordered.copy()
    result["compared_with"] = previous["period"].where(present)
    result["change"] = (ordered[value] - previous[value]).where(present)
    result["shift"] = (present & (apart_up | apart_down)).astype(bool)
    result["shift_direction"] = np.select([result["shift"] & apart_up, result["shift"] & apart_down], ["up", "down"], "")
    return result


# ---------------------------------------------------------------------------
# Framing measures per period
# ---------------------------------------------------------------------------

# loaded_rates' columns with the period after the group.
LOADED_TREND_COLUMNS = ["group", "period", *RATE_COLUMNS[1:], *SHIFT_COLUMNS]
TONE_TREND_COLUMNS = [
    "group",
    "period",
    "voice",
    "sentences",
    "compound_mean",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
    *SHIFT_COLUMNS,
]
TREND_COLUMNS = [
    "measure",
    "group",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
    "change",
    "shift",
    "shift_direction",
]


def period_cells(articles: pd.DataFrame, *, by: str = "outlet", interval: Interval = "week") -> pd.DataFrame:
    """``articles`` with ``_cell``: one grouping key per group and period, for the reduce functions.

    Returns
    -------
    DataFrame
        The article table plus ``_group``, ``_period`` (first day of the period) and
        ``_cell`` (the two joined).
    """
    groups = pd.Series(group_labels(articles, by).to_numpy(), index=articles.index)
    periods = period_start(articles["published"], interval=interval)
    _check_dates(articles, periods)
    return articles.assign(
        _group=groups.to_numpy(),
        _period=periods.to_numpy(),
        _cell=(groups + _CELL_SEPARATOR + periods.dt.strftime("%Y-%m-%d")).to_numpy(),
    )


def _split_cells(table: pd.DataFrame) -> pd.DataFrame:
    parts = table["group"].str.split(_CELL_SEPARATOR, n=1, expand=True)
    return table.assign(group=parts[0], period=pd.to_datetime(parts[1]))


def _full_grid(table: pd.DataFrame, cells: pd.DataFrame, keys: Sequence[str], *, interval: Interval) -> pd.DataFrame:
    """Every group × (keys) × period, with empty periods present (counts 0, values NaN)."""
    periods = all_periods(cells["_period"], interval=interval)
    levels = [sorted(cells["_group"].unique()), *(list(pd.unique(table[k])) for k in keys), periods]
    index = pd.MultiIndex.from_product(levels, names=["group", *keys, "period"])
    full = table.set_index(["group", *keys, "period"]).reindex(index).reset_index()
    for column in ("hits", "tokens", "sentences", "n_articles", "n_tokens"):
        if column in full.columns:
            full[column] = full[column].fillna(0).astype(np.int64)
    full["small_sample"] = full["small_sample"].astype("boolean").fillna(True).astype(bool)
    return full


def _with_shifts(table: pd.DataFrame, *, value: str, keys: Sequence[str]) -> pd.DataFrame:
    """:func:`flag_shifts`, then no shift where either period is a small sample."""
    flagged = flag_shifts(table, value=value, keys=keys)
    previous_small = flagged.set_index([*keys, "period"])["small_sample"]
    earlier = pd.MultiIndex.from_frame(flagged[[*keys, "compared_with"]].rename(columns={"compared_with": "period"}))
    earlier_small = previous_small.reindex(earlier).fillna(True).to_numpy(dtype=bool)
    keep = flagged["shift"] & ~flagged["small_sample"] & ~earlier_small
    flagged["shift_direction"] = np.where(keep, flagged["shift_direction"], "")
    flagged["shift"] = keep.astype(bool)
    return flagged


def loaded_trends(
    hits: pd.DataFrame,
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    interval: Interval = "week",
    categories: Sequence[str] | None = None,
    voice: Voice = "all",
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Loaded-term rates per group, period and category, with shifts between periods.

    Parameters
    ----------
    hits, tokens, articles
        As for ``analysis.measures.loaded.loaded_rates`` (hits from ``loaded_hits``, the
        token table or its ``voice_token_counts``, the article table with ``published``).
    by : str, default="outlet"
    interval : {"day", "week", "month"}, default="week"
    categories : sequence of str, optional
        Categories to report, zeros included (``matcher.lexicon.categories``).
    voice : {"narration", "quoted", "all"}, default="all"
    n_boot, seed
        Bootstrap settings, as in ``loaded_rates``.

    Returns
    -------
    DataFrame
        One row per group × period × category (empty periods present):
        ``group``, ``period``, ``category``, ``voice``, ``hits``, ``tokens``, ``rate_per_1000``,
        ``ci_low``, ``ci_high`` (bootstrap over the period's articles), ``n_articles``,
        ``n_tokens``, ``small_sample`` (True for empty periods), and from :func:`flag_shifts`
        ``compared_with``, ``change``, ``shift`` (only between periods that are not small
        samples), ``shift_direction``.
    """
    from analysis.measures.loaded import loaded_rates

    check_voice(voice)
    cells = period_cells(articles, by=by, interval=interval)
    rates = loaded_rates(hits, tokens, cells, by="_cell", categories=categories, n_boot=n_boot, seed=seed)
    rates = _split_cells(rates[rates["voice"] == voice])
    full = _full_grid(rates, cells, ["category"], interval=interval).assign(voice=voice)
    return _with_shifts(full, value="rate_per_1000", keys=["group", "category"])[LOADED_TREND_COLUMNS]


def tone_trends(
    sentences: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    interval: Interval = "week",
    voice: Voice = "all",
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean VADER sentence tone per group and period, with shifts between periods.

    Parameters
    ----------
    sentences : DataFrame
        From ``analysis.measures.tone.sentence_tone`` (or its ``article_tone`` sums).
    articles : DataFrame
        The article table with ``published`` and the ``by`` column.

    Returns
    -------
    DataFrame
        One row per group × period (empty periods present): ``group``, ``period``,
        ``voice``, ``sentences``, ``compound_mean``, ``ci_low``, ``ci_high`` (bootstrap over
        the period's articles), ``n_articles``, ``n_tokens``, ``small_sample``,
        ``compared_with``, ``change``, ``shift``, ``shift_direction``.
    """
    from analysis.measures.tone import tone_by_group

    check_voice(voice)
    cells = period_cells(articles, by=by, interval=interval)
    tone = tone_by_group(sentences, cells, by="_cell", n_boot=n_boot, seed=seed)
    tone = _split_cells(tone[tone["voice"] == voice])
    full = _full_grid(tone, cells, [], interval=interval).assign(voice=voice)
    return _with_shifts(full, value="compound_mean", keys=["group"])[TONE_TREND_COLUMNS]


DISTINCTIVE_COLUMNS = [
    "group",
    "period",
    "reference",
    "term",
    "count",
    "count_reference",
    "log_odds",
    "z",
    "n_articles",
    "n_tokens",
    "small_sample",
]


def distinctive_terms(
    tokens_or_counts: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    interval: Interval = "week",
    top: int = 10,
    voice: Voice = "all",
    stop_words: StopWords = "english",
) -> pd.DataFrame:
    """The words that set each period apart from the group's other periods (keyness).

    Each group's periods are compared with one another by
    ``analysis.measures.keyness.keyness`` (weighted log-odds with an informative Dirichlet
    prior; each period against the group's other periods pooled, or against the other one
    when there are two). ``stop_words`` are left out (default: English and reporting verbs).

    Parameters
    ----------
    tokens_or_counts : DataFrame
        The token table, or ``analysis.measures.tfidf.term_counts`` of it for ``voice``.
    articles : DataFrame
        The article table with ``published`` and the ``by`` column.
    top : int, default=10
        Words per period, highest ``z`` first.

    Returns
    -------
    DataFrame
        ``group``, ``period`` (first day), ``reference`` (the period(s) compared with:
        ``(rest)`` or a date), ``term``, ``count``, ``count_reference``, ``log_odds``, ``z``
        (|z| > 1.96 is the usual bar), ``n_articles``, ``n_tokens`` (the period's), and
        ``small_sample``. Groups with articles in only one period have no rows.
    """
    from analysis.measures.keyness import keyness
    from analysis.measures.tfidf import term_counts

    counts = term_counts(tokens_or_counts, voice=voice) if "token" in tokens_or_counts.columns else tokens_or_counts
    cells = period_cells(articles, by=by, interval=interval).assign(_period_label=lambda t: t["_period"].dt.strftime("%Y-%m-%d"))
    parts = []
    for group, members in cells.groupby("_group", sort=True):
        if members["_period_label"].nunique() < 2:
            continue
        table = keyness(counts, members, by="_period_label", top=top, voice=voice, stop_words=stop_words)
        parts.append(table.assign(period=pd.to_datetime(table["group"]), group=group))
    if not parts:
        return pd.DataFrame(columns=DISTINCTIVE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[DISTINCTIVE_COLUMNS]


def trend_table(loaded: pd.DataFrame, tone: pd.DataFrame) -> pd.DataFrame:
    """Loaded-term and tone trends in one long table, for printing and the report.

    Returns
    -------
    DataFrame
        ``measure`` (``loaded:<category> per 1000`` or ``tone (VADER compound)``), ``group``,
        ``period``, ``value``, ``ci_low``, ``ci_high``, ``n_articles``, ``n_tokens``,
        ``small_sample``, ``change``, ``shift``, ``shift_direction``.
    """
    parts = [
        loaded.assign(measure="loaded:" + loaded["category"] + " per 1000", value=loaded["rate_per_1000"]),
        tone.assign(measure="tone (VADER compound)", value=tone["compound_mean"]),
    ]
    combined = pd.concat([p[TREND_COLUMNS] for p in parts if not p.empty], ignore_index=True)
    return combined.sort_values(["measure", "group", "period"], ignore_index=True)


# ---------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------
