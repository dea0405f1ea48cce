"""Running the notebook suite with papermill into a run folder (``framing report``).

:func:`run_report` executes the numbered notebooks (``notebooks/[0-9][0-9]-*.ipynb``) into a
new run folder::

    reports/<timestamp>/
        run.json                 parameters, package versions, corpus hash, each notebook's status and time
        index.html               this run's notebooks
        01-corpus-overview.html  each notebook as HTML, code hidden
        notebooks/               the executed notebooks (a failing one keeps its error)
        figures/                 PNG, SVG, PDF and a caption .txt per figure
        tables/                  CSV per table
    reports/index.html           every run (only for runs made under a reports root, not with ``out``)

Nothing is written outside the run folder except that index, and an ``index.html`` framing did
not write is never replaced.

Each notebook gets only the parameters it declares. Heavy modules (papermill, nbconvert,
matplotlib) are imported only where they are used, so ``framing`` starts fast.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from analysis import paths
from analysis.options import Progress, no_progress
from analysis.run import (
    FIGURE_FORMATS,
    ReportError,
    lexicon_fingerprint,
    load_articles,
    parse_list,
)

NOTEBOOK_GLOB = "[0-9][0-9]-*.ipynb"


RUN_FILE = "run.json"


CELL_TIMEOUT = 600  # seconds; a cell running longer fails its notebook instead of hanging the run


_VERSIONED_PACKAGES = (
    "framing",
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "nltk",
    "matplotlib",
    "papermill",
    "nbconvert",
    "ipykernel",
    "pyahocorasick",
    "vaderSentiment",
    "trafilatura",
    "wordfreq",
)


Status = Literal["ok", "failed"]


RunStatus = Literal["ok", "failed", "skipped"]


@dataclass
class NotebookResult:
    """How one notebook went: ``status``, ``seconds``, files, and the error if it failed."""

    notebook: str
    status: Status
    seconds: float
    executed: str
    html: str
    error: dict[str, Any] | None = None
    title: str = ""

    def describe(self) -> str:
        if self.error is None:
            return f"{self.notebook}: ok in {self.seconds:.1f} s"
        e = self.error
        where = f"in cell {e['cell']} ({e['source']!r}) " if e["cell"] else ""
        return f"{self.notebook}: FAILED {where}with {e['ename']}: {e['evalue']} — the error is kept in {self.executed}"


@dataclass
class RunResult:
    """The outcome of :func:`run_report`. ``folder`` is None when the run was skipped."""

    status: RunStatus
    folder: Path | None
    notebooks: list[NotebookResult]
    message: str
    seconds: float = 0.0
    index: Path | None = None  # the runs index written, if any

    @property
    def failed(self) -> list[NotebookResult]:
        return [n for n in self.notebooks if n.status == "failed"]


def discover_notebooks(selection: str | Sequence[str] | None = None, *, folder: Path | None = None) -> list[Path]:
    """The numbered notebooks in run order, or those whose number or name is in ``selection``.

    Examples
    --------
    >>> [p.name for p in discover_notebooks("01")]
    ['01-corpus-overview.ipynb']
    """
    folder = folder or paths.NOTEBOOKS
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    wanted = parse_list(selection) if isinstance(selection, str) or selection is None else list(selection)
    if not wanted:
        return found
    chosen = [p for p in found if p.name[:2] in wanted or p.stem in wanted or p.name in wanted]
    missing = [w for w in wanted if not any(p.name[:2] == w or p.stem == w or p.name == w for p in found)]
    if missing:
        raise ReportError(f"--notebooks: no notebook {missing} in {folder}; there are {[p.name for p in found]}")
    return chosen


def read_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parameters from a YAML mapping ``name: value`` (values: text, numbers, booleans, lists)."""
    file = Path(path)
    try:
        loaded = paths.read_yaml(file, ReportError)
    except FileNotFoundError as err:
        raise ReportError(f"--params {file}: no such file") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise ReportError(f"--params {file}: expected a mapping of parameter names to values, e.g. 'event: 2021-03-talks'")
    for key, value in loaded.items():
        scalars = (str, int, float, bool, type(None))
        if not isinstance(value, scalars) and not (isinstance(value, list) and all(isinstance(v, scalars) for v in value)):
            raise ReportError(f"--params {file}: {key!r} must be text, a number, a boolean or a list of those")
    return loaded


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's view)."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def package_versions() -> dict[str, str]:
    """Python and the versions of the packages a run depends on."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@lru_cache(maxsize=1)
def _html_exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    # The lab template without its CDN scripts (MathJax, require.js, Mermaid): a report opens
    # offline and fetches nothing. The page runs no script at all (Content-Security-Policy),
    # so text that slipped through unescaped still could not execute. Text cells align left.
    template = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: left !important; vertical-align: top; }</style>
{%- endblock html_head_css -%}
"""
    return HTMLExporter(
        extra_loaders=[DictLoader({"framing_report.html.j2": template})],
        template_file="framing_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def notebook_to_html(executed: Path, target: Path) -> Path:
    """Write ``executed`` as HTML with code hidden; output text stays escaped."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    body, _ = _html_exporter().from_notebook_node(notebook, resources={"metadata": {"name": executed.stem}})
    return paths.write_text_atomic(target, body)


def _error_of(err: Exception) -> dict[str, Any]:
    source = str(getattr(err, "source", "") or "")
    first_line = next((line for line in source.splitlines() if line.strip()), "")
    return {
        "cell": getattr(err, "cell_index", -1) + 1,  # 1-based, counted in the executed copy
        "execution_count": getattr(err, "exec_count", None),
        "source": first_line[:120],
        "ename": getattr(err, "ename", type(err).__name__),
        "evalue": str(getattr(err, "evalue", err))[:500],
    }


@contextmanager
def _stderr_to(log: Path) -> Iterator[None]:
    """Send this process's stderr (and so the kernel's) to ``log``: kernel chatter stays out
    of the terminal but is kept beside the run for when something goes wrong."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as stream:
        os.dup2(stream.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def notebook_title(path: Path) -> str:
    """The first heading of a notebook's first markdown cell, without the ``#`` marks."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    first = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    heading = next((line for line in first.splitlines() if line.strip()), "")
    return heading.lstrip("#").strip()


def execute_notebook(
    source: Path, folder: Path, parameters: Mapping[str, Any], *, cell_timeout: int | None = CELL_TIMEOUT
) -> NotebookResult:
    """Run one notebook with papermill into ``folder`` and write its HTML; never raises for
    an error inside the notebook (the result says ``failed`` and where)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order is the same every run
    executed = folder / "notebooks" / source.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    declared = declared_parameters(source)
    injected = {k: v for k, v in parameters.items() if k in declared}
    started = time.perf_counter()
    error = None
    with _stderr_to(folder / "logs" / f"{source.stem}.log"):
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=injected,
                cwd=str(source.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=cell_timeout,
                request_save_on_cell_execute=False,  # written once at the end, also after an error
            )
        except PapermillExecutionError as err:
            error = _error_of(err)
        except Exception as err:  # kernel died, notebook unreadable: still a named failure
            error = {"cell": None, "execution_count": None, "source": "", "ename": type(err).__name__, "evalue": str(err)[:500]}
    html_file = folder / f"{source.stem}.html"
    if executed.exists():
        notebook_to_html(executed, html_file)
    return NotebookResult(
        notebook=source.stem,
        status="failed" if error else "ok",
        seconds=round(time.perf_counter() - started, 2),
        executed=executed.relative_to(folder).as_posix(),
        html=html_file.relative_to(folder).as_posix() if html_file.exists() else "",
        error=error,
        title=notebook_title(source),
    )


def _check_run_folder(folder: Path) -> None:
    """Refuse an ``out`` that is a file, holds a run, or holds files framing did not write."""
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"--out {folder} is a file; give a new or empty folder for the run")
    if (folder / RUN_FILE).exists():
        raise ReportError(f"--out {folder} already holds a run; choose a new folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise ReportError(f"--out {folder} holds files framing did not write; give a new or empty folder")


def exit_with_report(report_pid: int) -> None:
    """Make this report worker end (SIGTERM) as soon as process ``report_pid`` ends.

    Workers are children of multiprocessing's fork server, not of ``framing report``, and
    the fork server lives as long as they do, so neither notices when the report is killed
    (even with SIGKILL): they would run on, holding the caller's stdout open. A thread waits
    on a pidfd of the report instead; the kernels a worker started exit with it. Where
    ``os.pidfd_open`` is missing (not Linux) this does nothing.
    """
    import select
    import signal
    import threading

    try:
        watched = os.pidfd_open(report_pid)
    except (AttributeError, OSError):  # not Linux, or the report is already gone
        return

    def wait_then_end() -> None:
        select.select([watched], [], [])
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait_then_end, name="exit-with-report", daemon=True).start()


