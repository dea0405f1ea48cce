"""Speed, memory and accuracy of event grouping on synthetic articles with planted events.

    python benchmarks/bench_events.py --articles 3000 20000     # make bench-events
    python benchmarks/bench_events.py --articles 2000 --engine dask

Each planted event has its own words (drawn from a Zipf distribution over a private word
list), names and numbers, and is reported by 1 to 8 articles of different outlets within
three days; every article also takes 40% of its words from a shared general vocabulary, and
events follow each other at about ``--events-per-day``. Each size runs in a fresh subprocess,
which reports CPU and wall seconds, peak resident memory (``VmHWM``), the links the pair step
kept, and the adjusted Rand index of the inferred events against the planted ones (1 = the
same grouping). The numbers measure speed and memory; the planted structure is easy by design.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

GENERAL_WORDS = 5_000
EVENT_WORDS = 60
WORDS_PER_ARTICLE = 400


def _word(number: int, prefix: str) -> str:
    """A made-up word of letters only (the event TF-IDF and the name finder skip digits)."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
        if number == 0:
            return prefix + letters


def planted_events(articles: int, *, events_per_day: float, seed: int = 0) -> pd.DataFrame:
    """``articles`` articles in planted events: ``id``, ``outlet``, ``published``, ``headline``, ``body``, ``planted``."""
    rng = np.random.default_rng(seed)
    general = np.array([_word(i, "gen") for i in range(GENERAL_WORDS)])
    zipf = 1.0 / np.arange(1, GENERAL_WORDS + 1)
    zipf /= zipf.sum()
    event_zipf = 1.0 / np.arange(1, EVENT_WORDS + 1)
    event_zipf /= event_zipf.sum()
    rows, event = [], 0
    while len(rows) < articles:
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(event / events_per_day))
        own = np.array([_word(i, _word(event, "ev") + "x") for i in range(EVENT_WORDS)])
        names = [f"{_word(event, 'Nam')} {_word(event, 'Per')}", _word(event, "Pla")]
        numbers = [str(rng.integers(100, 100_000)) for _ in range(3)]
        for _ in range(min(int(rng.integers(1, 9)), articles - len(rows))):
            words = np.where(
                rng.random(WORDS_PER_ARTICLE) < 0.6,
                rng.choice(own, size=WORDS_PER_ARTICLE, p=event_zipf),
                rng.choice(general, size=WORDS_PER_ARTICLE, p=zipf),
            )
            sentences = [" ".join(words[i : i + 20]) for i in range(0, WORDS_PER_ARTICLE, 20)]
            sentences[1] += f" said {names[0]} in {names[1]}, citing {numbers[0]} and {numbers[int(rng.integers(1, 3))]}"
            rows.append(
                {
                    "id": f"planted-{len(rows):07d}",
                    "outlet": f"outlet{int(rng.integers(0, 12))}",
                    "published": start + pd.Timedelta(days=int(rng.integers(0, 3))),
                    "headline": " ".join(words[:8]),
                    "body": ". ".join(s.capitalize() for s in sentences) + ".",
                    "planted": event,
                }
            )
        event += 1
    return pd.DataFrame(rows)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(articles: int, events_per_day: float, engine: str) -> dict:
    """Group ``articles`` planted articles in this process; the figures as a dict."""
    from sklearn.metrics import adjusted_rand_score

    from analysis import events

    table = planted_events(articles, events_per_day=events_per_day)
    before = _peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    grouped = events.group_events(table.drop(columns="planted"), use_labels=False, engine=engine)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "articles": articles,
        "engine": engine,
        "planted_events": int(table["planted"].nunique()),
        "inferred_events": int(grouped["event"].nunique()),
        "adjusted_rand": round(float(adjusted_rand_score(table["planted"], grouped["event"])), 4),
        "wall_s": round(seconds, 1),
        "cpu_s_this_process": round(cpu, 1),
        "peak_mb": round(_peak_mb()),
        "peak_mb_before": round(before),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[3_000, 20_000], help="corpus sizes (default: 3000 20000)")
    parser.add_argument("--events-per-day", type=float, default=40.0, help="planted events starting per day (default: 40)")
    parser.add_argument("--engine", choices=["local", "dask"], default="local")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a size, in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.articles[0], args.events_per_day, args.engine)))
        return 0
    for size in args.articles:
        command = [sys.executable, __file__, "--one", "--articles", str(size), "--events-per-day", str(args.events_per_day)]
        out = subprocess.run([*command, "--engine", args.engine], check=True, stdout=subprocess.PIPE, text=True).stdout
        print(out.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
