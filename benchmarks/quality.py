"""An experiment of the table over several seeds: mean ± std of each
metric per stage on the task's full test split, the gain over the plain
student and over logit KD (``--versus``), in how many seeds each is ahead,
and the training time; written to ``benchmarks/results/<task's file>.md``.

    python benchmarks/quality.py --task cls [--seeds 0 1 2] [--schedule long]
    python benchmarks/quality.py --task seg [demo options...]

One teacher (seed 0, trained once per task and schedule, kept in the stage
cache), with its backbone pretraining and TOFD's teacher heads, serves every
seed; per seed the stages are trained and tested through ``tools/train.py
--test`` exactly as ``tools/demo.py`` does (demo options, e.g.
``--epochs``, pass through).
"""
import argparse
import os
import os.path as osp
import platform
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from benchmarks._common import write_section  # noqa: E402


def _versus(values: List[float], others: List[float]) -> dict:
    """Mean gain of ``values`` over ``others`` (one per seed, same seed
    order), the seeds where it is ahead, and whether the gain exceeds the
    larger of their two standard deviations (None with one seed: no
    spread is measured)."""
    gain = statistics.mean(values) - statistics.mean(others)
    beyond = None
    if len(values) > 1 and len(others) > 1:
        beyond = gain > max(statistics.stdev(v) for v in (values, others))
    return dict(gain=gain, ahead=sum(v > o for v, o in zip(values, others)),
                beyond_std=beyond)


def _yes_no(beyond: Optional[bool]) -> str:
    """A "beyond 1 std" cell; ``n/a`` where one seed measured no spread."""
    return 'n/a (1 seed)' if beyond is None else ('yes' if beyond else 'no')


def default_versus(experiment) -> Optional[str]:
    """The stage the methods are also compared with: the table's first
    reference stage (logit KD in every task of the table)."""
    return next((s.name for s in experiment.stages if s.kind == 'reference'),
                None)


def summarise(per_seed: List[List[dict]], experiment,
              versus: Optional[str] = None) -> List[dict]:
    """Per stage: mean/std of every metric, gain over the baseline (main
    metric), seeds ahead, whether the gain is beyond one std, mean time;
    and the same against the stage ``versus`` (e.g. ``'KD'``) for the
    other distillation stages, when that stage has runs.

    Args:
        per_seed (list[list[dict]]): The demo's results, one list per seed
            (in the same seed order for every stage).
        experiment (Experiment): The table's experiment.
        versus (str, optional): A stage to compare the distillation stages
            with, besides the baseline (``'vs'`` entries of the rows).
    """
    main = experiment.metrics[0].key
    by_name: Dict[str, List[dict]] = {}
    for results in per_seed:
        for r in results:
            by_name.setdefault(r['name'], []).append(r)
    base = by_name[next(s.name for s in experiment.stages
                        if s.kind == 'baseline')]
    base_main = [r['metrics'][main] for r in base]
    versus_main = [r['metrics'][main] for r in by_name.get(versus, [])]
    rows = []
    for stage in experiment.stages:
        runs = by_name.get(stage.name)
        if not runs:
            continue
        row = dict(name=stage.name, kind=stage.kind, seeds=len(runs),
                   time=statistics.mean(r['time'] for r in runs))
        vals = [r.get('val_metrics', {}).get(main) for r in runs]
        row['val'] = statistics.mean(vals) if None not in vals else None
        for metric in experiment.metrics:
            values = [r['metrics'][metric.key] for r in runs]
            row[metric.key] = (statistics.mean(values),
                               statistics.stdev(values)
                               if len(values) > 1 else 0.0)
        if stage.kind not in ('teacher', 'baseline'):
            values = [r['metrics'][main] for r in runs]
            row.update(_versus(values, base_main))
            # the same seeds on both sides (the demo returns every stage
            # for every seed)
            if len(versus_main) == len(values) and stage.name != versus:
                row['vs'] = _versus(values, versus_main)
        rows.append(row)
    return rows


