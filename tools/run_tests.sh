#!/usr/bin/env bash
# The README's test command: set up .venv (first run on a machine: ~15 min,
# mostly the mmcv compile; later fresh clones reuse the cached mmcv wheel) and
# run the whole test suite on CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-2}"
exec .venv/bin/python -m pytest tests "$@"
