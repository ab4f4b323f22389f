"""Where one training step of the main job's stages spends its time.

For each task of the experiment table (:mod:`mmfeatdistill.tools.
experiments`, ``--tasks``) and for its plain student (the ``baseline``
stage) and one distillation stage (``--stage``, default PEFD), this builds
the real MMEngine Runner from the stage's config with the options the demo
passes (``demo.common_options`` with the task's short schedule), trains
``--warmup`` + ``--iters`` iterations of it with the Runner's own loop and
times them with hooks:

* ``data``: from the end of the previous iteration's hooks to the start of
  this one's (the train loop fetching the batch from its dataloader);
* ``preprocess``: the model's ``data_preprocessor`` (forward hooks);
* ``fwd+loss``: ``model(..., mode='loss')`` (forward hooks; for a
  distillation stage the teacher's share is given in brackets);
* ``bwd+step``: ``optim_wrapper.update_params`` (backward, clipping,
  optimizer step);
* ``hooks``: the ``before_train_iter`` and ``after_train_iter`` hooks
  (logging, schedulers, checkpoints, ...; the median hides periodic ones,
  the ``mean`` column includes them);
* ``other``: the rest of ``train_step`` (loss parsing);
* the evaluation pass: the validation loop that ends the run (the demo's
  last validation, and its test pass costs the same per image), per batch
  and per image, its first batch (loader start) and the metric's time.

Lower bound: the same model's forward + backward + optimizer step on one
pre-made (already preprocessed) batch, repeated, plus the teacher's no-grad
forward for a distillation stage. ``ratio`` = median step / median lower
bound.

Only the run's length changes: one epoch of (warm-up + timed) batches of
the training split's first images, and a few validation batches. The
teacher of a distillation stage is randomly initialised (same compute as a
trained one).

    python benchmarks/step_profile.py --label before [--threads 1]
    python benchmarks/step_profile.py --tasks seg --stage OFD --label x

Writes its table into ``benchmarks/results/step_profile.md``, one section
per ``--label`` (the notes around them stay).
"""
import argparse
import gc
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

from mmengine.hooks import Hook

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from benchmarks._common import load_average, write_section  # noqa: E402

#: the parts of a step, in the table's order
PARTS = ('data', 'preprocess', 'fwd+loss', 'bwd+step', 'hooks', 'other')


class StepClock:
    """What the two :class:`ClockHook` and the model's forward hooks
    measure, in seconds: one dict per training iteration and one per
    validation iteration."""

    def __init__(self) -> None:
        self.train: List[Dict[str, float]] = []
        self.val: List[Dict[str, float]] = []
        self.metric = 0.0
        self.batch: Any = None
        self._current: Dict[str, float] = {}
        self._marks: Dict[str, float] = {}
        self._end: Optional[float] = None
        self.in_step = False

    def mark(self, name: str) -> float:
        now = time.perf_counter()
        self._marks[name] = now
        return now

    def add(self, part: str, seconds: float) -> None:
        self._current[part] = self._current.get(part, 0.0) + seconds

    def start(self, name: str) -> None:
        """Start timing ``name`` inside a training step."""
        if self.in_step:
            self.mark(name)

    def stop(self, name: str) -> None:
        if self.in_step and name in self._marks:
            self.add(name, time.perf_counter() - self._marks.pop(name))


