"""The main job: for a task of the experiment table
(:mod:`mmfeatdistill.tools.experiments`), train its teacher once (cached),
then, with the same seed and schedule, the plain student, the reference
methods and every method's student, each through ``tools/train.py`` and its
config in ``configs/``, and evaluate each on the task's test split
(``tools/train.py --test``); print and save a results table and a plot.

This script only chooses the schedule (``--epochs``, ``--train-subset``)
and collects the results; what runs is the table's.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmfeatdistill.tools.experiments import EXPERIMENTS, Experiment, Stage

REPO = osp.dirname(osp.dirname(osp.dirname(osp.realpath(__file__))))


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_')


def _repo_path(path: str) -> str:
    return path if osp.isabs(path) else osp.join(REPO, path)


def read_scalars(work_dir: str) -> List[dict]:
    """All records of the newest run's ``vis_data/scalars.json``."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'No scalars.json under {work_dir}')
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """The metrics ``tools/train.py --test`` wrote into ``work_dir``."""
    with open(osp.join(work_dir, 'test_metrics.json')) as f:
        return json.load(f)


def common_options(args: argparse.Namespace, experiment: Experiment,
                   epochs: int, train_subset: Optional[int],
                   seed: int) -> List[str]:
    """``--cfg-options`` of every stage: seed, schedule, data, loaders.
    The demo's configs train by epoch with a cosine schedule first in
    ``param_scheduler``."""
    opts = [
        f'randomness.seed={seed}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.T_max={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
        f'default_hooks.logger.interval={args.log_interval}',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.append(f'{loader}.dataset.data_root={args.data_root}')
        if args.workers is not None:
            opts += [
                f'{loader}.num_workers={args.workers}',
                f'{loader}.persistent_workers={args.workers > 0}'
            ]
    opts += [
        o.format(data_root=args.data_root) for o in experiment.data_options
    ]
    if train_subset:
        opts.append(f'train_dataloader.dataset.indices={train_subset}')
    if args.test_subset:
        opts += [
            f'val_dataloader.dataset.indices={args.test_subset}',
            f'test_dataloader.dataset.indices={args.test_subset}'
        ]
    if args.batch_size:
        opts.append(f'train_dataloader.batch_size={args.batch_size}')
    return opts


def run_script(script: str, config: str, work_dir: str, options: List[str],
               quiet: bool, extra: List[str] = ()) -> float:
    """Run ``tools/<script> CONFIG [extra] --work-dir W --cfg-options ...``;
    returns the wall time."""
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', script),
        _repo_path(config), *extra, '--work-dir', work_dir, '--cfg-options',
        *options
    ]
    start = time.time()
    env = dict(os.environ,
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env,
                          stdout=subprocess.PIPE if quiet else None,
                          stderr=subprocess.STDOUT if quiet else None,
                          text=True)
    if proc.returncode != 0:
        if quiet:
            print(proc.stdout[-5000:])
        raise RuntimeError(f'{script} failed: {" ".join(cmd)}')
    return time.time() - start


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint MMEngine's CheckpointHook wrote last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def train_and_test(stage: Stage, work_dir: str, options: List[str],
                   args: argparse.Namespace, experiment: Experiment) -> dict:
    """Train a stage (after its teacher-heads step) with ``tools/train.py
    --test``: the final model is evaluated on the test split in the same
    process. Returns name, metrics, time (training and evaluation),
    records and the last checkpoint."""
    print(f'[demo] ==> {stage.name}: {stage.config}', flush=True)
    elapsed = 0.0
    if stage.teacher_heads:
        heads_dir = osp.join(work_dir, 'teacher_heads')
        teacher = [o for o in options if o.startswith('model.teacher_ckpt=')]
        elapsed += run_script(
            'train_tofd_teacher_heads.py', stage.teacher_heads, heads_dir,
            [o for o in options if o not in teacher] + [
                o.replace('model.teacher_ckpt=', 'model.model_ckpt=')
                for o in teacher
            ], args.quiet)
        options = [o for o in options if o not in teacher] + [
            'model.teacher_ckpt=' +
            osp.join(heads_dir, 'teacher_with_heads.pth')
        ]
    start = time.time()
    run_script('train.py', stage.config, work_dir, options, args.quiet,
               extra=['--test'])
    ckpt = last_checkpoint(work_dir)
    metrics = read_test_metrics(work_dir)
    elapsed += time.time() - start
    missing = [m.key for m in experiment.metrics if m.key not in metrics]
    if missing:
        raise KeyError(f'{stage.name}: the test run logged no {missing} '
                       f'(logged: {sorted(metrics)})')
    print(
        f'[demo] <== {stage.name} done in {elapsed:.0f} s: ' +
        ', '.join(f'{m.label} {metrics[m.key] * m.scale:.2f}'
                  for m in experiment.metrics), flush=True)
    return dict(
        name=stage.name, kind=stage.kind, time=elapsed,
        metrics={m.key: metrics[m.key] * m.scale
                 for m in experiment.metrics}, records=read_scalars(work_dir),
        ckpt=ckpt)


