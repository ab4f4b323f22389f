"""The main job: on Fashion-MNIST, train a teacher once (cached), then the
plain student and one distilled student per method with the same seed and
schedule, all through ``tools/train.py``; print and save a results table and
a plot.

Every stage is a real config under ``configs/``; this script only chooses the
schedule (``--epochs``, ``--train-subset``) and collects the results.
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

REPO = osp.dirname(osp.dirname(osp.dirname(osp.realpath(__file__))))

#: (name, config, kind) in the order they run. ``kind``: 'teacher',
#: 'baseline', 'distill', 'nd' (class means into the stage's work dir) or
#: 'tofd' (teacher heads first, then the distillation).
STAGES = [
    ('teacher', 'configs/fashion_mnist/teacher_resnet18-w32_fmnist.py',
     'teacher'),
    ('student (baseline)',
     'configs/fashion_mnist/student_resnet18-w8_fmnist.py', 'baseline'),
    ('OFD', 'configs/ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py', 'distill'),
    ('TOFD', 'configs/tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py', 'tofd'),
    ('PEFD', 'configs/pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py',
     'distill'),
    ('ND (KD++)', 'configs/nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py',
     'nd'),
]
TOFD_HEADS = 'configs/tofd/tofd-teacher-heads_resnet18-w32_fmnist.py'


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_')


def read_scalars(work_dir: str) -> List[dict]:
    """All records of the newest run's ``vis_data/scalars.json``."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'No scalars.json under {work_dir}')
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def last_metric(records: List[dict], key: str = 'accuracy/top1') -> float:
    values = [r[key] for r in records if key in r]
    if not values:
        raise KeyError(f'{key} was never logged')
    return float(values[-1])


def common_options(args: argparse.Namespace, epochs: int,
                   train_subset: Optional[int], seed: int) -> List[str]:
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
            opts += [f'{loader}.num_workers={args.workers}',
                     f'{loader}.persistent_workers={args.workers > 0}']
    if train_subset:
        opts.append(f'train_dataloader.dataset.indices={train_subset}')
    if args.test_subset:
        opts.append(f'val_dataloader.dataset.indices={args.test_subset}')
    if args.batch_size:
        opts.append(f'train_dataloader.batch_size={args.batch_size}')
    return opts


def run_stage(name: str, config: str, work_dir: str, options: List[str],
              quiet: bool, script: str = 'train.py') -> float:
    """Train one config with tools/<script>; returns the wall time."""
    cmd = [sys.executable, osp.join(REPO, 'tools', script),
           osp.join(REPO, config), '--work-dir', work_dir, '--cfg-options',
           *options]
    print(f'[demo] ==> {name}: {config}', flush=True)
    start = time.time()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        cmd, cwd=REPO, env=env,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None, text=True)
    if proc.returncode != 0:
        if quiet:
            print(proc.stdout[-5000:])
        raise RuntimeError(f'Stage {name!r} failed: {" ".join(cmd)}')
    elapsed = time.time() - start
    print(f'[demo] <== {name} done in {elapsed:.0f} s', flush=True)
    return elapsed


def teacher_key(config: str, options: List[str]) -> str:
    with open(osp.join(REPO, config), 'rb') as f:
        content = f.read()
    return hashlib.sha256(content + '\n'.join(options).encode()).hexdigest()


def train_teacher(args, options) -> Dict:
    name, config, _ = STAGES[0]  # the teacher
    work_dir = args.teacher_dir or osp.join(args.work_dir, 'teacher')
    cache = osp.join(work_dir, 'teacher.json')
    key = teacher_key(config, options)
    ckpt = osp.join(work_dir, 'teacher.pth')
    if osp.exists(cache) and osp.exists(ckpt):
        with open(cache) as f:
            cached = json.load(f)
        if cached.get('key') == key:
            print(f'[demo] ==> teacher: cached {ckpt} '
                  f'(top-1 {cached["top1"]:.2f})', flush=True)
            cached['cached'] = True
            return cached
    elapsed = run_stage(name, config, work_dir, options, args.quiet)
    records = read_scalars(work_dir)
    last = osp.join(work_dir, f'epoch_{args.teacher_epochs}.pth')
    os.replace(last, ckpt)
    result = dict(key=key, top1=last_metric(records), time=elapsed,
                  records=records, ckpt=ckpt)
    with open(cache, 'w') as f:
        json.dump(result, f)
    return result


