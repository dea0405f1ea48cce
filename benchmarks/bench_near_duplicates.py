"""Near-duplicate detection (the loader's warning) on synthetic articles with planted edited copies.

    python benchmarks/bench_near_duplicates.py --articles 4000

Articles are seed sentences shuffled into new ones (``analysis.synthetic``), so unrelated
articles share sentences the way wire copy does. A share of them (``--copies``, default 0.2) is
followed by a copy with 0–20 words replaced, which puts the copies' Jaccard similarity of
5-word shingles on both sides of the 0.8 threshold. Prints, for MinHash with banding
(``analysis.corpus._shingle_jaccard_pairs``) and for the exact all-pairs check it replaced
(one sparse product, kept here as the reference): wall time, peak traced memory, the pairs
found, and MinHash's recall of the pairs the exact check finds.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from analysis.corpus import _shingle_jaccard_pairs, _shingle_sets
from analysis.synthetic import synthetic_articles

THRESHOLD = 0.8


def all_pairs(bodies: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """The exact check before MinHash: every pair's shared shingles, 2,000 rows of the product at a time."""
    shingles = _shingle_sets(bodies)
    sizes = np.diff(shingles.indptr)
    pairs = []
    for start in range(0, len(bodies), 2000):
        overlap = (shingles[start : start + 2000] @ shingles.T).tocoo()
        i, j, shared = overlap.row + start, overlap.col, overlap.data
        i, j, shared = i[i < j], j[i < j], shared[i < j]
        jaccard = shared / (sizes[i] + sizes[j] - shared)
        similar = jaccard >= threshold
        pairs += zip(i[similar].tolist(), j[similar].tolist(), jaccard[similar].tolist(), strict=True)
    return sorted(pairs)


def planted_bodies(n: int, *, copies: float, seed: int = 0) -> list[str]:
    """``n`` synthetic bodies, a share ``copies`` of them followed by a copy with 0–20 words replaced."""
    rng = np.random.default_rng(seed)
    bodies = []
    for body in synthetic_articles(n, seed=seed)["body"]:
        bodies.append(body)
        if rng.random() < copies:
            words = body.split(" ")
            for at in rng.integers(0, len(words), size=rng.integers(0, 21)):
                words[at] = f"edit{rng.integers(1_000_000)}"
            bodies.append(" ".join(words))
    return bodies


def measured(find, bodies: list[str]) -> tuple[list[tuple[int, int, float]], float, float]:
    """Pairs, wall seconds and peak traced MB: timed untraced, then run again under tracemalloc (which slows it)."""
    started = time.perf_counter()
    pairs = find(bodies, THRESHOLD)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    find(bodies, THRESHOLD)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return pairs, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[4000], help="synthetic articles before copies")
    parser.add_argument("--copies", type=float, default=0.2, help="share of articles given an edited copy")
    args = parser.parse_args()
    for n in args.articles:
        bodies = planted_bodies(n, copies=args.copies)
        megabytes = sum(map(len, bodies)) / 1e6
        print(f"{len(bodies):,} articles ({n:,} + {len(bodies) - n:,} edited copies), {megabytes:.1f} MB")
        started = time.perf_counter()
        _shingle_sets(bodies)
        print(f"  shingle sets alone: {time.perf_counter() - started:6.2f} s (both methods start with them)")
        exact, exact_seconds, exact_peak = measured(all_pairs, bodies)
        lsh, lsh_seconds, lsh_peak = measured(_shingle_jaccard_pairs, bodies)
        found = set(lsh) & set(exact)
        print(f"  all pairs (exact):  {exact_seconds:6.2f} s  {exact_peak:7.1f} MB peak  {len(exact):,} pairs ≥ {THRESHOLD}")
        print(f"  MinHash + banding:  {lsh_seconds:6.2f} s  {lsh_peak:7.1f} MB peak  {len(lsh):,} pairs ≥ {THRESHOLD}")
        print(
            f"  recall {len(found)}/{len(exact)} = {len(found) / max(len(exact), 1):.4f}; not in the exact set: {len(set(lsh) - set(exact))}"
        )


if __name__ == "__main__":
    main()
