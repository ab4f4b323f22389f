"""benchmarks/long_runs.sh's order, with its python replaced by a recorder
(``PY``): per task the plain student at E and 2E, the convergence check,
then every stage only where it says converged; seed 0 on every task before
any run of seeds 0-2; a lane that fails stops no other. The script runs in
a copy of the repo's layout with empty results files, so the real ones are
not read or written."""
import os
import os.path as osp
import shutil
import stat
import subprocess
import sys
from typing import List, Tuple

from mmfeatdistill.tools.experiments import EXPERIMENTS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# PY of the script: `-c` snippets (the experiment table's lookups) go to the
# real python; quality.py and long_check.py only append their arguments to
# $CALLS; long_check.py exits 3 (not converged) for task $NOT_CONVERGED,
# the stage runs (not the plain student's --only runs) of task $FAILING
# exit 1, and those of task $HOLD wait for task $UNTIL's first call
FAKE_PY = f'''#!/usr/bin/env bash
if [ "$1" = -c ]; then exec '{sys.executable}' "$@"; fi
script="$(basename "$1")"; shift
# a stage run of task $HOLD waits (up to 10 s) for a call of task $UNTIL
if [[ " $* " == *" --task $HOLD "* && "$*" != *--only* ]]; then
  for _ in $(seq 100); do
    grep -q -- "--task $UNTIL " "$CALLS" && break
    sleep 0.1
  done
fi
echo "$script $*" >> "$CALLS"
echo "$#" >> "$CALLS.nargs"  # (the arguments' boundaries: their count)
if [ "$script" = long_check.py ] && [ "$2" = "$NOT_CONVERGED" ]; then
  exit 3
fi
if [ "$script" = quality.py ] && [[ " $* " == *" --task $FAILING "* ]] && \\
   [[ "$*" != *--only* ]]; then
  exit 1
fi
exit 0
'''


def run_script(tmp_path, sweeps: str = '',
               **env: str) -> Tuple[int, List[str]]:
    """Run a copy of long_runs.sh with the recording python (``sweeps``:
    the text of its benchmarks/results/sweeps.md); returns its exit status
    and the recorded calls (one line each)."""
    root = tmp_path / 'repo'
    (root / 'benchmarks' / 'results').mkdir(parents=True)
    (root / 'benchmarks' / 'results' / 'sweeps.md').write_text(sweeps)
    shutil.copy(osp.join(REPO, 'benchmarks', 'long_runs.sh'),
                root / 'benchmarks')
    for experiment in EXPERIMENTS.values():
        (root / 'benchmarks' / 'results' / experiment.results_file).touch()
    fake = tmp_path / 'python'
    fake.write_text(FAKE_PY)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / 'calls.txt'
    # the script's own settings, not the host's
    settings = dict(PY=str(fake), CALLS=str(calls), NICE='', JOBS='2',
                    LEDGER='ledger.json', OMP_NUM_THREADS='1', PYTHONPATH=REPO,
                    NOT_CONVERGED='', FAILING='', HOLD='', UNTIL='')
    settings.update(env)
    env = dict(os.environ, **settings)
    proc = subprocess.run(
        ['bash', str(root / 'benchmarks' / 'long_runs.sh')], env=env,
        timeout=120, stdout=subprocess.DEVNULL)
    return proc.returncode, calls.read_text().splitlines()


def task_of(line: str) -> str:
    return line.split('--task ')[1].split()[0]


def stage_runs(lines: List[str]) -> List[Tuple[int, str, str]]:
    """(line number, task, seeds) of each run of a task's stages (not the
    plain student's E/2E runs)."""
    return [(i, task_of(line), line.split('--seeds ')[1])
            for i, line in enumerate(lines)
            if line.startswith('quality.py') and '--only' not in line]


