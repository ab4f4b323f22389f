"""The training losses of a task's students, from the logs the stage cache
keeps: what each distillation stage did to the student's own (task) loss
and how far its added terms fell. The evidence beside a results table when
a method is not ahead of the plain student: did the student match the
teacher (its added terms fell) and did that cost it on its own task (a
higher task loss at the end than the plain student's)?

Reads the stage ledger (``--ledger``) for the task's students as
``benchmarks/quality.py --task TASK --schedule SCHEDULE --seeds SEED``
trained them at ``--threads`` threads (by the keys it files them under;
other options are the demo's, as given to ``quality.py``, e.g. ``--epochs
96``), and each one's MMEngine scalars
(``work/*/vis_data/scalars.json`` of its cache entry, merged over a
resumed stage's runs as the demo merges them). Writes a
table into the task's results file (section
``<task>-<schedule>-curves-seed<N>``) and a plot into
``benchmarks/results/curves/``.

    python benchmarks/loss_curves.py --task seg --schedule long

Columns: the task loss (the student's own losses: the plain student's
loss keys, mmpretrain's ``loss`` as ``loss_student`` under a distiller)
averaged over the last 10% of the logged iterations, its difference from
the plain student's, the added terms (every other loss key: distillation,
auxiliary heads) averaged over the first 5% and the last 10%, and their
share of the total loss at the end.
"""
import argparse
import os
import os.path as osp
import statistics
import sys
from typing import Dict, List, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from benchmarks._common import task_experiment, write_section  # noqa: E402
from benchmarks.long_check import stage_keys  # noqa: E402
from benchmarks.quality import demo_option  # noqa: E402

#: Fractions of the logged iterations averaged at the start and the end.
HEAD, TAIL = 0.05, 0.10


def read_scalars(work_dir: str) -> Dict[int, dict]:
    """The training lines of a stage's MMEngine scalars, by iteration.

    Args:
        work_dir (str): The stage's work dir, read by
            :func:`mmfeatdistill.tools.demo.read_scalars` (every run's
            ``scalars.json``, a resumed run replacing the earlier runs'
            lines from its first logged iteration on).

    Returns:
        dict: iteration -> the logged values of the training lines (those
        with an ``lr``); empty when the work dir holds no logs.
    """
    from mmfeatdistill.tools.demo import read_scalars as read_runs
    try:
        records = read_runs(work_dir)
    except FileNotFoundError:  # no work dir, or no scalars.json in it
        return {}
    training = [r for r in records if 'lr' in r and 'step' in r]
    return {
        int(r['step']): r
        for r in sorted(training, key=lambda r: r['step'])
    }


def loss_keys(lines: Dict[int, dict]) -> List[str]:
    """Every logged loss but MMEngine's total (``loss``).

    Args:
        lines (dict): :func:`read_scalars` of a stage.
    """
    keys = {k for values in lines.values() for k in values}
    return sorted(k for k in keys if 'loss' in k and k != 'loss')


def task_keys(baseline: Dict[int, dict]) -> List[str]:
    """The plain student's own losses.

    Args:
        baseline (dict): :func:`read_scalars` of the plain student.

    Returns:
        list[str]: Its loss keys, or ``['loss']`` when it logs only the
        total (mmpretrain's head, whose loss a distiller renames
        ``loss_student``).
    """
    return loss_keys(baseline) or ['loss']


def _mean(series: List[float], start: float, stop: float) -> float:
    n = len(series)
    lo, hi = int(n * start), max(int(n * stop), int(n * start) + 1)
    return statistics.fmean(series[lo:min(hi, n)] or series[-1:])