class ClockHook(Hook):
    """Marks the edges of every iteration. Registered twice: ``first``
    with the highest priority (its ``before`` methods run before every
    other hook's), and ``last`` with the lowest.

    Args:
        clock (StepClock): Where the times go.
        first (bool): Whether this is the hook that runs first.
    """

    def __init__(self, clock: StepClock, first: bool) -> None:
        self.clock = clock
        self.first = first

    def before_train_epoch(self, runner) -> None:
        if not self.first:
            self.clock._end = time.perf_counter()

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Any = None) -> None:
        clock = self.clock
        if self.first:
            now = clock.mark('iter')
            clock._current = dict(data=now - clock._end)
            clock.batch = data_batch
        else:
            clock.add('hooks', clock.mark('step') - clock._marks['iter'])
            clock.in_step = True

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        clock = self.clock
        if self.first:
            clock.in_step = False
            step = clock.mark('hooks') - clock._marks['step']
            inner = sum(
                clock._current.get(p, 0.0)
                for p in ('preprocess', 'fwd+loss', 'bwd+step'))
            clock.add('other', step - inner)
        else:
            now = time.perf_counter()
            clock.add('hooks', now - clock._marks['hooks'])
            clock._current['total'] = now - clock._end
            clock._end = now
            clock.train.append(clock._current)

    def before_val_epoch(self, runner) -> None:
        if not self.first:
            self.clock._end = time.perf_counter()

    def before_val_iter(self, runner, batch_idx: int,
                        data_batch: Any = None) -> None:
        if self.first:
            now = self.clock.mark('val')
            self.clock._current = dict(data=now - self.clock._end,
                                       images=_batch_size(data_batch))

    def after_val_iter(self, runner, batch_idx: int, data_batch: Any = None,
                       outputs: Optional[Sequence] = None) -> None:
        if not self.first:
            clock = self.clock
            now = time.perf_counter()
            clock._current['total'] = now - clock._end
            clock._end = now
            clock.val.append(clock._current)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if self.first:
            self.clock.metric = time.perf_counter() - self.clock._end


def _batch_size(data_batch: Any) -> int:
    inputs = data_batch.get('inputs') if isinstance(data_batch, dict) \
        else None
    return len(inputs) if inputs is not None else 0


def _timed(clock: StepClock, name: str, fn: Callable) -> Callable:

    def wrapper(*args, **kwargs):
        clock.start(name)
        try:
            return fn(*args, **kwargs)
        finally:
            clock.stop(name)

    return wrapper


class InstrumentHook(Hook):
    """Before training (the optimizer wrapper is built then): forward
    hooks on the model, its data preprocessor and its teacher, and a timer
    around ``optim_wrapper.update_params``.

    Args:
        clock (StepClock): Where the times go.
    """

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock

    def before_train(self, runner) -> None:
        from mmfeatdistill.utils import unwrap_model
        model = unwrap_model(runner.model)
        clock = self.clock
        for name, module in (('preprocess',
                              model.data_preprocessor), ('fwd+loss', model),
                             ('teacher', getattr(model, 'teacher', None))):
            if module is None:
                continue
            module.register_forward_pre_hook(
                lambda *_, name=name: clock.start(name))
            module.register_forward_hook(
                lambda *_, name=name: clock.stop(name))
        wrapper = runner.optim_wrapper
        wrapper.update_params = _timed(clock, 'bwd+step',
                                       wrapper.update_params)


