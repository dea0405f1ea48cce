"""Speed of quotations, actor mentions and the source measures on synthetic articles.

    python benchmarks/bench_sources.py --articles 10000

Articles are built from the seed sentences (``analysis.synthetic``), so they carry real
quotations, attributions and names. Prints one line per step: wall and CPU time (CPU is what
scales; wall depends on the machine's load), articles and MB of body text per CPU second.
"""

from __future__ import annotations

import argparse
import time

from analysis.actors import actor_mentions, load_actors
from analysis.measures.sources import actor_salience, actor_sentences, actor_tone, verb_mix, voice_share
from analysis.measures.tone import sentence_tone
from analysis.quotes import extract_quotes
from analysis.synthetic import synthetic_articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="synthetic articles (default 10,000)")
    args = parser.parse_args()
    articles = synthetic_articles(args.articles)
    megabytes = articles["body"].str.len().sum() / 1e6
    actors = load_actors()
    print(f"{len(articles):,} articles, {megabytes:.1f} MB of body text")

    def step(name, func):
        started, cpu = time.perf_counter(), time.process_time()
        result = func()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{name:<26} {seconds:7.2f} s wall {cpu:7.2f} s CPU  {len(articles) / cpu:8,.0f} articles/CPU-s  "
            f"{megabytes / cpu:5.2f} MB/CPU-s"
        )
        return result

    quotes = step("extract_quotes", lambda: extract_quotes(articles, actors=actors))
    mentions = step("actor_mentions", lambda: actor_mentions(articles, actors=actors))
    step("voice_share + verb_mix", lambda: (voice_share(quotes, articles), verb_mix(quotes, articles)))
    step("actor_salience", lambda: actor_salience(mentions, articles))
    sentences = step("sentence_tone (VADER)", lambda: sentence_tone(articles))
    step("actor_sentences + tone", lambda: actor_tone(actor_sentences(mentions, sentences), articles))
    print(f"{len(quotes):,} quotations ({(quotes['speaker'] != '').mean():.0%} attributed), {len(mentions):,} mentions")


if __name__ == "__main__":
    main()
