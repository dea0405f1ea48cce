"""Query speed over a synthetic corpus: index build once, then each query (target: < 2 s at 100k articles).

    python benchmarks/bench_query.py --articles 100000

``--text zipf`` (default): words drawn from wordfreq's English list with Zipf frequencies (the
list ships inside the package; nothing is downloaded), ~250 body words and a 10-word headline
each, five outlets, dates over a year. ``--text seeds``: ``analysis.synthetic`` articles made of
the seed sentences (news prose, quotations included; ~250 words each). Prints one line per
step with its time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from wordfreq import top_n_list

from analysis.query import build_index, match, parse_query

QUERIES = (
    "putin",
    '"arms control"',
    "negotiat*",
    "putin AND (talks OR dialogue) NOT sanctions",
    '"the government" OR "the state" OR minist*',
    "outlet:TASS published:2021-03-01..2021-06-30 war",
    "t*",
    "NOT (the OR of)",
)


def synthetic_articles(n: int, *, words_per_body: int = 250, seed: int = 0) -> pd.DataFrame:
    """``n`` articles: id, outlet, published, headline, body (Zipf-distributed English words)."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([*top_n_list("en", 20_000), "putin", "negotiations", "arms", "control"], dtype=object)
    weights = 1 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    words = rng.choice(vocabulary, size=(n, words_per_body), p=weights)
    headlines = rng.choice(vocabulary, size=(n, 10), p=weights)
    return pd.DataFrame(
        {
            "id": [f"s{i:07d}" for i in range(n)],
            "outlet": rng.choice(["TASS", "RT", "Press TV", "Reuters", "AP"], size=n),
            "published": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D"),
            "headline": [" ".join(row) for row in headlines],
            "body": [" ".join(row) + "." for row in words],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--text", choices=["zipf", "seeds"], default="zipf")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.text == "seeds":
        from analysis import synthetic

        articles = synthetic.synthetic_articles(args.articles, words_per_article=250)
    else:
        articles = synthetic_articles(args.articles)
    print(f"generate {args.articles:,} articles: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    index = build_index(articles)
    print(
        f"build index: {time.perf_counter() - started:.1f} s "
        f"({len(index.positions):,} word occurrences, {len(index.vocabulary):,} distinct words)"
    )
    worst = 0.0
    for query in QUERIES:
        started = time.perf_counter()
        hits = int(match(index, parse_query(query)).sum())
        seconds = time.perf_counter() - started
        worst = max(worst, seconds)
        print(f"query {query!r}: {hits:,} articles in {seconds:.3f} s")
    print(f"slowest query: {worst:.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()
