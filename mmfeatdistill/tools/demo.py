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
import json
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import (FIRST_COMPLETED, Future, ThreadPoolExecutor,
                                wait)
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmfeatdistill.tools.experiments import (EXPERIMENTS, SCHEDULE_KEYS,
                                             Experiment, Stage,
                                             schedule_option)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.realpath(__file__))))


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_')


def _repo_path(path: str) -> str:
    return path if osp.isabs(path) else osp.join(REPO, path)


def read_scalars(work_dir: str) -> List[dict]:
    """The records of every run's ``vis_data/scalars.json`` in
    ``work_dir``, oldest run first. A resumed run's records of each kind
    (training or validation) replace every record of that kind from its
    own first step on: those the earlier runs logged past the checkpoint it
    resumed from belong to a trajectory that no longer counts, whether or
    not the resumed run logged the same steps again. A line cut short by a
    kill is skipped."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'No scalars.json under {work_dir}')
    merged: Dict[tuple, dict] = {}
    for run in runs:
        logged: Dict[tuple, dict] = {}
        with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:  # blank, or cut short by a kill
                    continue
                kind = any(k.startswith('loss') for k in record)
                logged[(record.get('step'), kind)] = record
        for kind in (True, False):
            steps = [s for s, k in logged if k == kind and s is not None]
            if steps:
                first = min(steps)
                merged = {
                    (s, k): r
                    for (s, k), r in merged.items()
                    if k != kind or s is None or s < first
                }
        merged.update(logged)
    return list(merged.values())


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
    opts = schedule_options(args, epochs, seed) + loader_options(
        args, args.data_root)
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


def loader_options(args: argparse.Namespace, data_root: str) -> List[str]:
    """``--cfg-options`` of every loader: ``data_root`` and ``--workers``."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.append(f'{loader}.dataset.data_root={data_root}')
        if args.workers is not None:
            opts += [
                f'{loader}.num_workers={args.workers}',
                f'{loader}.persistent_workers={args.workers > 0}'
            ]
    return opts


def schedule_options(args: argparse.Namespace, epochs: int,
                     seed: int) -> List[str]:
    """``--cfg-options`` of the seed, the epochs (cosine schedule first in
    ``param_scheduler``), checkpoints and logging, for any stage."""
    return [
        f'randomness.seed={seed}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.T_max={epochs}',
        'default_hooks.checkpoint.by_epoch=False',
        f'default_hooks.checkpoint.interval={args.checkpoint_interval}',
        'default_hooks.checkpoint.max_keep_ckpts=1',
        f'default_hooks.logger.interval={args.log_interval}',
    ]


def pretrain_options(args: argparse.Namespace, epochs: int,
                     seed: int) -> List[str]:
    """``--cfg-options`` of a backbone-pretraining stage: the schedule
    (:func:`schedule_options`), its data (``args.pretrain_data_root``, its
    own training split whole), loaders; validated on its held-out split
    (``--test-subset`` limits it), never tested."""
    opts = schedule_options(args, epochs, seed) + loader_options(
        args, args.pretrain_data_root)
    if args.test_subset:
        opts.append(f'val_dataloader.dataset.indices={args.test_subset}')
    if args.batch_size:
        opts.append(f'train_dataloader.batch_size={args.batch_size}')
    return opts


#: The pretraining model's keys that the dense model's backbone loads.
PRETRAINED_PREFIX = 'backbone.'
#: What MMEngine's ``load_state_dict`` logs before the keys a non-strict
#: load (such as the ``Pretrained`` init) missed, left unused or could not
#: load for their shapes.
_MISMATCH = 'The model and loaded state dict do not match exactly'


def pretrain_role(stage: Stage) -> str:
    """Whose pretrained backbone a stage starts from: ``'teacher'`` or
    ``'student'`` (the plain and every distilled student)."""
    return 'teacher' if stage.kind == 'teacher' else 'student'


def pretrained_backbone_options(stage: Stage, ckpt: str) -> List[str]:
    """``--cfg-options`` that initialise the backbone a stage trains from
    the ``backbone.`` weights of a pretraining checkpoint (MMEngine's
    ``Pretrained`` init, applied by ``init_weights`` when the run starts):
    ``model.backbone`` of the teacher and the plain student,
    ``model.student.backbone`` of a distiller (its teacher comes from the
    teacher's checkpoint).

    Args:
        stage (Stage): The stage.
        ckpt (str): The pretraining run's checkpoint.

    Returns:
        list[str]: The options.
    """
    module = 'model.backbone' if stage.kind in ('teacher', 'baseline') \
        else 'model.student.backbone'
    return [
        f'{module}.init_cfg.type=Pretrained',
        f'{module}.init_cfg.checkpoint={ckpt}',
        f'{module}.init_cfg.prefix={PRETRAINED_PREFIX}'
    ]


