#!/usr/bin/env bash
# The converged-evidence runs (the `long` schedules of the experiment
# table), in the order their evidence is needed: for each task the plain
# student at E and 2E epochs (is E converged on the validation split?),
# then every stage at E for seed 0, then seeds 1 and 2.
#
# Resumable: run it again after an interruption (a kill, a reboot, the end
# of a session). Finished stages come from the stage cache
# (~/.cache/mmfeatdistill/stages, outside the work tree) and the stage that
# was running continues from its last checkpoint (--resume) with the result
# an uninterrupted run gives. Each step writes its section of
# benchmarks/results/<task file>.md. Runs niced, at the main command's
# thread count (OMP_NUM_THREADS=2), one stage at a time.
#
#   nohup bash benchmarks/long_runs.sh > work_dirs/long_runs.log 2>&1 &
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-2}"
PY="${PY:-.venv/bin/python}"
run() { nice -n 19 "$PY" benchmarks/quality.py --resume "$@"; }

# task, E (the schedule's students), 2E
for spec in "cls 10 20" "seg 12 24" "det 12 24"; do
  set -- $spec
  run --task "$1" --schedule long --seeds 0 --only --label "plain student, E=$2"
  run --task "$1" --schedule long --seeds 0 --only --label "plain student, 2E=$3" --epochs "$3"
done
for task in cls seg det; do
  run --task "$task" --schedule long --seeds 0
done
for task in cls seg det; do
  run --task "$task" --schedule long --seeds 0 1 2
done