def summarise(lines: Dict[int, dict], own: List[str]) -> dict:
    """A stage's task loss and added terms at the start and the end.

    Args:
        lines (dict): :func:`read_scalars` of the stage.
        own (list[str]): The task's loss keys (:func:`task_keys`); under a
            distiller ``loss`` is looked up as ``loss_student``.

    Returns:
        dict: ``task`` (last 10%), ``added_first`` (first 5%),
        ``added_last`` (last 10%; both None without added terms),
        ``share`` (the added terms' share of the total at the end),
        ``added`` (their keys), ``iterations`` (the last logged one) and
        the series ``steps``, ``task_series``, ``added_series``.

    Raises:
        KeyError: the stage logs not the task's losses.
    """
    keys = loss_keys(lines)
    if own == ['loss']:  # the total alone is the task loss without terms
        task = ['loss_student'] if 'loss_student' in keys else \
            ([] if keys else ['loss'])
    else:
        task = own if set(own) <= set(keys) else []
    if not task:
        raise KeyError(f'the task loss ({", ".join(own)}) is not among the '
                       f'logged losses ({", ".join(keys) or "none"})')
    added = [k for k in keys if k not in task]
    steps = list(lines)
    task_series = [sum(lines[s].get(k, 0.0) for k in task) for s in steps]
    added_series = [sum(lines[s].get(k, 0.0) for k in added) for s in steps]
    result = dict(task=_mean(task_series, 1 - TAIL, 1.0), added=added,
                  added_first=None, added_last=None, share=None,
                  iterations=steps[-1] if steps else 0, steps=steps,
                  task_series=task_series, added_series=added_series)
    if added:
        result['added_first'] = _mean(added_series, 0.0, HEAD)
        result['added_last'] = _mean(added_series, 1 - TAIL, 1.0)
        total = result['task'] + result['added_last']
        result['share'] = result['added_last'] / total if total else None
    return result


def _number(value: Optional[float], fmt: str = '.4f') -> str:
    return '-' if value is None else format(value, fmt)


def format_table(rows: List[Tuple[str, dict, dict]], metric_label: str,
                 metric_key: str) -> str:
    """The markdown table: one row per student stage found.

    Args:
        rows (list): ``(stage name, ledger record, summary)``: the summary
            of :func:`summarise` (``baseline`` True for the plain
            student), or ``dict(missing=why)`` for a stage whose losses
            cannot be read.
        metric_label (str): The main metric's column header.
        metric_key (str): Its key in the records' ``metrics`` and
            ``val_metrics`` (percent).
    """
    plain = next((s['task'] for _, _, s in rows if s.get('baseline')), None)
    lines = [
        f'| stage | test {metric_label} | val {metric_label} | iterations '
        f'| task loss (last 10%) | vs plain | added terms (first 5% -> '
        f'last 10%) | added share at the end |', '|---' * 8 + '|'
    ]
    for name, record, s in rows:
        test = _number(record['metrics'].get(metric_key), '.2f')
        val = _number(record.get('val_metrics', {}).get(metric_key), '.2f')
        if s.get('missing'):
            lines.append(f'| {name} | {test} | {val} | - | {s["missing"]} '
                         f'| - | - | - |')
            continue
        versus = '-' if plain is None or s.get('baseline') else \
            f'{s["task"] - plain:+.4f}'
        added = '-' if s['added_first'] is None else (
            f'{s["added_first"]:.4f} -> {s["added_last"]:.4f} '
            f'({s["added_last"] / s["added_first"]:.2f}x)'
            if s['added_first'] else f'0 -> {s["added_last"]:.4f}')
        share = '-' if s['share'] is None else f'{100 * s["share"]:.0f}%'
        lines.append(f'| {name} | {test} | {val} | {s["iterations"]} | '
                     f'{s["task"]:.4f} | {versus} | {added} | {share} |')
    return '\n'.join(lines)


