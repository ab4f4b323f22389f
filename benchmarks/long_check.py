"""Is a task's long schedule converged? Issue 28's rule: the plain student
trained for 2E epochs is within ``--tolerance`` (0.3) points of the one
trained for E, on the validation split.

Reads the stage ledger the long runs write (``--ledger``, default
``benchmarks/results/ledger/long.json``): the plain student's stages of
``--task`` at E and 2E epochs, seed ``--seed``, at ``--threads`` torch
threads (default: ``$OMP_NUM_THREADS``, as the stage key takes it), the
newest record of each.

    python benchmarks/long_check.py --task det --epochs 24 48

Exit status: 0 converged, 3 not converged (train at 2E and check it
against 4E), 2 a stage is not in the ledger yet. ``benchmarks/long_runs.sh``
runs a task's distillation stages only when this says 0.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONVERGED, NOT_CONVERGED, MISSING = 0, 3, 2


def find_key(records: dict, config: str, epochs: int, seed: int,
             threads: str) -> Optional[str]:
    """The stage key of the newest ledger record of ``config`` trained
    ``epochs`` epochs with ``seed`` at ``threads`` threads, or None.

    Args:
        records (dict): The ledger (stage key -> record).
        config (str): The stage's config, as the ledger names it.
        epochs (int): ``train_cfg.max_epochs``.
        seed (int): ``randomness.seed``.
        threads (str): The torch thread count the stage ran with.
    """
    wanted = {f'train_cfg.max_epochs={epochs}', f'randomness.seed={seed}'}
    found = [
        key for key, r in records.items()
        if r.get('config') == config and wanted <= set(r.get('options', []))
        and str(r.get('threads')) == str(threads)
    ]
    return max(found, key=lambda k: records[k].get('date', '')) \
        if found else None


def find_record(records: dict, config: str, epochs: int, seed: int,
                threads: str) -> Optional[dict]:
    """The record of :func:`find_key` (same arguments), or None."""
    key = find_key(records, config, epochs, seed, threads)
    return None if key is None else records[key]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', required=True)
    parser.add_argument('--epochs', type=int, nargs=2, required=True,
                        metavar=('E', '2E'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads',
                        default=os.environ.get('OMP_NUM_THREADS', ''))
    parser.add_argument('--tolerance', type=float, default=0.3)
    parser.add_argument(
        '--ledger', default=osp.join(REPO, 'benchmarks', 'results', 'ledger',
                                     'long.json'))
    args = parser.parse_args(argv)
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    from mmfeatdistill.tools.stage_cache import StageLedger
    if args.task not in EXPERIMENTS:
        parser.error(f'--task {args.task!r}: not one of '
                     f'{sorted(EXPERIMENTS)}')
    experiment = EXPERIMENTS[args.task]
    baseline = next(s for s in experiment.stages if s.kind == 'baseline')
    metric = experiment.metrics[0]
    records = StageLedger(args.ledger).records()
    values = []
    for epochs in args.epochs:
        record = find_record(records, baseline.config, epochs, args.seed,
                             args.threads)
        if record is None or metric.key not in record.get('val_metrics', {}):
            print(f'[long_check] {args.task}: no validation result of the '
                  f'plain student at {epochs} epochs, seed {args.seed}, '
                  f'{args.threads or "?"} thread(s) in {args.ledger}')
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
