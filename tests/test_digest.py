"""The since-last digest between two runs of a corpus that grew by a few articles.

The first run's corpus is four seeds (Press TV's left out) plus copies of seed bodies
credited to TASS, so TASS has five articles (enough to judge changes). The second run adds
two copies of Press TV's article about Lavrov's visit to China, credited to TASS, under a
new event: new words (Lavrov, China), new actors and new quoted sources.
"""

import json

import pandas as pd
import pytest

from analysis.digest import (
    compare_snapshots,
    digest_html,
    digest_markdown,
    people_tables,
    previous_run,
    read_snapshot,
    since_last,
    take_snapshot,
)
from analysis.query import query_words

NEW_EVENT = "2021-03-lavrov-china"


def credited_to_tass(seeds: pd.DataFrame, prefix: str, number: int, event: str) -> dict:
    row = seeds[seeds["id"].str.startswith(prefix)].iloc[0].to_dict()
    return row | {"id": f"tass-copy-{number}", "outlet": "TASS", "event": event, "hash": f"copy{number}"}


@pytest.fixture(scope="module")
def runs(seeds):
    seeds = seeds.reset_index(drop=True)
    tass_event = seeds.loc[seeds["outlet"] == "TASS", "event"].iloc[0]
    copies = [credited_to_tass(seeds, p, n, tass_event) for n, p in enumerate(["004", "003", "001", "004"], start=1)]
    first = pd.concat([seeds[~seeds["id"].str.startswith("002")], pd.DataFrame(copies)], ignore_index=True)
    added = [credited_to_tass(seeds, "002", n, NEW_EVENT) for n in (5, 6)]
    second = pd.concat([first, pd.DataFrame(added)], ignore_index=True)
    return first, second


@pytest.fixture(scope="module")
def digest(runs):
    first, second = runs
    return compare_snapshots(
        take_snapshot(first, **people_tables(first)), take_snapshot(second, **people_tables(second)), previous="run-1"
    )


def test_new_articles_per_outlet_and_new_events(digest):
    assert digest.articles_before == 8 and digest.articles_now == 10
    assert digest.new_articles.to_dict("records") == [{"outlet": "TASS", "before": 5, "now": 7, "new": 2, "gone": 0}]
    assert digest.new_events.to_dict("records") == [{"event": NEW_EVENT, "articles": 2, "outlets": "TASS"}]


def test_words_that_moved_beyond_their_interval(digest, runs):
    moved = digest.moved_terms.set_index("term")
    # Lavrov and China never occur in TASS's first five articles; the two new ones name each three times.
    new_bodies = runs[1].tail(2)["body"]
    for word in ("lavrov", "china"):
        assert moved.loc[word, "direction"] == "up" and moved.loc[word, "rate_before"] == 0
        assert moved.loc[word, "count_now"] == sum(query_words(body).count(word) for body in new_bodies) == 6
    # every row is outside the earlier interval; only TASS is judged (the other outlets have one article)
    outside = (digest.moved_terms["rate_now"] > digest.moved_terms["ci_high_before"]) | (
        digest.moved_terms["rate_now"] < digest.moved_terms["ci_low_before"]
    )
    assert outside.all() and set(digest.moved_terms["group"]) == {"TASS"}
    assert "putin" not in moved.index  # in every article: its rate barely moves


def test_loaded_rates_that_moved(digest):
    moved = digest.moved_loaded
    assert set(moved["group"]) <= {"TASS"}
    assert ((moved["rate_now"] > moved["ci_high_before"]) == (moved["direction"] == "up")).all()
    assert any("Not judged" in note and "WCE News" in note for note in digest.notes)


def test_new_actors_labels_and_quoted_sources(digest):
    # Press TV's article names Lavrov and China's spokesperson Hua Chunying, and quotes both.
    assert {"Sergey Lavrov", "Hua Chunying"} <= set(digest.new_actors["actor"])
    assert "Vladimir Putin" not in set(digest.new_actors["actor"])  # named in every run
    assert {"Sergey Lavrov", "Hua Chunying"} <= set(digest.new_sources["source"])
    assert set(digest.new_sources["outlet"]) == {"TASS"}
    # "U.S President Biden": a new label for an actor the first run knew
    labels = set(zip(digest.new_labels["actor"], digest.new_labels["label"], strict=True))
    assert ("Joe Biden", "u.s president") in labels
    assert not set(digest.new_labels["actor"]) & set(digest.new_actors["actor"])