def stage_hours(per_seed: List[List[dict]], experiment) -> float:
    """The hours the table's stages took to train and test, added up over
    the seeds: each run's own time (a resumed stage counts its runs, not
    the pauses between them; a row from the cache or the ledger its
    original run; TOFD's its teacher-heads step's too), a teacher shared
    by the seeds once, and so a teacher-heads step (shared by the seeds:
    counted with the stage's first seed). What no row holds is not
    counted: the backbones' pretraining, and the teacher-heads step of a
    TOFD row recorded before its result kept that step's time (commit
    19d53c3, 2026-12-07 20:53).

    Args:
        per_seed (list[list[dict]]): The demo's results, one list per seed.
        experiment (Experiment): The table's experiment.
    """
    kinds = {s.name: s.kind for s in experiment.stages}
    seconds, seen = 0.0, set()
    for results in per_seed:
        for r in results:
            if r['name'] not in kinds:
                continue
            first = r['name'] not in seen
            seen.add(r['name'])
            if kinds[r['name']] == 'teacher':
                seconds += r['time'] if first else 0.0
            else:
                seconds += r['time'] - (0.0 if first else r.get(
                    'teacher_heads_time', 0.0))
    return seconds / 3600


def format_rows(rows: List[dict], experiment,
                versus: Optional[str] = None) -> str:
    """The rows of :func:`summarise` as a markdown table; a column of the
    comparison with ``versus`` when a row has one."""
    metrics = experiment.metrics
    spread = ' mean ± std' if any(r['seeds'] > 1 for r in rows) else ''
    head = ' | '.join(f'{m.label}{spread}' for m in metrics)
    with_vs = any('vs' in row for row in rows)
    vs_head = (f' gain over {versus} (seeds ahead; beyond 1 std) |'
               if with_vs else '')
    lines = [
        f'| model | {head} | gain over baseline | ahead of baseline '
        f'in | beyond 1 std |{vs_head} validation {metrics[0].label} mean | '
        f'time (s): training + test |',
        '|---|' + '---|' * (len(metrics) + 5 + with_vs)
    ]
    for row in rows:
        # no std of one seed, nor of the teacher (one run for every seed)
        std = row['seeds'] > 1 and row['kind'] != 'teacher'
        values = ' | '.join(f'{row[m.key][0]:.2f}' +
                            (f' ± {row[m.key][1]:.2f}' if std else '')
                            for m in metrics)
        if 'gain' in row:
            extra = (f'{row["gain"]:+.2f} | {row["ahead"]}/{row["seeds"]} '
                     f'seeds | {_yes_no(row["beyond_std"])}')
        else:
            extra = ' | | '
        if with_vs:
            vs = row.get('vs')
            extra += (f' | {vs["gain"]:+.2f} ({vs["ahead"]}/{row["seeds"]}; '
                      f'{_yes_no(vs["beyond_std"])})' if vs else ' | ')
        cached = ' (once)' if row['kind'] == 'teacher' else ''
        val = '' if row.get('val') is None else f'{row["val"]:.2f}'
        lines.append(f'| {row["name"]} | {values} | {extra} | {val} | '
                     f'{row["time"]:.0f}{cached} |')
    return '\n'.join(lines)


def demo_option(demo_args: List[str], flag: str, default: str) -> str:
    """The value the demo options give ``flag`` (its last one, as
    argparse takes it), else ``default``."""
    values = [v for f, v in zip(demo_args, demo_args[1:]) if f == flag]
    return values[-1] if values else default


def effective_schedule(schedule: Dict[str, object],
                       demo_args: List[str]) -> Dict[str, object]:
    """The schedule's settings with the demo options that override them
    (e.g. ``--epochs 20`` over the schedule's ``epochs``)."""
    from mmfeatdistill.tools.experiments import schedule_option
    settings = dict(schedule)
    for key in schedule:
        settings[key] = demo_option(demo_args, schedule_option(key),
                                    settings[key])
    return settings


