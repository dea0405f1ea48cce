"""Figures for write-ups: the house style, one fixed colour per outlet, reproducible files.

Plot functions take a tidy DataFrame and return a matplotlib :class:`~matplotlib.figure.Figure`;
saving is the caller's, through :func:`save_figure`. Every plot function needs a ``title``
saying what is measured and an ``n`` saying what it rests on (see :func:`n_label`), shown
under the title, so a chart copied into a write-up still carries its denominator.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state), inside
the house style (``framing.mplstyle``). Jupyter shows a returned figure when it is the last
expression of a cell.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from analysis.measures.sources import UNATTRIBUTED
from analysis.paths import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE_FILE = Path(__file__).with_name("framing.mplstyle")

#: Figure widths in inches for one and two journal columns.
COLUMN_WIDTHS = {"one": 3.5, "two": 7.2}
Width = Literal["one", "two"]
FigureFormat = Literal["png", "svg", "pdf"]
FIGURE_FORMATS: tuple[FigureFormat, ...] = ("png", "svg", "pdf")

# Colour-blind-safe qualitative colours (Paul Tol's "muted" set, then three distinct extras),
# given to the shipped outlet profiles in their file order.
PROFILE_PALETTE = (
    "#332288",
    "#CC6677",
    "#117733",
    "#DDCC77",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#EE7733",
    "#0077BB",
    "#555555",
)
# Outlets without a shipped profile get one of these, chosen by a hash of the name, so the
# same unknown outlet has the same colour in every chart and every run.
FALLBACK_PALETTE = (
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
    "#AEC7E8",
    "#FFBB78",
    "#98DF8A",
    "#FF9896",
    "#C5B0D5",
    "#C49C94",
    "#F7B6D2",
    "#DBDB8D",
    "#9EDAE5",
    "#393B79",
)
NEUTRAL = "#4D4D4D"
HUE_MARKERS = ("o", "s", "D", "^", "v", "P")

P = ParamSpec("P")
R = TypeVar("R")


# ---------------------------------------------------------------------------
# Style and colours
# ---------------------------------------------------------------------------


def house_style(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside the house style (a decorator for plot and save functions)."""

    @wraps(func)
    def styled(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context(fname=STYLE_FILE):
            return func(*args, **kwargs)

    return styled


@lru_cache(maxsize=1)
def _profile_order() -> tuple[str, ...]:
    from analysis.outlets import load_profiles

    return tuple(load_profiles())


def outlet_colors(outlets: Iterable[str]) -> dict[str, str]:
    """One fixed colour per outlet, the same in every chart and every run.

    Outlets with a shipped profile (``analysis/outlets.yaml``) take the palette in profile
    order; any other outlet takes a colour chosen by a hash of its name.

    Parameters
    ----------
    outlets : iterable of str
        Canonical outlet names (repeats are fine).

    Returns
    -------
    dict
        ``{outlet: "#RRGGBB"}`` for each distinct outlet.

    Examples
    --------
    >>> outlet_colors(["TASS", "Press TV"])
    {'TASS': '#332288', 'Press TV': '#117733'}
    >>> outlet_colors(["A blog"])["A blog"] == outlet_colors(["TASS", "A blog"])["A blog"]
    True
    """
    order = {name: i for i, name in enumerate(_profile_order())}
    colors = {}
    for outlet in dict.fromkeys(outlets):
        if outlet in order:
            colors[outlet] = PROFILE_PALETTE[order[outlet] % len(PROFILE_PALETTE)]
        else:
            digest = hashlib.sha256(str(outlet).encode("utf-8")).digest()
            colors[outlet] = FALLBACK_PALETTE[int.from_bytes(digest[:4], "big") % len(FALLBACK_PALETTE)]
    return colors


def n_label(n_articles: int, n_tokens: int | None = None, *, n_outlets: int | None = None) -> str:
    """The sample a chart rests on, for its ``n`` line.

    Examples
    --------
    >>> n_label(5, 3210, n_outlets=5)
    'n = 5 articles, 3,210 words, 5 outlets'
    >>> n_label(1)
    'n = 1 article'
    """
    parts = [f"{n_articles:,} article{'s' if n_articles != 1 else ''}"]
    if n_tokens is not None:
        parts.append(f"{n_tokens:,} word{'s' if n_tokens != 1 else ''}")
    if n_outlets is not None:
        parts.append(f"{n_outlets:,} outlet{'s' if n_outlets != 1 else ''}")
    return "n = " + ", ".join(parts)


def readable(label: str) -> str:
    """A category name as a reader writes it: ``moral_condemnation`` → ``moral condemnation``."""
    return label.replace("_", " ")


def _new_figure(width: Width, height: float | None) -> Figure:
    from matplotlib.figure import Figure

    if width not in COLUMN_WIDTHS:
        raise ValueError(f"width={width!r}: use one of {sorted(COLUMN_WIDTHS)} (journal columns)")
    return Figure(figsize=(COLUMN_WIDTHS[width], height or COLUMN_WIDTHS[width] * 0.7))


def _titled(fig: Figure, title: str, n: str) -> None:
    if not title.strip() or not n.strip():
        raise ValueError("title and n are required: say what is measured and what it rests on (plots.n_label)")
    fig.suptitle(f"{title}\n{n}", x=0.01, ha="left", fontsize=9)


def _require(table: pd.DataFrame, columns: Sequence[str | None], what: str) -> None:
    missing = [c for c in columns if c is not None and c not in table.columns]
    if missing:
        raise KeyError(f"{what}: table has no column(s) {missing}; it has {list(table.columns)}")


def _colors_for(table: pd.DataFrame, outlet_column: str | None) -> list[str]:
    if outlet_column is None:
        return [NEUTRAL] * len(table)
    colors = outlet_colors(table[outlet_column].astype(str))
    return [colors[str(o)] for o in table[outlet_column]]


def _height_for(n_rows: int, *, per_row: float = 0.22, minimum: float = 1.8) -> float:
    return max(minimum, 0.9 + per_row * n_rows)


# ---------------------------------------------------------------------------
# Plot functions: tidy table in, Figure out
# ---------------------------------------------------------------------------


@house_style
def bar_chart(
    table: pd.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    n: str,
    xlabel: str,
    outlet_column: str | None = None,
    width: Width = "one",
) -> Figure:
    """Horizontal bars, one per row of ``table``, in table order from the top.

    Parameters
    ----------
    table : DataFrame
        Columns ``category`` (bar labels), ``value`` (bar lengths) and, optionally,
        ``outlet_column`` (colours bars by outlet; otherwise one neutral colour).
    title, n, xlabel : str
        What is measured, the sample behind it, the value axis label.
    width : {"one", "two"}, default="one"
        Journal column width.
    """
    _require(table, [category, value, outlet_column], "bar_chart")
    fig = _new_figure(width, _height_for(len(table)))
    ax = fig.add_subplot()
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, table[value].to_numpy(dtype=float), color=_colors_for(table, outlet_column), height=0.7)
    ax.set_yticks(positions, [readable(label) for label in table[category].astype(str)])
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    _titled(fig, title, n)
    return fig


