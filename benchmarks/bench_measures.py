"""Benchmark: tokens + voice, loaded terms, TF-IDF and keyness, next to a naive pipeline.

    python benchmarks/bench_measures.py --articles 100000     # make bench
    python benchmarks/bench_measures.py --articles 5000       # a quick look

Articles come from ``analysis.synthetic`` (seed sentences, ~600 words each, fixed seed),
written once to ``data/interim/bench-measures/``. Every stage runs in a fresh subprocess so
that its peak resident memory (``VmHWM``) is its own; articles are processed in chunks
of ``--chunk`` articles, as the Dask engine's partitions are (map per chunk, reduce once).

Stages (MB = UTF-8 megabytes of article bodies; times exclude reading the articles):

- ``tokens+voice``: ``analysis.tokens.tokenize``
- ``loaded terms``: ``loaded_hits`` with the default lexicon, given the tokens (untimed)
- ``tf-idf``: ``term_counts`` + ``count_matrix`` per chunk, given the tokens (untimed); then
  ``stack_count_matrices``, TF-IDF of every article and ``top_terms`` per outlet
- ``keyness``: ``keyness`` per outlet against the rest, given the stacked count matrix
- ``pipeline``: tokens + voice + loaded terms + TF-IDF in one pass (the target figure)
- ``naive``: NLTK's ``TreebankWordTokenizer`` per article, one regular-expression
  alternation of the lexicon's terms, and a default ``TfidfVectorizer`` on the bodies

Results go to ``OUT/results.json`` and ``OUT/results.md``. Wall time depends on what else
the machine runs; CPU time (this process only) is the fairer "one core" figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.paths import INTERIM

STAGES = ("tokens+voice", "loaded terms", "tf-idf", "keyness", "pipeline", "naive")
COLUMNS = ["id", "outlet", "published", "event", "body"]


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def corpus_path(out: Path, articles: int, seed: int) -> Path:
    """Where the synthetic articles of this size and seed are kept."""
    return out / f"synthetic-{articles}-seed{seed}.parquet"


def corpus_file(out: Path, articles: int, seed: int) -> Path:
    """The synthetic articles as Parquet, generated once per size and seed."""
    from analysis.synthetic import synthetic_articles

    path = corpus_path(out, articles, seed)
    if not path.exists():
        start = time.perf_counter()
        table = synthetic_articles(articles, seed=seed)[COLUMNS]
        temporary = path.with_name(path.name + ".tmp")
        table.to_parquet(temporary, index=False)
        os.replace(temporary, path)
        print(f"generated {articles:,} articles in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return path


def _memory_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process in MB, from /proc on Linux.

    ``ru_maxrss`` is not used where /proc exists: Linux carries it over from the parent
    through fork and exec, so a child would report at least the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1e3
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _chunks(articles: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(articles), size):
        yield articles.iloc[start : start + size]


class Clock:
    """Wall and CPU seconds summed over the timed parts of a stage."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __call__(self, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        return result


def _naive_pattern() -> re.Pattern[str]:
    """One alternation of the lexicon's terms: ``*`` as word characters, spaces as whitespace."""
    from analysis.lexicons import load_lexicon

    terms = sorted({entry.term for entry in load_lexicon().entries}, key=len, reverse=True)
    pieces = [r"\s+".join(re.escape(word).replace(r"\*", r"\w*") for word in term.split()) for term in terms]
    return re.compile(r"\b(?:" + "|".join(pieces) + r")\b", re.IGNORECASE)


def run_stage(stage: str, corpus: Path, out: Path, chunk: int) -> dict[str, Any]:
    """Run one stage in this process and return its measurements."""
    from analysis.lexicons import load_matcher
    from analysis.measures.keyness import keyness
    from analysis.measures.loaded import loaded_hits
    from analysis.measures.tfidf import CountMatrix, count_matrix, stack_count_matrices, term_counts, tfidf_weights, top_terms
    from analysis.tokens import tokenize

    articles = pd.read_parquet(corpus)
    megabytes = sum(len(body.encode()) for body in articles["body"]) / 1e6
    baseline = _memory_mb("VmRSS")
    matcher = load_matcher()
    clock = Clock()
    detail: dict[str, Any] = {}
    matrix_path = out / f"counts-{len(articles)}.npz"

    def tf_idf(parts: list[CountMatrix]) -> CountMatrix:
        stacked = stack_count_matrices(parts)
        tfidf_weights(stacked.matrix)
        top = top_terms(stacked, articles, by="outlet", top=20)
        detail.update(vocabulary=len(stacked.terms), nonzero=int(stacked.matrix.nnz), top_rows=len(top))
        return stacked

    if stage == "tokens+voice":
        detail["tokens"] = sum(len(clock(lambda part=part: tokenize(part))) for part in _chunks(articles, chunk))
    elif stage == "loaded terms":
        hits = 0
        for part in _chunks(articles, chunk):
            tokens = tokenize(part)
            hits += len(clock(lambda tokens=tokens: loaded_hits(tokens, matcher)))
        detail["hits"] = hits
    elif stage == "tf-idf":
        parts = []
        for part in _chunks(articles, chunk):
            tokens = tokenize(part)
            parts.append(clock(lambda tokens=tokens: count_matrix(term_counts(tokens))))
        _save_matrix(matrix_path, clock(lambda: tf_idf(parts)))  # for the keyness stage; not timed
    elif stage == "keyness":
        stacked = _load_matrix(matrix_path)
        table = clock(lambda: keyness(stacked, articles, by="outlet"))
        detail.update(rows=len(table), groups=int(table["group"].nunique()))
    elif stage == "pipeline":

        def one_chunk(part: pd.DataFrame) -> tuple[int, CountMatrix]:
            tokens = tokenize(part)
            return len(loaded_hits(tokens, matcher)), count_matrix(term_counts(tokens))

        results = [clock(lambda part=part: one_chunk(part)) for part in _chunks(articles, chunk)]
        detail["hits"] = sum(hits for hits, _ in results)
        clock(lambda: tf_idf([matrix for _, matrix in results]))
    elif stage == "naive":
        from nltk.tokenize import TreebankWordTokenizer
        from sklearn.feature_extraction.text import TfidfVectorizer

        tokenizer, pattern = TreebankWordTokenizer(), _naive_pattern()
        bodies = articles["body"].tolist()
        detail["tokens"] = clock(lambda: sum(len(tokenizer.tokenize(body)) for body in bodies))
        detail["hits"] = clock(lambda: sum(len(pattern.findall(body)) for body in bodies))
        detail["vocabulary"] = clock(lambda: TfidfVectorizer().fit_transform(bodies).shape[1])
    else:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    peak = _memory_mb("VmHWM")
    return {
        "stage": stage,
        "articles": len(articles),
        "megabytes": round(megabytes, 1),
        "wall_s": round(clock.wall, 2),
        "cpu_s": round(clock.cpu, 2),
        "mb_per_s_wall": round(megabytes / clock.wall, 2) if clock.wall else None,
        "mb_per_s_cpu": round(megabytes / clock.cpu, 2) if clock.cpu else None,
        "peak_rss_mb": round(peak),
        "articles_rss_mb": round(baseline),
        **detail,
    }


