"""What distillation costs per training step, and what our plumbing adds.

Rows: the distiller configs matching ``--configs`` (globs; by default
:data:`DEFAULT_CONFIGS`: every method's CIFAR-100 config and OFD's SSD and
DeepLabV3+ configs). A row's task comes from its student's registry scope
(mmpretrain, mmdet, mmseg), its batch and input size from
:data:`TASKS` (CPU and CUDA defaults; ``--batch``/``--size`` override).
For each row, on one fixed synthetic batch in one process, the median over
rounds of:

* ``distill``: the distiller's full training step (student + teacher
  forward, recorders, connectors, losses, backward, optimizer step);
* ``student``: the student's own training step (same optimizer settings);
* ``teacher``: the teacher's no-grad forward;
* ``modules``: the method's own modules (connectors, heads, projectors,
  losses) forward + backward on the records of one forward cut from the
  models' graphs (``model.record`` then the recorders' ``detach``; the
  backward ends at the student's features: the gradient the method sends
  into them is its cost, the student's backward is not), plus the optimizer
  update of the method's trainable parameters.

``total ratio = distill / (student + teacher)`` is what a user pays;
``overhead ratio = distill / (student + teacher + modules)`` is what the
recorders, mapping and copies cost beyond the unavoidable. Both ratios are
the medians of the per-round ratios (a round times every step once, within
seconds, so a drift of a shared machine cancels out of them). Each step is
run ``--block`` times in a row per round and only the last run is timed:
every step is then timed in its own steady state (the CPU allocator's
page faults depend on the step that ran just before, see the results).

Memory, each in a fresh process, peak over the steps after a warm-up step:

* ``distill``: distillation steps; ``base``: the student's training step
  with the teacher's no-grad forward in it (first, as the distiller runs
  them), same models built; ``memory ratio = distill / base``;
* ``modules``: the method's modules step as timed above; its *peak
  increment* is how far a step's peak rises above the memory right before
  it (the cut records in place): the memory the method needs on its own;
* ``plumbing memory ratio = distill / (base + modules increment)``: what
  the recorders and their copies add beyond the two.

``--memory device`` (default): on CPU the peak resident set (``VmHWM``,
reset through ``/proc/self/clear_refs``; freed memory is handed back with
``malloc_trim`` before a modules step), on CUDA
``torch.cuda.max_memory_allocated``. ``--memory tensors``: the bytes of
live tensors (models and batch included) counted op by op
(:class:`LiveTensorBytes`), what CUDA's allocated memory counts but on any
device: with ``--sizes-of cuda`` (the GPU rows' sizes) it estimates the GPU's
memory ratios on a machine without one.

    python benchmarks/overhead.py [--repeats 9] [--only tofd_ ...]
    python benchmarks/overhead.py --device cuda [--repeats 20]
    python benchmarks/overhead.py --memory tensors --memory-only \\
        --sizes-of cuda

Writes its table into ``benchmarks/results/overhead.md`` (each device's
table, and each ``--memory tensors`` table, between their own markers; the
notes around them stay).
"""
import argparse
import ctypes
import glob
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from benchmarks._common import load_average, write_section  # noqa: E402

#: The rows by default (``--configs``): every distiller config of the
#: CIFAR-100 pair (one per method; configs that are not a FeatureDistiller,
#: e.g. TOFD's teacher-heads step, are skipped) and OFD's detection and
#: segmentation configs. Globs, relative to the repository.
DEFAULT_CONFIGS = (
    'configs/*/*_cifar100.py',
    'configs/ofd/ofd_ssd300_ssd300-r18_voc0712.py',
    'configs/ofd/ofd_deeplabv3plus-r101_r18_voc12aug.py',
)


def _cls_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import cls_batch
    return cls_batch(row.batch, (row.channels, row.size, row.size),
                     num_classes=row.num_classes)


def _det_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import det_batch
    return det_batch(row.batch, row.size, num_classes=row.num_classes)


def _seg_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import seg_batch
    return seg_batch(row.batch, (row.size, row.size),
                     num_classes=row.num_classes)


@dataclass(frozen=True)
class Task:
    """What the rows of one task need.

    Attributes:
        scope (str): The student's registry scope that marks the task.
        class_key (str): Where the student's config keeps its number of
            classes.
        sizes (dict): Device -> (batch, input size). CPU: sizes that fit
            2 cores; CUDA: the configs' own.
        make_batch (callable): The row's synthetic batch.
        sized_preprocessor (bool): The student's data preprocessor is
            given the input size (mmseg's pads to it).
    """
    scope: str
    class_key: str
    sizes: Dict[str, Tuple[int, int]]
    make_batch: Callable[['Row'], dict]
    sized_preprocessor: bool = False