@house_style
def interval_chart(
    table: pd.DataFrame,
    *,
    value: str,
    title: str,
    n: str,
    xlabel: str,
    group: str = "group",
    low: str = "ci_low",
    high: str = "ci_high",
    hue: str | None = None,
    outlet_column: str | None = None,
    width: Width = "one",
) -> Figure:
    """Estimates with their intervals, one line per group (and per ``hue`` value).

    Rows flagged ``small_sample`` (a column of group-statistics tables) are drawn with
    hollow markers and the legend says so.

    Parameters
    ----------
    table : DataFrame
        A group-statistics table: ``group``, ``value``, ``low``, ``high``, optionally
        ``small_sample`` (bool), ``hue`` (e.g. ``voice``: one marker shape per value) and
        ``outlet_column`` (colours by outlet; use ``"group"`` when groups are outlets).
    title, n, xlabel : str
        What is measured, the sample behind it, the value axis label.
    width : {"one", "two"}, default="one"
        Journal column width.
    """
    _require(table, [group, value, low, high, hue, outlet_column], "interval_chart")
    groups = list(dict.fromkeys(table[group].astype(str)))
    hues = list(dict.fromkeys(table[hue].astype(str))) if hue else [None]
    fig = _new_figure(width, _height_for(len(groups) * max(1, len(hues) * 0.6)))
    ax = fig.add_subplot()
    colors = _colors_for(table, outlet_column)
    small = table["small_sample"].astype(bool).to_numpy() if "small_sample" in table else np.zeros(len(table), bool)
    row_of = {g: len(groups) - 1 - i for i, g in enumerate(groups)}
    offsets = np.linspace(0.2, -0.2, len(hues)) if len(hues) > 1 else [0.0]  # first hue on top
    for i, (_, row) in enumerate(table.iterrows()):
        h = hues.index(str(row[hue])) if hue else 0
        y = row_of[str(row[group])] + offsets[h]
        x, lo, hi = float(row[value]), float(row[low]), float(row[high])
        ax.plot([lo, hi], [y, y], color=colors[i], linewidth=1.2, solid_capstyle="butt")
        ax.plot(
            [x],
            [y],
            marker=HUE_MARKERS[h % len(HUE_MARKERS)],
            color=colors[i],
            markerfacecolor="white" if small[i] else colors[i],
        )
    ax.set_yticks(list(row_of.values()), list(row_of.keys()))
    ax.set_xlabel(xlabel)
    extent = np.nanmax(np.concatenate([table[value].to_numpy(dtype=float), table[high].to_numpy(dtype=float), [0.0]]))
    ax.set_xlim(left=min(float(np.nanmin(np.append(table[low].to_numpy(dtype=float), 0.0))), -0.03 * extent))
    handles, labels = [], []
    from matplotlib.lines import Line2D

    drawn = table[value].notna().to_numpy()
    for h, name in enumerate(hues):
        if name is not None and (table[hue].astype(str).to_numpy()[drawn] == name).any():  # only markers on the chart
            handles.append(Line2D([], [], marker=HUE_MARKERS[h % len(HUE_MARKERS)], color=NEUTRAL, linestyle=""))
            labels.append(name)
    if (small & drawn).any():
        handles.append(Line2D([], [], marker="o", color=NEUTRAL, markerfacecolor="white", linestyle=""))
        labels.append("small sample")
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides a point
    _titled(fig, title, n)
    return fig


