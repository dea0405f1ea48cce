"""The notebook suite end to end: every numbered notebook runs on the seeds under papermill.

The suite is run twice per test session (``--jobs 2``) by one fixture: the first run is
checked for status, HTML and run.json, the pair for byte-identical figures and tables.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import paths
from analysis import suite as runner
from analysis.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REQUIRED_PARAMETERS = {"corpus", "event", "outlets", "output_dir", "formats"}  # what every notebook reads
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="session")
def scratch():
    """A folder of this session's own: pytest's numbered temporary folders are pruned when
    other pytest sessions on the machine start, which can happen during these long runs."""
    with tempfile.TemporaryDirectory(prefix="framing-notebooks-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def suite(scratch):
    root = scratch / "reports"
    first = runner.run_report(out=root / "first", jobs=2, progress=None)
    second = runner.run_report(reports=root, jobs=2, progress=None)  # under a reports root: the runs index is updated
    return first, second


_DECIMAL = re.compile(r"(?<![\w.])-?(?:\d+\.\d*(?:e[-+]?\d+)?|\d+e[-+]?\d+)(?![\w.])")


def _digest(path: Path) -> str:
    """SHA-256 of a file; a CSV table's numbers first written to 9 significant digits, so that a
    last-bit difference of the host's maths library (log, exp) does not count as a change."""
    if path.suffix != ".csv":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    text = _DECIMAL.sub(lambda m: f"{float(m.group()):.9g}", path.read_text(encoding="utf-8"))
    return hashlib.sha256(text.encode()).hexdigest()


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _digest(p)
        for sub in ("figures", "tables")
        for p in sorted((folder / sub).rglob("*"))
        if p.is_file()
    }


