"""Tune a stage of the experiment table on the VALIDATION split: each
variant of the stage's ``--cfg-options`` is a stage of the demo
(``tools/demo.py``) beside the table's, trained as the demo trains a
stage, with the schedule's settings (``--schedule``: ``short``, or
``long`` with its pretrained backbones), the same teacher (seed 0) and
seed as the quality benchmark, in the stage cache (a sweep that is
stopped resumes with ``--resume``; a variant trained before is not
trained again). The last validation of each run is recorded, and the
plain student's beside it, in the table this script writes. The demo's
stages also test their final weights (so the chosen variant's table row
needs no other run), and the demo's log lines and its ``results.md`` in
the work dir show those test figures; the sweep's table does not: choose
on validation.

    python benchmarks/sweep.py --task seg --stage KD --schedule long \\
        --variant 'weight 1 (config):' \\
        --variant 'weight 0.3: model.distill_losses.loss_kd.loss_weight=0.3' \\
        --seeds 0 --resume --ledger benchmarks/results/ledger/long.json

A variant is ``label: key=value key=value ...`` (no options: the stage
as the table has it); a ``*`` in a key (one level) is matched against
the keys of the stage's config (e.g. every head's loss,
``model.distill_losses.loss_tofd_ce*.loss_weight=0.25``). Other options
are the demo's (e.g. ``--resume``, ``--ledger FILE``, ``--jobs 2``).
Appends a table (variant, val metrics per seed, mean) to
``benchmarks/results/sweeps.md`` with the command.
"""
import argparse
import os
import os.path as osp
import platform
import re
import statistics
import sys
import time
from typing import Dict, List, Sequence, Tuple

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


def variant_stages(stage, variants: List[str]) -> List[Tuple[str, object]]:
    """``(label, Stage)`` per variant ``'label: key=value ...'``: the stage
    with the variant's options (``*`` keys expanded against its config),
    named ``'<stage> [<label>]'``. A variant without options is the stage
    as the table has it (same key: its result may come from the cache).

    Args:
        stage (Stage): The experiment table's stage.
        variants (list[str]): The ``--variant`` arguments.
    """
    from dataclasses import replace

    from mmfeatdistill.tools import demo
    out, labels = [], set()
    for variant in variants:
        label, colon, opts = variant.partition(':')
        label = label.strip()
        if not colon or not label:
            raise ValueError(f'--variant {variant!r}: write it as '
                             f'"label: key=value key=value ..." (a label, '
                             f'a colon, then the options, maybe none)')
        if label in labels:
            raise ValueError(f'--variant {label!r} given twice')
        labels.add(label)
        options = tuple(expand(opts.split(), demo._repo_path(stage.config)))
        out.append((label,
                    replace(stage, name=f'{stage.name} [{label}]',
                            options=tuple(stage.options) + options)))
    return out


def swept_experiment(experiment, stage: str, variants: Sequence[str]):
    """The experiment with the variants of its stage ``stage`` (see
    :func:`variant_stages`) after its own stages, as the sweep runs it.

    Args:
        experiment (Experiment): The table's entry.
        stage (str): The swept stage's name.
        variants (Sequence[str]): The ``--variant`` arguments.

    Returns:
        tuple: The widened experiment and ``(label, Stage)`` per variant.
    """
    table_stage = next(s for s in experiment.stages if s.name == stage)
    labelled = variant_stages(table_stage, list(variants))
    return experiment.with_stages(*(s for _, s in labelled)), labelled


def sweep_done(path: str, task: str, argv: Sequence[str],
               schedule: str = 'long', seed: int = 0) -> bool:
    """Whether ``path`` (``benchmarks/results/sweeps.md``) has a section
    of this sweep: ``task``'s stage and ``schedule``, a command whose
    ``--variant`` arguments include every variant of ``argv`` (exactly:
    a sweep of some of them, or of near variants, does not count) and
    whose ``--seeds`` include ``seed``.

    Args:
        path (str): The sweeps' results file (missing: nothing done).
        task (str): The experiment.
        argv (Sequence[str]): The sweep's ``--stage S --variant V ...``
            (``Sweep.argv``).
        schedule (str): The schedule's name.
        seed (int): The seed the sweep must have run.
    """
    import shlex
    wanted = _options(argv)
    if not osp.isfile(path):
        return False
    with open(path) as f:
        sections = f.read().split('\n### ')
    head = (f'{task} / {wanted["--stage"][0]}: validation split, '
            f'`{schedule}` schedule')
    for section in sections:
        if not section.lstrip('# ').startswith(head):
            continue
        command = next((line for line in section.splitlines()
                        if line.startswith('Command: `')), None)
        if command is None:
            continue
        found = _options(shlex.split(command.split('`')[1]))
        if set(wanted['--variant']) <= set(found.get('--variant', [])) and \
                str(seed) in found.get('--seeds', []) and \
                found.get('--task') == [task] and \
                found.get('--stage') == wanted['--stage']:
            return True
    return False


