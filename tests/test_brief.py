"""analysis/brief.py: per-article summaries for the event brief, on hand-made tables and the seeds."""

import pandas as pd

from analysis import brief


def test_loaded_terms_by_article_counts_per_voice():
    hits = pd.DataFrame(
        {
            "article_id": ["a", "a", "a", "b"],
            "term": ["threat", "threat", "regime", "threat"],
            "voice": ["narration", "narration", "quoted", "quoted"],
        }
    )
    assert brief.loaded_terms_by_article(hits, voice="narration").to_dict() == {"a": "threat ×2"}
    assert brief.loaded_terms_by_article(hits, voice="quoted").to_dict() == {"a": "regime", "b": "threat"}


def test_distinctive_by_article_keeps_strong_words_in_order():
    table = pd.DataFrame({"group": ["a", "a", "a", "b"], "term": ["x", "y", "z", "w"], "z": [2.5, 3.1, 1.0, 2.0]})
    assert brief.distinctive_by_article(table).to_dict() == {"a": "y (z 3.1), x (z 2.5)", "b": "w (z 2.0)"}
    assert brief.distinctive_by_article(table, top=1, min_z=2.2).to_dict() == {"a": "y (z 3.1)"}


def test_speakers_by_article_skips_scare_quotes_and_names_the_unattributed():
    quotes = pd.DataFrame(
        {
            "article_id": ["a", "a", "a", "a"],
            "speaker": ["Dmitry Peskov", "", "Dmitry Peskov", "Joe Biden"],
            "kind": ["speech"] * 3 + ["scare"],
        }
    )
    assert brief.speakers_by_article(quotes).to_dict() == {"a": "Dmitry Peskov ×2, (unattributed)"}


def test_shared_text_by_article_reports_both_sides():
    passages = pd.DataFrame(
        {
            "article_a": ["a", "a"],
            "article_b": ["b", "b"],
            "outlet_a": ["TASS"] * 2,
            "outlet_b": ["RT"] * 2,
            "shared_a": [0.5, 0.5],
            "shared_b": [0.25, 0.25],
            "kind": ["exact", "edited"],
        }
    )
    assert brief.shared_text_by_article(passages).to_dict() == {
        "a": "50% of its words shared with RT (edited/exact)",
        "b": "25% of its words shared with TASS (edited/exact)",
    }
    assert brief.shared_text_by_article(passages.iloc[0:0]).empty


def test_article_labels_are_unique_on_the_seeds(seeds):
    labels = brief.article_labels(seeds.reset_index(drop=True))
    assert len(set(labels.values())) == len(labels) == 5
    assert labels["000_17a576a99f91630e"] == "TASS"


def test_distinctive_by_article_with_no_strong_word_is_empty():
    table = pd.DataFrame({"group": ["a"], "term": ["x"], "z": [0.5]})
    assert brief.distinctive_by_article(table).empty