#: task -> what its rows need; a new task is one entry. CUDA sizes: CIFAR
#: 128 x 32x32, SSD 8 x 300x300, DeepLabV3+ 4 x 512x512 crops.
TASKS = {
    'cls':
    Task('mmpretrain', 'head', dict(cpu=(32, 32), cuda=(128, 32)), _cls_batch),
    'det':
    Task('mmdet', 'bbox_head', dict(cpu=(2, 300), cuda=(8, 300)), _det_batch),
    'seg':
    Task('mmseg', 'decode_head', dict(cpu=(2, 128), cuda=(4, 512)), _seg_batch,
         sized_preprocessor=True),
}


@dataclass
class Row:
    """One row of the table: a distiller config and what its batch needs."""
    name: str  # the config's file name without .py
    config: str  # relative to the repository
    task: str  # 'cls', 'det' or 'seg'
    num_classes: int
    channels: int  # input channels
    batch: int
    size: int


def row_of(config: str, device: str = 'cpu', batch: Optional[int] = None,
           size: Optional[int] = None) -> Optional[Row]:
    """The row of a config (path relative to the repository or absolute),
    or None when it is not a FeatureDistiller config. The task comes from
    the student's registry scope, batch and input size from
    :data:`TASKS` unless given."""
    from mmengine.config import Config

    from mmfeatdistill.utils import resolve_model_cfg
    path = config if osp.isabs(config) else osp.join(REPO, config)
    cfg = Config.fromfile(path)
    model = cfg.get('model')
    if not isinstance(model, dict) or model.get('type') not in (
            'FeatureDistiller', 'mmfeatdistill.FeatureDistiller'):
        return None
    student = resolve_model_cfg(model['student'], 'student',
                                cfg.get('data_preprocessor'))
    scope = student.get('_scope_') or str(student.get('type')).split('.')[0]
    tasks = {t.scope: name for name, t in TASKS.items()}
    if scope not in tasks:
        raise ValueError(f'{config}: the student\'s scope {scope!r} is none '
                         f'of {sorted(tasks)}.')
    task = tasks[scope]
    num_classes = student[TASKS[task].class_key]['num_classes']
    preprocessor = student.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    channels = len(preprocessor.get('mean') or (0, 0, 0))
    default_batch, default_size = TASKS[task].sizes[device]
    rel = osp.relpath(path, REPO)
    return Row(name=osp.splitext(osp.basename(path))[0], config=rel, task=task,
               num_classes=int(num_classes), channels=channels, batch=batch
               or default_batch, size=size or default_size)


