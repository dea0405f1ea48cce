"""Validity of framing's measures on hand-labelled real data (``../shared/validation``).

    python benchmarks/bench_validity.py                    # make bench-validity: both parts
    python benchmarks/bench_validity.py --only cleaning    # or --only loaded
    python benchmarks/bench_validity.py --write-lexicon    # also re-derive lexicons/revised.yaml

**Cleaning real pages**, then **quotations, events and copies** on them: the development pages
(``devpages.json``: headline, furniture lines, quotations, event and wire family of ~50 real pages
of five multi-outlet events) are put in a corpus folder under
``data/interim/bench-validity/devpages/`` (a manifest built from the labels plus the page texts,
which must first be re-created into ``data/interim/devpages/``), loaded as any corpus is, and
scored by ``framing evaluate cleaning``. The cleaning rules were developed looking only at the
pages of events DEV1-DEV3, and so were the speaker and copy rules; DEV4-DEV5 are held out, so the
figures are reported for each split and for all pages. Writes ``cleaning.{md,json}`` and
``pages.{md,json}`` (every miss, with its split).

**Loaded language**: BABE, PTC and BASIL development splits scored with ``analysis.evaluation``;
every figure names how it was obtained: ``as shipped`` (the measure was not fitted to these
items) or ``5-fold CV`` (fitted on four folds, scored on the fifth, pooled over the held-out
folds). Writes ``results.{md,json}``.

Everything is written under ``data/interim/bench-validity/`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from analysis.corpus import read_corpus
from analysis.evaluation import (
    EVALUATIONS,
    Gold,
    evaluate_cleaning,
    evaluate_lexicon,
    read_gold,
    read_page_gold,
    skipped_articles,
)
from analysis.lexicon_revision import (
    cross_validate_revision,
    gather_evidence,
    lexicon_yaml,
    precision_file_table,
    revise_lexicon,
)
from analysis.lexicons import LEXICON_DIR, PRECISION_SUFFIX, VALIDITY_SUFFIX, build_matcher, load_lexicon, load_matcher
from analysis.paths import INTERIM, PROJECT_ROOT

VALIDATION = PROJECT_ROOT.parent / "shared" / "validation"
DEVPAGES_TEXTS = INTERIM / "devpages"
OUT = INTERIM / "bench-validity"
GOLD_FILES = {"babe": "babe/babe_sg2_dev.csv", "ptc": "ptc", "basil": "basil/basil_dev.json"}

# Never tune and score on the same items: cleaning, speaker and copy rules were developed on
# the pages of DEV1-DEV3 only; DEV4-DEV5 are looked at only when scoring.
SPLITS = {
    "development (DEV1-DEV3)": ("DEV1", "DEV2", "DEV3"),
    "held out (DEV4-DEV5)": ("DEV4", "DEV5"),
    "all": ("DEV1", "DEV2", "DEV3", "DEV4", "DEV5"),
}
CLEANING_METRICS = {
    "headline_accuracy": "headlines right",
    "headline_invented": "headlines invented (page has none)",
    "dek_accuracy": "deks right",
    "furniture_surviving": "furniture lines surviving in body or dek",
    "story_removed": "story sentences removed",
    "story_outside_body": "story sentences outside the body (in dek or byline)",
}


def build_devpages_corpus(gold_path: Path, texts: Path, folder: Path) -> pd.DataFrame:
    """(Re)build the corpus folder of the development pages; return the gold table.

    A page without a publication date gets the earliest date of its event's pages: the
    loader needs one, and no cleaning step reads it.
    """
    gold = read_page_gold(gold_path)
    missing = [name for name in gold["file"] if not (texts / name).is_file()]
    if missing:
        sys.exit(
            f"bench_validity: {len(missing)} of {len(gold)} page texts are missing from {texts} (first: {missing[0]}); "
            "re-create them as the validation README says"
        )
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    first_day = gold.dropna(subset=["published"]).groupby("event")["published"].min()
    manifest = pd.DataFrame(
        {
            "file": gold["file"],
            "outlet": gold["outlet"],
            "published": gold["published"].fillna(gold["event"].map(first_day)),
            "url": gold["url"],
            "event": gold["event"],
            "language": gold["language"],
        }
    )
    manifest.to_csv(folder / "manifest.csv", index=False)
    for name in gold["file"]:
        shutil.copyfile(texts / name, folder / name)
    return gold


def cleaning_validity(gold: pd.DataFrame, articles: pd.DataFrame, skipped: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cleaning figures per split (a ``split`` column before the tidy validity columns) and the misses."""
    tables, misses = [], []
    for split, events in SPLITS.items():
        result = evaluate_cleaning(articles, gold[gold["event"].isin(events)], gold_name="devpages.json", skipped=skipped)
        tables.append(result.validity.assign(split=split))
        misses.append(result.misses.assign(split=split))
    validity = pd.concat(tables, ignore_index=True)
    return validity[["split", *validity.columns[:-1]]], pd.concat(misses, ignore_index=True)


