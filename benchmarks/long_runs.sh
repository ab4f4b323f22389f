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
# an uninterrupted run gives. Each finished stage's result also goes into
# the stage ledger benchmarks/results/ledger/long.json, which is committed:
# on a new machine (an empty cache) the ledger's stages are not trained
# again, and a teacher or pretrained backbone is trained again only for a
# stage the ledger lacks. Each step writes its section of
# benchmarks/results/<task file>.md; an E-versus-2E step whose section is
# there already is skipped (delete the section to run it again). Runs
# niced, at the main command's thread count (OMP_NUM_THREADS=2), one stage
# at a time.
#
#   setsid nohup bash benchmarks/long_runs.sh > /work/long_runs.log 2>&1 &
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-2}"
# idle OpenMP threads sleep instead of spinning: on cores shared with other
# work (tests, a second job) spinning threads take the time the working
# thread needs (same numbers: the thread count and the split are the same)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
PY="${PY:-.venv/bin/python}"
LEDGER="${LEDGER:-benchmarks/results/ledger/long.json}"
run() { nice -n 19 "$PY" benchmarks/quality.py --resume --ledger "$LEDGER" "$@"; }
results_file() {
  "$PY" -c "import sys; from mmfeatdistill.tools.experiments import EXPERIMENTS as E; print(E[sys.argv[1]].results_file)" "$1"
}
# run unless the results file has the section already
run_once() {
  local task="$1" label="$2"; shift 2
  if grep -qF -- "<!-- $task-long-$label: written by" "benchmarks/results/$(results_file "$task")"; then
    echo "[long_runs] $task long ($label): section present, skipped"
  else
    run --task "$task" --schedule long --seeds 0 --only --label "$label" "$@"
  fi
}

# task, E (the schedule's students), 2E, on the validation split: det
# E=12 was 2.70 mAP behind 2E=24, so E=24; seg E=12 was 0.88 mIoU behind
# 2E=24 and E=24 1.74 behind 2E=48, so E=48. The E sections come from the
# cache or the ledger (the earlier 2E runs' stages, same keys).
for spec in "det 24 48" "seg 48 96" "cls 10 20"; do
  set -- $spec
  run_once "$1" "plain student, E=$2"
  run_once "$1" "plain student, 2E=$3" --epochs "$3"
done
for task in det seg cls; do
  run --task "$task" --schedule long --seeds 0
done
for task in det seg cls; do
  run --task "$task" --schedule long --seeds 0 1 2
done