@house_style
def strip_chart(
    table: pd.DataFrame,
    *,
    group: str,
    value: str,
    title: str,
    n: str,
    xlabel: str,
    outlet_column: str | None = None,
    width: Width = "one",
) -> Figure:
    """One dot per row (e.g. per article), a row of dots per group: every case visible.

    Parameters
    ----------
    table : DataFrame
        Columns ``group``, ``value`` and, optionally, ``outlet_column`` for colours.
    """
    _require(table, [group, value, outlet_column], "strip_chart")
    groups = list(dict.fromkeys(table[group].astype(str)))
    fig = _new_figure(width, _height_for(len(groups)))
    ax = fig.add_subplot()
    row_of = {g: len(groups) - 1 - i for i, g in enumerate(groups)}
    ys = table[group].astype(str).map(row_of).to_numpy(dtype=float)
    ax.scatter(table[value].to_numpy(dtype=float), ys, c=_colors_for(table, outlet_column), s=18, alpha=0.85, linewidths=0)
    ax.set_yticks(list(row_of.values()), list(row_of.keys()))
    ax.set_ylim(-0.6, len(groups) - 0.4)
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    _titled(fig, title, n)
    return fig


@house_style
def heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    n: str,
    colorbar_label: str,
    vmin: float = 0.0,
    vmax: float = 1.0,
    annotate: bool = True,
    width: Width = "one",
) -> Figure:
    """A labelled matrix (e.g. article-by-article similarity), values written in the cells.

    Parameters
    ----------
    matrix : DataFrame
        Square or rectangular; the index labels rows, the columns label columns.
    colorbar_label : str
        What a cell's value measures.
    annotate : bool, default=True
        Write each value (two decimals) in its cell; off for large matrices.
    """
    size = COLUMN_WIDTHS[width]
    fig = _new_figure(width, size * 0.85)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in matrix.index])
    ax.grid(False)
    if annotate and values.size <= 400:
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6, color="white" if v < (vmin + vmax) / 2 else "black")
    fig.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    _titled(fig, title, n)
    return fig


