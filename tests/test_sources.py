"""Source and actor measures per group: voice share, distinct sources, verbs, salience, labels, tone."""

import numpy as np
import pandas as pd
import pytest

from analysis.actors import actor_mentions
from analysis.corpus import load_corpus
from analysis.measures.sources import (
    ACTOR_TONE_COLUMNS,
    SALIENCE_COLUMNS,
    SOURCES_COLUMNS,
    VERB_COLUMNS,
    VOICE_SHARE_COLUMNS,
    actor_salience,
    actor_sentences,
    actor_tone,
    distinct_sources,
    label_matrix,
    mention_counts,
    quote_counts,
    verb_mix,
    voice_share,
)
from analysis.measures.tone import sentence_tone
from analysis.plots import voice_share_chart
from analysis.quotes import extract_quotes


@pytest.fixture(scope="module")
def articles():
    return load_corpus()


@pytest.fixture(scope="module")
def quotes(articles):
    return extract_quotes(articles)


@pytest.fixture(scope="module")
def mentions(articles):
    return actor_mentions(articles)


def test_voice_share_adds_up_and_matches_the_quotes(articles, quotes):
    table = voice_share(quotes, articles)
    assert list(table.columns) == VOICE_SHARE_COLUMNS
    assert np.allclose(table.groupby("group")["share"].sum(), 1.0)
    speech = quotes[quotes["kind"] == "speech"]
    press_tv = table[table["group"] == "Press TV"].set_index("affiliation")
    chinese = speech[(speech["outlet"] == "Press TV") & (speech["affiliation"] == "Chinese government")]["words"].sum()
    assert press_tv.loc["Chinese government", "words"] == chinese > 0
    assert press_tv["quoted_words"].iloc[0] == speech.loc[speech["outlet"] == "Press TV", "words"].sum()
    # TASS carries mostly the US organizations' words; WCE News only the Kremlin's.
    assert table[table["group"] == "TASS"].iloc[0]["affiliation"] == "NGO"
    assert set(table.loc[table["group"] == "WCE News", "affiliation"]) == {"Russian government"}
    assert table["small_sample"].all()  # one article per outlet
    assert table["ci_low"].isna().all()  # one article says nothing about variation between articles


def test_voice_share_by_event_has_intervals_over_its_articles(articles, quotes):
    table = voice_share(quotes, articles, by="event")
    assert set(table["group"]) == set(articles["event"])
    assert table["n_articles"].max() == 3
    inside = table.dropna(subset=["ci_low"])
    assert len(inside) and ((inside["ci_low"] <= inside["share"]) & (inside["share"] <= inside["ci_high"])).all()


def test_quote_counts_add_up(quotes):
    counts = quote_counts(quotes)
    assert counts["quotes"].sum() == len(quotes)
    assert counts["words"].sum() == quotes["words"].sum()


def test_distinct_sources(articles, quotes):
    table = distinct_sources(quotes, articles).set_index("group")
    assert list(table.reset_index().columns) == SOURCES_COLUMNS
    press_tv = quotes[(quotes["outlet"] == "Press TV") & (quotes["kind"] == "speech")]
    assert table.loc["Press TV", "sources"] == press_tv["speaker"].replace("", np.nan).nunique() == 5
    assert table.loc["WCE News", "sources"] == 1
    assert (table["ci_low"] <= table["attributed_share"]).all()


def test_verb_mix_shares_are_of_attributed_quotes(articles, quotes):
    table = verb_mix(quotes, articles)
    assert list(table.columns) == VERB_COLUMNS
    assert np.allclose(table.groupby("group")["share"].sum(), 1.0)
    top_news = table[table["group"] == "top-news.online"].set_index("verb")
    assert top_news.loc["told", "quotes"] == 2  # Jean-Pierre "told reporters", and the quote continuing it


def test_salience_counts_mentions_and_positions(articles, mentions):
    table = actor_salience(mentions, articles)
    assert list(table.columns) == SALIENCE_COLUMNS
    assert table["mentions"].sum() == len(mentions)
    wce = table[table["group"] == "WCE News"].set_index("actor")
    assert wce.loc["Vladimir Putin", "headline"] == 1
    assert wce.loc["Dmitry Peskov", "mentions"] == 3
    tokens = articles.set_index("outlet").loc["WCE News", "n_tokens"]
    assert wce.loc["Dmitry Peskov", "per_1000"] == pytest.approx(3 / tokens * 1000)
    counts = mention_counts(mentions)
    assert (counts["mentions"] == counts[["headline", "lead", "body"]].sum(axis=1)).all()


