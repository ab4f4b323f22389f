"""Tune a stage of the experiment table on the VALIDATION split: train it
with each variant of ``--cfg-options`` (same teacher, seed and schedule as
the demo) and record the last validation metric of each run. The test
split is never evaluated here.

    python benchmarks/sweep.py --task seg --stage TOFD \\
        --variant 'heads x1:' \\
        --variant 'heads x0.25: \\
            model.distill_losses.loss_tofd_ce*.loss_weight=0.25' \\
        --teacher-dir work_dirs/quality_seg_short/teacher

A variant is ``label: key=value key=value ...``; a ``*`` in a key (one
level) is matched against the keys of the stage's config (e.g. every
head's loss).
Appends a table (variant, val metrics per seed, mean) to
``benchmarks/results/sweeps.md`` with the command.
"""
import argparse
import os.path as osp
import platform
import re
import statistics
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def _flat_keys(cfg, prefix: str = '') -> List[str]:
    keys = []
    for key, value in cfg.items():
        name = f'{prefix}{key}'
        keys.append(name)
        if isinstance(value, dict):
            keys += _flat_keys(value, name + '.')
    return keys


def _match(key: str, pattern: str) -> bool:
    """``pattern`` with ``*`` standing for any part of one key level."""
    regex = '.*'.join(map(re.escape, pattern.split('*')))
    return re.fullmatch(regex.replace('.*', '[^.]*'), key) is not None


def expand(options: List[str], config: str) -> List[str]:
    """``key=value`` options with ``*`` in keys matched against the
    config's keys."""
    from mmengine.config import Config
    keys = None
    out = []
    for option in options:
        key, _, value = option.partition('=')
        if '*' not in key:
            out.append(option)
            continue
        if keys is None:
            keys = _flat_keys(Config.fromfile(config).to_dict())
        matched = [k for k in keys if _match(k, key)]
        if not matched and '.' in key:  # a key left at its default
            parent, _, leaf = key.rpartition('.')
            matched = [f'{k}.{leaf}' for k in keys if _match(k, parent)]
        if not matched:
            raise KeyError(f'{key!r} matches no key of {config}')
        out += [f'{k}={value}' for k in matched]
    return out


def last_val(records: List[dict], key: str) -> float:
    values = [r[key] for r in records if key in r and 'loss' not in r]
    if not values:
        raise KeyError(f'no validation {key} was logged')
    return float(values[-1])


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--task', required=True)
    parser.add_argument('--stage', required=True)
    parser.add_argument('--variant', action='append', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--teacher-dir', required=True,
                        help='the cached teacher of a demo/quality run')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'sweeps.md'))
    args, demo_args = parser.parse_known_args(argv)
    from mmfeatdistill.tools import demo
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    experiment = EXPERIMENTS[args.task]
    stage = next(s for s in experiment.stages if s.name == args.stage)
    dargs = demo.parse_args(['--task', args.task, '--quiet'] + demo_args)
    dargs.data_root = osp.abspath(dargs.data_root)
    work = osp.abspath(args.work_dir or osp.join(
        REPO, 'work_dirs', f'sweep_{args.task}_{demo.slug(stage.name)}'))
    import json
    with open(osp.join(args.teacher_dir, 'teacher.json')) as f:
        teacher_ckpt = json.load(f)['ckpt']
    rows: Dict[str, List[Dict[str, float]]] = {}
    start = time.time()
    for variant in args.variant:
        label, _, opts = variant.partition(':')
        for seed in args.seeds:
            options = demo.common_options(dargs, experiment, dargs.epochs,
                                          dargs.train_subset, seed)
            if stage.kind != 'baseline':
                options += [f'model.teacher_ckpt={teacher_ckpt}']
            options += expand(opts.split(), demo._repo_path(stage.config))
            run_dir = osp.join(work, demo.slug(label), f'seed{seed}')
            if stage.teacher_heads:
                heads = osp.join(run_dir, 'teacher_heads')
                demo.run_script(
                    'train_tofd_teacher_heads.py', stage.teacher_heads, heads,
                    [o for o in options if not o.startswith('model.')] +
                    [f'model.model_ckpt={teacher_ckpt}'], True)
                options.append('model.teacher_ckpt=' +
                               osp.join(heads, 'teacher_with_heads.pth'))
            demo.run_script('train.py', stage.config, run_dir, options, True)
            records = demo.read_scalars(run_dir)
            rows.setdefault(label.strip(), []).append({
                m.key:
                last_val(records, m.key) * m.scale
                for m in experiment.metrics
            })
            print(
                f'[sweep] {label.strip()} seed {seed}: '
                f'{rows[label.strip()][-1]}', flush=True)
    main_key = experiment.metrics[0].key
    lines = [
        f'| variant | val {experiment.metrics[0].label} per seed | '
        f'mean |', '|---|---|---|'
    ]
    for label, runs in rows.items():
        values = [r[main_key] for r in runs]
        lines.append(f'| {label} | ' + ', '.join(f'{v:.2f}' for v in values) +
                     f' | {statistics.mean(values):.2f} |')
    command = ('python benchmarks/sweep.py ' + ' '.join(
        ([f'--task {args.task}', f'--stage {args.stage!r}'] +
         [f'--variant {v!r}' for v in args.variant] +
         ['--seeds ' + ' '.join(map(str, args.seeds))] + demo_args)))
    text = '\n'.join([
        f'### {args.task} / {args.stage}: validation split '
        f'({time.strftime("%Y-%m-%d")}, {(time.time() - start) / 60:.0f} '
        f'min, {platform.machine()} {__import__("os").cpu_count()} cores)', '',
        f'Command: `{command}`', '', *lines, ''
    ])
    with open(args.out, 'a') as f:
        f.write('\n' + text)
    print(text)
    return text


if __name__ == '__main__':
    main()
