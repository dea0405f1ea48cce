"""What a notebook calls: its articles, its output folders, and writing tables and figures.

Inside a notebook, :func:`open_run` loads the articles named by the parameters (cleaned once
and cached) and gives the output folders; :meth:`NotebookRun.save_table` and
:meth:`NotebookRun.save_figure` write into them, and :meth:`NotebookRun.sample_label` and
:meth:`NotebookRun.colour_column` are the lines every notebook's charts share. Running the
whole suite is :mod:`analysis.suite`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis import paths
from analysis.corpus import MIN_WORDS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_FORMATS = ("png", "svg", "pdf")


# Spreadsheet programs run cells starting with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ReportError(ValueError):
    """A report cannot be run as asked; the message says which option or file to fix."""


def spreadsheet_safe(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``.

    Examples
    --------
    >>> [spreadsheet_safe(v) for v in ["=HYPERLINK(1)", "+7", "-", "@me", "plain", -3]]
    ["'=HYPERLINK(1)", "'+7", "'-", "'@me", 'plain', -3]
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(table: pd.DataFrame) -> str:
    """``table`` as CSV text (no index): headers and text cells spreadsheet-safe, lists and dicts as JSON."""
    safe = table.copy()
    safe.columns = [spreadsheet_safe(str(column)) for column in safe.columns]
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            safe.isetitem(
                position,
                values.map(
                    lambda v: spreadsheet_safe(
                        json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, dict)) else v
                    )
                ),
            )
    return safe.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, date_format="%Y-%m-%d")


def save_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` as CSV (UTF-8, no index, :func:`csv_text`), atomically.

    Parameters
    ----------
    table : DataFrame
        Any table; list and dict cells are written as JSON.
    path : path
        Target file; ``.csv`` is added when missing.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    if target.suffix != ".csv":
        target = target.with_name(target.name + ".csv")
    return paths.write_text_atomic(target, csv_text(table))


def lexicon_fingerprint(lexicon: str = "default") -> str:
    """SHA-256 over the shipped lexicons (``analysis/lexicons/``) and ``lexicon`` if it is a file."""
    folder = paths.PACKAGE_DIR / "lexicons"
    files = sorted(folder.rglob("*.yaml")) if folder.is_dir() else []
    digest = hashlib.sha256(paths.hash_files(files, paths.PACKAGE_DIR).encode())
    candidate = Path(lexicon).expanduser()
    if candidate.is_file():
        digest.update(hashlib.sha256(candidate.read_bytes()).digest())
    return digest.hexdigest()


def load_articles(corpus: str | os.PathLike[str] | None = "seeds", *, min_words: int = MIN_WORDS) -> pd.DataFrame:
    """The article table of ``corpus`` (see :func:`analysis.corpus.read_corpus`), from the clean-once cache.

    Cleaning a corpus is the slowest step every notebook shares, so the table comes from
    ``data/interim/cache/`` when it is valid (see :func:`analysis.corpus.read_corpus`'s
    ``cache``), as for every command. Articles under ``min_words`` words are skipped (as
    ``--min-words``). Problems found while loading are in ``articles.attrs["problems"]``.
    """
    from analysis.corpus import load_corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # problems are kept in attrs and shown by notebook 01
        return load_corpus(None if corpus in (None, "", "seeds") else corpus, min_tokens=min_words, cache=True)


def parse_list(value: str | Sequence[str] | None) -> list[str] | None:
    """``"all"``/empty → None (everything); ``"A, B"`` or a list → ``["A", "B"]``.

    Examples
    --------
    >>> parse_list("all"), parse_list("TASS, Press TV"), parse_list(["RT"])
    (None, ['TASS', 'Press TV'], ['RT'])
    """
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v).strip() for v in value]
    items = [v for v in items if v]
    return None if not items or [v.lower() for v in items] == ["all"] else items


def with_events(articles: pd.DataFrame, *, corpus: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """``articles`` with an event for every article: the manifest's where given, else inferred.

    Articles without an ``event`` (no column, or empty cells) get the event
    :func:`analysis.events.group_events` infers, renamed by the corpus folder's ``events.yaml``
    when it has one; ``event_source`` says which (``manifest`` or ``inferred``). A corpus whose
    articles all carry an event is returned unchanged.
    """
    labelled = articles["event"].notna() & articles["event"].astype(str).str.strip().ne("") if "event" in articles else None
    if labelled is not None and labelled.all():
        return articles
    from analysis.events import corpus_event_names, group_events

    events = group_events(articles, names=corpus_event_names(corpus) if corpus not in (None, "", "seeds") else None)
    return articles.reset_index(drop=True).assign(
        event=events["event"].to_numpy(), event_source=events["event_source"].to_numpy()
    )


def select_articles(articles: pd.DataFrame, *, event: str = "all", outlets: str | Sequence[str] = "all") -> pd.DataFrame:
    """The articles of one event (or all) from some outlets (or all).

    Raises
    ------
    ReportError
        When ``event`` or an outlet is not in the corpus; the message lists what is.
    """
    chosen = articles
    if parse_list(event) is not None:
        known = sorted(articles["event"].dropna().astype(str).unique())
        if event not in known:
            raise ReportError(f"event={event!r} is not in the corpus; events: {known or 'none'} or 'all'")
        chosen = chosen[chosen["event"] == event]
    wanted = parse_list(outlets)
    if wanted is not None:
        known = sorted(articles["outlet"].astype(str).unique())
        unknown = [o for o in wanted if o not in known]
        if unknown:
            raise ReportError(f"outlets {unknown} are not in the corpus; outlets: {known} or 'all'")
        chosen = chosen[chosen["outlet"].isin(wanted)]
    return chosen.reset_index(drop=True)


@dataclass
class NotebookRun:
    """What a notebook works on and where it writes; made by :func:`open_run`.

    Attributes
    ----------
    articles : DataFrame
        The selected articles (article table columns).
    corpus_articles : DataFrame
        Every article of the corpus, before the event/outlet selection.
    out_dir, figures_dir, tables_dir : Path
        The output folder and its ``figures/`` and ``tables/``.
    formats : tuple of str
        Figure formats to write.
    prefix : str
        Put before every file name (the notebook number), so notebooks never overwrite
        each other's outputs.
    """

    articles: pd.DataFrame
    corpus_articles: pd.DataFrame
    out_dir: Path
    figures_dir: Path
    tables_dir: Path
    formats: tuple[str, ...]
    prefix: str
    written: list[Path] = field(default_factory=list)

    def _name(self, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise ValueError(f"output name {name!r}: use letters, digits, '.', '_' and '-' only")
        return f"{self.prefix}-{name}" if self.prefix else name

    def save_table(self, table: pd.DataFrame, name: str) -> Path:
        """Write ``table`` to ``tables/<prefix>-<name>.csv`` (see :func:`save_table`)."""
        path = save_table(table, self.tables_dir / f"{self._name(name)}.csv")
        self.written.append(path)
        return path

    def save_figure(self, fig: Figure, name: str, *, caption: str) -> list[Path]:
        """Write ``fig`` to ``figures/<prefix>-<name>.{png,svg,pdf}`` plus its caption."""
        from analysis.plots import save_figure

        written = save_figure(fig, self.figures_dir / self._name(name), caption=caption, formats=self.formats)
        self.written.extend(written)
        return written

    def sample_label(self, n_words: int | None = None) -> str:
        """The ``n`` line of a chart on these articles (:func:`analysis.plots.n_label`): articles,
        ``n_words`` (default: the words of their bodies) and outlets."""
        from analysis.plots import n_label

        words = int(self.articles["n_tokens"].sum()) if n_words is None else n_words
        return n_label(len(self.articles), words, n_outlets=self.articles["outlet"].nunique())

    @staticmethod
    def colour_column(group_by: str, column: str = "group") -> str | None:
        """``column`` when the groups are outlets, else None: outlet colours only mean something for outlets."""
        return column if group_by == "outlet" else None

    def sample_note(self, articles: pd.DataFrame | None = None) -> str:
        """One sentence on the sample (the run's articles, or the ``articles`` a cell selected), with the caveat every output carries."""
        a = self.articles if articles is None else articles
        return (
            f"{len(a)} article(s), {int(a['n_tokens'].sum()):,} words, from {a['outlet'].nunique()} outlet(s) "
            f"and {a['event'].nunique()} event(s). A handful of articles is not a population: "
            "these numbers describe these texts, not the outlets in general."
        )


#: Decimals and rows a notebook shows of a table (the CSV written keeps every digit and row).
TABLE_DECIMALS = 3
TABLE_ROWS = 100


def show_tables_plainly() -> None:
    """Show every DataFrame in this notebook without its index, floats to :data:`TABLE_DECIMALS`
    places, missing values as "–" and at most :data:`TABLE_ROWS` rows: the table a reader copies
    into a write-up. Outside IPython this does nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def plain(table: pd.DataFrame) -> str:
        shown = table.head(TABLE_ROWS)
        styled = shown.style.hide(axis="index").format(precision=TABLE_DECIMALS, na_rep="–", escape="html")
        html = styled.format_index(escape="html", axis=1).to_html()  # cells and headers may hold article text
        more = f"<p>First {TABLE_ROWS} of {len(table):,} rows; the saved table has all.</p>" if len(table) > TABLE_ROWS else ""
        return html + more

    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, plain)


def open_run(
    corpus: str = "seeds",
    *,
    event: str = "all",
    outlets: str | Sequence[str] = "all",
    output_dir: str | os.PathLike[str] = "reports/notebooks",
    formats: str | Sequence[str] = FIGURE_FORMATS,
    prefix: str = "",
    min_words: int = MIN_WORDS,
) -> NotebookRun:
    """Load and select the articles named by a notebook's parameters; make its output folders.

    Parameters
    ----------
    corpus : str, default="seeds"
        Folder or table of articles, or ``"seeds"``.
    event, outlets : str
        ``"all"`` or an event id; ``"all"`` or comma-separated outlet names.
    output_dir : path, default="reports/notebooks"
        Relative paths are taken from the project root (not the notebook's folder).
    formats : str or sequence
        Figure formats, e.g. ``"png,svg,pdf"``.
    prefix : str
        The notebook number, put before every output name.
    min_words : int, default=25
        Articles with fewer words after cleaning are skipped (lower it for a table of short units).
    """
    chosen_formats = tuple(parse_list(formats) or FIGURE_FORMATS)
    unknown = [f for f in chosen_formats if f not in FIGURE_FORMATS]
    if unknown:
        raise ReportError(f"formats: {unknown} not supported; choose from {list(FIGURE_FORMATS)}")
    out_dir = Path(output_dir).expanduser()
    if not out_dir.is_absolute():
        out_dir = paths.PROJECT_ROOT / out_dir
    show_tables_plainly()
    corpus_articles = with_events(load_articles(corpus, min_words=min_words), corpus=corpus)
    articles = select_articles(corpus_articles, event=event, outlets=outlets)
    if articles.empty:
        raise ReportError(f"no articles for event={event!r} and outlets={outlets!r}")
    return NotebookRun(
        articles=articles,
        corpus_articles=corpus_articles,
        out_dir=out_dir,
        figures_dir=out_dir / "figures",
        tables_dir=out_dir / "tables",
        formats=chosen_formats,
        prefix=prefix,
    )