def reuse_heatmap(matrix: pd.DataFrame, articles: pd.DataFrame, *, n: str) -> Figure:
    """:func:`heatmap` of ``analysis.reuse.reuse_matrix``: rows and columns named by outlet and id."""
    names = dict(zip(articles["id"].astype(str), articles["outlet"] + " " + articles["id"].astype(str).str[:3], strict=True))
    return heatmap(
        matrix.rename(index=names, columns=names).fillna(0.0),
        title="Share of each article (row) aligned with another (column)",
        n=n,
        colorbar_label="share of the row article's words",
        width="two",
    )


@house_style
def term_panels(
    table: pd.DataFrame,
    *,
    value: str,
    title: str,
    n: str,
    xlabel: str,
    panel: str = "group",
    term: str = "term",
    top: int = 8,
    sort: bool = True,
    outlet_column: str | None = "group",
    width: Width = "two",
) -> Figure:
    """Small multiples: the ``top`` terms by ``value`` in each panel (e.g. per outlet).

    Parameters
    ----------
    table : DataFrame
        Long table with ``panel``, ``term`` and ``value`` columns (e.g. keyness z-scores).
    top : int, default=8
        Terms shown per panel.
    sort : bool, default=True
        Largest ``value`` first; False keeps table order (e.g. lexicon categories), so
        every panel lists the same terms in the same order. Panels share the value axis.
    outlet_column : str or None, default="group"
        Column colouring each panel's bars by outlet; None for one neutral colour.
    """
    _require(table, [panel, term, value, outlet_column], "term_panels")
    panels = list(dict.fromkeys(table[panel].astype(str)))
    columns = min(3, max(1, len(panels)))
    rows = int(np.ceil(len(panels) / columns)) or 1
    fig = _new_figure(width, max(1.8, rows * (0.5 + 0.17 * top)))
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True).ravel()
    for ax, name in zip(axes, panels, strict=False):
        part = table[table[panel].astype(str) == name]
        part = part.nlargest(top, value) if sort else part.head(top)
        positions = np.arange(len(part))[::-1]
        ax.barh(positions, part[value].to_numpy(dtype=float), color=_colors_for(part, outlet_column), height=0.7)
        ax.set_yticks(positions, [readable(label) for label in part[term].astype(str)])
        ax.set_title(name, loc="left", fontsize=8)
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="x", labelbottom=True)  # shared axis, but numbers under every panel
        ax.grid(axis="y", visible=False)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    _titled(fig, title, n)
    return fig


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------

# Metadata that would otherwise carry the creation time or software version.
_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


@house_style
def save_figure(
    fig: Figure,
    path_stem: str | os.PathLike[str],
    *,
    caption: str,
    formats: Sequence[FigureFormat] | str = FIGURE_FORMATS,
) -> list[Path]:
    """Write ``fig`` as PNG (300 dpi), SVG and/or PDF, and its caption beside it.

    Files carry no dates or software versions, so the same figure gives the same bytes
    on every run. Each file is written to a temporary name and then renamed.

    Parameters
    ----------
    fig : Figure
        The figure to save.
    path_stem : path
        Path without suffix, e.g. ``run/figures/01-articles-per-outlet``.
    caption : str
        The text a write-up prints under the figure: what is shown, the sample, caveats.
        Saved as ``<stem>.txt``.
    formats : sequence of {"png", "svg", "pdf"} or comma-separated str, default=all three

    Returns
    -------
    list of Path
        The files written: one per format, then the caption.
    """
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FIGURE_FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats={list(formats)!r}: choose from {list(FIGURE_FORMATS)}")
    if not caption.strip():
        raise ValueError("caption is required: say what the figure shows and the n behind it")
    stem = Path(path_stem)
    written = []
    for fmt in dict.fromkeys(formats):
        target = stem.with_name(f"{stem.name}.{fmt}")
        write_atomic(target, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt]))
        written.append(target)
    caption_file = stem.with_name(f"{stem.name}.txt")
    write_atomic(caption_file, lambda tmp: tmp.write_text(caption.strip() + "\n", encoding="utf-8"))
    written.append(caption_file)
    return written


