"""Validity of the loaded-language measures on the development splits of BABE, PTC and BASIL.

    python benchmarks/bench_validity.py                    # make bench-validity
    python benchmarks/bench_validity.py --validation DIR --out data/interim/bench-validity

Reads the development data from ``../shared/validation`` (next to the repository; see its
README), scores each measure with ``analysis.evaluation`` and writes
``results.json`` (the tidy validity table) and ``results.md`` (the table the README's Validity
section shows) under ``--out``. Every figure names how it was obtained: ``as shipped`` (the
measure was not fitted to these items) or ``5-fold CV`` (fitted on four folds, scored on the
fifth, pooled over the held-out folds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.evaluation import Gold, evaluate_lexicon, read_gold
from analysis.lexicon_revision import (
    cross_validate_revision,
    gather_evidence,
    lexicon_yaml,
    precision_file_table,
    revise_lexicon,
)
from analysis.lexicons import LEXICON_DIR, PRECISION_SUFFIX, build_matcher, load_lexicon, load_matcher

REPOSITORY = Path(__file__).resolve().parents[1]
VALIDATION = REPOSITORY.parent / "shared" / "validation"
GOLD_FILES = {"babe": "babe/babe_sg2_dev.csv", "ptc": "ptc", "basil": "basil/basil_dev.json"}
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


def shipped_lexicon(golds: dict[str, Gold], lexicon: str) -> pd.DataFrame:
    """A lexicon as shipped, scored on every gold (it was not fitted to them)."""
    matcher = load_matcher(lexicon)
    tables = [evaluate_lexicon(gold, matcher).validity for gold in golds.values()]
    return pd.concat(tables, ignore_index=True).assign(scheme="as shipped")


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
        f"code train on {model.info['sentences']} BABE sentences: {trained:.1f} CPU s with 5-fold CV; applying: {applied:.1f} CPU s"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validation", type=Path, default=VALIDATION, help="the shared validation folder")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "data" / "interim" / "bench-validity")
    parser.add_argument("--lexicon", default="default", help="the shipped lexicon to score (default: default)")
    parser.add_argument(
        "--write-lexicon", action="store_true", help="also write analysis/lexicons/revised.yaml and its precision file"
    )
    args = parser.parse_args(argv)
    if not args.validation.is_dir():
        print(f"bench_validity: no validation data at {args.validation} (see the README's Validity section)", file=sys.stderr)
        return 2
    started = time.process_time()
    golds = read_golds(args.validation)
    validity = pd.concat(
        [shipped_lexicon(golds, args.lexicon), revised_lexicon(golds, write=args.write_lexicon), supervised_model(golds)]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    columns = ["gold", "measure", "scheme", "metric", "value", "ci_low", "ci_high", "n"]
    records = json.loads(validity[columns].to_json(orient="records"))
    (args.out / "results.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    table = markdown_table(validity)
    (args.out / "results.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"{time.process_time() - started:.1f} CPU s; written to {args.out}/results.{{json,md}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
