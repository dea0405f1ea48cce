"""Validity of framing's measures on hand-labelled real data (``../shared/validation``).

    python benchmarks/bench_validity.py            # make bench-validity
    python benchmarks/bench_validity.py --json

Cleaning real pages: the development pages (``devpages.json``: headline, furniture lines and
event of ~50 real pages of five multi-outlet events) are put in a corpus folder under
``data/interim/bench-validity/devpages/`` (a manifest built from the labels plus the page texts,
which must first be re-created into ``data/interim/devpages/``), loaded as any corpus is, and
scored by ``framing evaluate cleaning``. The cleaning rules were developed looking only at the
pages of events DEV1-DEV3; DEV4-DEV5 are held out and looked at only when scoring, so the
figures are reported for each split and for all pages.

Writes ``data/interim/bench-validity/cleaning.{md,json}`` and prints the markdown.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from analysis.corpus import read_corpus
from analysis.evaluation import evaluate_cleaning, read_gold, skipped_articles
from analysis.paths import INTERIM, PROJECT_ROOT

VALIDATION = PROJECT_ROOT.parent / "shared" / "validation"
DEVPAGES_GOLD = VALIDATION / "devpages.json"
DEVPAGES_TEXTS = INTERIM / "devpages"
OUT = INTERIM / "bench-validity"

# Never tune and score on the same items: rules were developed on these events only.
CLEANING_SPLITS = {
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
    gold = read_gold(gold_path)
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
    for split, events in CLEANING_SPLITS.items():
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
    splits = list(CLEANING_SPLITS)
    lines = ["| measure | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    for metric, label in CLEANING_METRICS.items():
        cells = []
        for split in splits:
            row = validity[(validity["split"] == split) & (validity["metric"] == metric)].iloc[0]
            cells.append(_share(row["value"], int(row["n"]), row["ci_low"], row["ci_high"]))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=DEVPAGES_GOLD, help="devpages.json (default: ../shared/validation)")
    parser.add_argument("--texts", type=Path, default=DEVPAGES_TEXTS, help="folder of the re-created page texts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON records")
    args = parser.parse_args(argv)
    if not args.gold.is_file():
        sys.exit(f"bench_validity: {args.gold} not found; the validation data sits in ../shared/validation beside the repo")
    folder = OUT / "devpages"
    gold = build_devpages_corpus(args.gold, args.texts, folder)
    articles, problems = read_corpus(folder, min_tokens=0)
    validity, misses = cleaning_validity(gold, articles, skipped_articles(problems))
    markdown = "### Cleaning real pages\n\n" + cleaning_markdown(validity) + "\n"
    (OUT / "cleaning.md").write_text(markdown, encoding="utf-8")
    (OUT / "cleaning.json").write_text(
        json.dumps({"validity": validity.to_dict("records"), "misses": misses.to_dict("records")}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    if args.json:
        print(validity.to_json(orient="records", force_ascii=False, indent=1))
    else:
        print(markdown)
        print(f"misses: {OUT / 'cleaning.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
