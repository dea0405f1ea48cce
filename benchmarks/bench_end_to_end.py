"""End to end from a CSV, as a user runs it: the first command, the next ones, and a naive pipeline.

    python benchmarks/bench_end_to_end.py --articles 5000 100000     # make bench-end-to-end

For each size, synthetic articles (``analysis.synthetic``, ~600 words each, fixed seed) are
written once as a CSV table (``id, outlet, published, title, text``) under
``data/interim/bench-end-to-end/``, the clean-once cache is emptied, and then, each in a fresh
process (wall time, CPU time and peak resident memory, ``VmHWM``, of that process alone):

1. ``framing loaded CSV --json`` — the first command: read, clean and cache the corpus, then
   loaded terms per outlet and voice with bootstrap intervals, keeping each article's word
   counts from the same tokens;
2. ``framing keyness CSV --json`` — a second command, from the cache and the word counts;
3. ``framing terms CSV --json`` — a third, the same way;
4. ``framing keyness CSV --json`` again — what every later word-count command costs;
5. the naive pipeline on the same CSV: pandas reads it, NLTK's ``TreebankWordTokenizer``
   tokenizes every body, one regular-expression alternation of the lexicon's terms counts the
   loaded terms, and a default ``TfidfVectorizer`` weighs the words — no cleaning, no voice, no
   intervals, which is what a hand-rolled notebook does.

The issue's targets: the first command ≥ 3× faster than the naive pipeline, the second under
10 s, peak memory under 3 GB; ``loaded`` + ``terms`` together ≥ 3× the naive pipeline on 5,000
articles. Results: ``OUT/results.json`` and ``OUT/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from analysis.corpus import clear_cache
from analysis.paths import INTERIM

OUT = INTERIM / "bench-end-to-end"
COMMANDS = {
    "framing loaded (first: clean + cache + word counts)": ["loaded"],
    "framing keyness (second: from the cache and the word counts)": ["keyness"],
    "framing terms (from the cache and the word counts)": ["terms"],
    "framing keyness again": ["keyness"],
}

MEASURE = r"""
import json, os, resource, sys, time, io, contextlib
started, cpu = time.perf_counter(), time.process_time()
kind, argv = sys.argv[1], sys.argv[2:]
if kind == "framing":
    from analysis.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
else:
    import re
    import pandas as pd
    from nltk.tokenize import TreebankWordTokenizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from analysis.lexicons import load_lexicon
    terms = sorted({e.term for e in load_lexicon().entries}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(r"\s+".join(re.escape(w).replace(r"\*", r"\w*") for w in t.split()) for t in terms) + r")\b", re.I)
    bodies = pd.read_csv(argv[0], dtype=str, keep_default_na=False)["text"].tolist()
    tokenizer = TreebankWordTokenizer()
    sum(len(tokenizer.tokenize(b)) for b in bodies)
    sum(len(pattern.findall(b)) for b in bodies)
    TfidfVectorizer().fit_transform(bodies)
    code = 0
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"code": code, "wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu, "peak_mb": peak}))
"""


def corpus_csv(articles: int, seed: int = 0) -> Path:
    """The synthetic articles of this size as a CSV table, written once."""
    path = OUT / f"synthetic-{articles}.csv"
    if not path.exists():
        from analysis.synthetic import synthetic_articles

        OUT.mkdir(parents=True, exist_ok=True)
        table = synthetic_articles(articles, seed=seed)
        table = table.rename(columns={"headline": "title", "body": "text"})[["id", "outlet", "published", "title", "text"]]
        temporary = path.with_suffix(".tmp")
        table.to_csv(temporary, index=False)
        os.replace(temporary, path)
    return path


def measure(kind: str, argv: list[str]) -> dict:
    """Run ``framing argv`` (or the naive pipeline) in a fresh process; its wall, CPU and peak memory."""
    done = subprocess.run([sys.executable, "-c", MEASURE, kind, *argv], capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{kind} {' '.join(argv)} failed: {done.stderr[-800:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[5000, 100_000])
    parser.add_argument("--no-naive", action="store_true", help="leave out the naive pipeline (to re-measure framing only)")
    args = parser.parse_args()
    rows = []
    for n in args.articles:
        path = corpus_csv(n)
        megabytes = path.stat().st_size / 1e6
        clear_cache()  # a cold start: the first command cleans
        for label, command in COMMANDS.items():
            result = measure("framing", [*command, str(path), "--json"])
            rows.append({"articles": n, "csv_mb": round(megabytes, 1), "step": label, **result})
            print(rows[-1], flush=True)
        if not args.no_naive:
            rows.append({"articles": n, "csv_mb": round(megabytes, 1), "step": "naive pipeline", **measure("naive", [str(path)])})
            print(rows[-1], flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    lines = ["| articles | CSV MB | step | wall s | CPU s | peak MB |", "|---:|---:|---|---:|---:|---:|"]
    lines += [
        f"| {r['articles']:,} | {r['csv_mb']} | {r['step']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:,.0f} |"
        for r in rows
    ]
    (OUT / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