def check_pretrained_load(log: str, ckpt: str) -> None:
    """Raise unless a run's log shows that ``ckpt``'s ``backbone.`` weights
    were loaded whole: MMEngine's ``Pretrained`` init loads non-strictly
    and only warns about missing, unexpected or differently shaped keys.

    Args:
        log (str): The text of the run's log.
        ckpt (str): The pretraining checkpoint.
    """
    marker = f'load {PRETRAINED_PREFIX} in model from: {ckpt}'
    if marker not in log:
        raise RuntimeError(
            f'The run did not load its pretrained backbone (no '
            f'"{marker}" in its log): is init_cfg on the right module?')
    # the load's warning, if any, is the next record of the log
    after = log.split(marker, 1)[1].split('\n')
    following = '\n'.join(after[1:4])
    if _MISMATCH in following:
        raise RuntimeError(
            f'The pretrained backbone {ckpt} does not fit the model: '
            f'{following[following.index(_MISMATCH):][:2000]}')


def _last_log(work_dir: str) -> str:
    """The text of the latest run's log in ``work_dir``."""
    logs = sorted(
        osp.join(work_dir, d, f'{d}.log') for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, f'{d}.log')))
    if not logs:
        raise FileNotFoundError(f'No run log under {work_dir}')
    with open(logs[-1]) as f:
        return f.read()


class StageOutput:
    """The checkpoint one stage makes for later stages (a teacher for its
    students, a pretrained backbone, TOFD's teacher heads), named by the
    making stage's key: a later stage's key holds ``stage:<key>`` in its
    place, not the file's bytes, so it stays the same when the maker is
    trained again on another machine (a checkpoint's bytes differ between
    runs of the same recipe). Made on first use: a maker whose later stages
    all come from the cache or the ledger is never trained.

    Args:
        key (str): The making stage's weight key.
        make (callable): Trains the stage (or finds it in the cache) and
            returns the checkpoint's path.
        path (str, optional): The checkpoint, when it is made already.
    """

    def __init__(self, key: str, make: Callable[[], str],
                 path: Optional[str] = None) -> None:
        self.key = key
        self._make = make
        self._path = path
        self._lock = threading.Lock()

    @property
    def token(self) -> str:
        """What a later stage's key holds in the checkpoint's place."""
        return f'stage:{self.key}'

    def path(self) -> str:
        """The checkpoint, made now if it is not yet (once, whichever
        ``--jobs`` thread asks first)."""
        with self._lock:
            if self._path is None:
                self._path = self._make()
            return self._path


def stage_key(
    args: argparse.Namespace, script: str, config: str, options: List[str],
    inputs: Optional[Dict[str, StageOutput]] = None, extra: Sequence[str] = ()
) -> Tuple[str, dict, str]:
    """A stage's weight key, its payload and its evaluation key
    (:func:`~mmfeatdistill.tools.stage_cache.stage_keys`), the checkpoints
    it reads from other stages (``inputs``: option -> output) named by
    their makers' keys.

    Args:
        args (argparse.Namespace): The demo's arguments (``device``).
        script (str): The ``tools/`` script that trains it.
        config (str): Its config.
        options (list[str]): Its ``--cfg-options`` but ``inputs``.
        inputs (dict, optional): ``option -> StageOutput``.
        extra (Sequence[str]): More arguments of the script.
    """
    from mmfeatdistill.tools.stage_cache import resolve_config, stage_keys
    options = list(options) + [
        f'{name}={output.token}' for name, output in (inputs or {}).items()
    ]
    return stage_keys(resolve_config(_repo_path(config), options), args.device,
                      extra=[script, *extra])


def pretrain_output(role: str, args: argparse.Namespace,
                    experiment: Experiment, seed: int) -> StageOutput:
    """A role's pretrained backbone (:func:`pretrain_backbone`), made when
    a stage that starts from it is trained."""
    key = stage_key(args, 'train.py', experiment.pretrain[role],
                    pretrain_options(args, args.pretrain_epochs, seed))[0]
    return StageOutput(
        key, lambda: pretrain_backbone(role, args, experiment, seed)['ckpt'])


def pretrain_backbone(role: str, args: argparse.Namespace,
                      experiment: Experiment, seed: int) -> dict:
    """Pretrain a role's backbone (``experiment.pretrain[role]``, a
    classification config) for ``args.pretrain_epochs`` epochs in its
    entry of the stage cache (``WORK_DIR/pretrain_<role>`` links to it).

    Args:
        role (str): ``'teacher'`` or ``'student'``.
        args (argparse.Namespace): The demo's arguments.
        experiment (Experiment): The task.
        seed (int): The pretraining's seed.

    Returns:
        dict: ``ckpt`` (the last checkpoint), ``val_metrics`` (the last
        validation), ``time`` and ``cached``.
    """
    config = experiment.pretrain[role]
    print(f'[demo] ==> {role} backbone pretraining: {config}', flush=True)

    def outputs(work: str) -> dict:
        ckpt = last_checkpoint(work)
        val = [r for r in read_scalars(work) if 'accuracy/top1' in r]
        return dict(ckpt=ckpt, files=[ckpt],
                    val_metrics=dict(val[-1]) if val else {})

    options = pretrain_options(args, args.pretrain_epochs, seed)
    link = osp.join(args.work_dir, f'pretrain_{role}')
    result, cached = cached_run('train.py', config, options, args, link=link,
                                outputs=outputs)
    top1 = result['val_metrics'].get('accuracy/top1')
    print(
        f'[demo] <== {role} backbone pretraining' +
        (' cached' if cached else f' done in {result["time"]:.0f} s') +
        (f': val top-1 {top1:.2f}' if top1 is not None else ''), flush=True)
    return dict(result, cached=cached)


