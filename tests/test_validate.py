"""Validation of a folder of malformed inputs: every problem named, the good articles kept."""

import pytest

from analysis.corpus import validate_corpus


def _messages(problems, file_fragment):
    return [(p.severity, p.message, p.hint) for p in problems if file_fragment in p.source or file_fragment in p.message]


@pytest.mark.parametrize(
    ("fragment", "severity", "expected"),
    [
        ("windows1252.txt", "warning", "decoded as cp1252"),
        ("undecodable.txt", "error", "undecodable bytes at offset"),
        ("binary.txt", "error", "binary file"),
        ("empty.txt", "error", "empty body"),
        ("only_chrome.txt", "error", "empty body"),
        ("bad_date.txt", "error", "bad date '2021-13-45'"),
        ("unknown_outlet.txt", "warning", "unknown outlet 'Reuter'"),
        ("'missing.txt'", "error", "does not exist"),
        ("'../outside.txt'", "error", "leaves the corpus folder"),
        ("'slides.docx'", "error", "is not a .txt, .md or .html file"),
        ("duplicate.txt (manifest.csv line 3)", "warning", "duplicate of"),
        ("near_duplicate.txt", "warning", "near-duplicate of"),
        ("not_listed.txt", "warning", "not listed in manifest.csv"),
    ],
)
def test_each_problem_is_reported(malformed, fragment, severity, expected):
    _, problems = malformed
    found = _messages(problems, fragment)
    assert any(s == severity and expected in m for s, m, _ in found), found


def test_messages_name_line_and_field(malformed):
    _, problems = malformed
    bad_date = next(p for p in problems if "bad date" in p.message)
    assert bad_date.field == "published" and "line 11" in bad_date.source
    assert "YYYY-MM-DD" in bad_date.hint
    outside = next(p for p in problems if "leaves the corpus folder" in p.message)
    assert outside.line == 14 and outside.field == "file"
    unknown = next(p for p in problems if "unknown outlet" in p.message)
    assert "Did you mean 'Reuters'?" in unknown.hint


def test_good_articles_are_still_loaded(malformed):
    articles, _ = malformed
    assert set(articles["id"]) == {"good", "near_duplicate", "bom", "windows1252", "unknown_outlet", "page"}
    assert articles.set_index("id").loc["windows1252", "headline"] == "Minister says “no deal” yet"
    assert "café" in articles.set_index("id").loc["windows1252", "body"]
    assert articles.set_index("id").loc["bom", "encoding"] == "utf-8-sig"
    assert articles.set_index("id").loc["good", "desk"] == "world"  # extra manifest columns kept


def test_html_goes_through_the_extractor(malformed):
    articles, _ = malformed
    page = articles.set_index("id").loc["page"]
    assert page.headline == "Ministers meet in Geneva"
    assert page.dateline == "GENEVA —"
    assert page.body.startswith("Foreign ministers of the two countries met in Geneva")
    for leaked in ("SECRET_TRACKING_CODE", "INJECTED_SCRIPT_TEXT", "color: red", "Copyright", "Politics"):
        assert leaked not in page.body
    assert page.removed[0]["reason"] == "HTML extraction (trafilatura)"


def test_seeds_are_clean():
    assert validate_corpus() == []