def prepare_data(experiment: Experiment, data_root: str) -> None:
    """Run the experiment's data preparation (it skips existing data)."""
    if not experiment.prepare:
        return
    script, *rest = experiment.prepare
    cmd = [sys.executable, _repo_path(script)
           ] + [a.format(data_root=data_root) for a in rest]
    subprocess.run(cmd, cwd=REPO, check=True)


def teacher_key(config: str, options: List[str]) -> str:
    """Identity of a teacher run: its parsed config (so comments and
    formatting do not count) and the options."""
    from mmengine.config import Config
    content = json.dumps(
        Config.fromfile(_repo_path(config)).to_dict(), sort_keys=True,
        default=str)
    return hashlib.sha256((content + '\n'.join(options)).encode()).hexdigest()


def train_teacher(args, experiment: Experiment, options) -> dict:
    """The teacher, trained once per config and options (cached)."""
    stage = experiment.teacher
    work_dir = args.teacher_dir or osp.join(args.work_dir, 'teacher')
    cache = osp.join(work_dir, 'teacher.json')
    key = teacher_key(stage.config, options)
    if osp.exists(cache):
        with open(cache) as f:
            cached = json.load(f)
        if cached.get('key') == key and osp.exists(cached['ckpt']):
            print(f'[demo] ==> teacher: cached {cached["ckpt"]}', flush=True)
            return dict(cached, cached=True)
    result = train_and_test(stage, work_dir, options, args, experiment)
    ckpt = osp.join(work_dir, 'teacher.pth')
    os.replace(result['ckpt'], ckpt)
    result.update(key=key, ckpt=ckpt)
    with open(cache, 'w') as f:
        json.dump(result, f)
    return result


def format_table(results: List[dict], experiment: Experiment) -> str:
    main = experiment.metrics[0]
    base = next(r for r in results if r['kind'] == 'baseline')
    head = ' | '.join(m.label for m in experiment.metrics)
    lines = [
        f'| model | {head} | gain over baseline | time (s): training '
        f'+ test |', '|---|' + '---|' * (len(experiment.metrics) + 2)
    ]
    for r in results:
        values = ' | '.join(f'{r["metrics"][m.key]:.2f}'
                            for m in experiment.metrics)
        gain = '' if r['kind'] in ('teacher', 'baseline') else \
            f'{r["metrics"][main.key] - base["metrics"][main.key]:+.2f}'
        cached = ' (cached)' if r.get('cached') else ''
        lines.append(f'| {r["name"]} | {values} | {gain} | '
                     f'{r["time"]:.0f}{cached} |')
    return '\n'.join(lines)


