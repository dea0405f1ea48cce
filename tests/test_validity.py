"""Cleaning, speakers and copies on the real development pages of ../shared/validation: the development split keeps its targets.

A regression guard for the rules developed on events DEV1-DEV3 (the held-out DEV4-DEV5 figures are
only measured, by ``make bench-validity``). Skips where the validation data or the re-created
page texts are absent, as in a user's clone.
"""

import importlib.util
from pathlib import Path

import pytest

from analysis.corpus import read_corpus
from analysis.evaluation import evaluate_cleaning, evaluate_events, evaluate_provenance, evaluate_quotes
from analysis.paths import INTERIM

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT.parent / "shared" / "validation"
TEXTS = INTERIM / "devpages"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_validity", ROOT / "benchmarks" / "bench_validity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def development_pages(tmp_path_factory):
    """The loaded development pages and the gold rows of events DEV1-DEV3."""
    if not (VALIDATION / "devpages.json").is_file():
        pytest.skip(f"{VALIDATION} is not beside this checkout")
    if not TEXTS.is_dir() or not any(TEXTS.glob("*.txt")):
        pytest.skip(f"the development page texts are not re-created in {TEXTS} (see the validation README)")
    folder = tmp_path_factory.mktemp("devpages")
    gold = _bench().build_devpages_corpus(VALIDATION / "devpages.json", TEXTS, folder)
    articles, _ = read_corpus(folder, min_tokens=0)
    return articles, gold[gold["event"].isin(["DEV1", "DEV2", "DEV3"])]


@pytest.fixture(scope="module")
def development(development_pages):
    articles, dev = development_pages
    return evaluate_cleaning(articles, dev, gold_name="devpages.json").validity.set_index("metric")


def test_development_pages_meet_the_cleaning_targets(development):
    assert development.loc["headline_accuracy", "n"] == 30
    assert development.loc["headline_accuracy", "value"] >= 0.95
    assert development.loc["headline_invented", "value"] == 0
    assert development.loc["furniture_surviving", "value"] <= 0.03
    assert development.loc["story_removed", "value"] <= 0.01


def test_development_pages_meet_the_speaker_target(development_pages):
    figures = evaluate_quotes(*development_pages, gold_name="devpages.json").validity.set_index("metric")
    assert figures.loc["speaker_right", "n"] == 56
    assert figures.loc["speaker_right", "value"] >= 0.9


def test_development_pages_meet_the_copy_family_target(development_pages):
    figures = evaluate_provenance(*development_pages, gold_name="devpages.json").validity.set_index("metric")
    assert figures.loc["pair_f1", "value"] >= 0.9
    assert figures.loc["pair_precision", "value"] >= 0.9  # common-source pairs are not reported as copies


def test_development_pages_meet_the_event_target(development_pages):
    figures = evaluate_events(*development_pages, gold_name="devpages.json").validity.set_index("metric")
    assert figures.loc["adjusted_rand", "n"] == 30
    assert figures.loc["adjusted_rand", "value"] >= 0.95
