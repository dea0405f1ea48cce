"""Revising a lexicon from gold annotations: keep or drop each term, add what annotators mark.

The evidence is the gold of ``analysis.evaluation`` (BABE marked words, PTC technique spans):
for each lexicon term, its hits and the share inside a marked span; for each word the
annotators marked, its occurrences and the share marked. A term stays, and a marked word
is added, when its precision on every corpus with enough evidence reaches that corpus's
target (:data:`TARGET_PRECISION`): the decision rule is fixed in advance, not tuned.

:func:`cross_validate_revision` measures the procedure honestly: the documents of each
corpus are split into folds; the lexicon is revised on the other folds and scored on the
held-out one; the held-out predictions of all folds are pooled into one validity table.
The shipped lexicon is :func:`revise_lexicon` on the whole development split; its figures
are the cross-validated ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analysis.evaluation import (
    VALIDITY_COLUMNS,
    Gold,
    binary_scores,
    bootstrap_macro_f1,
    confusion_counts,
    overlapping,
    sentences_with_hits,
)
from analysis.lexicons import Lexicon, LexiconEntry, build_matcher, term_forms
from analysis.measures.loaded import loaded_hits
from analysis.stats import wilson
from analysis.tokens import WORD_PATTERN, tokenize

#: Least precision a term needs on a corpus to stay or be added: the issue's targets for hit precision.
TARGET_PRECISION = {"babe": 0.6, "ptc": 0.35}
#: Fewer hits than this on a corpus: no decision is taken from that corpus.
MIN_EVIDENCE = 3
#: A word is a candidate addition when the annotators marked it at least this often.
MIN_MARKED = 2
#: Shrinkage of each term's precision: as if it had PRIOR_WEIGHT more hits at PRIOR_PRECISION.
PRIOR_PRECISION = 0.3
PRIOR_WEIGHT = 2
#: PTC spans longer than this (in words) are phrases: their words are no evidence for a single word.
MAX_SPAN_WORDS = 4
#: A candidate addition must be marked in at least this many documents (not one article's topic).
MIN_DOCUMENTS = 2
ADDED_CATEGORY = "biased_wording"
ADDED_NOTE = (
    "Words news-bias annotators (BABE experts, PTC annotators) mark most often as loaded, added where their "
    "measured precision reached the target; not sorted into a finer category."
)
DECISION_COLUMNS = ["term", "category", "decision", "corpus", "hits", "inside", "precision"]


@cache
def _stemmer():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


def stem(word: str) -> str:
    """Porter stem of a lowercased word (``slammed`` and ``slams`` share ``slam``).

    Examples
    --------
    >>> stem("slammed"), stem("slams")
    ('slam', 'slam')
    """
    return _stemmer().stem(word)


@dataclass(frozen=True)
class Evidence:
    """What a gold says about words and about a base lexicon's terms, for any subset of documents.

    Attributes
    ----------
    words : DataFrame
        One row per word token: ``article_id``, ``token``, ``stem``, ``inside`` (the token
        overlaps a marked span of at most :data:`MAX_SPAN_WORDS` words), ``capital``
        (written with a capital letter).
    hits : DataFrame
        The base lexicon's hits (``analysis.measures.loaded.loaded_hits``) with ``inside``.
    """

    words: pd.DataFrame
    hits: pd.DataFrame


def gather_evidence(gold: Gold, base: Lexicon) -> Evidence:
    """Tokenize ``gold`` once and mark which tokens and base-lexicon hits fall in a gold span."""
    tokens = tokenize(gold.documents)
    bodies = gold.documents.set_index(gold.documents["id"].astype(str))["body"]
    span_words = [
        len(WORD_PATTERN.findall(bodies[a][s:e]))
        for a, s, e in zip(gold.spans["article_id"], gold.spans["start"], gold.spans["end"], strict=True)
    ]
    inside = np.zeros(len(tokens), dtype=bool)
    inside[overlapping(tokens, gold.spans.loc[np.asarray(span_words, dtype=int) <= MAX_SPAN_WORDS])] = True
    forms = tokens["token"].astype(str)
    stems = {form: stem(form) for form in forms.unique()}
    first_letter = [bodies[a][s] for a, s in zip(tokens["article_id"], tokens["start"], strict=True)]
    words = pd.DataFrame(
        {
            "article_id": tokens["article_id"].astype(str).to_numpy(),
            "token": forms.to_numpy(),
            "stem": forms.map(stems).to_numpy(),
            "inside": inside,
            "capital": [c.isupper() for c in first_letter],
        }
    )
    hits = loaded_hits(tokens, build_matcher(base))
    hit_inside = np.zeros(len(hits), dtype=bool)
    hit_inside[overlapping(hits, gold.spans)] = True
    return Evidence(words, hits.assign(inside=hit_inside))


def _smoothed(inside: pd.Series, hits: pd.Series) -> pd.Series:
    """Precision shrunk towards :data:`PRIOR_PRECISION`: a word seen three times and marked
    three times is not yet a word marked every time (the winner's curse of picking the best)."""
    return (inside + PRIOR_WEIGHT * PRIOR_PRECISION) / (hits + PRIOR_WEIGHT)


def _passes(stats: pd.DataFrame, corpora: list[str]) -> pd.Series:
    """Where every corpus with enough evidence gives a smoothed precision at its target (and one does)."""
    ok = pd.Series(True, index=stats.index)
    decided = pd.Series(False, index=stats.index)
    for corpus in corpora:
        hits, inside = stats[f"{corpus}_hits"], stats[f"{corpus}_inside"]
        enough = hits >= MIN_EVIDENCE
        ok &= ~enough | (_smoothed(inside, hits) >= TARGET_PRECISION[corpus])
        decided |= enough
    return ok & decided


def _wide(tables: Mapping[str, pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    parts = []
    for corpus, table in tables.items():
        grouped = table.groupby(keys)["inside"].agg(["size", "sum"])
        grouped.columns = [f"{corpus}_hits", f"{corpus}_inside"]
        parts.append(grouped)
    return pd.concat(parts, axis=1).fillna(0).astype(np.int64)


def revise_lexicon(base: Lexicon, evidence: Mapping[str, Evidence], *, name: str = "default") -> tuple[Lexicon, pd.DataFrame]:
    """Keep the base terms whose precision reaches the targets, drop the rest, add marked words that do.

    Parameters
    ----------
    base : Lexicon
        The hand-curated lexicon the revision starts from.
    evidence : mapping of corpus name to Evidence
        Corpus names are keys of :data:`TARGET_PRECISION` (``babe``, ``ptc``).
    name : str, default="default"

    Returns
    -------
    lexicon : Lexicon
        Kept base entries (as written, with their inflection), then added words (exact forms,
        category :data:`ADDED_CATEGORY`); base terms without enough evidence stay.
    decisions : DataFrame
        One row per term and corpus: ``term``, ``category``, ``decision`` (``keep``,
        ``drop``, ``add``), ``corpus``, ``hits``, ``inside``, ``precision`` (raw, on the
        evidence given).

    Notes
    -----
    A candidate addition is a Porter stem whose tokens the annotators marked at least
    :data:`MIN_MARKED` times; its forms are those marked at least once, and its evidence is
    every occurrence of those forms. Stop words, words with digits, words under three
    letters and words written mostly with a capital (names) are never added.
    """
    corpora = list(evidence)
    term_stats = _wide({c: e.hits for c, e in evidence.items()}, ["term", "category"])
    known = {(e.term, e.category) for e in base.entries}
    term_stats = term_stats.reindex(pd.MultiIndex.from_tuples(sorted(known), names=["term", "category"]), fill_value=0)
    enough = pd.concat([term_stats[f"{c}_hits"] >= MIN_EVIDENCE for c in corpora], axis=1).any(axis=1)
    keep = _passes(term_stats, corpora) | ~enough  # no evidence: the curator's choice stands
    kept = [e for e in base.entries if keep[(e.term, e.category)]]
    words = pd.concat([e.words.assign(corpus=c) for c, e in evidence.items()], ignore_index=True)
    marked = words.loc[words["inside"]]
    forms = marked.groupby("token").size()
    eligible = forms.index[
        forms.index.str.fullmatch(r"[a-z][a-z'\-]+[a-z]")
        & ~forms.index.isin(list(ENGLISH_STOP_WORDS))
        & (forms.index.str.len() >= 3)
    ]
    candidates = words.loc[words["token"].isin(eligible)]
    marked_in = candidates.loc[candidates["inside"]].groupby("stem")["article_id"].agg(["size", "nunique"])
    often = marked_in.index[(marked_in["size"] >= MIN_MARKED) & (marked_in["nunique"] >= MIN_DOCUMENTS)]
    candidates = candidates.loc[candidates["stem"].isin(often)]
    capital_share = candidates.groupby("stem")["capital"].mean()
    stem_stats = _wide({c: candidates.loc[candidates["corpus"] == c] for c in corpora}, ["stem"])
    stem_stats = stem_stats.loc[capital_share.reindex(stem_stats.index) <= 0.5]
    chosen = stem_stats.index[_passes(stem_stats, corpora)]
    covered = {form for e in kept for form in term_forms(e.term, inflect=e.inflect)}
    prefixes = tuple(form[:-1] for form in covered if form.endswith("*"))
    added_forms = sorted(
        form
        for form in set(candidates.loc[candidates["stem"].isin(chosen), "token"])
        if form not in covered and not form.startswith(prefixes)  # a kept term already matches it
    )
    entries = kept + [LexiconEntry(form, ADDED_CATEGORY, False, 0) for form in added_forms]
    notes = {c: base.notes[c] for c in base.notes if any(e.category == c for e in kept)}
    if added_forms:
        notes[ADDED_CATEGORY] = ADDED_NOTE
    revised = Lexicon(name=name, source=f"revised from {base.name}", notes=notes, entries=tuple(entries))
    decisions = _decisions(term_stats, keep, candidates, added_forms, corpora)
    return revised, decisions


def _decisions(term_stats, keep, candidates, added_forms, corpora) -> pd.DataFrame:
    rows = []
    for (term, category), stats in term_stats.iterrows():
        for corpus in corpora:
            hits, inside = int(stats[f"{corpus}_hits"]), int(stats[f"{corpus}_inside"])
            decision = "keep" if keep[(term, category)] else "drop"
            rows.append((term, category, decision, corpus, hits, inside, inside / hits if hits else np.nan))
    added = candidates.loc[candidates["token"].isin(added_forms)]
    for (form, corpus), group in added.groupby(["token", "corpus"]):
        rows.append((form, ADDED_CATEGORY, "add", corpus, len(group), int(group["inside"].sum()), group["inside"].mean()))
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def _subset(gold: Gold, ids: set[str]) -> Gold:
    def pick(table: pd.DataFrame, column: str) -> pd.DataFrame:
        return table.loc[table[column].astype(str).isin(ids)].reset_index(drop=True)

    return Gold(
        gold.name, gold.source, pick(gold.documents, "id"), pick(gold.sentences, "article_id"), pick(gold.spans, "article_id")
    )


def _restrict(evidence: Evidence, ids: set[str]) -> Evidence:
    return Evidence(
        evidence.words.loc[evidence.words["article_id"].isin(ids)], evidence.hits.loc[evidence.hits["article_id"].isin(ids)]
    )


def document_folds(gold: Gold, *, folds: int = 5, seed: int = 0) -> pd.Series:
    """A fold number per document id, in a seeded random order (documents, not sentences, are split)."""
    ids = gold.documents["id"].astype(str).to_numpy()
    order = np.random.default_rng(seed).permutation(len(ids))
    return pd.Series(np.arange(len(ids)) % folds, index=ids[order]).reindex(ids)


def cross_validate_revision(
    golds: Mapping[str, Gold], base: Lexicon, *, folds: int = 5, seed: int = 0, n_boot: int = 1000
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held-out figures of :func:`revise_lexicon`: revise on k-1 folds of every corpus, score on the k-th.

    Returns
    -------
    validity : DataFrame
        The validity table (``measure`` ``lexicon:revised``) of the held-out predictions of
        all folds pooled, one set of metrics per corpus, as ``evaluate_lexicon`` reports them.
    terms : DataFrame
        Per term, category and corpus, the held-out hits of the folds whose revision kept or
        added it: ``term``, ``category``, ``corpus``, ``hits``, ``inside``, ``precision``,
        ``ci_low``, ``ci_high`` (Wilson).
    """
    evidence = {name: gather_evidence(gold, base) for name, gold in golds.items()}
    assignment = {name: document_folds(gold, folds=folds, seed=seed) for name, gold in golds.items()}
    pooled: dict[str, list[dict]] = {name: [] for name in golds}
    for fold in range(folds):
        training = {name: _restrict(evidence[name], set(assignment[name].index[assignment[name] != fold])) for name in golds}
        revised, _ = revise_lexicon(base, training, name="revised")
        matcher = build_matcher(revised)
        for name, gold in golds.items():
            held_out = _subset(gold, set(assignment[name].index[assignment[name] == fold]))
            hits = loaded_hits(tokenize(held_out.documents), matcher)
            hits = hits.drop_duplicates(["article_id", "start", "end"])  # a passage two entries match is one hit
            inside = np.zeros(len(hits), dtype=bool)
            inside[overlapping(hits, held_out.spans)] = True
            pooled[name].append(
                {
                    "sentences": held_out.sentences,
                    "predicted": sentences_with_hits(held_out, hits),
                    "hits": hits.assign(inside=inside),
                    "spans": held_out.spans,
                    "found": held_out.spans["gold_id"].iloc[overlapping(held_out.spans, hits)].unique(),
                }
            )
    rows, term_tables = [], []
    for name, parts in pooled.items():
        rows += _pooled_rows(name, parts, n_boot=n_boot, seed=seed)
        hits = pd.concat([p["hits"] for p in parts], ignore_index=True)
        per_term = hits.groupby(["term", "category"])["inside"].agg(["size", "sum"]).reset_index()
        per_term.columns = ["term", "category", "hits", "inside"]
        per_term["precision"] = per_term["inside"] / per_term["hits"]
        per_term["ci_low"], per_term["ci_high"] = wilson(per_term["inside"].to_numpy(), per_term["hits"].to_numpy())
        term_tables.append(per_term.assign(corpus=name))
    terms = pd.concat(term_tables, ignore_index=True)
    columns = ["term", "category", "corpus", "hits", "inside", "precision", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=VALIDITY_COLUMNS), terms[columns]


def _pooled_rows(name: str, parts: list[dict], *, n_boot: int, seed: int) -> list[dict]:
    measure = "lexicon:revised"
    sentences = pd.concat([p["sentences"] for p in parts], ignore_index=True)
    labels = sentences["label"].to_numpy(dtype=bool)
    predicted = np.concatenate([p["predicted"] for p in parts])
    scores = binary_scores(labels, predicted)
    tp, fp, fn, _ = confusion_counts(labels, predicted)
    f1_ci, macro_ci = bootstrap_macro_f1(labels, predicted, sentences["article_id"].to_numpy(), n_boot=n_boot, seed=seed)
    hits = pd.concat([p["hits"] for p in parts], ignore_index=True)
    items = sum(p["spans"]["gold_id"].nunique() for p in parts)
    found = sum(len(p["found"]) for p in parts)
    figures = [
        ("sentence_precision", scores["precision"], wilson(tp, tp + fp), tp + fp),
        ("sentence_recall", scores["recall"], wilson(tp, tp + fn), tp + fn),
        ("sentence_f1", scores["f1"], f1_ci, len(labels)),
        ("sentence_macro_f1", scores["macro_f1"], macro_ci, len(labels)),
        ("hit_precision", hits["inside"].mean(), wilson(int(hits["inside"].sum()), len(hits)), len(hits)),
        ("gold_recall", found / items if items else np.nan, wilson(found, items), items),
    ]
    return [
        {
            "measure": measure,
            "gold": name,
            "metric": metric,
            "value": float(value),
            "ci_low": float(ci[0]),
            "ci_high": float(ci[1]),
            "n": int(n),
        }
        for metric, value, ci, n in figures
    ]


def lexicon_yaml(lexicon: Lexicon, *, header: str) -> str:
    """``lexicon`` in the project's YAML format, ``header`` as its opening comment.

    Entries that inflect go under ``terms``, the others under ``exact``, so the file reads
    back to the same entries (``analysis.lexicons.load_lexicon``).
    """
    import yaml

    categories = {}
    for category, note in lexicon.notes.items():
        entries = [e for e in lexicon.entries if e.category == category]
        block: dict[str, object] = {"note": note}
        inflected = [e.term for e in entries if e.inflect]
        exact = [e.term for e in entries if not e.inflect]
        if inflected:
            block["terms"] = inflected
        if exact:
            block["exact"] = exact
        categories[category] = block
    body = yaml.safe_dump(
        {"name": lexicon.name, "inflect": True, "categories": categories}, sort_keys=False, allow_unicode=True, width=110
    )
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + body


def precision_file_table(terms: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """The cross-validated per-term figures of :func:`cross_validate_revision`, for the terms ``lexicon`` ships.

    Returns
    -------
    DataFrame
        ``term``, ``category``, ``corpus``, ``hits``, ``inside``, ``precision``, ``ci_low``,
        ``ci_high``, sorted by category, term and corpus; precision rounded to 3 places.
    """
    shipped = pd.DataFrame([(e.term, e.category) for e in lexicon.entries], columns=["term", "category"])
    table = terms.merge(shipped, on=["term", "category"], how="inner")
    table = table.sort_values(["category", "term", "corpus"], ignore_index=True)
    return table.round({"precision": 3, "ci_low": 3, "ci_high": 3})