def _options(argv: Sequence[str]) -> Dict[str, List[str]]:
    """``--name value ...`` -> name -> values (a repeated option's values
    together)."""
    out: Dict[str, List[str]] = {}
    name = None
    for arg in argv:
        if arg.startswith('--'):
            name = arg
            out.setdefault(name, [])
        elif name is not None:
            out[name].append(arg)
    return out


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', required=True)
    parser.add_argument('--stage', required=True)
    parser.add_argument('--variant', action='append', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--schedule', default='short',
                        help="the experiment's schedule the stages follow")
    parser.add_argument(
        '--work-dir', default=None,
        help='default work_dirs/sweep_<task>_<schedule>_<stage>')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'sweeps.md'))
    args, demo_args = parser.parse_known_args(argv)
    # the options the sweep sets itself for the demo (demo_argv)
    owned = sorted(
        a.split('=')[0] for a in demo_args
        if a.split('=')[0] in ('--seed', '--teacher-seed', '--teacher-dir',
                               '--only'))
    if owned:
        parser.error(f'{owned}: the sweep sets these demo options itself '
                     f'(the seeds are --seeds, the teacher is seed 0\'s, the '
                     f'stages are the variants); leave them out')
    from benchmarks._common import task_experiment
    from benchmarks.quality import demo_argv
    from mmfeatdistill.tools import demo
    experiment = task_experiment(parser, args.task, args.schedule)
    names = [s.name for s in experiment.stages if s.kind != 'teacher']
    if args.stage not in names:
        parser.error(f'--stage {args.stage!r}: not a student stage of task '
                     f'{args.task!r} ({names})')
    swept, variants = swept_experiment(experiment, args.stage, args.variant)
    work = osp.abspath(args.work_dir or osp.join(
        REPO, 'work_dirs',
        f'sweep_{args.task}_{args.schedule}_{demo.slug(args.stage)}'))
    metrics = experiment.metrics
    baseline = next(s.name for s in experiment.stages if s.kind == 'baseline')
    rows: Dict[str, List[Dict[str, float]]] = {}
    start = time.time()
    for seed in args.seeds:
        results = demo.main(
            demo_argv(args.task, args.schedule, seed,
                      [*demo_args, '--only', *(s.name for _, s in variants)],
                      work_dir=work), experiment=swept)
        by_name = {r['name']: r for r in results}
        for label, variant in [(baseline, None)] + variants:
            result = by_name[variant.name if variant else baseline]
            missing = [
                m.key for m in metrics
                if m.key not in result.get('val_metrics', {})
            ]
            if missing:
                raise KeyError(f'{label}: no validation {missing} was logged '
                               f'(the sweep reads the validation split only)')
            rows.setdefault(label, []).append(
                {m.key: result['val_metrics'][m.key]
                 for m in metrics})
            print(f'[sweep] {label} seed {seed}: {rows[label][-1]}',
                  flush=True)
    main_key = metrics[0].key
    lines = [
        f'| variant | val {metrics[0].label} per seed | mean |',
        '|---|---|---|'
    ]
    for label, runs in rows.items():
        values = [r[main_key] for r in runs]
        lines.append(f'| {label} | ' + ', '.join(f'{v:.2f}' for v in values) +
                     f' | {statistics.mean(values):.2f} |')
    command = ('python benchmarks/sweep.py ' + ' '.join(
        ([
            f'--task {args.task}', f'--stage {args.stage!r}',
            f'--schedule {args.schedule}'
        ] + [f'--variant {v!r}' for v in args.variant] +
         ['--seeds ' + ' '.join(map(str, args.seeds))] + demo_args)))
    text = '\n'.join([
        f'### {args.task} / {args.stage}: validation split, '
        f'`{args.schedule}` schedule ({time.strftime("%Y-%m-%d")}, '
        f'{(time.time() - start) / 60:.0f} min, {platform.machine()} '
        f'{os.cpu_count()} cores, '
        f'{os.environ.get("OMP_NUM_THREADS", "default")} torch thread(s) '
        f'per stage)', '', f'Command: `{command}`', '',
        'The stages are the demo\'s (`tools/demo.py`, its stage cache: a '
        f'variant trained before is not trained again), each a variant of '
        f'{args.stage} with the options given; the plain student is the '
        f'reference. Only the validation split is read and reported here.', '',
        *lines, ''
    ])
    with open(args.out, 'a') as f:
        f.write('\n' + text)
    print(text)
    return text


if __name__ == '__main__':
    main()
