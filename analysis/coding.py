"""Codebooks, coding, agreement and trained classifiers: ``framing code sample|agreement|train|apply``.

The content-analysis pipeline, in the order a study runs it:

1. a **codebook** (``analysis/codebooks/<name>.yaml``: the Policy Frames Codebook, the generic
   news frames, loaded language, or the user's own) names its codes, their definitions,
   guidance and cues, the unit they apply to and whether a unit takes one code or several;
2. a **stratified sample** of units (:func:`sample_units`) is coded by people, in notebook 09's
   coding screen, into an append-only **annotation file** (:class:`AnnotationLog`) that a crash
   cannot corrupt;
3. the coders' **agreement** (Krippendorff's alpha per code, :func:`agreement`) is read before
   anything is trained;
4. one linear **classifier per code** is trained on the coded units (or on a BABE-style CSV of
   one code), k-fold cross-validated and calibrated (:func:`train_codebook`), and stored with
   its codebook, metrics, training-data hash and library versions;
5. the model **scores every unit** of a corpus (:func:`score_units`); ``analysis.frames`` turns
   the scores into prevalence per outlet corrected for the classifier's error.

Each classifier (scikit-learn, CPU only):

* features a reviewer can inspect: TF-IDF of words and two-word phrases, TF-IDF of
  character 2–5-grams within words (spelling variants, inflections), the hand-curated
  lexicon's category counts, and — when the annotators marked words, as BABE's experts did —
  a *marked-word* score: how often the annotators marked each of the sentence's words in the
  training sentences (fitted out of fold, so a sentence never scores with its own marks);
* logistic regression with balanced class weights;
* probabilities calibrated by Platt scaling on the out-of-fold scores of the k-fold
  cross-validation, whose precision, recall and F1 are stored with the model.

The model file (joblib) records its codebook, each code's cross-validated metrics and most
weighted words, the SHA-256 of the training data and the library versions.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from analysis import __version__
from analysis.evaluation import binary_scores, bootstrap_macro_f1, confusion_counts
from analysis.paths import PACKAGE_DIR, read_yaml
from analysis.stats import wilson

CODEBOOK_DIR = PACKAGE_DIR / "codebooks"
METRIC_COLUMNS = ["code", "metric", "value", "ci_low", "ci_high", "n"]
#: A model file older or newer than this cannot be read by this version.
MODEL_FORMAT = 2


class CodingError(ValueError):
    """A codebook, annotation file or model cannot be used; the message names the file and the fix."""


class UnknownCodebook(CodingError):
    """No codebook file or shipped codebook of that name (a command-line mistake, not bad data)."""


# ---------------------------------------------------------------------------
# Codebooks and annotations
# ---------------------------------------------------------------------------


Unit = Literal["sentence", "paragraph", "article"]
UNITS: tuple[Unit, ...] = ("sentence", "paragraph", "article")


@dataclass(frozen=True)
class Code:
    """One code of a codebook: what it means, how to apply it, and words that often signal it."""

    name: str
    definition: str
    guidance: str = ""
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """Codes and the unit they apply to.

    Attributes
    ----------
    name, title : str
    unit : {"sentence", "paragraph", "article"}
    codes : dict of str to Code
        In the file's order.
    multi_label : bool
        True when a unit may carry several codes (each code is then coded yes or no); False
        when a coder picks one code, or none, per unit.
    """

    name: str
    unit: Unit
    codes: dict[str, Code]
    multi_label: bool = False
    title: str = ""


def _text_field(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CodingError(f"{where} must be text, not {type(value).__name__}")
    return " ".join(value.split())


def load_codebook(path_or_name: str | os.PathLike[str]) -> Codebook:
    """Read a codebook file, or a shipped one by name (``policy_frames``, ``generic_frames``, ``loaded_language``).

    The format (see ``analysis/codebooks/policy_frames.yaml``): ``name``, ``title``, ``unit``
    (sentence, paragraph or article), ``multi_label`` (true or false), and ``codes``: each
    code a mapping with a ``definition`` (required), ``guidance`` and ``cues`` (a list of
    words the coding screen highlights).

    Raises
    ------
    CodingError
        No such codebook, or a field is missing or of the wrong type; the message names the
        file and the field, and lists the shipped codebooks when none was found.
    """
    path = Path(path_or_name)
    if not path.is_file():
        path = CODEBOOK_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        raise UnknownCodebook(
            f"codebook {str(path_or_name)!r} not found: give a .yaml file or a shipped codebook ({', '.join(shipped_codebooks())})"
        )
    data = read_yaml(path, CodingError)
    if not isinstance(data, dict) or not isinstance(data.get("codes"), dict) or not data["codes"]:
        raise CodingError(f"{path}: a codebook needs 'codes', a mapping of code names to their definition, guidance and cues")
    unit = data.get("unit", "sentence")
    if unit not in UNITS:
        raise CodingError(f"{path}: unit must be sentence, paragraph or article, not {unit!r}")
    multi_label = data.get("multi_label", False)
    if not isinstance(multi_label, bool):
        raise CodingError(f"{path}: multi_label must be true or false, not {multi_label!r}")
    codes = {}
    for name, spec in data["codes"].items():
        where = f"{path}: code {name!r}"
        if not isinstance(spec, dict):
            raise CodingError(f"{where} needs a mapping with a definition (and optionally guidance and cues)")
        definition = _text_field(spec.get("definition"), f"{where}: definition")
        if not definition:
            raise CodingError(f"{where} has no definition: say what the code means")
        cues = spec.get("cues") or []
        if not isinstance(cues, list) or not all(isinstance(cue, str) for cue in cues):
            raise CodingError(f"{where}: cues must be a list of words, such as [cost, economy]")
        codes[str(name)] = Code(str(name), definition, _text_field(spec.get("guidance"), f"{where}: guidance"), tuple(cues))
    return Codebook(
        name=str(data.get("name", path.stem)),
        unit=unit,
        codes=codes,
        multi_label=multi_label,
        title=_text_field(data.get("title"), f"{path}: title"),
    )


def shipped_codebooks() -> list[str]:
    """Names of the codebooks shipped in ``analysis/codebooks/``."""
    return sorted(p.stem for p in CODEBOOK_DIR.glob("*.yaml"))


def read_annotations(path: str | os.PathLike[str], *, code: str = "biased") -> pd.DataFrame:
    """Annotated sentences from a BABE-style CSV, as annotations of one code.

    Parameters
    ----------
    path : path
        CSV with ``text`` and ``label_bias`` (``Biased`` / ``Non-biased``; other labels,
        such as ``No agreement``, are left out); ``biased_words`` (a Python-list string of
        marked words) is read when present.
    code : str, default="biased"
        The code the labels are annotations of.

    Returns
    -------
    DataFrame
        ``text``, ``code``, ``label`` (bool), ``marked`` (the marked words joined by spaces,
        "" when none).

    Raises
    ------
    CodingError
        The file is missing columns, or holds fewer than ten sentences of each label.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise CodingError(f"{path}: cannot read the CSV ({err})") from None
    missing = [c for c in ("text", "label_bias") if c not in table.columns]
    if missing:
        raise CodingError(f"{path}: no column {', '.join(missing)}; annotations need text and label_bias (Biased / Non-biased)")
    table = table[table["label_bias"].isin(["Biased", "Non-biased"])].reset_index(drop=True)
    marked = table["biased_words"] if "biased_words" in table.columns else pd.Series("[]", index=table.index)
    words = []
    for row, cell in enumerate(marked):
        try:
            value = ast.literal_eval(cell.strip() or "[]")
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, list):
            raise CodingError(f"{path}: row {row + 2}: biased_words {cell!r} is not a list of words such as \"['crime']\"")
        words.append(" ".join(map(str, value)))
    labels = table["label_bias"].eq("Biased")
    if min(int(labels.sum()), int((~labels).sum())) < 10:
        raise CodingError(f"{path}: needs at least ten Biased and ten Non-biased sentences to train and cross-validate")
    return pd.DataFrame({"text": table["text"], "code": code, "label": labels.to_numpy(), "marked": words})


