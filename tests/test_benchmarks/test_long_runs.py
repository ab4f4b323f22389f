"""benchmarks/long_runs.sh's order, with its python replaced by a recorder
(``PY``): per task the plain student at E and 2E, the convergence check,
then every stage only where it says converged; seed 0 on every task before
any run of seeds 0-2. The script runs in a copy of the repo's layout with
empty results files, so the real ones are not read or written."""
import os
import os.path as osp
import shutil
import stat
import subprocess
import sys

from mmfeatdistill.tools.experiments import EXPERIMENTS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# PY of the script: `-c` snippets (the experiment table's lookups) go to the
# real python; quality.py and long_check.py only append their arguments to
# $CALLS, and long_check.py exits 3 (not converged) for $NOT_CONVERGED
FAKE_PY = f'''#!/usr/bin/env bash
if [ "$1" = -c ]; then exec {sys.executable} "$@"; fi
script="$1"; shift
echo "$(basename "$script") $*" >> "$CALLS"
if [ "$(basename "$script")" = long_check.py ] && \\
   [ "$2" = "$NOT_CONVERGED" ]; then exit 3; fi
exit 0
'''


def test_seed_zero_everywhere_first_and_only_where_converged(tmp_path):
    root = tmp_path / 'repo'
    (root / 'benchmarks' / 'results').mkdir(parents=True)
    shutil.copy(osp.join(REPO, 'benchmarks', 'long_runs.sh'),
                root / 'benchmarks')
    for experiment in EXPERIMENTS.values():
        (root / 'benchmarks' / 'results' / experiment.results_file).touch()
    fake = tmp_path / 'python'
    fake.write_text(FAKE_PY)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / 'calls.txt'
    env = dict(os.environ, PY=str(fake), CALLS=str(calls), NICE='',
               NOT_CONVERGED='seg', PYTHONPATH=REPO)
    subprocess.run(['bash', str(root / 'benchmarks' / 'long_runs.sh')],
                   env=env, check=True, timeout=120, stdout=subprocess.DEVNULL)
    lines = calls.read_text().splitlines()

    def task_of(line):
        return line.split('--task ')[1].split()[0]

    stages = [
        i for i, line in enumerate(lines)
        if line.startswith('quality.py') and '--only' not in line
    ]
    # every stage of a converged task, seed 0 then seeds 0-2; none of the
    # task that is not converged (seg)
    runs = [(task_of(lines[i]), lines[i].split('--seeds ')[1]) for i in stages]
    assert sorted(runs) == [('cls', '0'), ('cls', '0 1 2'), ('det', '0'),
                            ('det', '0 1 2')], runs
    assert max(i for i in stages if lines[i].endswith('--seeds 0')) < \
        min(i for i in stages if lines[i].endswith('--seeds 0 1 2'))
    for task in ('det', 'seg', 'cls'):
        e = EXPERIMENTS[task].schedules['long']['epochs']
        mine = [i for i, line in enumerate(lines) if task_of(line) == task]
        first = [lines[i] for i in mine[:3]]
        # E, then 2E, then the check of the two
        assert f'plain student, E={e},' in first[0], first
        assert f'--epochs {2 * e}' in first[1], first
        assert first[2].startswith('long_check.py') and \
            f'--epochs {e} {2 * e}' in first[2], first
        assert all('--resume' in lines[i] and '--jobs 2' in lines[i]
                   for i in mine if lines[i].startswith('quality.py'))
