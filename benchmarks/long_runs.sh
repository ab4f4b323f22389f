#!/usr/bin/env bash
# The converged-evidence runs (the `long` schedules of the experiment
# table), in the order their evidence is needed: for each task the plain
# student at E and 2E epochs (is E converged on the validation split?
# benchmarks/long_check.py), then, only where it is, every stage at E for
# seed 0 and the task's validation sweeps (`sweep` below); seeds 0-2
# start once all of that is done on every task.
#
# One torch thread per process and two processes at a time (--jobs 2, and
# the dense tasks in two lanes), as the main command runs: on these 2
# cores two 1-thread stages step as fast each as one alone, while one
# 2-thread stage is only 1.03-1.34x faster than a 1-thread one
# (benchmarks/results/step_profile.md, "Threads and processes").
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
# niced.
#
#   setsid nohup bash benchmarks/long_runs.sh > /work/long_runs.log 2>&1 &
#   python benchmarks/long_status.py   # where each stage stands
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
# idle OpenMP threads sleep instead of spinning (matters only with more
# than one thread per process: spinning threads take a shared core's time)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# below every other job on the host: `nice` alone ranks processes only
# within their session's autogroup (Linux's sched_autogroup, on here), and
# setsid gives this script a session of its own, so the group is niced
# (NICE= empty: neither, e.g. in a test, whose session it would nice)
NICE="${NICE-19}"
if [ -n "$NICE" ]; then
  echo "$NICE" 2>/dev/null > /proc/self/autogroup || true
fi
PY="${PY:-.venv/bin/python}"
LEDGER="${LEDGER:-benchmarks/results/ledger/long.json}"
JOBS="${JOBS:-2}"
THREADS="$OMP_NUM_THREADS thread(s)"
run() {
  ${NICE:+nice -n "$NICE"} "$PY" benchmarks/quality.py --resume --ledger "$LEDGER" \
    --jobs "$JOBS" "$@"
}
# a task's entry in the experiment table: `entry TASK EXPR` prints EXPR of
# its Experiment `e` (mmfeatdistill/tools/experiments.py)
entry() {
  "$PY" -c "import sys; from mmfeatdistill.tools.experiments import EXPERIMENTS as E; e = E[sys.argv[1]]; print(eval(sys.argv[2]))" "$1" "$2"
}
# run unless the results file has the section already
run_once() {
  local task="$1" label="$2"; shift 2
  if grep -qF -- "<!-- $task-long-$label: written by" "benchmarks/results/$(entry "$task" e.results_file)"; then
    echo "[long_runs] $task long ($label): section present, skipped"
  else
    run --task "$task" --schedule long --seeds 0 --only --label "$label" "$@"
  fi
}
# one task: E against 2E (the plain student), then, if converged, every
# stage for the seeds given (the E-versus-2E stages come from the cache
# or are skipped once done)
lane() {
  local task="$1"; shift
  local e
  e="$(epochs "$task")"
  run_once "$task" "plain student, E=$e, $THREADS"
  run_once "$task" "plain student, 2E=$((2 * e)), $THREADS" --epochs "$((2 * e))"
  local rc=0
  "$PY" benchmarks/long_check.py --task "$task" --epochs "$e" "$((2 * e))" \
    --ledger "$LEDGER" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "[long_runs] $task: E=$e is not converged; its other stages wait"
    return 0
  fi
  run --task "$task" --schedule long --seeds "$@"
  if [ "$*" = 0 ]; then
    sweep "$task"
  fi
}
# the validation sweeps a task's long reading needs (the `sweeps` of its
# experiment table's entry, e.g. seg's KD loss weight; benchmarks/sweep.py,
# same ledger, resumable, its variants two at a time; only the validation
# split is read), in its lane after its seed-0 stages
sweep() {
  local task="$1" n i
  n="$(entry "$task" "len(e.sweeps.get('long', ()))")"
  for ((i = 0; i < n; i++)); do
    local args=()
    mapfile -t args < <(entry "$task" "'\n'.join(e.sweeps['long'][$i].argv)")
    if [ "${#args[@]}" = 0 ]; then
      echo "[long_runs] $task: could not read long sweep $i from the experiment table" >&2
      return 1
    fi
    sweep_once "$task" "${args[@]}"
  done
}
# one sweep (--stage S --variant V ...), unless done: a long-schedule
# section of its stage in sweeps.md whose command has every variant and
# seed 0 (benchmarks/sweep.py's sweep_done: a sweep of some of the
# variants, or of near ones, does not count)
sweep_once() {
  local task="$1"; shift
  if "$PY" -c "import sys; from benchmarks.sweep import sweep_done; sys.exit(0 if sweep_done('benchmarks/results/sweeps.md', sys.argv[1], sys.argv[2:]) else 3)" \
      "$task" "$@"; then
    echo "[long_runs] $task $2 sweep: section present, skipped"
    return 0
  fi
  ${NICE:+nice -n "$NICE"} "$PY" benchmarks/sweep.py --task "$task" \
    --schedule long "$@" --seeds 0 --resume --ledger "$LEDGER" --jobs "$JOBS"
}
# E per task: the schedule's epochs (mmfeatdistill/tools/experiments.py;
# at 2 threads det E=12 was 2.70 mAP behind 2E=24, seg E=12 0.88 mIoU
# behind 24 and E=24 1.74 behind 48)
epochs() {
  entry "$1" "e.schedules['long']['epochs']"
}
# seed 0 on every task first (issue 28), then seeds 0-2; each round runs
# the dense tasks in two lanes (each lane's stages two at a time), then
# cls as soon as one of them is done. A lane that fails does not stop the
# others, nor the next round (its finished stages come from the cache);
# the script then exits with the failure.
status=0
for seeds in "0" "0 1 2"; do
  declare -A lanes=()
  # shellcheck disable=SC2086  # the seeds are separate arguments
  lane det $seeds & lanes[$!]=det
  # shellcheck disable=SC2086
  lane seg $seeds & lanes[$!]=seg
  cls_started=0
  while [ "${#lanes[@]}" -gt 0 ]; do
    rc=0
    wait -n -p finished "${!lanes[@]}" || rc=$?
    echo "[long_runs] lane ${lanes[$finished]} (seeds $seeds) ended, status $rc"
    unset "lanes[$finished]"
    [ "$rc" = 0 ] || status="$rc"
    if [ "$cls_started" = 0 ]; then
      # shellcheck disable=SC2086
      lane cls $seeds & lanes[$!]=cls
      cls_started=1
    fi
  done
done
exit "$status"