def test_seed_zero_everywhere_first_and_only_where_converged(tmp_path):
    status, lines = run_script(tmp_path, NOT_CONVERGED='seg')
    assert status == 0
    runs = stage_runs(lines)
    # every stage of a converged task, seed 0 then seeds 0-2; none of the
    # task that is not converged (seg)
    assert sorted(
        (task, seeds) for _, task, seeds in runs) == [('cls', '0'),
                                                      ('cls', '0 1 2'),
                                                      ('det', '0'),
                                                      ('det', '0 1 2')], runs
    assert max(i for i, _, seeds in runs if seeds == '0') < \
        min(i for i, _, seeds in runs if seeds == '0 1 2')
    for task in ('det', 'seg', 'cls'):
        e = EXPERIMENTS[task].schedules['long']['epochs']
        mine = [line for line in lines if task_of(line) == task]
        # E, then 2E, then the check of the two
        assert f'plain student, E={e}, 1 thread(s)' in mine[0], mine[:3]
        assert f'--epochs {2 * e}' in mine[1], mine[:3]
        assert mine[2].startswith('long_check.py') and \
            f'--epochs {e} {2 * e}' in mine[2], mine[:3]
        assert all('--resume' in line and '--jobs 2' in line
                   and '--ledger ledger.json' in line for line in mine
                   if line.startswith('quality.py'))


def test_sweeps_run_after_their_tasks_seed_zero_stages(tmp_path):
    """The experiment table's ``long`` sweeps, each once, in its task's
    lane after the task's seed-0 stages, before its seeds 0-2."""
    table = [(task, sweep) for task, e in EXPERIMENTS.items()
             for sweep in e.sweeps.get('long', ())]
    assert table, 'no long sweep in the table to test with'
    status, lines = run_script(tmp_path)
    assert status == 0
    sweeps = [i for i, line in enumerate(lines) if line.startswith('sweep.py')]
    assert sorted(task_of(lines[i]) for i in sweeps) == \
        sorted(task for task, _ in table), lines
    nargs = (tmp_path / 'calls.txt.nargs').read_text().split()
    for (task,
         sweep), i in zip(sorted(table, key=lambda t: t[0]),
                          sorted(sweeps, key=lambda i: task_of(lines[i]))):
        runs = [(j, seeds) for j, t, seeds in stage_runs(lines) if t == task]
        assert runs[0][1] == '0' and runs[0][0] < i < runs[1][0]
        assert f'--schedule long --stage {sweep.stage}' in lines[i]
        assert '--resume --ledger ledger.json' in lines[i]
        # its variants two at a time
        assert lines[i].endswith('--jobs 2'), lines[i]
        # each variant one argument ("--variant" and its text each):
        # --task, --schedule, the sweep's, --seeds, --resume, --ledger,
        # --jobs
        assert int(nargs[i]) == 11 + len(sweep.argv), lines[i]
    # a section of the first sweep in sweeps.md already (its command has
    # every variant): skipped
    task, sweep = table[0]

    def section(variants, seeds='0'):
        return (f'### {task} / {sweep.stage}: validation split, `long` '
                'schedule (2026-12-08)\n\nCommand: `python '
                f'benchmarks/sweep.py --task {task} --stage {sweep.stage!r} ' +
                ' '.join(f'--variant {v!r}'
                         for v in variants) + f' --seeds {seeds}`')

    def swept(lines):
        return [
            line for line in lines if line.startswith('sweep.py')
            and f'--stage {sweep.stage}' in line and task_of(line) == task
        ]

    _, lines = run_script(tmp_path / 'done', sweeps=section(sweep.variants))
    assert not swept(lines)
    # not done: a sweep of some of the variants (the cases:
    # test_sweep.py's test of sweep_done)
    _, lines = run_script(tmp_path / 'some',
                          sweeps=section(sweep.variants[1:]))
    assert swept(lines)
    # not where the task is not converged
    _, lines = run_script(tmp_path / 'again', NOT_CONVERGED=task)
    assert not swept(lines)


def test_a_failing_lane_stops_neither_the_others_nor_the_next_round(tmp_path):
    status, lines = run_script(tmp_path, FAILING='det')
    assert status != 0
    assert sorted((task, seeds) for _, task, seeds in stage_runs(lines)) == [
        (task, seeds) for task in ('cls', 'det', 'seg')
        for seeds in ('0', '0 1 2')
    ]


def test_cls_starts_when_the_first_dense_lane_ends(tmp_path):
    """seg is not converged, so its lane ends at once: cls starts then, not
    after det's stages (det's first stage run waits for it)."""
    status, lines = run_script(tmp_path, NOT_CONVERGED='seg', HOLD='det',
                               UNTIL='cls')
    assert status == 0
    first_cls = next(i for i, line in enumerate(lines)
                     if task_of(line) == 'cls')
    first_det_stages = next(i for i, task, _ in stage_runs(lines)
                            if task == 'det')
    assert first_cls < first_det_stages, lines