# ---------------------------------------------------------------------------
# Measures over time (analysis.trends)
# ---------------------------------------------------------------------------


def plot_over_time(
    table: pd.DataFrame,
    *,
    value: str,
    title: str,
    n: str,
    ylabel: str,
    count: str = "n_articles",
    low: str = "ci_low",
    high: str = "ci_high",
    limits: tuple[float, float] | None = None,
    width: Literal["one", "two"] = "two",
):
    """A measure per period: one line per group (outlet colours), its interval as a band.

    Periods without articles break the line; ``small_sample`` periods get hollow markers and
    periods with ``shift`` (when the table has it) a ring around the marker.

    Parameters
    ----------
    table : DataFrame
        A per-period table: ``group``, ``period``, ``value``, ``low``, ``high``, ``count``
        (articles per period, summed into the legend's n), ``small_sample``, optionally ``shift``.
    value, title, n, ylabel : str
        The measured column, what is measured, the sample line (:func:`n_label`), the axis label.
    limits : (float, float), optional
        Fixed y-axis limits (e.g. (0, 1) for shares).
    width : {"one", "two"}, default="two"
        Journal column width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from analysis.stats import SMALL_SAMPLE_ARTICLES

    @house_style
    def draw():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(COLUMN_WIDTHS[width], COLUMN_WIDTHS[width] * 0.5))
        ax = fig.add_subplot()
        colors = outlet_colors(table["group"].astype(str))
        for group, rows in table.groupby("group", sort=True):
            color = colors[str(group)]
            ax.fill_between(rows["period"], rows[low], rows[high], color=color, alpha=0.15, linewidth=0)
            ax.vlines(rows["period"], rows[low], rows[high], color=color, alpha=0.4, linewidth=0.8)
            ax.plot(rows["period"], rows[value], color=color, label=f"{group} (n={int(rows[count].sum())})")
            small = rows["small_sample"].to_numpy(dtype=bool)
            ax.plot(rows["period"][~small], rows[value][~small], "o", color=color)
            ax.plot(rows["period"][small], rows[value][small], "o", color=color, markerfacecolor="white")
            if "shift" in rows:
                shifted = rows["shift"].to_numpy(dtype=bool)
                ax.plot(rows["period"][shifted], rows[value][shifted], "o", color=color, markersize=11, fillstyle="none")
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        if limits is not None:
            ax.set_ylim(*limits)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
        legend = f"hollow: fewer than {SMALL_SAMPLE_ARTICLES} articles" + ("; ringed: shift" if "shift" in table else "")
        fig.suptitle(f"{title}; {legend}\n{n}", x=0.01, ha="left", fontsize=8)
        return fig

    return draw()


def plot_attention(table: pd.DataFrame, *, query: str, width: Literal["one", "two"] = "two"):
    """Attention over time (from :func:`analysis.trends.attention`): one line per group with its Wilson band.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = n_label(int(table["total"].sum()), n_outlets=table["group"].nunique()) + f", {int(table['matching'].sum())} matching"
    return plot_over_time(
        table,
        value="ratio",
        count="total",
        title=f"Attention: share of articles matching {query!r}, 95% Wilson band",
        n=n,
        ylabel="share of articles matching",
        limits=(-0.02, 1.02),
        width=width,
    )


# ---------------------------------------------------------------------------
# Whose words are quoted (analysis.measures.sources)
# ---------------------------------------------------------------------------

#: One colour per affiliation, fixed so every chart agrees; others get grey shades in order.
AFFILIATION_COLORS = {
    "US government": "#332288",
    "Russian government": "#CC6677",
    "Chinese government": "#DDCC77",
    "Russian opposition": "#117733",
    "NGO": "#44AA99",
    "media": "#88CCEE",
    "US politics": "#AA4499",
    UNATTRIBUTED: "#BBBBBB",
}


_OTHER_COLORS = ("#999933", "#882255", "#EE7733", "#0077BB", "#555555", "#777777")


