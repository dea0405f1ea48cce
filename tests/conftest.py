"""Shared fixtures: the seed corpus is loaded once per test session."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.corpus import read_corpus

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def seeds() -> pd.DataFrame:
    articles, problems = read_corpus()
    assert problems == []
    return articles.set_index("id", drop=False)


@pytest.fixture(scope="session")
def malformed():
    return read_corpus(FIXTURES / "malformed")


ECONOMIC = [
    "Prices of {} rose by a billion in costs.",
    "The economy lost jobs as {} exports fell.",
    "Trade in {} cost the budget.",
]
CONFLICT = [
    "The minister accused rivals over {}.",
    "Officials rejected and condemned the {} claims.",
    "Both sides clashed on {}.",
]
PLAIN = ["The meeting on {} took place on Tuesday.", "A report about {} was published.", "Delegates arrived to discuss {}."]
TOPICS = ["grain", "gas", "steel", "wheat", "oil", "timber", "copper", "coal", "cotton", "fish", "rice", "wool"]


@pytest.fixture(scope="session")
def frames_annotations(tmp_path_factory) -> Path:
    """An annotation file: two coders code planted economic, conflict and plain paragraphs
    (codebook generic_frames); on every 17th unit the second coder says morality instead."""
    from analysis.coding import AnnotationLog, load_codebook

    path = tmp_path_factory.mktemp("coding") / "annotations.csv"
    codebook = load_codebook("generic_frames")
    logs = {coder: AnnotationLog(path, codebook=codebook, coder=coder) for coder in ("ana", "ben")}
    i = 0
    for topic in TOPICS:
        for templates, codes in ((ECONOMIC, ["economic_consequences"]), (CONFLICT, ["conflict"]), (PLAIN, [])):
            for template in templates:
                i += 1
                unit = {"unit_id": f"a{i}:0-9", "article_id": f"a{i}", "start": 0, "end": 9, "text": template.format(topic)}
                logs["ana"].record(unit, codes)
                logs["ben"].record(unit, codes if i % 17 else ["morality"])
    return path
