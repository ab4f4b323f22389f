"""Logic behind the scripts in ``tools/`` (importable, testable)."""
