"""Framing measures: per-article counts (map) and group statistics (reduce) over the token table."""
