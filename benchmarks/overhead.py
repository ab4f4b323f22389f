"""What distillation costs per training step, and what our plumbing adds.

For each method's classification config (CIFAR-100 pairs, 32x32) and OFD's
SSD and DeepLabV3+ configs, on one fixed batch in one process, the median
over rounds of:

* ``distill``: the distiller's full training step (student + teacher
  forward, recorders, connectors, losses, backward, optimizer step);
* ``student``: the student's own training step (same optimizer settings);
* ``teacher``: the teacher's no-grad forward;
* ``modules``: the method's own modules (connectors, heads, projectors,
  losses) forward + backward on recorded features cut from the models'
  graphs (so the backward ends at the student's features: the gradient the
  method sends into them is its cost, the student's backward is not), plus
  the optimizer update of the method's trainable parameters.

``total ratio = distill / (student + teacher)`` is what a user pays;
``overhead ratio = distill / (student + teacher + modules)`` is what the
recorders, mapping and copies cost beyond the unavoidable. Both ratios are
the medians of the per-round ratios (a round times every step once, within
seconds, so a drift of a shared machine cancels out of them). Each step is
run ``--block`` times in a row per round and only the last run is timed:
every step is then timed in its own steady state (the CPU allocator's
page faults depend on the step that ran just before, see the results).

``memory ratio``: peak memory of a fresh process doing distillation steps
over that of one doing the student's training step with the teacher's
no-grad forward in the same step (``base``: the teacher's forward first,
then the student's, as the distiller runs them), same models built in both; the
peak is taken over the steps after a warm-up step: on CPU the peak resident
set (``VmHWM``, reset through ``/proc/self/clear_refs``), on CUDA
``torch.cuda.max_memory_allocated``. The table also gives each peak's
increase over the memory right after the build (the models).

    python benchmarks/overhead.py [--repeats 9] [--only tofd_cifar100 ...]
    python benchmarks/overhead.py --device cuda [--repeats 20]

Writes its table into ``benchmarks/results/overhead.md`` (the CPU and the
CUDA table each between their own markers; the notes around them stay).
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

#: name -> (config, kind, batch, input size) on CPU
ROWS = {
    'ofd_cifar100': ('configs/ofd/ofd_resnet50_resnet18_cifar100.py', 'cls',
                     32, 32),
    'tofd_cifar100': ('configs/tofd/tofd_resnet50_resnet18_cifar100.py',
                      'cls', 32, 32),
    'pefd_cifar100': ('configs/pefd/pefd_resnet50_resnet18_cifar100.py',
                      'cls', 32, 32),
    'nd_cifar100': ('configs/nd/nd-kdpp_resnet50_resnet18_cifar100.py',
                    'cls', 32, 32),
    'ofd_ssd_voc': ('configs/ofd/ofd_ssd300_ssd300-r18_voc0712.py', 'det', 2,
                    300),
    'ofd_deeplabv3plus_voc': (
        'configs/ofd/ofd_deeplabv3plus-r101_r18_voc12aug.py', 'seg', 2, 128),
}
#: name -> (batch, input size) on CUDA: the configs' own input sizes
GPU_SIZES = {
    'ofd_cifar100': (128, 32),
    'tofd_cifar100': (128, 32),
    'pefd_cifar100': (128, 32),
    'nd_cifar100': (128, 32),
    'ofd_ssd_voc': (8, 300),
    'ofd_deeplabv3plus_voc': (4, 512),
}


def sizes(name: str, device: str):
    """(batch, input size) of a row on ``device``."""
    return GPU_SIZES[name] if device == 'cuda' else ROWS[name][2:]


def build(name: str, workdir: str, device: str = 'cpu'):
    """The distiller of a row (local random teacher weights) on ``device``,
    a batch, and the optimizers of the distiller, the student and the
    method's own trainable parameters (same settings)."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmfeatdistill.registry import MODELS
    from tests.helpers import (cls_batch, det_batch, save_teacher_with_heads,
                               save_trained_like_teacher, seg_batch)
    config, kind = ROWS[name][:2]
    batch, size = sizes(name, device)
    init_default_scope('mmfeatdistill')
    cfg = Config.fromfile(osp.join(REPO, config))
    ckpt = osp.join(workdir, 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    if 'teacher_heads_config' in cfg:
        ckpt = save_teacher_with_heads(
            osp.join(REPO, osp.dirname(config), cfg.teacher_heads_config),
            ckpt, osp.join(workdir, 'teacher_heads.pth'))
    cfg.model.teacher_ckpt = ckpt
    cfg.model.student = dict(cfg.model.student, load_pretrained=False)
    if kind == 'seg':
        cfg.model.student['data_preprocessor'] = dict(size=(size, size))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    for loss in model.distill_losses.values():  # ND: class means at hand
        if hasattr(loss, 'set_class_means') and loss.class_means.numel() == 0:
            loss.set_class_means(torch.randn(100, 2048))
    model.to(device)
    model.train()
    optim = dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=1e-3, momentum=0.9))
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
    if kind == 'cls':
        data = cls_batch(batch, (3, size, size), num_classes=100)
    elif kind == 'det':
        data = det_batch(batch, size, num_classes=20)
    else:
        data = seg_batch(batch, (size, size), num_classes=21)
    return model, data, distill_optim, student_optim, method_optim


