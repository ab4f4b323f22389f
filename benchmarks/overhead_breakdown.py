"""Where a distillation step's time goes beyond its parts (a diagnostic for
``benchmarks/overhead.py``; writes nothing).

``distill - (student + teacher + modules)`` splits into three terms, each
timed as its own step (round-robin, each step's last of ``--block`` runs in
a row timed, per-round medians) together with its minor page faults:

* ``base - (student + teacher)``: running the teacher's forward in the
  student's step (first, as the distiller does), as any distillation must
  (``base`` is that step without recorders or method);
* ``recorders - base``: our recorders and mapping (``recorders`` is the
  distiller's step with the distillation losses dropped: hooks, record
  copies, the distiller's forward);
* ``(distill - recorders) - modules``: the method run inside the full graph
  instead of on cut records.

``no_clone`` (the distiller's step with the records not copied; only valid
when nothing modifies a recorded tensor in place, as in these configs)
shows what the copies cost.

    python benchmarks/overhead_breakdown.py --only tofd_cifar100 | grep '^|'
"""
import argparse
import os
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from benchmarks.overhead import ROWS, build, make_steps  # noqa: E402

ORDER = ('distill', 'student', 'teacher', 'modules', 'base', 'recorders',
         'no_clone')


def breakdown(name: str, repeats: int, block: int = 2) -> dict:
    """name -> (median wall s, median minor faults) of every step."""
    import mmfeatdistill.models.recorders.base_recorder as base_recorder
    with tempfile.TemporaryDirectory() as workdir:
        built = build(name, workdir)
    model, data, distill_optim = built[:3]
    steps, before = make_steps(*built)

    def recorders_step():
        model.compute_distill_losses = lambda *args, **kwargs: {}
        try:
            model.train_step(data, distill_optim)
        finally:
            del model.compute_distill_losses

    def no_clone_step():
        clone = base_recorder.clone_tensors
        base_recorder.clone_tensors = lambda value: value
        try:
            model.train_step(data, distill_optim)
        finally:
            base_recorder.clone_tensors = clone

    steps.update(recorders=recorders_step, no_clone=no_clone_step)
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
    return {key: (statistics.median(wall[key][1:]),
                  statistics.median(faults[key][1:])) for key in ORDER}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--block', type=int, default=2)
    parser.add_argument('--only', nargs='*', default=list(ROWS))
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    print('| config | ' + ' | '.join(f'{k} ms (faults)' for k in ORDER) +
          ' | base - (s + t) | recorders - base | (distill - recorders) - '
          'modules | overhead ratio |')
    print('|' + '---|' * (len(ORDER) + 5))
    for name in args.only:
        r = breakdown(name, args.repeats, args.block)
        ms = {k: 1e3 * v[0] for k, v in r.items()}
        cells = [f'{ms[k]:.1f} ({r[k][1]:.0f})' for k in ORDER]
        parts = ms['student'] + ms['teacher'] + ms['modules']
        print(f'| {name} | ' + ' | '.join(cells) +
              f' | {ms["base"] - ms["student"] - ms["teacher"]:.1f}'
              f' | {ms["recorders"] - ms["base"]:.1f}'
              f' | {ms["distill"] - ms["recorders"] - ms["modules"]:.1f}'
              f' | {ms["distill"] / parts:.3f} |', flush=True)


if __name__ == '__main__':
    main()
