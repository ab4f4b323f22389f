"""What distillation costs per training step, and what our plumbing adds.

For each method's classification config (CIFAR-100 pairs, 32x32) and OFD's
SSD and DeepLabV3+ configs (small inputs on CPU), on one fixed batch in one
process, the median over repeats of:

* ``distill``: the distiller's full training step (student + teacher
  forward, recorders, connectors, losses, backward, optimizer step);
* ``student``: the student's own training step (same optimizer settings);
* ``teacher``: the teacher's no-grad forward;
* ``modules``: the method's own modules (connectors, heads, projectors,
  losses) forward + backward on recorded features.

``total ratio = distill / (student + teacher)`` is what a user pays;
``overhead ratio = distill / (student + teacher + modules)`` is what the
recorders, mapping and copies cost beyond the unavoidable. The memory
ratio compares the peak RSS of a process doing distillation steps with one
doing student steps plus teacher forwards (same models built in both).

    python benchmarks/overhead.py [--repeats 7] [--only ofd_cifar100 ...]

Writes ``benchmarks/results/overhead.md``.
"""
import argparse
import os
import os.path as osp
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

#: name -> (config, kind, batch, input size)
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


def build(name: str, workdir: str):
    """The distiller of a row (local random teacher weights) and a batch."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmfeatdistill.registry import MODELS
    from tests.helpers import (cls_batch, det_batch, save_teacher_with_heads,
                               save_trained_like_teacher, seg_batch)
    config, kind, batch, size = ROWS[name]
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
    model.train()
    optim = dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=1e-3, momentum=0.9))
    distill_optim = build_optim_wrapper(
        model, dict(optim, constructor='DistillerOptimWrapperConstructor'))
    student_optim = build_optim_wrapper(model.student, optim)
    if kind == 'cls':
        data = cls_batch(batch, (3, size, size), num_classes=100)
    elif kind == 'det':
        data = det_batch(batch, size, num_classes=20)
    else:
        data = seg_batch(batch, (size, size), num_classes=21)
    return model, data, distill_optim, student_optim


def _detach_tree(value, requires_grad):
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(
            requires_grad and value.is_floating_point())
    if isinstance(value, (list, tuple)):
        return type(value)(_detach_tree(v, requires_grad) for v in value)
    return value


def timings(name: str, repeats: int) -> dict:
    import torch
    with tempfile.TemporaryDirectory() as workdir:
        model, data, distill_optim, student_optim = build(name, workdir)
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

    def modules_step():
        losses = model.compute_distill_losses()
        total = sum(v for v in losses.values())
        total.backward()
        distill_optim.zero_grad()

    steps = dict(distill=distill_step, student=student_step,
                 teacher=teacher_forward, modules=modules_step)
    for fn in steps.values():  # warm-up
        if fn is modules_step:
            record_and_cut()
        fn()
    # round-robin, so that drifts of the machine hit every step alike; the
    # records are re-made (and cut) before each modules measurement
    times = {key: [] for key in steps}
    for _ in range(repeats):
        for key, fn in steps.items():
            if key == 'modules':
                record_and_cut()
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    result = {key: statistics.median(v) for key, v in times.items()}
    return result


def rss_worker(name: str, mode: str, repeats: int) -> None:
    """Run ``repeats`` steps of ``mode`` and print the peak RSS (KiB)."""
    import torch
    with tempfile.TemporaryDirectory() as workdir:
        model, data, distill_optim, student_optim = build(name, workdir)
    batch = model.data_preprocessor(data, True)
    for _ in range(repeats):
        if mode == 'distill':
            model.train_step(data, distill_optim)
        else:
            model.student.train_step(data, student_optim)
            with torch.no_grad():
                model.teacher(batch['inputs'], batch['data_samples'],
                              mode=model.teacher_forward_mode)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss(name: str, mode: str, repeats: int) -> float:
    """Peak RSS (MiB) of a fresh process doing ``mode`` steps."""
    code = (f'import sys; sys.path.insert(0, {REPO!r}); '
            'from benchmarks.overhead import rss_worker; '
            f'rss_worker({name!r}, {mode!r}, {repeats})')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--only', nargs='*', default=None)
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks',
                                                  'results', 'overhead.md'))
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    header = ('| config | batch x input | distill (ms) | student (ms) | '
              'teacher fwd (ms) | modules (ms) | total ratio | '
              'overhead ratio | memory ratio |')
    lines = [header, '|' + '---|' * 9]
    for name, (config, kind, batch, size) in ROWS.items():
        if args.only and name not in args.only:
            continue
        t = timings(name, args.repeats)
        mem = peak_rss(name, 'distill', 3) / peak_rss(name, 'student', 3)
        total = t['distill'] / (t['student'] + t['teacher'])
        overhead = t['distill'] / (t['student'] + t['teacher'] +
                                   t['modules'])
        line = (f'| `{config}` | {batch} x {size} | '
                f'{1e3 * t["distill"]:.1f} | {1e3 * t["student"]:.1f} | '
                f'{1e3 * t["teacher"]:.1f} | {1e3 * t["modules"]:.1f} | '
                f'{total:.3f} | {overhead:.3f} | {mem:.3f} |')
        print(line, flush=True)
        lines.append(line)
    text = '\n'.join([
        '# Overhead of distillation per training step',
        '',
        f'Command: `python benchmarks/overhead.py --repeats {args.repeats}`'
        f' (OMP_NUM_THREADS={torch.get_num_threads()}). Machine: '
        f'{platform.machine()}, {os.cpu_count()} CPU cores, '
        f'{platform.platform()}, torch {torch.__version__}, CPU only. '
        'Medians over repeats (the four steps measured round-robin) on one fixed synthetic batch, random teacher '
        'weights (the cost does not depend on them).',
        '',
        *lines, '',
        '`total ratio` = distill / (student + teacher forward): the price a '
        'user pays. `overhead ratio` = distill / (student + teacher forward + '
        'method modules): what recorders, mapping and copies add. `memory '
        'ratio`: peak RSS of distillation steps / peak RSS of student steps '
        'plus teacher forwards (fresh process each, same models built).', ''])
    with open(args.out, 'w') as f:
        f.write(text)
    print(f'written {args.out}')
    return text


if __name__ == '__main__':
    main()
