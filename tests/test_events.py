"""Event grouping, facts and actors per outlet, and the events/provenance commands."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from analysis.actors import actor_names, names_in
from analysis.cli import main
from analysis.corpus import read_corpus
from analysis.events import (
    EVENT_COLUMNS,
    THRESHOLD,
    EventError,
    assign_events,
    event_blocks,
    group_events,
    load_event_names,
    numbers_in,
    similarity_scores,
)
from tests.conftest import FIXTURES

JANUARY = {"003_f2869a96b21043eb", "004_6e0b644c5aa9bc29"}
MARCH = {"001_1c81a1ac3e2b06c4", "002_3e3933a9d7f1d525"}
TASS = "000_17a576a99f91630e"


@pytest.fixture(scope="module")
def articles(seeds) -> pd.DataFrame:
    return seeds.reset_index(drop=True)


@pytest.fixture(scope="module")
def inferred(articles) -> pd.DataFrame:
    return group_events(articles, use_labels=False).set_index("article_id")


def test_seeds_grouped_without_the_event_column(inferred):
    assert list(inferred.reset_index().columns) == EVENT_COLUMNS
    events = inferred["event"]
    assert events[list(JANUARY)].nunique() == 1 and events[list(MARCH)].nunique() == 1
    assert events[next(iter(JANUARY))] != events[next(iter(MARCH))]
    # TASS (March 31) is nine days after the March 22 stories: outside the 7-day window.
    assert events[TASS] not in set(events[list(JANUARY | MARCH)])
    assert (inferred["event_source"] == "inferred").all()
    assert inferred.loc[list(JANUARY), "event"].iloc[0].startswith("2021-01-24-")


def test_a_wider_window_lets_tass_join_the_march_talks_only_if_the_score_says_so(articles):
    _scores, parts = similarity_scores(articles, window_days=10)
    tass = parts[(parts["article_a"] == TASS) | (parts["article_b"] == TASS)]
    assert (tass.loc[tass["days"] > 10, "score"] == 0).all()
    assert (tass.loc[tass["days"] <= 10, "score"] > 0).all()
    events = group_events(articles, use_labels=False, window_days=10).set_index("article_id")["event"]
    joined = events[TASS] == events[next(iter(MARCH))]
    # Average linkage: TASS joins the pair when its mean score with the two reaches the threshold.
    march_scores = tass.loc[tass["article_a"].isin(MARCH) | tass["article_b"].isin(MARCH), "score"]
    assert len(march_scores) == 2
    assert joined == (march_scores.mean() >= THRESHOLD)


def test_cohesion_is_the_mean_score_within_the_group(articles, inferred):
    _scores, parts = similarity_scores(articles)
    pair = parts[parts["article_a"].isin(JANUARY) & parts["article_b"].isin(JANUARY)]
    assert inferred.loc[list(JANUARY), "cohesion"].tolist() == pytest.approx([pair["score"].iloc[0]] * 2)
    assert 0 < pair["text"].iloc[0] < 1 and pair["quotes"].iloc[0] > 0  # they share the Peskov quotes
    assert inferred.loc[TASS, "cohesion"] == pytest.approx(1.0)  # nothing within the window


def test_manifest_event_overrides_and_labels_come_from_top_terms(articles):
    events = group_events(articles).set_index("article_id")
    assert (events["event"] == articles.set_index("id")["event"]).all()
    assert (events["event_source"] == "manifest").all()
    january = events.loc[next(iter(JANUARY)), "label"].split(" · ")
    assert len(january) == 3 and "navalny" in january


def test_missing_event_labels_fall_back_to_inference(articles):
    partly = articles.assign(event=articles["event"].where(articles["id"] != TASS, None))
    events = group_events(partly).set_index("article_id")
    assert events.loc[TASS, "event_source"] == "inferred"
    assert events.loc[TASS, "event"] == events.loc[TASS, "inferred_event"]
    assert assign_events(partly)["event"].tolist() == events["event"].tolist()


def test_wire_copies_group_and_the_unrelated_story_stays_apart():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reuse, _ = read_corpus(FIXTURES / "reuse")
    events = group_events(reuse, use_labels=False).set_index("article_id")["event"]
    grain = events.drop("unrelated")
    assert grain.nunique() == 1 and events["unrelated"] != grain.iloc[0]


def test_an_undated_article_joins_no_inferred_event(articles):
    undated = articles.assign(published=articles["published"].where(articles["id"] != "004_6e0b644c5aa9bc29", pd.NaT))
    _scores, parts = similarity_scores(undated)
    mine = parts[(parts["article_a"] == "004_6e0b644c5aa9bc29") | (parts["article_b"] == "004_6e0b644c5aa9bc29")]
    assert np.isinf(mine["days"]).all() and (mine["score"] == 0).all()
    events = group_events(undated, use_labels=False).set_index("article_id")["event"]
    assert events["004_6e0b644c5aa9bc29"].startswith("undated-")
    assert events["003_f2869a96b21043eb"] != events["004_6e0b644c5aa9bc29"]


def test_bad_options_are_named(articles):
    with pytest.raises(EventError, match="threshold"):
        group_events(articles, threshold=0)
    with pytest.raises(EventError, match="window_days"):
        similarity_scores(articles, window_days=-1)
    with pytest.raises(EventError, match="'body'"):
        similarity_scores(articles.drop(columns="body"))


def _synthetic(articles: pd.DataFrame, n: int, *, days: int, seed: int) -> pd.DataFrame:
    """``n`` articles of seed sentences (seeded), published over ``days`` days, a few undated."""
    sentences = [s for body in articles["body"] for s in re.split(r"(?<=[.!?”])\s+", body) if len(s.split()) > 4]
    rng = np.random.default_rng(seed)
    published = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, days, size=n), unit="D")
    return pd.DataFrame(
        {
            "id": [f"syn-{i:03d}" for i in range(n)],
            "outlet": [["TASS", "Press TV", "WCE News"][i % 3] for i in range(n)],
            "published": pd.Series(published).where(np.arange(n) % 17 != 5),  # every 17th undated
            "headline": "",
            "body": ["  ".join(rng.choice(sentences, size=rng.integers(4, 10), replace=False)) for _ in range(n)],
        }
    )


@pytest.fixture(scope="module")
def crowded(articles) -> pd.DataFrame:
    """120 articles over 40 days: many pairs in each window, groups of several articles."""
    return _synthetic(articles, 120, days=40, seed=11)


def _partition(labels) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(np.asarray(labels) == label).tolist()) for label in set(labels)}


@pytest.mark.parametrize(("window_days", "threshold"), [(7, 0.2), (30, 0.3), (3, 0.45)])
def test_groups_are_average_linkage_of_every_pair_at_once(crowded, window_days, threshold):
    # The reference clusters the whole square score matrix with scipy, as the method states;
    # group_events only scores pairs in blocks and clusters each linked set on its own.
    score, _parts = similarity_scores(crowded, window_days=window_days)
    distance = squareform(np.clip(1.0 - score, 0.0, 1.0), checks=False)
    expected = fcluster(linkage(distance, method="average"), t=1.0 - threshold, criterion="distance")
    events = group_events(crowded, window_days=window_days, threshold=threshold, articles_per_block=9)
    assert _partition(events["inferred_event"]) == _partition(expected)
    assert 5 < len(_partition(expected)) < len(crowded) - 10  # groups of several, and more than one
    # cohesion: the mean score with the rest of the group, or 1 - the best score of an article alone
    off_diagonal = score - np.eye(len(score))
    for group in _partition(events["event"]):
        rows = sorted(group)
        within = off_diagonal[np.ix_(rows, rows)].sum(axis=1) / max(len(rows) - 1, 1)
        expected_cohesion = within if len(rows) > 1 else 1.0 - off_diagonal[rows[0]].max(keepdims=True)
        assert events["cohesion"].iloc[rows].to_numpy() == pytest.approx(expected_cohesion, abs=1e-12)


def test_the_block_size_does_not_change_the_events(crowded):
    whole = group_events(crowded)
    for size in (1, 10, 50):
        pd.testing.assert_frame_equal(group_events(crowded, articles_per_block=size), whole, check_exact=True)


def test_every_pair_within_the_window_is_in_exactly_one_block(crowded):
    days = (pd.to_datetime(crowded["published"]) - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    seen: Counter = Counter()
    for block in event_blocks(crowded, window_days=7, articles_per_block=8):
        positions = block.articles["position"].to_numpy()
        seen.update((positions[i], positions[j]) for i in range(block.owned) for j in range(i + 1, len(positions)))
    within = {
        tuple(sorted((a, b), key=lambda p: (np.nan_to_num(days[p], nan=np.inf), p)))
        for a in range(len(days))
        for b in range(a + 1, len(days))
        if abs(days[a] - days[b]) <= 7
    }
    assert within <= set(seen) and max(seen.values()) == 1


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Kremlin spokesman Dmitry Peskov said. The White House did not.", ["kremlin", "dmitry peskov", "white house"]),
        ("On Sunday the Russian Foreign Ministry spoke.", ["russian foreign ministry"]),
        ("But Putin’s answer was clear.", ["putin"]),
    ],
)
def test_names(text, names):
    assert names_in(text) == names


def test_numbers_and_actor_names():
    assert numbers_in("3,000 people, 90% of them, on Feb. 5, 2021, in 27 cities") == ["3000", "90%", "27"]
    assert actor_names(["russian president vladimir putin", "putin", "biden", "joe biden", "joseph biden"]) == [
        "vladimir putin",
        "vladimir putin",
        "biden",  # two full names end in it: left alone
        "joe biden",
        "joseph biden",
    ]


def test_cli_events_json(capsys):
    assert main(["events", "--ignore-labels", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["article_id"]: r for r in rows}
    assert by_id["003_f2869a96b21043eb"]["event"] == by_id["004_6e0b644c5aa9bc29"]["event"]
    assert {"article_id", "outlet", "event", "label", "cohesion"} <= set(rows[0])


def test_cli_provenance_json_and_text(capsys):
    assert main(["provenance", "--pairs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["direction"] == "a_to_b" and rows[0]["relation"] == "copy"
    changes = [(c["a"], c["b"]) for p in rows[0]["passages"] for c in p["changes"]]
    assert ("kernels", "cores") in changes
    assert {"a_start", "a_end", "b_start", "b_end", "kind", "a_text", "b_text", "changes"} <= set(rows[0]["passages"][0])
    assert main(["provenance", "--pairs"]) == 0
    out = capsys.readouterr().out
    assert "kernels -> cores" in out and "paraphrase" in out
    assert main(["provenance", "--json"]) == 0  # by default the copy families
    family = json.loads(capsys.readouterr().out)
    assert {(r["article_id"], r["role"]) for r in family} == {
        ("004_6e0b644c5aa9bc29", "original"),
        ("003_f2869a96b21043eb", "copy"),
    }


def test_cli_provenance_reference_folder(capsys, tmp_path):
    assert main(["provenance", str(FIXTURES / "reuse"), "--reference", str(FIXTURES / "reuse"), "--pairs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    from_reference = [r for r in rows if r["basis"] == "reference"]
    assert {(r["article_a"], r["article_b"]) for r in from_reference} >= {("exact", "wire"), ("spun", "wire")}
    assert all(r["article_a"] != r["article_b"] for r in rows)  # the wire story is not its own copy


def test_cli_exclude_reused_changes_the_counts(capsys):
    assert main(["terms", "--by", "id", "--top", "200", "--json"]) == 0
    everything = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert main(["terms", "--by", "id", "--top", "200", "--json", "--exclude-reused"]) == 0
    own = pd.DataFrame(json.loads(capsys.readouterr().out))
    twournal = "003_f2869a96b21043eb"
    assert "cores" in set(everything.loc[everything["group"] == twournal, "term"])
    assert "cores" not in set(own.loc[own["group"] == twournal, "term"])
    assert main(["tone", "--exclude-reused", "--by", "id", "--json"]) == 0
    tone = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert main(["tone", "--by", "id", "--json"]) == 0
    tone_all = pd.DataFrame(json.loads(capsys.readouterr().out))
    sentences = {
        t: f.set_index("voice").loc["all", "sentences"]
        for t, f in (("own", tone[tone["group"] == twournal]), ("all", tone_all[tone_all["group"] == twournal]))
    }
    assert sentences["own"] < sentences["all"]
    assert main(["loaded", "--exclude-reused", "--engine", "dask"]) == 2


def test_event_pair_scores_are_the_similarity_scores_of_the_pairs_within_each_event(articles):
    from analysis.events import event_pair_scores

    _scores, every_pair = similarity_scores(articles)
    for by in ("event", "inferred_event"):
        grouped = group_events(articles)
        within = event_pair_scores(articles, grouped, by=by)
        event_of = grouped.set_index("article_id")[by]
        same = every_pair[every_pair["article_a"].map(event_of).eq(every_pair["article_b"].map(event_of))]
        assert len(within) == len(same) > 0
        pd.testing.assert_frame_equal(within.drop(columns="event"), same.reset_index(drop=True), check_exact=False, rtol=1e-12)
        assert within["event"].tolist() == within["article_a"].map(event_of).tolist()
    grouped = group_events(articles, use_labels=False)
    january = event_pair_scores(articles, grouped)
    assert set(january["article_a"]) | set(january["article_b"]) == JANUARY | MARCH  # TASS is alone: no pair
    with pytest.raises(EventError, match="no 'evnt' column"):
        event_pair_scores(articles, grouped, by="evnt")


def test_an_event_names_file_renames_and_merges_events(articles, tmp_path):
    inferred = group_events(articles, use_labels=False).set_index("article_id")
    january, march = inferred.loc[sorted(JANUARY)[0], "event"], inferred.loc[sorted(MARCH)[0], "event"]
    names_file = tmp_path / "events.yaml"
    names_file.write_text(f"events:\n  {january}: Dialogue offer\n  {march}: Dialogue offer\n", encoding="utf-8")
    renamed = group_events(articles, use_labels=False, names=load_event_names(names_file)).set_index("article_id")
    assert set(renamed.loc[list(JANUARY | MARCH), "event"]) == {"Dialogue offer"}  # two events merged under one name
    assert renamed.loc[TASS, "event"] == inferred.loc[TASS, "event"]
    assert (renamed["inferred_event"] == inferred["inferred_event"]).all()
    names_file.write_text("events: [a, b]\n", encoding="utf-8")
    with pytest.raises(EventError, match=r"events\.yaml.*'events' mapping"):
        load_event_names(names_file)
    assert main(["events", "--ignore-labels", "--events", str(tmp_path / "none.yaml")]) == 2


def test_cli_events_reads_the_corpus_folders_event_names(capsys, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("manifest.csv", *(f"{i}.txt" for i in ("wire", "edited", "exact", "trimmed", "spun", "unrelated"))):
        (folder / name).write_bytes((FIXTURES / "reuse" / name).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["events", str(folder), "--ignore-labels", "--json"]) == 0
    grain = json.loads(capsys.readouterr().out)[0]["event"]
    (folder / "events.yaml").write_text(f"events:\n  {grain}: Grain corridor talks\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["events", str(folder), "--ignore-labels", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["event"] for r in rows if r["article_id"] != "unrelated"} == {"Grain corridor talks"}


def _table(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "outlet", "headline", "body"]).assign(published=pd.Timestamp("2024-05-02"))


# Two agencies tell one ruling in their own words; a third story has the same people and places
# but other news. Written for this test.
RULING = [
    (
        "wire_a",
        "Agency A",
        "Court in Vilnova jails opposition leader Petra Lind for four years",
        "A court in Vilnova on Thursday sentenced opposition leader Petra Lind to four years in prison "
        "for organising unauthorised rallies, a ruling her lawyers said they would appeal.\n\n"
        "Lind, who has led protests against President Orel Marek since the disputed election, stood "
        "in a glass cage as the judge read the verdict. Several Western ambassadors attended the hearing.",
    ),
    (
        "wire_b",
        "Agency B",
        "Vilnova opposition figure Lind given four-year prison term",
        "Petra Lind, the most prominent critic of President Orel Marek, was sentenced to four years in "
        "prison by a Vilnova court on Thursday over rallies held without permission.\n\n"
        "Her defence team called the sentence political and announced an appeal. Diplomats from "
        "several European embassies were in the courtroom.",
    ),
    (
        "interview",
        "Agency C",
        "President Marek says Vilnova will build a new airport",
        "President Orel Marek said on Thursday that Vilnova would build a new international airport "
        "by 2030, in a televised address a day after rallies by supporters of the opposition.\n\n"
        "Marek said the airport would create thousands of jobs. Western ambassadors were invited to "
        "the presentation of the plans in the capital.",
    ),
]


def test_reports_of_one_ruling_in_other_words_share_their_lead_more_than_other_news_of_the_same_people():
    _scores, parts = similarity_scores(_table(RULING))
    lead = parts.set_index(["article_a", "article_b"])["lead"]
    assert lead["wire_a", "wire_b"] > 0.5 > 0.3 > max(lead["wire_a", "interview"], lead["wire_b", "interview"])


@pytest.mark.xfail(
    strict=True,
    reason="a known limit (README, Validity): the same people's other news of the same day scores 0.16 "
    "with the two reports, above the cut of 0.12 that groups differently worded reports of one event",
)
def test_other_news_of_the_same_people_on_the_same_day_is_another_event():
    events = group_events(_table(RULING), use_labels=False).set_index("article_id")["inferred_event"]
    assert events["wire_a"] == events["wire_b"] != events["interview"]
