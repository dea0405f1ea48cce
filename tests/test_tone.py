"""Tone: VADER per sentence with voice, per-article sums and group means, CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.measures.tone import GROUP_COLUMNS, analyzer, article_tone, sentence_tone, tone_by_group
from analysis.tokens import sentence_spans, tokenize


@pytest.fixture(scope="module")
def seed_sentences(seeds):
    return sentence_tone(seeds, tokens=tokenize(seeds))


def test_sentences_cover_the_bodies_and_carry_vader_scores(seed_sentences, seeds):
    assert list(seed_sentences.columns) == [
        "article_id",
        "sentence",
        "start",
        "end",
        "voice",
        "tokens",
        "compound",
        "pos",
        "neg",
        "neu",
    ]
    for article in seeds.itertuples():
        mine = seed_sentences[seed_sentences["article_id"] == article.id]
        assert list(zip(mine["start"], mine["end"], strict=True)) == sentence_spans(article.body)
        assert mine["tokens"].sum() == article.n_tokens
        first = mine.iloc[0]
        assert first["compound"] == analyzer().polarity_scores(article.body[first["start"] : first["end"]])["compound"]
    assert seed_sentences["compound"].between(-1, 1).all()
    assert np.allclose(seed_sentences[["pos", "neg", "neu"]].sum(axis=1), 1, atol=0.01)


def test_voice_of_a_sentence_is_the_voice_of_most_of_its_words(seed_sentences, seeds):
    tass = seeds.loc[seeds["outlet"] == "TASS", "body"].iloc[0]
    tass_rows = seed_sentences[seed_sentences["article_id"] == seeds.loc[seeds["outlet"] == "TASS", "id"].iloc[0]]
    text = {row.voice: [] for row in tass_rows.itertuples()}
    for row in tass_rows.itertuples():
        text[row.voice].append(tass[row.start : row.end])
    assert any(s.startswith("“As Americans, we urge") for s in text["quoted"])
    assert any(s.startswith("A total of 27 US organizations") for s in text["narration"])


def test_positive_and_negative_sentences_on_a_hand_made_article():
    articles = pd.DataFrame(
        {
            "id": ["h1"],
            "outlet": ["H"],
            "body": ["The talks were a wonderful success and a great relief. “This is a horrible, brutal attack,” he said."],
        }
    )
    sentences = sentence_tone(articles)
    assert list(sentences["voice"]) == ["narration", "quoted"]
    assert sentences["compound"].iloc[0] > 0.5 > -0.5 > sentences["compound"].iloc[1]


def test_group_means_are_sentence_means_by_voice(seed_sentences, seeds):
    table = tone_by_group(seed_sentences, seeds, by="ownership", n_boot=300)
    assert list(table.columns) == GROUP_COLUMNS
    outlet_of = seeds.set_index("id")["ownership"]
    labelled = seed_sentences.assign(group=seed_sentences["article_id"].map(outlet_of))
    for row in table.itertuples():
        mine = labelled if row.voice == "all" else labelled[labelled["voice"] == row.voice]
        mine = mine[mine["group"] == row.group]
        assert row.sentences == len(mine)
        assert row.compound_mean == pytest.approx(mine["compound"].mean())
        assert row.neg == pytest.approx(mine["neg"].mean())
        assert row.n_articles == (seeds["ownership"] == row.group).sum()
    state = table.set_index(["group", "voice"]).loc[("state", "all")]
    assert state["ci_low"] <= state["compound_mean"] <= state["ci_high"]  # two state outlets: an interval
    private = table.set_index(["group", "voice"]).loc[("private", "all")]
    assert np.isnan(private["ci_low"]) and private["small_sample"]  # one article: no interval


def test_article_sums_give_the_same_groups(seed_sentences, seeds):
    direct = tone_by_group(seed_sentences, seeds, n_boot=200)
    via_sums = tone_by_group(article_tone(seed_sentences), seeds, n_boot=200)
    pd.testing.assert_frame_equal(direct, via_sums)
    by_article = tone_by_group(seed_sentences, seeds, by="id", n_boot=200)
    assert len(by_article) == 3 * len(seeds)


def test_unknown_grouping_column(seed_sentences, seeds):
    with pytest.raises(KeyError, match="available"):
        tone_by_group(seed_sentences, seeds, by="colour")


def test_cli_tone_json(capsys):
    assert main(["tone", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows[0]) == ["group", "voice", "sentences", "compound_mean", "ci_low", "ci_high", "pos", "neg", "neu"]
    assert {r["group"] for r in rows} == {"TASS", "top-news.online", "Press TV", "twournal.com", "WCE News"}
    assert {r["voice"] for r in rows} == {"narration", "quoted", "all"}


def test_cli_tone_table_and_usage_error(capsys):
    assert main(["tone", "--by", "country"]) == 0
    out = capsys.readouterr().out
    assert "(missing)" in out and "compound_mean" in out
    assert main(["tone", "--by", "colour"]) == 2
    assert "available" in capsys.readouterr().err


def test_repeated_sentences_get_the_same_scores_and_empty_corpora_no_rows():
    text = "The deal is a disaster. The deal is a disaster. Talks were friendly and warm."
    articles = pd.DataFrame({"id": ["r1", "r2"], "outlet": ["A", "B"], "body": [text, "Talks were friendly and warm."]})
    sentences = sentence_tone(articles)
    assert len(sentences) == 4
    assert sentences["compound"].iloc[0] == sentences["compound"].iloc[1] < 0
    assert sentences["compound"].iloc[2] == sentences["compound"].iloc[3] > 0
    empty = sentence_tone(articles.iloc[:0])
    assert list(empty.columns) == list(sentences.columns) and empty.empty


def test_sentence_numbers_agree_with_the_token_table(seed_sentences, seeds):
    tokens = tokenize(seeds).astype({"article_id": "str"})
    joined = tokens.merge(seed_sentences, on=["article_id", "sentence"], suffixes=("", "_sentence"))
    assert len(joined) == len(tokens)  # every token's sentence exists
    assert (joined["start"] >= joined["start_sentence"]).all() and (joined["end"] <= joined["end_sentence"]).all()
