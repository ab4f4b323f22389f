"""Per-rank memory of a wide teacher sharded with ``DistillerFSDPStrategy``,
for 1 and 2 CPU processes (gloo).

The distiller is the Fashion-MNIST KD pair (``configs/kd/
kd_resnet18-w32_resnet18-w8_fmnist.py``) with the teacher widened
(``--teacher-width``: ResNet_CIFAR-18 stem and base width; 32 in the
config, 128 by default here, about 44.7 M parameters) and loaded from a
checkpoint of random weights. Each process count runs under
``torch.distributed.run`` (``--nproc_per_node N``); every rank:

* builds the distiller through the strategy (``strategy.prepare``: build,
  load the teacher, wrap: teacher sharded, ``shard_teacher=True``),
* trains ``--steps`` distillation steps on a fixed synthetic batch of
  ``--batch`` 28x28 images (its own batch: the global batch grows with N).

Two wrappings (``--wraps``): ``one unit`` (the default of
``DistillerFSDPStrategy``: the teacher is one FSDP unit, gathered whole for
its forward) and ``per block`` (``model_wrapper=dict(auto_wrap_policy=
dict(type='mmfeatdistill.size_based_auto_wrap_policy',
min_num_params=...))``: every submodule of at least ``--block-params``
parameters is a unit of its own, gathered only while it runs).

Parameters: the elements of the teacher's and the student's parameters the
rank holds after wrapping (outside a forward FSDP keeps its shard only).
Memory: the resident set of the process (``VmRSS``) and its peak
(``VmHWM``, reset through ``/proc/self/clear_refs`` before each phase), in
MiB above the resident set after the imports, the process group and a
build of the student that imports the code the distiller's build needs
(``base``). The workers run with ``MALLOC_MMAP_THRESHOLD_=65536``: glibc
then serves every allocation of 64 KiB or more (every tensor that matters
here) with its own ``mmap`` and hands it back when freed, instead of
raising the threshold after the first large free and keeping later frees
in its heap, so the resident set follows the live tensors.
``build peak`` includes the full teacher: every rank builds it and reads
its checkpoint before wrapping (a meta-device build loaded from rank 0
would avoid that; not done). ``held`` is the resident set after wrapping,
``step peak`` the peak over the training steps.

    python benchmarks/fsdp_teacher_memory.py            # 1 and 2 processes
    python benchmarks/fsdp_teacher_memory.py --nprocs 2 --teacher-width 64

writes the table to ``benchmarks/results/fsdp_teacher_memory.md``.
"""
import argparse
import gc
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from benchmarks._common import load_average, write_section  # noqa: E402
from benchmarks._overhead.memory import _proc_status  # noqa: E402
from benchmarks.overhead import machine  # noqa: E402

CONFIG = osp.join(REPO, 'configs', 'kd',
                  'kd_resnet18-w32_resnet18-w8_fmnist.py')
RESULTS = osp.join(REPO, 'benchmarks', 'results', 'fsdp_teacher_memory.md')
MIB = 1024 * 1024
#: ``--wraps``: name -> whether submodules get FSDP units of their own
WRAPS = {'one unit': False, 'per block': True}


def model_cfg(width: int, teacher_ckpt: str) -> dict:
    """The KD distiller's config with a teacher of stem and base width
    ``width`` loaded from ``teacher_ckpt``."""
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    model = cfg.model
    model.teacher.backbone.stem_channels = width
    model.teacher.backbone.base_channels = width
    model.teacher.head.in_channels = 8 * width
    model.teacher_ckpt = teacher_ckpt
    return dict(model=model, optim_wrapper=cfg.optim_wrapper)


def _reset_peak() -> None:
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # VmHWM := VmRSS


def worker(args: argparse.Namespace) -> None:
    """One rank under ``torch.distributed.run``: build, wrap, train; write
    its numbers to ``args.out/rank<R>.json``."""
    import torch
    torch.set_num_threads(1)
    from mmengine.dist import get_rank, get_world_size
    from mmengine.registry import DefaultScope

    import mmfeatdistill.engine  # noqa: F401 (registers the strategy)
    from mmfeatdistill.engine.strategies import DistillerFSDPStrategy
    from mmfeatdistill.testing import cls_batch
    DefaultScope.get_instance('fsdp_teacher_memory',
                              scope_name='mmfeatdistill')
    with tempfile.TemporaryDirectory() as work_dir:
        wrapper = None
        if args.per_block:
            wrapper = dict(auto_wrap_policy=dict(
                type='mmfeatdistill.size_based_auto_wrap_policy',
                min_num_params=args.block_params))
        strategy = DistillerFSDPStrategy(
            work_dir=work_dir, shard_teacher=True, model_wrapper=wrapper,
            env_kwargs=dict(launcher='pytorch', randomness=dict(seed=0)))
        cfgs = model_cfg(args.teacher_width, args.teacher_ckpt)
        # the code the build imports (mmpretrain's models, our components)
        # belongs to the base, not to the teacher
        student_params(cfgs['model'])
        gc.collect()
        base = _proc_status('VmRSS') * 1024
        _reset_peak()
        model, optim_wrapper = strategy.prepare(
            cfgs['model'], optim_wrapper=cfgs['optim_wrapper'])
        build_peak = _proc_status('VmHWM') * 1024
        held = _proc_status('VmRSS') * 1024
        distiller = model.module
        params = {
            part: sum(p.numel() for p in getattr(distiller, part).parameters())
            for part in ('teacher', 'student')
        }
        data = cls_batch(args.batch, shape=(1, 28, 28), seed=get_rank())
        model.train()
        _reset_peak()
        start = time.perf_counter()
        for _ in range(args.steps):
            model.train_step(data, optim_wrapper)
        seconds = (time.perf_counter() - start) / args.steps
        step_peak = _proc_status('VmHWM') * 1024
    record = dict(rank=get_rank(), world_size=get_world_size(), params=params,
                  base=base, build_peak=build_peak - base, held=held - base,
                  step_peak=step_peak - base, step_seconds=seconds)
    with open(osp.join(args.out, f'rank{get_rank()}.json'), 'w') as f:
        json.dump(record, f)