def discover(patterns: Sequence[str] = DEFAULT_CONFIGS, device: str = 'cpu',
             only: Optional[Sequence[str]] = None, batch: Optional[int] = None,
             size: Optional[int] = None) -> List[Row]:
    """The rows of the distiller configs matching ``patterns`` (globs
    relative to the repository, in order, each sorted; duplicates once),
    those whose name contains one of ``only`` when given."""
    paths: List[str] = []
    for pattern in patterns:
        full = pattern if osp.isabs(pattern) else osp.join(REPO, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            raise FileNotFoundError(f'--configs {pattern!r} matches no file')
        paths += [p for p in matches if p not in paths]
    rows = []
    for path in paths:
        name = osp.splitext(osp.basename(path))[0]
        if only and not any(o in name for o in only):
            continue
        row = row_of(path, device, batch, size)
        if row is not None:
            rows.append(row)
    return rows


def build(row: Row, workdir: str, device: str = 'cpu',
          options: Optional[dict] = None):
    """The distiller of a row (local random teacher weights) on ``device``,
    a batch, and the optimizers of the distiller, the student and the
    method's own trainable parameters (same settings). ``options``:
    ``record_clone`` sets every recorder's ``clone`` option (default: the
    config's); ``recompute=True`` sets ``recompute`` on every connector
    that has the option (OFD's student connectors); ``teacher_norm_eval``
    overrides the config's (the teacher's BNs on running statistics when
    True)."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmfeatdistill.models.losses import NDLoss
    from mmfeatdistill.models.losses.nd_class_means import \
        teacher_embedding_dims
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.testing import (save_teacher_with_heads,
                                       save_trained_like_teacher)
    init_default_scope('mmfeatdistill')
    cfg = Config.fromfile(osp.join(REPO, row.config))
    ckpt = osp.join(workdir, 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    if 'teacher_heads_config' in cfg:
        ckpt = save_teacher_with_heads(
            osp.join(REPO, osp.dirname(row.config), cfg.teacher_heads_config),
            ckpt, osp.join(workdir, 'teacher_heads.pth'))
    cfg.model.teacher_ckpt = ckpt
    cfg.model.student = dict(cfg.model.student, load_pretrained=False)
    options = options or {}
    if options.get('teacher_norm_eval') is not None:
        cfg.model.teacher_norm_eval = options['teacher_norm_eval']
    if TASKS[row.task].sized_preprocessor:
        cfg.model.student['data_preprocessor'] = dict(size=(row.size,
                                                            row.size))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if options.get('record_clone') is not None:
        for manager in (model.student_recorders, model.teacher_recorders):
            for recorder in manager.recorders.values():
                recorder.set_clone(options['record_clone'])
    if options.get('recompute'):
        for connector in model.connectors.values():
            if hasattr(connector, 'recompute'):
                connector.recompute = True
    data = TASKS[row.task].make_batch(row)
    # ND: class means at hand (random, of the teacher embedding's size)
    missing = [
        name for name, loss in model.losses_of_type(NDLoss).items()
        if not loss.has_class_means
    ]
    if missing:
        model.eval()
        for name, dim in teacher_embedding_dims(model, data, missing).items():
            model.distill_losses[name].set_class_means(
                torch.randn(row.num_classes, dim))
    model.to(device)
    model.train()
    optim = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3,
                                                     momentum=0.9))
    distill_optim = build_optim_wrapper(
        model, dict(optim, constructor='DistillerOptimWrapperConstructor'))
    student_optim = build_optim_wrapper(model.student, optim)
    method_params = [
        p for part in (model.connectors, model.distill_losses)
        for p in part.parameters() if p.requires_grad
    ]
    method_optim = build_optim_wrapper(
        torch.nn.ParameterList(method_params), optim) if method_params \
        else None
    return model, data, distill_optim, student_optim, method_optim


def make_steps(model, data, distill_optim, student_optim, method_optim):
    """The steps (and what runs untimed before ``modules``)."""
    import torch
    batch = model.data_preprocessor(data, True)

    def distill_step():
        model.train_step(data, distill_optim)

    def student_step():
        model.student.train_step(data, student_optim)

    def teacher_forward():
        with torch.no_grad():
            model.teacher(batch['inputs'], batch['data_samples'],
                          mode=model.teacher_forward_mode)

    def record_and_cut():
        """Records of one forward (teacher and student, as training runs
        them), cut from the models' graphs (the other timed steps
        overwrite the records, so this runs right before each modules
        step)."""
        with torch.no_grad():
            model.record(batch['inputs'], batch['data_samples'])
        # cut the records from the models' graphs (the student's require
        # grad: the method's backward ends at them)
        model.student_recorders.detach(True)
        model.teacher_recorders.detach(False)

    def base_step():
        """The student's training step with the teacher's no-grad forward
        in it (first, as the distiller runs it), without recorders or the
        method."""
        with student_optim.optim_context(model.student):
            step_batch = model.data_preprocessor(data, True)
            inputs, samples = step_batch['inputs'], step_batch['data_samples']
            with torch.no_grad():
                model.teacher(model.teacher_inputs(inputs), samples,
                              mode=model.teacher_forward_mode)
            losses = model.student(inputs, samples, mode='loss')
            loss, _ = model.student.parse_losses(losses)
        student_optim.update_params(loss)

    def modules_step():
        losses = model.compute_distill_losses()
        total = sum(v for v in losses.values())
        if method_optim is not None:  # backward + the method's update
            method_optim.update_params(total)
        else:
            total.backward()

    def recorders_step():
        """The distiller's step without the distillation losses: teacher
        and student forward with their recorders (``model.record``), the
        student's task losses, backward and update."""
        with distill_optim.optim_context(model):
            step_batch = model.data_preprocessor(data, True)
            losses = model.record(step_batch['inputs'],
                                  step_batch['data_samples'])
            loss, _ = model.parse_losses(losses)
        distill_optim.update_params(loss)

    steps = dict(distill=distill_step, student=student_step,
                 teacher=teacher_forward, modules=modules_step, base=base_step,
                 recorders=recorders_step)
    return steps, dict(modules=record_and_cut)


