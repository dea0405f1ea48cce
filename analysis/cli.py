"""The ``framing`` command: parse arguments, call one function, print a table or ``--json``.

Each command is a function ``(args) -> exit code`` registered in :func:`build_parser`.
Exit codes: 0 done, 1 the data has problems, 2 the command was used wrongly.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.corpus import CorpusError
from analysis.outlets import ProfileError
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
    return value


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records of ``table``: dates as ISO strings, NaN as null."""
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_dict("records")]


def print_table(table: pd.DataFrame, *, as_json: bool, columns: Sequence[str] | None = None, width: int = 60) -> None:
    """Print ``table`` as JSON records, or as a text table with long cells shortened."""
    if as_json:
        json.dump(records(table), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    shown = table.loc[:, list(columns)] if columns else table
    if shown.empty:
        print("(no rows)")
        return
    shown = shown.copy()
    for column in shown.columns:
        if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: v if not isinstance(v, str) or len(v) <= width else v[: width - 1] + "…")
        elif pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.max_columns", None):
        print(shown.to_string(index=False))


def _report_problems(problems: Sequence[Any], *, to_stdout: bool = False) -> None:
    for problem in problems:
        print(str(problem), file=sys.stdout if to_stdout else sys.stderr)


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def load_for_command(args: argparse.Namespace) -> pd.DataFrame:
    """Load the corpus named on the command line; report skipped articles on stderr."""
    from analysis.corpus import read_corpus

    articles, problems = read_corpus(args.corpus)
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


