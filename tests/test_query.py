"""The query language: which seed articles each query returns, and where malformed queries fail.

Expected ids were worked out by reading the cleaned seeds (``framing corpus --json``):
004 WCE News 2021-01-24, 003 twournal.com 2021-01-25, 001 top-news.online 2021-03-22,
002 Press TV 2021-03-22, 000 TASS 2021-03-31.
"""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.query import (
    And,
    Field,
    Not,
    Or,
    QuerySyntaxError,
    Terms,
    build_index,
    filter_articles,
    match,
    parse_query,
    query_words,
)
from analysis.tokens import tokenize


@pytest.fixture(scope="module")
def seed_index(seeds):
    return build_index(seeds)


def short_ids(seeds, mask):
    return sorted(seeds["id"][mask].str[:3])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("putin", ["000", "001", "002", "003", "004"]),
        ("PUTIN", ["000", "001", "002", "003", "004"]),
        ("navalny", ["003", "004"]),
        ("lavrov", ["002"]),
        # phrases: the words must be adjacent
        ('"arms control"', ["000", "003", "004"]),
        ('"pay a price"', ["000", "002"]),
        ("“pay a price”", ["000", "002"]),
        ('"price pay"', []),
        # headline words count: 004's "Kremlin says" is only in its headline
        ('"kremlin says"', ["004"]),
        # a phrase does not run from the headline into the body
        ('"willing russia"', []),
        # wildcards
        ("negotiat*", ["000"]),
        ("diktat*", ["002"]),
        ("meddl*", ["001", "003", "004"]),
        ('"nuclear arm*"', ["000"]),
        ('"arm* control"', ["000", "003", "004"]),
        ('"end of the cold war"', ["004"]),
        ('"u.s. presidential election"', ["004"]),
        ('"presidential election"', ["001", "003", "004"]),
        # boolean operators, implicit AND, precedence and parentheses
        ("killer OR murderer", ["000", "001", "002"]),
        ("killer murderer", []),
        ("putin AND killer", ["000", "002"]),
        ("navalny NOT poisoning", ["004"]),
        ("NOT putin", []),
        ("lavrov OR navalny AND poisoning", ["002", "003"]),
        ("(killer OR murderer) NOT outlet:TASS", ["001", "002"]),
        ("NOT (killer OR murderer)", ["003", "004"]),
        # operators are capitals: "and" is a word like any other
        ("putin and", ["000", "001", "002", "003", "004"]),
        # tokens as the project splits them: initialisms, apostrophes, hyphens
        ("u.s.", ["001", "003", "004"]),
        ("russia's", ["002", "003", "004"]),
        ("Russia’s", ["002", "003", "004"]),
        ("near-fatal", ["003"]),
        # field filters
        ("outlet:TASS", ["000"]),
        ('outlet:"Press TV"', ["002"]),
        ("outlet:press", []),
        ("ownership:state", ["000", "002"]),
        ("country:RU", ["000"]),
        ("event:2021-03-biden-putin-talks", ["000", "001", "002"]),
        ("event:2021-01-*", ["003", "004"]),
        ("published:2021-03-22", ["001", "002"]),
        ("published:2021-01-01..2021-01-31", ["003", "004"]),
        ("published:2021-03-23..", ["000"]),
        ("published:..2021-01-24", ["004"]),
        ("dialogue published:2021-03-01..2021-03-31", ["000", "002"]),
        # cleaning removed the page's chrome: its words are not searchable
        ('"leave a comment"', []),
    ],
)
def test_queries_return_the_seed_articles_read_by_hand(seeds, seed_index, query, expected):
    assert short_ids(seeds, match(seed_index, query)) == expected


def test_chrome_words_are_in_the_raw_pages_but_not_matched(seeds, seed_index):
    # "ALSO READ" is a related-story link that cleaning removes from 001
    assert seeds["raw"].str.contains("ALSO READ").any()
    assert not match(seed_index, '"also read"').any()


def test_index_words_are_the_token_tables_words(seeds):
    body_tokens = tokenize(seeds)["token"].tolist()
    assert [w for body in seeds["body"] for w in query_words(body)] == body_tokens


def test_parse_tree_has_the_precedence_of_not_and_or():
    assert parse_query("a b OR NOT c outlet:TASS") == Or(
        (And((Terms(("a",)), Terms(("b",)))), And((Not(Terms(("c",))), Field("outlet", "tass"))))
    )


def test_filter_articles_keeps_columns_and_blank_query_keeps_all(seeds):
    chosen = filter_articles(seeds, "lavrov")
    assert chosen["id"].tolist() == [i for i in seeds["id"] if i.startswith("002")]
    assert list(chosen.columns) == list(seeds.columns)
    assert len(filter_articles(seeds, "  ")) == len(seeds)


def test_field_missing_from_corpus_is_named():
    table = pd.DataFrame({"id": ["a"], "headline": ["x"], "body": ["y"]})
    with pytest.raises(KeyError, match="no 'country' column"):
        match(build_index(table), "country:RU")


def test_articles_without_text_match_only_fields():
    table = pd.DataFrame({"id": ["a", "b"], "outlet": ["RT", "TASS"], "headline": [None, "Talks"], "body": ["", "Talks."]})
    index = build_index(table)
    assert match(index, "talks").tolist() == [False, True]
    assert match(index, "outlet:rt").tolist() == [True, False]
    assert np.array_equal(match(index, "NOT talks"), [True, False])


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("", 0, "empty query"),
        ("putin AND", 9, "query ends"),
        ("(putin OR biden", 0, "missing ')'"),
        ("putin)", 5, "without a matching '('"),
        ('putin "arms control', 6, "unclosed quote"),
        ("OR putin", 0, "unexpected OR"),
        ("putin OR OR biden", 9, "unexpected OR"),
        ("putin NOT", 9, "query ends"),
        ("()", 1, "empty parentheses"),
        ("put*in", 0, "only at the end"),
        ("biden *", 6, "at least one letter"),
        ("!!!", 0, "no word"),
        ("talks colour:red", 6, "unknown field 'colour'"),
        ("outlet:", 7, "has no value"),
        ("published:2021-13-01", 10, "does not exist"),
        ("published:March", 10, "YYYY-MM-DD"),
        ("published:2021-01-01..2021-02-30", 22, "does not exist"),
        ("published:2021-03-31..2021-01-01", 10, "ends before it starts"),
        ("published:..", 10, "open range"),
    ],
)
def test_malformed_queries_point_at_the_error(query, position, reason):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    error = caught.value
    assert error.position == position
    assert reason in error.reason
    # the last line of the message is a caret under the position
    assert str(error).splitlines()[-1] == "  " + " " * position + "^"


def test_cli_query_filters_every_corpus_command_and_exits_2_when_malformed(capsys):
    from analysis.cli import main

    assert main(["corpus", "--json", "--query", "(killer OR murderer) NOT outlet:TASS"]) == 0
    chosen = [record["id"][:3] for record in json.loads(capsys.readouterr().out)]
    assert sorted(chosen) == ["001", "002"]
    assert main(["loaded", "--query", "putin AND (talks"]) == 2
    err = capsys.readouterr().err
    assert "missing ')'" in err and err.rstrip().endswith("^")
    assert main(["corpus", "--query", "zzyzx"]) == 2
    assert "matches none" in capsys.readouterr().err
