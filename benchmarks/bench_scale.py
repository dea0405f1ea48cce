"""Benchmark: synthetic articles through ingest, loaded terms and keyness on the Dask engine.

Runs each stage on a local cluster of 1 worker, then of 2 workers (one single-threaded
process each), and reports wall time, MB/s of article text, articles/s, the peak memory of
each worker (resident memory sampled every 0.2 s during the stage) and the
speed-up of 2 workers over 1. Results go to ``OUT/results.json`` and ``OUT/results.md``.

    python benchmarks/bench_scale.py                      # 1,000,000 articles (~4 GB of text)
    python benchmarks/bench_scale.py --articles 20000     # what fits on a shared laptop
    python benchmarks/bench_scale.py --ingest-once --keep --stages ingest   # then, later, again:
    python benchmarks/bench_scale.py --stages loaded,keyness               # analyse the kept store

The synthetic articles (``analysis.synthetic``) are sentences of the seed articles shuffled into
new articles of ~700 words, so cleaning, tokens, voice and loaded terms run on real news prose at
real rates; the numbers measure speed and memory, never findings.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse

from analysis import engine
from analysis import ingest as ingesting
from analysis.cluster import client_for
from analysis.engine import Engine, pool_articles
from analysis.measures import keyness, loaded
from analysis.paths import INTERIM
from analysis.stats import group_labels
from analysis.tokens import WORD_PATTERN, fold_word

WORDS_PER_ARTICLE = 700  # ~4 KB of text, as in the 1M articles ≈ 4 GB
BATCH = 20_000  # articles generated at once
STAGES = ("ingest", "loaded", "keyness", "counts")


def generate(path: Path, articles: int, *, seed: int = 0) -> float:
    """Write ``articles`` synthetic articles (``analysis.synthetic``: seed sentences shuffled into
    new articles) as a Parquet corpus table; return the MB of text."""
    from analysis.synthetic import as_source_table, synthetic_articles

    megabytes = 0.0
    temporary = path.with_suffix(".tmp")
    writer = None
    for number, first in enumerate(range(0, articles, BATCH)):
        batch = synthetic_articles(min(BATCH, articles - first), words_per_article=WORDS_PER_ARTICLE, seed=seed + number)
        table = as_source_table(batch).assign(id=lambda t, n=number: f"b{n:04d}-" + t["id"])
        megabytes += table["text"].str.encode("utf-8").str.len().sum() / 1e6
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        writer = writer or pq.ParquetWriter(temporary, arrow.schema, compression="zstd")
        writer.write_table(arrow)
    if writer is not None:
        writer.close()
    os.replace(temporary, path)
    return megabytes


# ---------------------------------------------------------------------------
# Hashed term counts: bounded memory whatever the vocabulary (the "counts" stage only).
# Defined here, in the script, so that Dask pickles them by value for the workers.
# ---------------------------------------------------------------------------

#: Hashed feature space: 2**20 columns keep collisions rare for news vocabularies (~10^5–10^6 words).
N_FEATURES = 2**20


def words_of(text: str) -> list[str]:
    """Word tokens as counted everywhere: ``WORD_PATTERN`` words, lowercased, ’ written as '."""
    return WORD_PATTERN.findall(fold_word(text))


def _hasher(n_features: int) -> Any:
    """MurmurHash3 of each word into ``n_features`` columns (what ``HashingVectorizer`` uses)."""
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False, dtype=np.int64)


def hashed_term_counts(articles: pd.DataFrame, *, by: str = "outlet", n_features: int = N_FEATURES) -> pd.DataFrame:
    """Token counts per group and hashed term, pooled over ``articles`` (a map for :func:`analysis.engine.pool_articles`).

    No vocabulary is built: each word is hashed (scikit-learn's ``FeatureHasher``, as in
    ``HashingVectorizer``: MurmurHash3) into one of ``n_features`` columns, so memory depends on ``n_features`` and
    the partition, not on the corpus. :func:`hashed_term_names` recovers the words.

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``), ``feature`` (hash column), ``count`` (tokens),
        ``documents`` (articles containing it); one row per group and feature present.
    """
    labels = group_labels(articles, by)
    matrix = _hasher(n_features).transform(words_of(body) for body in articles["body"]).tocsr()
    codes, names = pd.factorize(labels, sort=True)
    membership = sparse.csr_matrix(
        (np.ones(len(codes), dtype=np.int64), (codes, np.arange(len(codes)))), shape=(len(names), len(codes))
    )
    counts = (membership @ matrix).tocoo()
    present = matrix.copy()
    present.data[:] = 1
    documents = (membership @ present).tocsr()
    return pd.DataFrame(
        {
            "group": pd.array(np.asarray(names, dtype=object)[counts.row], dtype="str"),
            "feature": counts.col.astype(np.int64),
            "count": counts.data.astype(np.int64),
            "documents": np.asarray(documents[counts.row, counts.col]).ravel().astype(np.int64),
        }
    )