def _prctl():
    """libc's ``prctl``, looked up in this process (the child may only call
    it: between fork and exec, with ``--jobs`` threads, it must not import
    or load anything)."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _die_with_parent() -> None:
    """In a child process of the demo (a stage's run, the data step): end
    it when the demo process ends, however it ends (Linux
    ``PR_SET_PDEATHSIG``), so that a killed demo leaves no training
    running in its cache entry."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)


def run_script(script: str, config: str, work_dir: str, options: List[str],
               quiet: bool, extra: List[str] = (),
               device: str = 'cpu') -> float:
    """Run ``tools/<script> CONFIG [extra] --work-dir W --cfg-options ...``
    (a child process that ends with this one) on ``device``
    (:func:`resolve_device`; on ``'cpu'`` the child sees no GPU); returns
    the wall time."""
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', script),
        _repo_path(config), *extra, '--work-dir', work_dir, '--cfg-options',
        *options
    ]
    start = time.time()
    env = dict(os.environ,
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    if device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    proc = subprocess.run(cmd, cwd=REPO, env=env,
                          stdout=subprocess.PIPE if quiet else None,
                          stderr=subprocess.STDOUT if quiet else None,
                          text=True, preexec_fn=_die_with_parent)
    if proc.returncode != 0:
        if quiet:
            print(proc.stdout[-5000:])
        raise RuntimeError(f'{script} failed: {" ".join(cmd)}')
    return time.time() - start


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint MMEngine's CheckpointHook wrote last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def resolve_device(name: str) -> str:
    """What the stages train on (``--device``), for the cache key and the
    tables: ``'cpu'`` or ``'cuda:<GPU name>'``.

    Args:
        name (str): ``'auto'`` (a GPU when there is one, as MMEngine
            chooses), ``'cpu'`` or ``'cuda'``.

    Raises:
        ValueError: ``'cuda'`` without a GPU that torch can use.
    """
    import torch
    if name not in ('auto', 'cpu', 'cuda'):
        raise ValueError(f'--device must be auto, cpu or cuda, got {name!r}')
    if name == 'cuda' and not torch.cuda.is_available():
        raise ValueError(
            '--device cuda: torch sees no GPU here (torch.cuda.is_available() '
            'is False: is CUDA_VISIBLE_DEVICES empty, or torch a CPU build?); '
            'use --device cpu')
    if name != 'cpu' and torch.cuda.is_available():
        return f'cuda:{torch.cuda.get_device_name(0)}'
    return 'cpu'


def cached_run(script: str, config: str, options: List[str],
               args: argparse.Namespace, link: Optional[str] = None,
               extra: List[str] = (), outputs: Callable[[str],
                                                        Dict[str,
                                                             object]] = None,
               inputs: Optional[Dict[str, StageOutput]] = None,
               ledger: bool = False,
               from_ledger: bool = True) -> Tuple[dict, bool]:
    """Run ``tools/<script>`` on ``config`` in its entry of the stage cache
    (:mod:`mmfeatdistill.tools.stage_cache`), unless the entry holds the
    finished run already; an interrupted run is resumed with ``--resume``
    (``args.resume``) or started over.

    Args:
        script (str): ``train.py`` or ``train_tofd_teacher_heads.py``.
        config (str): The stage's config.
        options (list[str]): Its ``--cfg-options`` but ``inputs``.
        args (argparse.Namespace): The demo's arguments.
        link (str, optional): A symbolic link to the entry's work dir to
            make there (the demo's work dir per stage).
        extra (list[str]): More arguments of the script.
        outputs (callable): ``work_dir -> result`` of a finished run; its
            ``'files'`` must exist for a cached result to count.
        inputs (dict, optional): ``option -> StageOutput``: checkpoints of
            other stages, made (if they are not yet) only when this stage
            is trained.
        ledger (bool): Whether the stage's result goes into ``args.ledger``
            (a :class:`StageLedger` file), if given, once trained, and may
            come from it (see ``from_ledger``). Default False.
        from_ledger (bool): With ``ledger``, whether the ledger's result
            will do (the caller needs only the metrics, not the
            checkpoint). Default True.

    Returns:
        tuple[dict, bool]: The result (with ``'time'``, the wall time of
        the run that finished it) and whether it came from the cache (or
        the ledger: ``result['ledger']``).
    """
    from mmfeatdistill.tools.stage_cache import StageCache, StageLedger

    inputs = inputs or {}
    # what determines the weights, and what the result's metrics measure
    key, payload, evaluation = stage_key(args, script, config, options, inputs,
                                         extra)
    cache = StageCache(args.cache_dir)
    entry = cache.entry(key)
    book = StageLedger(
        args.ledger) if ledger and getattr(args, 'ledger', None) else None
    from_ledger = from_ledger and book is not None
    with entry.lock():
        if link:
            _link(entry.work_dir, link)
        result = None if args.no_cache else entry.result()
        if result is not None and result.get('eval_key') == evaluation:
            return result, True
        recorded = book.get(key, evaluation) if from_ledger and \
            result is None and not args.no_cache else None
        if recorded is not None:
            return dict(recorded, ledger=True), True
        # finished weights evaluated otherwise: test them again (resuming
        # the finished run trains nothing)
        retest = result is not None
        cache.describe(key, payload, config, options)
        resume = entry.resumable()
        go_on = bool(resume and (args.resume or retest))
        if retest:
            print(
                f'[demo] {config}: cached weights, other evaluation '
                f'settings: evaluating them again', flush=True)
        elif resume and not args.resume:
            print(
                f'[demo] {entry.work_dir} holds an interrupted run of '
                f'{config} ({resume}); starting it over (--resume '
                f'continues it)', flush=True)
        # a finished result whose weights will change: no longer the
        # entry's (one whose weights are only tested again stays until the
        # new result replaces it: a test that is killed loses nothing)
        if osp.exists(entry.index) and not (retest and go_on):
            os.remove(entry.index)
        if not go_on and osp.isdir(entry.work_dir):
            shutil.rmtree(entry.work_dir)
        os.makedirs(entry.work_dir, exist_ok=True)
        run_options = list(options) + [
            f'{name}={output.path()}' for name, output in inputs.items()
        ]
        elapsed = run_script(script, config, entry.work_dir, run_options,
                             args.quiet,
                             [*extra, '--resume', resume] if go_on else extra,
                             args.device)
        result = dict(
            outputs(entry.work_dir), eval_key=evaluation, resumed=go_on,
            time=result['time']
            if retest else runs_time(entry.work_dir) if go_on else elapsed)
        entry.save_result(result)
    if book is not None:
        book.add(key, ledger_record(result, config, options, inputs))
    return result, False


def ledger_record(result: dict, config: str, options: List[str],
                  inputs: Dict[str, StageOutput]) -> dict:
    """What the ledger keeps of a finished stage: its metrics and how and
    where it was measured (no checkpoint, no training records)."""
    import platform

    import torch
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO,
                                capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    kept = ('metrics', 'val_metrics', 'time', 'teacher_heads_time', 'eval_key',
            'resumed')
    return dict({k: result[k]
                 for k in kept if k in result}, config=config,
                options=[o.replace(REPO + os.sep, '') for o in options] +
                [f'{name}={output.token}' for name, output in inputs.items()],
                date=time.strftime('%Y-%m-%d %H:%M'), commit=commit,
                machine=f'{platform.machine()}, {os.cpu_count()} CPU cores, '
                f'{platform.platform()}', torch=torch.__version__,
                threads=os.environ.get('OMP_NUM_THREADS', ''))


_LOG_TIME = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - ')


def runs_time(work_dir: str) -> float:
    """The seconds a stage's runs took together (an interrupted run and the
    runs that resumed it): from the first to the last time stamp of each
    run's MMEngine log in ``work_dir``, summed."""
    import datetime
    total = 0.0
    for run in sorted(os.listdir(work_dir)):
        log = osp.join(work_dir, run, f'{run}.log')
        if not osp.isfile(log):
            continue
        with open(log, errors='replace') as f:
            stamps = [m.group(1) for m in map(_LOG_TIME.match, f) if m]
        if len(stamps) > 1:
            first, last = (datetime.datetime.strptime(t, '%Y/%m/%d %H:%M:%S')
                           for t in (stamps[0], stamps[-1]))
            total += (last - first).total_seconds()
    return total


def _link(target: str, link: str) -> None:
    """Point ``link`` at ``target`` (a folder of the cache); a real folder
    of an earlier demo at ``link`` is left alone."""
    os.makedirs(target, exist_ok=True)
    if osp.islink(link) or not osp.exists(link):
        tmp = f'{link}.{os.getpid()}.link'
        os.makedirs(osp.dirname(link), exist_ok=True)
        os.symlink(target, tmp)
        os.replace(tmp, link)


def stage_inputs(
    stage: Stage, options: List[str], pretrained: Optional[StageOutput] = None,
    teacher: Optional[StageOutput] = None
) -> Tuple[List[str], Dict[str, StageOutput]]:
    """A stage's options and the checkpoints it reads from other stages:
    its backbone from ``pretrained`` (:func:`pretrained_backbone_options`)
    and a distiller's teacher from ``teacher``. The stage's own options
    (``stage.options``) come last: they override the others.

    Returns:
        tuple[list[str], dict]: The options but the checkpoints, and
        ``option -> StageOutput``.
    """
    options, inputs = list(options), {}
    if pretrained is not None:
        for option in pretrained_backbone_options(stage, pretrained.token):
            name, value = option.split('=', 1)
            if value == pretrained.token:
                inputs[name] = pretrained
            else:
                options.append(option)
    if teacher is not None:
        inputs['model.teacher_ckpt'] = teacher
    return options + list(stage.options), inputs


def teacher_seed(args: argparse.Namespace) -> int:
    """The seed of the teacher's runs: ``--teacher-seed``, by default
    ``--seed``. The backbone pretraining and TOFD's teacher-heads step
    take it too, so every student seed shares them.

    Args:
        args (argparse.Namespace): The demo's arguments.

    Returns:
        int: The seed.
    """
    return args.seed if args.teacher_seed is None else args.teacher_seed


#: The script of a stage's teacher-heads step (TOFD's auxiliary heads).
TEACHER_HEADS_SCRIPT = 'train_tofd_teacher_heads.py'


def add_teacher_heads(
        stage: Stage, args: argparse.Namespace, options: List[str],
        inputs: Dict[str, StageOutput],
        make_heads: Callable[[List[str], Dict[str, StageOutput]],
                             str]) -> None:
    """For a stage with a teacher-heads step (TOFD's auxiliary heads), make
    its teacher checkpoint (``inputs['model.teacher_ckpt']``, from
    :func:`stage_inputs`) that step's output, named by the step's key. The
    step trains on the teacher alone (the stage's options but the
    student's and the stage's own, ``stage.options``), from the stage's
    teacher checkpoint, with the teacher's seed (``--teacher-seed``): the
    heads are part of the teacher, one step for every student seed, as
    TOFD trains its teacher with them once;
    ``make_heads(heads_options, heads_inputs)`` trains it (or finds it in
    the cache) when the output is first needed. A stage without the step
    is left as it is."""
    if not stage.teacher_heads:
        return
    # (the stage's own options are the last, see stage_inputs)
    common = options[:len(options) - len(stage.options)]
    seed = f'randomness.seed={teacher_seed(args)}'
    heads_options = [
        seed if o.startswith('randomness.seed=') else o for o in common
        if not o.startswith('model.student.')
    ]
    assert heads_options.count(seed) == 1, \
        f'one seed option expected in {common}'
    heads_inputs = {'model.model_ckpt': inputs['model.teacher_ckpt']}
    inputs['model.teacher_ckpt'] = StageOutput(
        stage_key(args, TEACHER_HEADS_SCRIPT, stage.teacher_heads,
                  heads_options, heads_inputs)[0],
        lambda: make_heads(heads_options, heads_inputs))


def tested_key(args: argparse.Namespace, config: str, options: List[str],
               inputs: Dict[str, StageOutput]) -> str:
    """The key of a stage trained and tested by ``tools/train.py --test``
    (as :func:`train_and_test` runs it)."""
    return stage_key(args, 'train.py', config, options, inputs, ['--test'])[0]


def train_and_test(stage: Stage, work_dir: str, options: List[str],
                   args: argparse.Namespace, experiment: Experiment,
                   pretrained: Optional[StageOutput] = None,
                   teacher: Optional[StageOutput] = None,
                   from_ledger: bool = True) -> dict:
    """Train a stage (after its teacher-heads step) with ``tools/train.py
    --test`` in its entry of the stage cache (``work_dir`` links to it):
    the final model is evaluated on the test split in the same process.
    With ``pretrained`` (a pretraining stage's output), the stage's backbone
    starts from its ``backbone.`` weights (:func:`check_pretrained_load`
    checks the run's log); a distiller's teacher is ``teacher``'s
    checkpoint. The result may come from the cache or, with
    ``from_ledger``, from ``args.ledger`` (which records it either way).
    Returns name, metrics (test split), val_metrics (the last validation),
    time (the training and evaluation runs' own time, a teacher-heads
    step's included, whether they ran now or earlier), records and the
    last checkpoint (the last two not from the ledger)."""
    print(f'[demo] ==> {stage.name}: {stage.config}', flush=True)
    # the teacher-heads step's (time of its own run, whether it ran now)
    heads_runs = []

    def make_heads(heads_options: List[str],
                   heads_inputs: Dict[str, StageOutput]) -> str:
        heads, cached = cached_run(
            TEACHER_HEADS_SCRIPT, stage.teacher_heads, heads_options, args,
            link=work_dir + '_teacher_heads', outputs=lambda w: dict(
                files=[osp.join(w, 'teacher_with_heads.pth')]),
            inputs=heads_inputs)
        heads_runs.append((heads['time'], not cached))
        return heads['files'][0]

    options, inputs = stage_inputs(stage, options, pretrained, teacher)
    add_teacher_heads(stage, args, options, inputs, make_heads)

    def outputs(work: str) -> dict:
        if pretrained is not None:
            check_pretrained_load(_last_log(work), pretrained.path())
        metrics = read_test_metrics(work)
        missing = [m.key for m in experiment.metrics if m.key not in metrics]
        if missing:
            raise KeyError(f'{stage.name}: the test run logged no {missing} '
                           f'(logged: {sorted(metrics)})')
        ckpt = last_checkpoint(work)
        records = read_scalars(work)
        # the last validation (MMEngine logs test metrics in no record)
        val = [r for r in records if experiment.metrics[0].key in r]
        # the stage's result (cache and ledger) keeps its teacher-heads
        # step's time: a row from either still counts the step
        heads = dict(teacher_heads_time=sum(
            t for t, _ in heads_runs)) if stage.teacher_heads else {}
        return dict(
            heads, metrics={
                m.key: metrics[m.key] * m.scale
                for m in experiment.metrics
            }, val_metrics={
                m.key: val[-1][m.key] * m.scale
                for m in experiment.metrics if val and m.key in val[-1]
            }, records=records, ckpt=ckpt, files=[ckpt])

    result, cached = cached_run('train.py', stage.config, options, args,
                                link=work_dir, extra=['--test'],
                                outputs=outputs, inputs=inputs, ledger=True,
                                from_ledger=from_ledger)
    metrics = ', '.join(f'{m.label} {result["metrics"][m.key]:.2f}'
                        for m in experiment.metrics)
    # the seconds printed as 'done in' (the stage's training time, a
    # resumed stage's runs together, plus its teacher-heads step if that
    # ran now), and the row's: its runs' own times, the teacher-heads
    # step's included whether it ran now or earlier
    elapsed = sum(t for t, fresh in heads_runs
                  if fresh) + (0.0 if cached else result['time'])
    own_time = result['time'] + result.get('teacher_heads_time', 0.0)
    if cached:
        where = 'the ledger' if result.get('ledger') else 'cached'
        print(f'[demo] <== {stage.name}: {where} ({metrics})', flush=True)
    else:
        print(f'[demo] <== {stage.name} done in {elapsed:.0f} s: {metrics}',
              flush=True)
    return dict(result, name=stage.name, kind=stage.kind, time=own_time,
                cached=cached)


def prepare_data(experiment: Experiment, data_root: str,
                 prepare: Optional[Tuple[str, ...]] = None) -> None:
    """Run the experiment's data preparation (it skips existing data), or
    ``prepare`` (e.g. its ``pretrain_prepare``)."""
    prepare = experiment.prepare if prepare is None else prepare
    if not prepare:
        return
    script, *rest = prepare
    cmd = [sys.executable, _repo_path(script)
           ] + [a.format(data_root=data_root) for a in rest]
    subprocess.run(cmd, cwd=REPO, check=True, preexec_fn=_die_with_parent)


def teacher_work_dir(args: argparse.Namespace) -> str:
    """Where the teacher's work dir links to (``--teacher-dir``)."""
    return args.teacher_dir or osp.join(args.work_dir, 'teacher')


def train_teacher(args, experiment: Experiment, options,
                  pretrained: Optional[StageOutput] = None,
                  from_ledger: bool = True) -> dict:
    """The teacher, trained once per config and options (the stage cache
    keeps it; ``--teacher-dir`` links to it), its backbone initialised
    from ``pretrained`` if given; its row may come from the ledger
    (``from_ledger``)."""
    return train_and_test(experiment.teacher, teacher_work_dir(args), options,
                          args, experiment, pretrained,
                          from_ledger=from_ledger)


def teacher_output(args, experiment: Experiment, options,
                   pretrained: Optional[StageOutput],
                   row: Callable[[], dict]) -> StageOutput:
    """The teacher's checkpoint for the distillation stages: that of its
    row (``row()``, the :func:`train_teacher` result, waited for when the
    teacher trains beside the plain student) unless the row came from the
    ledger; else trained when the first of them is (if the cache does not
    hold it)."""
    stage = experiment.teacher
    key = tested_key(args, stage.config,
                     *stage_inputs(stage, options, pretrained))

    def make() -> str:
        # (the teacher's row may have come from the ledger, without
        # training)
        return row().get('ckpt') or \
            train_teacher(args, experiment, options, pretrained,
                          from_ledger=False)['ckpt']

    return StageOutput(key, make)


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
        cached = ' (ledger)' if r.get('ledger') else \
            ' (cached)' if r.get('cached') else ''
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
        train = [
            x for x in r.get('records', []) if 'loss' in x and 'step' in x
        ]
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


def run_stages(train: Callable[[Stage], dict], stages: List[Stage],
               jobs: int) -> List[dict]:
    """``train`` each stage, ``jobs`` at a time (threads, each running its
    stage's process); results in the stages' order. The first stage that
    fails is reported at once and the stages not started yet are not
    started; the running ones finish (their cache entries stay
    resumable), then its error is raised.

    Args:
        train (callable): Trains one stage, returns its result.
        stages (list[Stage]): The stages.
        jobs (int): How many run at once (at least 1).
    """
    jobs = max(1, jobs)
    waiting = list(enumerate(stages))
    running: Dict[Future, int] = {}
    results: Dict[int, dict] = {}
    error: Optional[BaseException] = None
    with ThreadPoolExecutor(jobs) as pool:
        while waiting or running:
            while waiting and len(running) < jobs and error is None:
                index, stage = waiting.pop(0)
                running[pool.submit(train, stage)] = index
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                if future.exception() is None:
                    results[index] = future.result()
                elif error is None:
                    error = future.exception()
                    print(
                        f'[demo] {stages[index].name} failed: {error!r}; '
                        f'not starting '
                        f'{[s.name for _, s in waiting] or "no other stage"}'
                        f'; waiting for the running ones', flush=True)
    if error is not None:
        raise error
    return [results[i] for i in range(len(stages))]


def add_cache_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage cache's options (``--cache-dir``, ``--resume``,
    ``--checkpoint-interval``, ``--no-cache``, ``--ledger``), as one group
    of the help."""
    cache = parser.add_argument_group(
        'stage cache', 'finished stages and the checkpoints of interrupted '
        'ones, keyed by what determines their weights')
    cache.add_argument(
        '--cache-dir', default=None,
        help='where (default $MMFD_STAGE_CACHE or '
        '~/.cache/mmfeatdistill/stages)')
    cache.add_argument(
        '--resume', action='store_true',
        help='continue interrupted stages from their latest checkpoint '
        '(the result equals an uninterrupted run); without it they start '
        'over')
    cache.add_argument(
        '--checkpoint-interval', type=int, default=200,
        help='iterations between the checkpoints a stage resumes from')
    cache.add_argument(
        '--no-cache', action='store_true',
        help='train every stage again (its cache entry is overwritten)')
    cache.add_argument(
        '--ledger', default=None,
        help='a JSON file of finished stages\' results that can be '
        'committed (e.g. benchmarks/results/ledger/long.json): a stage '
        'recorded there is not trained again, and each trained stage is '
        'recorded; its checkpoint is not kept (a later stage that needs it '
        'trains it again)')


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
    for key, what in SCHEDULE_KEYS.items():
        parser.add_argument(
            schedule_option(key), type=int, default=None,
            help=f"{what} (default: the task's short "
            'schedule)')
    parser.add_argument(
        '--test-subset', type=int, default=None,
        help='evaluate on the first N test samples '
        '(default: the whole test split)')
    parser.add_argument('--pretrain-data-root', default=None,
                        help="default: the task's pretraining data folder")
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
        '(the baseline always runs; with no name but the baseline\'s, '
        'the teacher is not trained)')
    parser.add_argument('--quiet', action='store_true',
                        help='hide the training logs (one line per stage)')
    parser.add_argument(
        '--device', default='auto', choices=('auto', 'cpu', 'cuda'),
        help='what every stage trains on (default: a GPU when torch sees '
        'one, as MMEngine chooses); part of each stage\'s cache key')
    add_cache_arguments(parser)
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='stages trained at once, each in its own process (the '
        'teacher first, beside it the plain student and the backbones\' '
        'pretraining; the distillation stages wait for the teacher); '
        'give each OMP_NUM_THREADS=1 on 2 cores')
    args = parser.parse_args(argv)
    try:
        args.device = resolve_device(args.device)
    except ValueError as e:
        parser.error(str(e))
    defaults = experiments[args.task].defaults
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.work_dir is None:
        args.work_dir = experiments[args.task].work_dir
    if args.data_root is None:
        args.data_root = experiments[args.task].data_root
    if args.pretrain_epochs is None:
        args.pretrain_epochs = 0
    if args.pretrain_epochs and not experiments[args.task].pretrain:
        parser.error(f'--pretrain-epochs: task {args.task!r} has no '
                     'pretraining stages')
    if args.pretrain_data_root is None:
        args.pretrain_data_root = experiments[args.task].pretrain_data_root
    return args


def _parse(
        argv: Optional[List[str]], experiment: Optional[Experiment]
) -> Tuple[argparse.Namespace, Experiment]:
    """The demo's arguments (its folders made absolute) and experiment
    (``--task`` of the table, or ``experiment``)."""
    experiments = dict(EXPERIMENTS)
    if experiment is not None:
        experiments[experiment.task] = experiment
    args = parse_args(argv, experiments)
    args.work_dir = osp.abspath(args.work_dir)
    args.data_root = osp.abspath(args.data_root)
    if args.pretrain_epochs:
        args.pretrain_data_root = osp.abspath(args.pretrain_data_root)
    return args, experiments[args.task]


def _stages(args: argparse.Namespace,
            experiment: Experiment) -> Tuple[List[Stage], bool]:
    """The stages to run after the teacher (``--only``) and whether the
    teacher runs: unless ``--only`` names no stage that needs a teacher
    (e.g. the plain student alone: no teacher is trained)."""
    stages = [
        s for s in experiment.stages[1:]
        if args.only is None or s.name in args.only or s.kind == 'baseline'
    ]
    return stages, args.only is None or any(s.kind != 'baseline'
                                            for s in stages)


def _plan(
    args: argparse.Namespace, experiment: Experiment,
    teacher_row: Callable[[], dict]
) -> Tuple[Dict[str, StageOutput], List[str], StageOutput, List[str]]:
    """What every stage is trained from: each role's pretrained backbone
    (one cached stage per backbone, with the teacher's seed: the same
    weights for every student seed; trained before the first stage that
    starts from it), the teacher's options and checkpoint (that of
    ``teacher_row()``, see :func:`teacher_output`) and the students'
    options."""
    seed = teacher_seed(args)
    pretrained: Dict[str, StageOutput] = {}
    if args.pretrain_epochs:
        for role in sorted(experiment.pretrain):
            pretrained[role] = pretrain_output(role, args, experiment, seed)
    teacher_options = common_options(args, experiment, args.teacher_epochs,
                                     args.teacher_train_subset, seed)
    teacher_ckpt = teacher_output(args, experiment, teacher_options,
                                  pretrained.get('teacher'), teacher_row)
    options = common_options(args, experiment, args.epochs, args.train_subset,
                             args.seed)
    return pretrained, teacher_options, teacher_ckpt, options


#: What :func:`stage_keys_of` appends to a stage's name for its
#: teacher-heads step.
HEADS_STEP = ' (teacher heads)'
#: What it appends to a role (``'teacher'``, ``'student'``) for the
#: backbone pretraining that role's stages start from.
PRETRAIN_STEP = ' backbone pretraining'


def stage_keys_of(argv: Optional[List[str]] = None,
                  experiment: Optional[Experiment] = None,
                  names: Optional[Sequence[str]] = None,
                  steps: bool = False) -> Dict[str, str]:
    """The weight key of each stage of the experiment as ``main(argv)``
    would train it (stage name -> key): where the stage cache and the
    ledger keep its result. Computed from the configs and options alone;
    nothing is trained or prepared (the keys cover the data folders by
    content: prepare them first, as the run did). The torch thread count
    in the keys is ``$OMP_NUM_THREADS``'s, as for a run.

    Args:
        argv (list[str], optional): The demo's arguments (``--only`` is
            ignored).
        experiment (Experiment, optional): As for :func:`main`.
        names (Sequence[str], optional): These stages only (default: all,
            the teacher's included).
        steps (bool): Also the keys of the steps that make other stages'
            inputs: each (named) stage's teacher-heads step, as ``name +
            HEADS_STEP``, and each role's backbone pretraining (with
            ``--pretrain-epochs``), as ``role + PRETRAIN_STEP``. Default
            False.
    """
    args, experiment = _parse(argv, experiment)
    unknown = set(names or ()) - {s.name for s in experiment.stages}
    if unknown:
        raise KeyError(f'{sorted(unknown)}: not stages of task '
                       f'{experiment.task!r} (its stages: '
                       f'{[s.name for s in experiment.stages]})')

    def untrained(*_) -> str:
        raise RuntimeError('stage_keys_of trains nothing')

    pretrained, _, teacher_ckpt, options = _plan(args, experiment, lambda: {})
    keys = {
        role + PRETRAIN_STEP: p.key
        for role, p in pretrained.items()
    } if steps else {}
    keys[experiment.teacher.name] = teacher_ckpt.key
    for stage in experiment.stages[1:]:
        if names is not None and stage.name not in names:
            continue
        stage_options, inputs = stage_inputs(
            stage, options, pretrained.get(pretrain_role(stage)),
            None if stage.kind == 'baseline' else teacher_ckpt)
        add_teacher_heads(stage, args, stage_options, inputs, untrained)
        if steps and stage.teacher_heads:
            keys[stage.name + HEADS_STEP] = inputs['model.teacher_ckpt'].key
        keys[stage.name] = tested_key(args, stage.config, stage_options,
                                      inputs)
    if names is not None and experiment.teacher.name not in names:
        del keys[experiment.teacher.name]
    return keys


def main(argv: Optional[List[str]] = None,
         experiment: Optional[Experiment] = None) -> List[dict]:
    """Run an experiment (``--task`` of the table, or ``experiment``, e.g.
    the table's with more stages). Returns one result per stage."""
    args, experiment = _parse(argv, experiment)
    os.makedirs(args.work_dir, exist_ok=True)
    prepare_data(experiment, args.data_root)
    if args.pretrain_epochs:
        prepare_data(experiment, args.pretrain_data_root,
                     experiment.pretrain_prepare)
    stages, with_teacher = _stages(args, experiment)
    # the teacher's row (when it runs) is the first job, so with --jobs 2
    # the plain student (and each role's backbone pretraining) trains
    # beside it and the distillation stages wait for its checkpoint
    teacher_row: Future = Future()
    if not with_teacher:
        teacher_row.set_result({})
    pretrained, teacher_options, teacher_ckpt, options = _plan(
        args, experiment, teacher_row.result)

    def job(stage: Stage) -> dict:
        if stage is experiment.teacher:
            try:
                teacher_row.set_result(
                    train_teacher(args, experiment, teacher_options,
                                  pretrained.get('teacher')))
            except BaseException as e:
                teacher_row.set_exception(e)
                raise
            return teacher_row.result()
        return train_and_test(
            stage, osp.join(args.work_dir,
                            slug(stage.name)), options, args, experiment,
            pretrained.get(pretrain_role(stage)),
            None if stage.kind == 'baseline' else teacher_ckpt)

    results = run_stages(job, [experiment.teacher] * with_teacher + stages,
                         args.jobs)
    table = format_table(results, experiment)
    print('\n' + table + '\n')
    from mmfeatdistill.utils.checkpoint import atomic_write_text
    atomic_write_text(table + '\n', osp.join(args.work_dir, 'results.md'))
    png = osp.join(args.work_dir, 'results.png')
    plot(results, experiment, png)
    print(f'[demo] table: {osp.join(args.work_dir, "results.md")}\n'
          f'[demo] plot:  {png}')
    return results


if __name__ == '__main__':
    main()
