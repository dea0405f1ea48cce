"""Lexicon files (YAML, .dic, CSV) and the Aho-Corasick matcher."""

import os
from pathlib import Path

import pytest

from analysis.lexicons import (
    Lexicon,
    LexiconEntry,
    LexiconError,
    build_matcher,
    inflected_forms,
    load_lexicon,
    load_matcher,
    match_tokens,
    parse_csv_lexicon,
    parse_dic_lexicon,
    parse_yaml_lexicon,
)
from analysis.tokens import WORD_PATTERN

FIXTURES = Path(__file__).parent / "fixtures" / "lexicons"


def words(text: str) -> list[str]:
    return [m.group().lower().replace("’", "'") for m in WORD_PATTERN.finditer(text)]


def lexicon_of(*entries: tuple[str, str], inflect: bool = False) -> Lexicon:
    rows = tuple(LexiconEntry(term, category, inflect, line) for line, (term, category) in enumerate(entries, 1))
    return Lexicon("test", "test", {category: "" for _, category in entries}, rows)


def found(text: str, lexicon: Lexicon) -> list[tuple[str, str, str]]:
    """(matched words, term, category) for every match in ``text``."""
    tokens = words(text)
    matcher = build_matcher(lexicon)
    first, last, entry = match_tokens(tokens, matcher)
    return [
        (" ".join(tokens[f : la + 1]), matcher.terms[e], matcher.categories[e])
        for f, la, e in zip(first, last, entry, strict=True)
    ]


# --- the default lexicon -------------------------------------------------------


def test_default_lexicon_has_the_required_categories_each_with_a_note():
    lexicon = load_lexicon()
    required = {
        "pejorative_labels",
        "conflict_threat",
        "distancing_doubt",
        "emotive_intensifiers",
        "moral_condemnation",
        "conciliatory",
    }
    assert required <= set(lexicon.categories)
    assert all(len(note) > 20 for note in lexicon.notes.values())
    terms = {(e.term, e.category) for e in lexicon.entries}
    for term, category in [
        ("regime", "pejorative_labels"),
        ("thug", "pejorative_labels"),
        ("so-called", "distancing_doubt"),
        ("alleged", "distancing_doubt"),
        ("furiously", "emotive_intensifiers"),
        ("turning ugly", "emotive_intensifiers"),
        ("killer", "moral_condemnation"),
        ("constructive", "conciliatory"),
        ("dialogue", "conciliatory"),
    ]:
        assert (term, category) in terms


def test_default_lexicon_by_name_and_by_path_are_the_same():
    by_name = load_lexicon("default")
    by_path = load_lexicon(Path(by_name.source))
    assert by_name.entries == by_path.entries and by_name.notes == by_path.notes


def test_unknown_lexicon_names_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match="default"):
        load_lexicon("no-such-lexicon")


# --- matching -------------------------------------------------------------------


def test_whole_words_only():
    lexicon = lexicon_of(("war", "conflict"), ("regime", "labels"))
    assert found("Toward a warm award: the regimes and war.", lexicon) == [("war", "war", "conflict")]


def test_wildcard_matches_word_prefixes_only_at_word_starts():
    lexicon = lexicon_of(("accus*", "conflict"))
    text = "Russia accused the US; the accusation was an unaccustomed accus."
    assert [m for m, _, _ in found(text, lexicon)] == ["accused", "accusation", "accus"]


def test_multi_word_terms_and_hyphen_variants():
    lexicon = lexicon_of(("turning ugly", "emotive"), ("so-called", "doubt"))
    text = "The so called talks are turning  ugly; the so-called deal is turning nasty and ugly."
    assert [m for m, _, _ in found(text, lexicon)] == ["so called", "turning ugly", "so-called"]


def test_inflections_when_asked_and_exact_forms_otherwise():
    text = "Moscow rebuffs them, rebuffed offers, is rebuffing talks; a rebuff. Diktats and a diktat."
    inflected = lexicon_of(("rebuff", "emotive"), ("diktat", "labels"), inflect=True)
    assert [m for m, _, _ in found(text, inflected)] == ["rebuffs", "rebuffed", "rebuffing", "rebuff", "diktats", "diktat"]
    exact = lexicon_of(("rebuff", "emotive"), ("diktat", "labels"), inflect=False)
    assert [m for m, _, _ in found(text, exact)] == ["rebuff", "diktat"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("threat", {"threats", "threated", "threating"}),
        ("crackdown", {"crackdowns"}),
        ("ally", {"allies", "allied", "allying"}),
        ("menace", {"menaces", "menaced", "menacing"}),
        ("clash", {"clashes", "clashed", "clashing"}),
        ("slam", {"slams", "slammed", "slamming"}),
    ],
)
def test_inflected_forms(word, expected):
    assert expected <= inflected_forms(word)
    assert word in inflected_forms(word)