def plot(rows: List[Tuple[str, dict, dict]], path: str, title: str) -> None:
    """Task loss and added terms (moving average) against iterations.

    Args:
        rows (list): As :func:`format_table`'s.
        path (str): The PNG to write.
        title (str): The figure's title.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    def smooth(series: List[float]) -> List[float]:
        width = max(1, len(series) // 50)
        return [
            statistics.fmean(series[max(0, i - width + 1):i + 1])
            for i in range(len(series))
        ]

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, _, s in rows:
        if s.get('missing') or not s['steps']:
            continue
        left.plot(s['steps'], smooth(s['task_series']), label=name)
        if s['added']:
            right.plot(s['steps'], smooth(s['added_series']), label=name)
    left.set(title='task loss (the student\'s own)', xlabel='iteration')
    right.set(title='added terms (distillation, auxiliary)',
              xlabel='iteration', yscale='log')
    for axis in (left, right):
        axis.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> str:
    """Write the table and the plot; returns the table's section.

    Args:
        argv (list[str], optional): The command line (default:
            ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', required=True)
    parser.add_argument('--schedule', default='long')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', default=os.environ.get('OMP_NUM_THREADS') or '1',
        help='the thread count the stages ran with (default: '
        '$OMP_NUM_THREADS, else 1, as benchmarks/long_runs.sh runs them)')
    parser.add_argument(
        '--ledger', default=osp.join(REPO, 'benchmarks', 'results', 'ledger',
                                     'long.json'))
    parser.add_argument('--cache', default=None,
                        help='the stage cache (default: its default root)')
    parser.add_argument('--out', default=None,
                        help='default: the task\'s results file')
    parser.add_argument(
        '--plot', default=None,
        help='default: benchmarks/results/curves/<task>_<schedule>_seed<N>'
        '.png')
    args, demo_args = parser.parse_known_args(argv)
    from mmfeatdistill.tools.stage_cache import StageCache, StageLedger
    experiment = task_experiment(parser, args.task, args.schedule)
    epochs = int(
        demo_option(demo_args, '--epochs',
                    experiment.schedules[args.schedule]['epochs']))
    records = StageLedger(args.ledger).records()
    cache = StageCache(args.cache)
    keys = stage_keys(args.task, args.schedule, args.seed, args.threads,
                      demo_args)
    found = [(stage, keys[stage.name], records[keys[stage.name]])
             for stage in experiment.stages
             if stage.kind != 'teacher' and keys[stage.name] in records]
    if not any(stage.kind == 'baseline' for stage, _, _ in found):
        raise SystemExit(
            f'[loss_curves] {args.task}: the plain student at {epochs} '
            f'epochs, seed {args.seed}, {args.threads} thread(s) is not in '
            f'{args.ledger}; its losses are what the others are read '
            f'against')
    stages = []
    for stage, key, record in found:
        work_dir = cache.entry(key).work_dir
        stages.append((stage, record, read_scalars(work_dir), work_dir))
    baseline = next(x for x in stages if x[0].kind == 'baseline')
    if not baseline[2]:
        raise SystemExit(
            f'[loss_curves] {args.task}: no logs of the plain student in '
            f'{baseline[3]} (a cache on another machine?); its losses are '
            f'what the others are read against')
    own = task_keys(baseline[2])
    rows = []
    for stage, record, lines, work_dir in stages:
        try:
            if not lines:
                raise KeyError(f'no logs in {work_dir}')
            summary = summarise(lines, own)
        except KeyError as err:
            rows.append((stage.name, record, dict(missing=err.args[0])))
            continue
        summary['baseline'] = stage.kind == 'baseline'
        rows.append((stage.name, record, summary))
    metric = experiment.metrics[0]
    name = f'{args.task}_{args.schedule}_seed{args.seed}'
    plot_path = args.plot or osp.join(REPO, 'benchmarks', 'results', 'curves',
                                      f'{name}.png')
    title = (f'Training losses, {args.task}: {args.schedule} schedule, '
             f'E={epochs}, seed {args.seed}')
    plot(rows, plot_path, title)
    text = '\n'.join([
        f'## Training losses: `{args.schedule}` schedule, E={epochs}, seed '
        f'{args.seed} ({args.threads} thread(s))', '',
        f'Command: `python benchmarks/loss_curves.py --task {args.task} '
        f'--schedule {args.schedule} --seed {args.seed} --threads '
        f'{args.threads}' + ''.join(' ' + a
                                    for a in demo_args) + f'`; from the stage '
        f'ledger and the logs of the stage cache. Task loss: the student\'s '
        f'own losses ({", ".join(own)}; mmpretrain\'s `loss` is '
        f'`loss_student` under a distiller) over the last {TAIL:.0%} of '
        f'the logged iterations; added terms: every other loss (weighted, '
        f'as trained) over the first {HEAD:.0%} and the last {TAIL:.0%}. '
        f'Plot: `{osp.relpath(plot_path, REPO)}`.', '',
        format_table(rows, metric.label, metric.key), ''
    ])
    out = args.out or osp.join(REPO, 'benchmarks', 'results',
                               experiment.results_file)
    write_section(out, f'{args.task}-{args.schedule}-curves-seed{args.seed}',
                  text, 'benchmarks/loss_curves.py')
    print(text)
    return text


if __name__ == '__main__':
    main()