def hashed_term_names(
    articles: pd.DataFrame, *, features: frozenset[int] | Sequence[int], n_features: int = N_FEATURES
) -> pd.DataFrame:
    """The words of ``articles`` that hash to ``features`` (a map for :func:`analysis.engine.pool_articles`).

    Returns
    -------
    DataFrame
        ``feature``, ``term``, ``count`` (tokens of that word); one row per word found.
    """
    wanted = np.fromiter(features, dtype=np.int64)
    words = pd.Series([w for body in articles["body"] for w in words_of(body)], dtype="str")
    counts = words.value_counts(sort=False)
    hashed = _hasher(n_features).transform([[w] for w in counts.index]) if len(counts) else sparse.csr_matrix((0, n_features))
    feature = hashed.tocsr().indices.astype(np.int64) if len(counts) else np.array([], dtype=np.int64)
    keep = np.isin(feature, wanted)
    return pd.DataFrame(
        {"feature": feature[keep], "term": pd.array(counts.index[keep], dtype="str"), "count": counts.to_numpy()[keep]}
    )


def pooled_term_counts(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    top: int | None = 100,
    n_features: int = N_FEATURES,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
) -> pd.DataFrame:
    """Pooled term counts per group in bounded memory, with the words of the top terms.

    Two passes over the articles: hashed counts per group summed on the workers
    (:func:`hashed_term_counts`), then, for the ``top`` features of each group by count, the
    words hashing to them (:func:`hashed_term_names`). A feature two words hash to (rare:
    a collision in ``n_features`` columns) is reported once with both words, ``a|b``.

    Parameters
    ----------
    by : str, default="outlet"
        Article column to group by.
    top : int or None, default=100
        Features kept per group (ties at the cut kept); None keeps all (the whole vocabulary).
    n_features : int, default=2**20
        Size of the hashed space.
    engine, scheduler, client, articles_per_partition
        As for :func:`analysis.engine.map_articles`.

    Returns
    -------
    DataFrame
        ``group``, ``term``, ``feature``, ``count`` (tokens in the group), ``documents``
        (the group's articles containing it), ``group_tokens`` (all tokens of the group),
        ``share`` (``count / group_tokens``); sorted by group, then count descending, then term.
    """
    run = {"engine": engine, "scheduler": scheduler, "client": client, "articles_per_partition": articles_per_partition}
    with client_for(engine, scheduler=scheduler, client=client) as run["client"]:
        counts = pool_articles(
            corpus, hashed_term_counts, keys=["group", "feature"], columns=["id", "body", by], by=by, n_features=n_features, **run
        )
        totals = counts.groupby("group")["count"].sum().rename("group_tokens")
        if top is not None:
            threshold = counts.groupby("group")["count"].transform(lambda c: c.nlargest(top).min())
            counts = counts[counts["count"] >= threshold]
        names = pool_articles(
            corpus,
            hashed_term_names,
            keys=["feature", "term"],
            columns=["body"],
            features=frozenset(counts["feature"].tolist()),
            n_features=n_features,
            **run,
        )
    joined_names = names.groupby("feature")["term"].agg(lambda terms: "|".join(sorted(terms)))
    result = counts.assign(term=counts["feature"].map(joined_names).astype("str")).join(totals, on="group")
    result = result.assign(share=result["count"] / result["group_tokens"])
    result = result.sort_values(["group", "count", "term"], ascending=[True, False, True], kind="stable", ignore_index=True)
    return result[["group", "term", "feature", "count", "documents", "group_tokens", "share"]]


