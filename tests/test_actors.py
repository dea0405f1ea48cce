"""Actors: profiles, mentions with positions, labels, and unprofiled candidates."""

import json

import pandas as pd
import pytest

from analysis.actors import (
    MENTION_COLUMNS,
    ActorsError,
    actor_mentions,
    candidate_names,
    find_mentions,
    label_table,
    load_actors,
)
from analysis.cli import main
from analysis.corpus import load_corpus


@pytest.fixture(scope="module")
def articles():
    return load_corpus()


@pytest.fixture(scope="module")
def mentions(articles):
    return actor_mentions(articles)


def _names(text):
    return [(text[s:e], actor) for s, e, actor in find_mentions(text, load_actors())]


def test_variants_surnames_and_honorifics_name_one_actor():
    text = "Alexei Navalny and Alexey Navalny; Joseph Biden, Joe Biden, Biden and Mr. Putin; Navalny’s aide."
    assert [a for _, a in _names(text)] == ["Alexei Navalny"] * 2 + ["Joe Biden"] * 3 + ["Vladimir Putin", "Alexei Navalny"]


def test_matches_are_whole_words_and_longest_first():
    assert _names("Putinism and the Bidens") == []
    assert _names("the Russian Foreign Ministry said") == [("Russian Foreign Ministry", "Russian Foreign Ministry")]
    assert _names("the Biden administration") == [("the Biden administration", "Biden administration")]


def test_every_actor_the_seeds_name_is_profiled(mentions):
    expected = {
        "Joe Biden", "Vladimir Putin", "Dmitry Peskov", "Sergey Lavrov", "Jen Psaki", "Karine Jean-Pierre",
        "Anatoly Antonov", "Hua Chunying", "Alexei Navalny", "Donald Trump", "Hillary Clinton", "Bashar al-Assad",
        "Russian Foreign Ministry", "Kremlin", "White House", "US State Department", "27 US organizations",
        "The Hill", "TASS", "Interfax",
    }  # fmt: skip
    assert expected <= set(mentions["actor"])


def test_positions_headline_lead_body(articles, mentions):
    wce = mentions[mentions["article_id"].str.startswith("004")]
    headline = wce[wce["position"] == "headline"]
    assert set(headline["actor"]) == {"Kremlin", "Vladimir Putin"}
    lead_paragraph_end = articles.set_index("id").loc[wce["article_id"].iloc[0], "body"].index("\n\n")
    assert (wce.loc[wce["position"] == "lead", "start"] < lead_paragraph_end).all()
    assert (wce.loc[wce["position"] == "body", "start"] > lead_paragraph_end).all()
    for row in mentions[mentions["position"] != "headline"].itertuples():
        body = articles.set_index("id").loc[row.article_id, "body"]
        assert body[row.start : row.end] == row.mention


# (article prefix, mention, label) read from the seeds.
SEED_LABELS = [
    ("004", "Alexei Navalny", "detained Kremlin critic"),
    ("004", "Dmitry Peskov", "Kremlin spokesman"),
    ("003", "Alexey Navalny", "opposition leader"),
    ("003", "Dmitry Peskov", "Putin spokesman"),
    ("003", "Bashar al-Assad", "Syrian President"),
    ("003", "Donald Trump", "former US President"),
    ("001", "Anatoly Antonov", "Russian ambassador to the United States"),
    ("001", "Jen Psaki", "White House press secretary"),
    ("001", "Karin Jean-Pierre", "White House Deputy Press Secretary"),
    ("002", "Sergey Lavrov", "Russian Foreign Minister"),
    ("002", "Hua Chunying", "Chinese Foreign Ministry spokesperson"),
    ("002", "Anatoly Antonov", "envoy to Washington"),
    ("000", "Joseph Biden", "US President"),
    ("000", "Dmitry Peskov", "Kremlin Spokesman"),
]


@pytest.mark.parametrize(("prefix", "mention", "label"), SEED_LABELS)
def test_seed_labels(mentions, prefix, mention, label):
    rows = mentions[mentions["article_id"].str.startswith(prefix) & (mentions["mention"] == mention)]
    assert label in set(rows["label"])


def test_a_name_inside_another_actors_label_is_not_a_mention(mentions):
    peskov_003 = mentions[mentions["article_id"].str.startswith("003")]
    # "Putin spokesman Dmitry Peskov": Putin is how Peskov is labelled, not a mention of Putin there.
    start = peskov_003.loc[peskov_003["label"] == "Putin spokesman", "start"].iloc[0]
    assert not ((peskov_003["actor"] == "Vladimir Putin") & peskov_003["start"].between(start - 20, start)).any()


def test_unlabelled_mentions_have_an_empty_label(mentions):
    assert list(mentions.columns) == MENTION_COLUMNS
    plain = mentions[(mentions["mention"] == "Navalny") & mentions["article_id"].str.startswith("004")]
    assert list(plain["label"]) == [""]


def test_label_table_counts_labels_of_each_actor_per_outlet(mentions):
    table = label_table(mentions)
    assert list(table.columns) == ["actor", "group", "label", "mentions", "of_mentions"]
    peskov = table[table["actor"] == "Dmitry Peskov"].set_index("group")
    assert peskov.loc["TASS", "label"] == "kremlin spokesman"  # "Kremlin Spokesman" counted with "Kremlin spokesman"
    assert peskov.loc["WCE News", "label"] == "kremlin spokesman"
    assert peskov.loc["twournal.com", "label"] == "putin spokesman"
    assert (table["mentions"] <= table["of_mentions"]).all()
    navalny = table[table["actor"] == "Alexei Navalny"]
    assert set(navalny["label"]) == {"detained kremlin critic", "opposition leader"}