def voice_share_chart(table: pd.DataFrame, *, title: str, n: str) -> Figure:
    """Stacked horizontal bars: each group's quoted words split by speaker affiliation.

    Parameters
    ----------
    table : DataFrame
        From :func:`analysis.measures.sources.voice_share` (``group``, ``affiliation``, ``share``, ``small_sample``).
    title, n : str
        What is shown and the sample it rests on (:func:`n_label`).
    """
    return house_style(_voice_share_chart)(table, title=title, n=n)


def _voice_share_chart(table: pd.DataFrame, *, title: str, n: str) -> Figure:
    from matplotlib.figure import Figure

    if not title.strip() or not n.strip():
        raise ValueError("title and n are required: say what is measured and what it rests on (plots.n_label)")
    wide = table.pivot_table(index="group", columns="affiliation", values="share", aggfunc="sum", fill_value=0)
    known = [a for a in AFFILIATION_COLORS if a in wide.columns]
    others = sorted(a for a in wide.columns if a not in AFFILIATION_COLORS)
    wide = wide[[a for a in known if a != UNATTRIBUTED] + others + ([UNATTRIBUTED] if UNATTRIBUTED in known else [])]
    colors = {**AFFILIATION_COLORS, **{a: _OTHER_COLORS[i % len(_OTHER_COLORS)] for i, a in enumerate(others)}}
    fig = Figure(figsize=(7.2, max(1.8, 0.9 + 0.35 * len(wide))))
    ax = fig.add_subplot()
    positions = np.arange(len(wide))[::-1]
    left = np.zeros(len(wide))
    for affiliation in wide.columns:
        values = wide[affiliation].to_numpy(dtype=float)
        ax.barh(positions, values, left=left, color=colors[affiliation], height=0.7, label=affiliation)
        left += values
    small = table.groupby("group")["small_sample"].first().reindex(wide.index).fillna(False).to_numpy(dtype=bool)
    labels = [f"{g} *" if s else g for g, s in zip(wide.index, small, strict=True)]
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of quoted words (speech quotations)" + ("; * small sample" if small.any() else ""))
    ax.grid(axis="y", visible=False)
    if len(wide.columns):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False)
    fig.suptitle(f"{title}\n{n}", x=0.01, ha="left", fontsize=9)
    return fig


def plot_frame_prevalence(table: pd.DataFrame, *, n: str) -> Figure:
    """Each code's corrected prevalence per group with its interval: one row per code, one marker per group.

    Parameters
    ----------
    table : DataFrame
        From :func:`analysis.frames.frame_prevalence` (``group``, ``code``, ``prevalence``,
        ``ci_low``, ``ci_high``, ``small_sample``); groups are coloured as outlets.
    n : str
        The sample the shares rest on (:func:`n_label`).
    """
    shown = table.assign(frame=table["code"].map(readable), outlet=table["group"].astype(str))
    return interval_chart(
        shown,
        value="prevalence",
        group="frame",
        hue="outlet",
        outlet_column="outlet",
        title="Frame prevalence by group, corrected for the classifier's error",
        n=n,
        xlabel="share of units carrying the frame (95% interval)",
        width="two",
    )


# ---------------------------------------------------------------------------
# Topics (analysis.topics)
# ---------------------------------------------------------------------------


