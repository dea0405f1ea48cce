"""What each outlet includes or leaves out of an event: facts, omissions and actors, on the seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.events import EventError
from analysis.omission import actor_inclusion, event_facts, omission_matrix

JANUARY = {"003_f2869a96b21043eb", "004_6e0b644c5aa9bc29"}


@pytest.fixture(scope="module")
def articles(seeds) -> pd.DataFrame:
    return seeds.reset_index(drop=True)


def test_facts_across_outlets_for_the_january_event(articles):
    january = articles[articles["id"].isin(JANUARY)]
    facts, inclusion = event_facts(january)
    shared = facts[facts["n_outlets"] == 2]
    assert any("respond in kind" in text for text in shared["text"])
    assert any("START" in text for text in shared["text"])
    assert len(inclusion) == len(facts) * 2
    only_twournal = facts[(facts["n_outlets"] == 1) & facts["outlets"].map(lambda o: o == ["twournal.com"])]
    assert any("al-Assad" in text for text in only_twournal["text"])  # what WCE News left out
    matrix = omission_matrix(inclusion)
    assert matrix.shape == (2, len(shared)) and (matrix.to_numpy() == 1).all()
    assert omission_matrix(inclusion, min_outlets=1).shape == (2, len(facts))
    row = inclusion[(inclusion["fact"] == shared["fact"].iloc[0]) & inclusion["included"]].iloc[0]
    assert row["sentence_text"] in articles.set_index("id").loc[row["article_id"], "body"]


def test_march_facts_show_what_tass_left_out(articles):
    march = articles[articles["event"] == "2021-03-biden-putin-talks"]
    facts, inclusion = event_facts(march)
    matrix = omission_matrix(inclusion)
    assert set(matrix.index) == {"Press TV", "TASS", "top-news.online"}
    regret = facts[facts["text"].str.contains("regret")]
    assert len(regret) == 1 and set(regret["outlets"].iloc[0]) == {"Press TV", "top-news.online"}
    assert matrix.loc["TASS", regret["fact"].iloc[0]] == 0


def test_actors_per_outlet_from_profiles(articles):
    march = articles[articles["event"] == "2021-03-biden-putin-talks"]
    actors = actor_inclusion(march)
    lavrov = actors[actors["actor"] == "Sergey Lavrov"]
    assert lavrov["outlet"].tolist() == ["Press TV"] and lavrov["n_outlets"].tolist() == [1]
    putin = actors[actors["actor"] == "Vladimir Putin"]
    assert set(putin["outlet"]) == {"Press TV", "TASS", "top-news.online"}
    with pytest.raises(EventError, match="source"):
        actor_inclusion(march, source="people")


def test_actors_per_outlet_from_capitalised_names(articles):
    march = articles[articles["event"] == "2021-03-biden-putin-talks"]
    actors = actor_inclusion(march, source="names", min_outlets=2)
    putin = actors[actors["actor"] == "vladimir putin"]
    assert set(putin["outlet"]) == {"Press TV", "TASS", "top-news.online"}
    antonov = actors[actors["actor"] == "anatoly antonov"]
    assert set(antonov["outlet"]) == {"Press TV", "top-news.online"}
    assert "russian" not in set(actors["actor"])
    assert (actors["n_outlets"] >= 2).all() and np.issubdtype(actors["mentions"].dtype, np.integer)