@pytest.mark.parametrize("word", ["furiously", "alleged", "rebuffing", "so-called", "us"])
def test_words_that_look_inflected_are_not_inflected_again(word):
    assert inflected_forms(word) == {word}


def test_curly_apostrophes_and_case_match_straight_lowercase_terms():
    lexicon = lexicon_of(("kremlin's stooge", "labels"))
    assert [m for m, _, _ in found("The KREMLIN’S Stooge spoke.", lexicon)] == ["kremlin's stooge"]


def test_a_term_in_two_categories_is_reported_in_both():
    lexicon = lexicon_of(("killer", "moral"), ("killer", "labels"))
    assert sorted(c for _, _, c in found("He called him a killer.", lexicon)) == ["labels", "moral"]


def test_no_tokens_and_no_matches():
    matcher = build_matcher(lexicon_of(("regime", "labels")))
    for tokens in ([], ["nothing", "here"]):
        first, last, entry = match_tokens(tokens, matcher)
        assert len(first) == len(last) == len(entry) == 0


def test_matcher_is_cached_per_file(tmp_path):
    assert load_matcher() is load_matcher("default")
    path = tmp_path / "mine.csv"
    path.write_text("regime,labels\n")
    first = load_matcher(path)
    assert load_matcher(path) is first


# --- importers ------------------------------------------------------------------


def test_messy_dic_file():
    lexicon = load_lexicon(FIXTURES / "messy.dic")
    assert lexicon.categories == ["doubt", "conflict", "conciliatory"]
    assert lexicon.notes == {"doubt": "Distancing and doubt", "conflict": "", "conciliatory": ""}
    entries = {(e.term, e.category) for e in lexicon.entries}
    assert entries == {
        ("alleged", "doubt"),
        ("so-called", "doubt"),
        ("accus*", "doubt"),
        ("accus*", "conflict"),
        ("threat*", "conflict"),
        ("cold war", "conflict"),
        ("engage in dialogue", "conciliatory"),
        ("work together", "conciliatory"),
    }
    assert len(lexicon.entries) == len(entries)  # the repeated 'alleged' line counts once
    assert not any(e.inflect for e in lexicon.entries)  # .dic terms are exact, as in LIWC
    text = "They accused Washington of threats, so-called, in a new Cold War, but will engage in dialogue."
    assert sorted(found(text, lexicon)) == [
        ("accused", "accus*", "conflict"),
        ("accused", "accus*", "doubt"),
        ("cold war", "cold war", "conflict"),
        ("engage in dialogue", "engage in dialogue", "conciliatory"),
        ("so-called", "so-called", "doubt"),
        ("threats", "threat*", "conflict"),
    ]


def test_lexicoder_blocks():
    lexicon = load_lexicon(FIXTURES / "lexicoder.dic")
    assert {(e.term, e.category) for e in lexicon.entries} == {
        ("reckless", "NEGATIVE"),
        ("hawk*", "NEGATIVE"),
        ("construct*", "POSITIVE"),
        ("good will", "POSITIVE"),
    }


def test_csv_lexicon_with_header_notes_and_comments():
    lexicon = load_lexicon(FIXTURES / "terms.csv")
    assert lexicon.notes == {"labels": "Labels that delegitimise", "emotive": "Dramatising phrases"}
    assert [e.term for e in lexicon.entries] == ["regime", "puppet*", "turning ugly", "kremlin's stooge"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%\n1\tdoubt\n%\nalleged\t7\n", r"x\.dic:4: category number 7 .* not declared .*declared: 1"),
        ("%\n1\tdoubt\n%\nlike\t1 134/125[02 464]\n", r"x\.dic:4: conditional LIWC codes"),
        ("%\n1\tdoubt\n", r"x\.dic: the % header block is never closed"),
        ("%\nfirst doubt\n%\n", r"x\.dic:2: header line"),
        ("alleged\n", r"x\.dic:1: term 'alleged' has no category"),
        ("%\n1\tdoubt\n%\nac*cus\t1\n", r"x\.dic:4: term 'ac\*cus' cannot match: '\*' may only end a term"),
    ],
)
def test_dic_errors_name_file_and_line(text, message):
    with pytest.raises(LexiconError, match=message):
        parse_dic_lexicon(text, source="x.dic")