def _share(value: float, n: int, low: float, high: float) -> str:
    if not n:
        return "not labelled (n = 0)"
    return f"{value:.1%} ({round(value * n)} of {n}; {low:.1%}–{high:.1%})"


def cleaning_markdown(validity: pd.DataFrame) -> str:
    """One row per metric, one column per split: share, count of n and 95% Wilson interval."""
    splits = list(SPLITS)
    lines = ["| measure | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    for metric, label in CLEANING_METRICS.items():
        cells = []
        for split in splits:
            row = validity[(validity["split"] == split) & (validity["metric"] == metric)].iloc[0]
            cells.append(_share(row["value"], int(row["n"]), row["ci_low"], row["ci_high"]))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


SHOWN = {
    "sentence_macro_f1": "sentence macro-F1",
    "sentence_f1": "sentence F1 (loaded)",
    "hit_precision": "hit precision",
    "gold_recall": "marked items found",
    "outlet_order_agreement": "outlet pairs ordered as gold",
}


def read_golds(folder: Path) -> dict[str, Gold]:
    """The three development splits, each in its published format."""
    return {name: read_gold(folder / relative) for name, relative in GOLD_FILES.items()}


def shipped_lexicon(golds: dict[str, Gold], lexicon: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A lexicon as shipped, scored on every gold (it was not fitted to them): validity, and each term's precision."""
    matcher = load_matcher(lexicon)
    results = {name: evaluate_lexicon(gold, matcher) for name, gold in golds.items()}
    validity = pd.concat([r.validity for r in results.values()], ignore_index=True).assign(scheme="as shipped")
    terms = pd.concat([r.terms.assign(corpus=name) for name, r in results.items()], ignore_index=True)
    return validity, terms


REVISED_HEADER = """Loaded-language lexicon revised from human annotations (benchmarks/bench_validity.py --write-lexicon).

Derived from the hand-curated default lexicon (analysis/lexicons/default.yaml) on the development
splits of BABE (expert-marked biased words) and PTC (Loaded_Language and Name_Calling,Labeling spans):
a term stays, and a word the annotators marked is added (category biased_wording), when its
precision, shrunk towards 0.3 as if it had two more hits, reaches 0.6 on BABE and 0.35 on PTC
wherever it has three or more hits (analysis.lexicon_revision.revise_lexicon). Each term's
cross-validated precision is in revised.precision.csv; the README's Validity section gives the
held-out figures of the whole procedure. Format: see default.yaml."""


def revised_lexicon(golds: dict[str, Gold], *, write: bool) -> pd.DataFrame:
    """The revision procedure: 5-fold CV figures on BABE and PTC; the lexicon revised on all of them, on BASIL."""
    base = load_lexicon("default")
    tuned = {name: golds[name] for name in ("babe", "ptc")}
    validity, terms = cross_validate_revision(tuned, base)
    revised, decisions = revise_lexicon(base, {n: gather_evidence(g, base) for n, g in tuned.items()}, name="revised")
    basil = evaluate_lexicon(golds["basil"], build_matcher(revised)).validity.assign(measure="lexicon:revised")
    counts = decisions.drop_duplicates(["term", "category"])["decision"].value_counts().to_dict()
    print(f"revised lexicon: {len(revised.entries)} entries; decisions on the whole split: {counts}")
    if write:
        (LEXICON_DIR / "revised.yaml").write_text(lexicon_yaml(revised, header=REVISED_HEADER), encoding="utf-8")
        table = precision_file_table(terms, load_lexicon(LEXICON_DIR / "revised.yaml"))
        (LEXICON_DIR / f"revised{PRECISION_SUFFIX}").write_text(
            "# Each term's precision on held-out folds (5-fold CV) of BABE and PTC: benchmarks/bench_validity.py\n"
            + table.to_csv(index=False),
            encoding="utf-8",
        )
        print(f"written {LEXICON_DIR / 'revised.yaml'} and its precision file")
    return pd.concat(
        [validity.assign(scheme="5-fold CV, held-out"), basil.assign(scheme="revised on BABE+PTC, not on BASIL")],
        ignore_index=True,
    )


def supervised_model(golds: dict[str, Gold]) -> pd.DataFrame:
    """``framing code train`` on BABE: its 5-fold CV figures; the model fitted on all of BABE, on PTC and BASIL.

    The model is never written to disk: BABE's licence does not allow shipping one.
    """
    from analysis.coding import load_codebook, read_annotations, train_model
    from analysis.evaluation import evaluate_model

    started = time.process_time()
    model = train_model(read_annotations(golds["babe"].source), codebook=load_codebook("loaded_language"))
    trained = time.process_time() - started
    model.probabilities(golds["babe"].documents["body"])
    applied = time.process_time() - started - trained
    print(
        f"code train on {model.info['units']} BABE sentences: {trained:.1f} CPU s with 5-fold CV; applying: {applied:.1f} CPU s"
    )
    measure = f"model:{model.codebook}/{model.code}"
    cv = model.metrics.assign(
        measure=measure, gold="babe", metric="sentence_" + model.metrics["metric"], scheme="5-fold CV, held-out"
    )
    others = [evaluate_model(golds[name], model).validity.assign(scheme="trained on BABE") for name in ("ptc", "basil")]
    return pd.concat([cv.drop(columns="code"), *others], ignore_index=True)


def _cell(row: pd.Series | None) -> str:
    if row is None or pd.isna(row["value"]):
        return "–"
    interval = "" if pd.isna(row["ci_low"]) else f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    return f"{row['value']:.2f}{interval} (n={int(row['n']):,})"


def markdown_table(validity: pd.DataFrame) -> str:
    """One row per gold × measure, one column per metric: value [95% interval] (n)."""
    lines = [
        "| gold | measure | scheme | " + " | ".join(SHOWN.values()) + " |",
        "|---|---|---|" + "---|" * len(SHOWN),
    ]
    for (gold, measure, scheme), rows in validity.groupby(["gold", "measure", "scheme"], sort=False):
        by_metric = {row["metric"]: row for _, row in rows.iterrows()}
        cells = [_cell(by_metric.get(metric)) for metric in SHOWN]
        lines.append(f"| {gold} | {measure} | {scheme} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_cleaning(validation: Path, texts: Path, out: Path) -> None:
    """The cleaning figures on the development pages, per split; writes ``cleaning.{md,json}``."""
    folder = out / "devpages"
    gold = build_devpages_corpus(validation / "devpages.json", texts, folder)
    articles, problems = read_corpus(folder, min_tokens=0)
    validity, misses = cleaning_validity(gold, articles, skipped_articles(problems))
    markdown = "### Cleaning real pages\n\n" + cleaning_markdown(validity) + "\n"
    (out / "cleaning.md").write_text(markdown, encoding="utf-8")
    (out / "cleaning.json").write_text(
        json.dumps({"validity": validity.to_dict("records"), "misses": misses.to_dict("records")}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    print(markdown)
    print(f"misses: {out / 'cleaning.json'}")
    run_sources_events_copies(gold, articles, skipped_articles(problems), out)


PAGE_MEASURES = {
    "quotes": {"quotes_found": "quotations found", "speaker_right": "speaker right (of all gold quotations)"},
    "events": {"adjusted_rand": "event grouping, adjusted Rand index", "pair_f1": "same-event pairs, F1"},
    "provenance": {
        "pair_precision": "copy pairs reported that are one wire family",
        "pair_recall": "wire-family pairs reported as copies",
        "pair_f1": "wire-family pairs, F1",
    },
}


def _page_cell(row: pd.Series) -> str:
    if not row["n"]:
        return "– (n = 0)"
    if pd.isna(row["ci_low"]):
        return f"{row['value']:.2f} (n = {int(row['n'])})"
    return f"{row['value']:.2f} ({round(row['value'] * row['n'])} of {int(row['n'])}; {row['ci_low']:.2f}–{row['ci_high']:.2f})"


def pages_markdown(validity: pd.DataFrame) -> str:
    """One row per measure, one column per split: value (count of n; 95% Wilson interval), or value (n) without one."""
    splits = list(SPLITS)
    lines = ["| measure | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    for kind, metrics in PAGE_MEASURES.items():
        for metric, label in metrics.items():
            cells = []
            for split in splits:
                chosen = validity[(validity["split"] == split) & (validity["measure"] == kind) & (validity["metric"] == metric)]
                cells.append(_page_cell(chosen.iloc[0]))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_sources_events_copies(gold: pd.DataFrame, articles: pd.DataFrame, skipped: dict[str, str], out: Path) -> None:
    """Speakers, inferred events and copy pairs on the development pages, per split; writes ``pages.{md,json}``.

    Events are inferred and copies sought among the pages of the split alone.
    """
    tables, misses = [], []
    for split, events in SPLITS.items():
        chosen = gold[gold["event"].isin(events)]
        for kind in PAGE_MEASURES:
            result = EVALUATIONS[kind](articles, chosen, gold_name="devpages.json", skipped=skipped)
            tables.append(result.validity.assign(split=split))
            misses.append(result.misses.assign(measure=kind, split=split))
    validity = pd.concat(tables, ignore_index=True)
    markdown = "### Quotations, events and copies on real pages\n\n" + pages_markdown(validity) + "\n"
    (out / "pages.md").write_text(markdown, encoding="utf-8")
    (out / "pages.json").write_text(
        json.dumps(
            {"validity": validity.to_dict("records"), "misses": pd.concat(misses).to_dict("records")},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(markdown)


def write_default_precision(terms: pd.DataFrame) -> None:
    """``lexicons/default.precision.csv``: each curated term's precision as shipped (no fitting), per gold."""
    table = precision_file_table(terms, load_lexicon("default"))
    target = LEXICON_DIR / f"default{PRECISION_SUFFIX}"
    target.write_text(
        "# Each term's precision as shipped (not fitted to these items) on BABE, PTC and BASIL: benchmarks/bench_validity.py\n"
        + table.to_csv(index=False),
        encoding="utf-8",
    )
    print(f"written {target}")


def write_validity_files(validity: pd.DataFrame) -> None:
    """``lexicons/<name>.validity.csv`` for each shipped lexicon measured: what notebooks and
    ``validity_note`` show under every loaded-terms chart, without the annotated data at hand."""
    measured = time.strftime("%Y-%m-%d")
    for name in ("default", "revised"):
        rows = validity[validity["measure"] == f"lexicon:{name}"]
        if rows.empty:
            continue
        table = rows[["gold", "metric", "value", "ci_low", "ci_high", "n", "scheme"]].assign(measured=measured)
        target = LEXICON_DIR / f"{name}{VALIDITY_SUFFIX}"
        target.write_text(
            f"# Lexicon {name!r} against BABE, PTC and BASIL development splits: benchmarks/bench_validity.py\n"
            + table.round(4).to_csv(index=False),
            encoding="utf-8",
        )
        print(f"written {target}")


def run_loaded(validation: Path, out: Path, *, lexicon: str, write_lexicon: bool, write_validity: bool) -> None:
    """The loaded-language figures on BABE, PTC and BASIL; writes ``results.{md,json}``."""
    started = time.process_time()
    golds = read_golds(validation)
    shipped, shipped_terms = shipped_lexicon(golds, lexicon)
    validity = pd.concat([shipped, revised_lexicon(golds, write=write_lexicon), supervised_model(golds)])
    columns = ["gold", "measure", "scheme", "metric", "value", "ci_low", "ci_high", "n"]
    records = json.loads(validity[columns].to_json(orient="records"))
    (out / "results.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    table = markdown_table(validity)
    (out / "results.md").write_text(table, encoding="utf-8")
    if write_validity:
        write_validity_files(validity)
        if lexicon == "default":
            write_default_precision(shipped_terms)
    print("### Loaded language\n\n" + table)
    print(f"{time.process_time() - started:.1f} CPU s; written to {out}/results.{{json,md}}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--validation", type=Path, default=VALIDATION, help="the shared validation folder")
    parser.add_argument("--texts", type=Path, default=DEVPAGES_TEXTS, help="folder of the re-created page texts")
    parser.add_argument("--out", type=Path, default=OUT, help="where the figures are written")
    parser.add_argument("--only", choices=["cleaning", "loaded"], default=None, help="run one part only")
    parser.add_argument("--lexicon", default="default", help="the shipped lexicon to score (default: default)")
    parser.add_argument(
        "--write-lexicon", action="store_true", help="also write analysis/lexicons/revised.yaml and its precision file"
    )
    parser.add_argument(
        "--write-validity", action="store_true", help="also write analysis/lexicons/<name>.validity.csv (shown under charts)"
    )
    args = parser.parse_args(argv)
    if not args.validation.is_dir():
        print(f"bench_validity: no validation data at {args.validation} (see the README's Validity section)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "cleaning"):
        run_cleaning(args.validation, args.texts, args.out)
    if args.only in (None, "loaded"):
        run_loaded(
            args.validation, args.out, lexicon=args.lexicon, write_lexicon=args.write_lexicon, write_validity=args.write_validity
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
