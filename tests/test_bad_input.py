"""Malformed and hostile input of every kind a user hits: one clear line, the right exit code,
the good articles still loaded, and not one input byte changed.

Each case builds its own input under ``tmp_path`` (a copy of the seeds, a table, a profile
file), runs one ``framing`` command in-process and checks what the user would see.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.cli import main

BODY = (
    "Moscow said on Tuesday that the talks with Washington had been useful and that both sides "
    "agreed to meet again next month to discuss arms control and the future of the treaty. "
)


def _seeds(root: Path) -> Path:
    folder = root / "corpus"
    shutil.copytree(paths.SEEDS, folder)
    return folder


def _edit_manifest(folder: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    manifest = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)
    edit(manifest).to_csv(folder / "manifest.csv", index=False)


def _table_rows(n: int = 4) -> list[dict]:
    # Different bodies, so that no row is a duplicate of another.
    return [
        {"id": f"a{i}", "outlet": "TASS", "published": f"2021-03-0{i + 1}", "text": f"Report number {i}. " + BODY * 3}
        for i in range(n)
    ]


def _write_jsonl(path: Path, rows: list[dict], *, cp1252_row: int | None = None) -> Path:
    with path.open("wb") as handle:
        for i, row in enumerate(rows):
            line = json.dumps(row, ensure_ascii=False)
            handle.write(line.encode("cp1252" if i == cp1252_row else "utf-8") + b"\n")
    return path


@dataclass
class Case:
    """``make(tmp_path)`` returns the command line; the rest is what the user must see."""

    name: str
    make: Callable[[Path], list[str]]
    code: int
    says: str
    loads: int | None = None  # articles `framing corpus` still loads from the same input


def _outlets_file(content: bytes) -> Callable[[Path], list[str]]:
    def make(root: Path) -> list[str]:
        folder = _seeds(root)
        (folder / "outlets.yaml").write_bytes(content)
        return ["corpus", str(folder)]

    return make


def _actors_file(content: bytes) -> Callable[[Path], list[str]]:
    def make(root: Path) -> list[str]:
        (root / "actors.yaml").write_bytes(content)
        return ["quotes", "--actors", str(root / "actors.yaml")]

    return make


def _lexicon_binary(root: Path) -> list[str]:
    (root / "lexicon.csv").write_bytes(bytes(range(128, 256)) * 4)
    return ["loaded", "--lexicon", str(root / "lexicon.csv")]


def _store_marker(root: Path) -> list[str]:
    store = root / "store"
    assert main(["ingest", "--to", str(store)]) == 0
    (store / "_framing.json").write_text("{not json", encoding="utf-8")
    return ["corpus", str(store)]


def _deep_query(root: Path) -> list[str]:
    return ["corpus", "--query", "(" * 10_000 + "putin" + ")" * 10_000]


def _report_out_is_a_file(root: Path) -> list[str]:
    (root / "afile").write_text("mine", encoding="utf-8")
    return ["report", "--out", str(root / "afile"), "--notebooks", "01"]


def _report_out_holds_files(root: Path) -> list[str]:
    (root / "mine").mkdir()
    (root / "mine" / "index.html").write_text("my page", encoding="utf-8")
    return ["report", "--out", str(root / "mine"), "--notebooks", "01"]


def _mixed_types_jsonl(root: Path) -> list[str]:
    rows = [row | {"shares": i if i % 2 else f"{i} shares", "tags": ["a", i]} for i, row in enumerate(_table_rows())]
    return ["corpus", "--json", str(_write_jsonl(root / "mixed.jsonl", rows))]


def _bytes_parquet(root: Path) -> list[str]:
    table = pd.DataFrame(_table_rows()).assign(blob=[b"\x00\x01", b"ok", b"\xff", b"x"])
    table.to_parquet(root / "bytes.parquet")
    return ["corpus", "--json", str(root / "bytes.parquet")]


def _own_body_column(root: Path) -> list[str]:
    folder = _seeds(root)
    _edit_manifest(folder, lambda m: m.assign(body="x", source="y", n_tokens="z"))
    return ["validate", str(folder)]


def _ragged_row(root: Path) -> list[str]:
    folder = _seeds(root)
    with (folder / "manifest.csv").open("a", encoding="utf-8") as handle:
        handle.write("000_17a576a99f91630e.txt,TASS,u,2021-01-01,e,en,one too many,two\n")
    return ["validate", str(folder)]


def _cp1252_line(root: Path) -> list[str]:
    rows = _table_rows()
    rows[2]["text"] = "Le café was closed. " + rows[2]["text"]
    return ["validate", str(_write_jsonl(root / "cp.jsonl", rows, cp1252_row=2))]


def _empty_outlet(root: Path) -> list[str]:
    folder = _seeds(root)
    _edit_manifest(folder, lambda m: m.assign(outlet=["", *m["outlet"][1:]], url=["", *m["url"][1:]]))
    return ["validate", str(folder)]


def _implausible_dates(root: Path) -> list[str]:
    folder = _seeds(root)
    _edit_manifest(folder, lambda m: m.assign(published=["0001-01-01", "1066-10-14", "2099-01-01", "9999-12-31", "2021-03-22"]))
    return ["validate", str(folder)]


def _empty_manifest(root: Path) -> list[str]:
    folder = _seeds(root)
    _edit_manifest(folder, lambda m: m.iloc[:0])
    return ["validate", str(folder)]


CASES = [
    Case("outlets.yaml with wrong types", _outlets_file(b"- name: Mine\n  aliases: 7\n"), 1, "'aliases' must be a list of text"),
    Case("outlets.yaml without a name", _outlets_file(b"- name: 5\n"), 1, "every profile needs a 'name'"),
    Case("binary outlets.yaml", _outlets_file(bytes(range(256)) * 2), 1, "not a text file"),
    Case("outlets.yaml that is not YAML", _outlets_file(b"- name: [unclosed\n"), 1, "not valid YAML at line 2"),
    Case("binary actors file", _actors_file(bytes(range(128, 256)) * 3), 2, "not a text file"),
    Case(
        "actors file with wrong types",
        _actors_file(b"actors:\n - {name: X, kind: person, affiliation: y, pronoun: he}\nlabel_words: 5\n"),
        2,
        "'label_words' must map",
    ),
    Case("binary CSV lexicon", _lexicon_binary, 2, "not a text file"),
    Case("corrupt store marker", _store_marker, 1, "_framing.json: not valid JSON"),
    Case("query nested 10,000 deep", _deep_query, 2, "nested more than"),
    Case("--out is an existing file", _report_out_is_a_file, 2, "is a file"),
    Case("--out holds the user's files", _report_out_holds_files, 2, "holds files framing did not write"),
    Case("JSONL metadata that changes type", _mixed_types_jsonl, 0, "", loads=4),
    Case("Parquet metadata holding bytes", _bytes_parquet, 0, "", loads=4),
    Case("manifest with its own body column", _own_body_column, 0, "kept as 'meta_body'", loads=5),
    Case("one ragged manifest row", _ragged_row, 1, "8 cells where the header has 6; row skipped", loads=5),
    Case("one cp1252 line in a JSONL", _cp1252_line, 0, "decoded as cp1252", loads=4),
    Case("an article with no outlet", _empty_outlet, 1, "no outlet", loads=4),
    Case("implausible dates", _implausible_dates, 0, "is before 1900 or in the future", loads=5),
    Case("a manifest with no rows", _empty_manifest, 1, "no articles"),
]


def _file_digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_message_and_the_right_exit_code(case, tmp_path, capsys):
    argv = case.make(tmp_path)
    capsys.readouterr()
    before = _file_digests(tmp_path)
    assert main(argv) == case.code
    captured = capsys.readouterr()
    said = captured.err + captured.out
    assert case.says in said
    assert "Traceback" not in said and "unexpected" not in said
    if argv[0] != "validate" and (case.code == 2 or (case.code == 1 and case.loads is None)):
        # A refusal is one line naming the file or option (a query's adds the caret under the problem).
        lines = captured.err.strip().splitlines()
        assert len(lines) == (3 if argv[1:2] == ["--query"] else 1) and all(len(line) < 400 for line in lines), lines
    if case.loads is not None:
        assert main(["corpus", "--json", *[a for a in argv[1:] if a != "--json"]]) == 0
        assert len(json.loads(capsys.readouterr().out)) == case.loads
    assert _file_digests(tmp_path) == before  # nothing the user supplied was changed


def test_metadata_is_text_and_never_replaces_what_the_loader_computes(tmp_path, capsys):
    folder = _seeds(tmp_path)
    _edit_manifest(folder, lambda m: m.assign(body="x", headline="A headline column", shares=[1, 2, 3, 4, 5]))
    assert main(["corpus", "--json", str(folder)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(len(r["body"]) > 500 and r["meta_body"] == "x" for r in rows)
    assert {r["headline"] for r in rows} == {"A headline column"}  # a headline column is the title
    assert sorted(r["shares"] for r in rows) == ["1", "2", "3", "4", "5"]


def test_implausible_dates_never_open_unbounded_periods(tmp_path, capsys):
    folder = _seeds(tmp_path)
    _edit_manifest(folder, lambda m: m.assign(published=["0001-01-01", "2021-03-22", "2021-03-23", "9999-12-31", "2021-03-29"]))
    assert main(["attention", str(folder), "--query", "talks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    periods = sorted({r["period"] for r in rows})
    assert periods == ["0001-01-01", "2021-03-22", "2021-03-29", "9999-12-27"]


def test_validate_groups_warnings_by_kind_and_exits_0_on_warnings(tmp_path, capsys):
    rows = [row | {"text": BODY * 4 + f"Item {i}."} for i, row in enumerate(_table_rows(7))]  # all near-duplicates
    pd.DataFrame(rows).to_csv(tmp_path / "copies.csv", index=False)
    assert main(["validate", str(tmp_path / "copies.csv")]) == 0
    out = capsys.readouterr().out
    assert "warning: near-duplicate of … (21)" in out  # 7 articles, 21 pairs, one kind
    assert "… and 18 more (--all lists every problem)" in out
    assert out.count("near-duplicate of") == 4  # the kind line and its first three
    assert main(["validate", str(tmp_path / "copies.csv"), "--all"]) == 0
    assert capsys.readouterr().out.count("near-duplicate of") == 21


def test_outlet_suggestions_only_for_close_names_and_table_corpora_take_profiles(tmp_path, capsys):
    rows = [row | {"outlet": name} for row, name in zip(_table_rows(3), ["BBC News", "Reuter", "Mine Daily"], strict=True)]
    pd.DataFrame(rows).to_csv(tmp_path / "mine.csv", index=False)
    main(["validate", "--all", str(tmp_path / "mine.csv")])
    out = capsys.readouterr().out
    assert "Did you mean 'Reuters'?" in out and "WCE News" not in out
    assert "pass that with --outlets FILE" in out
    (tmp_path / "outlets.yaml").write_text("- name: Mine Daily\n  country: NZ\n", encoding="utf-8")
    assert main(["corpus", "--json", "--outlets", str(tmp_path / "outlets.yaml"), str(tmp_path / "mine.csv")]) == 0
    mine = next(r for r in json.loads(capsys.readouterr().out) if r["outlet"] == "Mine Daily")
    assert mine["country"] == "NZ"


def test_tables_fit_the_terminal_and_print_as_csv(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    for command in ("quotes", "loaded", "keyness", "corpus", "events"):
        assert main([command]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) > 3 and max(len(line) for line in lines) <= 80, command  # tables and the notes under them
    assert main(["quotes", "--wide"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) > 80
    assert main(["loaded", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {"group", "category", "voice", "rate_per_1000", "ci_low"} <= set(rows[0])


def test_json_and_csv_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["loaded", "--csv", "--json"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