def timings(row: Row, repeats: int, device: str = 'cpu', block: int = 2,
            options: Optional[dict] = None) -> dict:
    """Per-step medians (s) and the per-round median ratios of a row."""
    import torch
    with tempfile.TemporaryDirectory() as workdir:
        built = build(row, workdir, device, options)
    steps, before = make_steps(*built)
    steps = {k: steps[k] for k in ('distill', 'student', 'teacher', 'modules')}

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    for key, fn in steps.items():  # warm-up
        for _ in range(2):
            if key in before:
                before[key]()
            fn()
    # round-robin, so that drifts of the machine hit every step alike; in
    # each round every step runs `block` times in a row and the last run is
    # timed (its own steady state); the records are re-made (and cut)
    # before each modules run
    times = {key: [] for key in steps}
    for _ in range(repeats):
        for key, fn in steps.items():
            for _ in range(block):
                if key in before:
                    before[key]()
                sync()
                start = time.perf_counter()
                fn()
                sync()
            times[key].append(time.perf_counter() - start)
    result = {key: statistics.median(v) for key, v in times.items()}
    rounds = list(
        zip(*(times[k] for k in ('distill', 'student', 'teacher', 'modules'))))
    result['total_ratio'] = statistics.median(d / (s + t)
                                              for d, s, t, _ in rounds)
    result['overhead_ratio'] = statistics.median(d / (s + t + m)
                                                 for d, s, t, m in rounds)
    return result


def _proc_status(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


class LiveTensorBytes:
    """Bytes of the tensors alive (storages made by the ops run inside it),
    and their peak: what CUDA's ``memory_allocated`` counts, measured the
    same way on any device (``--memory tensors``). Tensors made before
    entering (models, batch, records) are not counted."""

    def __init__(self) -> None:
        import weakref

        import torch
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_flatten
        from torch.utils.weak import WeakIdKeyDictionary
        tracker = self
        self.current = 0
        self.peak = 0
        seen = WeakIdKeyDictionary()

        def free(nbytes: int) -> None:
            tracker.current -= nbytes

        class Mode(TorchDispatchMode):

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for t in tree_flatten(out)[0]:
                    if isinstance(t, torch.Tensor) and t.device.type != \
                            'meta':
                        storage = t.untyped_storage()
                        if storage in seen:
                            continue
                        seen[storage] = nbytes = storage.nbytes()
                        tracker.current += nbytes
                        tracker.peak = max(tracker.peak, tracker.current)
                        weakref.finalize(storage, free, nbytes)
                return out

        self._mode = Mode()

    def reset_peak(self) -> None:
        self.peak = self.current

    def __enter__(self) -> 'LiveTensorBytes':
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)


def _trim() -> None:
    """Hand the allocator's free memory back to the system (glibc), so that
    the resident set right before a step is what is in use."""
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_worker(row: dict, mode: str, repeats: int, device: str = 'cpu',
                  memory: str = 'device',
                  options: Optional[dict] = None) -> None:
    """Print (JSON, MiB) the memory after the build and the peak over
    ``repeats`` steps of ``mode`` after a warm-up step: ``'distill'``, the
    distiller's step; ``'base'``, the student's training step with the
    teacher's no-grad forward in it (first, as the distiller runs it);
    ``'modules'``, the method's modules on records cut from the graphs (as
    ``modules`` is timed): there ``increment`` is the largest rise of a
    step's peak above the memory right before it (records in place).

    ``memory='device'``: the resident set (``VmHWM`` reset through
    ``/proc/self/clear_refs``) on CPU, ``torch.cuda.max_memory_allocated``
    on CUDA; ``'tensors'``: :class:`LiveTensorBytes` (tensors made by the
    steps)."""
    import torch
    row = Row(**row)
    with tempfile.TemporaryDirectory() as workdir:
        model, data, distill_optim, student_optim, method_optim = build(
            row, workdir, device, options)
    steps, before = make_steps(model, data, distill_optim, student_optim,
                               method_optim)
    step, prepare = steps[mode], before.get(mode, lambda: None)

    tracker = LiveTensorBytes() if memory == 'tensors' else None
    if tracker is not None:

        def current() -> int:
            return tracker.current

        def reset_peak() -> None:
            tracker.reset_peak()

        def peak() -> int:
            return tracker.peak
    elif device == 'cuda':

        def current() -> int:
            torch.cuda.synchronize()
            return torch.cuda.memory_allocated()

        def reset_peak() -> None:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

        def peak() -> int:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
    else:

        def current() -> int:
            return _proc_status('VmRSS') * 1024

        def reset_peak() -> None:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # VmHWM := VmRSS

        def peak() -> int:
            return _proc_status('VmHWM') * 1024

    if tracker is not None:
        # the models and the batch count, as in CUDA's allocated memory
        storages = {
            t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
            for t in [*model.parameters(), *model.buffers(), *data['inputs']]
        }
        tracker.current = tracker.peak = sum(storages.values())
        tracker.__enter__()
    try:
        built = current()
        prepare()
        step()  # warm-up: optimizer state, cuDNN workspaces
        peaks, increments = [], []
        if mode != 'modules':
            reset_peak()
        for _ in range(repeats):
            if mode == 'modules':
                prepare()
                _trim()
                start = current()
                reset_peak()
            step()
            if mode == 'modules':
                peaks.append(peak())
                increments.append(peaks[-1] - start)
        top = max(peaks) if peaks else peak()
    finally:
        if tracker is not None:
            tracker.__exit__(None, None, None)
    result = dict(built=built / 2**20, peak=top / 2**20)
    if increments:
        result['increment'] = max(increments) / 2**20
    print(json.dumps(result))


