"""analysis/lookup.py: any word or phrase, found in the token table with its voice."""

import pandas as pd
import pytest

from analysis.lookup import HIT_COLUMNS, term_hits


@pytest.fixture
def tokens():
    # "the White House" in article a (narration); "White House" in article b (quoted); "house" ends a, "white" starts b
    return pd.DataFrame(
        {
            "article_id": ["a", "a", "a", "a", "b", "b"],
            "start": [0, 4, 10, 16, 0, 6],
            "end": [3, 9, 15, 21, 5, 11],
            "token": ["the", "white", "house", "house", "white", "house"],
            "voice": ["narration", "narration", "narration", "narration", "quoted", "quoted"],
            "sentence": [0, 0, 0, 1, 0, 0],
        }
    )


@pytest.mark.parametrize(
    ("phrase", "found"),
    [
        ("White House", [("a", 4, 15, "narration"), ("b", 0, 11, "quoted")]),
        ("white-house", []),  # a hyphenated word is one token, not two
        ("“WHITE” house!", [("a", 4, 15, "narration"), ("b", 0, 11, "quoted")]),
        ("house white", []),  # never across two articles
        ("house", [("a", 10, 15, "narration"), ("a", 16, 21, "narration"), ("b", 6, 11, "quoted")]),
        ("the white house is", []),
    ],
)
def test_term_hits(tokens, phrase, found):
    hits = term_hits(tokens, phrase)
    assert list(hits.columns) == HIT_COLUMNS
    assert list(hits[["article_id", "start", "end", "voice"]].itertuples(index=False, name=None)) == found


def test_term_hits_needs_a_word(tokens):
    with pytest.raises(ValueError, match="has no word"):
        term_hits(tokens, " … ")


def test_in_context_and_occurrences_on_the_seeds(seeds):
    from analysis.lookup import in_context, occurrences
    from analysis.tokens import tokenize

    articles = seeds.reset_index(drop=True)
    tokens = tokenize(articles)
    found = in_context(tokens, articles, "dialogue")
    assert len(found) > 0
    assert (found["match"].str.lower() == "dialogue").all()  # offsets point at the word in the body
    assert set(found["outlet"]) <= set(articles["outlet"])
    quoted = in_context(tokens, articles, "dialogue", voice="quoted")
    narration = in_context(tokens, articles, "dialogue", voice="narration")
    assert len(quoted) + len(narration) == len(found)
    one = articles[articles["outlet"] == "TASS"]
    assert set(in_context(tokens, one, "dialogue")["outlet"]) <= {"TASS"}
    counts = occurrences(found, tokens, articles)
    assert counts["hits"].sum() == len(found)
    assert counts["tokens"].sum() == len(tokens)
    assert len(counts) == 2 * articles["outlet"].nunique()
    with pytest.raises(ValueError, match="voice='both'"):
        in_context(tokens, articles, "dialogue", voice="both")