def plot_topic_prevalence(
    prevalence: pd.DataFrame,
    *,
    title: str | None = None,
    n: str | None = None,
    columns: int = 3,
    width: Width = "two",
) -> Figure:
    """Topic prevalence per group: one panel per topic, each group's mean share with its interval.

    Without a ``period`` column each panel has a row per group (outlet colours; hollow markers
    for ``small_sample`` groups); with one, each panel has a line per group over the periods,
    its interval as a band.

    Parameters
    ----------
    prevalence : DataFrame
        From :func:`analysis.topics.topic_prevalence`: ``group``, ``topic``, ``label``,
        ``share``, ``ci_low``, ``ci_high``, ``n_articles``, ``small_sample``, optionally ``period``.
    title, n : str, optional
        What is shown and the sample (:func:`n_label`); default: a title saying what the
        shares are and the articles and groups of the table.
    columns : int, default=3
        Panels per row.
    width : {"one", "two"}, default="two"

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require(prevalence, ["group", "topic", "label", "share", "ci_low", "ci_high", "n_articles"], "plot_topic_prevalence")
    if prevalence.empty:
        raise ValueError("plot_topic_prevalence: the prevalence table has no rows")
    over_time = "period" in prevalence.columns
    if n is None:
        cells = prevalence.drop_duplicates(["group", "period"] if over_time else ["group"])
        n = n_label(int(cells["n_articles"].sum())) + f", {prevalence['group'].nunique()} group(s)"
    if title is None:
        title = "Topic prevalence: mean share of each group's articles' words, 95% bootstrap interval over articles"
    return house_style(_topic_prevalence)(prevalence, title=title, n=n, columns=columns, width=width, over_time=over_time)


def _topic_prevalence(table: pd.DataFrame, *, title: str, n: str, columns: int, width: Width, over_time: bool) -> Figure:
    topics = table.drop_duplicates("topic").sort_values("topic")
    groups = sorted(table["group"].astype(str).unique())
    colors = outlet_colors(groups)
    columns = max(1, min(columns, len(topics)))
    rows = int(np.ceil(len(topics) / columns))
    per_panel = 0.6 + (1.4 if over_time else 0.18 * len(groups))
    fig = _new_figure(width, max(1.8, 0.7 + rows * per_panel))
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=not over_time).ravel()
    small = table["small_sample"].astype(bool) if "small_sample" in table else pd.Series(False, index=table.index)
    for ax, (_, topic) in zip(axes, topics.iterrows(), strict=False):
        part = table[table["topic"] == topic["topic"]]
        label = f"{int(topic['topic'])}: {topic['label']}"
        ax.set_title(label if len(label) <= 34 else label[:33] + "…", loc="left", fontsize=7)
        if over_time:
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            for group in groups:
                rows_of = part[part["group"].astype(str) == group].sort_values("period")
                color, hollow = colors[group], small.loc[rows_of.index].to_numpy(dtype=bool)
                ax.fill_between(rows_of["period"], rows_of["ci_low"], rows_of["ci_high"], color=color, alpha=0.15, linewidth=0)
                ax.plot(rows_of["period"], rows_of["share"], color=color, label=group)
                ax.plot(rows_of["period"][~hollow], rows_of["share"][~hollow], "o", color=color, markersize=3)
                ax.plot(
                    rows_of["period"][hollow], rows_of["share"][hollow], "o", color=color, markersize=3, markerfacecolor="white"
                )
            locator = AutoDateLocator(maxticks=4)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            ax.tick_params(axis="x", labelsize=6)
        else:
            position = {g: len(groups) - 1 - i for i, g in enumerate(groups)}
            for i, row in part.iterrows():
                y, color = position[str(row["group"])], colors[str(row["group"])]
                ax.plot([row["ci_low"], row["ci_high"]], [y, y], color=color, linewidth=1.2, solid_capstyle="butt")
                ax.plot([row["share"]], [y], "o", color=color, markerfacecolor="white" if small.loc[i] else color)
            ax.set_yticks(list(position.values()), list(position.keys()), fontsize=6)
            ax.set_ylim(-0.6, len(groups) - 0.4)
            ax.grid(axis="y", visible=False)
        ax.set_xlabel("share of words" if not over_time else "")
        ax.tick_params(axis="x", labelbottom=True)
    high = np.nanmax(np.append(table[["share", "ci_high"]].to_numpy(dtype=float).ravel(), 0.05))
    if over_time:
        for ax in axes[: len(topics)]:
            ax.set_ylim(0, min(1.0, high * 1.1))
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", fontsize=6, ncol=min(6, len(groups)), frameon=False)
    else:
        axes[0].set_xlim(-0.03, min(1.03, high * 1.05 + 0.02))
    for ax in axes[len(topics) :]:
        ax.set_visible(False)
    legend = "; hollow: small sample" if small.any() else ""
    fig.suptitle(f"{title}{legend}\n{n}", x=0.01, ha="left", fontsize=8)
    return fig
