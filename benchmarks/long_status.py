"""Where the long runs stand (``benchmarks/long_runs.sh``), training
nothing: for each task and seed, each stage of its ``long`` schedule (and
the plain student at 2E, the convergence check's, for seed 0), found by
the keys ``benchmarks/quality.py`` files them under
(:func:`benchmarks.long_check.stage_keys`): done (its result in the stage
ledger or the stage cache), running (a run holds its cache entry now),
interrupted (a checkpoint to resume from) or not started. A running or
interrupted stage shows the iteration of its last log line, of how many,
and its last checkpoint. The steps that make other stages' inputs
(backbone pretraining, TOFD's teacher-heads step) and the variants of the
task's ``long`` validation sweeps (``Experiment.sweeps``, seed 0) are
rows of their own; a teacher, pretraining or heads step shared by the
seeds is listed once (a step none of whose stages still needs it: "not
needed"). "done
(cache)" is a finished result; a run with other evaluation settings
than the long runs' would test its weights again.

    python benchmarks/long_status.py                 # seed 0, all tasks
    python benchmarks/long_status.py --tasks seg --seeds 0 1 2

Prints a Markdown table (for the session's notes); ``--threads``
(default: ``$OMP_NUM_THREADS``, else 1, as the long runs) must be the
thread count the stages run with: it is part of their keys.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
import time
from typing import Dict, List, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

#: an iteration of an MMEngine training log line: epoch-based
#: ``Epoch(train) [e][i/n]`` or iteration-based ``Iter(train) [i/n]``
_EPOCH_LINE = re.compile(r'^(\S+ \S+) - .*Epoch\(train\)\s*\[\s*(\d+)\]'
                         r'\[\s*(\d+)/(\d+)\]')
_ITER_LINE = re.compile(r'^(\S+ \S+) - .*Iter\(train\)\s*\[\s*(\d+)/(\d+)\]')
_ETA = re.compile(r'\beta: (\S+)')
_MAX_EPOCHS = re.compile(r'^train_cfg\.max_epochs=(\d+)$')


def last_position(
        work_dir: str,
        max_epochs: Optional[int]) -> Optional[Tuple[int, int, str, str]]:
    """The training iteration of the newest run's last log line in
    ``work_dir`` (an MMEngine work dir, one folder per run): ``(iteration,
    total or 0 when unknown, the line's time, MMEngine's eta on it or
    '')``, or None (no such line).

    Args:
        work_dir (str): The stage's work dir.
        max_epochs (int, optional): The stage's epochs (an epoch-based
            log line gives the iterations of one epoch).
    """
    for log in sorted(glob.glob(osp.join(work_dir, '*', '*.log')),
                      reverse=True):
        found = None
        with open(log, errors='replace') as f:
            for line in f:
                m = _EPOCH_LINE.match(line)
                if m:
                    stamp, epoch, i, n = m.group(1), *map(int, m.groups()[1:])
                    it, total = (epoch - 1) * n + i, n * (max_epochs or 0)
                else:
                    m = _ITER_LINE.match(line)
                    if not m:
                        continue
                    stamp, it, total = m.group(1), *map(int, m.groups()[1:])
                eta = _ETA.search(line)
                found = (it, total, stamp, eta.group(1) if eta else '')
        if found:
            return found
    return None


def _max_epochs(entry_folder: str) -> Optional[int]:
    """The ``train_cfg.max_epochs`` option the stage was described with
    (the cache's ``key.json``), if any."""
    try:
        with open(osp.join(entry_folder, 'key.json')) as f:
            options = json.load(f).get('options', [])
    except (OSError, ValueError):
        return None
    found = [int(m.group(1)) for m in map(_MAX_EPOCHS.match, options) if m]
    return found[-1] if found else None


def stage_state(key: str, cache, ledger: Dict[str, dict],
                metric) -> Dict[str, object]:
    """One stage's state: ``state``, ``position``, ``result`` and the
    finished stage's ``record`` (None if not finished).

    Args:
        key (str): The stage's key.
        cache (StageCache): The stage cache.
        ledger (dict): The ledger's records (key -> record).
        metric (Metric): The experiment's first metric.
    """
    entry = cache.entry(key)
    done = entry.result()
    where = 'cache'
    if done is None and key in ledger:
        done, where = ledger[key], 'ledger'
    if done is not None:
        values = [
            done.get(split, {}).get(metric.key)
            for split in ('metrics', 'val_metrics')
        ]
        result = ' / '.join(f'{v:.2f}' if v is not None else '-'
                            for v in values) if any(v is not None
                                                    for v in values) else ''
        if 'time' in done:
            result += f' ({done["time"] / 3600:.1f} h)'
        return dict(state=f'done ({where})', position='',
                    result=result.strip(), record=done)
    running = entry.in_use()
    checkpoint = _named_checkpoint(entry.work_dir)
    if not running and checkpoint is None:
        return dict(state='not started', position='', result='', record=None)
    parts = []
    position = last_position(entry.work_dir, _max_epochs(entry.folder))
    if position is not None:
        it, total, stamp, eta = position
        parts.append(f'iter {it}' + (
            f' of {total} ({100 * it / total:.0f}%)' if total else '') +
                     f', logged {stamp}' + (f', eta {eta}' if eta else ''))
    elif running:  # (a run holds the entry while it makes its inputs)
        parts.append('no training log line yet (its inputs may be in '
                     'the making)')
    if checkpoint:
        parts.append(f'checkpoint {osp.basename(checkpoint)}')
    return dict(state='running' if running else 'interrupted',
                position='; '.join(parts), result='', record=None)


def _named_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint a run's ``last_checkpoint`` names (not loaded: a
    resumed run checks it), else its newest ``*.pth``, else None."""
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named:
            return named
    found = glob.glob(osp.join(work_dir, '*.pth'))
    return max(found, key=osp.getmtime) if found else None


def sweep_keys(task: str, threads: str,
               demo_args: List[str] = ()) -> Dict[str, str]:
    """The keys of the variants of the task's ``long`` sweeps
    (``Experiment.sweeps``, run by ``benchmarks/long_runs.sh`` for seed
    0), named as ``benchmarks/sweep.py`` names them (``'KD [weight
    0.3]'``); a variant without options has its stage's key.

    Args:
        task (str): The experiment.
        threads (str): The thread count the stages run with.
        demo_args (list[str]): More demo options, as given to the runs.
    """
    from benchmarks.long_check import stage_keys
    from benchmarks.sweep import swept_experiment
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    experiment = EXPERIMENTS[task]
    keys = {}
    for sweep in experiment.sweeps.get('long', ()):
        swept, variants = swept_experiment(experiment, sweep.stage,
                                           sweep.variants)
        keys.update(
            stage_keys(task, 'long', 0, threads, demo_args,
                       [s.name for _, s in variants], experiment=swept))
    return keys


def status_rows(
    tasks: List[str], seeds: List[int], threads: str, ledger_path: str,
    cache_dir: Optional[str] = None, demo_args: List[str] = ()
) -> List[Dict[str, str]]:
    """The table's rows (see the module's docstring).

    Args:
        tasks (list[str]): The experiments.
        seeds (list[int]): The students' seeds.
        threads (str): The thread count the stages run with.
        ledger_path (str): The stage ledger.
        cache_dir (str, optional): The stage cache (default: its default
            root).
        demo_args (list[str]): More demo options, as given to the runs.
    """
    from benchmarks.long_check import stage_keys
    from mmfeatdistill.tools.demo import HEADS_STEP
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    from mmfeatdistill.tools.stage_cache import StageCache, StageLedger
    cache = StageCache(cache_dir)
    ledger = StageLedger(ledger_path).records() if osp.isfile(
        ledger_path) else {}
    # every (task, seed, stage) with its key; a key shared by the seeds
    # (the teacher, a pretraining, TOFD's heads step) gets one row, at
    # its first seed
    entries, keys_of = [], {}
    for task in tasks:
        experiment = EXPERIMENTS[task]
        epochs = experiment.schedules['long']['epochs']
        baseline = next(s.name for s in experiment.stages
                        if s.kind == 'baseline')
        for seed in seeds:
            keys = stage_keys(task, 'long', seed, threads, demo_args,
                              steps=True)
            if seed == 0:  # the convergence check's plain student at 2E
                keys[f'{baseline}, 2E={2 * epochs}'] = stage_keys(
                    task, 'long', seed, threads,
                    list(demo_args) + ['--epochs', str(2 * epochs)],
                    [baseline])[baseline]
            if seed == 0:  # the long sweeps' variants (seed 0 only)
                keys.update(sweep_keys(task, threads, demo_args))
            keys_of[task, seed] = keys
            entries += [(task, seed, name, key) for name, key in keys.items()]
    states = {}
    for task, _, _, key in entries:
        if key not in states:
            states[key] = stage_state(key, cache, ledger,
                                      EXPERIMENTS[task].metrics[0])
    # each step's stages (over the seeds): the records of their results
    served: Dict[str, list] = {}
    for task, seed, name, key in entries:
        if name.endswith(HEADS_STEP):
            stage = keys_of[task, seed][name[:-len(HEADS_STEP)]]
            served.setdefault(key, []).append(states[stage].get('record'))
    rows, seen = [], set()
    for task, seed, name, key in entries:
        if key in seen:
            continue
        seen.add(key)
        state = states[key]
        records = served.get(key, [])
        if state['state'] == 'not started' and records and all(records):
            # a step whose stages are all done: not needed (their
            # results may keep the step's time)
            state = dict(state, state='not needed (its stages are done)')
            if 'teacher_heads_time' in records[0]:
                state['result'] = \
                    f'({records[0]["teacher_heads_time"] / 3600:.1f} h)'
        rows.append(
            dict(task=task, seed=str(seed), stage=name, key=key[:12],
                 state=state['state'], position=state['position'],
                 result=state['result']))
    return rows


def format_table(rows: List[Dict[str, str]]) -> str:
    """The rows as a Markdown table."""
    columns = ('task', 'seed', 'stage', 'state', 'position', 'result', 'key')
    header = dict(result='result: test / val (hours)')
    lines = [
        '| ' + ' | '.join(header.get(c, c) for c in columns) + ' |',
        '|' + '---|' * len(columns)
    ]
    for row in rows:
        lines.append('| ' + ' | '.join(row[c] for c in columns) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--tasks', nargs='+', default=['det', 'seg', 'cls'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument(
        '--threads', default=os.environ.get('OMP_NUM_THREADS', '1'),
        help='the thread count the stages run with (part of their keys)')
    parser.add_argument(
        '--ledger', default=osp.join(REPO, 'benchmarks', 'results', 'ledger',
                                     'long.json'))
    parser.add_argument('--cache-dir', default=None,
                        help='the stage cache (default: its default root)')
    args, demo_args = parser.parse_known_args(argv)
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    unknown = sorted(set(args.tasks) - set(EXPERIMENTS))
    if unknown:
        parser.error(f'--tasks {unknown}: not tasks of the experiment table '
                     f'(tasks: {sorted(EXPERIMENTS)})')
    rows = status_rows(args.tasks, args.seeds, args.threads, args.ledger,
                       args.cache_dir, demo_args)
    # (an option this script does not know goes to the demo, and changes
    # the keys: say which)
    text = (f'Long runs at {time.strftime("%Y-%m-%d %H:%M")} '
            f'({args.threads} thread(s) per stage' +
            (f'; demo options {" ".join(demo_args)}' if demo_args else '') +
            '):\n\n' + format_table(rows))
    print(text)
    return text


if __name__ == '__main__':
    main()