def test_candidates_are_unprofiled_capitalised_names():
    articles = pd.DataFrame(
        {
            "id": ["a", "b"],
            "outlet": ["X", "Y"],
            "headline": ["Yulia Navalnaya speaks", ""],
            "body": ["On Monday Yulia Navalnaya met Putin in Berlin.", "Later Yulia Navalnaya and Alexei Navalny left Berlin."],
        }
    )
    table = candidate_names(articles)
    assert table.set_index("name")["count"].to_dict() == {"Yulia Navalnaya": 3, "Berlin": 2}
    assert table.set_index("name").loc["Yulia Navalnaya", "outlets"] == 2


def test_malformed_actor_files_name_the_entry_and_field(tmp_path):
    bad = tmp_path / "actors.yaml"
    bad.write_text("actors:\n  - name: Jane Doe\n    kind: person\n    affiliation: NGO\n", encoding="utf-8")
    with pytest.raises(ActorsError, match=r"actors\[0\].*Jane Doe.*pronoun"):
        load_actors(bad)
    bad.write_text(
        "actors:\n"
        "  - {name: Jane Doe, kind: person, affiliation: NGO, pronoun: she}\n"
        "  - {name: John Doe, kind: person, affiliation: NGO, pronoun: he}\n",
        encoding="utf-8",
    )
    with pytest.raises(ActorsError, match="'Doe' belongs to both"):
        load_actors(bad)
    with pytest.raises(FileNotFoundError, match=r"missing\.yaml"):
        load_actors(tmp_path / "missing.yaml")


def test_cli_actors(capsys):
    assert main(["actors", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) >= {"article_id", "outlet", "actor", "mention", "label", "position"}
    assert {r["position"] for r in rows} == {"headline", "lead", "body"}
    assert main(["actors", "--candidates", "--min-count", "1"]) == 0
    assert "Ukraine" in capsys.readouterr().out


def test_mentions_inside_quotations_are_marked_quoted(mentions):
    twournal = mentions[mentions["article_id"].str.startswith("003")]
    # "… in cities across Russia" (the US statement) and "autocrats like Putin" (Biden) are quoted.
    quoted = twournal[twournal["voice"] == "quoted"]
    assert list(quoted["actor"]) == ["Russia", "Vladimir Putin"]
    assert (twournal.loc[twournal["actor"] == "Vladimir Putin", "voice"] == "narration").sum() == 3
    assert set(mentions["voice"]) == {"narration", "quoted"}


def test_cli_names_a_bad_actors_file_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "actors.yaml"
    bad.write_text("actors:\n  - {name: Jane Doe, kind: robot, affiliation: NGO, pronoun: she}\n", encoding="utf-8")
    assert main(["actors", "--actors", str(bad)]) == 2
    assert "kind 'robot'" in capsys.readouterr().err
    assert main(["quotes", "--actors", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml" in capsys.readouterr().err


def test_an_actors_file_adds_to_and_overrides_the_shipped_profiles(tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "actors:\n"
        "  - {name: Antony Blinken, kind: person, affiliation: US government, pronoun: he, variants: [Tony Blinken]}\n"
        "  - {name: Dmitry Peskov, kind: person, affiliation: Kremlin press office, pronoun: he}\n"
        "  - {name: Foreign Ministry of Russia, kind: institution, affiliation: Russian government, pronoun: it,\n"
        "     variants: [Russian Foreign Ministry]}\n"
        "label_words: {heads: [envoy-at-large]}\n",
        encoding="utf-8",
    )
    shipped, merged = load_actors(), load_actors(extra)
    assert set(merged.by_name) == set(shipped.by_name) | {"Antony Blinken", "Foreign Ministry of Russia"}
    assert merged.by_name["Dmitry Peskov"].affiliation == "Kremlin press office"
    assert shipped.by_name["Dmitry Peskov"].affiliation == "Russian government"
    # The variant the new entry claims names it now, and no longer the shipped entry.
    assert [name for _, _, name in find_mentions("the Russian Foreign Ministry said", merged)] == ["Foreign Ministry of Russia"]
    assert "envoy-at-large" in merged.label_heads and "spokesman" in merged.label_heads
    assert set(load_actors(extra, shipped=False).by_name) == {"Antony Blinken", "Dmitry Peskov", "Foreign Ministry of Russia"}


def test_a_corpus_folder_actors_file_is_added_for_quotes_and_actors(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Blinken urges restraint\n\n"
        "The United States and its allies met in Brussels on Wednesday to discuss the treaty and what comes after it, "
        "with ministers from a dozen countries taking part in the closed talks that lasted most of the day.\n\n"
        "“Verifiable limits matter to everyone,” Tony Blinken said after the meeting.\n",
        encoding="utf-8",
    )
    (folder / "manifest.csv").write_text("file,outlet,published\na.txt,Example News,2021-02-03\n", encoding="utf-8")
    (folder / "actors.yaml").write_text(
        "actors:\n  - {name: Antony Blinken, kind: person, affiliation: US government, pronoun: he, variants: [Tony Blinken]}\n",
        encoding="utf-8",
    )
    assert main(["quotes", str(folder), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["speaker"], row["affiliation"]) == ("Antony Blinken", "US government")
    assert main(["actors", str(folder), "--json"]) == 0
    assert {"Antony Blinken", "United States"} == {r["actor"] for r in json.loads(capsys.readouterr().out)}