def _save_matrix(path: Path, counts: Any) -> None:
    import scipy.sparse as sp

    temporary = path.with_name(path.name + ".tmp.npz")
    sp.save_npz(temporary, counts.matrix)
    os.replace(temporary, path)
    _write_atomically(path.with_suffix(".json"), json.dumps({"rows": counts.rows.tolist(), "terms": counts.terms.tolist()}))


def _load_matrix(path: Path) -> Any:
    import scipy.sparse as sp

    from analysis.measures.tfidf import CountMatrix

    labels = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return CountMatrix(
        sp.load_npz(path).tocsr(), np.asarray(labels["rows"], dtype=object), np.asarray(labels["terms"], dtype=object)
    )


def markdown(rows: list[dict[str, Any]], *, load: tuple[float, float, float]) -> str:
    """The results as a Markdown table with the pipeline's speed-up over the naive one."""
    by_stage = {row["stage"]: row for row in rows}
    lines = [
        f"{rows[0]['articles']:,} synthetic articles, {rows[0]['megabytes']:,} MB of text; "
        f"load average at the start {load[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| stage | wall s | CPU s | MB/s (wall) | MB/s (CPU) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['stage']} | {row['wall_s']} | {row['cpu_s']} | {row['mb_per_s_wall']} | {row['mb_per_s_cpu']} "
            f"| {row['peak_rss_mb']:,} |"
        )
    if "pipeline" in by_stage and "naive" in by_stage:
        ours, naive = by_stage["pipeline"], by_stage["naive"]
        lines += [
            "",
            f"Pipeline (tokens + voice + loaded terms + TF-IDF) vs naive: {naive['wall_s'] / ours['wall_s']:.1f}× "
            f"(wall), {naive['cpu_s'] / ours['cpu_s']:.1f}× (CPU).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="synthetic articles (default: 100,000)")
    parser.add_argument("--chunk", type=int, default=5_000, help="articles per chunk (default: 5,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=INTERIM / "bench-measures", help="folder for the corpus and results")
    parser.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated, from: {', '.join(STAGES)}")
    parser.add_argument("--stage", default=None, help=argparse.SUPPRESS)  # internal: run one stage here
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.stage == "generate":
        corpus_file(args.out, args.articles, args.seed)
        return 0
    if args.stage:
        print(json.dumps(run_stage(args.stage, corpus_path(args.out, args.articles, args.seed), args.out, args.chunk)))
        return 0
    if not corpus_path(args.out, args.articles, args.seed).exists():  # in a child: this process stays small
        generate = [sys.executable, __file__, "--articles", str(args.articles), "--seed", str(args.seed)]
        subprocess.run([*generate, "--out", str(args.out), "--stage", "generate"], check=True)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}")
    if "keyness" in stages and "tf-idf" not in stages and not (args.out / f"counts-{args.articles}.npz").exists():
        stages.insert(stages.index("keyness"), "tf-idf")  # keyness reads the count matrix the tf-idf stage saves
    load = os.getloadavg()
    rows = []
    for stage in stages:
        command = [sys.executable, __file__, "--articles", str(args.articles), "--chunk", str(args.chunk)]
        command += ["--seed", str(args.seed), "--out", str(args.out), "--stage", stage]
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        if finished.returncode != 0:
            print(f"{stage} failed:\n{finished.stderr}", file=sys.stderr)
            return 1
        row = json.loads(finished.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{stage:13s} {row['wall_s']:8.1f} s wall {row['cpu_s']:8.1f} s CPU  {row['mb_per_s_wall']} MB/s wall  "
            f"{row['mb_per_s_cpu']} MB/s CPU  peak {row['peak_rss_mb']:,} MB",
            flush=True,
        )
    _write_atomically(args.out / "results.json", json.dumps({"load_average": load, "stages": rows}, indent=1))
    report = markdown(rows, load=load)
    _write_atomically(args.out / "results.md", report)
    print("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