def peak_memory(
    row: Row, repeats: int, device: str = 'cpu', memory: str = 'device',
    options: Optional[dict] = None,
    modes: Sequence[str] = ('distill', 'base', 'modules')
) -> dict:
    """:func:`memory_worker` of each mode, each in a fresh process (run
    one after another, so that each has the machine to itself)."""
    result = {}
    for mode in modes:
        code = (f'import sys; sys.path.insert(0, {REPO!r}); '
                'from benchmarks.overhead import memory_worker; '
                f'memory_worker({asdict(row)!r}, {mode!r}, {repeats}, '
                f'{device!r}, {memory!r}, {options!r})')
        proc = subprocess.run([sys.executable, '-c', code],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        result[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def memory_ratios(mem: dict) -> Tuple[float, float]:
    """``(memory ratio, plumbing memory ratio)``: distill peak / base peak,
    and distill peak / (base peak + the modules' peak increment)."""
    d, b = mem['distill']['peak'], mem['base']['peak']
    return d / b, d / (b + mem['modules']['increment'])


def machine(device: str) -> str:
    import torch
    if device == 'cuda':
        return (f'{torch.cuda.get_device_name()}, torch {torch.__version__}'
                f', CUDA {torch.version.cuda}, cuDNN '
                f'{torch.backends.cudnn.version()}')
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
            f'{platform.platform()}, torch {torch.__version__}, CPU only')


def _clone_arg(value: str):
    return {'true': True, 'false': False, 'auto': 'auto'}[value.lower()]


def results_section(args: argparse.Namespace) -> str:
    """Name of the section of ``--out`` a run writes (``cpu``,
    ``cpu-memory-clone-auto``, ``cpu-tensors-recompute``, ...): one per
    kind of run, so that a memory-only run never replaces the timed table
    of the same device."""
    kind = [args.memory] if args.memory != 'device' else \
        (['memory'] if args.memory_only else [])
    clone = [] if args.record_clone is None else \
        [f'clone-{str(args.record_clone).lower()}']
    recompute = ['recompute'] if args.connector_recompute else []
    return '-'.join([args.device, *kind, *clone, *recompute])


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--configs', nargs='+', default=list(DEFAULT_CONFIGS),
        help='distiller configs (globs, relative to the '
        'repository); default: %(default)s')
    parser.add_argument('--only', nargs='*', default=None,
                        help='rows whose config name contains one of these')
    parser.add_argument('--repeats', type=int, default=7,
                        help='rounds (medians are taken over them)')
    parser.add_argument('--block', type=int, default=2,
                        help='runs of each step per round; the last is timed')
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument(
        '--batch', type=int, default=None,
        help='batch size of every row (default: the task\'s'
        ', TASKS)')
    parser.add_argument('--size', type=int, default=None,
                        help='input size of every row (default: the task\'s)')
    parser.add_argument(
        '--sizes-of', default=None, choices=('cpu', 'cuda'),
        help='take the tasks\' batch and input sizes of this '
        'device (default: --device); e.g. --memory tensors '
        '--sizes-of cuda on CPU')
    parser.add_argument(
        '--memory', default='device', choices=('device', 'tensors'),
        help='device: resident set on CPU, allocated on '
        'CUDA; tensors: bytes of live tensors (any device)')
    parser.add_argument('--memory-only', action='store_true',
                        help='measure memory only (no timings)')
    parser.add_argument(
        '--record-clone', type=_clone_arg, default=None,
        help='every recorder\'s clone option (true, false, '
        'auto); default: the configs\'')
    parser.add_argument(
        '--connector-recompute', action='store_true',
        help='connectors that offer it recompute their '
        'activations in backward (OFD: recompute_connectors)')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'overhead.md'))
    parser.add_argument(
        '--section', default=None,
        help='table markers in --out (default: the device'
        ', -tensors with --memory tensors, -clone-MODE with '
        '--record-clone, -recompute with --connector-recompute)')
    args = parser.parse_args(argv)
    import torch
    options = dict(record_clone=args.record_clone,
                   recompute=args.connector_recompute)
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    rows = discover(args.configs, args.sizes_of or args.device, args.only,
                    args.batch, args.size)
    unit = {
        'device': 'MiB allocated' if args.device == 'cuda' else 'MiB RSS',
        'tensors': 'MiB of live tensors'
    }[args.memory]
    memory_cells = (f'peak {unit} (+ over the built models): distill / '
                    'student step with teacher fwd | modules peak increment '
                    '| memory ratio | plumbing memory ratio |')
    if args.memory_only:
        header = '| config | batch x input | ' + memory_cells
        ncols = 6
    else:
        header = ('| config | batch x input | distill (ms) | student (ms) | '
                  'teacher fwd (ms) | modules (ms) | total ratio | '
                  'overhead ratio | ' + memory_cells)
        ncols = 12
    lines = [header, '|' + '---|' * ncols]
    loads = [load_average()]
    for row in rows:
        cells = [f'`{row.config}`', f'{row.batch} x {row.size}']
        if not args.memory_only:
            t = timings(row, args.repeats, args.device, args.block, options)
            cells += [
                f'{1e3 * t["distill"]:.1f}', f'{1e3 * t["student"]:.1f}',
                f'{1e3 * t["teacher"]:.1f}', f'{1e3 * t["modules"]:.1f}',
                f'{t["total_ratio"]:.3f}', f'{t["overhead_ratio"]:.3f}'
            ]
        mem = peak_memory(row, 3 if args.memory == 'device' else 1,
                          args.device, args.memory, options)
        d, b, m = mem['distill'], mem['base'], mem['modules']
        ratio, plumbing = memory_ratios(mem)
        cells += [
            f'{d["peak"]:.0f} (+{d["peak"] - d["built"]:.0f}) / '
            f'{b["peak"]:.0f} (+{b["peak"] - b["built"]:.0f})',
            f'{m["increment"]:.0f}', f'{ratio:.3f}', f'{plumbing:.3f}'
        ]
        line = '| ' + ' | '.join(cells) + ' |'
        loads.append(load_average())
        print(line, json.dumps(mem), flush=True)
        lines.append(line)
    command = 'python benchmarks/overhead.py'
    if args.device == 'cuda':
        command += ' --device cuda'
    if not args.memory_only:
        command += f' --repeats {args.repeats}'
    if args.block != 2:
        command += f' --block {args.block}'
    if args.sizes_of and args.sizes_of != args.device:
        command += f' --sizes-of {args.sizes_of}'
    for flag in ('batch', 'size'):
        if getattr(args, flag) is not None:
            command += f' --{flag} {getattr(args, flag)}'
    if args.memory != 'device':
        command += f' --memory {args.memory}'
    if args.memory_only:
        command += ' --memory-only'
    if args.record_clone is not None:
        command += f' --record-clone {str(args.record_clone).lower()}'
    if args.connector_recompute:
        command += ' --connector-recompute'
    if list(args.configs) != list(DEFAULT_CONFIGS):
        command += ' --configs ' + ' '.join(args.configs)
    if args.only:
        command += ' --only ' + ' '.join(args.only)
    threads = '' if args.device == 'cuda' else \
        f' (OMP_NUM_THREADS={torch.get_num_threads()})'
    text = '\n'.join([
        f'Command: `{command}`{threads}. Machine: {machine(args.device)}. '
        f'Load average (1 / 5 / 15 min) before the first row and after each:'
        f' {"; ".join(loads)}.', '', *lines
    ])
    section = args.section or results_section(args)
    write_section(args.out, f'{section} table', text, 'benchmarks/overhead.py',
                  heading='# Overhead of distillation per training step\n')
    print(f'written {args.out}')
    return text


if __name__ == '__main__':
    main()