def student_params(model: dict) -> int:
    """Build the distiller's student (``model``: its config) and return
    its number of parameter elements."""
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.utils import resolve_model_cfg
    student = MODELS.build(
        resolve_model_cfg(dict(model['student'], load_pretrained=False),
                          'student'))
    return sum(p.numel() for p in student.parameters())


def full_counts(width: int, ckpt: str) -> Dict[str, int]:
    """Save the wide teacher's random weights to ``ckpt``; return the
    teacher's and the student's numbers of parameter elements."""
    from mmfeatdistill.testing import save_model_checkpoint
    model = model_cfg(width, ckpt)['model']
    teacher = save_model_checkpoint(model.teacher, ckpt)
    return dict(teacher=sum(p.numel() for p in teacher.parameters()),
                student=student_params(model))


def launch(nprocs: int, per_block: bool, args: argparse.Namespace, ckpt: str,
           out: str) -> List[dict]:
    """Run the workers of ``nprocs`` processes (submodules in FSDP units of
    their own with ``per_block``); their records by rank."""
    os.makedirs(out)
    command = [
        sys.executable, '-m', 'torch.distributed.run',
        f'--nproc_per_node={nprocs}', '--master_addr=127.0.0.1',
        f'--master_port={args.port + nprocs}',
        osp.abspath(__file__), '--worker', '--teacher-ckpt', ckpt,
        f'--teacher-width={args.teacher_width}', f'--batch={args.batch}',
        f'--steps={args.steps}', f'--block-params={args.block_params}',
        '--out', out
    ] + (['--per-block'] if per_block else [])
    env = dict(os.environ, OMP_NUM_THREADS='1', GLOO_SOCKET_IFNAME='lo',
               PYTHONPATH=REPO, MALLOC_MMAP_THRESHOLD_='65536')
    subprocess.run(command, check=True, env=env, cwd=out)
    records = []
    for rank in range(nprocs):
        with open(osp.join(out, f'rank{rank}.json')) as f:
            records.append(json.load(f))
    return records


def table(records: Dict[Tuple[str, int], List[dict]], full: Dict[str, int],
          width: int) -> str:
    """The markdown table of the runs."""
    teacher_mib = full['teacher'] * 4 / MIB
    lines = [
        f'Teacher: ResNet_CIFAR-18, width {width}: '
        f'{full["teacher"] / 1e6:.2f} M parameters ({teacher_mib:.0f} MiB '
        f'float32); student: {full["student"] / 1e6:.3f} M. Memory in MiB; '
        f'`base`: the resident set after the imports, the process group and '
        f'a build of the student (the code the build imports); '
        f'the others above `base`.', '',
        '| FSDP units | processes | rank | teacher params held '
        '| student params held | base | build peak | held | step peak '
        '| s/step |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for (wrap, nprocs), runs in records.items():
        for r in runs:
            held = r['params']
            lines.append(
                f'| {wrap} | {nprocs} | {r["rank"]} '
                f'| {held["teacher"] / 1e6:.2f} M '
                f'({100 * held["teacher"] / full["teacher"]:.1f} %) '
                f'| {held["student"] / 1e3:.1f} k '
                f'({100 * held["student"] / full["student"]:.1f} %) '
                f'| {r["base"] / MIB:.0f} | {r["build_peak"] / MIB:.0f} '
                f'| {r["held"] / MIB:.0f} | {r["step_peak"] / MIB:.0f} '
                f'| {r["step_seconds"]:.2f} |')
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nprocs', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--teacher-width', type=int, default=128)
    parser.add_argument('--batch', type=int, default=4,
                        help='images per process and step')
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--wraps', nargs='+', choices=list(WRAPS),
                        default=list(WRAPS))
    parser.add_argument('--block-params', type=int, default=1_000_000,
                        help='per block: the smallest unit (parameters)')
    parser.add_argument('--port', type=int, default=29630)
    parser.add_argument('--results', default=RESULTS)
    # the workers'
    parser.add_argument('--worker', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--teacher-ckpt', help=argparse.SUPPRESS)
    parser.add_argument('--per-block', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return ''
    started = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'teacher.pth')
        full = full_counts(args.teacher_width, ckpt)
        records = {
            (wrap, n):
            launch(n, WRAPS[wrap], args, ckpt, osp.join(tmp, f'{i}_{n}'))
            for i, wrap in enumerate(args.wraps)
            for n in args.nprocs
        }
    command = 'python benchmarks/fsdp_teacher_memory.py ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    text = '\n'.join([
        f'Run {started} on {machine("cpu")}; load average before the run '
        f'{load} (other work shared the cores). Command: `{command.strip()}`'
        f'.', '',
        table(records, full, args.teacher_width)
    ])
    write_section(
        args.results, 'fsdp_teacher_memory', text,
        'benchmarks/fsdp_teacher_memory.py',
        heading='# A sharded teacher: per-rank parameters and memory\n\n'
        'See the docstring of `benchmarks/fsdp_teacher_memory.py` for what '
        'each column measures.\n')
    print(text)
    return text


if __name__ == '__main__':
    main()