def lower_bound(model, optim_wrapper, data_batch: Any,
                repeats: int) -> List[float]:
    """Seconds of ``repeats`` steps of the model's own forward + backward
    + optimizer step on one pre-made batch (the student's, plus the
    teacher's no-grad forward for a distiller).

    Args:
        model (nn.Module): The Runner's model (a distiller or a plain
            model).
        optim_wrapper (OptimWrapper): The Runner's optimizer wrapper.
        data_batch (Any): A batch as the train loader yields it; it is
            preprocessed once, before the timed steps.
        repeats (int): Steps timed.
    """
    import torch

    from mmfeatdistill.utils import unwrap_model
    model = unwrap_model(model)
    model.train()
    data = model.data_preprocessor(data_batch, True)
    student = getattr(model, 'student', None)
    teacher = getattr(model, 'teacher', None)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if teacher is not None:
            with torch.no_grad():
                teacher(model.teacher_inputs(data['inputs']),
                        data['data_samples'], mode=model.teacher_forward_mode)
        losses = (student or model)(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        optim_wrapper.update_params(loss)
        times.append(time.perf_counter() - start)
    return times


def stage_options(task: str,
                  demo_argv: Sequence[str]) -> Tuple[List[str], Any]:
    """The demo's ``--cfg-options`` for the students of ``task`` (its short
    schedule, ``demo_argv`` applied) and the demo's arguments."""
    from mmfeatdistill.tools import demo
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    args = demo.parse_args(['--task', task, *demo_argv])
    args.data_root = osp.abspath(args.data_root)
    experiment = EXPERIMENTS[task]
    options = demo.common_options(args, experiment, args.epochs,
                                  args.train_subset, args.seed)
    return options, args


def build_runner(config: str, options: List[str], work_dir: str,
                 teacher_ckpt: Optional[str]):
    """The Runner ``tools/train.py CONFIG --cfg-options OPTIONS`` builds.

    Args:
        config (str): The stage's config.
        options (list[str]): Its ``--cfg-options``.
        work_dir (str): The run's work dir.
        teacher_ckpt (str, optional): ``model.teacher_ckpt`` of a
            distillation stage.
    """
    from mmfeatdistill.tools import train
    from mmfeatdistill.tools.stage_cache import resolve_config
    from mmfeatdistill.utils import trust_checkpoints
    if teacher_ckpt:
        options = options + [f'model.teacher_ckpt={teacher_ckpt}']
    cfg = resolve_config(config, options)
    cfg.work_dir = work_dir
    if cfg.get('visualizer') is not None:
        # visualizers are global per name (see tests/helpers.py)
        cfg.visualizer.name = f'visualizer:{work_dir}'
    args = argparse.Namespace(amp=False, resume=None, auto_scale_lr=False)
    with trust_checkpoints(False):
        return train.build_runner(cfg, args)


def random_teacher(stage, cfg, out_dir: str) -> str:
    """A randomly initialised teacher checkpoint for ``stage`` (with
    untrained heads for a stage with a teacher-heads step)."""
    from mmfeatdistill.testing import (save_teacher_with_heads,
                                       save_trained_like_teacher)
    ckpt = osp.join(out_dir, 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    if stage.teacher_heads:
        ckpt = save_teacher_with_heads(osp.join(REPO, stage.teacher_heads),
                                       ckpt,
                                       osp.join(out_dir, 'teacher_heads.pth'))
    return ckpt


def profile_stage(task: str, stage, args: argparse.Namespace) -> dict:
    """Build and train one stage for ``args.warmup + args.iters``
    iterations with the clock hooks.

    Args:
        task (str): The task of the experiment table.
        stage (Stage): One of its stages.
        args (argparse.Namespace): This script's arguments.

    Returns:
        dict: The row: medians in ms, the lower bound and the ratio.
    """
    from mmengine.config import Config
    options, demo_args = stage_options(task, args.demo_args)
    config = osp.join(REPO, stage.config)
    cfg = Config.fromfile(config)
    batch = demo_args.batch_size or cfg.train_dataloader.batch_size
    val_batch = cfg.val_dataloader.batch_size
    steps = args.warmup + args.iters
    options += [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'param_scheduler.0.T_max=1',
        f'train_dataloader.dataset.indices={steps * batch}',
        f'val_dataloader.dataset.indices={args.val_batches * val_batch}'
    ]
    clock = StepClock()
    with tempfile.TemporaryDirectory() as tmp:
        teacher = random_teacher(stage, cfg, tmp) \
            if stage.kind != 'baseline' else None
        runner = build_runner(config, options, osp.join(tmp, 'work'), teacher)
        runner.register_hook(ClockHook(clock, True), 'HIGHEST')
        runner.register_hook(ClockHook(clock, False), 'LOWEST')
        runner.register_hook(InstrumentHook(clock), 'HIGHEST')
        runner.train()
        bound = lower_bound(runner.model, runner.optim_wrapper, clock.batch,
                            steps)[args.warmup:]
        workers = runner.cfg.train_dataloader.num_workers
        del runner
        gc.collect()
    timed = clock.train[args.warmup:]
    row = dict(task=task, stage=stage.name, config=stage.config, batch=batch,
               steps=len(timed), workers=workers)
    for part in PARTS + ('teacher', 'total'):
        row[part] = 1e3 * statistics.median(t.get(part, 0.0) for t in timed)
    row['mean'] = 1e3 * statistics.mean(t['total'] for t in timed)
    row['first'] = 1e3 * clock.train[0]['total']
    row['bound'] = 1e3 * statistics.median(bound)
    row['ratio'] = row['total'] / row['bound']
    val = clock.val[1:] or clock.val
    row['val_first'] = 1e3 * clock.val[0]['total'] if clock.val else 0.0
    row['val_batch'] = 1e3 * statistics.median(v['total'] for v in val)
    row['val_image'] = row['val_batch'] / max(1, val[0]['images'])
    row['val_data'] = 1e3 * statistics.median(v['data'] for v in val)
    row['metric'] = 1e3 * clock.metric
    return row


def format_row(row: dict) -> str:
    teacher = f' ({row["teacher"]:.0f})' if row['teacher'] else ''
    cells = [
        row['task'], row['stage'], f'{row["batch"]}', f'{row["workers"]}',
        f'{row["total"]:.0f}', f'{row["mean"]:.0f}', f'{row["data"]:.1f}',
        f'{row["preprocess"]:.1f}', f'{row["fwd+loss"]:.0f}{teacher}',
        f'{row["bwd+step"]:.0f}', f'{row["hooks"]:.1f}', f'{row["other"]:.1f}',
        f'{row["bound"]:.0f}', f'{row["ratio"]:.2f}', f'{row["first"]:.0f}',
        f'{row["val_batch"]:.0f} / {row["val_image"]:.2f}',
        f'{row["val_data"]:.1f}', f'{row["val_first"]:.0f}',
        f'{row["metric"]:.0f}'
    ]
    return '| ' + ' | '.join(cells) + ' |'


HEADER = (
    '| task | stage | batch | workers | step (median) | step (mean) | data '
    '| preprocess | fwd+loss (teacher) | bwd+step | hooks | other | lower '
    'bound | ratio | first step | val: per batch / per image | val data | '
    'val first batch | metric |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
    '---|---|',
)


def stages_of(task: str, name: str) -> list:
    """The baseline stage of ``task`` and its stage named ``name`` (when it
    has one)."""
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    stages = EXPERIMENTS[task].stages
    chosen = [s for s in stages if s.kind == 'baseline']
    chosen += [s for s in stages if s.name == name and s.kind != 'baseline']
    return chosen


def machine() -> str:
    import torch
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
            f'{platform.platform()}, torch {torch.__version__}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--tasks', nargs='+', default=sorted(EXPERIMENTS),
                        choices=sorted(EXPERIMENTS))
    parser.add_argument(
        '--stage', default='PEFD',
        help='the distillation stage profiled beside the '
        'baseline (a stage name of the table)')
    parser.add_argument('--label', default='before',
                        help='the section of --out this run writes')
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch threads (the demo: 1 per process with '
        '--jobs 2, else 2)')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--val-batches', type=int, default=4)
    parser.add_argument(
        '--demo-args', nargs=argparse.REMAINDER, default=[],
        help='arguments of tools/demo.py that choose the options (e.g. '
        '--data-root D --workers 0 --batch-size 8); last on the command '
        'line')
    parser.add_argument(
        '--busy', type=int, default=0,
        help='processes that keep a core busy (a plain Python loop each) '
        'while the stages are profiled: a host shared with other work')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'step_profile.md'))
    return parser.parse_args(argv)


