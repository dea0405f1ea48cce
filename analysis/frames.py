"""Frame prevalence per outlet from a trained codebook model, corrected for the classifier's error.

A classifier that calls 17% of an outlet's paragraphs "economic" does not say that 17% are: it
misses some (sensitivity below 1) and wrongly finds others (specificity below 1), and where a
frame is rare its false positives can outnumber its true ones. ``framing frames`` therefore
reports, per group and code, the share the model calls positive **and** the share corrected
with the model's cross-validated confusion matrix (Rogan-Gladen; see
``analysis.stats.corrected_prevalence``), with a bootstrap interval that resamples articles
and the classifier's sensitivity and specificity together. The correction assumes the
classifier errs on the corpus as it did on its held-out training folds: true when the coded
sample was drawn from this corpus (``framing code sample``), a hope otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats import MIN_YOUDEN, classifier_rates, corrected_prevalence, group_labels, small_sample, wilson

PREVALENCE_COLUMNS = [
    "group",
    "code",
    "units",
    "predicted",
    "observed_share",
    "prevalence",
    "ci_low",
    "ci_high",
    "sensitivity",
    "specificity",
    "n_articles",
    "small_sample",
    "note",
]


def _rate_note(confusion: dict[str, int], pooled: tuple[float, float]) -> str:
    """Where a group's own cross-validated error rates disagree with the pooled ones the correction uses."""
    tp, fp, fn, tn = (int(confusion[key]) for key in ("tp", "fp", "fn", "tn"))
    notes = []
    for name, hits, total, value in (("sensitivity", tp, tp + fn, pooled[0]), ("specificity", tn, tn + fp, pooled[1])):
        if total:
            low, high = (float(x) for x in wilson(hits, total))
            if not low <= value <= high:
                notes.append(f"its own cross-validated {name} is {hits / total:.2f} (n={total}) against {value:.2f} pooled")
    return "; ".join(notes) + ": the correction may be off for this group" if notes else ""


def frame_prevalence(
    scored: pd.DataFrame, articles: pd.DataFrame, model, *, by: str = "outlet", n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Share of each group's units carrying each code, observed and corrected for the classifier's error.

    Parameters
    ----------
    scored : DataFrame
        From ``analysis.coding.score_units``: ``article_id``, ``code``, ``predicted``.
    articles : DataFrame
        The article table (``id`` and the ``by`` column).
    model : analysis.coding.CodebookModel
        Its classifiers' cross-validated confusion counts drive the correction.
    by : str, default="outlet"
        Article column to group by.

    Returns
    -------
    DataFrame
        ``group``, ``code``, ``units`` (the denominator), ``predicted`` (units the model
        calls positive), ``observed_share``, ``prevalence`` (corrected: the median of the
        draws of :func:`analysis.stats.corrected_prevalence`), ``ci_low``, ``ci_high`` (95%,
        over articles, the share's sampling and the classifier's error), ``sensitivity``,
        ``specificity`` (cross-validated, pooled over the coded units), ``n_articles``,
        ``small_sample``, ``note`` (why a value is missing, or that a group's own
        cross-validated error rates, when ``by`` is ``outlet`` and its units were coded,
        disagree with the pooled ones).
    """
    groups = group_labels(articles, by)
    rows = []
    for code, classifier in model.classifiers.items():
        confusion = classifier.confusion
        sensitivity, specificity = classifier_rates(confusion)
        usable = code in usable_codes(model)
        own_rates = classifier.info.get("confusion_by_outlet", {}) if by == "outlet" else {}
        of_code = scored[scored["code"] == code]
        counts = of_code.groupby("article_id")["predicted"].agg(["sum", "size"]).reindex(groups.index, fill_value=0)
        for label in sorted(pd.unique(groups)):
            members = counts[(groups == label).to_numpy()]
            members = members[members["size"] > 0]
            observed, corrected, low, high = corrected_prevalence(
                members["sum"].to_numpy(), members["size"].to_numpy(), confusion=confusion, n_boot=n_boot, seed=seed
            )
            if not usable:
                note = f"not corrected: sensitivity + specificity - 1 = {sensitivity + specificity - 1:.2f}, too close to chance"
            elif not len(members):
                note = "no units"
            else:
                note = _rate_note(own_rates[label], (sensitivity, specificity)) if label in own_rates else ""
                if len(members) < 2:
                    note = "; ".join(filter(None, ["one article: no interval", note]))
            rows.append(
                (
                    label,
                    code,
                    int(members["size"].sum()),
                    int(members["sum"].sum()),
                    observed,
                    corrected,
                    low,
                    high,
                    sensitivity,
                    specificity,
                    len(members),
                    note,
                )
            )
    table = pd.DataFrame(rows, columns=[c for c in PREVALENCE_COLUMNS if c != "small_sample"])
    table.insert(
        len(PREVALENCE_COLUMNS) - 2, "small_sample", np.asarray(small_sample(table["n_articles"].to_numpy()), dtype=bool)
    )
    return table


def usable_codes(model) -> list[str]:
    """The codes whose classifier is far enough from chance to be corrected (and shown): Youden index ≥ ``MIN_YOUDEN``."""
    return [
        code for code, classifier in model.classifiers.items() if sum(classifier_rates(classifier.confusion)) - 1 >= MIN_YOUDEN
    ]


def coded_elsewhere(model, articles: pd.DataFrame) -> bool:
    """True when none of ``articles`` was among the articles whose units were coded to train ``model``.

    The correction then assumes that the classifier errs on these articles as it did on
    others, which holds only if they are alike; a BABE-style training file records no articles.
    """
    coded = {a for classifier in model.classifiers.values() for a in classifier.info.get("coded_articles", [])}
    return bool(coded) and not coded & set(articles["id"].astype(str))


def validity_line(model) -> str:
    """How well each code was learned (cross-validated F1), and which codes could not be trained."""
    figures = model.metrics.set_index(["code", "metric"])["value"]
    learned = ", ".join(f"{code} F1 {figures.get((code, 'f1'), float('nan')):.2f}" for code in model.classifiers)
    untrained = f" Not trained (too few coded units): {', '.join(model.untrained)}." if model.untrained else ""
    return f"Cross-validated on the coded {model.unit}s: {learned}.{untrained}"


def prevalence_note(model) -> str:
    """One line for under a frames chart: how the shares were corrected and how well each code was learned."""
    return (
        "Prevalence corrected for each classifier's cross-validated error (Rogan-Gladen; the median of draws over "
        "articles, the share's sampling and the classifier's sensitivity and specificity, with their 95% interval). "
        + validity_line(model)
    )