def _new_run_folder(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = root / stamp, 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{n}"
    return folder


def _runs(root: Path) -> list[dict[str, Any]]:
    runs = []
    for file in sorted(root.glob(f"*/{RUN_FILE}")):
        try:
            run = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(run, dict):
            runs.append(run | {"folder": file.parent.name})
    return sorted(runs, key=lambda r: str(r.get("started", "")))


def last_successful_run(root: Path) -> dict[str, Any] | None:
    """The newest run under ``root`` whose every notebook succeeded, or None."""
    done = [r for r in _runs(root) if r.get("status") == "ok"]
    return done[-1] if done else None


def _write_json(path: Path, data: Any) -> Path:
    return paths.write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n")


#: In every page framing writes: an ``index.html`` without it was not written by framing and is never replaced.
GENERATOR = '<meta name="generator" content="framing report">'
_PAGE = (
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
"""
    + GENERATOR.replace("{", "{{").replace("}", "}}")
    + """
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}}
.failed{{color:#b00}}</style></head>
<body><h1>{title}</h1>
{body}
<p>A handful of articles is not a population: a run describes its corpus, not the outlets in general.</p>
</body></html>
"""
)


def run_title(run: Mapping[str, Any]) -> str:
    """``framing report: <corpus name>, <start time UTC>``: what a reader needs to tell runs apart."""
    corpus = str(run.get("parameters", {}).get("corpus") or run.get("corpus") or "seeds")
    started = str(run.get("started", ""))[:16].replace("T", " ")
    return f"framing report: {Path(corpus).name or corpus}, {started} UTC" if started else f"framing report: {Path(corpus).name}"


def _ours(page: Path) -> bool:
    """Whether ``page`` is missing or was written by framing (so it may be replaced)."""
    try:
        head = page.read_text(encoding="utf-8", errors="replace")[:2000] if page.exists() else GENERATOR
    except OSError:
        return False
    return GENERATOR in head or "<title>framing reports</title>" in head  # the latter: pages of earlier versions


def _cell(text: Any) -> str:
    return f"<td>{html.escape(str(text))}</td>"


def write_run_page(folder: Path, run: Mapping[str, Any]) -> Path:
    """``<run>/index.html``: the run's parameters and its notebooks, linked; all text escaped."""
    rows = []
    for nb in run["notebooks"]:
        name = html.escape(nb.get("title") or nb["notebook"])
        link = f'<a href="{html.escape(nb["html"], quote=True)}">{name}</a>' if nb["html"] else name
        detail = "" if nb["error"] is None else f"cell {nb['error']['cell']}: {nb['error']['ename']}: {nb['error']['evalue']}"
        rows.append(
            f'<tr class="{html.escape(nb["status"])}"><td>{link}</td>{_cell(nb["status"])}{_cell(nb["seconds"])}{_cell(detail)}</tr>'
        )
    params = "".join(f"<tr>{_cell(k)}{_cell(v)}</tr>" for k, v in run["parameters"].items())
    # What changed since the last run (analysis.digest; escaped when written) opens the page.
    digest = (folder / "digest.html").read_text(encoding="utf-8") if (folder / "digest.html").is_file() else ""
    body = digest + (
        f"<p>Started {html.escape(str(run['started']))}, status <b>{html.escape(run['status'])}</b>, "
        f"corpus hash <code>{html.escape(run['corpus_hash'][:16])}</code>. "
        f'Figures in <a href="figures/">figures/</a>, tables in <a href="tables/">tables/</a>, details in '
        f'<a href="{RUN_FILE}">{RUN_FILE}</a>.</p>'
        "<h2>Notebooks</h2><table><tr><th>notebook</th><th>status</th><th>seconds</th><th>error</th></tr>"
        + "".join(rows)
        + "</table><h2>Parameters</h2><table>"
        + params
        + "</table>"
    )
    return paths.write_text_atomic(folder / "index.html", _PAGE.format(title=html.escape(run_title(run)), body=body))


def write_runs_index(root: Path) -> Path | None:
    """``<root>/index.html``: every run under ``root``, newest first; all text escaped.

    Returns None, writing nothing, when ``root`` holds an ``index.html`` framing did not write.
    """
    if not _ours(root / "index.html"):
        return None
    rows = []
    for run in reversed(_runs(root)):
        name = run["folder"]
        failed = [nb["notebook"] for nb in run.get("notebooks", []) if nb.get("status") == "failed"]
        rows.append(
            f'<tr class="{html.escape(str(run.get("status")))}"><td><a href="{html.escape(name, quote=True)}/index.html">'
            f"{html.escape(name)}</a></td>{_cell(str(run.get('started', ''))[:16].replace('T', ' '))}{_cell(run.get('status'))}{_cell(run.get('parameters', {}).get('corpus', ''))}"
            f"{_cell(run.get('parameters', {}).get('event', ''))}{_cell(len(run.get('notebooks', [])))}{_cell(', '.join(failed))}</tr>"
        )
    body = (
        "<table><tr><th>run</th><th>started (UTC)</th><th>status</th><th>corpus</th><th>event</th><th>notebooks</th><th>failed</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return paths.write_text_atomic(root / "index.html", _PAGE.format(title="framing reports", body=body))


def run_fingerprint(corpus_hash: str, lexicon_hash: str, parameters: Mapping[str, Any], notebooks: Sequence[str]) -> str:
    """What ``--if-changed`` compares: corpus, lexicons, parameters and the notebooks run."""
    payload = json.dumps(
        {"corpus": corpus_hash, "lexicons": lexicon_hash, "parameters": dict(parameters), "notebooks": list(notebooks)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def run_report(
    corpus: str | os.PathLike[str] | None = None,
    *,
    event: str | None = None,
    outlets: str | Sequence[str] | None = None,
    notebooks: str | Sequence[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    reports: str | os.PathLike[str] | None = None,
    formats: str | Sequence[str] | None = None,
    jobs: int | None = None,
    params: Mapping[str, Any] | None = None,
    if_changed: bool = False,
    since_last: bool = False,
    cell_timeout: int | None = CELL_TIMEOUT,
    progress: Callable[[str], None] | None = print,
    bar: Progress = no_progress,
) -> RunResult:
    """Run the notebook suite into a new run folder (see the module docstring for its layout).

    Parameters
    ----------
    corpus : path, optional
        Corpus folder, table or store; None: ``corpus`` from ``params``, else the seeds.
    event, outlets, formats : optional
        Passed to every notebook that declares them; None: the value in ``params``, else
        ``"all"``, ``"all"`` and ``"png,svg,pdf"``.
    notebooks : str or sequence, optional
        Numbers or names (``"01,03"``); default: every ``notebooks/[0-9][0-9]-*.ipynb``.
    out : path, optional
        The run folder itself: new, or empty. Nothing is written outside it; earlier runs
        for ``if_changed`` and ``since_last`` are looked for beside it.
    reports : path, optional
        The reports root when ``out`` is not given (default ``reports/``): the run goes to
        ``<reports>/<UTC timestamp>/`` and ``<reports>/index.html`` lists every run.
    jobs : int, optional
        Notebooks run at once, each in its own kernel; default: the number of cores.
    params : mapping, optional
        Notebook parameters (e.g. from ``--params FILE.yaml``); options given above win.
    if_changed : bool, default=False
        Skip the run when corpus, lexicons, parameters and notebooks match the last
        successful run beside it.
    since_last : bool, default=False
        Make sure the run has the digest of what changed since the last successful run
        (``analysis.digest``; notebook 08 writes it when it runs) and open its page with it.
    progress : callable, optional
        Called with one line per finished notebook.
    bar : callable, default=no_progress
        Passed the finished notebooks as they come (``tqdm``'s call: the CLI's bar on a terminal).
    cell_timeout : int or None, default=CELL_TIMEOUT
        Seconds one cell may run before its notebook fails with a timeout (None: no limit),
        so a hung cell cannot hang a scheduled run.

    Returns
    -------
    RunResult
        ``status`` is ``"ok"``, ``"failed"`` (at least one notebook failed; the others ran)
        or ``"skipped"``.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed

    say = progress or (lambda _line: None)
    started = time.perf_counter()
    sources = discover_notebooks(notebooks)
    if not sources:
        raise ReportError(f"no notebooks matching {NOTEBOOK_GLOB} in {paths.NOTEBOOKS}")
    given = {"corpus": corpus, "event": event, "outlets": outlets, "formats": formats}
    parameters: dict[str, Any] = {"corpus": None, "event": "all", "outlets": "all", "formats": ",".join(FIGURE_FORMATS)}
    parameters |= dict(params or {})
    parameters |= {k: v for k, v in given.items() if v is not None}
    corpus_path = paths.resolve_corpus(parameters["corpus"])
    parameters["corpus"] = "seeds" if corpus_path == paths.SEEDS else str(corpus_path)
    for name in ("outlets", "formats"):
        if not isinstance(parameters[name], str):
            parameters[name] = ",".join(map(str, parameters[name]))
    if unknown := [f for f in parse_list(parameters["formats"]) or [] if f not in FIGURE_FORMATS]:
        raise ReportError(f"--formats: {unknown} not supported; choose from {list(FIGURE_FORMATS)}")
    declared: dict[str, Any] = {}
    for source in sources:
        declared |= declared_parameters(source)
    requested = set(params or {}) | {k for k, v in given.items() if v is not None}
    if unknown := sorted(requested - set(declared)):
        raise ReportError(f"parameter(s) {unknown} are declared by none of the notebooks; they declare {sorted(declared)}")

    folder = Path(out).expanduser().resolve() if out else None
    if folder is not None:
        _check_run_folder(folder)
    root = folder.parent if folder is not None else Path(reports or paths.REPORTS).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise ReportError(f"--reports {root} is a file; give a folder for the reports")
    corpus_hash = paths.corpus_fingerprint(corpus_path)
    # Only what the chosen notebooks read can change their outputs, so only that is fingerprinted.
    lexicon_hash = lexicon_fingerprint(str(parameters.get("lexicon", "default"))) if "lexicon" in declared else ""
    used = {k: v for k, v in parameters.items() if k in declared}
    fingerprint = run_fingerprint(corpus_hash, lexicon_hash, used, [s.stem for s in sources])
    if if_changed and (last := last_successful_run(root)) and last.get("fingerprint") == fingerprint:
        message = f"unchanged since run {last['folder']} (corpus, lexicons, parameters): skipped"
        say(message)
        return RunResult("skipped", None, [], message, round(time.perf_counter() - started, 2))

    if folder is None:
        folder = _new_run_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    parameters["output_dir"] = str(folder)
    load_articles(parameters["corpus"])  # clean once, here; every kernel then reads the cache
    run: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
        "corpus": str(corpus_path),
        "corpus_hash": corpus_hash,
        "lexicon_hash": lexicon_hash,
        "fingerprint": fingerprint,
        "parameters": parameters,
        "versions": package_versions(),
        "notebooks": [],
    }
    say(f"running {len(sources)} notebook(s) into {folder}")
    results: list[NotebookResult] = []
    workers = max(1, min(jobs or os.cpu_count() or 1, len(sources)))
    # Workers fork from a clean server process, not from this one, which may hold threads
    # (a test session's Dask cluster, say); the server imports papermill and nbconvert once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["papermill", "nbconvert", "analysis.suite"])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=exit_with_report, initargs=(os.getpid(),)
    ) as pool:
        futures = {
            pool.submit(execute_notebook, source, folder, parameters, cell_timeout=cell_timeout): source for source in sources
        }
        for future in bar(as_completed(futures), desc="notebooks", total=len(futures)):
            result = future.result()
            results.append(result)
            say(f"[{len(results)}/{len(sources)}] {result.describe()}")
    results.sort(key=lambda r: r.notebook)
    run["notebooks"] = [asdict(r) for r in results]
    run["status"] = "failed" if any(r.status == "failed" for r in results) else "ok"
    if since_last and not (folder / "digest.html").is_file():
        from analysis.digest import since_last as write_digest_since_last

        lexicon = str(parameters.get("lexicon", "default"))
        write_digest_since_last(load_articles(parameters["corpus"]), folder, root=root, lexicon=lexicon)
    run["seconds"] = round(time.perf_counter() - started, 2)
    _write_json(folder / RUN_FILE, run)
    write_run_page(folder, run)
    index = write_runs_index(root) if out is None else None
    if out is None and index is None:
        say(f"{root / 'index.html'} was not written by framing, so the list of runs was not updated")
    failed = [r for r in results if r.status == "failed"]
    message = (
        f"{len(failed)} of {len(results)} notebook(s) failed:\n" + "\n".join(r.describe() for r in failed)
        if failed
        else f"{len(results)} notebook(s) ok in {run['seconds']:.1f} s"
    )
    return RunResult(run["status"], folder, results, message, run["seconds"], index)


def main_report_lines(result: RunResult) -> list[str]:
    """What ``framing report`` prints at the end: where the report is and how to open it."""
    if result.folder is None:
        return [result.message]
    index = result.folder / "index.html"
    return [
        result.message,
        f"report: {index}",
        f"open it: xdg-open {index}  (or python -m webbrowser file://{index})",
        *([f"all runs: {result.index}"] if result.index else []),
    ]