@contextmanager
def busy_cores(num: int) -> Iterator[None]:
    """``num`` processes that spin on a core each while the block runs."""
    procs = [
        subprocess.Popen([sys.executable, '-c', 'while True: pass'])
        for _ in range(num)
    ]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    loads = [load_average()]
    lines = []
    with busy_cores(args.busy):
        for task in args.tasks:
            for stage in stages_of(task, args.stage):
                row = profile_stage(task, stage, args)
                lines.append(format_row(row))
                loads.append(load_average())
                print(lines[-1], flush=True)
    # the OpenMP settings that change how threads wait, not what they sum
    env = ''.join(f'{k}={os.environ[k]} ' for k in ('OMP_WAIT_POLICY', )
                  if k in os.environ)
    command = (f'{env}python benchmarks/step_profile.py --tasks '
               f'{" ".join(args.tasks)} --stage {args.stage!r} --label '
               f'{args.label} --threads {args.threads} --warmup '
               f'{args.warmup} --iters {args.iters} --val-batches '
               f'{args.val_batches}' +
               (f' --busy {args.busy}' if args.busy else ''))
    if args.demo_args:
        command += ' --demo-args ' + ' '.join(args.demo_args)
    text = '\n'.join([
        f'Command: `{command}` ({time.strftime("%Y-%m-%d %H:%M")}). '
        f'Machine: {machine()}, {args.threads} torch thread(s). Load '
        f'average (1 / 5 / 15 min) before the first row and after each: '
        f'{"; ".join(loads)}. Times in ms.', '', *HEADER, *lines
    ])
    write_section(args.out, f'{args.label} table', text,
                  'benchmarks/step_profile.py',
                  heading='# Profile of one training step of the main job\n')
    print(f'written {args.out}')
    return text


if __name__ == '__main__':
    main()
