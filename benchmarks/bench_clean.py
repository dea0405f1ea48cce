"""Benchmark: reading and cleaning a corpus (``analysis.corpus.read_corpus``), MB/s of CPU time.

    python benchmarks/bench_clean.py                          # 2,000 synthetic articles, seeds ×400
    python benchmarks/bench_clean.py --articles 5000 --repeat 1000
    python benchmarks/bench_clean.py --profile 30             # cProfile: the 30 costliest functions

Two corpora, both written once to ``data/interim/bench-clean/``:

- ``synthetic``: ``analysis.synthetic`` articles (seed sentences shuffled into articles of ~600
  words, fixed seed) as a CSV table (``id, outlet, published, title, text, event``), the file
  ``framing loaded big.csv`` reads in the issue;
- ``seeds``: the five seed pages, chrome and all, repeated ``--repeat`` times as a CSV table
  (ids ``s00042-000_...``; every copy after the first is a duplicate the loader reports and skips,
  after cleaning it).

Each corpus is read with ``read_corpus(path, cache=False, jobs=1)`` (no clean-once cache, one process) after one warm-up
read of the seeds (imports, word lists); the figure is MB of source text (UTF-8 bytes of the
``text`` column) per CPU second of this process (``time.process_time``), so that other work on a
shared machine does not count. ``--stages`` splits the time into reading, cleaning, word repair
and the checks, from a cProfile of the same run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import pandas as pd

from analysis.paths import INTERIM


def synthetic_csv(out: Path, articles: int, *, seed: int = 0) -> Path:
    """The synthetic corpus table as CSV, generated once per size and seed."""
    from analysis.synthetic import as_source_table, synthetic_articles

    path = out / f"synthetic-{articles}-seed{seed}.csv"
    if not path.exists():
        temporary = path.with_name(path.name + ".tmp")
        as_source_table(synthetic_articles(articles, seed=seed)).to_csv(temporary, index=False)
        os.replace(temporary, path)
    return path


def seeds_csv(out: Path, repeat: int) -> Path:
    """The seed pages (raw text, chrome included) repeated ``repeat`` times as a CSV table."""
    from analysis.paths import SEEDS

    path = out / f"seeds-x{repeat}.csv"
    if not path.exists():
        manifest = pd.read_csv(SEEDS / "manifest.csv", dtype=str)
        texts = [(SEEDS / name).read_text(encoding="utf-8") for name in manifest["file"]]
        rows = [
            {
                "id": f"s{copy:05d}-{Path(name).stem}",
                "outlet": outlet,
                "url": url,
                "published": published,
                "text": text,
                "event": event,
            }
            for copy in range(repeat)
            for name, outlet, url, published, event, text in zip(
                manifest["file"],
                manifest["outlet"],
                manifest["url"],
                manifest["published"],
                manifest["event"],
                texts,
                strict=True,
            )
        ]
        temporary = path.with_name(path.name + ".tmp")
        pd.DataFrame(rows).to_csv(temporary, index=False)
        os.replace(temporary, path)
    return path


def megabytes_of(path: Path) -> float:
    return float(pd.read_csv(path, dtype=str, keep_default_na=False)["text"].str.encode("utf-8").str.len().sum() / 1e6)


#: Where the time goes: a stage is the cumulative time of these functions (cProfile).
STAGES = {
    "read table": "_read_table",
    "furniture by repetition": "repeated_lines",
    "clean_article": "clean_article",
    "vocabulary": "vocabulary_of",
    "glued words": "repair_glued_words",
    "near-duplicates": "_shingle_jaccard_pairs",
}


def clear_line_caches() -> None:
    """Empty the caches of ``analysis.clean`` (lines, paragraphs and keys seen before)."""
    from analysis import clean

    for value in vars(clean).values():
        if hasattr(value, "cache_clear") and value is not clean.stoplist:
            value.cache_clear()


def measure(path: Path, *, profile: int = 0) -> dict:
    from analysis.corpus import read_corpus

    megabytes = megabytes_of(path)
    clear_line_caches()
    profiler = cProfile.Profile() if profile else None
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    articles, problems = read_corpus(path, cache=False, jobs=1)  # one core: the figure
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    row = {
        "corpus": path.name,
        "articles_read": len(articles),
        "problems": len(problems),
        "megabytes": round(megabytes, 2),
        "cpu_s": round(cpu, 2),
        "mb_per_s_cpu": round(megabytes / cpu, 2),
    }
    if profiler:
        stats = pstats.Stats(profiler)
        by_name = {}
        for (_, _, name), (_, _, _, cumulative, _) in stats.stats.items():
            by_name[name] = max(by_name.get(name, 0.0), cumulative)
        row["stages_s (profiled)"] = {stage: round(by_name.get(name, 0.0), 2) for stage, name in STAGES.items()}
        stats.sort_stats("tottime").print_stats(profile)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="synthetic articles (default: 2,000, ~8 MB)")
    parser.add_argument("--repeat", type=int, default=400, help="copies of the five seed pages (default: 400, ~6 MB)")
    parser.add_argument("--corpora", default="synthetic,seeds", help="comma-separated, from: synthetic, seeds")
    parser.add_argument("--out", type=Path, default=INTERIM / "bench-clean")
    parser.add_argument("--profile", type=int, default=0, help="print the N functions with the most own time (cProfile)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from analysis.corpus import read_corpus

    read_corpus(cache=False)  # warm-up: imports, word lists, stop words
    clear_line_caches()  # ...but no line of the seeds is remembered from it
    rows = []
    for name in args.corpora.split(","):
        path = synthetic_csv(args.out, args.articles) if name == "synthetic" else seeds_csv(args.out, args.repeat)
        rows.append(measure(path, profile=args.profile))
        print(json.dumps(rows[-1]), flush=True)
    (args.out / "results.json").write_text(json.dumps({"load_average": os.getloadavg(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
