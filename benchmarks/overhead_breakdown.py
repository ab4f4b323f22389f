"""Where a distillation step's time goes beyond its parts (a diagnostic for
``benchmarks/overhead.py``; writes nothing).

``distill - (student + teacher + modules)`` splits into three terms, each
timed as its own step (round-robin, each step's last of ``--block`` runs in
a row timed, per-round medians) together with its minor page faults:

* ``base - (student + teacher)``: running the teacher's forward in the
  student's step (first, as the distiller does), as any distillation must
  (``base`` is that step without recorders or method);
* ``recorders - base``: our recorders and mapping (``recorders`` is the
  distiller's step without the distillation losses: ``model.record`` runs
  teacher and student with their recorders, then the student's task losses'
  backward and update);
* ``(distill - recorders) - modules``: the method run inside the full graph
  instead of on cut records.

``auto_clone`` is the distiller's step with every recorder's
``clone='auto'`` (records not copied where nothing changes them in place
afterwards; see ``BaseRecorder``): what the copies that can be skipped
cost. Rows and their sizes are ``overhead.py``'s.

    python benchmarks/overhead_breakdown.py --only tofd_ | grep '^|'
"""
import argparse
import os
import resource
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from benchmarks._overhead.rows import DEFAULT_CONFIGS, discover  # noqa: E402
from benchmarks._overhead.steps import build, make_steps  # noqa: E402

ORDER = ('distill', 'student', 'teacher', 'modules', 'base', 'recorders',
         'auto_clone')


def _set_clone(model, clone) -> list:
    """Set every recorder's ``clone`` option; return the previous ones."""
    recorders = [
        *model.student_recorders.recorders.values(),
        *model.teacher_recorders.recorders.values()
    ]
    previous = [r.clone for r in recorders]
    for recorder, mode in zip(
            recorders,
            clone if isinstance(clone, list) else [clone] * len(recorders)):
        recorder.set_clone(mode)
    return previous


def breakdown(row, repeats: int, block: int = 2) -> dict:
    """name -> (median wall s, median minor faults) of every step."""
    with tempfile.TemporaryDirectory() as workdir:
        built = build(row, workdir)
    model = built[0]
    steps, before = make_steps(*built)
    configured = _set_clone(model, 'auto')
    steps['distill']()  # 'auto' learns which records need their copy
    _set_clone(model, configured)

    def auto_clone_step():
        _set_clone(model, 'auto')
        try:
            steps['distill']()
        finally:
            _set_clone(model, configured)

    steps['auto_clone'] = auto_clone_step
    wall = {key: [] for key in ORDER}
    faults = {key: [] for key in ORDER}
    for _ in range(repeats + 1):  # the first round warms up
        for key in ORDER:
            for _ in range(block):
                if key in before:
                    before[key]()
                f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                start = time.perf_counter()
                steps[key]()
                elapsed = time.perf_counter() - start
            wall[key].append(elapsed)
            faults[key].append(
                resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    return {
        key:
        (statistics.median(wall[key][1:]), statistics.median(faults[key][1:]))
        for key in ORDER
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--configs', nargs='+', default=list(DEFAULT_CONFIGS))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--block', type=int, default=2)
    parser.add_argument('--only', nargs='*', default=None)
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    print('| config | ' + ' | '.join(f'{k} ms (faults)' for k in ORDER) +
          ' | base - (s + t) | recorders - base | (distill - recorders) - '
          'modules | overhead ratio | load |')
    print('|' + '---|' * (len(ORDER) + 6))
    for row in discover(args.configs, 'cpu', args.only):
        r = breakdown(row, args.repeats, args.block)
        ms = {k: 1e3 * v[0] for k, v in r.items()}
        cells = [f'{ms[k]:.1f} ({r[k][1]:.0f})' for k in ORDER]
        parts = ms['student'] + ms['teacher'] + ms['modules']
        load = ' / '.join(f'{x:.2f}' for x in os.getloadavg())
        print(
            f'| {row.name} | ' + ' | '.join(cells) +
            f' | {ms["base"] - ms["student"] - ms["teacher"]:.1f}'
            f' | {ms["recorders"] - ms["base"]:.1f}'
            f' | {ms["distill"] - ms["recorders"] - ms["modules"]:.1f}'
            f' | {ms["distill"] / parts:.3f} | {load} |', flush=True)


if __name__ == '__main__':
    main()
