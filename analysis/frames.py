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

from analysis.stats import corrected_prevalence, group_labels, small_sample

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
]


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
        calls positive), ``observed_share``, ``prevalence`` (corrected), ``ci_low``,
        ``ci_high`` (95%, bootstrap over articles and the classifier's error),
        ``sensitivity``, ``specificity`` (cross-validated), ``n_articles``, ``small_sample``.
    """
    groups = group_labels(articles, by)
    rows = []
    for code, classifier in model.classifiers.items():
        confusion = classifier.confusion
        sensitivity = confusion["tp"] / max(confusion["tp"] + confusion["fn"], 1)
        specificity = confusion["tn"] / max(confusion["tn"] + confusion["fp"], 1)
        of_code = scored[scored["code"] == code]
        counts = of_code.groupby("article_id")["predicted"].agg(["sum", "size"]).reindex(groups.index, fill_value=0)
        for label in sorted(pd.unique(groups)):
            members = counts[(groups == label).to_numpy()]
            members = members[members["size"] > 0]
            observed, corrected, low, high = corrected_prevalence(
                members["sum"].to_numpy(), members["size"].to_numpy(), confusion=confusion, n_boot=n_boot, seed=seed
            )
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
                )
            )
    table = pd.DataFrame(rows, columns=PREVALENCE_COLUMNS[:-1])
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy()), dtype=bool)
    return table


def prevalence_note(model) -> str:
    """One line for under a frames chart: how the shares were corrected and how well each code was learned."""
    figures = model.metrics.set_index(["code", "metric"])["value"]
    learned = ", ".join(f"{code} F1 {figures.get((code, 'f1'), float('nan')):.2f}" for code in model.classifiers)
    untrained = f" Not trained (too few coded units): {', '.join(model.untrained)}." if model.untrained else ""
    return (
        f"Prevalence corrected for each classifier's cross-validated error (Rogan-Gladen), 95% bootstrap intervals "
        f"over articles and the classifier's sensitivity and specificity. Cross-validated: {learned}.{untrained}"
    )
