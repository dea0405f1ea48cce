"""Loaded sentences: a trained classifier's verdict on each sentence, and the share per group and voice.

The supervised counterpart of the lexicon rates of ``analysis.measures.loaded``: instead of
hits per 1,000 words, the share of sentences a model from ``framing code train`` calls
loaded, per group (outlet) and voice, with bootstrap intervals that resample articles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.options import REPORTED_VOICES
from analysis.stats import bootstrap_ratios, group_labels, small_sample

SENTENCE_RATE_COLUMNS = ["group", "voice", "loaded", "sentences", "share", "ci_low", "ci_high", "n_articles", "small_sample"]


def score_sentences(units: pd.DataFrame, model, *, threshold: float = 0.5) -> pd.DataFrame:
    """``units`` (``analysis.coding.text_units``) with one classifier's calibrated ``probability`` and
    ``predicted`` (probability ≥ ``threshold``)."""
    probability = model.probabilities(units["text"]) if len(units) else np.empty(0)
    return units.assign(probability=probability, predicted=probability >= threshold)


def loaded_sentence_rates(
    scored: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet", n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Share of sentences the model calls loaded, per group and voice (``narration``, ``quoted``, ``all``).

    Returns
    -------
    DataFrame
        ``group``, ``voice``, ``loaded`` (sentences predicted loaded), ``sentences`` (the
        denominator), ``share``, ``ci_low``, ``ci_high`` (95% bootstrap over the group's
        articles; NaN with fewer than two articles holding sentences of that voice),
        ``n_articles``, ``small_sample`` (``analysis.stats.small_sample`` on articles).

    Notes
    -----
    The share is the classifier's: it carries the classifier's error (see the model's
    cross-validated precision and recall), which the interval does not include.
    """
    groups = group_labels(articles, by)
    both = pd.concat([scored, scored.assign(voice="all")], ignore_index=True)
    counts = both.groupby(["article_id", "voice"]).agg(loaded=("predicted", "sum"), sentences=("predicted", "size"))
    loaded = counts["loaded"].unstack("voice").reindex(index=groups.index, columns=list(REPORTED_VOICES)).fillna(0)
    sentences = counts["sentences"].unstack("voice").reindex(index=groups.index, columns=list(REPORTED_VOICES)).fillna(0)
    rows = []
    for label in sorted(pd.unique(groups)):
        members = (groups == label).to_numpy()
        low, high = bootstrap_ratios(loaded.to_numpy()[members], sentences.to_numpy()[members], n_boot=n_boot, seed=seed)
        for index, voice in enumerate(REPORTED_VOICES):
            k, n = int(loaded.to_numpy()[members, index].sum()), int(sentences.to_numpy()[members, index].sum())
            rows.append((label, voice, k, n, k / n if n else np.nan, low[index], high[index], int(members.sum())))
    table = pd.DataFrame(rows, columns=SENTENCE_RATE_COLUMNS[:-1])
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy()), dtype=bool)
    return table
