"""Text reuse: seeds 003/004 (paraphrased Reuters copy) and hand-made wire-story cases."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.corpus import read_corpus
from analysis.passages import passage_table, passages_html, save_passages_html
from analysis.provenance import (
    COPY_MIN_SHARE,
    FAMILY_COLUMNS,
    PAIR_COLUMNS,
    alignment_key,
    article_words,
    candidate_pairs,
    copy_families,
    pair_direction,
    passage_kind,
    text_reuse,
)
from analysis.reuse import event_shared_text, exclude_reused, reuse_matrix, reused_spans, reused_word_counts
from analysis.tokens import tokenize
from tests.conftest import FIXTURES

WIRE = "wire"


@pytest.fixture(scope="module")
def reuse_corpus() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the made-up outlets have no profiles
        articles, problems = read_corpus(FIXTURES / "reuse")
    assert not [p for p in problems if p.severity == "error"]
    return articles


@pytest.fixture(scope="module")
def reuse_pairs(reuse_corpus) -> pd.DataFrame:
    return text_reuse(reuse_corpus)


@pytest.fixture(scope="module")
def seed_pairs(seeds) -> pd.DataFrame:
    return text_reuse(seeds.reset_index(drop=True))


def _pair(pairs: pd.DataFrame, a: str, b: str) -> pd.Series:
    chosen = pairs[(pairs["article_a"] == a) & (pairs["article_b"] == b)]
    assert len(chosen) == 1, f"no pair {a} / {b} in {pairs[['article_a', 'article_b']].values.tolist()}"
    return chosen.iloc[0]


def test_seed_reuse_is_only_the_january_reuters_copy(seed_pairs):
    assert list(seed_pairs.columns) == PAIR_COLUMNS
    assert seed_pairs[["article_a", "article_b"]].values.tolist() == [["004_6e0b644c5aa9bc29", "003_f2869a96b21043eb"]]


def test_seed_peskov_quote_is_paraphrase_with_kernels_to_cores(seed_pairs):
    pair = seed_pairs.iloc[0]
    # 004 (Jan 24) is earlier than 003 (Jan 25): the date shows the direction.
    assert (pair["direction"], pair["basis"], pair["source"]) == ("a_to_b", "date", "004_6e0b644c5aa9bc29")
    quote = next(p for p in pair["passages"] if "rational kernels" in p["a_text"])
    assert quote["kind"] == "paraphrase"
    assert "rational cores" in quote["b_text"]
    changes = {(c["a"], c["b"]) for c in quote["changes"]}
    assert {("kernels", "cores"), ("little", "small")} <= changes
    assert any(c["a"].startswith("relations") and c["b"].startswith("relationships") for c in quote["changes"])
    assert 0.15 < pair["shared_a"] < 0.5 and 0.15 < pair["shared_b"] < 0.5


def test_passage_offsets_point_into_the_bodies(seeds, seed_pairs):
    for pair in seed_pairs.to_dict("records"):
        body_a, body_b = seeds.loc[pair["article_a"], "body"], seeds.loc[pair["article_b"], "body"]
        for p in pair["passages"]:
            assert body_a[p["a_start"] : p["a_end"]] == p["a_text"]
            assert body_b[p["b_start"] : p["b_end"]] == p["b_text"]
            for c in p["changes"]:
                if c["a"]:
                    assert _words(body_a[c["a_start"] : c["a_end"]]) == _words(c["a"])
                else:
                    assert c["a_start"] == c["a_end"] and p["a_start"] <= c["a_start"] <= p["a_end"]
                if c["b"]:
                    assert _words(body_b[c["b_start"] : c["b_end"]]) == _words(c["b"])


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def test_exact_republication(reuse_pairs):
    pair = _pair(reuse_pairs, WIRE, "exact")
    assert pair["kind"] == "exact" and pair["n_passages"] == 1
    assert pair["shared_a"] == 1.0 and 0.85 < pair["shared_b"] < 1.0  # the copy adds a credit line
    assert (pair["direction"], pair["source"]) == ("a_to_b", WIRE)


def test_trimmed_republication(reuse_pairs):
    pair = _pair(reuse_pairs, WIRE, "trimmed")
    assert pair["kind"] == "exact"
    assert pair["shared_a"] < 0.5 < pair["shared_b"]  # the copy kept the first two paragraphs of the wire


def test_edited_republication(reuse_pairs):
    pair = _pair(reuse_pairs, WIRE, "edited")
    assert pair["kind"] == "edited"
    changes = [(c["a"], c["b"]) for p in pair["passages"] for c in p["changes"]]
    assert ("for", "by") in changes and ("a single", "one") in changes
    assert pair["shared_b"] > 0.7


def test_synonym_spun_republication(reuse_pairs):
    pair = _pair(reuse_pairs, WIRE, "spun")
    assert pair["kind"] == "paraphrase" and pair["shared_b"] > 0.9
    changes = {(c["a"], c["b"]) for p in pair["passages"] for c in p["changes"]}
    assert {("uncertainty", "doubt"), ("extend", "prolong"), ("path", "route")} <= changes


def test_unrelated_story_about_the_same_actors_is_not_reuse(reuse_corpus, reuse_pairs):
    body = reuse_corpus.set_index("id").loc["unrelated", "body"]
    assert all(name in body for name in ("Mehmet Aydin", "Turkey and Ukraine", "on condition of anonymity"))
    assert not ((reuse_pairs["article_a"] == "unrelated") | (reuse_pairs["article_b"] == "unrelated")).any()


def test_reference_folder_is_the_source(reuse_corpus):
    corpus = reuse_corpus[reuse_corpus["id"] != WIRE]
    reference = reuse_corpus[reuse_corpus["id"] == WIRE]
    pairs = text_reuse(corpus, reference=reference)
    against = pairs[pairs["article_b"] == WIRE]
    assert set(against["article_a"]) == {"exact", "trimmed", "edited", "spun"}
    assert set(against["basis"]) == {"reference"} and set(against["source"]) == {WIRE}


def test_candidate_pairs_and_the_allowed_side(reuse_corpus):
    words = article_words(reuse_corpus)
    ids = reuse_corpus["id"].tolist()
    pairs = candidate_pairs(words)
    named = {frozenset((ids[i], ids[j])) for i, j in zip(pairs["i"], pairs["j"], strict=True)}
    assert frozenset((WIRE, "exact")) in named
    # Shared phrasings ("on condition of anonymity") may make the unrelated story a candidate;
    # the alignment must then reject it (test_unrelated_story_about_the_same_actors_is_not_reuse).
    assert frozenset((WIRE, "spun")) in named
    only_wire = np.array([i == WIRE for i in ids])
    restricted = candidate_pairs(words, allowed=~only_wire | only_wire)  # everything allowed
    assert len(restricted) == len(pairs)
    none_allowed = candidate_pairs(words, allowed=np.zeros(len(ids), dtype=bool))
    assert none_allowed.empty


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("kernels", "cores", True),
        ("U.S.", "US", True),
        ("Feb", "February", True),
        ("Kremlin’s", "Kremlin", True),
        ("talks", "tanks", False),
    ],
)
def test_alignment_keys(a, b, same):
    assert (alignment_key(a) == alignment_key(b)) is same


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ([], "exact"),
        ([{"a": "for", "b": "by", "type": "substitution"}], "edited"),
        ([{"a": "according to", "b": "", "type": "deletion"}, {"a": "deal", "b": "agreement", "type": "synonym"}], "edited"),
        ([{"a": "a b c d", "b": "said", "type": "substitution"}], "edited"),
        (
            [
                {"a": "kernels", "b": "cores", "type": "synonym"},
                {"a": "get closer", "b": "come together", "type": "substitution"},
            ],
            "paraphrase",
        ),
    ],
)
def test_passage_kind(changes, kind):
    assert passage_kind(changes) == kind


def test_direction_rules():
    assert pair_direction("2021-01-24", "2021-01-25", 10, 10) == ("a_to_b", "date")
    assert pair_direction("2021-01-25", "2021-01-24", 10, 10) == ("b_to_a", "date")
    assert pair_direction("2021-01-24", "2021-01-24", 100, 60) == ("a_to_b", "completeness")
    assert pair_direction("2021-01-24", "2021-01-24", 100, 95) == ("unknown", "")
    assert pair_direction("2021-01-24", "2021-01-20", 100, 95, b_is_reference=True) == ("b_to_a", "reference")


def test_exclude_reused_drops_copied_words_of_the_later_article_only(seeds, seed_pairs):
    articles = seeds.reset_index(drop=True)
    tokens = tokenize(articles)
    own = exclude_reused(tokens, articles, pairs=seed_pairs)
    dropped = tokens.merge(own, how="left", indicator=True).query("_merge == 'left_only'")
    assert set(dropped["article_id"]) == {"003_f2869a96b21043eb"}  # 004 is the earlier Reuters copy
    assert {"cores", "small", "relationships"} <= set(dropped["token"])
    assert "kremlin" in set(own.loc[own["article_id"] == "003_f2869a96b21043eb", "token"])  # its own sentences stay
    assert list(own.columns) == list(tokens.columns)


def test_exclude_reused_with_unknown_direction_needs_a_republisher(reuse_corpus):
    # Both published the same day, with passages of about the same length: nothing shows who took.
    edited_trimmed = text_reuse(reuse_corpus[reuse_corpus["id"].isin(["edited", "trimmed"])])
    assert edited_trimmed.iloc[0]["direction"] == "unknown"
    assert reused_spans(edited_trimmed).empty
    spans = reused_spans(edited_trimmed, wire_republishers={"Trim Post"})
    assert set(spans["article_id"]) == {"trimmed"} and set(spans["source_id"]) == {"edited"}


def test_event_shared_text_html_and_matrix(reuse_corpus, reuse_pairs):
    shared = event_shared_text(reuse_corpus, event="grain-corridor", pairs=reuse_pairs)
    assert {"shared_a", "shared_b", "a_text", "changes"} <= set(shared.columns)
    assert "unrelated" not in set(shared["article_a"]) | set(shared["article_b"])
    assert len(shared) == len(passage_table(reuse_pairs))
    page = passages_html(shared[shared["article_b"] == "spun"])
    assert "<del>uncertainty</del>" in page and "<ins>doubt</ins>" in page
    assert "&quot;We have discovered" in page or "“We have discovered" in page or "&quot;" in page
    matrix = reuse_matrix(reuse_pairs, reuse_corpus)
    assert matrix.loc[WIRE, "exact"] == 1.0 and matrix.loc["unrelated"].fillna(0).eq(0).all()
    assert np.isnan(matrix.loc[WIRE, WIRE])


def test_html_escapes_article_text():
    table = pd.DataFrame(
        [
            {
                "article_a": "a<1>",
                "article_b": "b",
                "outlet_a": "X & Y",
                "outlet_b": "Z",
                "kind": "edited",
                "a_start": 0,
                "a_end": 19,
                "b_start": 0,
                "b_end": 19,
                "a_text": "<script>x</script>",
                "b_text": "<b>bold</b> text",
                "changes": [],
            }
        ]
    )
    page = passages_html(table)
    assert "<script>" not in page and "&lt;script&gt;" in page and "X &amp; Y" in page


def test_reused_word_counts_and_saved_page(seeds, seed_pairs, tmp_path):
    articles = seeds.reset_index(drop=True)
    counts = reused_word_counts(tokenize(articles), articles, pairs=seed_pairs).set_index("article_id")
    twournal = counts.loc["003_f2869a96b21043eb"]
    assert twournal["sources"] == "004_6e0b644c5aa9bc29"
    assert 0.1 < twournal["reused_share"] < 0.4 and twournal["reused_words"] < twournal["words"]
    assert counts.drop("003_f2869a96b21043eb")["reused_words"].eq(0).all()
    path = save_passages_html(passage_table(seed_pairs), tmp_path / "out" / "passages.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<del>kernels</del>" in page and "<ins>cores</ins>" in page
    assert not list(path.parent.glob(".*.tmp"))


# --- copies versus a common source, and copy families: hand-made stories ----------------------------

STATEMENT = (
    "“The extension of the treaty guarantees the necessary level of predictability and transparency in this sphere "
    "with a strict balance of interests, and Russia is ready for this work,” the Russian Foreign Ministry said."
)
WIRE_STORY = (
    "MOSCOW, Feb 3 (Newswire) - Russia and the United States exchanged diplomatic notes on Wednesday completing the "
    "extension of the last arms control treaty between the two nuclear powers, which now runs until February 2026. "
    "The exchange followed a telephone call between the two presidents last week and a unanimous vote in both houses "
    "of the Russian parliament, officials in both capitals said. Neither side has yet named a date for the first "
    "round of talks on what should follow the treaty, which limits deployed warheads and the missiles that carry "
    "them, and which both governments had let drift close to expiry during months of wrangling over conditions.\n\n" + STATEMENT
)


def _articles(bodies: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": key, "outlet": outlet, "published": pd.Timestamp(day), "body": body}
            for key, (outlet, day, body) in bodies.items()
        ]
    )


@pytest.fixture(scope="module")
def statement_corpus() -> pd.DataFrame:
    own = {
        "daily": "The Daily Ledger's reporter in Moscow heard diplomats describe a quiet week ahead of the next round of talks.",
        "herald": "Analysts at two think tanks told the Herald that the hardest questions, on new weapons, remain open.",
    }
    return _articles(
        {
            "wire": ("Newswire", "2021-02-03", WIRE_STORY),
            "republished": (
                "Metro Gazette",
                "2021-02-04",
                WIRE_STORY + "\n\nCounty officials said the news was welcome, though few residents follow arms control.",
            ),
            "trimmed": ("Valley Times", "2021-02-04", WIRE_STORY.split("\n\n")[0] + "\n\n(Newswire)"),
            "daily": ("Daily Ledger", "2021-02-04", own["daily"] + "\n\n" + STATEMENT),
            "herald": ("City Herald", "2021-02-05", own["herald"] + "\n\n" + STATEMENT),
        }
    )


@pytest.fixture(scope="module")
def statement_pairs(statement_corpus) -> pd.DataFrame:
    return text_reuse(statement_corpus)


def test_copied_narration_is_a_copy_and_the_same_quoted_statement_a_common_source(statement_pairs):
    relation = {(a, b): r for a, b, r in statement_pairs[["article_a", "article_b", "relation"]].itertuples(index=False)}
    assert relation[("wire", "republished")] == relation[("wire", "trimmed")] == "copy"
    assert relation[("daily", "herald")] == relation[("wire", "daily")] == "common_source"
    common = _pair(statement_pairs, "daily", "herald")
    assert common["speaker"] == "Russian Foreign Ministry" and common["quoted_share"] > 0.8
    assert _pair(statement_pairs, "wire", "republished")["speaker"] == ""


def test_copies_make_one_family_with_the_credited_wire_story_as_its_original(statement_corpus, statement_pairs):
    families = copy_families(statement_pairs, statement_corpus)
    assert list(families.columns) == FAMILY_COLUMNS
    assert set(families["article_id"]) == {"wire", "republished", "trimmed"}  # the quoting articles are no copies
    assert set(families["family"]) == {"F1"} and set(families["members"]) == {3}
    roles = families.set_index("article_id")
    assert roles.loc["wire", "role"] == "original" and set(roles["original"]) == {"wire"}
    assert roles.loc["republished", "change"] == "exact" and roles.loc["republished", "share"] > 0.9
    assert roles.loc["trimmed", "share"] > 0.8 and pd.isna(roles.loc["wire", "share"])


def test_exclude_reused_leaves_the_quoted_statement_of_a_common_source(statement_corpus, statement_pairs):
    tokens = tokenize(statement_corpus)
    own = exclude_reused(tokens, statement_corpus, pairs=statement_pairs)
    kept = own.groupby("article_id").size()
    words = tokens.groupby("article_id").size()
    assert kept["daily"] == words["daily"] and kept["herald"] == words["herald"]
    assert kept["republished"] < 0.2 * words["republished"]


def test_the_provenance_command_prints_families_and_names_the_common_source(capsys, statement_corpus, tmp_path):
    table = tmp_path / "articles.csv"
    statement_corpus.rename(columns={"body": "text"}).to_csv(table, index=False)
    assert main(["provenance", str(table)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 articles; ") and "in 1 families (3 articles)" in out
    assert "share only quotations of Russian Foreign Ministry" in out
    assert main(["provenance", str(table), "--pairs", "--json", "--top", "2"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and {r["relation"] for r in rows} == {"copy"}
    assert main(["provenance", str(table), "--pairs", "--json", "--min-share", "0.9"]) == 0
    kept = json.loads(capsys.readouterr().out)  # the quoting articles share under 90% of their words
    assert kept and all(max(r["shared_a"], r["shared_b"]) >= 0.9 and r["relation"] == "copy" for r in kept)


def test_attributions_between_quoted_paragraphs_of_one_statement_are_not_copied_narration():
    remarks = [
        "“The United States does not have the qualification to say that it wants to speak to China from a position of "
        "strength,” Yang said.",
        "“We thought too well of the United States, we thought that the U.S. side would follow the necessary diplomatic "
        "protocols,” he added.",
        "“So let me say here that, in front of the Chinese side, the United States does not have the qualification to "
        "speak,” Yang told the American delegation.",
        "“The Chinese people will not accept that, and we hope the talks will be candid and constructive,” the Chinese "
        "diplomat said in his opening remarks.",
        "“We do not believe in invading through the use of force, or toppling other regimes through various means,” Yang went on.",
        "“Many people within the United States actually have little confidence in the democracy of the United States,” he "
        "told the room before the cameras left.",
    ]
    leads = [
        "The first high-level meeting in Alaska opened with an unusually public exchange of accusations in front of cameras.",
        "Beijing's top diplomat answered his hosts at length at the start of the talks on Thursday, reporters in the room said.",
    ]
    articles = _articles(
        {key: (key, "2021-03-19", lead + "\n\n" + "\n\n".join(remarks)) for key, lead in zip("ab", leads, strict=True)}
    )
    (pair,) = text_reuse(articles).to_dict("records")
    # about 30 words of attribution sit between the quotations, none in a run of copied narration
    assert (pair["relation"], pair["speaker"]) == ("common_source", "Yang")


def test_a_background_paragraph_an_agency_reuses_in_its_next_story_is_not_a_copy():
    background = (
        "The two countries have expelled each other's diplomats several times in recent years, and both embassies now "
        "work with a fraction of the staff they had a decade ago."
    )
    first = [
        "Harbourland ordered ten diplomats of Northmark to leave within a week on Friday, in answer to sanctions "
        "announced the day before by the government in the northern capital.",
        "The foreign office summoned the ambassador in the morning and handed him a list of names and a note of protest.",
        "Officials said further steps would follow if the sanctions were not lifted, without saying what they might be.",
        "Ministers of both countries are due to meet at a regional summit next month, where the dispute will come up.",
        "Opposition leaders in the capital called the expulsions hasty and asked the government to explain them in "
        "parliament, while the ruling party said the country had been left no choice.",
        "Shares in exporters fell in early trading as investors weighed the risk of a longer dispute between the "
        "neighbours, who trade timber, fish and machinery worth billions each year.",
    ]
    second = [
        "Northmark's ambassador left the Harbourland capital for consultations on Tuesday, four days after ten of his "
        "staff were told to go, and said he expected to return within weeks.",
        "He flew out from the main airport with his family, and the embassy said the mission would keep working.",
        "Business groups in both countries warned that the row could delay a grain deal that had been close to signing.",
        "A spokesman for the northern government said it regretted the decision and had not asked the envoy to leave.",
        "In the port city, where many families have relatives on both sides of the border, residents queued at the "
        "consulate for visas that now take months to issue.",
        "The envoy's deputy will run the embassy while he is away, the mission said in a short note to journalists.",
    ]
    articles = _articles(
        {
            "friday": ("Harbour Wire", "2021-04-16", "\n\n".join([*first[:2], background, *first[2:]])),
            "tuesday": ("Harbour Wire", "2021-04-20", "\n\n".join([*second[:3], background, *second[3:]])),
        }
    )
    (pair,) = text_reuse(articles).to_dict("records")
    # 31 words of narration in common, under a fifth of either story: shared wording, not one story
    assert max(pair["shared_a"], pair["shared_b"]) < COPY_MIN_SHARE
    assert pair["relation"] == "shared_phrase"
    assert copy_families(text_reuse(articles)).empty


def test_long_runs_report_their_progress(statement_corpus):
    seen = []

    def progress(items, *, desc, total=None):
        items = list(items)
        seen.append((desc, total, len(items)))
        return items

    text_reuse(statement_corpus, progress=progress)
    assert [desc for desc, _, _ in seen] == ["aligning pairs"]
    assert seen[0][1] == seen[0][2] > 0  # every candidate pair, and the total said in advance
