"""Text-reuse speed and recall on a synthetic corpus with planted reuse.

    python benchmarks/bench_provenance.py --articles 5000

Articles are Zipf-distributed English words (wordfreq's list ships inside the package;
nothing is downloaded), ~600 words in paragraphs of ~40, dates over a year. A share of them
(``--reuse``, default 0.3) copy a passage of 60–200 words from an earlier article, with 5% of
words replaced by random words and 3% deleted (an edited or spun copy). Prints the time of each
step of ``analysis.provenance.text_reuse`` (words and keys, candidate pairs, alignment), the
number of candidate and reported pairs, and recall of the planted pairs; reported pairs that
were not planted are counted apart (two copies of overlapping passages of one source share
text too, so they are expected).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from wordfreq import top_n_list

from analysis import provenance


def synthetic_corpus(n: int, *, words: int = 600, reuse: float = 0.3, seed: int = 0) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """``n`` articles (id, outlet, published, body) and the planted (source id, copy id) pairs."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array(top_n_list("en", 20_000), dtype=object)
    weights = 1 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    texts = [list(row) for row in rng.choice(vocabulary, size=(n, words), p=weights)]
    planted = set()
    for copy in range(50, n):
        if rng.random() >= reuse:
            continue
        source = int(rng.integers(0, copy))
        length = int(rng.integers(60, 200))
        start = int(rng.integers(0, words - length))
        passage = []
        for word in texts[source][start : start + length]:
            draw = rng.random()
            if draw < 0.03:
                continue
            passage.append(vocabulary[rng.integers(0, len(vocabulary))] if draw < 0.08 else word)
        at = int(rng.integers(0, words - length))
        texts[copy][at : at + len(passage)] = passage
        planted.add((f"a{source:06d}", f"a{copy:06d}"))
    bodies = []
    for text in texts:
        paragraphs = [" ".join(text[i : i + 40]) + "." for i in range(0, len(text), 40)]
        bodies.append("\n\n".join(paragraphs))
    articles = pd.DataFrame(
        {
            "id": [f"a{i:06d}" for i in range(n)],
            "outlet": [f"outlet {i % 7}" for i in range(n)],
            # Ordered dates, so an earlier article is always the earlier id.
            "published": pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(n) * 365 // max(n, 1), unit="D"),
            "body": bodies,
        }
    )
    return articles, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--reuse", type=float, default=0.3)
    args = parser.parse_args()

    articles, planted = synthetic_corpus(args.articles, reuse=args.reuse)
    megabytes = articles["body"].str.len().sum() / 1e6
    print(f"{len(articles):,} articles, {megabytes:.1f} MB of text, {len(planted):,} planted reuse pairs")

    provenance.alignment_key("warm")  # imports NLTK's stemmer once, outside the timings

    def timed(step, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = step(*args, **kwargs)
        return result, time.perf_counter() - wall, time.process_time() - cpu

    words, wall, cpu = timed(provenance.article_words, articles)
    print(f"words and keys:   {wall:7.2f} s wall, {cpu:7.2f} s CPU")
    candidates, wall, cpu = timed(provenance.candidate_pairs, words)
    print(f"candidate pairs:  {wall:7.2f} s wall, {cpu:7.2f} s CPU ({len(candidates):,} pairs share 3+ shingles)")
    pairs, wall, cpu = timed(provenance.text_reuse, articles)
    print(f"text_reuse total: {wall:7.2f} s wall, {cpu:7.2f} s CPU ({len(pairs):,} pairs with passages)")

    found = set(zip(pairs["article_a"], pairs["article_b"], strict=True))
    hits = len(planted & found)
    print(f"recall of planted pairs: {hits}/{len(planted)} = {hits / max(len(planted), 1):.3f}")
    print(f"reported pairs not planted: {len(found - planted)} (copies of overlapping passages of one source)")
    kinds = pd.Series([p["kind"] for ps in pairs["passages"] for p in ps]).value_counts()
    print("passage kinds:", ", ".join(f"{k} {v}" for k, v in kinds.items()))


if __name__ == "__main__":
    main()
