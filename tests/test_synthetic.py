"""Synthetic corpora: the loader's schema, real seed sentences, reproducible."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.corpus import load_corpus
from analysis.schema import ARTICLE_COLUMNS
from analysis.synthetic import as_source_table, seed_sentences, synthetic_articles
from analysis.tokens import count_words


@pytest.fixture(scope="module")
def seeds() -> pd.DataFrame:
    return load_corpus()


def test_articles_have_the_loader_schema_and_word_counts(seeds):
    table = synthetic_articles(40, source=seeds, words_per_article=300, seed=3)
    assert list(table.columns) == list(ARTICLE_COLUMNS)
    assert table["id"].is_unique and len(table) == 40
    assert (table["n_tokens"] == table["body"].map(count_words)).all()
    assert (table["n_tokens"] >= 300).all()
    assert set(table["outlet"]) <= set(seeds["outlet"])
    assert table["published"].is_monotonic_increasing


def test_bodies_are_made_of_seed_sentences(seeds):
    sentences = set(seed_sentences(seeds)["text"])
    table = synthetic_articles(5, source=seeds, words_per_article=200, seed=1)
    for body in table["body"]:
        for paragraph in body.split("\n\n"):
            assert any(paragraph.startswith(s) for s in sentences)
    assert sum("\n\n" in body for body in table["body"]) >= 4


def test_same_seed_same_table_other_seed_other_table(seeds):
    first = synthetic_articles(10, source=seeds, seed=7)
    assert first.equals(synthetic_articles(10, source=seeds, seed=7))
    assert not first["body"].equals(synthetic_articles(10, source=seeds, seed=8)["body"])


def test_outlets_draw_on_their_home_article(seeds):
    table = synthetic_articles(60, source=seeds, words_per_article=200, own_share=1.0, seed=0)
    sentences = seed_sentences(seeds)
    home = {outlet: set(sentences.loc[sentences["article"] == i, "text"]) for i, outlet in enumerate(seeds["outlet"])}
    for outlet, body in zip(table["outlet"], table["body"], strict=True):
        assert any(body.startswith(sentence) for sentence in home[outlet])
        others = set().union(*(home[o] for o in home if o != outlet)) - home[outlet]
        assert not any(body.startswith(sentence + " ") or body.startswith(sentence + "\n") for sentence in others)


def test_source_table_round_trips_through_the_loader(tmp_path, seeds):
    table = synthetic_articles(6, source=seeds, words_per_article=150, seed=2)
    path = tmp_path / "synthetic.csv"
    as_source_table(table).to_csv(path, index=False)
    loaded = load_corpus(path, near_duplicate=1.0)
    assert sorted(loaded["id"]) == sorted(table["id"])
    assert (loaded.set_index("id")["outlet"] == table.set_index("id")["outlet"]).all()


@pytest.mark.parametrize(
    ("option", "value"), [("n_articles", -1), ("words_per_article", 0), ("own_share", 1.5), ("paragraph_break", -0.1)]
)
def test_bad_parameters_name_themselves(seeds, option, value):
    arguments = {"n_articles": 2, option: value}
    with pytest.raises(ValueError, match=option):
        synthetic_articles(arguments.pop("n_articles"), source=seeds, **arguments)
