"""The loader's output is unchanged by speed work: every column of every article, and every problem.

The references in ``tests/fixtures/clean_reference/`` were written by this file, run as a script,
with the loader as it was before cleaning was made faster (commit 2fd5697, issue 20 item 2)::

    PYTHONPATH=. python tests/test_clean_speed_equivalence.py --write

Regenerate them only when a change to cleaning is meant to change its output, and say so in the
commit. The corpora: the seeds, every fixture corpus folder, the seeds repeated as a table, a
table of synthetic articles, and pages shuffled from the seed pages' lines (chrome included) so
that site furniture repeated across an outlet's pages, chrome patterns and glued words are all met.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis.corpus import read_corpus
from analysis.paths import SEEDS

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = FIXTURES / "clean_reference"
FOLDERS = {"seeds": SEEDS, "gold": FIXTURES / "gold", "malformed": FIXTURES / "malformed", "reuse": FIXTURES / "reuse"}
BUILT = ("seeds_repeated", "synthetic", "shuffled_pages")


def _seed_pages() -> pd.DataFrame:
    manifest = pd.read_csv(SEEDS / "manifest.csv", dtype=str, keep_default_na=False)
    return manifest.assign(text=[(SEEDS / name).read_text(encoding="utf-8") for name in manifest["file"]])


def _seeds_repeated(folder: Path) -> Path:
    """The seed pages three times over as a CSV table (copies are reported as duplicates)."""
    pages = _seed_pages()
    table = pd.concat([pages.assign(id=f"copy{n}-" + pages["file"].str[:3]) for n in range(3)], ignore_index=True)
    path = folder / "seeds_repeated.csv"
    table[["id", "outlet", "url", "published", "event", "text"]].to_csv(path, index=False)
    return path


def _synthetic(folder: Path) -> Path:
    """60 synthetic articles (seed sentences shuffled, fixed seed) as a CSV table."""
    from analysis.synthetic import as_source_table, synthetic_articles

    path = folder / "synthetic.csv"
    as_source_table(synthetic_articles(60, words_per_article=300, seed=7)).to_csv(path, index=False)
    return path


def _shuffled_pages(folder: Path) -> Path:
    """40 pages made of the seed pages' lines, furniture and all: each page keeps its outlet's first
    and last lines (the site's chrome) around a shuffled sample of every seed page's lines, with a few
    words glued together."""
    rng = random.Random(20)
    pages = _seed_pages()
    lines = [line for text in pages["text"] for line in text.splitlines() if line.strip()]
    rows = []
    for n in range(40):
        page = pages.iloc[n % len(pages)]
        own = page["text"].splitlines()
        middle = rng.sample(lines, 25)
        if n % 3 == 0:  # words run together as on a page whose line breaks were lost
            middle = [line.replace(" the ", "the ", 1).replace(" of ", "of", 1) for line in middle]
        body = "\n".join([*own[:6], *middle, *own[-6:]])
        rows.append(
            {
                "id": f"page{n:02d}",
                "outlet": page["outlet"],
                "url": page["url"].rstrip("/") + f"-{n}/",
                "published": page["published"],
                "title": "" if n % 2 else page["text"].strip().splitlines()[0],
                "text": body,
            }
        )
    path = folder / "shuffled_pages.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def corpus_path(name: str, folder: Path) -> Path:
    """The corpus called ``name``: a fixture folder, or a table built in ``folder``."""
    if name in FOLDERS:
        return FOLDERS[name]
    return {"seeds_repeated": _seeds_repeated, "synthetic": _synthetic, "shuffled_pages": _shuffled_pages}[name](folder)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def loader_output(path: Path, *, jobs: int = 1) -> dict[str, Any]:
    """Every column of every article (with the column order and dtypes) and every problem, as JSON values."""
    articles, problems = read_corpus(path, cache=False, jobs=jobs)
    source_root = str(path.parent if path.is_file() else path)
    output = {
        "columns": list(articles.columns),
        "dtypes": [str(t) for t in articles.dtypes],
        "rows": [{column: _plain(row[column]) for column in articles.columns} for _, row in articles.iterrows()],
        "problems": [_plain(vars(p)) for p in problems],
    }
    # paths are made relative so that the references do not depend on where the repository is
    text = json.dumps(output, ensure_ascii=False, sort_keys=True).replace(source_root, "<corpus>")
    return json.loads(text)


def _reference_file(name: str) -> Path:
    return REFERENCE / f"{name}.json.gz"


@pytest.mark.parametrize("name", [*FOLDERS, *BUILT])
def test_loader_output_equals_reference(name, tmp_path):
    _assert_reference(name, loader_output(corpus_path(name, tmp_path)))


@pytest.mark.parametrize("name", ["seeds", "synthetic", "shuffled_pages"])
def test_parallel_cleaning_equals_reference(name, tmp_path, monkeypatch):
    import analysis.corpus

    # two processes for any corpus, given a few articles at a time: chunks come back in order
    monkeypatch.setattr(analysis.corpus, "PARALLEL_CHARACTERS", 0)
    monkeypatch.setattr(analysis.corpus, "CLEANING_CHUNK", 3)
    _assert_reference(name, loader_output(corpus_path(name, tmp_path), jobs=2))


def _assert_reference(name: str, actual: dict[str, Any]) -> None:
    expected = json.loads(gzip.decompress(_reference_file(name).read_bytes()))
    assert actual["columns"] == expected["columns"]
    assert actual["dtypes"] == expected["dtypes"]
    assert actual["problems"] == expected["problems"]
    assert len(actual["rows"]) == len(expected["rows"])
    for got, want in zip(actual["rows"], expected["rows"], strict=True):
        for column in expected["columns"]:
            assert got[column] == want[column], f"{name}: article {want['id']!r}, column {column!r}"


def write_references() -> None:
    import tempfile

    REFERENCE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for name in [*FOLDERS, *BUILT]:
            output = loader_output(corpus_path(name, Path(folder)))
            data = json.dumps(output, ensure_ascii=False, sort_keys=True, indent=0).encode()
            _reference_file(name).write_bytes(gzip.compress(data, mtime=0))
            print(f"{name}: {len(output['rows'])} articles, {len(output['problems'])} problems")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {sys.argv[0]} --write   (writes {REFERENCE})")
    write_references()
