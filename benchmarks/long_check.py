"""Is a task's long schedule converged? Issue 28's rule: the plain student
trained for 2E epochs is within ``--tolerance`` (0.3) points of the one
trained for E, on the validation split.

Reads the stage ledger the long runs write (``--ledger``, default
``benchmarks/results/ledger/long.json``): the records of the plain
student's stages of ``--task`` at E and 2E epochs, seed ``--seed``, at
``--threads`` torch threads (default: ``$OMP_NUM_THREADS``), found by the
keys ``benchmarks/quality.py --schedule SCHEDULE --epochs E`` (and 2E;
``--schedule``, default ``long``) files them under; other options are the
demo's, as given to ``quality.py``.

    python benchmarks/long_check.py --task det --epochs 24 48

Exit status: 0 converged, 3 not converged (train at 2E and check it
against 4E), 2 a stage is not in the ledger yet. ``benchmarks/long_runs.sh``
runs a task's distillation stages only when this says 0.
"""
import argparse
import os
import os.path as osp
import sys
from contextlib import chdir, contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONVERGED, NOT_CONVERGED, MISSING = 0, 3, 2


@contextmanager
def torch_threads(threads: str) -> Iterator[None]:
    """``$OMP_NUM_THREADS`` set to ``threads`` inside (the stage keys
    hold the thread count their stages ran with)."""
    old = os.environ.get('OMP_NUM_THREADS')
    os.environ['OMP_NUM_THREADS'] = str(threads)
    try:
        yield
    finally:
        if old is None:
            del os.environ['OMP_NUM_THREADS']
        else:
            os.environ['OMP_NUM_THREADS'] = old


def stage_keys(task: str, schedule: str, seed: int, threads: str,
               demo_args: Sequence[str] = (),
               names: Optional[Sequence[str]] = None, steps: bool = False,
               experiment=None) -> Dict[str, str]:
    """Stage name -> the key under which ``benchmarks/quality.py --task
    TASK --schedule SCHEDULE --seeds SEED [demo_args]`` at ``threads``
    torch threads files each stage's result (the stage cache's entry and
    the ledger's record): :func:`~mmfeatdistill.tools.demo.stage_keys_of`,
    from the repository's root, where ``benchmarks/long_runs.sh`` runs it
    (the demo's default data folders are relative to it, and the keys
    cover those folders by content).

    Args:
        task (str): The experiment.
        schedule (str): The schedule's name.
        seed (int): The students' seed.
        threads (str): The thread count the stages ran with.
        demo_args (Sequence[str]): The demo options the run was given
            (e.g. ``--epochs 96``).
        names (Sequence[str], optional): These stages only.
        steps (bool): Also the keys of the steps that make stages'
            inputs (see :func:`~mmfeatdistill.tools.demo.stage_keys_of`).
        experiment (Experiment, optional): The table's entry of ``task``
            with more stages (e.g. a sweep's variants, as
            ``benchmarks/sweep.py`` runs them); default the entry.
    """
    from benchmarks.quality import demo_argv
    from mmfeatdistill.tools.demo import stage_keys_of
    with torch_threads(threads), chdir(REPO):
        return stage_keys_of(demo_argv(task, schedule, seed, demo_args),
                             experiment, names=names, steps=steps)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', required=True)
    parser.add_argument('--epochs', type=int, nargs=2, required=True,
                        metavar=('E', '2E'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--schedule', default='long',
                        help='the schedule the stages ran (default: long)')
    parser.add_argument('--threads',
                        default=os.environ.get('OMP_NUM_THREADS', ''))
    parser.add_argument('--tolerance', type=float, default=0.3)
    parser.add_argument(
        '--ledger', default=osp.join(REPO, 'benchmarks', 'results', 'ledger',
                                     'long.json'))
    args, demo_args = parser.parse_known_args(argv)
    from benchmarks._common import task_experiment
    from mmfeatdistill.tools.stage_cache import StageLedger
    experiment = task_experiment(parser, args.task, args.schedule)
    baseline = next(s for s in experiment.stages if s.kind == 'baseline')
    metric = experiment.metrics[0]
    records = StageLedger(args.ledger).records()
    values = []
    for epochs in args.epochs:
        key = stage_keys(
            args.task, args.schedule, args.seed, args.threads,
            [*demo_args, '--epochs', str(epochs)],
            [baseline.name])[baseline.name]
        record = records.get(key)
        if record is None or metric.key not in record.get('val_metrics', {}):
            print(f'[long_check] {args.task}: no validation result of the '
                  f'plain student at {epochs} epochs, seed {args.seed}, '
                  f'{args.threads or "?"} thread(s) in {args.ledger} (its '
                  f'key covers the prepared data by content, the torch '
                  f'version, the device and the thread count too: a run '
                  f'with other ones is another stage)')
            return MISSING
        # the ledger holds the results table's values (percent)
        values.append(record['val_metrics'][metric.key])
    gap = values[1] - values[0]
    converged = gap <= args.tolerance
    print(f'[long_check] {args.task}: plain student on validation '
          f'{metric.label} {values[0]:.2f} at E={args.epochs[0]}, '
          f'{values[1]:.2f} at 2E={args.epochs[1]} ({gap:+.2f}): ' +
          ('converged' if converged else
           f'not converged (more than {args.tolerance} points); set the '
           f'long schedule to E={args.epochs[1]} and check it against '
           f'{2 * args.epochs[1]}'))
    return CONVERGED if converged else NOT_CONVERGED


if __name__ == '__main__':
    sys.exit(main())
