"""`framing report` without running notebooks (analysis.run and analysis.suite): outputs, selection, parameters, fingerprints, pages.

The notebook runs themselves are in tests/test_notebooks.py.
"""

import json

import pandas as pd
import pytest

from analysis import paths, suite
from analysis import run as runs
from analysis.overview import article_lengths, coverage, removal_reasons, removals, repairs


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Putin said", "Putin said"),
        ("a=b", "a=b"),
    ],
)
def test_save_table_makes_formula_cells_safe(tmp_path, cell, written):
    path = runs.save_table(pd.DataFrame({"text": [cell], "n": [-3]}), tmp_path / "t")
    assert path.name == "t.csv"
    back = pd.read_csv(path, keep_default_na=False)
    assert back["text"].tolist() == [written]
    assert back["n"].tolist() == [-3]  # numbers stay numbers


def test_save_table_writes_lists_as_json_and_leaves_no_temporary_file(tmp_path):
    runs.save_table(pd.DataFrame({"removed": [[{"text": "Share", "reason": "share buttons"}]]}), tmp_path / "r.csv")
    assert json.loads(pd.read_csv(tmp_path / "r.csv")["removed"][0]) == [{"text": "Share", "reason": "share buttons"}]
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_select_articles_by_event_and_outlets(seeds):
    articles = seeds.reset_index(drop=True)
    talks = runs.select_articles(articles, event="2021-03-biden-putin-talks")
    assert sorted(talks["outlet"]) == ["Press TV", "TASS", "top-news.online"]
    two = runs.select_articles(articles, outlets="TASS, Press TV")
    assert sorted(two["outlet"]) == ["Press TV", "TASS"]
    assert len(runs.select_articles(articles)) == 5
    with pytest.raises(runs.ReportError, match=r"event='nope' is not in the corpus; events: \['2021-01"):
        runs.select_articles(articles, event="nope")
    with pytest.raises(runs.ReportError, match=r"outlets \['CNN'\] are not in the corpus"):
        runs.select_articles(articles, outlets="CNN")