def demo_argv(task: str, schedule: str, seed: int,
              demo_args: Sequence[str] = (),
              work_dir: Optional[str] = None) -> List[str]:
    """The demo's arguments for one seed of a table: the schedule's
    settings (those ``demo_args`` do not override), ``demo_args``, the
    seed, one teacher (seed 0) for every seed (with its backbone
    pretraining and TOFD's teacher heads, which take its seed).

    Args:
        task (str): The experiment.
        schedule (str): Its schedule's name (e.g. ``'long'``).
        seed (int): The students' seed.
        demo_args (Sequence[str]): More demo options (e.g. ``--epochs``).
        work_dir (str, optional): Default
            ``work_dirs/quality_<task>_<schedule>``.
    """
    from mmfeatdistill.tools.experiments import EXPERIMENTS, schedule_option
    work_dir = work_dir or osp.join(REPO, 'work_dirs',
                                    f'quality_{task}_{schedule}')
    schedule_args = []
    for key, value in EXPERIMENTS[task].schedules[schedule].items():
        if schedule_option(key) not in demo_args:
            schedule_args += [schedule_option(key), str(value)]
    return [
        '--task', task, *schedule_args, *demo_args, '--seed',
        str(seed), '--teacher-seed', '0', '--quiet', '--teacher-dir',
        osp.join(work_dir, 'teacher'), '--work-dir',
        osp.join(work_dir, f'seed{seed}')
    ]


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--task', default='cls')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--schedule', default='short',
        help="the task's schedule (the demo's 'short' "
        "defaults, or e.g. 'long')")
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/quality_<task>_<schedule>')
    parser.add_argument('--out', default=None,
                        help='default: benchmarks/results/<task file>')
    parser.add_argument(
        '--label', default=None,
        help="a name for this run's section of the file "
        '(e.g. a rerun of some stages with --only)')
    parser.add_argument(
        '--versus', default=None,
        help="a stage the distillation stages are also compared with "
        "(default: the table's first reference stage, logit KD)")
    args, demo_args = parser.parse_known_args(argv)
    from mmfeatdistill.tools import demo
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    experiment = EXPERIMENTS[args.task]
    versus = args.versus or default_versus(experiment)
    if versus is not None and versus not in [
            s.name for s in experiment.stages
    ]:
        parser.error(f'--versus {versus!r}: not a stage of task '
                     f'{args.task!r} (its stages: '
                     f'{[s.name for s in experiment.stages]})')
    schedule = experiment.schedules[args.schedule]
    start = time.time()
    per_seed = [
        demo.main(
            demo_argv(args.task, args.schedule, seed, demo_args,
                      args.work_dir)) for seed in args.seeds
    ]
    hours = (time.time() - start) / 3600
    rows = summarise(per_seed, experiment, versus)
    command = (
        f'python benchmarks/quality.py --task {args.task} ' +
        (f'--label {args.label!r} ' if args.label else '') +
        (f'--versus {args.versus!r} ' if args.versus else '') + '--seeds '
        f'{" ".join(map(str, args.seeds))}' +
        (f' --schedule {args.schedule}' if args.schedule != 'short' else '') +
        (' ' + ' '.join(demo_args) if demo_args else ''))
    settings = ', '.join(
        f'{k.replace("_", " ")} {v}'
        for k, v in effective_schedule(schedule, demo_args).items())
    device = demo.resolve_device(demo_option(demo_args, '--device', 'auto'))
    jobs = demo_option(demo_args, '--jobs', '1')
    ledger = sorted({(r['name'], r.get('date', '?'))
                     for results in per_seed
                     for r in results if r.get('ledger')})
    text = '\n'.join([
        f'## {experiment.title}: `{args.schedule}` schedule' +
        (f' ({args.label})' if args.label else ''), '',
        f'Command: `{command}` ({hours:.1f} h, '
        f'{time.strftime("%Y-%m-%d")}; the rows\' own training and '
        f'test times add up to {stage_hours(per_seed, experiment):.1f} h, '
        f'the teacher\'s once, a resumed stage\'s without its pauses, '
        f'backbone pretraining and the teacher-heads step of a TOFD row '
        f'recorded before 2026-12-07 20:53 not counted). '
        f'Machine: {platform.machine()}, '
        f'{os.cpu_count()} CPU cores, {platform.platform()}; stages on '
        f'{device}, {os.environ.get("OMP_NUM_THREADS", "default")} torch '
        f'thread(s) each, {jobs} at a time. Schedule: '
        f'{settings} (0 = all). One teacher (seed 0), with its backbone '
        f'pretraining and TOFD\'s teacher heads, for every seed; '
        f'"beyond 1 std": the gain exceeds the larger of the two standard '
        f'deviations (method, baseline)' +
        (f'; the same against {versus} in "gain over {versus}"' if any(
            'vs' in row for row in rows) else '') + '.' +
        (' Rows taken from the stage ledger (trained earlier, by the same '
         'stage key): ' + '; '.join(f'{name} ({date})'
                                    for name, date in ledger) +
         '.' if ledger else ''), '',
        format_rows(rows, experiment, versus), ''
    ])
    out = args.out or osp.join(REPO, 'benchmarks', 'results',
                               experiment.results_file)
    key = f'{args.task}-{args.schedule}'
    if device != 'cpu':  # one device per table
        key += '-cuda'
    if args.label:
        key += f'-{args.label}'
    write_section(out, key, text, 'benchmarks/quality.py')
    print(text)
    return text


if __name__ == '__main__':
    main()
