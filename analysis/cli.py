"""The ``framing`` command: parse arguments, call one function, print a table, ``--json`` or ``--csv``.

Each command is a function ``(args) -> exit code`` registered in :func:`build_parser`.
Exit codes: 0 done, 1 the data has problems, 2 the command was used wrongly. Every error is one
line on stderr (:func:`main`); tables fit the terminal (:func:`print_table`); ``--chart`` saves a
command's figure as the notebooks draw it (:func:`_save_chart`).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.corpus import MIN_WORDS, CorpusError
from analysis.options import Progress, no_progress
from analysis.outlets import ProfileError
from analysis.run import NotebookRun
from analysis.tokens import KWIC_COLUMNS

Command = Callable[[argparse.Namespace], int]


class UsageError(ValueError):
    """The command line asked for something that cannot be done (exit 2)."""


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records of ``table``: dates as ISO strings, NaN as null."""
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_dict("records")]


def machine_readable(args: argparse.Namespace) -> bool:
    """Whether the command was asked for ``--json`` or ``--csv``: every row and column, no notes."""
    return bool(getattr(args, "json", False) or getattr(args, "csv", False))


def progress_bar(args: argparse.Namespace) -> Progress:
    """A tqdm bar on stderr for long loops when stderr is a terminal; nothing when piped or with ``--json``/``--csv``."""
    if machine_readable(args) or not sys.stderr.isatty():
        return no_progress
    from tqdm import tqdm

    return partial(tqdm, file=sys.stderr, leave=False, unit="", dynamic_ncols=True)


#: Text cells are never shortened below this many characters (or their header) to fit the terminal.
NARROWEST_CELL = 10


def _fit_to_width(shown: pd.DataFrame, width: int) -> pd.DataFrame:
    """Shorten the widest text columns (with "…") until the table is at most ``width`` characters wide."""
    cells = shown.astype(object).map(str)
    widths = {c: max(len(str(c)), int(cells[c].str.len().max())) for c in shown.columns}
    excess = sum(widths.values()) + 2 * (len(widths) - 1) - width
    text_columns = [c for c in shown.columns if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c])]
    while excess > 0:
        shrinkable = [c for c in text_columns if widths[c] > max(NARROWEST_CELL, len(str(c)))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=widths.__getitem__)
        cut = min(excess, widths[widest] - max(NARROWEST_CELL, len(str(widest))))
        widths[widest] -= cut
        excess -= cut
    for column in text_columns:
        limit = widths[column]
        shown[column] = shown[column].map(lambda v, n=limit: v if not isinstance(v, str) or len(v) <= n else v[: n - 1] + "…")
    return shown


