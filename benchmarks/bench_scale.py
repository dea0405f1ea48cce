"""Benchmark: synthetic articles through ingest, loaded terms and keyness on the Dask engine.

Runs each stage on a local cluster of 1 worker, then of 2 workers (one single-threaded
process each), and reports wall time, MB/s of article text, articles/s, the peak memory of
each worker (workers are restarted before every stage, so the peak is that stage's) and the
speed-up of 2 workers over 1. Results go to ``OUT/results.json`` and ``OUT/results.md``.

    python benchmarks/bench_scale.py                      # 1,000,000 articles (~4 GB of text)
    python benchmarks/bench_scale.py --articles 20000     # what fits on a shared laptop

The synthetic text is word salad with a Zipf vocabulary (wordfreq's English list, shipped with
the package), quotations, and loaded terms from the default lexicon at rates that differ by
outlet; it exercises the code paths and sizes of real news, not its meaning.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import engine, store
from analysis.paths import INTERIM

OUTLETS = ["Reuters", "AFP", "AP", "Xinhua", "Sputnik", "RT", "Al Jazeera", "TASS"]
# loaded terms per 1,000 words, by outlet: the differences keyness and loaded rates should find
LOADED_RATES = [1.0, 1.0, 1.5, 3.0, 6.0, 8.0, 2.0, 4.0]
WORDS_PER_ARTICLE = 700  # ~4 KB of text


def _vocabulary() -> tuple[np.ndarray, np.ndarray]:
    from wordfreq import top_n_list

    words = np.array([w for w in top_n_list("en", 20_000) if w.isalpha()], dtype=object)
    weights = 1 / np.arange(1, len(words) + 1)
    return words, weights / weights.sum()


def _loaded_terms() -> np.ndarray:
    from analysis.lexicons import load_lexicon

    return np.array(sorted({e.term for e in load_lexicon().entries if "*" not in e.term}), dtype=object)


def _article(words: list[str], rng: np.random.Generator) -> str:
    paragraphs, sentence, start = [], [], 0
    lengths = rng.integers(8, 26, size=len(words) // 8 + 1)
    for length in lengths:
        sentence = words[start : start + length]
        start += length
        if not sentence:
            break
        text = " ".join(sentence).capitalize() + "."
        if rng.random() < 0.15:
            text = f"“{text[:-1]},” an official said."
        if not paragraphs or rng.random() < 0.3:
            paragraphs.append([])
        paragraphs[-1].append(text)
    return "\n\n".join(" ".join(p) for p in paragraphs)


def generate(path: Path, articles: int, *, seed: int = 0, batch: int = 10_000) -> float:
    """Write ``articles`` synthetic articles to a Parquet table (``id``, ``outlet``,
    ``published``, ``title``, ``text``, ``event``); return the MB of text."""
    rng = np.random.default_rng(seed)
    words, weights = _vocabulary()
    loaded = _loaded_terms()
    schema = pa.schema([(c, pa.string()) for c in ("id", "outlet", "published", "title", "text", "event")])
    megabytes = 0.0
    temporary = path.with_suffix(".tmp")
    with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
        for first in range(0, articles, batch):
            count = min(batch, articles - first)
            outlet = rng.integers(0, len(OUTLETS), size=count)
            tokens = rng.choice(words, size=(count, WORDS_PER_ARTICLE), p=weights)
            for row in range(count):
                n_loaded = rng.poisson(LOADED_RATES[outlet[row]] * WORDS_PER_ARTICLE / 1000)
                tokens[row, rng.integers(0, WORDS_PER_ARTICLE, size=n_loaded)] = rng.choice(loaded, size=n_loaded)
            texts = [_article(list(tokens[row]), rng) for row in range(count)]
            days = rng.integers(0, 3 * 365, size=count)
            table = {
                "id": [f"syn-{first + i:08d}" for i in range(count)],
                "outlet": [OUTLETS[o] for o in outlet],
                "published": [str(np.datetime64("2022-01-01") + d) for d in days],
                "title": [" ".join(t[:8]).capitalize() for t in tokens],
                "text": texts,
                "event": [f"event-{d // 30:03d}" for d in days],
            }
            megabytes += sum(len(t.encode()) for t in texts) / 1e6
            writer.write_table(pa.table(table, schema=schema))
    os.replace(temporary, path)
    return megabytes


def _loaded_stage(corpus: Path, client: Any) -> tuple[Any, dict[str, float]]:
    """Loaded-term rates; the reduce (bootstrap intervals, on the client) timed apart."""
    map_options = {"engine": "dask", "client": client, "order": "article_id"}
    counts = engine.map_articles(corpus, engine.loaded_counts, columns=["id", "body"], **map_options)
    metadata = engine.map_articles(corpus, engine.article_metadata, **map_options | {"order": "articles"})
    start = time.perf_counter()
    rates = engine.loaded_reduce(counts, metadata, by="outlet")
    return rates, {"reduce_seconds": round(time.perf_counter() - start, 1)}


def _keyness_stage(corpus: Path, client: Any) -> tuple[Any, dict[str, float]]:
    return engine.pooled_term_counts(corpus, by="outlet", top=200, engine="dask", client=client), {}


def _ingest_stage(source: Path, target: Path, client: Any, chunk_rows: int) -> tuple[Any, dict[str, float]]:
    result = store.ingest(source, target, engine="dask", client=client, chunk_rows=chunk_rows)
    return result, {}


class PeakMemory:
    """Peak resident memory of each worker process during a stage, sampled every 0.2 s."""

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

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _warm_up() -> None:
    """Import what the stages use, so that the timings measure work, not imports."""
    import sklearn.feature_extraction  # noqa: F401

    import analysis.corpus
    import analysis.engine
    import analysis.store  # noqa: F401


def _timed(stage: Callable[[], tuple[Any, dict[str, float]]], client: Any) -> tuple[float, float, Any, dict[str, float]]:
    client.restart()  # fresh worker processes, so that a stage does not pay for the last one's memory
    client.run(_warm_up)
    with PeakMemory(client) as memory:
        start = time.perf_counter()
        result, notes = stage()
        seconds = time.perf_counter() - start
    return seconds, max(memory.peaks) / 1e6, result, notes


def run(articles: int, workers: list[int], out: Path, *, chunk_rows: int, keep: bool) -> list[dict[str, Any]]:
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
        engine.loaded_counts  # noqa: B018  (the loaded map needs the tokens and loaded modules)
        from analysis.measures import loaded as _  # noqa: F401
        from analysis.tokens import tokenize as _tokenize  # noqa: F401

        has_loaded = True
    except (ImportError, AttributeError) as err:
        print(f"loaded terms skipped: {err}", file=sys.stderr)
        has_loaded = False

    rows: list[dict[str, Any]] = []
    results: dict[str, dict[int, Any]] = {}
    for n in workers:
        target = out / f"store-{n}"
        shutil.rmtree(target, ignore_errors=True)
        with engine.dask_client(n_workers=n, memory_limit=f"{max(2, 16 // n)}GB") as client:
            stages: list[tuple[str, Callable[[], tuple[Any, dict[str, float]]]]] = [
                ("ingest", partial(_ingest_stage, source, target, client, chunk_rows))
            ]
            if has_loaded:
                stages.append(("loaded terms", partial(_loaded_stage, target, client)))
            stages.append(("term counts for keyness (hashed)", partial(_keyness_stage, target, client)))
            for name, stage in stages:
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
        if not keep:
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
        "| stage | workers | articles | seconds | of which reduce | MB/s | articles/s | peak MB per worker | speed-up vs 1 | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['stage']} | {r['workers']} | {r['articles']:,} | {r['seconds']} | {r.get('reduce_seconds', '')} "
        f"| {r['mb_per_s']} | {r['articles_per_s']:,} "
        f"| {r['peak_mb_per_worker']} | {r['speedup_vs_1'] or ''} | {r['load_average_1min']} |\n"
        for r in rows
    )
    return (
        head
        + body
        + (
            f"\n{megabytes:,.0f} MB of article text; {os.cpu_count()} cores; 'of which reduce': seconds in the one reduce "
            "on the client; load avg: the machine's 1-minute load average after the stage (above the worker count, other "
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
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    rows = run(args.articles, workers, args.out, chunk_rows=args.chunk_rows, keep=args.keep)
    megabytes = json.loads((args.out / f"synthetic-{args.articles}.json").read_text())["megabytes"]
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    (args.out / "results.md").write_text(_markdown(rows, megabytes))
    print(_markdown(rows, megabytes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