def annotations_hash(annotations: pd.DataFrame) -> str:
    """SHA-256 of the training data as the model saw it (texts, labels, marked words)."""
    digest = hashlib.sha256()
    for text, label, marked in zip(annotations["text"], annotations["label"], annotations["marked"], strict=True):
        digest.update(f"{text}\t{int(label)}\t{marked}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Units to code, and a stratified sample of them
# ---------------------------------------------------------------------------

SAMPLE_COLUMNS = ["unit_id", "article_id", "outlet", "event", "unit", "start", "end", "text"]


def sample_units(
    units: pd.DataFrame, articles: pd.DataFrame, *, n: int, by: tuple[str, ...] = ("outlet", "event"), seed: int = 0
) -> pd.DataFrame:
    """A stratified random sample of ``n`` units for coding, in coding order.

    Every stratum (each combination of the ``by`` columns present in ``articles``; an
    article without one is in the stratum "(none)") is shuffled with ``seed``, and the
    strata are then taken in turn, one unit each, until ``n`` are drawn: equal allocation,
    and a stratum that runs out leaves its turns to the others. A coder who stops early
    has still seen every stratum about equally often. Outlets are compared on the codes, so
    equal allocation (not proportional) keeps small outlets measurable.

    Returns
    -------
    DataFrame
        ``unit_id``, ``article_id``, ``outlet``, ``event``, ``unit``, ``start``, ``end``, ``text``
        and ``stratum``, ``n`` rows (fewer when there are fewer units).
    """
    if n < 1:
        raise CodingError(f"the sample needs at least one unit, not {n}")
    info = articles.assign(id=articles["id"].astype(str)).set_index("id")
    present = [column for column in by if column in info.columns]
    frame = units.copy()
    for column in ("outlet", "event"):
        frame[column] = frame["article_id"].map(info[column]).fillna("").astype(str) if column in info.columns else ""
    frame["stratum"] = frame[present].replace("", "(none)").astype(str).agg(" / ".join, axis=1) if present else "all"
    rng = np.random.default_rng(seed)
    frame = frame.iloc[rng.permutation(len(frame))]
    frame["turn"] = frame.groupby("stratum", sort=False).cumcount()
    frame = frame.sort_values(["turn", "stratum"], kind="stable").head(n)
    return frame[[*SAMPLE_COLUMNS, "stratum"]].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Annotation files: append-only, one line per unit x coder x code
# ---------------------------------------------------------------------------

ANNOTATION_COLUMNS = [
    "time",
    "coder",
    "codebook",
    "unit_id",
    "article_id",
    "outlet",
    "unit",
    "start",
    "end",
    "code",
    "value",
    "action",
    "text",
]
ACTIONS = ("code", "skip", "undo")
_ACTION, _START, _END = (ANNOTATION_COLUMNS.index(c) for c in ("action", "start", "end"))


def _csv_line(values: list[Any]) -> str:
    """One CSV record on one line: the text's line breaks become spaces, so a torn write is one bad line."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([" ".join(str(v).split()) if isinstance(v, str) else v for v in values])
    return buffer.getvalue()


class AnnotationLog:
    """A coder's annotations appended to a CSV file, one decision at a time.

    Each decision is written with one ``os.write`` to a file opened for appending, then
    flushed to disk (``fsync``): a crash or a killed kernel loses at most the decision
    being written, and never changes what is already there. The file is only ever appended
    to; an undo is a row of its own. Rows: ``time`` (UTC, ISO 8601), ``coder``,
    ``codebook``, ``unit_id``, ``article_id``, ``outlet``, ``unit`` (sentence, paragraph or
    article: what was coded), ``start``, ``end``, ``code``, ``value``
    (1 or 0: one row per code of the codebook for a coded unit), ``action`` (``code``,
    ``skip``, ``undo``), ``text`` (the unit, on one line, so the file alone can train a model).

    Parameters
    ----------
    path : path
        The annotation file; created with its header when missing.
    codebook : Codebook
    coder : str
        The coder's name, as it should appear in agreement tables.
    """

    def __init__(self, path: str | os.PathLike[str], *, codebook: Codebook, coder: str):
        coder = " ".join(str(coder).split())
        if not coder:
            raise CodingError("give a coder name: agreement between coders needs to know who coded what")
        self.path, self.codebook, self.coder = Path(path), codebook, coder
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as file:
                header = file.readline().decode("utf-8", "replace").strip()
                file.seek(0, os.SEEK_END)
                size = file.tell()
                if size:
                    file.seek(size - 1)
                    ends_cleanly = file.read(1) == b"\n"
            if header.split(",") != ANNOTATION_COLUMNS:
                raise CodingError(
                    f"{self.path}: not an annotation file of framing (its header is {header[:80]!r}); choose another file"
                )
            if size and not ends_cleanly:
                self._append("\n")  # a decision torn by a crash stays one unreadable line of its own
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append(_csv_line(ANNOTATION_COLUMNS))

    def _append(self, text: str) -> None:
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, text.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _rows(self, unit: Any, action: str, values: dict[str, int] | None = None) -> str:
        time_now = pd.Timestamp.now(tz="UTC").isoformat(timespec="microseconds")
        head = [
            time_now,
            self.coder,
            self.codebook.name,
            unit["unit_id"],
            unit["article_id"],
            unit.get("outlet", ""),
            unit.get("unit", self.codebook.unit),
            unit["start"],
            unit["end"],
        ]
        items = values.items() if values is not None else [("", "")]
        return "".join(_csv_line([*head, code, value, action, unit["text"]]) for code, value in items)

    def record(self, unit: Any, codes: list[str] | tuple[str, ...]) -> None:
        """Append the coder's decision on ``unit`` (a sample row): the codes it carries, all others 0.

        Raises
        ------
        CodingError
            A code is not in the codebook, or several codes for a single-label codebook.
        """
        unknown = [code for code in codes if code not in self.codebook.codes]
        if unknown:
            raise CodingError(f"code(s) {', '.join(unknown)} not in codebook {self.codebook.name!r}")
        if not self.codebook.multi_label and len(set(codes)) > 1:
            raise CodingError(f"codebook {self.codebook.name!r} takes one code per unit, not {len(set(codes))}")
        self._append(self._rows(unit, "code", {code: int(code in codes) for code in self.codebook.codes}))

    def skip(self, unit: Any) -> None:
        """Append that the coder skipped ``unit`` (it counts as seen, not as coded)."""
        self._append(self._rows(unit, "skip"))

    def undo(self, unit: Any) -> None:
        """Append an undo: the coder's latest standing decision on ``unit`` no longer counts (an earlier one stands again)."""
        self._append(self._rows(unit, "undo"))

    def decided(self) -> list[str]:
        """Unit ids this coder has coded or skipped, in the order of their standing decisions (resuming skips them)."""
        rows, _ = read_annotation_log(self.path)
        standing = final_decisions(rows, self.codebook, skipped=True)
        return list(dict.fromkeys(standing.loc[standing["coder"] == self.coder, "unit_id"]))

    def done(self) -> set[str]:
        """Unit ids this coder has coded or skipped (what resuming skips over)."""
        return set(self.decided())


def read_annotation_log(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, int]:
    """The rows of an annotation file and how many lines could not be read (a decision torn by a crash).

    Returns
    -------
    rows : DataFrame
        :data:`ANNOTATION_COLUMNS`, in file order; ``start``, ``end`` as integers, ``value``
        as text ("1", "0" or "").
    unreadable : int
    """
    path = Path(path)
    try:
        lines = path.read_bytes().decode("utf-8", "replace").split("\n")
    except OSError as err:
        raise CodingError(f"{path}: cannot read the annotation file ({err.strerror})") from None
    if not lines or lines[0].strip().split(",") != ANNOTATION_COLUMNS:
        raise CodingError(f"{path}: not an annotation file of framing (first line {lines[0][:80]!r} is not its header)")
    records, unreadable = [], 0
    for line in lines[1:]:
        if not line.strip():
            continue
        try:
            fields = next(csv.reader([line], strict=True))
            if len(fields) != len(ANNOTATION_COLUMNS) or fields[_ACTION] not in ACTIONS:
                raise ValueError
            fields[_START], fields[_END] = int(fields[_START]), int(fields[_END])
            pd.Timestamp(fields[0])
        except (csv.Error, ValueError):
            unreadable += 1
            continue
        records.append(fields)
    rows = pd.DataFrame(records, columns=ANNOTATION_COLUMNS)
    return rows.astype({"start": np.int64, "end": np.int64}), unreadable


def codebooks_held(rows: pd.DataFrame) -> str:
    """What an annotation file holds, for an error message naming the codebook to give."""
    names = sorted(set(rows["codebook"]))
    return f"it holds codebook(s) {', '.join(names)}: give that --codebook" if names else "it holds no decision yet"


def final_decisions(rows: pd.DataFrame, codebook: Codebook, *, skipped: bool = False) -> pd.DataFrame:
    """Each coder's standing decision per unit: the latest one, in file order, not undone.

    An undo retracts the coder's latest standing decision on its unit, so an earlier decision
    on it stands again (the coding screen undoes the last click). The latest decision on a
    unit replaces earlier ones: coding a unit and then skipping it leaves it skipped. A
    ``code`` decision missing one of the codebook's codes (cut short by a crash) does not count.

    Returns
    -------
    DataFrame
        ``coder``, ``unit_id``, ``article_id``, ``outlet``, ``unit``, ``start``, ``end``,
        ``text``, ``code``, ``value`` (1 or 0), ``time``: one row per coder x unit x code, in
        the file order of the decisions. With ``skipped=True`` a skipped unit adds one row
        with ``code`` "" and ``value`` -1.
    """
    codes = sorted(codebook.codes)
    rows = rows[rows["codebook"] == codebook.name]
    standing: dict[tuple[str, str], list[pd.DataFrame]] = {}
    for (coder, _time, unit_id, action), decision in rows.groupby(["coder", "time", "unit_id", "action"], sort=False):
        stack = standing.setdefault((coder, unit_id), [])
        if action == "undo":
            if stack:
                stack.pop()
        elif action == "skip":
            stack.append(decision.assign(code="", value="-1"))
        elif sorted(decision["code"]) == codes and decision["value"].isin(["0", "1"]).all():
            stack.append(decision)
    columns = ["coder", "unit_id", "article_id", "outlet", "unit", "start", "end", "text", "code", "value", "time"]
    kept = sorted((stack[-1] for stack in standing.values() if stack), key=lambda decision: decision.index[0])
    if not skipped:
        kept = [decision for decision in kept if (decision["code"] != "").all()]
    if not kept:
        return pd.DataFrame(columns=columns).astype({"value": np.int64})
    return pd.concat(kept, ignore_index=True)[columns].astype({"value": np.int64})


AGREEMENT_COLUMNS = ["code", "alpha", "units", "coders", "agreement", "positive_share", "note"]


def agreement(decisions: pd.DataFrame, *, codebook: Codebook | None = None) -> pd.DataFrame:
    """Krippendorff's alpha (nominal) per code over the units two or more coders coded.

    Parameters
    ----------
    decisions : DataFrame
        From :func:`final_decisions`.
    codebook : Codebook, optional
        For a single-label codebook, a first row ``(one code per unit)`` gives alpha over the
        code each coder chose (or none), the agreement the codebook asks for.

    Returns
    -------
    DataFrame
        ``code``, ``alpha`` (NaN when no unit has two coders, or every value is the same,
        where alpha is undefined), ``units`` (coded by two or more), ``coders``,
        ``agreement`` (share of those units on which all their coders agree),
        ``positive_share`` (share of their values that carry a code), ``note``.

    Notes
    -----
    Computed with the ``krippendorff`` package. Read alpha before training: by Krippendorff's
    rule of thumb, 0.8 or more is reliable, 0.667-0.8 allows tentative conclusions, and a
    classifier trained on codes below that learns the coders' disagreement.
    """
    coded = decisions[decisions["code"] != ""]
    tables = list(coded.groupby("code", sort=False))
    if codebook is not None and not codebook.multi_label and len(codebook.codes) > 1 and len(coded):
        number = {code: i + 1 for i, code in enumerate(codebook.codes)}  # 0: none of the codes
        chosen = coded.assign(value=coded["code"].map(number) * coded["value"])
        tables.insert(0, ("(one code per unit)", chosen.groupby(["coder", "unit_id"], as_index=False)["value"].max()))
    return pd.DataFrame([_alpha_row(code, table) for code, table in tables], columns=AGREEMENT_COLUMNS)


def _alpha_row(code: str, table: pd.DataFrame) -> tuple:
    """One row of :func:`agreement`: alpha of ``table`` (``coder``, ``unit_id``, ``value``: 0 none, else a code)."""
    import krippendorff

    matrix = table.pivot_table(index="coder", columns="unit_id", values="value", aggfunc="last")
    shared = matrix.loc[:, matrix.notna().sum(axis=0) >= 2]
    values = shared.to_numpy(dtype=float)
    n_units, coders = shared.shape[1], int(matrix.shape[0])
    if n_units == 0:
        return (code, np.nan, 0, coders, np.nan, np.nan, "no unit was coded by two coders")
    same = float(np.mean([len(set(column[~np.isnan(column)])) == 1 for column in values.T]))
    positive = float(np.nanmean(values > 0))
    if len(np.unique(values[~np.isnan(values)])) == 1:
        return (code, np.nan, n_units, coders, same, positive, "every value is the same: alpha is undefined")
    alpha = float(krippendorff.alpha(reliability_data=values, level_of_measurement="nominal"))
    note = "reliable (alpha >= 0.8)" if alpha >= 0.8 else "tentative (0.667-0.8)" if alpha >= 0.667 else "unreliable (< 0.667)"
    return (code, alpha, n_units, coders, same, positive, note)


def annotations_from_decisions(decisions: pd.DataFrame, code: str) -> pd.DataFrame:
    """Training data of one code: each unit's majority value over its coders (ties left out).

    Returns
    -------
    DataFrame
        ``text``, ``code``, ``label`` (bool), ``marked`` ("": coders of a codebook mark no
        words), ``article_id``, ``outlet``, ``unit`` (cross-validation keeps an article's units
        in one fold; the model records the unit and the outlets' own error rates).
    """
    table = decisions[decisions["code"] == code]
    votes = table.groupby("unit_id", sort=False).agg(
        text=("text", "first"),
        article_id=("article_id", "first"),
        outlet=("outlet", "first"),
        unit=("unit", "first"),
        mean=("value", "mean"),
    )
    votes = votes[votes["mean"] != 0.5]
    return pd.DataFrame(
        {
            "text": votes["text"].to_numpy(),
            "code": code,
            "label": (votes["mean"] > 0.5).to_numpy(),
            "marked": "",
            "article_id": votes["article_id"].to_numpy(),
            "outlet": votes["outlet"].to_numpy(),
            "unit": votes["unit"].to_numpy(),
        }
    )


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------


class MarkedWordScore(BaseEstimator, TransformerMixin):
    """How often annotators marked a sentence's words, learned from the training sentences.

    ``fit`` reads ``text`` and ``marked`` (the words annotators marked in each sentence) and
    learns each word's marked rate, shrunk towards ``prior`` as if seen ``weight`` more times
    unmarked-or-marked at that rate. ``transform`` reads ``text`` only and returns three
    columns: the highest rate among the sentence's words, the sum of the three highest, and
    how many exceed 0.3. ``fit_transform`` returns the training rows' scores out of fold
    (``folds`` splits): a sentence never scores with its own marks, so the classifier learns
    how far the score generalises, not that it matches the training labels.
    """

    def __init__(self, *, prior: float = 0.05, weight: float = 2.0, folds: int = 5, seed: int = 0):
        self.prior = prior
        self.weight = weight
        self.folds = folds
        self.seed = seed

    def _rates(self, present: sparse.csr_matrix, marked: sparse.csr_matrix) -> np.ndarray:
        seen = np.asarray(present.sum(axis=0)).ravel()
        hits = np.asarray(present.multiply(marked).sum(axis=0)).ravel()
        return (hits + self.weight * self.prior) / (seen + self.weight)

    @staticmethod
    def _scores(present: sparse.csr_matrix, rates: np.ndarray) -> np.ndarray:
        weighted = present.multiply(rates).tocsr()
        top = np.zeros((present.shape[0], 3))
        for row in range(present.shape[0]):
            values = np.sort(weighted.data[weighted.indptr[row] : weighted.indptr[row + 1]])[::-1][:3]
            top[row, : len(values)] = values
        return np.column_stack([top[:, 0], top.sum(axis=1), (top > 0.3).sum(axis=1)])

    def fit(self, X: pd.DataFrame, y=None) -> MarkedWordScore:
        self.vocabulary_ = CountVectorizer(binary=True).fit(X["text"])
        self.rates_ = self._rates(self.vocabulary_.transform(X["text"]), self.vocabulary_.transform(X["marked"]))
        return self

    def fit_transform(self, X: pd.DataFrame, y=None) -> sparse.csr_matrix:
        self.fit(X)
        present, marked = self.vocabulary_.transform(X["text"]), self.vocabulary_.transform(X["marked"])
        scores = np.zeros((present.shape[0], 3))
        for train, test in KFold(self.folds, shuffle=True, random_state=self.seed).split(scores):
            scores[test] = self._scores(present[test], self._rates(present[train], marked[train]))
        return sparse.csr_matrix(scores)

    def transform(self, X: pd.DataFrame) -> sparse.csr_matrix:
        return sparse.csr_matrix(self._scores(self.vocabulary_.transform(X["text"]), self.rates_))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(["marked_max", "marked_top3", "marked_over_0.3"], dtype=object)


class LexiconCategories(BaseEstimator, TransformerMixin):
    """Hits per lexicon category in each sentence (the shipped hand-curated lexicon by default), log-scaled."""

    def __init__(self, *, lexicon: str = "default"):
        self.lexicon = lexicon

    def fit(self, X: pd.DataFrame, y=None) -> LexiconCategories:
        from analysis.lexicons import load_lexicon

        self.categories_ = load_lexicon(self.lexicon).categories
        return self

    def transform(self, X: pd.DataFrame) -> sparse.csr_matrix:
        from analysis.lexicons import load_matcher
        from analysis.measures.loaded import loaded_hits
        from analysis.tokens import tokenize

        ids = [str(i) for i in range(len(X))]
        tokens = tokenize(pd.DataFrame({"id": ids, "body": X["text"].to_numpy()}))
        hits = loaded_hits(tokens, load_matcher(self.lexicon))
        counts = pd.crosstab(hits["article_id"], hits["category"]).reindex(index=ids, columns=self.categories_, fill_value=0)
        return sparse.csr_matrix(np.log1p(counts.to_numpy(dtype=float)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"lexicon:{c}" for c in self.categories_], dtype=object)


def build_pipeline(*, C: float = 4.0, marked: bool = True, seed: int = 0) -> Pipeline:
    """The classifier of one code: features (words, phrases, characters, lexicon, marked words) and a balanced LR."""
    parts: list[tuple[str, Any, Any]] = [
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), "text"),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2), "text"),
        ("lexicon", LexiconCategories(), ["text"]),
    ]
    if marked:
        parts.append(("marked", MarkedWordScore(seed=seed), ["text", "marked"]))
    return Pipeline(
        [
            ("features", ColumnTransformer(parts)),
            ("model", LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear")),
        ]
    )


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass
class TrainedModel:
    """A trained classifier of one code, with everything needed to trust and reproduce it.

    Attributes
    ----------
    codebook, code, unit : str
    pipeline : sklearn Pipeline
        Fitted on every annotation.
    calibration : tuple of float
        Platt scaling ``(a, b)``: probability ``1 / (1 + exp(-(a * score + b)))`` of the
        decision score, fitted on the cross-validated out-of-fold scores.
    metrics : DataFrame
        Cross-validated ``code``, ``metric`` (``precision``, ``recall``, ``f1``,
        ``macro_f1``), ``value``, ``ci_low``, ``ci_high``, ``n``.
    confusion : dict
        Cross-validated ``tp``, ``fp``, ``fn``, ``tn`` at probability 0.5.
    top_words : DataFrame
        ``code``, ``direction`` (``towards`` or ``against`` the code), ``feature``, ``weight``.
    data_hash : str
        SHA-256 of the annotations (:func:`annotations_hash`).
    info : dict
        Sentences, folds, seed, C, seconds, library versions, framing version, time.
    """

    codebook: str
    code: str
    unit: str
    pipeline: Pipeline
    calibration: tuple[float, float]
    metrics: pd.DataFrame
    confusion: dict[str, int]
    top_words: pd.DataFrame
    data_hash: str
    info: dict[str, Any] = field(default_factory=dict)
    format: int = MODEL_FORMAT

    def probabilities(self, texts: pd.Series | list[str]) -> np.ndarray:
        """Calibrated probability that each text carries the code."""
        frame = pd.DataFrame({"text": list(texts)})
        frame["marked"] = ""
        scores = self.pipeline.decision_function(frame)
        a, b = self.calibration
        return 1 / (1 + np.exp(-(a * scores + b)))

    def validity_note(self) -> str:
        """One line for under a chart of this classifier's shares: its cross-validated agreement with its coders."""
        figures = self.metrics.set_index("metric")
        shown = ", ".join(
            f"{label} {figures.loc[metric, 'value']:.2f} [{figures.loc[metric, 'ci_low']:.2f}, {figures.loc[metric, 'ci_high']:.2f}]"
            for metric, label in (("precision", "precision"), ("recall", "recall"), ("macro_f1", "macro-F1"))
        )
        return (
            f"Validity of model {self.codebook}/{self.code}: {self.info.get('folds', '?')}-fold cross-validated on its "
            f"{self.info.get('units', '?')} coded {self.unit}s, {shown} (95% intervals). A share is a count of "
            f"{self.unit}s the model says carry the code at probability 0.5; it carries the model's error."
        )


def _platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt scaling of decision scores: a one-feature logistic regression, barely regularised."""
    fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "framing": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def top_weighted_features(pipeline: Pipeline, *, code: str, top: int = 20) -> pd.DataFrame:
    """The features with the largest positive and negative weights of a fitted pipeline."""
    names = pipeline.named_steps["features"].get_feature_names_out()
    weights = pipeline.named_steps["model"].coef_.ravel()
    order = np.argsort(weights)
    rows = [(code, "towards", names[i], weights[i]) for i in order[::-1][:top]]
    rows += [(code, "against", names[i], weights[i]) for i in order[:top]]
    table = pd.DataFrame(rows, columns=["code", "direction", "feature", "weight"])
    table["feature"] = (
        table["feature"]
        .str.split("__", n=1)
        .str[-1]
        .where(~table["feature"].str.startswith("chars__"), "char:" + table["feature"].str.split("__", n=1).str[-1])
    )
    return table


def cross_validated_metrics(
    labels: np.ndarray, predicted: np.ndarray, *, code: str, groups: np.ndarray | None = None, seed: int = 0
) -> pd.DataFrame:
    """Precision, recall and F1 of the code, and macro-F1, with intervals (Wilson; for F1 a bootstrap
    over ``groups``, the units' articles, or over units when there are none)."""
    scores = binary_scores(labels, predicted)
    tp, fp, fn, _ = confusion_counts(labels, predicted)
    groups = np.arange(len(labels)) if groups is None else groups
    f1_ci, macro_ci = bootstrap_macro_f1(labels, predicted, groups, n_boot=1000, seed=seed)
    rows = [
        (code, "precision", scores["precision"], *wilson(tp, tp + fp), tp + fp),
        (code, "recall", scores["recall"], *wilson(tp, tp + fn), tp + fn),
        (code, "f1", scores["f1"], *f1_ci, len(labels)),
        (code, "macro_f1", scores["macro_f1"], *macro_ci, len(labels)),
    ]
    table = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    return table.astype({"value": float, "ci_low": float, "ci_high": float, "n": np.int64})


def train_model(annotations: pd.DataFrame, *, codebook: Codebook, folds: int = 5, seed: int = 0, C: float = 4.0) -> TrainedModel:
    """Cross-validate, calibrate and fit the classifier of the annotations' code.

    Parameters
    ----------
    annotations : DataFrame
        From :func:`read_annotations` or :func:`annotations_from_decisions`: ``text``,
        ``code``, ``label``, ``marked``; optionally ``article_id`` (the folds then keep each
        article's units together, so a classifier is never tested on an article it learned
        from), ``outlet`` (each outlet's own cross-validated error rates are recorded) and
        ``unit`` (what was coded; default the codebook's).
    codebook : Codebook
        Must hold the annotations' code.
    folds : int, default=5
        Stratified folds of the cross-validation (seeded; grouped by article when given).
    seed : int, default=0
    C : float, default=4.0
        Inverse regularisation of the logistic regression.

    Raises
    ------
    CodingError
        The code is not in the codebook, or ``folds`` is below 2.
    """
    codes = sorted(set(annotations["code"]))
    if len(codes) != 1 or codes[0] not in codebook.codes:
        raise CodingError(
            f"annotations are of code(s) {', '.join(codes)}; codebook {codebook.name!r} has {', '.join(codebook.codes)}"
        )
    if folds < 2:
        raise CodingError(f"folds must be 2 or more, got {folds}")
    started = time.process_time()
    frame = annotations[["text", "marked"]].reset_index(drop=True)
    labels = annotations["label"].to_numpy(dtype=bool)
    marked = bool(frame["marked"].str.strip().ne("").any())
    out_of_fold = np.zeros(len(frame))
    groups = annotations["article_id"].astype(str).to_numpy() if "article_id" in annotations else None
    if groups is not None and len(set(groups)) >= folds:
        splits = StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(frame, labels, groups)
    else:
        groups = None
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(frame, labels)
    for train, test in splits:
        pipeline = build_pipeline(C=C, marked=marked, seed=seed).fit(frame.iloc[train], labels[train])
        out_of_fold[test] = pipeline.decision_function(frame.iloc[test].assign(marked=""))
    calibration = _platt(out_of_fold, labels)
    a, b = calibration
    predicted = 1 / (1 + np.exp(-(a * out_of_fold + b))) >= 0.5
    pipeline = build_pipeline(C=C, marked=marked, seed=seed).fit(frame, labels)
    tp, fp, fn, tn = confusion_counts(labels, predicted)
    by_outlet = {}
    if "outlet" in annotations:
        outlets = annotations["outlet"].astype(str).to_numpy()
        for outlet in sorted(set(outlets) - {""}):
            mine = outlets == outlet
            o_tp, o_fp, o_fn, o_tn = confusion_counts(labels[mine], predicted[mine])
            by_outlet[outlet] = {"tp": o_tp, "fp": o_fp, "fn": o_fn, "tn": o_tn}
    units = sorted(set(annotations["unit"])) if "unit" in annotations else [codebook.unit]
    if len(units) != 1:
        raise CodingError(f"the annotations mix units ({', '.join(units)}): train one model per unit")
    return TrainedModel(
        codebook=codebook.name,
        code=codes[0],
        unit=units[0],
        pipeline=pipeline,
        calibration=calibration,
        metrics=cross_validated_metrics(labels, predicted, code=codes[0], groups=groups, seed=seed),
        confusion={"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        top_words=top_weighted_features(pipeline, code=codes[0]),
        data_hash=annotations_hash(annotations),
        info={
            "units": len(frame),
            "positive": int(labels.sum()),
            "folds": folds,
            "grouped_by_article": groups is not None,
            "confusion_by_outlet": by_outlet,
            "coded_articles": sorted(set(annotations["article_id"].astype(str))) if "article_id" in annotations else [],
            "seed": seed,
            "C": C,
            "marked_words": marked,
            "cpu_seconds": round(time.process_time() - started, 1),
            "trained_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
            "versions": _versions(),
        },
    )


MIN_PER_LABEL = 10  # units with and without a code needed to train and cross-validate its classifier
#: The code a BABE-style file annotates, and a model's classifier, when there is more than one to choose from.
DEFAULT_CODE = "biased"


def read_training_data(path: str | os.PathLike[str], codebook: Codebook, *, code: str | None = None) -> dict[str, pd.DataFrame]:
    """Training data per code from an annotation file of framing or a BABE-style CSV.

    An annotation file (``AnnotationLog``) gives every code of ``codebook`` (each unit's
    majority over its coders); a BABE-style CSV gives one code (``code``, default the
    codebook's only code, else ``biased``). Codes with fewer than ten units with and ten
    without the code are left out (:func:`train_codebook` lists them).

    Returns
    -------
    dict of str to DataFrame
        Code to ``text``, ``code``, ``label``, ``marked``.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            header = file.readline().decode("utf-8", "replace").strip().split(",")
    except OSError as err:
        raise CodingError(f"{path}: cannot read the annotations ({err.strerror})") from None
    if header == ANNOTATION_COLUMNS:
        rows, _ = read_annotation_log(path)
        decided = final_decisions(rows, codebook)
        if decided.empty:
            raise CodingError(f"{path}: no coded unit of codebook {codebook.name!r}; {codebooks_held(rows)}")
        return {name: annotations_from_decisions(decided, name) for name in codebook.codes}
    if code is None:
        code = next(iter(codebook.codes)) if len(codebook.codes) == 1 else DEFAULT_CODE
    return {code: read_annotations(path, code=code)}


@dataclass
class CodebookModel:
    """Trained classifiers of a codebook's codes, as one model file.

    Attributes
    ----------
    codebook, unit : str
    classifiers : dict of str to TrainedModel
        One per code that had enough annotations.
    untrained : dict of str to str
        Codes left out and why (too few units with or without the code).
    data_hash : str
        SHA-256 of all the training data.
    """

    codebook: str
    unit: str
    classifiers: dict[str, TrainedModel]
    untrained: dict[str, str]
    data_hash: str
    format: int = MODEL_FORMAT

    @property
    def metrics(self) -> pd.DataFrame:
        """Every code's cross-validated metrics (``METRIC_COLUMNS``)."""
        return pd.concat([model.metrics for model in self.classifiers.values()], ignore_index=True)

    def classifier(self, code: str | None = None) -> TrainedModel:
        """One code's classifier; without ``code`` the only one (or ``biased``)."""
        if code is None:
            code = next(iter(self.classifiers)) if len(self.classifiers) == 1 else DEFAULT_CODE
        if code not in self.classifiers:
            raise CodingError(
                f"model of codebook {self.codebook!r} has no classifier of {code!r}; it has {', '.join(self.classifiers)}"
            )
        return self.classifiers[code]


def train_codebook(
    training: dict[str, pd.DataFrame], *, codebook: Codebook, folds: int = 5, seed: int = 0, C: float = 4.0
) -> CodebookModel:
    """Train, cross-validate and calibrate one classifier per code (:func:`train_model`).

    Raises
    ------
    CodingError
        No code has ten units with it and ten without.
    """
    classifiers, untrained = {}, {}
    for code, coded in training.items():
        positive = int(coded["label"].sum())
        negative = len(coded) - positive
        if min(positive, negative) < max(MIN_PER_LABEL, folds):
            untrained[code] = f"{positive} units with the code and {negative} without; {max(MIN_PER_LABEL, folds)} of each needed"
            continue
        classifiers[code] = train_model(coded, codebook=codebook, folds=folds, seed=seed, C=C)
    if not classifiers:
        reasons = "; ".join(f"{code}: {why}" for code, why in untrained.items())
        raise CodingError(f"no code has enough annotations to train ({reasons}); code more units")
    digest = hashlib.sha256("".join(model.data_hash for model in classifiers.values()).encode()).hexdigest()
    return CodebookModel(codebook.name, next(iter(classifiers.values())).unit, classifiers, untrained, digest)


CODE_COLUMNS = ["unit_id", "article_id", "unit", "start", "end", "voice", "code", "probability", "predicted"]


def score_units(model: CodebookModel, units: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """Each classifier's calibrated probability for each unit: ``framing code apply``.

    Parameters
    ----------
    model : CodebookModel
    units : DataFrame
        From :func:`analysis.tokens.text_units`.
    threshold : float, default=0.5
        Probability from which a unit is ``predicted`` to carry the code (the cross-validated
        figures stored with the model are at 0.5).

    Returns
    -------
    DataFrame
        One row per unit x code: ``unit_id``, ``article_id``, ``unit``, ``start``, ``end``,
        ``voice``, ``code``, ``probability``, ``predicted``.
    """
    parts = []
    for code, classifier in model.classifiers.items():
        probability = classifier.probabilities(units["text"]) if len(units) else np.empty(0)
        parts.append(units.assign(code=code, probability=probability, predicted=probability >= threshold)[CODE_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CODE_COLUMNS)


def save_model(model: CodebookModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` with joblib (compressed); returns the path."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)
    return path


def load_model(path: str | os.PathLike[str]) -> CodebookModel:
    """Read a model file written by :func:`save_model`.

    Only open model files you trust: joblib files can run code when loaded.

    Raises
    ------
    FileNotFoundError
        No such file.
    CodingError
        The file is not a framing model, or of another format version.
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"model {str(path)!r} not found: train one with 'framing code train ANNOTATIONS --out MODEL.joblib'"
        )
    try:
        model = joblib.load(path)
    except Exception as err:  # joblib raises many kinds for a file that is not its own
        raise CodingError(f"{path}: not a model file written by 'framing code train' ({type(err).__name__})") from None
    if getattr(model, "format", None) != MODEL_FORMAT and isinstance(getattr(model, "format", None), int):
        raise CodingError(f"{path}: model format {model.format}, this framing reads {MODEL_FORMAT}: train it again")
    if not isinstance(model, CodebookModel):
        raise CodingError(f"{path}: not a model file written by 'framing code train'")
    return model
