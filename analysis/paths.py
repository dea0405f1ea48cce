"""Where things live. No other module hard-codes a path.

``FRAMING_HOME`` overrides the project root (for installed copies and tests).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = Path(os.environ.get("FRAMING_HOME", PACKAGE_DIR.parent)).resolve()

SEEDS = PROJECT_ROOT / "seeds"
DATA = PROJECT_ROOT / "data"
RAW = DATA / "raw"  # user input: no command changes a file here (framing import/fetch write new corpus folders)
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Write a file so that readers see the old file or the whole new one, never a part.

    ``write(temporary)`` fills a temporary file beside ``path``; it is then given the usual
    file mode (``0666`` less the umask: ``mkstemp`` makes ``0600``) and moved onto ``path``
    with :func:`os.replace`. On any error the temporary file is removed and ``path`` is left
    as it was. Parent folders are created.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`write_atomic` of ``text`` as UTF-8, newlines as given."""
    return write_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))
