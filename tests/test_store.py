"""The Parquet corpus store: round trip, incremental ingest, and crashes that change nothing."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import ingest as ingesting
from analysis import store
from analysis.cli import main
from analysis.corpus import load_corpus, read_corpus
from analysis.paths import SEEDS


def _without_attrs(articles: pd.DataFrame) -> pd.DataFrame:
    articles = articles.copy()
    articles.attrs = {}
    return articles


def _subset(folder: Path, ids: list[str]) -> Path:
    """A corpus folder with some of the seed articles (copied; seeds/ is never written)."""
    folder.mkdir()
    manifest = pd.read_csv(SEEDS / "manifest.csv", dtype=str, keep_default_na=False)
    manifest = manifest[manifest["file"].str[:-4].isin(ids)]
    manifest.to_csv(folder / "manifest.csv", index=False)
    for name in manifest["file"]:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ingesting.LOCK
    }


FIRST_THREE = ["000_17a576a99f91630e", "001_1c81a1ac3e2b06c4", "002_3e3933a9d7f1d525"]


def test_round_trip_equals_the_loader_on_the_seeds(tmp_path, seeds):
    result = ingesting.ingest(None, tmp_path / "store")
    assert (result.added, result.duplicates, result.id_conflicts) == (5, 0, [])
    # partitioned by outlet and month, Hive style, with escaped outlet names
    assert sorted(result.files)[0].startswith("outlet=Press%20TV/month=2021-03/part-")
    stored = store.read_store(tmp_path / "store")
    pd.testing.assert_frame_equal(stored, _without_attrs(load_corpus()))
    # the lists of removals and repairs come back as lists of dicts
    wce = stored.set_index("id").loc["004_6e0b644c5aa9bc29"]
    assert {"original": "oddsover", "repaired": "odds over", "reason": "glued words"} in wce["repairs"]
    assert wce["removed"] == seeds.loc["004_6e0b644c5aa9bc29", "removed"]


def test_every_command_reads_a_store_as_corpus(tmp_path, capsys):
    assert main(["ingest", "--to", str(tmp_path / "store")]) == 0
    assert "5 article(s) added" in capsys.readouterr().out
    articles, problems = read_corpus(tmp_path / "store")
    assert problems == [] and len(articles) == 5
    assert main(["corpus", str(tmp_path / "store"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["outlet"] for r in rows} == {"TASS", "top-news.online", "Press TV", "twournal.com", "WCE News"}


def test_ingesting_again_adds_nothing_and_rewrites_nothing(tmp_path):
    root = tmp_path / "store"
    ingesting.ingest(None, root)
    before = _snapshot(root)
    result = ingesting.ingest(None, root)
    assert (result.added, result.duplicates, result.files) == (0, 5, [])
    after = _snapshot(root)
    assert {k: v for k, v in after.items() if k != store.MARKER} == {k: v for k, v in before.items() if k != store.MARKER}
    assert [i["added"] for i in store.read_manifest(root)["ingests"]] == [5, 0]


def test_new_articles_go_into_new_files_beside_the_old_ones(tmp_path):
    root = tmp_path / "store"
    first = ingesting.ingest(_subset(tmp_path / "part", FIRST_THREE), root)
    old_files = {path: (root / path).read_bytes() for path in first.files}
    second = ingesting.ingest(None, root)  # all five seeds
    assert (second.added, second.duplicates) == (2, 3)
    assert set(second.files).isdisjoint(old_files)
    assert all((root / path).read_bytes() == data for path, data in old_files.items())
    stored = store.read_store(root)
    assert sorted(stored["id"]) == sorted(load_corpus()["id"])
    assert stored["hash"].is_unique
    # the three first articles keep the source they were first ingested from
    assert stored.set_index("id").loc[FIRST_THREE, "source"].str.contains(str(tmp_path / "part")).all()


def test_an_id_already_stored_with_another_body_is_skipped(tmp_path):
    root = tmp_path / "store"
    ingesting.ingest(None, root)
    edited = _subset(tmp_path / "edited", FIRST_THREE[:1])
    (edited / f"{FIRST_THREE[0]}.txt").write_text(
        (SEEDS / f"{FIRST_THREE[0]}.txt").read_text(encoding="utf-8") + "\n\nA correction was added later.\n", encoding="utf-8"
    )
    result = ingesting.ingest(edited, root)
    assert (result.added, result.duplicates, result.id_conflicts) == (0, 0, [FIRST_THREE[0]])
    assert len(store.read_store(root)) == 5


def test_a_crash_while_writing_partitions_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    root = tmp_path / "store"
    ingesting.ingest(_subset(tmp_path / "part", FIRST_THREE), root)
    before_files, before_articles = _snapshot(root), store.read_store(root)
    real_write = store.write_partition
    calls = []

    def crash_after_first(table, path):
        calls.append(path)
        if len(calls) > 1:
            raise OSError("disk full (simulated)")
        real_write(table, path)

    monkeypatch.setattr(ingesting, "write_partition", crash_after_first)
    with pytest.raises(OSError, match="simulated"):
        ingesting.ingest(None, root)
    assert len(calls) == 2
    assert _snapshot(root) == before_files  # no stray file, same manifest
    pd.testing.assert_frame_equal(store.read_store(root), before_articles)
    monkeypatch.undo()
    assert ingesting.ingest(None, root).added == 2


def test_a_crash_before_the_manifest_is_replaced_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    root = tmp_path / "store"
    ingesting.ingest(_subset(tmp_path / "part", FIRST_THREE), root)
    before = _snapshot(root)

    def fail(*_args):
        raise KeyboardInterrupt  # the user pressed Ctrl-C after the files were moved in place

    monkeypatch.setattr(ingesting, "write_manifest", fail)
    with pytest.raises(KeyboardInterrupt):
        ingesting.ingest(None, root)
    assert _snapshot(root) == before


def test_files_of_a_killed_ingest_are_ignored_and_then_removed(tmp_path):
    root = tmp_path / "store"
    ingesting.ingest(_subset(tmp_path / "part", FIRST_THREE), root)
    # what `kill -9` between moving files and replacing the manifest leaves behind
    orphan = root / "outlet=TASS/month=2021-03/part-killed.parquet"
    shutil.copy(next(root.glob("outlet=TASS/*/part-*.parquet")), orphan)
    (root / f"{ingesting.TEMP_PREFIX}killed").mkdir()
    assert len(store.read_store(root)) == 3
    assert ingesting.ingest(None, root).added == 2
    assert not orphan.exists() and not list(root.glob(f"{ingesting.TEMP_PREFIX}*"))


def test_metadata_columns_may_differ_between_ingests(tmp_path):
    root = tmp_path / "store"
    rows = [
        {
            "id": "a1",
            "outlet": "TASS",
            "published": "2024-05-02",
            "text": "Officials met in Geneva to discuss the grain deal. " * 6,
        },
        {
            "id": "b1",
            "outlet": "Press TV",
            "published": "2024-06-11",
            "text": "Protesters marched through Tehran on Friday again. " * 6,
        },
    ]
    pd.DataFrame(rows[:1]).assign(desk="world").to_csv(tmp_path / "one.csv", index=False)
    pd.DataFrame(rows[1:]).to_csv(tmp_path / "two.csv", index=False)
    ingesting.ingest(tmp_path / "one.csv", root)
    ingesting.ingest(tmp_path / "two.csv", root)
    stored = store.read_store(root).set_index("id")
    assert stored.loc["a1", "desk"] == "world" and pd.isna(stored.loc["b1", "desk"])
    assert stored.loc["b1", "published"] == pd.Timestamp("2024-06-11")
    assert store.store_summary(root)[["outlet", "month", "articles"]].values.tolist() == [
        ["Press TV", "2024-06", 1],
        ["TASS", "2024-05", 1],
    ]


@pytest.mark.parametrize("target", ["seeds", "inside-corpus", "not-a-store"])
def test_refuses_to_write_where_it_must_not(tmp_path, target):
    corpus = _subset(tmp_path / "corpus", FIRST_THREE)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    to = {"seeds": SEEDS / "store", "inside-corpus": corpus / "store", "not-a-store": tmp_path / "other"}[target]
    with pytest.raises(store.StoreError, match="choose"):
        ingesting.ingest(corpus, to)
    assert not (SEEDS / "store").exists() and not (corpus / "store").exists()


def test_cli_reports_a_refused_target_as_a_usage_error(capsys):
    assert main(["ingest", "--to", str(SEEDS / "store")]) == 2
    assert "never written" in capsys.readouterr().err
