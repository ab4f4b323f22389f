"""The parts of ``benchmarks/overhead.py``: its rows (:mod:`.rows`), the
steps it builds and times (:mod:`.steps`) and their memory
(:mod:`.memory`)."""
