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