def test_discover_notebooks_in_run_order_and_by_number(tmp_path):
    for name in ["02-b.ipynb", "01-a.ipynb", "explore.ipynb", "1-x.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in suite.discover_notebooks(folder=tmp_path)] == ["01-a.ipynb", "02-b.ipynb"]
    assert [p.name for p in suite.discover_notebooks("02", folder=tmp_path)] == ["02-b.ipynb"]
    with pytest.raises(runs.ReportError, match=r"no notebook \['07'\]"):
        suite.discover_notebooks("01,07", folder=tmp_path)


def test_params_file(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("event: 2021-03-biden-putin-talks\noutlets: [TASS, RT]\n")
    assert suite.read_params_file(good) == {"event": "2021-03-biden-putin-talks", "outlets": ["TASS", "RT"]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(runs.ReportError, match="expected a mapping"):
        suite.read_params_file(bad)
    nested = tmp_path / "nested.yaml"
    nested.write_text("event: {a: 1}\n")
    with pytest.raises(runs.ReportError, match="'event' must be text"):
        suite.read_params_file(nested)
    with pytest.raises(runs.ReportError, match="no such file"):
        suite.read_params_file(tmp_path / "missing.yaml")


def test_corpus_fingerprint_follows_the_bytes(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "manifest.csv").write_text("file,outlet,published\na.txt,TASS,2021-01-01\n")
    (folder / "a.txt").write_text("text one")
    first = paths.corpus_fingerprint(folder)
    (folder / ".hidden").write_text("editor state")
    assert paths.corpus_fingerprint(folder) == first
    (folder / "a.txt").write_text("text two")
    assert paths.corpus_fingerprint(folder) != first
    assert paths.corpus_fingerprint("seeds") == paths.corpus_fingerprint(paths.SEEDS)


def test_run_fingerprint_changes_with_each_input():
    base = suite.run_fingerprint("c", "l", {"event": "all"}, ["01"])
    assert base == suite.run_fingerprint("c", "l", {"event": "all"}, ["01"])
    others = [
        suite.run_fingerprint("c2", "l", {"event": "all"}, ["01"]),
        suite.run_fingerprint("c", "l2", {"event": "all"}, ["01"]),
        suite.run_fingerprint("c", "l", {"event": "e"}, ["01"]),
        suite.run_fingerprint("c", "l", {"event": "all"}, ["01", "02"]),
    ]
    assert base not in others and len(set(others)) == 4


def test_runs_index_escapes_everything_and_finds_the_last_success(tmp_path):
    for name, status, started in [("r1", "ok", "2026-01-01T00:00:00"), ("r2", "failed", "2026-01-02T00:00:00")]:
        (tmp_path / name).mkdir()
        run = {
            "started": started,
            "status": status,
            "parameters": {"corpus": "<script>alert(1)</script>", "event": "all"},
            "notebooks": [{"notebook": "01-x", "status": status}],
        }
        (tmp_path / name / "run.json").write_text(json.dumps(run))
    page = suite.write_runs_index(tmp_path).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index("r2/index.html") < page.index("r1/index.html")  # newest first
    assert suite.last_successful_run(tmp_path)["folder"] == "r1"


def test_open_run_resolves_the_output_folder_and_prefixes_names(tmp_path):
    run = runs.open_run("seeds", event="2021-01-kremlin-dialogue-offer", output_dir=tmp_path, formats="svg", prefix="09")
    assert sorted(run.articles["outlet"]) == ["WCE News", "twournal.com"]
    assert len(run.corpus_articles) == 5
    path = run.save_table(pd.DataFrame({"a": [1]}), "counts")
    assert path == tmp_path / "tables" / "09-counts.csv"
    with pytest.raises(ValueError, match="letters, digits"):
        run.save_table(pd.DataFrame(), "../escape")
    assert "2 article(s)" in run.sample_note() and "not a population" in run.sample_note()
    with pytest.raises(runs.ReportError, match="formats"):
        runs.open_run("seeds", output_dir=tmp_path, formats="gif")


def test_overview_tables_on_the_seeds(seeds):
    articles = seeds.reset_index(drop=True)
    per_outlet = coverage(articles, by=["outlet"])
    assert per_outlet["n_articles"].sum() == 5 and per_outlet["n_tokens"].sum() == articles["n_tokens"].sum()
    lengths = article_lengths(articles)
    assert (lengths["raw_words"] > lengths["n_tokens"]).all()  # every seed page carried furniture
    removed = removals(articles)
    assert len(removed) == articles["removed"].map(len).sum()
    assert "Share this on" in removed.loc[removed["outlet"] == "WCE News", "text"].tolist()
    reasons = removal_reasons(articles)
    assert reasons["words"].sum() == removed["words"].sum()
    assert reasons["words"].is_monotonic_decreasing
    assert (reasons["share_of_raw_words"] == reasons["words"] / lengths["raw_words"].sum()).all()
    assert ((reasons["ci_low"] < reasons["share_of_raw_words"]) & (reasons["share_of_raw_words"] < reasons["ci_high"])).all()
    fixed = repairs(articles)
    assert {"original": "oddsover", "repaired": "odds over"}.items() <= fixed.iloc[0].to_dict().items()


def test_the_runs_index_never_replaces_a_page_framing_did_not_write(tmp_path):
    (tmp_path / "index.html").write_text("<p>my own page</p>", encoding="utf-8")
    assert suite.write_runs_index(tmp_path) is None
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "<p>my own page</p>"
    (tmp_path / "index.html").unlink()
    page = suite.write_runs_index(tmp_path)
    assert page is not None and suite.GENERATOR in page.read_text(encoding="utf-8")
    assert suite.write_runs_index(tmp_path) == page  # its own page it may replace


@pytest.mark.parametrize("setup", ["file", "foreign files", "a run"])
def test_out_must_be_a_new_or_empty_folder(tmp_path, setup):
    out = tmp_path / "out"
    if setup == "file":
        out.write_text("mine", encoding="utf-8")
    else:
        out.mkdir()
        (out / ("run.json" if setup == "a run" else "notes.txt")).write_text("{}", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(suite.ReportError, match=r"is a file|holds files framing did not write|already holds a run"):
        suite.run_report(out=out, notebooks="01", progress=None)
    assert {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing written beside it either


def test_pages_are_titled_by_corpus_and_time():
    run = {"parameters": {"corpus": "/data/raw/my-corpus"}, "started": "2026-12-01T23:10:44+00:00"}
    assert suite.run_title(run) == "framing report: my-corpus, 2026-12-01 23:10 UTC"


def test_a_killed_report_leaves_no_process_holding_the_callers_output(tmp_path):
    """SIGKILL ``framing report`` mid-run: every worker and kernel must go, so the caller's pipe closes."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    framing = Path(sys.executable).parent / "framing"
    command = [str(framing), "report", "--out", str(tmp_path / "run"), "--notebooks", "01,02", "--jobs", "2", "--formats", "png"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout.readline().startswith(b"running 2 notebook(s)")  # the workers are starting
    time.sleep(3)
    process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    process.stdout.read()  # returns once no process holds the pipe open
    assert time.monotonic() - killed < 30
    process.wait()


def test_a_corpus_without_an_event_column_gets_inferred_events_renamed_by_its_events_file(seeds, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in paths.SEEDS.glob("*.txt"):
        (folder / path.name).write_bytes(path.read_bytes())
    manifest = pd.read_csv(paths.SEEDS / "manifest.csv").drop(columns=["event"])
    manifest.to_csv(folder / "manifest.csv", index=False)
    run = runs.open_run(str(folder), output_dir=tmp_path / "out", formats="svg")
    assert set(run.articles["event_source"]) == {"inferred"} and run.articles["event"].notna().all()
    by_id = run.articles.set_index(run.articles["id"].astype(str))["event"]
    assert by_id["003_f2869a96b21043eb"] == by_id["004_6e0b644c5aa9bc29"]
    (folder / "events.yaml").write_text(f"events:\n  {by_id['003_f2869a96b21043eb']}: Dialogue offer\n", encoding="utf-8")
    renamed = runs.open_run(str(folder), event="Dialogue offer", output_dir=tmp_path / "out", formats="svg")
    assert sorted(renamed.articles["outlet"]) == ["WCE News", "twournal.com"]
    assert runs.with_events(seeds) is seeds  # every seed carries the manifest's event: nothing inferred


def test_the_report_passes_its_notebooks_to_the_progress_bar(tmp_path):
    seen, lines = [], []

    def bar(items, *, desc, total=None):
        seen.append((desc, total))
        return items

    result = suite.run_report(notebooks=["01"], out=tmp_path / "run", progress=lines.append, bar=bar)
    assert result.status == "ok" and seen == [("notebooks", 1)]
    assert lines[-1].startswith("[1/1] 01-corpus-overview: ok")