def _headless_chromium(url: str, *flags: str, timeout: int) -> subprocess.CompletedProcess:
    """``chromium --headless --dump-dom url`` in a new empty profile, without background networking."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *flags,
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _console_messages(page: Path) -> list[str]:
    """Console lines (errors, uncaught exceptions, logs) of ``page`` in headless Chromium."""
    done = _headless_chromium(page.as_uri(), "--enable-logging=stderr", "--v=0", timeout=60)
    assert "<body" in done.stdout, f"Chromium rendered nothing for {page}: {done.stderr[-500:]}"
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_every_numbered_notebook_runs_on_the_seeds(suite):
    first, _ = suite
    expected = [p.stem for p in runner.discover_notebooks()]
    assert expected[0] == "01-corpus-overview"
    assert [n.notebook for n in first.notebooks] == expected
    assert first.status == "ok", first.message
    for result in first.notebooks:
        page = (first.folder / result.html).read_text()
        assert "runs.open_run(" not in page  # code is hidden
        assert "Traceback" not in page
        assert (first.folder / result.executed).is_file()


def test_run_json_records_parameters_versions_hash_and_each_notebook(suite):
    first, _ = suite
    run = json.loads((first.folder / "run.json").read_text())
    assert run["status"] == "ok"
    assert run["parameters"] | {"output_dir": None} == {
        "corpus": "seeds",
        "event": "all",
        "outlets": "all",
        "formats": "png,svg,pdf",
        "output_dir": None,
    }
    assert run["corpus_hash"] == paths.corpus_fingerprint("seeds")
    assert {"python", "pandas", "matplotlib", "papermill"} <= set(run["versions"])
    assert all(n["status"] == "ok" and n["seconds"] > 0 for n in run["notebooks"])
    assert run["notebooks"][0]["title"] == "01 · Corpus overview and cleaning audit"
    assert ">01 · Corpus overview and cleaning audit</a>" in (first.folder / "index.html").read_text()
    assert "<title>framing report: seeds, 20" in (first.folder / "index.html").read_text()
    second = suite[1]
    assert second.index == first.folder.parent / "index.html"
    runs_page = second.index.read_text()
    assert 'href="first/index.html"' in runs_page and f'href="{second.folder.name}/index.html"' in runs_page


def test_figures_come_with_every_format_and_a_caption(suite):
    first, _ = suite
    stems = {p.with_suffix("") for p in (first.folder / "figures").iterdir()}
    assert any(s.name.startswith("01-") for s in stems)
    for stem in stems:
        assert {p.suffix for p in stem.parent.glob(stem.name + ".*")} == {".png", ".svg", ".pdf", ".txt"}, stem
        assert stem.with_suffix(".txt").read_text().strip()


def test_two_runs_give_byte_identical_figures_and_tables(suite):
    first, second = suite
    assert second.status == "ok", second.message
    one, two = _digests(first.folder), _digests(second.folder)
    assert len(one) > 10
    assert one == two


def test_if_changed_skips_an_unchanged_run_and_runs_a_changed_one(suite, tmp_path):
    first, _ = suite
    skipped = runner.run_report(out=first.folder.parent / "third", if_changed=True, progress=None)
    assert skipped.status == "skipped" and skipped.folder is None
    assert not (first.folder.parent / "third").exists()
    changed = runner.run_report(
        out=first.folder.parent / "fourth", outlets="WCE News", notebooks="02", if_changed=True, progress=None
    )
    assert changed.status == "ok", changed.message  # one outlet: keyness, which compares groups, is skipped
    assert "the selection has one outlet only" in (changed.folder / "02-vocabulary.html").read_text()


def test_a_failing_notebook_is_kept_named_and_does_not_stop_the_others(tmp_path, monkeypatch, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(paths.NOTEBOOKS / "01-corpus-overview.ipynb", notebooks)
    shutil.copy(FIXTURES / "failing.ipynb", notebooks / "98-failing.ipynb")
    monkeypatch.setattr(paths, "NOTEBOOKS", notebooks)
    out = tmp_path / "runs" / "r"
    assert main(["report", "--out", str(out), "--jobs", "2"]) == 1
    captured = capsys.readouterr()
    assert "[2/2]" in captured.out
    assert re.search(
        r"98-failing: FAILED in cell 5 \('raise RuntimeError.*'\) with RuntimeError: deliberate failure", captured.err
    )
    run = json.loads((out / "run.json").read_text())
    assert {n["notebook"]: n["status"] for n in run["notebooks"]} == {"01-corpus-overview": "ok", "98-failing": "failed"}
    kept = nbformat.read(out / "notebooks" / "98-failing.ipynb", as_version=4)
    errors = [o for c in kept.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "RuntimeError"
    assert not (out / "tables" / "98-never-written.csv").exists()
    assert (out / "tables" / "01-removals.csv").exists()


def test_a_hung_cell_fails_its_notebook_after_the_timeout(tmp_path, monkeypatch):
    notebook = nbformat.read(FIXTURES / "failing.ipynb", as_version=4)
    notebook.cells[3].source = "import time\ntime.sleep(60)"
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(notebook, folder / "97-hangs.ipynb")
    monkeypatch.setattr(paths, "NOTEBOOKS", folder)
    result = runner.run_report(out=tmp_path / "runs" / "r", cell_timeout=3, progress=None)
    assert result.status == "failed"
    assert "97-hangs: FAILED" in result.message and "Timeout" in result.message
    assert result.notebooks[0].seconds < 30


def test_unknown_options_are_usage_errors(capsys, tmp_path):
    assert main(["report", "--notebooks", "77"]) == 2
    assert "no notebook ['77']" in capsys.readouterr().err
    params = tmp_path / "params.yaml"
    params.write_text("colour: red\n")
    assert main(["report", "--params", str(params)]) == 2
    assert "parameter(s) ['colour'] are declared by none of the notebooks" in capsys.readouterr().err
    assert main(["report", "--formats", "png,gif"]) == 2
    assert main(["report", "does/not/exist"]) == 2


@pytest.mark.parametrize("path", sorted(paths.NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_follow_the_conventions(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "commit notebooks without outputs"
    assert notebook.cells[0].cell_type == "markdown" and "?" in notebook.cells[0].source, "open with the question"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is notebook.cells[1], "one parameters cell, right after the question"
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    assert all(re.fullmatch(r"\w+: \w+ = .+  # .+", line) for line in lines), "typed literals with trailing comments"
    declared = runner.declared_parameters(path)
    assert REQUIRED_PARAMETERS <= set(declared), REQUIRED_PARAMETERS - set(declared)
    rest = "\n".join(c.source for c in code if c is not tagged[0])
    unused = [name for name in declared if not re.search(rf"\b{name}\b", rest)]
    assert not unused, f"declare only the parameters the notebook uses; unused: {unused}"


@pytest.fixture(scope="session")
def hostile_run(scratch):
    corpus = scratch / "hostile"
    corpus.mkdir()
    headline = '<script>console.error("framing-xss")</script> Talks resume'
    manifest = {"file": "a.txt", "outlet": "TASS", "published": "2021-01-05", "event": "e1", "title": headline}
    pd.DataFrame([manifest]).to_csv(corpus / "manifest.csv", index=False)
    body = (
        'Officials said the talks <script>console.error("framing-xss")</script> would resume next week in Geneva. '
        "The delegations met for three hours and agreed to meet again, according to a statement read by a spokesman "
        "to reporters outside the building on Tuesday evening."
    )
    (corpus / "a.txt").write_text(body + "\n")
    result = runner.run_report(corpus, notebooks=["01", "06"], out=scratch / "runs" / "hostile", jobs=2, progress=None)
    assert result.status == "ok", result.message
    return result


@pytest.mark.parametrize("page", ["01-corpus-overview.html", "06-event-brief.html"])
def test_article_text_in_the_html_is_escaped(hostile_run, page):
    text = (hostile_run.folder / page).read_text()
    assert "framing-xss" in text
    assert "<script>console.error" not in text
    assert "&lt;script&gt;console.error" in text
    assert "script-src" not in text and "default-src 'none'" in text  # and no script may run at all


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it with apt-get)")
def test_html_report_opens_in_chromium_without_console_errors(suite, hostile_run):
    first, _ = suite
    pages = [first.folder / "index.html", suite[1].index]
    pages += [hostile_run.folder / n.html for n in hostile_run.notebooks]
    pages += [first.folder / n.html for n in first.notebooks]
    for page in pages:
        assert _console_messages(page) == [], page


def _png_widths(page: Path) -> list[int]:
    """Pixel widths of the PNG images embedded in ``page`` (base64 data URIs)."""
    import base64
    import re
    import struct

    widths = []
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page.read_text(encoding="utf-8")):
        header = base64.b64decode(data[:64])
        widths.append(struct.unpack(">I", header[16:20])[0])  # IHDR width
    return widths


def test_figures_in_the_html_pages_are_readable_and_tables_have_no_index(suite):
    first, _ = suite
    for result in first.notebooks:
        page = first.folder / result.html
        widths = _png_widths(page)
        assert all(width >= 600 for width in widths), (page.name, widths)
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text or 'width="' not in text.split("<img", 1)[1].split(">", 1)[0]  # shown at their size
        assert not re.search(r"<tr>\s*<th[^>]*>\d+</th>", text)  # tables without the pandas index
    assert sum(len(_png_widths(first.folder / r.html)) for r in first.notebooks) >= 8


_MEASURE = """<!DOCTYPE html><html><body>
<iframe id="page" src="{src}" style="width:1280px;height:4000px"></iframe><pre id="out">pending</pre>
<script>
document.getElementById("page").onload = function () {{
  var images = Array.from(this.contentDocument.images);
  document.getElementById("out").textContent = "widths:" + JSON.stringify(images.map(function (img) {{
    return Math.round(img.getBoundingClientRect().width); }}));
}};
</script></body></html>"""


def _rendered_image_widths(page: Path, folder: Path) -> list[int]:
    """CSS pixel widths at which headless Chromium lays out the images of ``page`` in a 1280 px window.

    The report pages run no script (their Content-Security-Policy), so a page of ours frames
    the report and measures it.
    """
    wrapper = folder / f"measure-{page.stem}.html"
    wrapper.write_text(_MEASURE.format(src=page.as_uri()), encoding="utf-8")
    done = _headless_chromium(wrapper.as_uri(), "--allow-file-access-from-files", "--virtual-time-budget=15000", timeout=90)
    found = re.search(r"widths:(\[[^<]*\])", done.stdout)
    assert found, f"Chromium did not lay out {page}: {done.stderr[-300:]}"
    return json.loads(found.group(1))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it with apt-get)")
def test_figures_are_laid_out_at_least_600_pixels_wide_in_chromium(suite, tmp_path):
    first, _ = suite
    shown = {r.notebook: _rendered_image_widths(first.folder / r.html, tmp_path) for r in first.notebooks}
    assert sum(map(len, shown.values())) >= 8
    assert all(width >= 600 for widths in shown.values() for width in widths), shown


def test_explore_notebook_executes_headless(tmp_path, seeds):
    import papermill

    from analysis.lookup import in_context
    from analysis.tokens import tokenize

    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "explore.ipynb"),
        str(tmp_path / "explore.ipynb"),
        parameters={"output_dir": str(tmp_path), "term": "White House"},
        cwd=str(paths.NOTEBOOKS),
        progress_bar=False,
        kernel_name="python3",
    )
    executed = nbformat.read(tmp_path / "explore.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    articles = seeds.reset_index(drop=True)
    expected = len(in_context(tokenize(articles), articles, "White House"))
    assert expected > 0
    # what the Output widget showed is kept in the notebook's widget state
    assert f"{expected} occurrence(s) of 'White House'. 5 article(s)" in json.dumps(executed.metadata.get("widgets", {}))


DIGEST_FILE = FIXTURES / "seed_report_digest.json"
#: Libraries whose release may change a table of the seed report in its last digit or order of ties.
REPORT_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn")


def test_the_seed_report_matches_its_committed_digest(suite):
    """A refactoring changes no table or figure of the seed report. Tables are compared only
    under the numerical libraries that computed the committed ones, figures only under the
    matplotlib that drew them: a new release may change a last digit, a tie's order or a
    rendering, and a fresh install takes the newest (regenerate with FRAMING_UPDATE_REPORT_DIGEST=1)."""
    from importlib.metadata import version

    import matplotlib

    first, _ = suite
    digests = _digests(first.folder)
    libraries = {name: version(name) for name in REPORT_LIBRARIES}
    if os.environ.get("FRAMING_UPDATE_REPORT_DIGEST"):
        committed = json.loads(DIGEST_FILE.read_text(encoding="utf-8"))
        committed |= {"matplotlib": matplotlib.__version__, "libraries": libraries, "files": digests}
        DIGEST_FILE.write_text(json.dumps(committed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    committed = json.loads(DIGEST_FILE.read_text(encoding="utf-8"))
    expected = committed["files"]
    assert sorted(digests) == sorted(expected)
    if committed["matplotlib"] != matplotlib.__version__:
        digests = {k: v for k, v in digests.items() if k.startswith("tables/")}
    if committed.get("libraries") != libraries:
        digests = {k: v for k, v in digests.items() if not k.startswith("tables/")}
    if not digests:
        pytest.skip(f"the committed digest was made with other libraries ({committed.get('libraries')}, here {libraries})")
    changed = sorted(name for name in digests if digests[name] != expected[name])
    assert not changed, f"{len(changed)} output(s) differ from the committed digest, e.g. {changed[:5]}"


def test_the_loaded_language_notebook_shows_a_trained_model_beside_the_lexicon(scratch):
    from analysis.coding import load_codebook, read_annotations, save_model, train_codebook

    annotations = FIXTURES / "validation" / "annotations.csv"
    model = train_codebook({"biased": read_annotations(annotations)}, codebook=load_codebook("loaded_language"), folds=3)
    path = save_model(model, scratch / "model.joblib")
    result = runner.run_report(notebooks=["03"], params={"model": str(path)}, out=scratch / "runs" / "model", progress=None)
    assert result.status == "ok", result.message
    table = pd.read_csv(result.folder / "tables" / "03-loaded-sentences-by-voice.csv")
    assert set(table["voice"]) == {"narration", "quoted", "all"} and table["share"].between(0, 1).all()
    caption = (result.folder / "figures" / "03-loaded-sentences-by-voice.txt").read_text(encoding="utf-8")
    assert "cross-validated" in caption and "macro-F1" in caption
    assert "Validity of lexicon 'default'" in (result.folder / "03-loaded-language.html").read_text(encoding="utf-8")


def test_the_frames_notebook_and_the_brief_show_a_codebook_model(scratch, frames_annotations):
    from analysis.coding import load_codebook, read_training_data, save_model, train_codebook

    codebook = load_codebook("generic_frames")
    model = train_codebook(read_training_data(frames_annotations, codebook), codebook=codebook, folds=3)
    path = save_model(model, scratch / "frames.joblib")
    result = runner.run_report(
        notebooks=["06", "10"], params={"model": str(path)}, out=scratch / "runs" / "frames", progress=None
    )
    assert result.status == "ok", result.message
    prevalence = pd.read_csv(result.folder / "tables" / "10-frame-prevalence.csv")
    assert set(prevalence["code"]) == {"conflict", "economic_consequences"}
    assert prevalence["observed_share"].between(0, 1).all() and (prevalence["units"] > 0).all()
    caption = (result.folder / "figures" / "10-frame-prevalence.txt").read_text(encoding="utf-8")
    assert "Rogan-Gladen" in caption and "conflict F1" in caption and "Not trained" in caption
    brief = pd.read_csv(result.folder / "tables" / "06-event-brief.csv")
    assert "frames (model)" in brief.columns and brief["frames (model)"].str.contains("conflict").any()


def test_the_coding_notebook_draws_a_sample_and_opens_the_screen(scratch):
    annotations = scratch / "coding" / "annotations.csv"
    result = runner.run_report(
        notebooks=["09"],
        params={"coder": "ana", "annotations": str(annotations), "n_units": 12},
        out=scratch / "runs" / "coding",
        progress=None,
    )
    assert result.status == "ok", result.message
    sample = pd.read_csv(result.folder / "tables" / "09-sample.csv")
    assert len(sample) == 12 and sample["stratum"].nunique() >= 4
    assert annotations.read_text(encoding="utf-8").startswith("time,coder,codebook,unit_id")
    page = (result.folder / "09-coding.html").read_text(encoding="utf-8")
    assert "12 of 12 units left for ana" in page