def plot(results: List[dict], experiment: Experiment, path: str) -> None:
    """Main-metric bars (top) and, per student, its training loss curves
    (bottom), as one PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    main = experiment.metrics[0]
    curves = [r for r in results if r['kind'] != 'teacher']
    fig = plt.figure(figsize=(4 * max(3, len(curves)), 8.5))
    grid = fig.add_gridspec(2, len(curves))
    ax = fig.add_subplot(grid[0, :])
    names = [r['name'] for r in results]
    values = [r['metrics'][main.key] for r in results]
    bars = ax.bar(range(len(names)), values, color='tab:blue')
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel(main.label)
    ax.set_ylim(max(0, min(values) - 5), min(100, max(values) + 2))
    ax.bar_label(bars, fmt='%.2f')
    ax.set_title(experiment.title)
    for i, r in enumerate(curves):
        axis = fig.add_subplot(grid[1, i])
        train = [x for x in r['records'] if 'loss' in x and 'step' in x]
        keys = sorted({k for x in train for k in x if k.startswith('loss')})
        for key in keys:
            pts = [(x['step'], x[key]) for x in train if key in x]
            axis.plot(*zip(*pts), label=key, lw=2 if key == 'loss' else 1)
        axis.set_yscale('log')
        axis.set_xlabel('iteration')
        axis.set_title(f'{r["name"]}: training losses', fontsize=9)
        axis.legend(fontsize=6, ncol=2 if len(keys) > 8 else 1)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(
        argv: Optional[List[str]] = None,
        experiments: Optional[Dict[str,
                                   Experiment]] = None) -> argparse.Namespace:
    experiments = experiments or EXPERIMENTS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--task', default='cls', choices=sorted(experiments),
                        help='experiment of the table (default: cls)')
    parser.add_argument(
        '--work-dir', default=None, help='default: work_dirs/demo (cls) or '
        'work_dirs/demo_<task>')
    parser.add_argument('--data-root', default=None,
                        help="default: the task's data folder")
    parser.add_argument('--epochs', type=int, default=None,
                        help='epochs of every student')
    parser.add_argument(
        '--train-subset', type=int, default=None,
        help='students train on the first N training '
        'samples (0: all)')
    parser.add_argument('--teacher-epochs', type=int, default=None)
    parser.add_argument(
        '--teacher-train-subset', type=int, default=None,
        help='the teacher trains on the first N samples '
        '(0: all)')
    parser.add_argument(
        '--test-subset', type=int, default=None,
        help='evaluate on the first N test samples '
        '(default: the whole test split)')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--workers', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--teacher-seed', type=int, default=None,
                        help='seed of the teacher run (default: --seed)')
    parser.add_argument(
        '--teacher-dir', default=None,
        help='where the teacher is trained and cached '
        '(default: WORK_DIR/teacher)')
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument(
        '--only', nargs='*', default=None,
        help='names of the stages to run after the teacher '
        '(the baseline always runs)')
    parser.add_argument('--quiet', action='store_true',
                        help='hide the training logs (one line per stage)')
    args = parser.parse_args(argv)
    defaults = experiments[args.task].defaults
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.work_dir is None:
        args.work_dir = 'work_dirs/demo' if args.task == 'cls' else \
            f'work_dirs/demo_{args.task}'
    if args.data_root is None:
        args.data_root = experiments[args.task].data_root
    return args


def main(argv: Optional[List[str]] = None,
         experiment: Optional[Experiment] = None) -> List[dict]:
    """Run an experiment (``--task`` of the table, or ``experiment``, e.g.
    the table's with more stages). Returns one result per stage."""
    experiments = dict(EXPERIMENTS)
    if experiment is not None:
        experiments[experiment.task] = experiment
    args = parse_args(argv, experiments)
    experiment = experiments[args.task]
    args.work_dir = osp.abspath(args.work_dir)
    args.data_root = osp.abspath(args.data_root)
    os.makedirs(args.work_dir, exist_ok=True)
    prepare_data(experiment, args.data_root)
    teacher_seed = args.seed if args.teacher_seed is None else \
        args.teacher_seed
    teacher = train_teacher(
        args, experiment,
        common_options(args, experiment, args.teacher_epochs,
                       args.teacher_train_subset, teacher_seed))
    results = [teacher]
    options = common_options(args, experiment, args.epochs, args.train_subset,
                             args.seed)
    for stage in experiment.stages[1:]:
        if args.only is not None and stage.name not in args.only and \
                stage.kind != 'baseline':
            continue
        stage_options = list(options)
        if stage.kind != 'baseline':
            stage_options.append(f'model.teacher_ckpt={teacher["ckpt"]}')
        results.append(
            train_and_test(stage, osp.join(args.work_dir, slug(stage.name)),
                           stage_options, args, experiment))
    table = format_table(results, experiment)
    print('\n' + table + '\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    png = osp.join(args.work_dir, 'results.png')
    plot(results, experiment, png)
    print(f'[demo] table: {osp.join(args.work_dir, "results.md")}\n'
          f'[demo] plot:  {png}')
    return results


if __name__ == '__main__':
    main()