def _detach_tree(value, requires_grad):
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(
            requires_grad and value.is_floating_point())
    if isinstance(value, (list, tuple)):
        return type(value)(_detach_tree(v, requires_grad) for v in value)
    return value


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
        """Recorded features of one forward, cut from the models' graphs
        (the other timed steps overwrite the records, so this runs right
        before the modules are timed)."""
        model.loss(batch['inputs'], batch['data_samples'])
        for manager, grad in ((model.student_recorders, True),
                              (model.teacher_recorders, False)):
            for recorder in manager.recorders.values():
                recorder._value = _detach_tree(recorder._value, grad)

    def base_step():
        """The student's training step with the teacher's no-grad forward
        in it (first, as the distiller runs it), without recorders or the
        method."""
        with student_optim.optim_context(model.student):
            step_batch = model.data_preprocessor(data, True)
            inputs, samples = step_batch['inputs'], step_batch['data_samples']
            with torch.no_grad():
                model.teacher(inputs, samples,
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

    steps = dict(distill=distill_step, student=student_step,
                 teacher=teacher_forward, modules=modules_step,
                 base=base_step)
    return steps, dict(modules=record_and_cut)


def timings(name: str, repeats: int, device: str = 'cpu',
            block: int = 2) -> dict:
    """Per-step medians (s) and the per-round median ratios of a row."""
    import torch
    with tempfile.TemporaryDirectory() as workdir:
        built = build(name, workdir, device)
    steps, before = make_steps(*built)
    steps = {k: steps[k] for k in ('distill', 'student', 'teacher',
                                   'modules')}

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
    rounds = list(zip(*(times[k] for k in
                        ('distill', 'student', 'teacher', 'modules'))))
    result['total_ratio'] = statistics.median(
        d / (s + t) for d, s, t, _ in rounds)
    result['overhead_ratio'] = statistics.median(
        d / (s + t + m) for d, s, t, m in rounds)
    return result


def _proc_status(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def memory_worker(name: str, mode: str, repeats: int,
                  device: str = 'cpu') -> None:
    """Print (JSON, MiB) the memory after the build, and the peak over
    ``repeats`` steps of ``mode`` after a warm-up step: ``'distill'``, the
    distiller's step, or ``'base'``, the student's training step with the
    teacher's no-grad forward in it (first, as the distiller runs it)."""
    import torch
    with tempfile.TemporaryDirectory() as workdir:
        model, data, distill_optim, student_optim, _ = build(
            name, workdir, device)

    step = make_steps(model, data, distill_optim, student_optim,
                      None)[0]['distill' if mode == 'distill' else 'base']

    if device == 'cuda':
        torch.cuda.synchronize()
        built = torch.cuda.memory_allocated()
        step()  # warm-up: optimizer state, cuDNN workspaces
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        for _ in range(repeats):
            step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        built = _proc_status('VmRSS') * 1024
        step()  # warm-up: optimizer state
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # VmHWM := VmRSS
        for _ in range(repeats):
            step()
        peak = _proc_status('VmHWM') * 1024
    print(json.dumps(dict(built=built / 2**20, peak=peak / 2**20)))


def peak_memory(name: str, repeats: int, device: str = 'cpu') -> dict:
    """:func:`memory_worker` of each mode, each in a fresh process (the two
    run side by side: their peaks are their own)."""
    procs = {}
    for mode in ('distill', 'base'):
        code = (f'import sys; sys.path.insert(0, {REPO!r}); '
                'from benchmarks.overhead import memory_worker; '
                f'memory_worker({name!r}, {mode!r}, {repeats}, {device!r})')
        procs[mode] = subprocess.Popen(
            [sys.executable, '-c', code], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=REPO)
    result = {}
    for mode, proc in procs.items():
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(stderr[-3000:])
        result[mode] = json.loads(stdout.strip().splitlines()[-1])
    return result


def machine(device: str) -> str:
    import torch
    if device == 'cuda':
        return (f'{torch.cuda.get_device_name()}, torch {torch.__version__}'
                f', CUDA {torch.version.cuda}, cuDNN '
                f'{torch.backends.cudnn.version()}')
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
            f'{platform.platform()}, torch {torch.__version__}, CPU only')


def write_section(path: str, device: str, text: str) -> None:
    """Put ``text`` between the ``device`` table's markers in ``path``
    (appended if absent), keeping the rest of the file (the notes)."""
    begin = f'<!-- {device} table: written by benchmarks/overhead.py -->'
    end = f'<!-- end of {device} table -->'
    content = '# Overhead of distillation per training step\n'
    if osp.exists(path):
        with open(path) as f:
            content = f.read()
    block = f'{begin}\n{text}\n{end}'
    if begin in content and end in content:
        head, rest = content.split(begin, 1)
        content = head + block + rest.split(end, 1)[1]
    else:
        content = content.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(content)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=7,
                        help='rounds (medians are taken over them)')
    parser.add_argument('--block', type=int, default=2,
                        help='runs of each step per round; the last is timed')
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument('--only', nargs='*', default=None)
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks',
                                                  'results', 'overhead.md'))
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    unit = 'MiB allocated' if args.device == 'cuda' else 'MiB RSS'
    header = ('| config | batch x input | distill (ms) | student (ms) | '
              'teacher fwd (ms) | modules (ms) | total ratio | '
              f'overhead ratio | peak {unit} (+ over the built models): '
              'distill / student step with teacher fwd | memory ratio |')
    lines = [header, '|' + '---|' * 10]
    for name, (config, kind, _, _) in ROWS.items():
        if args.only and name not in args.only:
            continue
        batch, size = sizes(name, args.device)
        t = timings(name, args.repeats, args.device, args.block)
        mem = peak_memory(name, 3, args.device)
        d, b = mem['distill'], mem['base']
        line = (f'| `{config}` | {batch} x {size} | '
                f'{1e3 * t["distill"]:.1f} | {1e3 * t["student"]:.1f} | '
                f'{1e3 * t["teacher"]:.1f} | {1e3 * t["modules"]:.1f} | '
                f'{t["total_ratio"]:.3f} | {t["overhead_ratio"]:.3f} | '
                f'{d["peak"]:.0f} (+{d["peak"] - d["built"]:.0f}) / '
                f'{b["peak"]:.0f} (+{b["peak"] - b["built"]:.0f}) | '
                f'{d["peak"] / b["peak"]:.3f} |')
        print(line, json.dumps(mem), flush=True)
        lines.append(line)
    command = 'python benchmarks/overhead.py'
    if args.device == 'cuda':
        command += ' --device cuda'
    command += f' --repeats {args.repeats}'
    if args.block != 2:
        command += f' --block {args.block}'
    if args.only:
        command += ' --only ' + ' '.join(args.only)
    threads = '' if args.device == 'cuda' else \
        f' (OMP_NUM_THREADS={torch.get_num_threads()})'
    text = '\n'.join([
        f'Command: `{command}`{threads}. Machine: {machine(args.device)}.',
        '',
        *lines])
    write_section(args.out, args.device, text)
    print(f'written {args.out}')
    return text


if __name__ == '__main__':
    main()