def test_markdown_and_html_say_what_changed(digest):
    text = digest_markdown(digest)
    assert "Since run run-1: 8 → 10 article(s), 2 new; 1 new event(s)" in text
    assert "| TASS | 5 | 7 | 2 | 0 |" in text
    page = digest_html(digest.__class__(**{**digest.__dict__, "previous": "<script>"}))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_since_last_across_run_folders(tmp_path, runs):
    first, second = runs
    run_1, failed, run_2 = tmp_path / "20250101T000000Z", tmp_path / "20250102T000000Z", tmp_path / "20250103T000000Z"

    baseline = since_last(first, run_1, n_boot=200)
    assert baseline.previous is None
    assert "No earlier run" in (run_1 / "digest.md").read_text(encoding="utf-8")
    (run_1 / "run.json").write_text(json.dumps({"status": "ok", "started": "2025-01-01T00:00:00+00:00"}))
    # a failed run with a snapshot never counts as the last successful one
    since_last(first.head(3), failed, n_boot=200)
    (failed / "run.json").write_text(json.dumps({"status": "failed", "started": "2025-01-02T00:00:00+00:00"}))
    assert previous_run(tmp_path, current=run_2) == run_1

    digest = since_last(second, run_2, n_boot=200)
    assert digest.previous == run_1.name
    record = json.loads((run_2 / "digest.json").read_text(encoding="utf-8"))
    assert record["new_articles"] == [{"outlet": "TASS", "before": 5, "now": 7, "new": 2, "gone": 0}]
    assert {r["term"] for r in record["moved_terms"]} >= {"lavrov", "china"}
    assert (run_2 / "digest.html").read_text(encoding="utf-8").startswith('<section class="digest">')
    assert len(read_snapshot(run_2)["articles"]) == 10
    assert "Sergey Lavrov" in {r["source"] for r in record["new_sources"]}


def test_run_page_opens_with_the_digest(tmp_path, runs):
    from analysis.suite import write_run_page

    since_last(runs[0], tmp_path / "run", n_boot=200)
    run = {"started": "2025-01-01", "status": "ok", "corpus_hash": "0" * 64, "parameters": {"corpus": "seeds"}, "notebooks": []}
    page = write_run_page(tmp_path / "run", run).read_text(encoding="utf-8")
    assert page.index("What changed since the last run") < page.index("<h2>Notebooks</h2>")
    assert "No earlier run to compare with" in page


def test_report_since_last_between_two_runs_of_a_growing_folder(tmp_path, capsys):
    import shutil

    from analysis import paths
    from analysis.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in paths.SEEDS.glob("*.txt"):
        shutil.copy(article, corpus)
    manifest = pd.read_csv(paths.SEEDS / "manifest.csv", dtype=str)
    january = manifest["published"].str.startswith("2021-01")
    manifest[~january].to_csv(corpus / "manifest.csv", index=False)  # the first run: the three March articles
    runs = tmp_path / "reports"
    common = ["--notebooks", "08", "--formats", "png", "--since-last", "--jobs", "1"]
    assert main(["report", str(corpus), "--out", str(runs / "20250101T000000Z"), *common]) == 0
    assert "No earlier run to compare with" in capsys.readouterr().out

    manifest.to_csv(corpus / "manifest.csv", index=False)  # two January articles arrive
    assert main(["report", str(corpus), "--out", str(runs / "20250102T000000Z"), "--json", *common]) == 0
    digest = json.loads(capsys.readouterr().out)["digest"]
    assert digest["previous"] == "20250101T000000Z"
    assert (digest["articles_before"], digest["articles_now"]) == (3, 5)
    assert sorted(r["outlet"] for r in digest["new_articles"]) == ["WCE News", "twournal.com"]
    assert [r["event"] for r in digest["new_events"]] == ["2021-01-kremlin-dialogue-offer"]
    page = (runs / "20250102T000000Z" / "index.html").read_text(encoding="utf-8")
    assert page.index("Since run 20250101T000000Z: 3 → 5 article(s), 2 new") < page.index("<h2>Notebooks</h2>")