def format_table(results: List[dict]) -> str:
    base = next(r['top1'] for r in results if 'baseline' in r['name'])
    lines = ['| model | top-1 (%) | gain over baseline | training time (s) |',
             '|---|---|---|---|']
    for r in results:
        gain = '' if r['name'] in ('teacher', 'student (baseline)') else \
            f'{r["top1"] - base:+.2f}'
        cached = ' (cached)' if r.get('cached') else ''
        lines.append(f'| {r["name"]} | {r["top1"]:.2f} | {gain} | '
                     f'{r["time"]:.0f}{cached} |')
    return '\n'.join(lines)


def plot(results: List[dict], path: str) -> None:
    """Accuracy bars (top) and, per distilled model, its training loss
    curves (bottom), as one PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    curves = [r for r in results if r['name'] != 'teacher']
    fig = plt.figure(figsize=(4 * max(3, len(curves)), 8.5))
    grid = fig.add_gridspec(2, len(curves))
    ax = fig.add_subplot(grid[0, :])
    names = [r['name'] for r in results]
    accs = [r['top1'] for r in results]
    bars = ax.bar(range(len(names)), accs, color='tab:blue')
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel('top-1 accuracy (%)')
    ax.set_ylim(max(0, min(accs) - 5), min(100, max(accs) + 2))
    ax.bar_label(bars, fmt='%.2f')
    ax.set_title('Fashion-MNIST test set (10k images)')
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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--epochs', type=int, default=2,
                        help='epochs of every student')
    parser.add_argument('--train-subset', type=int, default=15000,
                        help='students train on the first N training images '
                        '(0: all 60k)')
    parser.add_argument('--teacher-epochs', type=int, default=3)
    parser.add_argument('--teacher-train-subset', type=int, default=20000,
                        help='the teacher trains on the first N images '
                        '(0: all 60k)')
    parser.add_argument('--test-subset', type=int, default=None,
                        help='evaluate on the first N test images '
                        '(default: all 10k)')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--workers', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--teacher-seed', type=int, default=None,
                        help='seed of the teacher run (default: --seed)')
    parser.add_argument('--teacher-dir', default=None,
                        help='where the teacher is trained and cached '
                        '(default: WORK_DIR/teacher)')
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--only', nargs='*', default=None,
                        help='names of the stages to run after the teacher')
    parser.add_argument('--quiet', action='store_true',
                        help='hide the training logs (one line per stage)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    args.data_root = osp.abspath(args.data_root)
    os.makedirs(args.work_dir, exist_ok=True)
    options = common_options(args, args.epochs, args.train_subset,
                             args.seed)
    teacher_seed = args.seed if args.teacher_seed is None else \
        args.teacher_seed
    teacher = train_teacher(
        args, common_options(args, args.teacher_epochs,
                             args.teacher_train_subset, teacher_seed))
    results = [dict(name='teacher', top1=teacher['top1'],
                    time=teacher['time'], records=teacher['records'],
                    cached=teacher.get('cached', False))]
    for name, config, kind in STAGES[1:]:
        if args.only is not None and name not in args.only and \
                kind != 'baseline':
            continue
        work_dir = osp.join(args.work_dir, slug(name))
        teacher_ckpt, elapsed = teacher['ckpt'], 0.0
        stage_opts = list(options)
        if kind == 'tofd':
            heads_dir = osp.join(work_dir, 'teacher_heads')
            elapsed += run_stage(
                'TOFD teacher heads', TOFD_HEADS, heads_dir,
                options + [f'model.model_ckpt={teacher_ckpt}'], args.quiet,
                script='train_tofd_teacher_heads.py')
            teacher_ckpt = osp.join(heads_dir, 'teacher_with_heads.pth')
        if kind == 'nd':
            means = osp.join(work_dir, 'class_means.pth')
            if osp.exists(means):  # computed by this run's ClassMeansHook
                os.remove(means)
            stage_opts.append(
                f'model.distill_losses.loss_nd.class_means={means}')
        if kind != 'baseline':
            stage_opts.append(f'model.teacher_ckpt={teacher_ckpt}')
        elapsed += run_stage(name, config, work_dir, stage_opts, args.quiet)
        records = read_scalars(work_dir)
        results.append(dict(name=name, top1=last_metric(records),
                            time=elapsed, records=records))
    table = format_table(results)
    print('\n' + table + '\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    png = osp.join(args.work_dir, 'results.png')
    plot(results, png)
    print(f'[demo] table: {osp.join(args.work_dir, "results.md")}\n'
          f'[demo] plot:  {png}')
    return results


if __name__ == '__main__':
    main()