def cmd_corpus(args: argparse.Namespace) -> int:
    if args.engine == "dask":
        from analysis.engine import map_articles, without_raw

        articles = select_by_query(map_articles(args.corpus, without_raw, engine="dask", scheduler=args.scheduler), args)
    else:
        articles = load_for_command(args)
    articles = articles.assign(removed_count=articles["removed"].map(len))
    if args.json:
        print_table(articles.drop(columns=["raw"], errors="ignore"), as_json=True)
    else:
        print_table(articles, as_json=False, columns=["id", "outlet", "published", "headline", "n_tokens", "removed_count"])
        print(
            f"\n{len(articles)} articles, {articles['n_tokens'].sum():,} words in bodies, "
            f"{articles['outlet'].nunique()} outlets. A handful of articles is not a population."
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from analysis.corpus import validate_corpus

    problems = validate_corpus(args.corpus)
    if args.json:
        print_table(pd.DataFrame([asdict(p) for p in problems]), as_json=True)
    elif problems:
        _report_problems(problems, to_stdout=True)
        errors = sum(p.severity == "error" for p in problems)
        print(f"\n{errors} error(s), {len(problems) - errors} warning(s).")
    else:
        print("No problems found.")
    return 1 if problems else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from analysis.ingest import ingest
    from analysis.store import StoreError, store_summary

    try:
        result = ingest(args.corpus, args.to, engine=args.engine, scheduler=args.scheduler)
    except StoreError as err:
        raise UsageError(str(err)) from None
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} article(s) skipped; run 'framing validate' for every problem:", file=sys.stderr)
        _report_problems(errors)
    for article_id in result.id_conflicts:
        print(f"skipped {article_id}: the store holds this id with another body; give the new version a new id", file=sys.stderr)
    summary = store_summary(result.store)
    print_table(summary, as_json=args.json, columns=["outlet", "month", "files", "articles"])
    if not args.json:
        print(
            f"\n{result.added} article(s) added, {result.duplicates} already in the store, "
            f"{len(result.id_conflicts)} id conflict(s); {int(summary['articles'].sum())} articles in {result.store}"
        )
    return 1 if errors else 0


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.suite import ReportError, main_report_lines, read_params_file, run_report

    try:
        result = run_report(
            args.corpus,
            event=args.event,
            outlets=args.outlets,
            notebooks=args.notebooks,
            out=args.out,
            formats=args.formats,
            jobs=args.jobs,
            params=read_params_file(args.params) if args.params else None,
            if_changed=args.if_changed,
            since_last=args.since_last,
            progress=None if args.json else lambda line: print(line, flush=True),
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
    if args.json and digest_file is not None and digest_file.is_file():
        json.dump(
            {"notebooks": records(table), "digest": json.loads(digest_file.read_text(encoding="utf-8"))},
            sys.stdout,
            indent=1,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    elif args.json:
        print_table(table, as_json=True)
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


def _print_rates(table: pd.DataFrame, columns: list[str], *, as_json: bool, note: str) -> None:
    if as_json:
        print_table(table[columns], as_json=True)
        return
    print_table(table.round(3), as_json=False, columns=columns)
    print(
        f"\n{note} Intervals need two or more articles in a group (NaN otherwise); small_sample marks groups "
        "under the article or token thresholds. A handful of articles is not a population."
    )


def _measure_source(args: argparse.Namespace) -> Any:
    """What a measure's entry point reads: the corpus path for the workers with ``--engine dask``
    (each partition selects ``--query`` itself), else the articles loaded and selected here."""
    if args.engine == "dask":
        return args.corpus
    articles = load_for_command(args)
    _check_by(articles, args.by)
    return articles


def _run_measure(measure: Callable[..., pd.DataFrame], args: argparse.Namespace, **options: Any) -> pd.DataFrame:
    """``measure(corpus, engine=..., **options)``: the one path of a measure command, on either engine."""
    from analysis.engine import EngineError

    dask = args.engine == "dask"
    run = {"engine": args.engine, "scheduler": args.scheduler, "query": args.query if dask else None}
    if getattr(args, "exclude_reused", False):
        options["exclude_reused"] = True
    try:
        return measure(_measure_source(args), **run, **options)
    except EngineError as err:
        raise UsageError(str(err).replace("exclude_reused", "--exclude-reused")) from None
    except KeyError as err:
        if type(err) is not KeyError:  # a subclass (an unknown --reference) is the caller's to report
            raise
        raise UsageError(f"--by {args.by!r}: {err.args[0]}") from None


def _loaded_sentences(args: argparse.Namespace) -> int:
    """``framing loaded --model MODEL``: the share of sentences the model calls loaded, per group and voice."""
    from analysis.measures.loaded_sentences import (
        SENTENCE_RATE_COLUMNS,
        loaded_sentence_rates,
        score_sentences,
        sentence_units,
    )
    from analysis.reuse import own_tokens
    from analysis.tokens import tokenize

    if args.engine == "dask" or args.kwic:
        raise UsageError("--model runs with --engine local and without --kwic")
    model = _load_model(args.model)
    articles = _measure_source(args)
    tokens = own_tokens(tokenize(articles), articles, exclude=getattr(args, "exclude_reused", False))
    rates = loaded_sentence_rates(score_sentences(sentence_units(tokens, articles), model), articles, by=args.by)
    note = f"Model {args.model}: share of sentences with probability >= 0.5; 95% bootstrap intervals over articles. "
    note += model.validity_note()
    _print_rates(rates, SENTENCE_RATE_COLUMNS, as_json=args.json, note=note)
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
    table = _run_measure(measure_loaded, args, lexicon=args.lexicon, by=args.by, in_context=args.kwic)
    if args.kwic:
        _print_kwic(table, args)
        return 0
    note = f"Lexicon {matcher.lexicon.name}: hits per 1,000 word tokens of each voice; 95% bootstrap intervals over articles."
    _print_rates(table, LOADED_COLUMNS, as_json=args.json, note=note)
    return 0


def _print_kwic(table: pd.DataFrame, args: argparse.Namespace) -> None:
    """KWIC rows, with each term's measured precision when the lexicon ships a precision file."""
    from analysis.lexicons import load_term_precision

    precision = load_term_precision(args.lexicon)
    columns = list(KWIC_COLUMNS)
    if precision is not None:
        table = table.merge(precision, on=["term", "category"], how="left")
        columns += [c for c in precision.columns if c.startswith("precision_")]
    print_table(table, as_json=args.json, columns=columns)
    if precision is not None and not args.json:
        print(
            "\nprecision_<gold>: share of the term's hits inside words or spans people marked as loaded in that gold "
            "(README: Validity; measured as shipped for 'default', 5-fold cross-validated for 'revised'); empty: no hits there."
        )


def cmd_tone(args: argparse.Namespace) -> int:
    from analysis.measures.tone import measure_tone

    table = _run_measure(measure_tone, args, by=args.by)
    note = "VADER compound per sentence (-1 to +1), averaged by voice; 95% bootstrap intervals over articles."
    _print_rates(table, TONE_COLUMNS, as_json=args.json, note=note)
    return 0


ATTENTION_COLUMNS = ["group", "period", "matching", "total", "ratio", "ci_low", "ci_high", "small_sample"]
DISTINCTIVE_COLUMNS = ["group", "period", "reference", "term", "count", "count_reference", "z", "small_sample"]
TREND_COLUMNS = ["measure", "group", "period", "value", "ci_low", "ci_high", "n_articles", "small_sample", "change", "shift"]


def cmd_attention(args: argparse.Namespace) -> int:
    from analysis.plots import plot_attention
    from analysis.query import QuerySyntaxError, build_index, match
    from analysis.trends import attention

    articles = load_for_command(args)
    _check_by(articles, args.by)
    try:
        matching = match(build_index(articles), args.match_query)
    except (QuerySyntaxError, KeyError) as err:
        raise UsageError(f"--query: {err.args[0] if isinstance(err, KeyError) else err}") from None
    table = attention(articles, matching, by=args.by, interval=args.interval)
    if args.chart:
        from analysis.plots import save_figure

        caption = (
            f"Share of each {args.by}'s articles per {args.interval} matching {args.match_query!r}, with 95% Wilson "
            f"intervals; {int(matching.sum())} of {len(articles)} articles match. A handful of articles is not a population."
        )
        for path in save_figure(plot_attention(table, query=args.match_query), args.chart, caption=caption):
            print(f"wrote {path}", file=sys.stderr)
    note = (
        f"{int(matching.sum())} of {len(articles)} articles match {args.match_query!r}. ratio = matching / total per "
        f"{args.by} and {args.interval}, 95% Wilson interval; total 0 means nothing published that {args.interval}; "
        "small_sample: fewer than 5 articles. A handful of articles is not a population."
    )
    print_table(table if args.json else table.round(3), as_json=args.json, columns=ATTENTION_COLUMNS)
    if not args.json:
        print(f"\n{note}")
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

        terms = distinctive_terms(tokens, articles, by=args.by, interval=args.interval, top=args.terms)
        print_table(terms if args.json else terms.round(3), as_json=args.json, columns=DISTINCTIVE_COLUMNS)
        if not args.json:
            print(
                f"\nWords that set each {args.interval} apart from the {args.by}'s other {args.interval}s: weighted log-odds z "
                "(|z| > 1.96 is the usual bar); groups with one period are left out. A handful of articles is not a population."
            )
        return 0
    loaded = loaded_trends(
        loaded_hits(tokens, matcher), tokens, articles, by=args.by, interval=args.interval, categories=matcher.lexicon.categories
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
    _print_rates(table, TREND_COLUMNS, as_json=args.json, note=note)
    return 0


TERMS_COLUMNS = ["group", "term", "tfidf", "count"]
KEYNESS_COLUMNS = ["group", "reference", "term", "count", "count_reference", "log_odds", "z", "chi2", "g2"]


def cmd_terms(args: argparse.Namespace) -> int:
    from analysis.measures.tfidf import measure_top_terms

    if args.top < 1:
        raise UsageError(f"--top must be 1 or more, not {args.top}")
    table = _run_measure(measure_top_terms, args, by=args.by, voice=args.voice, top=args.top)
    print_table(table if args.json else table.round(4), as_json=args.json, columns=TERMS_COLUMNS)
    if not args.json:
        print(
            f"\nTF-IDF with each {args.by} as one document (its articles' {args.voice} words; English stop words "
            "left out); count = occurrences in the group. A handful of articles is not a population."
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
    options = {"reference": args.reference, "prior_mass": args.prior_mass, "prior_counts": prior, "top": args.top}
    try:
        table = _run_measure(measure_keyness, args, by=args.by, voice=args.voice, **options)
    except UnknownGroupError as err:
        raise UsageError(f"--reference: {err.args[0]}") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    print_table(table if args.json else table.round(3), as_json=args.json, columns=KEYNESS_COLUMNS)
    if not args.json:
        print(
            f"\nz: weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008, prior mass "
            f"{args.prior_mass:g}); |z| > 1.96 is the usual bar. chi2 (Yates, as quanteda) and g2 are signed: positive = "
            "used more by the group. Words are not independent draws: read p-values as a ranking. "
            "A handful of articles is not a population."
        )
    return 0


QUOTES_COLUMNS = ["article_id", "outlet", "start", "end", "text", "speaker", "affiliation", "verb", "kind"]
ACTORS_COLUMNS = ["article_id", "outlet", "actor", "mention", "label", "position"]


def cmd_quotes(args: argparse.Namespace) -> int:
    from analysis.actors import ActorsError, corpus_actors_file, load_actors
    from analysis.quotes import extract_quotes

    try:
        actors = load_actors(corpus_actors_file(args.corpus), args.actors)
    except ActorsError as err:
        raise UsageError(str(err)) from err
    quotes = extract_quotes(load_for_command(args), actors=actors)
    if args.kind != "all":
        quotes = quotes[quotes["kind"] == args.kind]
    print_table(quotes, as_json=args.json, columns=QUOTES_COLUMNS)
    return 0


def cmd_actors(args: argparse.Namespace) -> int:
    from analysis.actors import ActorsError, actor_mentions, candidate_names, corpus_actors_file, load_actors

    try:
        actors = load_actors(corpus_actors_file(args.corpus), args.actors)
    except ActorsError as err:
        raise UsageError(str(err)) from err
    articles = load_for_command(args)
    if args.candidates:
        print_table(candidate_names(articles, actors=actors, min_count=args.min_count), as_json=args.json)
        return 0
    print_table(actor_mentions(articles, actors=actors), as_json=args.json, columns=ACTORS_COLUMNS)
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
    from analysis.events import EventError, corpus_event_names, group_events, load_event_names

    articles = load_for_command(args)
    try:
        names = {**corpus_event_names(args.corpus), **(load_event_names(args.events) if args.events else {})}
        table = group_events(
            articles,
            names=names,
            use_labels=not args.ignore_labels,
            window_days=args.window_days,
            threshold=args.threshold,
            engine=args.engine,
            scheduler=args.scheduler,
        )
    except (EventError, EngineError) as err:
        raise UsageError(str(err)) from None
    print_table(table if args.json else table.round(3), as_json=args.json, columns=EVENTS_COLUMNS)
    if not args.json:
        print(
            f"\n{table['event'].nunique()} event(s). Inferred events join articles published within {args.window_days} days "
            f"whose average combined score (TF-IDF, names, numbers, quotes; see analysis.events) is at least "
            f"{args.threshold:g}; event_source says whether the manifest's event or the inference is shown."
        )
    return 0


def cmd_provenance(args: argparse.Namespace) -> int:
    from analysis.provenance import ProvenanceError, copy_families, provenance_summary, text_reuse

    articles = load_for_command(args)
    reference = None
    if args.reference:
        from analysis.corpus import load_corpus

        reference = load_corpus(args.reference)
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
        pairs = text_reuse(articles, reference=reference, min_words=args.min_words, candidates=candidates)
    except ProvenanceError as err:
        raise UsageError(str(err)) from None
    pairs = pairs[pairs[["shared_a", "shared_b"]].max(axis=1) >= args.min_share].reset_index(drop=True)
    families = copy_families(pairs, articles)
    summary = provenance_summary(pairs, families, articles=len(articles))
    top = args.top or (None if args.json else 20)  # a terminal shows 20 by default, --json everything
    if args.pairs:
        shown = pairs.assign(_most=pairs[["shared_a", "shared_b"]].max(axis=1)).sort_values("_most", ascending=False)
        shown = shown.drop(columns="_most").iloc[:top]
        if args.json:
            print_table(shown.drop(columns=["words_a", "words_b"]), as_json=True)
            return 0
        print_table(shown.round(3), as_json=False, columns=PROVENANCE_COLUMNS)
        for pair in shown.to_dict("records"):
            for passage in pair["passages"]:
                changes = "; ".join(f"{c['a'] or '-'} -> {c['b'] or '-'}" for c in passage["changes"][:8])
                print(f"\n{pair['article_a']} / {pair['article_b']} [{passage['kind']}]: {passage['a_text'][:100]!r}")
                if changes:
                    print(f"  changes: {changes}{' ...' if len(passage['changes']) > 8 else ''}")
        print(
            f"\n{summary}. shared_a/shared_b: share of each body's words inside aligned passages. direction a_to_b: a is "
            "the likely source (earlier, more complete, or the reference). relation: copy (copied narration), "
            "common_source (only the same quoted or translated statement of speaker), shared_phrase."
        )
        return 0
    chosen = families[families["family"].isin(families["family"].drop_duplicates().iloc[:top])]
    if args.json:
        print_table(chosen, as_json=True)
        return 0
    print(summary)
    if chosen.empty:
        print("no copies found")
    else:
        print()
        print_table(chosen.round(3), as_json=False, columns=FAMILY_PRINT_COLUMNS)
    common = pairs[pairs["relation"] == "common_source"]
    for speaker, group in common.groupby(common["speaker"].replace("", "(an unnamed speaker)")):
        print(f"\ncommon source, not copies: {len(group)} pair(s) share only quotations of {speaker}")
    shown_families = chosen["family"].nunique()
    if shown_families < families["family"].nunique():
        print(f"\n{shown_families} of {families['family'].nunique()} families shown (--top); --pairs lists the pairs")
    return 0


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
    if args.json:
        tables = {"validity": result.validity, "categories": result.categories, "terms": result.terms}
        json.dump({name: records(table) for name, table in tables.items()}, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print_table(result.validity.round(3), as_json=False)
    if not args.model:
        print("\nPer category (precision: share of hits inside a gold span, 95% Wilson interval):")
        print_table(result.categories.round(3), as_json=False)
        print(f"\nPer term, the {args.top} with most hits (--json for all {len(result.terms)}):")
        print_table(result.terms.head(args.top).round(3), as_json=False)
    print(
        f"\n{gold.name} gold {gold.source}: {len(gold.documents)} documents, {len(gold.sentences)} sentences "
        f"({int(gold.sentences['label'].sum())} loaded), {gold.spans['gold_id'].nunique()} marked items. "
        "Sentence F1 intervals: bootstrap over documents; proportions: Wilson."
    )
    return 0


def _load_model(path: str):
    from analysis.coding import CodingError, load_model

    try:
        return load_model(path)
    except CodingError as err:
        raise UsageError(str(err)) from None


def _evaluate_model(gold, args: argparse.Namespace):
    from analysis.coding import CodingError, annotations_hash, read_annotations
    from analysis.evaluation import evaluate_model

    model = _load_model(args.model)
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


CODE_INFO_KEYS = ["sentences", "positive", "folds", "seed", "C", "marked_words", "cpu_seconds", "trained_at"]


def cmd_code_train(args: argparse.Namespace) -> int:
    from analysis.coding import CodingError, load_codebook, read_annotations, save_model, train_model

    try:
        codebook = load_codebook(args.codebook)
        annotations = read_annotations(args.annotations, code=args.code)
        model = train_model(annotations, codebook=codebook, folds=args.folds, seed=args.seed, C=args.C)
    except CodingError as err:
        raise UsageError(str(err)) from None
    path = save_model(model, args.out)
    if args.json:
        summary = {
            "model": str(path),
            "codebook": model.codebook,
            "code": model.code,
            "data_hash": model.data_hash,
            "metrics": records(model.metrics),
            "confusion": model.confusion,
            "top_words": records(model.top_words),
            "info": model.info,
        }
        json.dump(_json_value(summary), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(
        f"{model.info['folds']}-fold cross-validated ({model.info['sentences']} sentences, {model.info['positive']} {model.code}):"
    )
    print_table(model.metrics.round(3), as_json=False)
    for direction in ("loaded", "not"):
        words = model.top_words.loc[model.top_words["direction"] == direction]
        shown = ", ".join(f"{f} ({w:+.2f})" for f, w in zip(words["feature"], words["weight"], strict=True))
        print(f"\nweighing most towards {model.code if direction == 'loaded' else 'not ' + model.code}: {shown}")
    print(
        f"\nmodel written to {path} (codebook {model.codebook}, data sha256 {model.data_hash[:12]}…, "
        f"{model.info['cpu_seconds']} CPU s). Intervals: Wilson for precision and recall, bootstrap over sentences for F1."
    )
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
    articles, problems = read_corpus(args.corpus, min_tokens=0)  # an article cleaned to nothing is scored, not skipped
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} article(s) could not be loaded (listed as not_loaded):", file=sys.stderr)
        _report_problems(errors)
    result = evaluate(args.kind, articles, gold, gold_name=Path(args.gold).name, skipped=skipped_articles(problems))
    if args.json:
        json.dump(
            {"validity": records(result.validity), "misses": records(result.misses)}, sys.stdout, ensure_ascii=False, indent=1
        )
        sys.stdout.write("\n")
        return 0
    print_table(result.validity.round(3), as_json=False, columns=VALIDITY_COLUMNS)
    print(f"\n{VALIDITY_NOTE} {len(gold)} labelled articles, {len(articles)} in the corpus table.\n")
    print_table(result.misses, as_json=False, columns=MISS_COLUMNS)
    return 0


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    func: Command,
    help_text: str,
    *,
    corpus: bool = True,
    query: bool | None = None,
) -> argparse.ArgumentParser:
    """Register ``framing NAME`` with the CORPUS argument and ``--json`` every analysis takes.

    ``query`` (default: same as ``corpus``) adds ``--query Q``, applied by :func:`load_for_command`.
    """
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    if corpus:
        parser.add_argument(
            "corpus",
            nargs="?",
            default=None,
            help="corpus folder (with manifest.csv), CSV/JSONL/Parquet table, or store from framing ingest; default: the seeds",
        )
    if corpus if query is None else query:
        parser.add_argument(
            "--query",
            default=None,
            metavar="Q",
            help='only articles matching Q: words, "phrases", AND/OR/NOT, (), wildcard*, outlet:X, published:A..B (see analysis.query)',
        )
    parser.add_argument("--json", action="store_true", help="print a JSON list of records instead of a table")
    parser.set_defaults(func=func)
    return parser


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
    add_command(
        commands, "validate", cmd_validate, "report every problem in a corpus at once (exit 1 if there are any)", query=False
    )
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
    )
    report.add_argument("--event", default=None, help="event id to report on, or 'all' (default)")
    report.add_argument("--outlets", default=None, metavar="A,B", help="comma-separated outlets, or 'all' (default)")
    report.add_argument(
        "--notebooks", default=None, metavar="01,03", help="notebook numbers or names; default: all numbered ones"
    )
    report.add_argument("--out", default=None, metavar="DIR", help="run folder; default: reports/<UTC timestamp>/")
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
    attention.add_argument(
        "--chart", default=None, metavar="PATH", help="also save the chart as PATH.png/.svg/.pdf with a caption"
    )
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
        "--threshold", type=float, default=0.2, metavar="S", help="least average combined score within an event (default: 0.2)"
    )
    events.add_argument(
        "--events",
        default=None,
        metavar="FILE.yaml",
        help="rename or merge events ('events: {id: name}'), after the corpus folder's own events.yaml",
    )
    add_engine_arguments(events)  # dask: document frequencies and the pair step on the workers
    provenance = add_command(
        commands,
        "provenance",
        cmd_provenance,
        "copy families (wire copies, republications, spun copies) and common-source pairs; --pairs: every pair and passage",
    )
    provenance.add_argument(
        "--reference", default=None, metavar="CORPUS", help="also align every article with these reference wire stories"
    )
    provenance.add_argument("--min-words", type=int, default=8, metavar="N", help="least aligned words in a passage (default: 8)")
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
    add_evaluate_commands(commands)
    code = commands.add_parser("code", help="train classifiers of a codebook's codes", description="coding: train classifiers")
    coding = code.add_subparsers(title="steps", metavar="STEP", required=True)
    train = coding.add_parser(
        "train",
        help="train a calibrated classifier of one code from annotated sentences (BABE-style CSV); k-fold CV metrics",
        description="train a calibrated classifier of one code from annotated sentences (BABE-style CSV); k-fold CV metrics",
    )
    train.add_argument("annotations", help="CSV with text, label_bias (Biased / Non-biased) and optionally biased_words")
    train.add_argument("--codebook", required=True, metavar="NAME", help="codebook file or shipped name (loaded_language)")
    train.add_argument("--code", default="biased", help="the code the labels annotate (default: biased)")
    train.add_argument("--out", required=True, metavar="MODEL.joblib", help="model file to write")
    train.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (default: 5)")
    train.add_argument("--seed", type=int, default=0, help="seed of the folds (default: 0)")
    train.add_argument("--C", type=float, default=4.0, help="inverse regularisation of the logistic regression (default: 4)")
    train.add_argument("--json", action="store_true", help="print metrics, top words and the model's record as JSON")
    train.set_defaults(func=cmd_code_train)
    return parser


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
    cleaning.add_argument("--json", action="store_true", help="print {validity, misses} as JSON records")
    cleaning.set_defaults(func=cmd_evaluate, kind="cleaning")
    for kind, kind_help, keys in (
        ("quotes", "quotations found and their speakers right", "quotes: [[first words, speaker], ...]"),
        ("events", "inferred events against the gold event: adjusted Rand index, same-event pair precision and recall", "event"),
        ("provenance", "text-reuse pairs against the gold wire family: copy-pair precision, recall, F1", "family"),
    ):
        page = kinds.add_parser(kind, help=kind_help, description=kind_help)
        page.add_argument("gold", help=f"gold JSON: per article file or id and {keys} (README: Validity)")
        page.add_argument("corpus", help="the corpus the gold file labels: folder with manifest.csv or a table")
        page.add_argument("--json", action="store_true", help="print {validity, misses} as JSON records")
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
    evaluate_loaded.add_argument("--json", action="store_true", help="print the validity, category and term tables as JSON")
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


if __name__ == "__main__":
    sys.exit(main())
