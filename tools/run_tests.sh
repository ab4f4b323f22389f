#!/usr/bin/env bash
# The README's test command: set up .venv (first run on a machine: ~15 min,
# mostly the mmcv compile; later fresh clones reuse the cached mmcv wheel) and
# run the lint checks and the whole test suite on CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
# The suite writes up to ~1.5 GB at a time under pytest's temporary folder
# (teacher and iteration checkpoints of the dense configs; each passing test's
# folder is deleted at once, see setup.cfg); a full disk fails it late.
TMP_ROOT="${TMPDIR:-/tmp}"
FREE_MB="$(df -Pm "$TMP_ROOT" 2>/dev/null | awk 'NR == 2 {print $4}' || true)"
if [ -n "$FREE_MB" ] && [ "$FREE_MB" -lt 3000 ]; then
  printf '[tests] warning: only %s MB free under %s; the suite needs ~3 GB there (set TMPDIR to a roomier folder, or remove old /tmp/pytest-of-%s folders)\n' \
    "$FREE_MB" "$TMP_ROOT" "$(id -un)" >&2
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-2}"
# lint first (OpenMMLab style, settings in setup.cfg): flake8, isort, yapf
LINT_PATHS=(mmfeatdistill tests tools benchmarks configs setup.py)
echo "[tests] lint: flake8, isort, yapf on ${LINT_PATHS[*]}"
.venv/bin/python -m flake8 "${LINT_PATHS[@]}"
.venv/bin/python -m isort --check-only --diff "${LINT_PATHS[@]}"
.venv/bin/python -m yapf --diff --recursive "${LINT_PATHS[@]}"
exec .venv/bin/python -m pytest tests "$@"