def test_csv_errors_name_file_and_line():
    with pytest.raises(LexiconError, match=r"x\.csv:3: expected 'term,category'"):
        parse_csv_lexicon("term,category\nregime,labels\njunta\n", source="x.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories:\n  labels:\n    terms: [regime, 'U.S']\n", r"x\.yaml:3: term 'U.S' cannot match"),
        ("categories:\n  labels:\n    note: n\n", r"x\.yaml:2: category 'labels' needs 'terms'"),
        ("categories:\n  labels:\n    term: [a]\n", r"x\.yaml:2: category 'labels' has unknown key\(s\) term"),
        (
            "categories:\n  labels:\n    inflect: maybe\n    terms: [a]\n",
            r"x\.yaml:3: 'inflect' of 'labels' must be true or false",
        ),
        ("name: x\n", r"x\.yaml: no 'categories' key"),
        ("categories: [\n", r"x\.yaml:2: not valid YAML"),
    ],
)
def test_yaml_errors_name_file_and_line(text, message):
    with pytest.raises(LexiconError, match=message):
        parse_yaml_lexicon(text, source="x.yaml")


def test_yaml_category_can_turn_inflection_off():
    notes, entries = parse_yaml_lexicon(
        "inflect: true\ncategories:\n  a:\n    note: first\n    terms: [rebuff]\n  b:\n    inflect: false\n    terms: [snub]\n"
    )
    assert notes == {"a": "first", "b": ""}
    assert [(e.term, e.inflect) for e in entries] == [("rebuff", True), ("snub", False)]


def test_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("regime\n")
    with pytest.raises(LexiconError, match=r"terms\.txt: unknown lexicon format '\.txt'"):
        load_lexicon(path)


def test_exact_terms_are_not_inflected():
    _, entries = parse_yaml_lexicon("categories:\n  a:\n    terms: [rebuff]\n    exact: [explosive]\n")
    assert [(e.term, e.inflect) for e in entries] == [("rebuff", True), ("explosive", False)]
    default = load_lexicon()
    text = "Explosives were found; an explosive claim. Hawking said hawks rebuffed a stark offer, starkly."
    assert [m for m, _, _ in found(text, default)] == ["explosive", "claim", "hawks", "rebuffed", "stark", "starkly"]


def test_quanteda_style_yaml_and_semicolon_csv(tmp_path):
    quanteda = tmp_path / "q.yml"
    quanteda.write_text("negative:\n  - reckless\n  - hawk*\npositive: [constructive, good will]\n")
    lexicon = load_lexicon(quanteda)
    assert lexicon.notes == {"negative": "", "positive": ""}
    assert [(e.term, e.category, e.inflect) for e in lexicon.entries] == [
        ("reckless", "negative", False),
        ("hawk*", "negative", False),
        ("constructive", "positive", False),
        ("good will", "positive", False),
    ]
    semicolons = tmp_path / "s.csv"
    semicolons.write_text("term;category\nregime;labels\nso-called;doubt\n")
    assert [(e.term, e.category, e.line) for e in load_lexicon(semicolons).entries] == [
        ("regime", "labels", 2),
        ("so-called", "doubt", 3),
    ]


def test_hyphen_prefix_wildcards_and_multi_word_wildcards():
    lexicon = lexicon_of(("anti-*", "labels"), ("rogue stat*", "labels"))
    text = "Anti-Kremlin and anti-war voices, an antique anti, rogue states and a rogue statesman."
    assert [m for m, _, _ in found(text, lexicon)] == ["anti-kremlin", "anti-war", "rogue states", "rogue statesman"]


def test_matcher_is_rebuilt_when_the_file_changes(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("regime,labels\n")
    before = load_matcher(path)
    path.write_text("regime,labels\njunta,labels\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    after = load_matcher(path)
    assert after is not before and [e.term for e in after.lexicon.entries] == ["regime", "junta"]


def test_the_shipped_lexicons_carry_their_measured_validity_and_a_users_lexicon_says_it_has_none():
    from analysis.lexicons import load_validity, validity_note

    default = load_validity("default")
    assert set(default["gold"]) == {"babe", "ptc", "basil"}
    precision = default[default["metric"] == "hit_precision"].set_index("gold")
    assert ((precision["ci_low"] <= precision["value"]) & (precision["value"] <= precision["ci_high"])).all()
    assert (precision["n"] > 100).all()
    note = validity_note("default")
    babe = precision.loc["babe"]
    assert f"hit precision {babe['value']:.2f} [{babe['ci_low']:.2f}, {babe['ci_high']:.2f}] on BABE" in note
    assert "5-fold CV" in validity_note("revised")
    custom = Path(__file__).parent / "fixtures" / "lexicons" / "terms.csv"
    assert load_validity(custom) is None
    assert "not measured" in validity_note(custom) and "framing evaluate loaded" in validity_note(custom)