def test_label_matrix_is_actor_by_outlet(mentions):
    wide = label_matrix(mentions)
    assert set(wide.columns) == set(mentions["outlet"])
    assert wide.loc["Alexei Navalny", "WCE News"] == "detained kremlin critic (1)"
    assert wide.loc["Alexei Navalny", "twournal.com"] == "opposition leader (1)"
    assert wide.loc["Alexei Navalny", "TASS"] == ""


def test_actor_tone_narration_and_all(articles, mentions):
    sentences = sentence_tone(articles)
    per_sentence = actor_sentences(mentions, sentences)
    assert not per_sentence.duplicated(["article_id", "actor", "sentence"]).any()
    table = actor_tone(per_sentence, articles)
    assert list(table.columns) == ACTOR_TONE_COLUMNS
    assert set(table["voice"]) == {"narration", "all"}
    peskov = table[(table["group"] == "WCE News") & (table["actor"] == "Dmitry Peskov")].set_index("voice")
    own = per_sentence[(per_sentence["actor"] == "Dmitry Peskov") & per_sentence["article_id"].str.startswith("004")]
    assert peskov.loc["all", "sentences"] == len(own)
    assert peskov.loc["all", "compound_mean"] == pytest.approx(own["compound"].mean())
    narration = own[own["voice"] == "narration"]
    assert peskov.loc["narration", "compound_mean"] == pytest.approx(narration["compound"].mean())


def test_handmade_group_with_two_articles_gets_an_interval():
    articles = pd.DataFrame(
        {
            "id": ["a", "b"],
            "outlet": ["X", "X"],
            "headline": ["", ""],
            "n_tokens": [40, 40],
            "body": [
                "“We will never accept these terms,” Peskov said. “Talks are welcome,” Psaki said.",
                "“We will never accept these terms at all,” Peskov said.",
            ],
        }
    )
    table = voice_share(extract_quotes(articles), articles).set_index("affiliation")
    assert table.loc["Russian government", "words"] == 6 + 8
    assert table.loc["US government", "share"] == pytest.approx(3 / 17)
    assert table.loc["US government", "ci_low"] == 0.0 and table.loc["US government", "ci_high"] > 3 / 17


def test_voice_share_chart_draws_one_bar_per_group(articles, quotes):
    table = voice_share(quotes, articles)
    fig = voice_share_chart(table, title="Whose words", n="n = 5 articles")
    (ax,) = fig.axes
    assert len(ax.get_yticklabels()) == table["group"].nunique()
    assert len(ax.patches) == table["group"].nunique() * table["affiliation"].nunique()
    with pytest.raises(ValueError, match="title and n"):
        voice_share_chart(table, title="", n="")


def test_salience_can_leave_countries_out(articles, mentions):
    people = actor_salience(mentions, articles, kinds=["person"])
    assert set(people["actor"]) == set(mentions.loc[mentions["kind"] == "person", "actor"])
    assert "Russia" not in set(people["actor"])


def test_the_reduce_on_counts_from_partitions_equals_the_reduce_on_all(articles, quotes, mentions):
    halves = [articles.iloc[:2], articles.iloc[2:]]
    quote_parts = pd.concat([quote_counts(extract_quotes(part)) for part in halves], ignore_index=True)
    mention_parts = pd.concat([mention_counts(actor_mentions(part)) for part in halves], ignore_index=True)
    for by in ("outlet", "event"):
        pd.testing.assert_frame_equal(voice_share(quote_parts, articles, by=by), voice_share(quotes, articles, by=by))
        pd.testing.assert_frame_equal(distinct_sources(quote_parts, articles, by=by), distinct_sources(quotes, articles, by=by))
        pd.testing.assert_frame_equal(verb_mix(quote_parts, articles, by=by), verb_mix(quotes, articles, by=by))
        pd.testing.assert_frame_equal(actor_salience(mention_parts, articles, by=by), actor_salience(mentions, articles, by=by))


def test_articles_without_quotes_or_names_give_empty_tables_not_errors():
    articles = pd.DataFrame(
        {"id": ["a"], "outlet": ["X"], "headline": ["Nothing"], "body": ["No names here."], "n_tokens": [3], "event": ["e"]}
    )
    quotes, mentions = extract_quotes(articles), actor_mentions(articles)
    assert quotes.empty and mentions.empty
    assert voice_share(quotes, articles).empty and verb_mix(quotes, articles).empty
    assert actor_salience(mentions, articles).empty
    assert distinct_sources(quotes, articles)[["sources", "quotes"]].values.tolist() == [[0, 0]]
    assert actor_tone(actor_sentences(mentions, sentence_tone(articles)), articles).empty