def print_table(table: pd.DataFrame, args: argparse.Namespace | None = None, *, columns: Sequence[str] | None = None) -> None:
    """Print ``table`` as ``args`` asks: JSON records (``--json``) or CSV (``--csv``) of every
    column, else a text table of ``columns`` fitted to the terminal (``--wide``: never shortened).
    """
    if getattr(args, "json", False):
        json.dump(records(table), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    if getattr(args, "csv", False):
        from analysis.run import csv_text

        sys.stdout.write(csv_text(table))
        return
    shown = table.loc[:, list(columns)] if columns else table
    if shown.empty:
        print("(no rows)")
        return
    shown = shown.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
        elif shown[column].dtype == object:
            shown[column] = shown[column].map(lambda v: " ".join(v.split()) if isinstance(v, str) else v)
    if getattr(args, "wide", False):
        print(shown.to_string(index=False))
        return
    width = terminal_width()
    # Shorten the widest text first; what still does not fit continues below, as pandas wraps.
    print(_fit_to_width(shown, width).to_string(index=False, line_width=width))


def terminal_width() -> int:
    """Columns of the terminal (``COLUMNS`` when set; 120 when output is not a terminal)."""
    return shutil.get_terminal_size((120, 24)).columns


def print_note(text: str) -> None:
    """A note under a table, wrapped to the terminal's width (a leading blank line is kept)."""
    import textwrap

    width = terminal_width()
    lead = "\n" if text.startswith("\n") else ""
    print(lead + textwrap.fill(text.strip(), width=max(40, width - 1)))


def print_tables(tables: dict[str, pd.DataFrame], args: argparse.Namespace) -> None:
    """``--json``: ``{name: records}`` of every table; ``--csv``: the first table (the others need --json)."""
    if args.json:
        json.dump({name: records(table) for name, table in tables.items()}, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    first, *others = tables
    print_table(tables[first], args)
    if others:
        print(f"framing: --csv prints the {first} table; --json prints {', '.join(others)} too", file=sys.stderr)


def _report_problems(problems: Sequence[Any], *, to_stdout: bool = False) -> None:
    for problem in problems:
        print(str(problem), file=sys.stdout if to_stdout else sys.stderr)


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def load_for_command(args: argparse.Namespace) -> pd.DataFrame:
    """Load the corpus named on the command line; report skipped articles on stderr."""
    from analysis.corpus import read_corpus

    articles, problems = read_corpus(
        args.corpus,
        min_tokens=getattr(args, "min_words", MIN_WORDS),
        outlets=getattr(args, "outlets", None),
        progress=progress_bar(args),
        cache=not getattr(args, "no_cache", False),
    )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} article(s) skipped; run 'framing validate' for every problem:", file=sys.stderr)
        _report_problems(errors)
    if articles.empty:
        raise UsageError("no usable articles in the corpus")
    return select_by_query(articles, args)


def select_by_query(articles: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The articles matching ``--query`` (all of them without one); a malformed query is exit 2."""
    query = getattr(args, "query", None)
    if not query:
        return articles
    from analysis.query import QuerySyntaxError, filter_articles

    try:
        chosen = filter_articles(articles, query)
    except (QuerySyntaxError, KeyError) as err:
        raise UsageError(f"--query: {err.args[0] if isinstance(err, KeyError) else err}") from None
    if chosen.empty:
        raise UsageError(f"--query {query!r} matches none of the {len(articles)} articles")
    return chosen


def _check_dask_outlets(args: argparse.Namespace) -> None:
    if args.engine == "dask" and getattr(args, "outlets", None):
        raise UsageError("--outlets works with --engine local; with dask, put the profiles in the corpus folder's outlets.yaml")


def cmd_corpus(args: argparse.Namespace) -> int:
    _check_dask_outlets(args)
    if args.engine == "dask":
        from analysis.engine import map_articles, without_raw

        articles = select_by_query(map_articles(args.corpus, without_raw, engine="dask", scheduler=args.scheduler), args)
    else:
        articles = load_for_command(args)
    articles = articles.assign(removed_count=articles["removed"].map(len))
    _save_chart(
        args,
        lambda plots: plots.bar_chart(
            articles.groupby("outlet", as_index=False)["n_tokens"].sum(),
            category="outlet",
            value="n_tokens",
            outlet_column="outlet",
            title="Words of article text per outlet",
            n=_sample(articles),
            xlabel="words in cleaned bodies",
        ),
        "Words of cleaned article text per outlet.",
    )
    if machine_readable(args):
        print_table(articles.drop(columns=["raw"], errors="ignore"), args)
    else:
        print_table(articles, args, columns=["id", "outlet", "published", "headline", "n_tokens", "removed_count"])
        print_note(
            f"\n{len(articles)} articles, {articles['n_tokens'].sum():,} words in bodies, "
            f"{articles['outlet'].nunique()} outlets. A handful of articles is not a population."
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from analysis.corpus import validate_corpus

    problems = validate_corpus(
        args.corpus,
        min_tokens=args.min_words,
        outlets=args.outlets,
        progress=progress_bar(args),
        cache=not getattr(args, "no_cache", False),
    )
    errors = sum(p.severity == "error" for p in problems)
    if machine_readable(args):
        print_table(pd.DataFrame([asdict(p) | {"kind": p.kind} for p in problems]), args)
    elif args.all:
        _report_problems(problems, to_stdout=True)
    else:
        _report_grouped(problems)
    if problems and not machine_readable(args):
        print(f"\n{errors} error(s), {len(problems) - errors} warning(s). Exit 1 only for errors: articles that were skipped.")
    elif not machine_readable(args):
        print("No problems found.")
    return 1 if errors else 0


#: Problems of one kind shown by ``framing validate`` before "and N more".
SHOWN_PER_KIND = 3


def _report_grouped(problems: Sequence[Any]) -> None:
    """Problems by kind, errors first, each kind with its count and its first few."""
    kinds: dict[str, list[Any]] = {}
    for problem in sorted(problems, key=lambda p: p.severity != "error"):
        kinds.setdefault(problem.kind, []).append(problem)
    for kind, members in kinds.items():
        print(f"{kind} ({len(members):,})" if len(members) > 1 else kind)
        for problem in members[:SHOWN_PER_KIND]:
            print(f"  {problem}")
        if len(members) > SHOWN_PER_KIND:
            print(f"  … and {len(members) - SHOWN_PER_KIND:,} more (--all lists every problem)")


def cmd_ingest(args: argparse.Namespace) -> int:
    from analysis.ingest import ingest
    from analysis.store import StoreError, store_summary

    try:
        options = {"outlets": str(Path(args.outlets).resolve())} if args.outlets else {}
        result = ingest(
            args.corpus, args.to, engine=args.engine, scheduler=args.scheduler, progress=progress_bar(args), **options
        )
    except StoreError as err:
        raise UsageError(str(err)) from None
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} article(s) skipped; run 'framing validate' for every problem:", file=sys.stderr)
        _report_problems(errors)
    for article_id in result.id_conflicts:
        print(f"skipped {article_id}: the store holds this id with another body; give the new version a new id", file=sys.stderr)
    summary = store_summary(result.store)
    print_table(summary, args, columns=["outlet", "month", "files", "articles"])
    if not machine_readable(args):
        print_note(
            f"\n{result.added} article(s) added, {result.duplicates} already in the store, "
            f"{len(result.id_conflicts)} id conflict(s); {int(summary['articles'].sum())} articles in {result.store}"
        )
    return 1 if errors else 0


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.suite import ReportError, main_report_lines, read_params_file, run_report

    bar = progress_bar(args)
    if machine_readable(args):
        say = None
    elif bar is no_progress:
        say = partial(print, flush=True)
    else:  # lines above the bar, which stays at the bottom
        from tqdm import tqdm

        say = tqdm.write
    try:
        result = run_report(
            args.corpus,
            event=args.event,
            outlets=args.outlets,
            notebooks=args.notebooks,
            out=args.out,
            reports=args.reports,
            formats=args.formats,
            jobs=args.jobs,
            params=read_params_file(args.params) if args.params else None,
            if_changed=args.if_changed,
            since_last=args.since_last,
            progress=say,
            bar=bar,
        )
    except ReportError as err:
        raise UsageError(str(err)) from err
    table = pd.DataFrame(
        [
            {
                "notebook": n.notebook,
                "status": n.status,
                "seconds": n.seconds,
                "html": n.html,
                "error": n.describe() if n.error else "",
            }
            for n in result.notebooks
        ],
        columns=["notebook", "status", "seconds", "html", "error"],
    )
    digest_file = result.folder / "digest.json" if result.folder is not None and args.since_last else None
    if args.json and digest_file is not None and digest_file.is_file():  # --csv: the notebooks table
        json.dump(
            {"notebooks": records(table), "digest": json.loads(digest_file.read_text(encoding="utf-8"))},
            sys.stdout,
            indent=1,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    elif machine_readable(args):
        print_table(table, args)
    else:
        if digest_file is not None and digest_file.with_suffix(".md").is_file():
            print(digest_file.with_suffix(".md").read_text(encoding="utf-8"))
        for line in main_report_lines(result):
            print(line, file=sys.stderr if result.status == "failed" and line == result.message else sys.stdout)
    return 1 if result.status == "failed" else 0


LOADED_COLUMNS = ["group", "category", "voice", "hits", "tokens", "rate_per_1000", "ci_low", "ci_high", "small_sample"]
TONE_COLUMNS = ["group", "voice", "sentences", "compound_mean", "ci_low", "ci_high", "pos", "neg", "neu"]


def _check_by(articles: pd.DataFrame, by: str) -> None:
    if by not in articles.columns:
        shown = [c for c in articles.columns if c not in ("body", "raw", "removed", "repairs")]
        raise UsageError(f"--by {by!r}: no such article column; available: {', '.join(map(str, shown))}")


def _print_rates(table: pd.DataFrame, columns: list[str], args: argparse.Namespace, *, note: str) -> None:
    if machine_readable(args):
        print_table(table[columns], args)
        return
    print_table(table.round(3), args, columns=columns)
    print_note(
        f"\n{note} Intervals need two or more articles in a group (NaN otherwise); small_sample marks groups "
        "under the article or token thresholds. A handful of articles is not a population."
    )


def _measure_source(args: argparse.Namespace) -> Any:
    """What a measure's entry point reads: the corpus path for the workers with ``--engine dask``
    (each partition selects ``--query`` itself), else the articles loaded and selected here."""
    _check_dask_outlets(args)
    if args.engine == "dask":
        return args.corpus
    articles = load_for_command(args)
    _check_by(articles, args.by)
    return articles


def _sample(source: Any) -> str:
    """The ``n = …`` line of a chart: the articles measured (on Dask, the corpus they came from)."""
    from analysis.plots import n_label

    if isinstance(source, pd.DataFrame):
        return n_label(len(source), int(source["n_tokens"].sum()), n_outlets=source["outlet"].nunique())
    return f"n = the articles of {source or 'the seeds'}"


def _run_measure(measure: Callable[..., pd.DataFrame], args: argparse.Namespace, **options: Any) -> tuple[pd.DataFrame, str]:
    """``measure(corpus, engine=..., **options)``: the one path of a measure command, on either engine.

    Returns the table and the sample line its chart carries.
    """
    from analysis.engine import EngineError

    dask = args.engine == "dask"
    run = {"engine": args.engine, "scheduler": args.scheduler, "query": args.query if dask else None}
    if getattr(args, "exclude_reused", False):
        options["exclude_reused"] = True
    try:
        source = _measure_source(args)
        return measure(source, **run, **options), _sample(source)
    except EngineError as err:
        raise UsageError(str(err).replace("exclude_reused", "--exclude-reused")) from None
    except KeyError as err:
        if type(err) is not KeyError:  # a subclass (an unknown --reference) is the caller's to report
            raise
        raise UsageError(f"--by {args.by!r}: {err.args[0]}") from None


def _loaded_sentences(args: argparse.Namespace) -> int:
    """``framing loaded --model MODEL``: the share of sentences the model calls loaded, per group and voice."""
    from analysis.measures.loaded_sentences import SENTENCE_RATE_COLUMNS, loaded_sentence_rates, score_sentences
    from analysis.reuse import own_tokens
    from analysis.tokens import text_units, tokenize

    if args.engine == "dask" or args.kwic:
        raise UsageError("--model runs with --engine local and without --kwic")
    model = _load_model(args.model, one_code=True)
    articles = _measure_source(args)
    tokens = own_tokens(tokenize(articles), articles, exclude=getattr(args, "exclude_reused", False))
    rates = loaded_sentence_rates(score_sentences(text_units(tokens, articles, unit="sentence"), model), articles, by=args.by)
    note = f"Model {args.model}: share of sentences with probability >= 0.5; 95% bootstrap intervals over articles. "
    note += model.validity_note()
    _print_rates(rates, SENTENCE_RATE_COLUMNS, args, note=note)
    return 0


def cmd_loaded(args: argparse.Namespace) -> int:
    from analysis.lexicons import LexiconError, load_matcher
    from analysis.measures.loaded import measure_loaded

    if args.model:
        return _loaded_sentences(args)
    try:
        matcher = load_matcher(args.lexicon)
    except LexiconError as err:
        raise UsageError(str(err)) from err
    table, sample = _run_measure(measure_loaded, args, lexicon=args.lexicon, by=args.by, in_context=args.kwic)
    if args.kwic:
        _print_kwic(table, args)
        return 0
    note = f"Lexicon {matcher.lexicon.name}: hits per 1,000 word tokens of each voice; 95% bootstrap intervals over articles."
    _save_chart(
        args,
        lambda plots: plots.term_panels(
            table[table["voice"] == "all"],
            panel="group",
            term="category",
            value="rate_per_1000",
            outlet_column=NotebookRun.colour_column(args.by),
            top=len(matcher.lexicon.categories),
            sort=False,
            title=f"Loaded terms per 1,000 words by category and {args.by}",
            n=sample,
            xlabel="hits per 1,000 words",
        ),
        f"Loaded-term rates (lexicon {matcher.lexicon.name!r}) by category and {args.by}, all voices. {matcher_validity(args)}",
    )
    _print_rates(table, LOADED_COLUMNS, args, note=note)
    return 0


def _print_kwic(table: pd.DataFrame, args: argparse.Namespace) -> None:
    """KWIC rows, with each term's measured precision when the lexicon ships a precision file."""
    from analysis.lexicons import load_term_precision

    precision = load_term_precision(args.lexicon)
    columns = list(KWIC_COLUMNS)
    if precision is not None:
        table = table.merge(precision, on=["term", "category"], how="left")
        columns += [c for c in precision.columns if c.startswith("precision_")]
    print_table(table, args, columns=columns)
    if precision is not None and not machine_readable(args):
        print_note(
            "\nprecision_<gold>: share of the term's hits inside words or spans people marked as loaded in that gold "
            "(README: Validity; measured as shipped for 'default', 5-fold cross-validated for 'revised'); empty: no hits there."
        )


def cmd_tone(args: argparse.Namespace) -> int:
    from analysis.measures.tone import measure_tone

    table, sample = _run_measure(measure_tone, args, by=args.by)
    note = "VADER compound per sentence (-1 to +1), averaged by voice; 95% bootstrap intervals over articles."
    _save_chart(
        args,
        lambda plots: plots.interval_chart(
            table,
            value="compound_mean",
            hue="voice",
            outlet_column=NotebookRun.colour_column(args.by),
            title=f"Sentence tone by {args.by} and voice",
            n=sample,
            xlabel="mean VADER compound (-1 negative to +1 positive)",
        ),
        f"Mean VADER compound score of sentences by {args.by} and voice; bars are 95% bootstrap intervals over articles, "
        "hollow markers flag small samples. VADER was built for social media text, not news: compare groups, not levels.",
    )
    _print_rates(table, TONE_COLUMNS, args, note=note)
    return 0


def matcher_validity(args: argparse.Namespace) -> str:
    """The lexicon's measured validity, one sentence (README: Validity), for a chart's caption."""
    from analysis.lexicons import validity_note

    return validity_note(args.lexicon)


#: Formats ``--chart`` writes, chosen by the file's suffix (none: all three).
CHART_SUFFIXES = (".png", ".svg", ".pdf")


def _save_chart(args: argparse.Namespace, draw: Callable[[Any], Any], caption: str) -> None:
    """``--chart FILE``: draw the command's figure (``draw(analysis.plots)``) in the notebooks' house style,
    and write it with its caption beside it (``FILE.txt``)."""
    if not getattr(args, "chart", None):
        return
    target = Path(args.chart).expanduser()
    suffix = target.suffix.lower()
    if suffix and suffix not in CHART_SUFFIXES:
        raise UsageError(f"--chart {args.chart}: end the name in .png, .svg or .pdf (or leave the suffix off for all three)")
    from analysis import plots

    stem = target.with_suffix("") if suffix else target
    written = plots.save_figure(
        draw(plots),
        stem,
        caption=f"{caption} A handful of articles is not a population.",
        formats=[suffix[1:]] if suffix else plots.FIGURE_FORMATS,
    )
    for path in written:
        print(f"wrote {path}", file=sys.stderr)


ATTENTION_COLUMNS = ["group", "period", "matching", "total", "ratio", "ci_low", "ci_high", "small_sample"]
DISTINCTIVE_COLUMNS = ["group", "period", "reference", "term", "count", "count_reference", "z", "small_sample"]
TREND_COLUMNS = ["measure", "group", "period", "value", "ci_low", "ci_high", "n_articles", "small_sample", "change", "shift"]


def cmd_attention(args: argparse.Namespace) -> int:
    from analysis.query import QuerySyntaxError, build_index, match
    from analysis.trends import attention

    articles = load_for_command(args)
    _check_by(articles, args.by)
    try:
        matching = match(build_index(articles), args.match_query)
    except (QuerySyntaxError, KeyError) as err:
        raise UsageError(f"--query: {err.args[0] if isinstance(err, KeyError) else err}") from None
    table = attention(articles, matching, by=args.by, interval=args.interval)
    _save_chart(
        args,
        lambda plots: plots.plot_attention(table, query=args.match_query),
        f"Share of each {args.by}'s articles per {args.interval} matching {args.match_query!r}, with 95% Wilson "
        f"intervals; {int(matching.sum())} of {len(articles)} articles match.",
    )
    note = (
        f"{int(matching.sum())} of {len(articles)} articles match {args.match_query!r}. ratio = matching / total per "
        f"{args.by} and {args.interval}, 95% Wilson interval; total 0 means nothing published that {args.interval}; "
        "small_sample: fewer than 5 articles. A handful of articles is not a population."
    )
    print_table(table if machine_readable(args) else table.round(3), args, columns=ATTENTION_COLUMNS)
    if not machine_readable(args):
        print_note(f"\n{note}")
    return 0


def cmd_trends(args: argparse.Namespace) -> int:
    from analysis.lexicons import LexiconError, load_matcher
    from analysis.measures.loaded import loaded_hits
    from analysis.measures.tone import sentence_tone
    from analysis.tokens import tokenize
    from analysis.trends import loaded_trends, tone_trends, trend_table

    try:
        matcher = load_matcher(args.lexicon)
    except LexiconError as err:
        raise UsageError(str(err)) from err
    articles = load_for_command(args)
    _check_by(articles, args.by)
    tokens = tokenize(articles)
    if args.terms:
        from analysis.trends import distinctive_terms

        terms = distinctive_terms(
            tokens, articles, by=args.by, interval=args.interval, top=args.terms, stop_words=_stop_words(args)
        )
        print_table(terms if machine_readable(args) else terms.round(3), args, columns=DISTINCTIVE_COLUMNS)
        if not machine_readable(args):
            print_note(
                f"\nWords that set each {args.interval} apart from the {args.by}'s other {args.interval}s: weighted log-odds z "
                "(|z| > 1.96 is the usual bar); groups with one period are left out. A handful of articles is not a population."
            )
        return 0
    hits = loaded_hits(tokens, matcher)
    loaded = loaded_trends(hits, tokens, articles, by=args.by, interval=args.interval, categories=matcher.lexicon.categories)
    _save_chart(
        args,
        lambda plots: plots.plot_over_time(
            loaded_trends(hits.assign(category="all"), tokens, articles, by=args.by, interval=args.interval, categories=["all"]),
            value="rate_per_1000",
            title=f"Loaded terms per 1,000 words per {args.interval} (lexicon {matcher.lexicon.name!r}), 95% bootstrap band",
            n=_sample(articles),
            ylabel="hits per 1,000 words",
        ),
        f"Loaded terms per 1,000 words by {args.by} and {args.interval}, 95% bootstrap intervals over articles; ringed "
        f"points are shifts (non-overlapping intervals, neither period small). {matcher_validity(args)}",
    )
    tone = tone_trends(sentence_tone(articles, tokens=tokens), articles, by=args.by, interval=args.interval)
    table = trend_table(loaded, tone)
    if not args.all_periods:
        table = table[table["n_articles"] > 0]
    note = (
        f"Loaded terms per 1,000 words ({matcher.lexicon.name} lexicon) and mean VADER sentence tone per {args.by} and "
        f"{args.interval}, 95% bootstrap intervals over articles. shift: the interval does not overlap the previous "
        f"{args.interval} with articles (both not small samples); {int(table['shift'].sum())} shift(s)."
    )
    _print_rates(table, TREND_COLUMNS, args, note=note)
    return 0


TERMS_COLUMNS = ["group", "term", "tfidf", "count"]
KEYNESS_COLUMNS = ["group", "reference", "rank", "term", "count", "count_reference", "log_odds", "z", "chi2", "g2"]


def _stop_words(args: argparse.Namespace) -> Any:
    """``--stop-words``: ``english`` (scikit-learn's list and reporting verbs), ``none``, or a file of words."""
    from analysis.measures.tfidf import stop_words_option

    try:
        return stop_words_option(args.stop_words)
    except ValueError as err:
        raise UsageError(f"--stop-words {err}") from None


def cmd_terms(args: argparse.Namespace) -> int:
    from analysis.measures.tfidf import measure_top_terms

    if args.top < 1:
        raise UsageError(f"--top must be 1 or more, not {args.top}")
    table, sample = _run_measure(
        measure_top_terms, args, by=args.by, voice=args.voice, top=args.top, stop_words=_stop_words(args)
    )
    _save_chart(
        args,
        lambda plots: plots.term_panels(
            table,
            value="tfidf",
            top=min(args.top, 10),
            outlet_column=NotebookRun.colour_column(args.by),
            title=f"Top TF-IDF words per {args.by}",
            n=sample,
            xlabel="TF-IDF weight",
        ),
        f"The words with the highest TF-IDF weight per {args.by}, each {args.by}'s articles as one document "
        f"({args.voice} words; stop words: {args.stop_words}).",
    )
    print_table(table if machine_readable(args) else table.round(4), args, columns=TERMS_COLUMNS)
    if not machine_readable(args):
        print_note(
            f"\nTF-IDF with each {args.by} as one document (its articles' {args.voice} words; stop words: "
            f"{args.stop_words}); count = occurrences in the group. A handful of articles is not a population."
        )
    return 0


TOPICS_COLUMNS = ["topic", "label", "share", "coherence", "words"]
TOPIC_SENTENCE_COLUMNS = ["topic", "article_id", "outlet", "text"]
TOPIC_PREVALENCE_COLUMNS = ["group", "period", "topic", "label", "share", "ci_low", "ci_high", "n_articles", "small_sample"]


def cmd_topics(args: argparse.Namespace) -> int:
    """``framing topics``: topics of the bodies (NMF), representative sentences, prevalence per group (analysis.topics)."""
    from analysis.topics import MIN_ARTICLES, TopicsError, parse_by, topics

    k = args.k.strip().lower()
    if k != "auto" and not k.lstrip("-").isdigit():
        raise UsageError(f"-k {args.k!r}: give a whole number of topics (2 or more) or 'auto'")
    if k != "auto" and int(k) < 2:
        raise UsageError(f"-k must be 2 or more topics (or 'auto'), not {args.k}")
    if args.top_words < 1:
        raise UsageError(f"--top-words must be 1 or more, not {args.top_words}")
    try:
        column, per_period = parse_by(args.by)
    except TopicsError as err:
        raise UsageError(f"--by {err}") from None
    articles = load_for_command(args)
    if column is not None:
        _check_by(articles, column)
    if len(articles) < MIN_ARTICLES:
        raise TopicsError(f"a topic model needs at least {MIN_ARTICLES} articles; the corpus has {len(articles)}")
    result = topics(
        articles,
        k="auto" if k == "auto" else int(k),
        by=args.by,
        interval=args.interval,
        top_words=args.top_words,
        stop_words=_stop_words(args),
        seed=args.seed,
    )
    model, prevalence = result.model, result.prevalence
    per = " and ".join([*([column] if column else []), *([args.interval] if per_period else [])])
    what = f"NMF of the bodies' TF-IDF, k={model.k}, seed {args.seed}; stop words: {args.stop_words}"
    _save_chart(
        args,
        lambda plots: plots.plot_topic_prevalence(
            prevalence,
            title=f"Topic prevalence per {per}: mean share of its articles' words, 95% bootstrap interval",
            n=_sample(articles),
        ),
        f"Mean share of each topic in the articles of each {per} ({what}), 95% percentile bootstrap intervals over "
        "articles; prevalence is estimated after fitting, not jointly with the topics as stm does.",
    )
    tables = {"topics": result.topics, "words": result.words, "sentences": result.sentences, "prevalence": prevalence}
    if result.suggestion is not None:
        tables["suggestion"] = result.suggestion
    if machine_readable(args):
        print_tables(tables, args)
        return 0
    if result.suggestion is not None:
        print("Choosing k: quality = coherence (mean NPMI of each topic's top 10 words) × diversity:")
        print_table(result.suggestion.round(3), args)
        print()
    print_table(result.topics.round(3), args, columns=TOPICS_COLUMNS)
    print("\nRepresentative sentences (highest loading, one article each first):")
    print_table(result.sentences[result.sentences["rank"] <= 2], args, columns=TOPIC_SENTENCE_COLUMNS)
    print(f"\nPrevalence per {per}:")
    shown = [c for c in TOPIC_PREVALENCE_COLUMNS if c in prevalence.columns]
    print_table(prevalence.round(3), args, columns=shown)
    print_note(
        f"\n{what}. share = mean share of a group's articles' words the topic accounts for; 95% percentile bootstrap "
        "over articles (NaN with one article), estimated after fitting (not stm's joint estimation). Topics are "
        "numbered by corpus share; the same seed gives the same topics, another seed may reorder or shift them. "
        "--json prints every table. A handful of articles is not a population."
    )
    return 0


def cmd_keyness(args: argparse.Namespace) -> int:
    from analysis.measures.keyness import UnknownGroupError, measure_keyness, prior_word_counts

    if args.top < 1:
        raise UsageError(f"--top must be 1 or more, not {args.top}")
    if not args.prior_mass > 0:
        raise UsageError(f"--prior-mass must be positive, not {args.prior_mass}")
    prior = None
    if args.prior_corpus:
        prior = prior_word_counts(args.prior_corpus, voice=args.voice, engine=args.engine, scheduler=args.scheduler)
    if args.min_count < 1:
        raise UsageError(f"--min-count must be 1 or more, not {args.min_count}")
    options = {
        "reference": args.reference,
        "prior_mass": args.prior_mass,
        "prior_counts": prior,
        "top": args.top,
        "stop_words": _stop_words(args),
        "min_count": args.min_count,
    }
    try:
        table, sample = _run_measure(measure_keyness, args, by=args.by, voice=args.voice, **options)
    except UnknownGroupError as err:
        raise UsageError(f"--reference: {err.args[0]}") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    _save_chart(
        args,
        lambda plots: plots.term_panels(
            table,
            value="z",
            top=min(args.top, 10),
            outlet_column=NotebookRun.colour_column(args.by),
            title=f"Distinctive words per {args.by} (weighted log-odds z)",
            n=sample,
            xlabel="z (|z| > 1.96 is the usual bar)",
        ),
        f"Words that set each {args.by} apart from {'the ' + args.reference if args.reference else 'the others pooled'}: "
        f"weighted log-odds z with an informative Dirichlet prior (Monroe et al. 2008); stop words: {args.stop_words}, "
        f"words used fewer than {args.min_count} times left out.",
    )
    print_table(table if machine_readable(args) else table.round(3), args, columns=KEYNESS_COLUMNS)
    if not machine_readable(args):
        print_note(
            f"\nz: weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008, prior mass "
            f"{args.prior_mass:g}); |z| > 1.96 is the usual bar. chi2 (Yates, as quanteda) and g2 are signed: positive = "
            "used more by the group. Words are not independent draws: read p-values as a ranking; rank: tied words "
            f"share one. Stop words: {args.stop_words}; words used fewer than {args.min_count} times are not listed. "
            "A handful of articles is not a population."
        )
    return 0


QUOTES_COLUMNS = ["article_id", "outlet", "start", "end", "text", "speaker", "affiliation", "verb", "kind"]
ACTORS_COLUMNS = ["article_id", "outlet", "actor", "mention", "label", "position"]


def cmd_quotes(args: argparse.Namespace) -> int:
    from analysis.actors import ActorsError, corpus_actors_file, load_actors
    from analysis.measures.sources import voice_share
    from analysis.quotes import extract_quotes

    try:
        actors = load_actors(corpus_actors_file(args.corpus), args.actors)
    except ActorsError as err:
        raise UsageError(str(err)) from err
    articles = load_for_command(args)
    quotes = extract_quotes(articles, actors=actors)
    _save_chart(
        args,
        lambda plots: plots.voice_share_chart(
            voice_share(quotes, articles, by="outlet"),
            title="Whose words each outlet quotes, by speaker affiliation",
            n=_sample(articles),
        ),
        "Share of quoted words in speech quotations by speaker affiliation, per outlet; speakers from the attribution "
        "around each quotation (analysis.quotes). * marks small samples.",
    )
    if args.kind != "all":
        quotes = quotes[quotes["kind"] == args.kind]
    print_table(quotes, args, columns=QUOTES_COLUMNS)
    return 0


def cmd_actors(args: argparse.Namespace) -> int:
    from analysis.actors import ActorsError, actor_mentions, candidate_names, corpus_actors_file, load_actors
    from analysis.measures.sources import actor_salience

    try:
        actors = load_actors(corpus_actors_file(args.corpus), args.actors)
    except ActorsError as err:
        raise UsageError(str(err)) from err
    articles = load_for_command(args)
    if args.candidates:
        print_table(candidate_names(articles, actors=actors, min_count=args.min_count), args)
        return 0
    mentions = actor_mentions(articles, actors=actors)
    _save_chart(
        args,
        lambda plots: plots.term_panels(
            actor_salience(mentions, articles, by="outlet", kinds=["person", "institution", "group"]),
            panel="group",
            term="actor",
            value="per_1000",
            top=6,
            title="Most mentioned people and institutions per outlet",
            n=_sample(articles),
            xlabel="mentions per 1,000 words",
        ),
        "Mentions of profiled people, institutions and groups (countries left out) per 1,000 words, headlines and "
        "bodies, top six per outlet.",
    )
    print_table(mentions, args, columns=ACTORS_COLUMNS)
    return 0


EVENTS_COLUMNS = ["article_id", "outlet", "published", "event", "label", "cohesion", "event_source"]
PROVENANCE_COLUMNS = [
    "article_a",
    "article_b",
    "outlet_a",
    "outlet_b",
    "shared_a",
    "shared_b",
    "direction",
    "basis",
    "kind",
    "relation",
    "speaker",
    "n_passages",
]
FAMILY_PRINT_COLUMNS = ["family", "role", "article_id", "outlet", "published", "share", "change"]


def cmd_events(args: argparse.Namespace) -> int:
    from analysis.engine import EngineError
    from analysis.events import THRESHOLD, EventError, corpus_event_names, group_events, load_event_names

    articles = load_for_command(args)
    threshold = THRESHOLD if args.threshold is None else args.threshold
    try:
        names = {**corpus_event_names(args.corpus), **(load_event_names(args.events) if args.events else {})}
        table = group_events(
            articles,
            names=names,
            use_labels=not args.ignore_labels,
            window_days=args.window_days,
            threshold=threshold,
            engine=args.engine,
            scheduler=args.scheduler,
            progress=progress_bar(args),
        )
    except (EventError, EngineError) as err:
        raise UsageError(str(err)) from None
    _save_chart(
        args,
        lambda plots: plots.bar_chart(
            table.groupby(["event", "label"], as_index=False).size().sort_values("size", ascending=False),
            category="label",
            value="size",
            title="Articles per event",
            n=_sample(articles),
            xlabel="articles",
        ),
        "Articles per event (the manifest's event where given, else inferred; analysis.events), labelled by the "
        "words its articles share most.",
    )
    print_table(table if machine_readable(args) else table.round(3), args, columns=EVENTS_COLUMNS)
    if not machine_readable(args):
        print_note(
            f"\n{table['event'].nunique()} event(s). Inferred events join articles published within {args.window_days} days "
            f"whose average combined score (TF-IDF, leads, numbers, quotes; see analysis.events) is at least "
            f"{threshold:g}; event_source says whether the manifest's event or the inference is shown."
        )
    return 0


def cmd_provenance(args: argparse.Namespace) -> int:
    from analysis.provenance import ProvenanceError, copy_families, provenance_summary, text_reuse
    from analysis.reuse import reuse_matrix

    articles = load_for_command(args)
    reference = None
    if args.reference:
        from analysis.corpus import load_corpus

        reference = load_corpus(
            args.reference, min_tokens=args.min_words, progress=progress_bar(args), cache=not getattr(args, "no_cache", False)
        )
    candidates = None
    if args.engine == "dask":
        if reference is not None:
            raise UsageError("--reference needs --engine local: the reference is aligned in this process")
        from analysis.engine import EngineError
        from analysis.provenance import reuse_candidate_pairs

        try:
            candidates = reuse_candidate_pairs(articles, engine="dask", scheduler=args.scheduler)
        except EngineError as err:
            raise UsageError(str(err)) from None
    try:
        pairs = text_reuse(
            articles, reference=reference, min_words=args.passage_words, candidates=candidates, progress=progress_bar(args)
        )
    except ProvenanceError as err:
        raise UsageError(str(err)) from None
    pairs = pairs[pairs[["shared_a", "shared_b"]].max(axis=1) >= args.min_share].reset_index(drop=True)
    _save_chart(
        args, lambda plots: plots.reuse_heatmap(reuse_matrix(pairs, articles), articles, n=_sample(articles)), REUSE_CAPTION
    )
    families = copy_families(pairs, articles)
    summary = provenance_summary(pairs, families, articles=len(articles))
    top = args.top or (None if machine_readable(args) else 20)  # a terminal shows 20 by default, --json everything
    if args.pairs:
        shown = pairs.assign(_most=pairs[["shared_a", "shared_b"]].max(axis=1)).sort_values("_most", ascending=False)
        shown = shown.drop(columns="_most").iloc[:top]
        if machine_readable(args):
            print_table(shown.drop(columns=["words_a", "words_b"]), args)
            return 0
        print_table(shown.round(3), args, columns=PROVENANCE_COLUMNS)
        for pair in shown.to_dict("records"):
            for passage in pair["passages"]:
                changes = "; ".join(f"{c['a'] or '-'} -> {c['b'] or '-'}" for c in passage["changes"][:8])
                print(f"\n{pair['article_a']} / {pair['article_b']} [{passage['kind']}]: {passage['a_text'][:100]!r}")
                if changes:
                    print(f"  changes: {changes}{' ...' if len(passage['changes']) > 8 else ''}")
        print_note(
            f"\n{summary}. shared_a/shared_b: share of each body's words inside aligned passages. direction a_to_b: a is "
            "the likely source (earlier, more complete, or the reference). relation: copy (copied narration), "
            "common_source (only the same quoted or translated statement of speaker), shared_phrase."
        )
        return 0
    chosen = families[families["family"].isin(families["family"].drop_duplicates().iloc[:top])]
    if machine_readable(args):
        print_table(chosen, args)
        return 0
    print(summary)
    if chosen.empty:
        print("no copies found")
    else:
        print()
        print_table(chosen.round(3), args, columns=FAMILY_PRINT_COLUMNS)
    common = pairs[pairs["relation"] == "common_source"]
    for speaker, group in common.groupby(common["speaker"].replace("", "(an unnamed speaker)")):
        print(f"\ncommon source, not copies: {len(group)} pair(s) share only quotations of {speaker}")
    shown_families = chosen["family"].nunique()
    if shown_families < families["family"].nunique():
        print(f"\n{shown_families} of {families['family'].nunique()} families shown (--top); --pairs lists the pairs")
    return 0


REUSE_CAPTION = (
    "Share of the words of each row article inside passages aligned with the column article (exact, edited or "
    "paraphrased reuse, copies and common sources alike; analysis.provenance)."
)


def cmd_evaluate_loaded(args: argparse.Namespace) -> int:
    from analysis.evaluation import GoldError, evaluate_lexicon, read_gold
    from analysis.lexicons import LexiconError, load_matcher

    techniques = [t.strip() for t in args.techniques.split(";") if t.strip()]
    try:
        gold = read_gold(args.gold, format=args.format, techniques=techniques)
    except GoldError as err:
        raise UsageError(str(err)) from None
    if args.model:
        result = _evaluate_model(gold, args)
    else:
        try:
            matcher = load_matcher(args.lexicon)
        except LexiconError as err:
            raise UsageError(str(err)) from err
        result = evaluate_lexicon(gold, matcher)
    if machine_readable(args):
        print_tables({"validity": result.validity, "categories": result.categories, "terms": result.terms}, args)
        return 0
    print_table(result.validity.round(3), args)
    if not args.model:
        print("\nPer category (precision: share of hits inside a gold span, 95% Wilson interval):")
        print_table(result.categories.round(3), args)
        print(f"\nPer term, the {args.top} with most hits (--json for all {len(result.terms)}):")
        print_table(result.terms.head(args.top).round(3), args)
    print_note(
        f"\n{gold.name} gold {gold.source}: {len(gold.documents)} documents, {len(gold.sentences)} sentences "
        f"({int(gold.sentences['label'].sum())} loaded), {gold.spans['gold_id'].nunique()} marked items. "
        "Sentence F1 intervals: bootstrap over documents; proportions: Wilson."
    )
    return 0


def _load_model(path: str, *, one_code: bool = False):
    """The model file at ``path``; with ``one_code`` its one classifier (or ``biased``), as loaded and evaluate use."""
    from analysis.coding import CodingError, load_model

    try:
        model = load_model(path)
        return model.classifier() if one_code else model
    except CodingError as err:
        raise UsageError(str(err)) from None


def _evaluate_model(gold, args: argparse.Namespace):
    from analysis.coding import CodingError, annotations_hash, read_annotations
    from analysis.evaluation import evaluate_model

    model = _load_model(args.model, one_code=True)
    if gold.name == "babe":
        try:
            same = annotations_hash(read_annotations(args.gold, code=model.code)) == model.data_hash
        except CodingError:
            same = False
        if same:
            print(
                "framing: warning: the model was trained on these very sentences, so these figures are in-sample; "
                "its cross-validated figures are those 'framing code train' printed",
                file=sys.stderr,
            )
    return evaluate_model(gold, model)


def _count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


CODEBOOK_HELP = "codebook file or shipped name (policy_frames, generic_frames, loaded_language)"


def _codebook(name: str):
    """The codebook named on the command line; an unknown name is a usage error, a malformed file a data error."""
    from analysis.coding import UnknownCodebook, load_codebook

    try:
        return load_codebook(name)
    except UnknownCodebook as err:
        raise UsageError(str(err)) from None


def _corpus_units(args: argparse.Namespace, unit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corpus's articles (with events, inferred where missing) and its units of ``unit``."""
    from analysis.run import with_events
    from analysis.tokens import text_units, tokenize

    articles = with_events(load_for_command(args), corpus=args.corpus)
    return articles, text_units(tokenize(articles), articles, unit=unit)


def cmd_code_sample(args: argparse.Namespace) -> int:
    from analysis.coding import sample_units
    from analysis.paths import write_text_atomic
    from analysis.run import csv_text

    codebook = _codebook(args.codebook)
    out = Path(args.out)
    if out.exists():
        raise UsageError(f"--out {out} exists: a sample being coded is never replaced; choose another file or delete it")
    if args.n < 1:
        raise UsageError(f"-n {args.n}: draw at least one unit")
    articles, units = _corpus_units(args, args.unit or codebook.unit)
    by = tuple(column.strip() for column in args.by.split(",") if column.strip())
    for column in by:
        _check_by(articles, column)
    sample = sample_units(units, articles, n=args.n, by=by, seed=args.seed)
    write_text_atomic(out, csv_text(sample))
    if machine_readable(args):
        print_table(sample, args)
        return 0
    strata = sample["stratum"].value_counts().sort_index()
    print_table(strata.rename_axis("stratum").reset_index(name="units"), args)
    print_note(
        f"\n{len(sample)} {sample['unit'].iat[0] if len(sample) else codebook.unit} units of {len(units)} drawn "
        f"(seed {args.seed}; equal allocation over {', '.join(by) or 'the corpus'}) into {out}. Code them in notebook "
        f"09-coding.ipynb (sample={str(out)!r}, codebook={codebook.name!r}, coder='your name')."
    )
    return 0


def cmd_code_agreement(args: argparse.Namespace) -> int:
    from analysis.coding import CodingError, agreement, codebooks_held, final_decisions, read_annotation_log

    codebook = _codebook(args.codebook)
    rows, unreadable = read_annotation_log(args.annotations)
    decided = final_decisions(rows, codebook)
    if decided.empty:
        raise CodingError(f"{args.annotations}: no coded unit of codebook {codebook.name!r}; {codebooks_held(rows)}")
    table = agreement(decided, codebook=codebook)
    if machine_readable(args):
        print_table(table, args)
        return 0
    print_table(table.round(3), args)
    coders = decided.groupby("coder")["unit_id"].nunique()
    done = ", ".join(f"{coder} {count}" for coder, count in coders.items()) or "none"
    torn = f" {unreadable} unreadable line(s) left out (a decision cut short by a crash)." if unreadable else ""
    print_note(
        f"\nKrippendorff's alpha (nominal) per code over the units two or more coders coded; units coded per coder: "
        f"{done}.{torn} Train only on codes whose alpha is 0.667 or more (0.8 to rely on them)."
    )
    return 0


def cmd_code_train(args: argparse.Namespace) -> int:
    from analysis.coding import read_training_data, save_model, train_codebook

    codebook = _codebook(args.codebook)
    if args.folds < 2:
        raise UsageError(f"--folds {args.folds}: cross-validation needs 2 or more folds")
    training = read_training_data(args.annotations, codebook, code=args.code)
    model = train_codebook(training, codebook=codebook, folds=args.folds, seed=args.seed, C=args.C)
    path = save_model(model, args.out)
    if args.csv:
        print_table(model.metrics, args)
        return 0
    if args.json:
        summary = {
            "model": str(path),
            "codebook": model.codebook,
            "unit": model.unit,
            "data_hash": model.data_hash,
            "metrics": records(model.metrics),
            "codes": {
                code: {"confusion": c.confusion, "top_words": records(c.top_words), "info": c.info}
                for code, c in model.classifiers.items()
            },
            "untrained": model.untrained,
        }
        json.dump(_json_value(summary), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    first = next(iter(model.classifiers.values()))
    grouped = "folds keep each article's units together" if first.info["grouped_by_article"] else "folds over units"
    counts = ", ".join(f"{code} {c.info['positive']} of {c.info['units']}" for code, c in model.classifiers.items())
    print(f"{first.info['folds']}-fold cross-validated ({grouped}) on coded {model.unit}s with the code: {counts}")
    print_table(model.metrics.round(3), args)
    for code, classifier in model.classifiers.items():
        for direction in ("towards", "against"):
            words = classifier.top_words.loc[classifier.top_words["direction"] == direction].head(12)
            shown = ", ".join(f"{f} ({w:+.2f})" for f, w in zip(words["feature"], words["weight"], strict=True))
            print(f"\nweighing most {direction} {code}: {shown}")
    for code, why in model.untrained.items():
        print(f"\nnot trained: {code} ({why})")
    cpu = sum(c.info["cpu_seconds"] for c in model.classifiers.values())
    print(
        f"\nmodel written to {path} (codebook {model.codebook}, data sha256 {model.data_hash[:12]}…, {cpu:.1f} CPU s). "
        "Intervals: Wilson for precision and recall, bootstrap over articles (or units) for F1."
    )
    return 0


def _model_unit(args: argparse.Namespace, model) -> str:
    """The unit to score: ``--unit`` or the model's; another unit than the one coded is refused where shares are estimated."""
    unit = args.unit or model.unit
    if unit != model.unit:
        message = (
            f"--unit {unit}: the model was trained on coded {model.unit}s, and its error rates (which correct the shares) "
            f"are those of {model.unit}s"
        )
        if args.func is cmd_frames:
            raise UsageError(message + f"; leave --unit out or train a model on {unit}s")
        print(f"framing: warning: {message}: probabilities of {unit}s are not calibrated", file=sys.stderr)
    return unit


def cmd_code_apply(args: argparse.Namespace) -> int:
    from analysis.coding import score_units

    if not 0 < args.threshold < 1:
        raise UsageError(f"--threshold {args.threshold}: a probability between 0 and 1 (the model's figures are at 0.5)")
    model = _load_model(args.model)
    articles, units = _corpus_units(args, _model_unit(args, model))
    scored = score_units(model, units, threshold=args.threshold)
    if machine_readable(args):
        print_table(scored, args)
        return 0
    summary = scored.groupby("code").agg(
        units=("predicted", "size"), predicted=("predicted", "sum"), mean_probability=("probability", "mean")
    )
    print_table(summary.reset_index().round(3), args)
    print_note(
        f"\n{len(units)} {units['unit'].iat[0] if len(units) else model.unit} units of {len(articles)} articles scored by "
        f"{args.model}; --json or --csv for one record per unit and code. Shares per outlet with the model's error: framing frames."
    )
    return 0


def cmd_frames(args: argparse.Namespace) -> int:
    from analysis.coding import score_units
    from analysis.frames import PREVALENCE_COLUMNS, coded_elsewhere, frame_prevalence, prevalence_note
    from analysis.run import ReportError, select_articles

    model = _load_model(args.model)
    articles, units = _corpus_units(args, _model_unit(args, model))
    if args.event:
        try:
            articles = select_articles(articles, event=args.event)
        except ReportError as err:
            raise UsageError(str(err)) from None
        units = units[units["article_id"].isin(articles["id"].astype(str))]
    _check_by(articles, args.by)
    if coded_elsewhere(model, articles):
        print(
            "framing: warning: none of these articles was coded to train the model: the correction assumes the "
            "classifier errs on them as it did on the coded ones; code a sample of this corpus to be sure",
            file=sys.stderr,
        )
    table = frame_prevalence(score_units(model, units), articles, model, by=args.by)
    note = prevalence_note(model)
    drawn = table.dropna(subset=["prevalence"])
    if getattr(args, "chart", None) and drawn.empty:
        print("framing: no chart: no code could be corrected (see the note column)", file=sys.stderr)
    else:
        _save_chart(args, lambda plots: plots.plot_frame_prevalence(drawn, n=_sample(articles)), note)
    _print_rates(table, PREVALENCE_COLUMNS, args, note=note)
    return 0


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine local|dask`` and ``--scheduler ADDRESS`` (see ``analysis.engine``)."""
    parser.add_argument(
        "--engine",
        choices=["local", "dask"],
        default="local",
        help="local: this process (default); dask: the same map/reduce on Dask workers, same results",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786); default: a local cluster, one worker per core"
    )


VALIDITY_NOTE = "value is the share of n; 95% Wilson interval. Every miss is listed below the figures (--json: both as records)."


def cmd_evaluate(args: argparse.Namespace) -> int:
    from analysis.corpus import read_corpus
    from analysis.evaluation import MISS_COLUMNS, VALIDITY_COLUMNS, GoldError, evaluate, read_page_gold, skipped_articles

    try:
        gold = read_page_gold(args.gold)
    except GoldError as err:
        print(f"framing: {err}", file=sys.stderr)
        return 1
    articles, problems = read_corpus(
        args.corpus, min_tokens=0, outlets=args.outlets, cache=not getattr(args, "no_cache", False)
    )  # an article cleaned to nothing is scored, not skipped
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} article(s) could not be loaded (listed as not_loaded):", file=sys.stderr)
        _report_problems(errors)
    result = evaluate(args.kind, articles, gold, gold_name=Path(args.gold).name, skipped=skipped_articles(problems))
    if machine_readable(args):
        print_tables({"validity": result.validity, "misses": result.misses}, args)
        return 0
    print_table(result.validity.round(3), args, columns=VALIDITY_COLUMNS)
    print(f"\n{VALIDITY_NOTE} {len(gold)} labelled articles, {len(articles)} in the corpus table.\n")
    print_table(result.misses, args, columns=MISS_COLUMNS)
    return 0


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    func: Command,
    help_text: str,
    *,
    corpus: bool = True,
    query: bool | None = None,
    profiles: bool = True,
    first: tuple[str, str] | None = None,
) -> argparse.ArgumentParser:
    """Register ``framing NAME`` with the CORPUS argument and ``--json`` every analysis takes.

    ``query`` (default: same as ``corpus``) adds ``--query Q``, applied by :func:`load_for_command`;
    ``first`` is a positional argument ``(name, help)`` before CORPUS (``framing code apply MODEL CORPUS``).
    """
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    if first:
        parser.add_argument(first[0], help=first[1])
    if corpus:
        parser.add_argument(
            "corpus",
            nargs="?",
            default=None,
            help="corpus folder (with manifest.csv), CSV/JSONL/Parquet table, or store from framing ingest; default: the seeds",
        )
        if profiles:
            add_outlets_argument(parser)
            add_cache_argument(parser)
            parser.add_argument(
                "--min-words",
                type=_count,
                default=MIN_WORDS,
                metavar="N",
                help=f"skip articles with fewer words after cleaning (default: {MIN_WORDS}; lower it for a table of short units)",
            )
    if corpus if query is None else query:
        parser.add_argument(
            "--query",
            default=None,
            metavar="Q",
            help='only articles matching Q: words, "phrases", AND/OR/NOT, (), wildcard*, outlet:X, published:A..B (see analysis.query)',
        )
    add_output_arguments(parser)
    parser.set_defaults(func=func)
    return parser


def add_chart_argument(parser: argparse.ArgumentParser) -> None:
    """``--chart FILE``: the command's table as the notebooks draw it (see :func:`_save_chart`)."""
    parser.add_argument(
        "--chart",
        default=None,
        metavar="FILE.png|svg|pdf",
        help="also save the table's chart in the notebooks' style, its caption in FILE.txt (no suffix: all three formats)",
    )


def add_outlets_argument(parser: argparse.ArgumentParser) -> None:
    """``--outlets FILE``: outlet profiles that add to the shipped ones (how a table corpus gets its own)."""
    parser.add_argument(
        "--outlets",
        default=None,
        metavar="FILE.yaml",
        help="outlet profiles (outlets.yaml format) added to the shipped ones and the corpus folder's own",
    )


def add_cache_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: clean the corpus again rather than read its cleaned table from data/interim/cache/."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="clean the corpus again (and count its words again) instead of reading data/interim/cache/",
    )


def add_output_arguments(
    parser: argparse.ArgumentParser, json_help: str = "print a JSON list of records instead of a table"
) -> None:
    """``--json`` | ``--csv`` (every row and column, nothing else on stdout) and ``--wide``."""
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help=json_help)
    formats.add_argument("--csv", action="store_true", help="print the table as CSV (cells spreadsheet-safe) instead")
    parser.add_argument("--wide", action="store_true", help="never shorten cells to fit the terminal")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framing", description="Compare how news outlets frame the same events. Every command defaults to the seed corpus."
    )
    parser.add_argument("--version", action="version", version=f"framing {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    corpus = add_command(
        commands, "corpus", cmd_corpus, "print the cleaned articles: id, outlet, published, headline, words, removals"
    )
    add_engine_arguments(corpus)
    validate = add_command(
        commands,
        "validate",
        cmd_validate,
        "report every problem in a corpus at once, grouped by kind (exit 1 if an article had to be skipped)",
        query=False,
    )
    validate.add_argument("--all", action="store_true", help="list every problem, not the first few of each kind")
    ingest = add_command(
        commands,
        "ingest",
        cmd_ingest,
        "add the cleaned corpus to a Parquet store partitioned by outlet and month (new articles only)",
        query=False,
    )
    ingest.add_argument(
        "--to", required=True, metavar="PATH", help="store folder, created when missing; usable as CORPUS afterwards"
    )
    add_engine_arguments(ingest)
    report = add_command(
        commands,
        "report",
        cmd_report,
        "run the notebook suite with papermill into a run folder: HTML, figures, tables, run.json",
        query=False,
        profiles=False,  # --outlets chooses outlets here; a corpus folder's outlets.yaml adds profiles
    )
    report.add_argument("--event", default=None, help="event id to report on, or 'all' (default)")
    report.add_argument("--outlets", default=None, metavar="A,B", help="comma-separated outlets, or 'all' (default)")
    report.add_argument(
        "--notebooks", default=None, metavar="01,03", help="notebook numbers or names; default: all numbered ones"
    )
    report.add_argument(
        "--out", default=None, metavar="DIR", help="the run folder itself, new or empty; nothing is written outside it"
    )
    report.add_argument(
        "--reports",
        default=None,
        metavar="ROOT",
        help="without --out: the run goes to ROOT/<UTC timestamp>/ and ROOT/index.html lists every run (default: reports/)",
    )
    report.add_argument("--formats", default=None, help="figure formats, comma-separated (default: png,svg,pdf)")
    report.add_argument("--jobs", type=int, default=None, metavar="N", help="notebooks run at once; default: number of cores")
    report.add_argument("--params", default=None, metavar="FILE.yaml", help="more notebook parameters as a YAML mapping")
    report.add_argument(
        "--if-changed", action="store_true", help="skip when corpus, lexicons and parameters match the last successful run"
    )
    report.add_argument(
        "--since-last",
        action="store_true",
        help="open the report with what changed since the last successful run (new articles, events, moved rates)",
    )
    loaded = add_command(
        commands, "loaded", cmd_loaded, "loaded-language rates per group, lexicon category and voice (narration, quoted, all)"
    )
    loaded.add_argument(
        "--lexicon", default="default", metavar="FILE", help="lexicon .yaml, .dic or .csv; default: the shipped one"
    )
    loaded.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    loaded.add_argument("--kwic", action="store_true", help="print every hit in its context instead of the rates")
    loaded.add_argument(
        "--model", default=None, metavar="MODEL", help="a model from 'framing code train': share of loaded sentences instead"
    )
    add_engine_arguments(loaded)
    tone = add_command(commands, "tone", cmd_tone, "VADER sentence tone per group and voice, with bootstrap intervals")
    tone.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    add_engine_arguments(tone)
    attention = add_command(
        commands,
        "attention",
        cmd_attention,
        "share of each group's articles per period that match a query, with Wilson intervals (Media Cloud's attention)",
        query=False,
    )
    attention.add_argument(
        "--query", dest="match_query", required=True, metavar="Q", help="the query whose attention is measured"
    )
    attention.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    attention.add_argument("--interval", choices=["day", "week", "month"], default="week", help="period length (default: week)")

    trends = add_command(
        commands, "trends", cmd_trends, "loaded-term rates and tone per group and period, with shifts the intervals support"
    )
    trends.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    trends.add_argument("--interval", choices=["day", "week", "month"], default="week", help="period length (default: week)")
    trends.add_argument(
        "--lexicon", default="default", metavar="FILE", help="lexicon .yaml, .dic or .csv; default: the shipped one"
    )
    trends.add_argument("--all-periods", action="store_true", help="also print periods in which a group published nothing")
    trends.add_argument(
        "--terms", type=int, default=0, metavar="N", help="print the N most distinctive words of each period instead (keyness)"
    )
    voice_help = "words counted: all (default), narration (the outlet's own) or quoted (inside quotations)"
    terms = add_command(commands, "terms", cmd_terms, "top TF-IDF words per group (each group one document)")
    terms.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    terms.add_argument("--top", type=int, default=20, metavar="N", help="words per group (default: 20)")
    terms.add_argument("--voice", choices=["all", "narration", "quoted"], default="all", help=voice_help)
    add_engine_arguments(terms)
    key = add_command(
        commands, "keyness", cmd_keyness, "distinctive words per group: weighted log-odds z (Monroe et al.), chi2, G2"
    )
    key.add_argument("--by", default="outlet", metavar="COL", help="article column to group by (default: outlet)")
    key.add_argument(
        "--reference", default=None, metavar="NAME", help="compare every group with this one; default: each with the rest"
    )
    key.add_argument(
        "--prior-mass", type=float, default=100.0, metavar="M", help="Dirichlet prior mass m (default: 100 pseudo-words)"
    )
    key.add_argument(
        "--prior-corpus", default=None, metavar="CORPUS", help="background corpus added to the pooled counts for the prior"
    )
    key.add_argument("--top", type=int, default=20, metavar="N", help="words per group, highest z first (default: 20)")
    key.add_argument("--voice", choices=["all", "narration", "quoted"], default="all", help=voice_help)
    add_engine_arguments(key)
    quotes = add_command(
        commands, "quotes", cmd_quotes, "quotations with speaker, affiliation, reporting verb and kind (speech or scare)"
    )
    quotes.add_argument("--kind", choices=["all", "speech", "scare"], default="all", help="only speech or only scare quotes")
    quotes.add_argument(
        "--actors",
        default=None,
        metavar="FILE.yaml",
        help="more actor profiles, added to analysis/actors.yaml (same name: replaces)",
    )
    actors = add_command(
        commands, "actors", cmd_actors, "actor mentions with the label each outlet gives them and position (headline, lead, body)"
    )
    actors.add_argument(
        "--actors",
        default=None,
        metavar="FILE.yaml",
        help="more actor profiles, added to analysis/actors.yaml (same name: replaces)",
    )
    actors.add_argument(
        "--candidates", action="store_true", help="list frequent capitalised names no profile covers (to add to actors.yaml)"
    )
    actors.add_argument("--min-count", type=int, default=2, metavar="N", help="with --candidates: seen at least N times")
    for charted in (corpus, loaded, tone, terms, key, attention, trends, quotes, actors):
        add_chart_argument(charted)
    for listing in (terms, key, trends):
        listing.add_argument(
            "--stop-words",
            default="english",
            metavar="english|none|FILE",
            help="words left out: english (default: scikit-learn's list and reporting verbs such as said, told), none, "
            "or a file with one word per line",
        )
    key.add_argument(
        "--min-count", type=int, default=3, metavar="N", help="list only words used N times or more by both sides (default: 3)"
    )
    for measure in (loaded, tone, terms, key):
        measure.add_argument(
            "--exclude-reused",
            action="store_true",
            help="leave out words the article copied from another (earlier, more complete, or when it republishes wire "
            "copy; quoting the same statement is not copying); see analysis.reuse.exclude_reused",
        )
    events = add_command(commands, "events", cmd_events, "group articles by event: article_id, outlet, event, label, cohesion")
    events.add_argument("--ignore-labels", action="store_true", help="infer events even where the manifest names them")
    events.add_argument(
        "--window-days",
        type=int,
        default=7,
        metavar="N",
        help="articles further apart never share an inferred event (default: 7)",
    )
    events.add_argument(
        "--threshold",
        type=float,
        default=None,
        metavar="S",
        help="least average combined score within an event (default: 0.12, analysis.events.THRESHOLD)",
    )
    events.add_argument(
        "--events",
        default=None,
        metavar="FILE.yaml",
        help="rename or merge events ('events: {id: name}'), after the corpus folder's own events.yaml",
    )
    add_engine_arguments(events)  # dask: document frequencies and the pair step on the workers
    add_chart_argument(events)
    provenance = add_command(
        commands,
        "provenance",
        cmd_provenance,
        "copy families (wire copies, republications, spun copies) and common-source pairs; --pairs: every pair and passage",
    )
    provenance.add_argument(
        "--reference", default=None, metavar="CORPUS", help="also align every article with these reference wire stories"
    )
    provenance.add_argument(
        "--passage-words", type=int, default=8, metavar="N", help="least aligned words in a shared passage (default: 8)"
    )
    provenance.add_argument(
        "--min-share", type=float, default=0.0, metavar="X", help="only pairs sharing at least X of one body (0-1; default: 0)"
    )
    provenance.add_argument(
        "--top", type=int, default=None, metavar="N", help="show the N largest families, or pairs (default: 20; --json: all)"
    )
    provenance.add_argument(
        "--pairs", action="store_true", help="list every pair and its passages (relation copy, common_source) instead of families"
    )
    add_engine_arguments(provenance)  # dask: the candidate pairs are found on the workers
    add_chart_argument(provenance)
    topics = add_command(
        commands,
        "topics",
        cmd_topics,
        "topics of the bodies (NMF; K by coherence with -k auto), representative sentences, prevalence per outlet/period",
    )
    topics.add_argument("-k", default="auto", metavar="K|auto", help="number of topics, or auto: the best coherence (default)")
    topics.add_argument(
        "--by",
        default="outlet",
        metavar="outlet|period|outlet,period",
        help="prevalence per article column (default: outlet), per period, or both",
    )
    topics.add_argument("--interval", choices=["day", "week", "month"], default="week", help="period length (default: week)")
    topics.add_argument("--top-words", type=int, default=10, metavar="N", help="top words listed per topic (default: 10)")
    topics.add_argument("--seed", type=int, default=0, help="seed of the model and the bootstrap (default: 0)")
    topics.add_argument(
        "--stop-words",
        default="english",
        metavar="english|none|FILE",
        help="words left out: english (default: scikit-learn's list and reporting verbs), none, or a file",
    )
    add_chart_argument(topics)
    add_evaluate_commands(commands)
    add_collect_commands(commands)
    code = commands.add_parser(
        "code", help="code a sample, check agreement, train and apply classifiers of a codebook", description="coding"
    )
    coding = code.add_subparsers(title="steps", metavar="STEP", required=True)
    sample = add_command(coding, "sample", cmd_code_sample, "draw a stratified sample of units to code (notebook 09 codes it)")
    sample.add_argument("--codebook", required=True, metavar="NAME", help=CODEBOOK_HELP)
    sample.add_argument("--out", required=True, metavar="SAMPLE.csv", help="sample file to write (must not exist)")
    sample.add_argument("-n", type=int, default=200, help="units to draw (default: 200)")
    sample.add_argument("--by", default="outlet,event", metavar="A,B", help="strata: article columns (default: outlet,event)")
    sample.add_argument("--unit", choices=["sentence", "paragraph", "article"], help="default: the codebook's unit")
    sample.add_argument("--seed", type=int, default=0, help="seed of the draw (default: 0)")
    agreeing = coding.add_parser(
        "agreement",
        help="Krippendorff's alpha per code between the coders of an annotation file",
        description="Krippendorff's alpha per code between the coders of an annotation file",
    )
    agreeing.add_argument("annotations", help="annotation file written by notebook 09's coding screen")
    agreeing.add_argument("--codebook", required=True, metavar="NAME", help=CODEBOOK_HELP)
    add_output_arguments(agreeing)
    agreeing.set_defaults(func=cmd_code_agreement)
    train = coding.add_parser(
        "train",
        help="train a calibrated classifier per code from an annotation file or a BABE-style CSV; k-fold CV metrics",
        description="train a calibrated classifier per code from an annotation file or a BABE-style CSV; k-fold CV metrics",
    )
    train.add_argument(
        "annotations", help="annotation file of notebook 09, or a CSV with text, label_bias (Biased / Non-biased), biased_words"
    )
    train.add_argument("--codebook", required=True, metavar="NAME", help=CODEBOOK_HELP)
    train.add_argument(
        "--code", default=None, help="the code a BABE-style CSV's labels annotate (default: the codebook's only code, or biased)"
    )
    train.add_argument("--out", required=True, metavar="MODEL.joblib", help="model file to write")
    train.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (default: 5)")
    train.add_argument("--seed", type=int, default=0, help="seed of the folds (default: 0)")
    train.add_argument("--C", type=float, default=4.0, help="inverse regularisation of the logistic regression (default: 4)")
    add_output_arguments(train, "print metrics, top words and the model's record as JSON (--csv: the metrics)")
    train.set_defaults(func=cmd_code_train)
    applying = add_command(
        coding,
        "apply",
        cmd_code_apply,
        "score every unit of a corpus with a model: one record per unit and code",
        first=("model", "model file from framing code train (MODEL.joblib)"),
    )
    applying.add_argument("--unit", choices=["sentence", "paragraph", "article"], help="default: the model's unit")
    applying.add_argument(
        "--threshold", type=float, default=0.5, help="probability from which a unit is predicted (default: 0.5)"
    )
    frames = add_command(commands, "frames", cmd_frames, "frame prevalence per outlet from a model, corrected for its error")
    frames.add_argument("--model", required=True, metavar="MODEL.joblib", help="model from framing code train")
    frames.add_argument("--by", default="outlet", help="article column to group by (default: outlet)")
    frames.add_argument(
        "--event", default=None, metavar="E", help="only the articles of event E (inferred where the corpus has none)"
    )
    frames.add_argument("--unit", choices=["sentence", "paragraph", "article"], help="default: the model's unit")
    add_chart_argument(frames)
    return parser


# ---------------------------------------------------------------------------
# Collecting a corpus: framing import, framing fetch (analysis.collect)
# ---------------------------------------------------------------------------


def _collect_error(err: Exception) -> int:
    """A collect error as one line: data problems exit 1, a target that may not be written exits 2."""
    from analysis.collect import TargetError

    print(f"framing: {err}", file=sys.stderr)
    return 2 if isinstance(err, TargetError) else 1


def cmd_import(args: argparse.Namespace) -> int:
    from analysis.collect import CollectError, TargetError, import_export, import_pages, parse_mapping

    if args.source_format == "html" and args.map:
        raise UsageError("--map: saved pages carry no columns to map; their metadata fills the manifest")
    try:
        mapping = parse_mapping(args.map)
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        if args.source_format == "html":
            result = import_pages(args.source, args.to, event=args.event)
        else:
            result = import_export(args.source, args.to, source=args.source_format, mapping=mapping, event=args.event)
    except (CollectError, TargetError) as err:
        return _collect_error(err)
    counts = result.counts()
    if machine_readable(args):
        print_table(result.summary, args)
        return 1 if counts["unusable"] else 0
    print_table(pd.DataFrame({"status": list(counts), "rows": list(counts.values())}), args)
    summary = result.summary
    left_out = summary[summary["status"] != "imported"]
    if not left_out.empty:
        print()
        print_table(left_out, args, columns=["row", "status", "id", "url", "reason"])
    noted = summary[(summary["status"] == "imported") & (summary["reason"] != "")]
    if args.source_format == "html" and not noted.empty:  # what each page lacks, to fill in by hand
        print()
        print_table(noted, args, columns=["source", "id", "reason"])
    else:  # one line per note, not per row: a thousand rows share an outlet
        for reason, rows in noted["reason"].value_counts(sort=False).items():
            print(f"{rows} imported row(s): {reason}")
    print(
        f"\n{len(result.summary)} row(s) of {args.source}: {counts['imported']} imported, {counts['duplicate']} duplicate(s), "
        f"{counts['unusable']} unusable, into {result.target}" + (" (extended)" if result.extended else "")
    )
    if result.to_fetch:
        print(f"Next: framing fetch {result.target}   (downloads the {result.to_fetch} page(s) of rows without text)")
    return 1 if counts["unusable"] else 0


def cmd_cache_clear(args: argparse.Namespace) -> int:
    from analysis.corpus import clear_cache
    from analysis.paths import CACHE

    removed = clear_cache()
    print(f"{removed} cached article table(s) removed from {CACHE}; the next command cleans its corpus again")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from analysis.collect import FetchSettings, TargetError, fetch_corpus

    settings = FetchSettings(
        delay=args.delay,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        user_agent=args.user_agent,
        retry_failed=args.retry_failed,
    )
    with tqdm(unit="page", file=sys.stderr, disable=machine_readable(args) or not sys.stderr.isatty()) as bar:

        def progress(record: Any, total: int) -> None:
            bar.total = total
            bar.update()
            bar.set_postfix_str(f"{record.outcome} {record.url[:50]}", refresh=False)

        try:
            result = fetch_corpus(args.corpus, settings=settings, progress=progress)
        except TargetError as err:
            return _collect_error(err)
        except KeyboardInterrupt:
            print(
                f"\nframing: interrupted; the pages saved are kept: run 'framing fetch {args.corpus}' to continue",
                file=sys.stderr,
            )
            return 130
    table = result.table()
    counts = result.counts()
    if machine_readable(args):
        print_table(table, args)
        return 1 if counts["failed"] else 0
    for record in result.records:
        if record.date_warning:
            print(
                f"warning: {record.id} {record.url}: {record.date_warning}; check which is the publication date", file=sys.stderr
            )
    print_table(pd.DataFrame({"outcome": list(counts), "pages": list(counts.values())}), args)
    failed = table[table["outcome"] != "fetched"]
    if not failed.empty:
        print()
        print_table(failed, args, columns=["id", "url", "outcome", "status", "error"])
    print(
        f"\n{counts['fetched']} fetched, {counts['failed']} failed, {counts['robots']} skipped by robots.txt, "
        f"{counts['earlier']} done by an earlier run; pages in {Path(result.corpus) / 'html'}"
    )
    if counts["failed"]:
        print(f"Run 'framing fetch {result.corpus} --retry-failed' later to try the failed pages again.")
    return 1 if counts["failed"] else 0


def add_collect_commands(commands: argparse._SubParsersAction) -> None:
    """``framing import`` and ``framing fetch`` (see :mod:`analysis.collect`)."""
    from analysis.collect import FIELDS, SOURCES, USER_AGENT, FetchSettings

    import_help = "turn an export (Media Cloud, GDELT, NewsAPI, CSV) or a folder of saved pages into a corpus folder"
    cache_help = "the cleaned article tables and their word counts kept in data/interim/cache/ (read when valid)"
    cache = commands.add_parser("cache", help=cache_help, description=cache_help)
    cache_actions = cache.add_subparsers(title="actions", metavar="ACTION", required=True)
    clear_help = "delete every cached article table and word count; the next command cleans its corpus again"
    cache_actions.add_parser("clear", help=clear_help, description=clear_help).set_defaults(func=cmd_cache_clear)
    importing = commands.add_parser("import", help=import_help, description=import_help)
    importing.add_argument("source", metavar="FILE", help="the export (.csv, .tsv, .json, .jsonl), or with --from html a folder")
    importing.add_argument("--from", dest="source_format", required=True, choices=[*SOURCES, "html"], help="its format")
    importing.add_argument(
        "--to", required=True, metavar="FOLDER", help="corpus folder to write: new, empty, or an earlier import"
    )
    importing.add_argument(
        "--map",
        default=None,
        metavar="FIELD=COL,...",
        help=f"columns holding each field, overriding the format's ({', '.join(FIELDS)}), e.g. published=publish_date",
    )
    importing.add_argument(
        "--event", default="", metavar="ID", help="event of the rows the export gives none (the notebooks compare within events)"
    )
    add_output_arguments(importing, "print every source row's fate as JSON records")
    importing.set_defaults(func=cmd_import)
    defaults = FetchSettings()
    fetch_help = "download the pages of an imported corpus's rows that have a url and no file: polite, resumable"
    fetch = commands.add_parser("fetch", help=fetch_help, description=fetch_help)
    fetch.add_argument("corpus", metavar="CORPUS", help="a corpus folder written by framing import")
    fetch.add_argument("--delay", type=float, default=defaults.delay, metavar="S", help="seconds between requests to one host")
    fetch.add_argument("--timeout", type=float, default=defaults.timeout, metavar="S", help="seconds per request")
    fetch.add_argument("--retries", type=int, default=defaults.retries, metavar="N", help="tries after a timeout, 429 or 5xx")
    fetch.add_argument("--backoff", type=float, default=defaults.backoff, metavar="S", help="first wait before a retry; doubles")
    fetch.add_argument("--user-agent", default=USER_AGENT, metavar="UA", help="add a contact address for the sites you ask")
    fetch.add_argument("--retry-failed", action="store_true", help="try again the pages an earlier run could not fetch")
    add_output_arguments(fetch, "print one JSON record per page tried")
    fetch.set_defaults(func=cmd_fetch)


class _StderrHandler(logging.Handler):
    """Log records as plain lines on whatever ``sys.stderr`` is when they are emitted."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def _log_to_stderr() -> None:
    """The package's INFO messages (what a step left out, say) as plain lines on stderr."""
    logger = logging.getLogger("analysis")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        logger.addHandler(_StderrHandler())
        logger.setLevel(logging.INFO)


def add_evaluate_commands(commands: argparse._SubParsersAction) -> None:
    """``framing evaluate KIND GOLD CORPUS``: one subcommand per kind of :data:`analysis.evaluation.EVALUATIONS`.

    Each kind reads its own keys of the same gold records (``loaded`` reads annotated text
    in the BABE, PTC or BASIL formats instead).
    """
    evaluate_help = "agreement of a measure with a hand-labelled gold file (README: Validity): figures with intervals, misses"
    evaluate = commands.add_parser("evaluate", help=evaluate_help, description=evaluate_help)
    kinds = evaluate.add_subparsers(title="kinds", metavar="KIND", required=True)
    cleaning_help = "headline and dek accuracy, furniture lines surviving, story sentences removed"
    cleaning = kinds.add_parser("cleaning", help=cleaning_help, description=cleaning_help)
    cleaning.add_argument("gold", help="gold JSON: per article file or id, headline, dek, chrome (README: Validity)")
    cleaning.add_argument("corpus", help="the corpus the gold file labels: folder with manifest.csv or a table")
    add_outlets_argument(cleaning)
    add_cache_argument(cleaning)
    add_output_arguments(cleaning, "print {validity, misses} as JSON records (--csv: the validity table)")
    cleaning.set_defaults(func=cmd_evaluate, kind="cleaning")
    for kind, kind_help, keys in (
        ("quotes", "quotations found and their speakers right", "quotes: [[first words, speaker], ...]"),
        ("events", "inferred events against the gold event: adjusted Rand index, same-event pair precision and recall", "event"),
        ("provenance", "text-reuse pairs against the gold wire family: copy-pair precision, recall, F1", "family"),
    ):
        page = kinds.add_parser(kind, help=kind_help, description=kind_help)
        page.add_argument("gold", help=f"gold JSON: per article file or id and {keys} (README: Validity)")
        page.add_argument("corpus", help="the corpus the gold file labels: folder with manifest.csv or a table")
        add_outlets_argument(page)
        add_cache_argument(page)
        add_output_arguments(page, "print {validity, misses} as JSON records (--csv: the validity table)")
        page.set_defaults(func=cmd_evaluate, kind=kind)
    evaluate_loaded = kinds.add_parser(
        "loaded",
        help="loaded language vs BABE, PTC or BASIL: sentence P/R/F1, hit precision, recall, per term, outlet order",
        description="loaded language vs BABE, PTC or BASIL: sentence P/R/F1, hit precision, recall, per term, outlet order",
    )
    evaluate_loaded.add_argument("gold", help="BABE-style CSV, PTC-style folder (labels.tsv + articles/) or BASIL-style JSON")
    evaluate_loaded.add_argument(
        "--format", choices=["babe", "ptc", "basil"], default=None, help="gold format; default: inferred from the path"
    )
    evaluate_loaded.add_argument(
        "--lexicon", default="default", metavar="FILE", help="lexicon .yaml, .dic or .csv; default: the shipped one"
    )
    evaluate_loaded.add_argument(
        "--techniques",
        default="Loaded_Language;Name_Calling,Labeling",
        metavar="A;B",
        help="PTC techniques that count as loaded, separated by ';' (default: Loaded_Language;Name_Calling,Labeling)",
    )
    evaluate_loaded.add_argument(
        "--model", default=None, metavar="MODEL", help="score a model from 'framing code train' instead of a lexicon"
    )
    evaluate_loaded.add_argument("--top", type=int, default=25, metavar="N", help="terms printed (default: 25)")
    add_output_arguments(evaluate_loaded, "print the validity, category and term tables as JSON (--csv: validity)")
    evaluate_loaded.set_defaults(func=cmd_evaluate_loaded)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _log_to_stderr()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # problems are reported by the commands themselves
            return args.func(args)
    except (UsageError, FileNotFoundError) as err:
        print(f"framing: {err}", file=sys.stderr)
        return 2
    except (CorpusError, ProfileError) as err:
        print(f"framing: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("framing: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except ValueError as err:
        if not type(err).__module__.startswith("analysis."):
            return _unexpected(err)
        print(f"framing: {err}", file=sys.stderr)  # the package's own errors carry a message for the user
        return 1
    except Exception as err:  # the last line of defence: one line, never a traceback
        return _unexpected(err)


def _unexpected(err: Exception) -> int:
    """One line for an error no command expected (``FRAMING_DEBUG=1``: the traceback), exit 1."""
    if os.environ.get("FRAMING_DEBUG"):
        raise err
    print(
        f"framing: unexpected {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
        "(an input framing does not understand, or a bug: rerun with FRAMING_DEBUG=1 for the traceback and report it)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
