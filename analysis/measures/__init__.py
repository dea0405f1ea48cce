"""Framing measures: per-article counts (map) and group statistics (reduce) over the token table.

Each module owns one measure: its map, its reduce, and one entry point with
``engine="local" | "dask"`` that the ``framing`` command calls.

===================  =========================================  ================================
module               entry point (command)                      map / reduce
===================  =========================================  ================================
``loaded``           :func:`measure_loaded` (``loaded``)         ``loaded_counts`` / ``loaded_reduce``
``tone``             :func:`measure_tone` (``tone``)             ``tone_sums`` / ``tone_reduce``
``tfidf``            :func:`measure_top_terms` (``terms``)       ``term_counts`` / ``top_terms``
``keyness``          :func:`measure_keyness` (``keyness``)       ``term_counts`` / ``keyness``
``sources``          (notebook 04)                              ``quote_counts`` / ``voice_share``
===================  =========================================  ================================

Submodules keep their names (``from analysis.measures import keyness`` is the module; its
reduce is ``keyness.keyness``).
"""

from analysis.measures.keyness import measure_keyness
from analysis.measures.loaded import loaded_hits, loaded_rates, measure_loaded
from analysis.measures.sources import actor_salience, actor_tone, distinct_sources, label_matrix, verb_mix, voice_share
from analysis.measures.tfidf import article_similarity, measure_top_terms, term_counts, top_terms
from analysis.measures.tone import measure_tone, sentence_tone, tone_by_group

__all__ = [
    "actor_salience",
    "actor_tone",
    "article_similarity",
    "distinct_sources",
    "label_matrix",
    "loaded_hits",
    "loaded_rates",
    "measure_keyness",
    "measure_loaded",
    "measure_tone",
    "measure_top_terms",
    "sentence_tone",
    "term_counts",
    "tone_by_group",
    "top_terms",
    "verb_mix",
    "voice_share",
]
