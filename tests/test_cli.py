"""The framing command as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_corpus_table_defaults_to_the_seeds(capsys):
    assert main(["corpus"]) == 0
    out = capsys.readouterr().out
    assert "002_3e3933a9d7f1d525" in out and "Press TV" in out and "removed_count" in out
    assert "not a population" in out


def test_corpus_json_records_include_the_body(capsys):
    assert main(["corpus", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    tass = next(r for r in rows if r["outlet"] == "TASS")
    assert tass["published"] == "2021-03-31"
    assert tass["body"].startswith("A total of 27")
    assert tass["removed"] == [{"text": "All news", "reason": "site furniture (TASS profile)"}]


def test_validate_exit_codes(capsys):
    assert main(["validate"]) == 0
    assert "No problems found" in capsys.readouterr().out
    assert main(["validate", str(FIXTURES / "malformed")]) == 1
    out = capsys.readouterr().out
    assert "leaves the corpus folder" in out and "Traceback" not in out


def test_validate_json(capsys):
    assert main(["validate", str(FIXTURES / "malformed"), "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {"source", "message", "hint", "severity", "line", "field", "article_id"} <= set(rows[0])


def test_loading_a_corpus_with_problems_names_the_skipped(capsys):
    assert main(["corpus", str(FIXTURES / "malformed")]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "binary.txt" in captured.err
    assert "good" in captured.out


def test_missing_corpus_is_a_usage_error(capsys):
    assert main(["corpus", "no/such/folder"]) == 2
    assert "not found" in capsys.readouterr().err


def test_console_entry_point_runs():
    framing = Path(sys.executable).parent / "framing"
    if not framing.exists():
        pytest.skip("package not installed in this environment")
    done = subprocess.run([str(framing), "corpus", "--json"], capture_output=True, text=True, check=True)
    assert len(json.loads(done.stdout)) == 5


@pytest.mark.parametrize(
    "command",
    [
        ["corpus"],
        ["loaded"],
        ["tone"],
        ["terms"],
        ["keyness"],
        ["attention", "--query", "talks"],
        ["trends"],
        ["events"],
        ["quotes"],
        ["actors"],
        ["provenance"],
        ["topics", "-k", "3"],
    ],
    ids=lambda c: c[0],
)
def test_every_charted_command_saves_its_figure_and_caption(command, tmp_path, capsys):
    import struct

    assert main([*command, "--chart", str(tmp_path / "figure.png")]) == 0
    png = (tmp_path / "figure.png").read_bytes()
    assert png.startswith(b"\x89PNG") and struct.unpack(">I", png[16:20])[0] >= 900  # 300 dpi, a column or two wide
    caption = (tmp_path / "figure.txt").read_text(encoding="utf-8")
    assert "not a population" in caption and len(caption) > 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png", "figure.txt"]  # only the format asked for
    assert f"wrote {tmp_path / 'figure.png'}" in capsys.readouterr().err


def test_a_chart_with_an_unknown_suffix_is_a_usage_error(tmp_path, capsys):
    assert main(["tone", "--chart", str(tmp_path / "figure.gif")]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("command", "terminal", "shown"),
    [
        (["validate"], True, True),
        (["events"], True, True),
        (["provenance"], True, True),
        (["validate"], False, False),  # piped
        (["events", "--json"], True, False),
        (["provenance", "--csv"], True, False),
    ],
)
def test_long_work_shows_progress_only_on_a_terminal(capsys, monkeypatch, command, terminal, shown):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    main([*command, "--no-cache"])  # a cached corpus is not cleaned, so shows no cleaning
    err = capsys.readouterr().err
    assert ("cleaning" in err) is shown, err
    if shown and command[0] != "validate":
        assert {"events": "clustering", "provenance": "aligning pairs"}[command[0]] in err


def test_read_corpus_passes_each_loop_to_progress():
    from analysis.corpus import read_corpus

    seen = []

    def progress(items, *, desc, total=None):
        seen.append((desc, total))
        return items

    read_corpus(progress=progress)
    assert seen == [("reading", 5), ("cleaning", 5), ("repairing words", 5)]
