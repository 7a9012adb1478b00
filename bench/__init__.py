"""Benchmarks: ``python -m bench`` prints wheretorun beside a straightforward pure-Python baseline."""
