"""Codebooks, annotation files and trained classifiers: ``framing code train``.

A codebook (``analysis/codebooks/<name>.yaml``) names its codes and the unit they apply to.
Annotations of sentences train one linear classifier per code (scikit-learn, CPU only):

* features a reviewer can inspect: TF-IDF of words and two-word phrases, TF-IDF of
  character 2–5-grams within words (spelling variants, inflections), the hand-curated
  lexicon's category counts, and — when the annotators marked words, as BABE's experts did —
  a *marked-word* score: how often the annotators marked each of the sentence's words in the
  training sentences (fitted out of fold, so a sentence never scores with its own marks);
* logistic regression with balanced class weights;
* probabilities calibrated by Platt scaling on the out-of-fold scores of the k-fold
  cross-validation, whose precision, recall and F1 are stored with the model.

The model file (joblib) records its codebook, code, the SHA-256 of the training data, the
cross-validated metrics, the most weighted words and the library versions.
"""

from __future__ import annotations

import ast
import hashlib
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from analysis import __version__
from analysis.evaluation import binary_scores, bootstrap_macro_f1, confusion_counts
from analysis.paths import PACKAGE_DIR, read_yaml
from analysis.stats import wilson

CODEBOOK_DIR = PACKAGE_DIR / "codebooks"
METRIC_COLUMNS = ["code", "metric", "value", "ci_low", "ci_high", "n"]
#: A model file older or newer than this cannot be read by this version.
MODEL_FORMAT = 1


class CodingError(ValueError):
    """A codebook, annotation file or model cannot be used; the message names the file and the fix."""


# ---------------------------------------------------------------------------
# Codebooks and annotations
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Codebook:
    """Codes and the unit they apply to.

    Attributes
    ----------
    name : str
    unit : {"sentence", "paragraph", "article"}
    codes : dict of str to str
        Code name to its definition.
    """

    name: str
    unit: str
    codes: dict[str, str]


def load_codebook(path_or_name: str | os.PathLike[str]) -> Codebook:
    """Read a codebook file, or a shipped one by name (``loaded_language``).

    Raises
    ------
    CodingError
        No such codebook, or the file lacks ``unit`` or ``codes``; the message lists the shipped ones.
    """
    path = Path(path_or_name)
    if not path.is_file():
        path = CODEBOOK_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in CODEBOOK_DIR.glob("*.yaml")))
        raise CodingError(f"codebook {str(path_or_name)!r} not found: give a .yaml file or a shipped codebook ({shipped})")
    data = read_yaml(path, CodingError)
    if not isinstance(data, dict) or not isinstance(data.get("codes"), dict) or not data["codes"]:
        raise CodingError(f"{path}: a codebook needs 'codes', a mapping of code names to definitions")
    unit = data.get("unit", "sentence")
    if unit not in ("sentence", "paragraph", "article"):
        raise CodingError(f"{path}: unit must be sentence, paragraph or article, not {unit!r}")
    codes = {str(code): " ".join(str((spec or {}).get("definition", "")).split()) for code, spec in data["codes"].items()}
    return Codebook(name=str(data.get("name", path.stem)), unit=unit, codes=codes)


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
        ``code``, ``direction`` (``loaded`` or ``not``), ``feature``, ``weight``.
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
        """One line for under a chart of this model's shares: its cross-validated agreement with its coders."""
        figures = self.metrics.set_index("metric")
        shown = ", ".join(
            f"{label} {figures.loc[metric, 'value']:.2f} [{figures.loc[metric, 'ci_low']:.2f}, {figures.loc[metric, 'ci_high']:.2f}]"
            for metric, label in (("precision", "precision"), ("recall", "recall"), ("macro_f1", "macro-F1"))
        )
        return (
            f"Validity of model {self.codebook}/{self.code}: {self.info.get('folds', '?')}-fold cross-validated on its "
            f"{self.info.get('sentences', '?')} training sentences, {shown} (95% intervals). A share is a count of "
            "sentences the model calls loaded at probability 0.5; it carries the model's error."
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
    rows = [(code, "loaded", names[i], weights[i]) for i in order[::-1][:top]]
    rows += [(code, "not", names[i], weights[i]) for i in order[:top]]
    table = pd.DataFrame(rows, columns=["code", "direction", "feature", "weight"])
    table["feature"] = (
        table["feature"]
        .str.split("__", n=1)
        .str[-1]
        .where(~table["feature"].str.startswith("chars__"), "char:" + table["feature"].str.split("__", n=1).str[-1])
    )
    return table


def cross_validated_metrics(labels: np.ndarray, predicted: np.ndarray, *, code: str, seed: int = 0) -> pd.DataFrame:
    """Precision, recall and F1 of the code, and macro-F1, with intervals (Wilson; bootstrap over sentences for F1)."""
    scores = binary_scores(labels, predicted)
    tp, fp, fn, _ = confusion_counts(labels, predicted)
    f1_ci, macro_ci = bootstrap_macro_f1(labels, predicted, np.arange(len(labels)), n_boot=1000, seed=seed)
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
        From :func:`read_annotations`: ``text``, ``code``, ``label``, ``marked``.
    codebook : Codebook
        Must hold the annotations' code.
    folds : int, default=5
        Stratified folds of the cross-validation (seeded).
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
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(frame, labels):
        pipeline = build_pipeline(C=C, marked=marked, seed=seed).fit(frame.iloc[train], labels[train])
        out_of_fold[test] = pipeline.decision_function(frame.iloc[test].assign(marked=""))
    calibration = _platt(out_of_fold, labels)
    a, b = calibration
    predicted = 1 / (1 + np.exp(-(a * out_of_fold + b))) >= 0.5
    pipeline = build_pipeline(C=C, marked=marked, seed=seed).fit(frame, labels)
    tp, fp, fn, tn = confusion_counts(labels, predicted)
    return TrainedModel(
        codebook=codebook.name,
        code=codes[0],
        unit=codebook.unit,
        pipeline=pipeline,
        calibration=calibration,
        metrics=cross_validated_metrics(labels, predicted, code=codes[0], seed=seed),
        confusion={"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        top_words=top_weighted_features(pipeline, code=codes[0]),
        data_hash=annotations_hash(annotations),
        info={
            "sentences": len(frame),
            "positive": int(labels.sum()),
            "folds": folds,
            "seed": seed,
            "C": C,
            "marked_words": marked,
            "cpu_seconds": round(time.process_time() - started, 1),
            "trained_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
            "versions": _versions(),
        },
    )


def save_model(model: TrainedModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` with joblib (compressed); returns the path."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)
    return path


def load_model(path: str | os.PathLike[str]) -> TrainedModel:
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
    if not isinstance(model, TrainedModel):
        raise CodingError(f"{path}: not a model file written by 'framing code train'")
    if model.format != MODEL_FORMAT:
        raise CodingError(f"{path}: model format {model.format}, this framing reads {MODEL_FORMAT}: train it again")
    return model
