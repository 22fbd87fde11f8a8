"""Benchmarks for ptm-miner: a corpus of real code built from pinned PyPI wheels
(`benchmarks.corpus`) and a harness that times the miner against I/O and parse
floors on it (`benchmarks.run`, what `make bench` runs). Not part of `make test`.
"""
