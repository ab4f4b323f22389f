#!/usr/bin/env bash
# The README's main job: set up .venv, get Fashion-MNIST (Debian package
# dataset-fashion-mnist when apt-get is there; else mmpretrain's download),
# then run the distillation demo (mmfeatdistill/tools/demo.py), which
# prepares its task's data (Fashion-MNIST, or the scenes built from it).
# Extra arguments go to the demo, e.g. `--epochs 1 --train-subset 5000`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null \
    && [ "$(id -u)" = 0 ]; then
  echo "[demo] installing Debian package dataset-fashion-mnist"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
# one torch thread per stage and one stage per core (--jobs): on 2 cores
# two 1-thread stages step as fast each as one alone, and one 2-thread
# stage only 1.03-1.34x faster than a 1-thread one
# (benchmarks/results/step_profile.md, "Threads and processes"); the
# thread count is in each stage's cache key, and the long benchmark
# (benchmarks/long_runs.sh) runs its stages the same way
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
exec .venv/bin/python tools/demo.py --jobs "${MMFD_JOBS:-$(nproc)}" "$@"
