"""How long `framing report` takes on the seeds, and what the time goes to.

Runs the whole suite with --jobs 1 and --jobs 2 (into a temporary folder) and prints the wall
time, each notebook's time, and, from the executed notebooks' papermill metadata, how much of
it is kernel start, the setup cell (imports, loading the cached articles) and the analysis
cells. Run it on an otherwise idle machine: `make bench-report`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat

from analysis import run as runs
from analysis import suite


def cell_times(executed: Path) -> dict[str, float]:
    """Seconds spent in the setup cell (the one after the parameters) and in the rest."""
    notebook = nbformat.read(executed, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    durations = [float(c.metadata.get("papermill", {}).get("duration") or 0.0) for c in code]
    tags = [c.metadata.get("tags", []) for c in code]
    setup = next(i for i, t in enumerate(tags) if "injected-parameters" in t) + 1
    return {"setup cell": durations[setup], "analysis cells": sum(durations[setup + 1 :])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to time")
    args = parser.parse_args()
    runs.load_articles("seeds")  # the cache a real run warms first; not part of what is timed
    for jobs in [int(j) for j in args.jobs.split(",")]:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = suite.run_report(out=Path(folder) / "run", jobs=jobs, progress=None)
            wall = time.perf_counter() - started
            print(f"--jobs {jobs}: {wall:.1f} s wall for {len(result.notebooks)} notebooks ({result.status})")
            for nb in result.notebooks:
                parts = cell_times(result.folder / nb.executed)
                other = nb.seconds - sum(parts.values())
                print(
                    f"  {nb.notebook:28s} {nb.seconds:5.1f} s = setup cell {parts['setup cell']:4.1f} + analysis "
                    f"{parts['analysis cells']:4.1f} + kernel start, HTML and papermill {other:4.1f}"
                )


if __name__ == "__main__":
    main()
