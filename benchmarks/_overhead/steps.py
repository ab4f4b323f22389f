"""What ``benchmarks/overhead.py`` runs and times for a row: the distiller
built with a random teacher, its steps (the distillation step, the
student's, the teacher's forward, the method's modules on cut records, ...)
and their round-robin timings."""
import os.path as osp
import statistics
import tempfile
import time
from typing import Optional

from .rows import REPO, TASKS, Row


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