def _loaded_stage(corpus: Path, client: Any) -> tuple[Any, dict[str, float]]:
    """Loaded-term rates; the reduce (bootstrap intervals, on the client) timed apart."""
    map_options = {"engine": "dask", "client": client, "order": "article_id"}
    counts = engine.map_articles(corpus, loaded.loaded_counts, columns=["id", "body"], **map_options)
    groups = {"order": "articles", "by": "outlet", "columns": ["id", "outlet"]}
    metadata = engine.map_articles(corpus, engine.article_groups, **map_options | groups)
    start = time.perf_counter()
    rates = loaded.loaded_reduce(counts, metadata, by="outlet")
    return rates, {"reduce_seconds": round(time.perf_counter() - start, 1)}


def _keyness_stage(corpus: Path, client: Any) -> tuple[Any, dict[str, float]]:
    """Keyness of each outlet against the rest, from word counts pooled on the workers."""
    return keyness.measure_keyness(corpus, by="outlet", top=50, engine="dask", client=client), {}


def _term_count_stage(corpus: Path, client: Any) -> tuple[Any, dict[str, float]]:
    """Hashed word counts per outlet (memory independent of the vocabulary), top 200 named."""
    return pooled_term_counts(corpus, by="outlet", top=200, engine="dask", client=client), {}


def _ingest_stage(source: Path, target: Path, client: Any, chunk_rows: int) -> tuple[Any, dict[str, float]]:
    result = ingesting.ingest(source, target, engine="dask", client=client, chunk_rows=chunk_rows)
    return result, {}


