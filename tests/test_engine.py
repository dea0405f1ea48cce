"""The Dask engine gives the in-process engine's results, on the seeds and on a synthetic corpus."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import engine, provenance, store
from analysis import ingest as ingesting
from analysis.cli import main
from analysis.corpus import load_corpus
from analysis.measures import keyness as keyness_module
from analysis.measures import loaded, tfidf, tone

pytest.importorskip("distributed")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def client():
    """One local cluster of two worker processes for the whole module (starting one takes ~1 s)."""
    with engine.dask_client(n_workers=2, memory_limit="1GB") as dask:
        yield dask


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> pd.DataFrame:
    """240 articles from 4 outlets over 6 months, sentences drawn from the seed bodies (seeded)."""
    sentences = [s for body in load_corpus()["body"] for s in re.split(r"(?<=[.!?”])\s+", body) if len(s.split()) > 4]
    rng = np.random.default_rng(7)
    rows = []
    for number in range(240):
        picked = rng.choice(len(sentences), size=rng.integers(6, 14), replace=False)
        paragraphs = ["  ".join(sentences[i] for i in picked[k : k + 3]) for k in range(0, len(picked), 3)]
        rows.append(
            {
                "id": f"syn-{number:04d}",
                "outlet": ["TASS", "Press TV", "WCE News", "twournal.com"][number % 4],
                "published": f"2024-{1 + number % 6:02d}-{1 + number % 27:02d}",
                "text": "\n\n".join(paragraphs),
                "event": f"event-{number % 5}",
            }
        )
    folder = tmp_path_factory.mktemp("synthetic")
    pd.DataFrame(rows).to_csv(folder / "articles.csv", index=False)
    ingesting.ingest(folder / "articles.csv", folder / "store", near_duplicate=1.0)
    return folder


def test_the_map_on_seed_partitions_equals_the_map_on_all_seeds(client):
    for map_function in (engine.word_totals, engine.without_raw):
        local = engine.map_articles(None, map_function)
        distributed = engine.map_articles(None, map_function, engine="dask", client=client, articles_per_partition=2)
        pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    # the words counted on the workers are the loader's n_tokens
    totals = engine.map_articles(None, engine.word_totals, engine="dask", client=client, articles_per_partition=1)
    assert totals.set_index("article_id")["words"].to_dict() == load_corpus().set_index("id")["n_tokens"].to_dict()


def test_a_store_read_on_the_workers_equals_the_folder_read_here(client, synthetic):
    local = engine.map_articles(load_corpus(synthetic / "articles.csv", near_duplicate=1.0), engine.without_raw)
    parts = engine.partitions(synthetic / "store", articles_per_partition=30)
    assert len(parts) > 4 and all(p.pieces for p in parts)  # row groups of outlet-month files
    distributed = engine.map_articles(
        synthetic / "store", engine.without_raw, engine="dask", client=client, articles_per_partition=30
    )
    assert len(distributed) == 240
    pd.testing.assert_frame_equal(distributed.drop(columns="source"), local.drop(columns="source"), check_exact=True)


def test_map_reduce_gives_the_same_table_on_both_engines(client, synthetic):
    def reduce_words(totals: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
        joined = totals.merge(metadata[["id", "outlet"]], left_on="article_id", right_on="id")
        return joined.groupby("outlet", as_index=False).agg(words=("words", "sum"), n_articles=("id", "size"))

    local = engine.map_reduce(synthetic / "store", engine.word_totals, reduce_words)
    distributed = engine.map_reduce(synthetic / "store", engine.word_totals, reduce_words, engine="dask", client=client)
    pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    assert local["n_articles"].tolist() == [60, 60, 60, 60]


@pytest.mark.parametrize(
    ("pieces", "order", "expected"),
    [
        # a map sorting by article id (as a groupby does): the whole result sorted by id
        ([["b", "d"], ["a", "c"]], "article_id", ["a", "b", "c", "d"]),
        # a map keeping the order of its articles: the loader's order (published, then id)
        ([["d", "b"], ["c", "a"]], "articles", ["d", "c", "b", "a"]),
        # one article per piece: nothing to tell the two apart but the declared order
        ([["a"], ["b"], ["c"], ["d"]], "articles", ["d", "c", "b", "a"]),
    ],
)
def test_pieces_are_put_back_in_the_order_of_the_whole_map(pieces, order, expected):
    published = {"a": "2024-03-01", "b": "2024-02-01", "c": "2024-01-02", "d": "2024-01-01"}
    tables = [
        pd.DataFrame({"article_id": ids, engine.ORDER[0]: pd.to_datetime([published[i] for i in ids]), engine.ORDER[1]: ids})
        for ids in pieces
    ]
    assert engine._in_article_order(tables, order)["article_id"].tolist() == expected


def test_a_map_without_article_ids_is_refused(client):
    with pytest.raises(engine.EngineError, match="article_id"):
        engine.map_articles(None, engine.article_metadata, engine="dask", client=client, columns=["outlet", "published"])


def test_bad_engine_and_partition_size_name_the_parameter():
    with pytest.raises(engine.EngineError, match="engine='spark'"):
        engine.map_articles(None, engine.word_totals, engine="spark")
    with pytest.raises(engine.EngineError, match="articles_per_partition=0"):
        engine.partitions(None, articles_per_partition=0)


def test_cli_corpus_on_the_dask_engine_prints_what_the_local_engine_prints(client, capsys, synthetic):
    for corpus in ([], [str(synthetic / "store")]):
        assert main(["corpus", *corpus, "--json"]) == 0
        local = json.loads(capsys.readouterr().out)
        assert main(["corpus", *corpus, "--json", "--engine", "dask", "--scheduler", client.scheduler.address]) == 0
        assert json.loads(capsys.readouterr().out) == local


def test_a_table_ingested_in_chunks_on_the_workers_equals_the_local_ingest(client, synthetic, tmp_path):
    table = pd.read_csv(synthetic / "articles.csv", dtype=str, keep_default_na=False)
    # an exact duplicate in another chunk, and an id used twice, are found across chunks
    table = pd.concat([table, table.iloc[[3]], table.iloc[[5]].assign(text="A different body. " * 30)], ignore_index=True)
    table.to_csv(tmp_path / "articles.csv", index=False)
    local = ingesting.ingest(tmp_path / "articles.csv", tmp_path / "local", near_duplicate=1.0)
    chunked = ingesting.ingest(
        tmp_path / "articles.csv", tmp_path / "dask", engine="dask", client=client, chunk_rows=50, near_duplicate=1.0
    )
    assert chunked.added == local.added == 240
    assert sorted(p.article_id for p in chunked.problems) == ["syn-0003", "syn-0005"]
    assert len(chunked.files) == len(local.files) == 12  # outlet = n % 4 and month = n % 6 pair up 12 ways
    pd.testing.assert_frame_equal(store.read_store(tmp_path / "dask"), store.read_store(tmp_path / "local"), check_exact=True)
    # sources name the row of the original table, not of a chunk
    assert store.read_store(tmp_path / "dask").set_index("id").loc["syn-0123", "source"] == "articles.csv row 125"


def test_a_chunked_ingest_skips_a_ragged_row_and_names_it_as_the_local_ingest_does(client, synthetic, tmp_path):
    import csv

    with (synthetic / "articles.csv").open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    records.insert(60, ["ragged", "TASS", "2021-03-01", "a text", *["one cell too many"] * len(records[0])])  # chunk 2
    with (tmp_path / "articles.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(records)
    local = ingesting.ingest(tmp_path / "articles.csv", tmp_path / "local", near_duplicate=1.0)
    chunked = ingesting.ingest(
        tmp_path / "articles.csv", tmp_path / "dask", engine="dask", client=client, chunk_rows=50, near_duplicate=1.0
    )
    assert chunked.added == local.added
    ragged = [(p.line, p.message) for p in chunked.problems if "cells where the header has" in p.message]
    assert ragged == [(p.line, p.message) for p in local.problems if "cells where the header has" in p.message]
    assert len(ragged) == 1 and ragged[0][0] == 61  # the header is row 1


def test_bad_lines_of_a_chunked_jsonl_table_are_reported_at_their_line(client, synthetic, tmp_path):
    table = pd.read_csv(synthetic / "articles.csv", dtype=str, keep_default_na=False).head(60)
    lines = [json.dumps(row) for row in table.to_dict("records")]
    lines.insert(45, "{not json")
    (tmp_path / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingesting.ingest(tmp_path / "articles.jsonl", tmp_path / "store", engine="dask", client=client, chunk_rows=20)
    assert result.added == 60
    bad = [p for p in result.problems if p.severity == "error"]
    assert [(p.source, p.line) for p in bad] == [(str(tmp_path / "articles.jsonl"), 46)]
    assert store.read_store(tmp_path / "store").set_index("id").loc["syn-0050", "source"] == "articles.jsonl row 52"


@pytest.mark.parametrize("corpus", ["seeds", "synthetic store"])
def test_loaded_rates_kwic_and_tone_agree_between_engines(client, synthetic, corpus):
    source = None if corpus == "seeds" else synthetic / "store"
    by_outlet = {"columns": ["id", "body"], "order": "article_id", "reduce_options": {"by": "outlet"}}
    by_event = {"columns": ["id", "body"], "order": "article_id", "reduce_options": {"by": "event"}}
    for map_function, reduce_function, options in (
        (loaded.loaded_counts, loaded.loaded_reduce, by_outlet),
        (tone.tone_sums, tone.tone_reduce, by_event),
    ):
        local = engine.map_reduce(source, map_function, reduce_function, **options)
        distributed = engine.map_reduce(source, map_function, reduce_function, engine="dask", client=client, **options)
        pd.testing.assert_frame_equal(distributed, local, check_exact=True)
        assert local["n_articles"].groupby(local["group"]).first().sum() == (5 if corpus == "seeds" else 240)
    local = engine.map_articles(source, loaded.loaded_kwic, order="article_id")
    distributed = engine.map_articles(source, loaded.loaded_kwic, engine="dask", client=client, order="article_id")
    pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    assert len(local) > 0


def test_reuse_candidate_pairs_are_provenances_on_both_engines(client):
    articles = load_corpus(FIXTURES / "reuse")
    positions = provenance.candidate_pairs(provenance.article_words(articles))
    ids = articles["id"].astype(str).to_numpy()
    a, b = ids[positions["i"]], ids[positions["j"]]
    expected = {(min(x, y), max(x, y)): n for x, y, n in zip(a, b, positions["shared"], strict=True)}
    assert len(expected) > 3  # the wire story and its rewrites share text
    local = provenance.reuse_candidate_pairs(articles)
    distributed = provenance.reuse_candidate_pairs(articles, engine="dask", client=client, articles_per_partition=2)
    pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    assert {(x, y): n for x, y, n in local.itertuples(index=False)} == expected


def test_text_reuse_from_pairs_found_on_the_workers_equals_the_local_result(client):
    articles = load_corpus(FIXTURES / "reuse")
    candidates = provenance.reuse_candidate_pairs(articles, engine="dask", client=client, articles_per_partition=2)
    local = provenance.text_reuse(articles)
    assert len(local) > 3
    pd.testing.assert_frame_equal(provenance.text_reuse(articles, candidates=candidates), local)
    with pytest.raises(provenance.ProvenanceError, match="reference"):
        provenance.text_reuse(articles, reference=articles.head(1), candidates=candidates)


@pytest.mark.parametrize("corpus", ["seeds", "synthetic store"])
def test_keyness_and_top_terms_from_counts_pooled_on_the_workers_equal_the_measures(client, synthetic, corpus):
    from analysis.measures.keyness import keyness
    from analysis.measures.tfidf import term_counts, top_terms
    from analysis.query import filter_articles
    from analysis.tokens import tokenize

    source = None if corpus == "seeds" else synthetic / "store"
    query = "Putin OR Biden"
    articles = filter_articles(load_corpus(source), query)
    assert 0 < len(articles)
    tokens = tokenize(articles)
    expected_keyness = keyness(tokens, articles, by="outlet", top=15)
    expected_terms = top_terms(term_counts(tokens, voice="narration"), articles, by="event", voice="narration", top=10)
    for run in ({}, {"engine": "dask", "client": client, "articles_per_partition": 40}):
        got = tfidf.pooled_group_measure(keyness_module.keyness, source, by="outlet", top=15, query=query, **run)
        pd.testing.assert_frame_equal(got, expected_keyness, check_exact=True)
        got = tfidf.pooled_group_measure(tfidf.top_terms, source, by="event", voice="narration", top=10, query=query, **run)
        # the same words and counts; TF-IDF weights summed in another order may differ in the last bit
        pd.testing.assert_frame_equal(got, expected_terms, check_exact=False, rtol=1e-12, atol=0)
    # n_articles is the groups' real size, not the one pseudo-article each group was counted as
    assert expected_keyness.groupby("group")["n_articles"].first().sum() == len(articles)


@pytest.mark.parametrize(
    "command",
    [
        ["loaded", "--by", "ownership"],
        ["loaded", "--kwic"],
        ["tone"],
        ["terms", "--voice", "quoted", "--query", "Putin OR Biden"],
        ["keyness", "--by", "ownership", "--prior-corpus", str(FIXTURES / "reuse")],
        ["provenance", str(FIXTURES / "reuse")],
        ["events", "--ignore-labels", "--window-days", "60"],
    ],
)
def test_cli_on_a_running_scheduler_prints_what_the_local_engine_prints(client, capsys, command):
    assert main([*command, "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*command, "--json", "--engine", "dask", "--scheduler", client.scheduler.address]) == 0
    assert json.loads(capsys.readouterr().out) == local


def test_events_grouped_on_the_workers_equal_the_local_grouping(client, synthetic):
    from analysis.events import group_events

    articles = load_corpus(synthetic / "articles.csv", near_duplicate=1.0)
    for options in ({"use_labels": False}, {"use_labels": True}, {"use_labels": False, "window_days": 30, "threshold": 0.3}):
        local = group_events(articles, **options)
        distributed = group_events(articles, engine="dask", client=client, articles_per_block=25, **options)
        pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    assert local["inferred_event"].nunique() < len(articles)  # some articles were grouped


def test_provenance_with_a_reference_on_dask_is_a_usage_error(capsys):
    assert main(["provenance", "--reference", str(FIXTURES / "reuse"), "--engine", "dask"]) == 2
    assert "--reference needs --engine local" in capsys.readouterr().err


def test_a_query_matching_nothing_is_an_engine_error_on_both_engines(client):
    for run in ({}, {"engine": "dask", "client": client}):
        with pytest.raises(engine.EngineError, match="matches no article"):
            engine.map_articles(None, engine.word_totals, query="zzzqqq", **run)
        with pytest.raises(engine.EngineError, match="query matches none"):
            engine.pool_articles(None, keyness_module.word_counts, keys=["term"], query="zzzqqq", **run)


def test_loaded_rates_from_article_groups_equal_those_from_all_metadata(client, synthetic):
    options = {"columns": ["id", "body"], "order": "article_id", "reduce_options": {"by": "event"}}
    every_column = engine.map_reduce(synthetic / "store", loaded.loaded_counts, loaded.loaded_reduce, **options)
    for run in ({}, {"engine": "dask", "client": client}):
        only_groups = engine.map_reduce(
            synthetic / "store", loaded.loaded_counts, loaded.loaded_reduce, group_by="event", **options, **run
        )
        pd.testing.assert_frame_equal(only_groups, every_column, check_exact=True)
        # a column that is not there is named, with the ones that are
        with pytest.raises(KeyError, match=r"'evnt'; available: id, outlet, published"):
            engine.map_reduce(synthetic / "store", loaded.loaded_counts, loaded.loaded_reduce, group_by="evnt", **options, **run)


def test_the_local_engine_maps_a_large_corpus_in_slices_with_the_same_results(synthetic, monkeypatch):
    """Slices of 50 of the 240 articles, as the local engine maps corpora of more than 5,000."""
    source = synthetic / "store"
    by_outlet = {"columns": ["id", "body"], "order": "article_id", "reduce_options": {"by": "outlet"}}
    whole_rates = engine.map_reduce(source, loaded.loaded_counts, loaded.loaded_reduce, **by_outlet)
    whole_kwic = engine.map_articles(source, loaded.loaded_kwic, order="article_id")
    whole_terms = tfidf.pooled_group_measure(keyness_module.keyness, source, by="outlet", top=15)
    calls = []
    real_kwic = loaded.loaded_kwic

    def counted_kwic(articles, **options):
        calls.append(len(articles))
        return real_kwic(articles, **options)

    monkeypatch.setattr(engine, "LOCAL_ARTICLES_PER_MAP", 50)
    pd.testing.assert_frame_equal(engine.map_reduce(source, loaded.loaded_counts, loaded.loaded_reduce, **by_outlet), whole_rates)
    pd.testing.assert_frame_equal(engine.map_articles(source, counted_kwic, order="article_id"), whole_kwic)
    assert calls == [50, 50, 50, 50, 40]
    pd.testing.assert_frame_equal(tfidf.pooled_group_measure(keyness_module.keyness, source, by="outlet", top=15), whole_terms)
    calls.clear()
    engine.map_articles(source, counted_kwic, order="article_id", exclude_reused=True)
    assert calls == [240]  # words reused from another article: the map needs every article at once


def test_keyness_and_top_terms_of_a_large_local_corpus_are_pooled_in_slices(synthetic, monkeypatch):
    articles = load_corpus(synthetic / "store")
    whole_keyness = keyness_module.measure_keyness(articles, by="outlet", top=15)
    whole_terms = tfidf.measure_top_terms(articles, by="event", voice="narration", top=10)
    monkeypatch.setattr(engine, "LOCAL_ARTICLES_PER_MAP", 50)  # 240 articles: pooled in five slices
    pd.testing.assert_frame_equal(keyness_module.measure_keyness(articles, by="outlet", top=15), whole_keyness, check_exact=True)
    sliced = tfidf.measure_top_terms(articles, by="event", voice="narration", top=10)
    pd.testing.assert_frame_equal(sliced, whole_terms, check_exact=False, rtol=1e-12, atol=0)
