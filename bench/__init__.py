"""Benchmarks: seed at scale, measure, print a table. Never part of ``make test``.

``python -m bench`` (``make bench``) runs them all; see bench/README.md.
"""
