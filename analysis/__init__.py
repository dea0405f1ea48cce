"""framing: compare how news outlets frame the same events.

Notebooks orchestrate; this package computes. Start with :func:`analysis.corpus.load_corpus`.
"""

__version__ = "0.1.0"
