"""The driver (our environment): one worker process per framework, pair
and job, in the framework's environment."""
import json
import os
import os.path as osp
import subprocess

from .pairs import PAIRS, PYTHONS, REPO

#: The script every worker runs (``--worker FRAMEWORK PAIR JOB``).
SCRIPT = osp.join(REPO, 'benchmarks', 'peers.py')


def run_worker(framework, pair, job, repeats, block, log, teacher_bn='own'):
    python = PYTHONS[framework]
    if not osp.exists(python):
        raise RuntimeError(f'no {framework} environment at {python}: run '
                           f'benchmarks/peer_envs/{framework}.sh')
    spec = PAIRS[pair]
    cmd = [
        python, SCRIPT, '--worker', framework, pair, job, '--repeats',
        str(repeats), '--block',
        str(block), '--batch',
        str(spec['batch']), '--size',
        str(spec['size']), '--teacher-bn', teacher_bn
    ]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                          env=env)
    with open(log, 'a') as f:
        f.write(f'$ {" ".join(cmd)}\n{proc.stdout[-4000:]}\n'
                f'{proc.stderr[-8000:]}\n')
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith('RESULT ')
    ]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(proc.stderr[-3000:] or proc.stdout[-3000:])
    return json.loads(lines[-1][len('RESULT '):])


def measure(framework, pair, repeats, block, log, teacher_bn='own'):
    """Timings and both memory peaks of one framework on one pair."""
    result = run_worker(framework, pair, 'time', repeats, block, log,
                        teacher_bn)
    for mode in ('distill', 'base'):
        mem = run_worker(framework, pair, f'memory-{mode}', repeats, block,
                         log, teacher_bn)
        result[f'mem_{mode}'] = mem['peak']
        result[f'built_{mode}'] = mem['built']
    return result


def selected_runs(args):
    """``(pair, framework)`` of every run that ``--pairs`` and
    ``--frameworks`` select, in the table's order."""
    for pair in args.pairs:
        for framework in PAIRS[pair]['frameworks']:
            if framework in args.frameworks:
                yield pair, framework
