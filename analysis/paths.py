"""Where things live. No other module hard-codes a path.

``FRAMING_HOME`` overrides the project root (for installed copies and tests).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = Path(os.environ.get("FRAMING_HOME", PACKAGE_DIR.parent)).resolve()

SEEDS = PROJECT_ROOT / "seeds"
DATA = PROJECT_ROOT / "data"
RAW = DATA / "raw"  # user input: no command changes a file here (framing import/fetch write new corpus folders)
INTERIM = DATA / "interim"  # derived caches, ignored by git
CODING = DATA / "coding"  # people's annotations (notebook 09): primary data, not a cache; never deleted by framing
CACHE = INTERIM / "cache"  # cleaned article tables (analysis.corpus), one per corpus, options and loader
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


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode article bytes, trying UTF-8, UTF-8 with BOM, then cp1252.

    Returns
    -------
    text, encoding : str, str

    Raises
    ------
    UnicodeDecodeError
        When none of the encodings fits, or the bytes look binary.
    """
    if b"\x00" in data[:8192]:
        raise UnicodeDecodeError("binary", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte: a binary file")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as first:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise first from None
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t")
        if controls > 0.05 * max(len(text), 1):
            raise UnicodeDecodeError("binary", data, 0, 1, "control characters: a binary file") from None
        return text, "cp1252"


def read_text(path: str | os.PathLike[str], error: type[Exception] = ValueError) -> str:
    """The text of a file the user supplied (UTF-8, with a BOM, or cp1252), or ``error`` in one line.

    ``error`` is raised with a message naming the file and what to do when the file is
    binary or cannot be decoded; :class:`FileNotFoundError` passes through.
    """
    file = Path(path)
    try:
        return decode_bytes(file.read_bytes())[0]
    except UnicodeDecodeError as err:
        raise error(f"{file}: not a text file (undecodable bytes at offset {err.start}); save it as UTF-8 text") from None
    except IsADirectoryError:
        raise error(f"{file}: is a folder, not a file") from None


def read_yaml(path: str | os.PathLike[str], error: type[Exception] = ValueError) -> Any:
    """Parse a YAML file the user supplied; a binary file or a YAML syntax error is ``error`` in one line.

    The message names the file, the line and column of the syntax error and the parser's
    complaint, so that no parser dump reaches the terminal.
    """
    import yaml

    text = read_text(path, error)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise error(f"{path}: not valid YAML{where} ({problem}); fix the file or compare it with the shipped example") from None


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


def hash_files(files: Sequence[Path], root: Path) -> str:
    """SHA-256 over ``files``: each one's path below ``root`` and the hash of its bytes."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0")
        with file.open("rb") as handle:  # read in blocks: a corpus file may be larger than memory allows twice
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def corpus_fingerprint(corpus: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 over a corpus's files (names and bytes); the same corpus gives the same hash.

    Hidden files (names starting with ``.``) are left out.
    """
    path = resolve_corpus(corpus)
    if path.is_file():
        return hash_files([path], path.parent)
    files = sorted(
        p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    return hash_files(files, path)