class PeakMemory:
    """Peak resident memory of each worker process during a stage, sampled every 0.2 s, and
    the CPU time the workers got (on a shared machine, less than workers × wall time)."""

    def __init__(self, client: Any) -> None:
        import psutil

        self.processes = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        self.peaks = [0] * len(self.processes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for i, process in enumerate(self.processes):
                with contextlib.suppress(Exception):  # a worker may be restarting
                    self.peaks[i] = max(self.peaks[i], process.memory_info().rss)
            self._stop.wait(0.2)

    def _cpu_seconds(self) -> float:
        return sum(sum(process.cpu_times()[:2]) for process in self.processes)

    def __enter__(self) -> PeakMemory:
        self._cpu_start = self._cpu_seconds()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = self._cpu_seconds() - self._cpu_start  # user + system time of the workers


def _warm_up() -> None:
    """Import what the stages use, so that the timings measure work, not imports."""
    import sklearn.feature_extraction  # noqa: F401

    import analysis.corpus
    import analysis.engine
    import analysis.store  # noqa: F401


def _timed(stage: Callable[[], tuple[Any, dict[str, float]]], client: Any) -> tuple[float, float, Any, dict[str, float]]:
    client.run(_warm_up)
    client.run(gc.collect)  # what the last stage left is freed before this one is measured
    with PeakMemory(client) as memory:
        start = time.perf_counter()
        result, notes = stage()
        seconds = time.perf_counter() - start
    return seconds, max(memory.peaks) / 1e6, result, notes | {"worker_cpu_seconds": round(memory.cpu_seconds, 1)}


def run(
    articles: int,
    workers: list[int],
    out: Path,
    *,
    chunk_rows: int,
    keep: bool,
    ingest_once: bool = False,
    stages: Sequence[str] = STAGES,
) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    source = out / f"synthetic-{articles}.parquet"
    meta = out / f"synthetic-{articles}.json"
    if not source.exists() or not meta.exists():
        start = time.perf_counter()
        megabytes = generate(source, articles)
        meta.write_text(json.dumps({"megabytes": megabytes}))
        print(f"generated {articles:,} articles, {megabytes:,.0f} MB of text in {time.perf_counter() - start:.0f} s", flush=True)
    megabytes = json.loads(meta.read_text())["megabytes"]
    try:
        from analysis.measures import keyness as _  # noqa: F401  (keyness lands with the measures)

        has_keyness = True
    except ImportError as err:
        print(f"keyness skipped: {err}", file=sys.stderr)
        has_keyness = False

    rows: list[dict[str, Any]] = []
    results: dict[str, dict[int, Any]] = {}
    # With ingest_once, the store is written once, by the most workers, and every worker count
    # analyses that same store (ingest is then timed for that count only).
    # Without the ingest stage, the store analysed is the one an earlier run with keep left.
    reuse_store = "ingest" not in stages
    ingest_once = ingest_once or reuse_store
    order = sorted(workers, reverse=True) if ingest_once else workers
    if reuse_store and not (out / f"store-{order[0]}").is_dir():
        raise SystemExit(f"no store at {out / f'store-{order[0]}'} to analyse: run with --ingest-once --keep first")
    for n in order:
        target = out / f"store-{order[0] if ingest_once else n}"
        ingest_here = not reuse_store and (not ingest_once or n == order[0])
        if ingest_here:
            shutil.rmtree(target, ignore_errors=True)
        with engine.dask_client(n_workers=n, memory_limit=f"{max(2, 16 // n)}GB") as client:
            timed: list[tuple[str, Callable[[], tuple[Any, dict[str, float]]]]] = []
            if ingest_here:
                timed.append(("ingest", partial(_ingest_stage, source, target, client, chunk_rows)))
            if "loaded" in stages:
                timed.append(("loaded terms", partial(_loaded_stage, target, client)))
            if has_keyness and "keyness" in stages:
                timed.append(("keyness", partial(_keyness_stage, target, client)))
            if "counts" in stages:
                timed.append(("term counts (hashed, top 200)", partial(_term_count_stage, target, client)))
            for name, stage in timed:
                seconds, peak, result, notes = _timed(stage, client)
                results.setdefault(name, {})[n] = result
                rows.append(
                    {
                        "stage": name,
                        "workers": n,
                        "articles": articles,
                        "seconds": round(seconds, 1),
                        "mb_per_s": round(megabytes / seconds, 2),
                        "articles_per_s": round(articles / seconds),
                        "peak_mb_per_worker": round(peak),
                        "load_average_1min": round(os.getloadavg()[0], 1),
                        **notes,
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
        if not keep and not reuse_store and (not ingest_once or n == order[-1]):
            shutil.rmtree(target, ignore_errors=True)
    for row in rows:
        one = next((r["seconds"] for r in rows if r["stage"] == row["stage"] and r["workers"] == 1), None)
        row["speedup_vs_1"] = round(one / row["seconds"], 2) if one else None
    # the same numbers whatever the number of workers
    for name, by_workers in results.items():
        values = list(by_workers.values())
        if name != "ingest" and len(values) > 1:
            assert all(v.equals(values[0]) for v in values[1:]), f"{name}: results differ between worker counts"
    return rows


def _markdown(rows: list[dict[str, Any]], megabytes: float) -> str:
    head = (
        "| stage | workers | articles | seconds | of which reduce | worker CPU s | MB/s | articles/s | peak MB per worker "
        "| speed-up vs 1 | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['stage']} | {r['workers']} | {r['articles']:,} | {r['seconds']} | {r.get('reduce_seconds', '')} "
        f"| {r['worker_cpu_seconds']} "
        f"| {r['mb_per_s']} | {r['articles_per_s']:,} "
        f"| {r['peak_mb_per_worker']} | {r['speedup_vs_1'] or ''} | {r['load_average_1min']} |\n"
        for r in rows
    )
    return (
        head
        + body
        + (
            f"\n{megabytes:,.0f} MB of article text; {os.cpu_count()} cores; 'of which reduce': seconds in the one reduce "
            "on the client; worker CPU s: user + system seconds the workers got; load avg: the machine's 1-minute load average after the stage (above the worker count, other "
            "processes shared the cores).\n"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000, help="synthetic articles (default: 1,000,000, ~4 GB)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default: 1,2)")
    parser.add_argument("--chunk-rows", type=int, default=5_000, help="source rows per cleaning task")
    parser.add_argument("--out", type=Path, default=INTERIM / "bench-scale", help="folder for the table, stores and results")
    parser.add_argument("--keep", action="store_true", help="keep the stores written (they are removed by default)")
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"stages to run, of {','.join(STAGES)} (default: all); without ingest, the store that "
        "a run with --ingest-once --keep left in OUT is analysed (and kept)",
    )
    parser.add_argument(
        "--ingest-once", action="store_true", help="ingest once with the most workers; analyse that store with each count"
    )
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    stages = args.stages.split(",")
    if unknown := sorted(set(stages) - set(STAGES)):
        parser.error(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}")
    rows = run(
        args.articles,
        workers,
        args.out,
        chunk_rows=args.chunk_rows,
        keep=args.keep,
        ingest_once=args.ingest_once,
        stages=stages,
    )
    megabytes = json.loads((args.out / f"synthetic-{args.articles}.json").read_text())["megabytes"]
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    (args.out / "results.md").write_text(_markdown(rows, megabytes))
    print(_markdown(rows, megabytes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
