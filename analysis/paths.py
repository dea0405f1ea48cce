"""Where things live. No other module hard-codes a path.

``FRAMING_HOME`` overrides the project root (for installed copies and tests).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = Path(os.environ.get("FRAMING_HOME", PACKAGE_DIR.parent)).resolve()

SEEDS = PROJECT_ROOT / "seeds"
DATA = PROJECT_ROOT / "data"
RAW = DATA / "raw"  # user input: no command ever writes here
INTERIM = DATA / "interim"  # derived caches, ignored by git
REPORTS = PROJECT_ROOT / "reports"
NOTEBOOKS = PROJECT_ROOT / "notebooks"

OUTLET_PROFILES = PACKAGE_DIR / "outlets.yaml"
FURNITURE_PATTERNS = PACKAGE_DIR / "furniture.yaml"


def resolve_corpus(corpus: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of a corpus source, defaulting to the seeds.

    Parameters
    ----------
    corpus : str or path, optional
        A corpus folder, a table file, or ``"seeds"``. ``None`` means the seeds.

    Raises
    ------
    FileNotFoundError
        When the path does not exist; the message says what was looked for.
    """
    if corpus is None or str(corpus) in ("", "seeds"):
        return SEEDS
    path = Path(corpus).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"corpus {str(corpus)!r} not found: give a folder with manifest.csv, "
            "a CSV/JSONL/Parquet table, or 'seeds' for the demo corpus"
        )
    return path.resolve()
