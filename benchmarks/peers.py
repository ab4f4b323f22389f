"""Our distiller side by side with MMRazor 1.0.0 and torchdistill 1.1.5.

The same teacher/student pair, batch and input, timed in each framework in
its own environment (``benchmarks/peer_envs/*.sh`` build the peers'; ours is
the project's ``.venv``), with the scheme of ``benchmarks/overhead.py``
(round-robin rounds, each step's last of ``--block`` runs in a row timed,
medians of per-round ratios):

* ``distill``: the framework's own distillation training step (forward of
  teacher and student with its recording, its losses, backward, optimizer
  step), driven through its public entry point (our and MMRazor's
  ``model.train_step``, torchdistill's ``DistillationBox.forward_process``
  + ``post_forward_process``);
* ``student``: the student's own training step; ``teacher``: the teacher's
  no-grad forward (each in that framework's models);
* ``modules``: where the framework lets its method's modules run alone
  (ours: ``model.record`` + the recorders' ``detach``; MMRazor: its recorders'
  ``data_buffer`` replaced by detached copies, then
  ``distiller.compute_distill_losses``; torchdistill: its criterion, after
  ``secondary_forward`` of the auxiliary wrapper, on a detached I/O dict),
  their forward + backward + the update of their parameters.

``total ratio = distill / (student + teacher)`` in each framework's own
models; ``overhead ratio = distill / (student + teacher + modules)``. Peak
memory: the resident set's peak (``VmHWM``, reset after a warm-up step) of
a fresh process doing distillation steps, and of one doing the student's
step with the teacher's no-grad forward in it; ``memory ratio`` = their
quotient.

Pairs (:data:`PAIRS`): KD ResNet-34 -> ResNet-18 (ImageNet shapes, MMRazor's
KD config's pair and settings) in all three; FitNet (stage-3 hint, 1x1
conv + BN regressor, MSE) ResNet-34 -> ResNet-18 in ours and torchdistill;
OFD ResNet_CIFAR-50 -> ResNet_CIFAR-18 (CIFAR-100) in ours and MMRazor.
Random weights (the cost does not depend on them; teacher BN weights drawn
non-zero as for a trained teacher, which OFD's margins need).

    bash benchmarks/peer_envs/mmrazor.sh        # once, outside .venv
    bash benchmarks/peer_envs/torchdistill.sh   # once, outside .venv
    python benchmarks/peers.py [--repeats 7] [--pairs kd fitnet ofd]
    python benchmarks/peers.py --pairs ofd --teacher-bn running
    python benchmarks/peers.py --profile --pairs ofd [--teacher-bn running]

Writes ``benchmarks/results/peers.md`` (the table between its markers).
A worker (one framework, one pair, one job) runs in the framework's
environment: ``ENV/bin/python benchmarks/peers.py --worker FRAMEWORK PAIR
JOB`` prints one JSON line.
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
PEER_ENVS = os.environ.get('PEER_ENVS', '/work/peer_envs')
#: framework -> its Python (the peers' from benchmarks/peer_envs/*.sh)
PYTHONS = {
    'ours': osp.join(REPO, '.venv', 'bin', 'python'),
    'mmrazor': osp.join(PEER_ENVS, 'mmrazor', 'bin', 'python'),
    'torchdistill': osp.join(PEER_ENVS, 'torchdistill', 'bin', 'python'),
}
IMAGENET_NORM = dict(mean=[123.675, 116.28, 103.53],
                     std=[58.395, 57.12, 57.375])
CIFAR100_NORM = dict(mean=[129.304, 124.070, 112.434],
                     std=[68.170, 65.392, 70.418])
#: pair -> what is compared (CPU batch and input size)
PAIRS = {
    'kd':
    dict(title='KD, ResNet-34 -> ResNet-18 (1000 classes)', batch=8, size=224,
         num_classes=1000, frameworks=('ours', 'mmrazor', 'torchdistill'),
         ours='configs/kd/kd_resnet34_resnet18_in1k.py'),
    'fitnet':
    dict(
        title='FitNet hint at stage 3 (1x1 conv + BN, MSE), ResNet-34 -> '
        'ResNet-18 (1000 classes)', batch=8, size=224, num_classes=1000,
        frameworks=('ours', 'torchdistill'),
        ours='configs/fitnet/fitnet_resnet34_resnet18_in1k.py'),
    'ofd':
    dict(
        title='OFD at 4 stage ends, ResNet_CIFAR-50 -> ResNet_CIFAR-18 '
        '(CIFAR-100)', batch=32, size=32, num_classes=100,
        frameworks=('ours', 'mmrazor'),
        ours='configs/ofd/ofd_resnet50_resnet18_cifar100.py'),
}
STEPS = ('distill', 'student', 'teacher', 'modules')
#: ``--teacher-bn``: how the teacher's BN layers normalise in every step
#: (the distillation step and the teacher's forward alike): ``own``, each
#: framework's default for the pair (ours: the config's
#: ``teacher_norm_eval``; MMRazor: running statistics,
#: ``teacher_norm_eval=True``; torchdistill: the teacher in eval mode);
#: ``running`` or ``batch`` (batch statistics), the same in every framework
TEACHER_BN = ('own', 'running', 'batch')


# ---------------------------------------------------------------------------
# measuring (runs in every environment: stdlib and torch only)
def detach_tree(value, requires_grad=False):
    """Detached copies of the tensors in ``value`` (floating-point ones
    require grad when ``requires_grad``)."""
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(
            requires_grad and value.is_floating_point())
    if isinstance(value, (list, tuple)):
        return type(value)(detach_tree(v, requires_grad) for v in value)
    if isinstance(value, dict):
        return type(value)(
            (k, detach_tree(v, requires_grad)) for k, v in value.items())
    return value


def randomize_bn(model, seed=0):
    """BN weights drawn non-zero (as a trained model's): OFD's margins are
    undefined for the zero-initialised last BNs of a fresh ResNet. The same
    draw as :func:`mmfeatdistill.testing.randomize_bn`, written again
    because the peers' environments (MMRazor's, torchdistill's) cannot
    import mmfeatdistill (torch only here)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and \
                    m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.5)


def time_steps(steps, before, repeats, block=2):
    """overhead.py's scheme: per-step medians and per-round ratios."""
    keys = [k for k in STEPS if k in steps]
    for key in keys:  # warm-up
        for _ in range(2):
            before.get(key, lambda: None)()
            steps[key]()
    times = {k: [] for k in keys}
    for _ in range(repeats):
        for key in keys:
            for _ in range(block):
                before.get(key, lambda: None)()
                start = time.perf_counter()
                steps[key]()
            times[key].append(time.perf_counter() - start)
    result = {k: statistics.median(v) for k, v in times.items()}
    rounds = list(zip(*(times[k] for k in keys)))
    result['total_ratio'] = statistics.median(r[0] / (r[1] + r[2])
                                              for r in rounds)
    if 'modules' in times:
        result['overhead_ratio'] = statistics.median(
            r[0] / (r[1] + r[2] + r[3]) for r in rounds)
    return result


def profile_step(step, repeats=3, top=12):
    """The ops of ``step`` that take the most self CPU time, under
    ``torch.profiler`` (after 2 warm-up runs): ``[name, ms per step,
    calls per step]`` (the ``top`` first; every op when None), and the
    step's total self CPU ms."""
    import torch
    for _ in range(2):
        step()
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(repeats):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    ops = sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    return dict(
        total_ms=total / 1e3 / repeats,
        ops=[[e.key, e.self_cpu_time_total / 1e3 / repeats, e.count / repeats]
             for e in ops])


def _status(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_rss(step, repeats=3):
    """Resident set after the build and its peak over ``repeats`` steps
    after a warm-up step (MiB)."""
    built = _status('VmRSS')
    step()
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    for _ in range(repeats):
        step()
    return dict(built=built / 2**20, peak=_status('VmHWM') / 2**20)


# ---------------------------------------------------------------------------
# the frameworks (each imports only its own environment's packages)
def build_ours(pair, teacher_bn='own'):
    """Our config of the pair through ``benchmarks/overhead.py``
    (``teacher_bn``: see :data:`TEACHER_BN`)."""
    sys.path.insert(0, REPO)
    from benchmarks.overhead import build, make_steps, row_of
    spec = PAIRS[pair]
    row = row_of(spec['ours'], batch=spec['batch'], size=spec['size'])
    options = {} if teacher_bn == 'own' else dict(
        teacher_norm_eval=teacher_bn == 'running')
    with tempfile.TemporaryDirectory() as workdir:
        built = build(row, workdir, options=options)
    steps, before = make_steps(*built)
    import mmfeatdistill
    info = dict(framework=f'mmfeatdistill {mmfeatdistill.__version__}',
                config=spec['ours'])
    return steps, before, info


def _mmrazor_algorithm(algorithm, bgr_to_rgb, norm, student, teacher,
                       distiller):
    """MMRazor's ``algorithm`` on the mmcls configs ``student`` and
    ``teacher`` (no pretrained weights) with ``distiller``."""
    return dict(
        _scope_='mmrazor', type=algorithm,
        data_preprocessor=dict(type='ImgDataPreprocessor',
                               bgr_to_rgb=bgr_to_rgb, **norm),
        architecture=dict(cfg_path=f'mmcls::resnet/{student}',
                          pretrained=False),
        teacher=dict(cfg_path=f'mmcls::resnet/{teacher}',
                     pretrained=False), distiller=distiller)


def _mmrazor_model(pair, num_classes, teacher_bn='own'):
    if teacher_bn != 'own':  # its default: running statistics
        model = _mmrazor_model(pair, num_classes)
        return dict(model, teacher_norm_eval=teacher_bn == 'running')
    if pair == 'kd':
        return _mmrazor_algorithm(
            'SingleTeacherDistill', True, IMAGENET_NORM,
            'resnet18_8xb32_in1k.py', 'resnet34_8xb32_in1k.py',
            dict(
                type='ConfigurableDistiller', student_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                teacher_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                distill_losses=dict(
                    loss_kl=dict(type='KLDivergence', tau=1, loss_weight=3)),
                loss_forward_mappings=dict(loss_kl=dict(
                    preds_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc')))))
    # OFD on the CIFAR-100 pair: MMRazor's OFD reads BN outputs only (it
    # takes the margins from the recorded BN), so each position is the
    # last BN of the block whose pre-ReLU output we read (same shapes)
    student_bns = [
        f'backbone.layer{s}.{b}.bn2'
        for s, b in ((1, 1), (2, 1), (3, 1), (4, 1))
    ]
    teacher_bns = [
        f'backbone.layer{s}.{b}.bn3'
        for s, b in ((1, 2), (2, 3), (3, 5), (4, 2))
    ]
    s_ch, t_ch = (64, 128, 256, 512), (256, 512, 1024, 2048)
    weights = (1 / 8, 1 / 4, 1 / 2, 1.0)
    names = [f'{k + 1}' for k in range(4)]
    s_connector = dict(type='ConvModuleConnector', norm_cfg=dict(type='BN'),
                       act_cfg=None)
    return _mmrazor_algorithm(
        'OverhaulFeatureDistillation', False, CIFAR100_NORM,
        'resnet18_8xb16_cifar10.py', 'resnet50_8xb16_cifar100.py',
        dict(
            type='OFDDistiller', student_recorders={
                f'bb_{n}': dict(type='ModuleOutputs', source=s)
                for n, s in zip(names, student_bns)
            }, teacher_recorders={
                f'bb_{n}': dict(type='ModuleOutputs', source=t)
                for n, t in zip(names, teacher_bns)
            }, distill_losses={
                f'loss_{n}': dict(type='OFDLoss', loss_weight=1e-3 * w)
                for n, w in zip(names, weights)
            }, connectors={
                **{
                    f'loss_{n}_sfeat':
                    dict(s_connector, in_channel=cs, out_channel=ct)
                    for n, cs, ct in zip(names, s_ch, t_ch)
                },
                **{
                    f'loss_{n}_tfeat': dict(type='OFDTeacherConnector')
                    for n in names
                }
            }, loss_forward_mappings={
                f'loss_{n}':
                dict(
                    s_feature=dict(from_student=True, recorder=f'bb_{n}',
                                   connector=f'loss_{n}_sfeat'),
                    t_feature=dict(from_student=False, recorder=f'bb_{n}',
                                   connector=f'loss_{n}_tfeat'))
                for n in names
            }))


def build_mmrazor(pair, teacher_bn='own'):
    """MMRazor 1.0.0's algorithm for the pair (model dicts written after
    its configs ``kd_logits_resnet34_resnet18_8xb32_in1k.py`` and
    ``ofd_backbone_resnet50_resnet18_8xb16_cifar10.py``; ``teacher_bn``:
    see :data:`TEACHER_BN`)."""
    import mmcls
    import mmrazor
    import torch
    from mmcls.structures import ClsDataSample
    from mmcls.utils import register_all_modules as mmcls_modules
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    mmcls_modules(False)
    register_all_modules(False)
    init_default_scope('mmrazor')
    spec = PAIRS[pair]
    torch.manual_seed(0)
    model = MODELS.build(_mmrazor_model(pair, spec['num_classes'], teacher_bn))
    randomize_bn(model.teacher)
    if pair == 'ofd':  # margins from the teacher's (now non-zero) BNs
        model.distiller.init_ofd_connectors(model.teacher)
    model.train()
    g = torch.Generator().manual_seed(0)
    classes = 10 if pair == 'ofd' else spec['num_classes']
    data = dict(
        inputs=[
            torch.randint(0, 255, (3, spec['size'], spec['size']), generator=g,
                          dtype=torch.uint8) for _ in range(spec['batch'])
        ], data_samples=[
            ClsDataSample().set_gt_label(i % classes)
            for i in range(spec['batch'])
        ])
    optim = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3,
                                                     momentum=0.9))
    distill_optim = build_optim_wrapper(model, optim)
    student_optim = build_optim_wrapper(model.student, optim)
    method_params = [
        p for p in model.distiller.parameters() if p.requires_grad
    ]
    method_optim = build_optim_wrapper(
        torch.nn.ParameterList(method_params), optim) if method_params \
        else None
    batch = model.data_preprocessor(data, True)
    inputs, samples = batch['inputs'], batch['data_samples']

    def distill():
        model.train_step(data, distill_optim)

    def student():
        with student_optim.optim_context(model.student):
            b = model.data_preprocessor(data, True)
            losses = model.student(b['inputs'], b['data_samples'], mode='loss')
            loss, _ = model.parse_losses(losses)
        student_optim.update_params(loss)

    def teacher():
        with torch.no_grad():
            model.teacher(inputs, samples, mode='tensor')

    def base():
        with student_optim.optim_context(model.student):
            b = model.data_preprocessor(data, True)
            with torch.no_grad():
                model.teacher(b['inputs'], b['data_samples'], mode='tensor')
            losses = model.student(b['inputs'], b['data_samples'], mode='loss')
            loss, _ = model.parse_losses(losses)
        student_optim.update_params(loss)

    def record_and_cut():
        with torch.no_grad():
            model.loss(inputs, samples)
        for manager, grad in ((model.distiller.student_recorders, True),
                              (model.distiller.teacher_recorders, False)):
            for recorder in manager.recorders.values():
                recorder.data_buffer[:] = [
                    detach_tree(v, grad) for v in recorder.data_buffer
                ]

    def modules():
        losses = model.distiller.compute_distill_losses()
        total = sum(losses.values())
        if method_optim is not None:
            method_optim.update_params(total)
        else:
            total.backward()

    steps = dict(distill=distill, student=student, teacher=teacher,
                 modules=modules, base=base)
    info = dict(framework=f'MMRazor {mmrazor.__version__} (mmcls '
                f'{mmcls.__version__})')
    if pair == 'ofd':
        info['records_changed_in_place'] = _mmrazor_ofd_check(
            model, inputs, samples)
    return steps, dict(modules=record_and_cut), info


def _mmrazor_ofd_check(model, inputs, samples):
    """What MMRazor's OFD reads: its recorders keep the BN output without a
    copy, and mmcls's blocks then add the identity into it in place
    (``out += identity``). Per student record: its version counter when
    the losses read it (0: unchanged since the BN made it) and the fraction
    of negative values (a ReLU output has none)."""
    import torch
    with torch.no_grad():
        model.loss(inputs, samples)
    checks = {}
    for name, recorder in model.distiller.student_recorders.recorders.items():
        value = recorder.data_buffer[0]
        checks[name] = dict(
            version=int(value._version),
            negative=round(float((value < 0).float().mean()), 3))
    return checks


def _torchdistill_config(pair, num_classes):
    teacher = dict(forward_proc='forward_batch_only', sequential=[],
                   wrapper=None, requires_grad=False)
    student = dict(forward_proc='forward_batch_only', adaptations=None,
                   sequential=[], wrapper=None, requires_grad=True,
                   frozen_modules=[])
    if pair == 'kd':  # its official ImageNet KD config's criterion
        sub_terms = dict(kd=dict(
            criterion=dict(
                key='KDLoss', kwargs=dict(
                    student_module_path='.', student_module_io='output',
                    teacher_module_path='.', teacher_module_io='output',
                    temperature=1.0, alpha=0.5, reduction='batchmean')),
            weight=1.0))
    else:  # FitNet: the student's CE + MSE(regressor(stage 3), teacher's)
        teacher['forward_hook'] = dict(input=[], output=['layer3'])
        student['auxiliary_model_wrapper'] = dict(
            key='Connector4DAB', kwargs=dict(connectors=dict(regressor=dict(
                io='output', path='student_model.layer3', conv2d_kwargs=dict(
                    in_channels=256, out_channels=256, kernel_size=1, stride=1,
                    padding=0, bias=False), bn2d_kwargs=dict(
                        num_features=256)))))
        student['forward_hook'] = dict(
            input=[],
            output=['student_model.layer3', 'connector_dict.regressor'])
        ce = dict(
            key='SimpleLossWrapper', kwargs=dict(
                input=dict(is_from_teacher=False, module_path='.',
                           io='output'), target=dict(uses_label=True)))
        hint = dict(
            key='SimpleLossWrapper', kwargs=dict(
                input=dict(is_from_teacher=False,
                           module_path='connector_dict.regressor',
                           io='output'),
                target=dict(is_from_teacher=True, module_path='layer3',
                            io='output')))
        sub_terms = dict(
            ce=dict(
                criterion=dict(key='CrossEntropyLoss',
                               kwargs=dict(reduction='mean')),
                criterion_wrapper=ce, weight=1.0), hint=dict(
                    criterion=dict(key='MSELoss',
                                   kwargs=dict(reduction='mean')),
                    criterion_wrapper=hint, weight=1.0))
    return dict(
        num_epochs=1, teacher=teacher, student=student,
        optimizer=dict(key='SGD', kwargs=dict(lr=1e-3, momentum=0.9)),
        criterion=dict(key='WeightedSumLoss',
                       kwargs=dict(sub_terms=sub_terms)))


def build_torchdistill(pair, teacher_bn='own'):
    """torchdistill's DistillationBox for the pair, torchvision's ResNets
    (``teacher_bn``: see :data:`TEACHER_BN`)."""
    import torch
    import torchdistill
    import torchvision
    from torchdistill.common.constant import SELF_MODULE_PATH
    from torchdistill.core.distillation import get_distillation_box
    from torchdistill.core.util import extract_io_dict, update_io_dict
    spec = PAIRS[pair]
    torch.manual_seed(0)
    teacher = torchvision.models.resnet34(num_classes=spec['num_classes'])
    student = torchvision.models.resnet18(num_classes=spec['num_classes'])
    randomize_bn(teacher)
    box = get_distillation_box(
        teacher, student, dataset_dict=dict(),
        train_config=_torchdistill_config(pair, spec['num_classes']),
        device=torch.device('cpu'), device_ids=None, distributed=False,
        lr_factor=1)
    box.teacher_model.eval()  # as its training loop: teacher eval, student
    box.student_model.train()  # train
    if teacher_bn == 'batch':
        for m in box.teacher_model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.train()
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 255,
                           (spec['batch'], 3, spec['size'], spec['size']),
                           generator=g).float()
    mean = torch.tensor(IMAGENET_NORM['mean']).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_NORM['std']).view(1, 3, 1, 1)
    targets = torch.arange(spec['batch']) % spec['num_classes']
    plain_student = box.org_student_model
    plain_teacher = box.org_teacher_model
    student_optim = torch.optim.SGD(plain_student.parameters(), lr=1e-3,
                                    momentum=0.9)
    method = [
        p for name, p in box.student_model.named_parameters()
        if name.startswith('connector_dict.')
    ]
    method_optim = torch.optim.SGD(method, lr=1e-3, momentum=0.9) \
        if method else None
    ce = torch.nn.CrossEntropyLoss()

    def normalized():  # the data transform of every step
        return (images - mean) / std

    def distill():
        loss = box.forward_process(normalized(), targets, supp_dict=dict())
        box.post_forward_process(loss=loss)

    def student_step():
        loss = ce(plain_student(normalized()), targets)
        loss.backward()
        student_optim.step()
        student_optim.zero_grad()

    def teacher_fwd():
        with torch.no_grad():
            plain_teacher(normalized())

    def base():
        x = normalized()
        with torch.no_grad():
            plain_teacher(x)
        loss = ce(plain_student(x), targets)
        loss.backward()
        student_optim.step()
        student_optim.zero_grad()

    cut = {}

    def record_and_cut():
        with torch.no_grad():
            teacher_outputs, teacher_io = box.get_teacher_output(
                normalized(), targets, supp_dict=dict())
            student_outputs = box.student_model(normalized())
        student_io = extract_io_dict(box.student_io_dict, box.device)
        student_io.setdefault(SELF_MODULE_PATH, dict())['output'] = \
            student_outputs
        cut['teacher'] = detach_tree(teacher_io, False)
        cut['student'] = detach_tree(student_io, True)

    def modules():
        # the rest of DistillationBox.forward_process on the cut records:
        # the auxiliary wrapper's modules (regressor), then the criterion
        student_io = cut['student']
        if hasattr(box.student_model, 'secondary_forward'):
            box.student_model.secondary_forward(student_io)
            update_io_dict(student_io,
                           extract_io_dict(box.student_io_dict, box.device))
        model_loss = box.extract_model_loss(
            student_io[SELF_MODULE_PATH]['output'], targets, supp_dict=dict())
        loss = box.criterion(dict(teacher=cut['teacher'], student=student_io),
                             model_loss, targets)
        loss.backward()
        if method_optim is not None:
            method_optim.step()
            method_optim.zero_grad()

    steps = dict(distill=distill, student=student_step, teacher=teacher_fwd,
                 modules=modules, base=base)
    info = dict(framework=f'torchdistill {torchdistill.__version__} '
                f'(torchvision {torchvision.__version__})')
    return steps, dict(modules=record_and_cut), info


BUILDERS = dict(ours=build_ours, mmrazor=build_mmrazor,
                torchdistill=build_torchdistill)


def worker(framework, pair, job, repeats, block, teacher_bn='own'):
    """One framework, one pair, one job (``time``, ``memory-distill``,
    ``memory-base``, ``profile-<step>``): print a JSON line."""
    import logging

    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    logging.disable(logging.WARNING)  # the frameworks' init logs
    steps, before, info = BUILDERS[framework](pair, teacher_bn)
    info.update(torch=torch.__version__, python=platform.python_version())
    if job == 'time':
        result = time_steps(steps, before, repeats, block)
    else:
        kind, step = job.split('-', 1)
        result = profile_step(steps[step], top=None) \
            if kind == 'profile' else peak_rss(steps[step])
    result.update(info)
    print('RESULT ' + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------
# the driver (our environment)
def run_worker(framework, pair, job, repeats, block, log, teacher_bn='own'):
    python = PYTHONS[framework]
    if not osp.exists(python):
        raise RuntimeError(f'no {framework} environment at {python}: run '
                           f'benchmarks/peer_envs/{framework}.sh')
    spec = PAIRS[pair]
    cmd = [
        python,
        osp.abspath(__file__), '--worker', framework, pair, job, '--repeats',
        str(repeats), '--block',
        str(block), '--batch',
        str(spec['batch']), '--size',
        str(spec['size']), '--teacher-bn', teacher_bn
    ]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                          env=env)
    with open(log, 'a') as f:
        f.write(f'$ {" ".join(cmd)}\n{proc.stdout[-4000:]}\n'
                f'{proc.stderr[-8000:]}\n')
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith('RESULT ')
    ]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(proc.stderr[-3000:] or proc.stdout[-3000:])
    return json.loads(lines[-1][len('RESULT '):])


def measure(framework, pair, repeats, block, log, teacher_bn='own'):
    """Timings and both memory peaks of one framework on one pair."""
    result = run_worker(framework, pair, 'time', repeats, block, log,
                        teacher_bn)
    for mode in ('distill', 'base'):
        mem = run_worker(framework, pair, f'memory-{mode}', repeats, block,
                         log, teacher_bn)
        result[f'mem_{mode}'] = mem['peak']
        result[f'built_{mode}'] = mem['built']
    return result


def table_line(pair, r):
    spec = PAIRS[pair]
    modules = f'{1e3 * r["modules"]:.1f}' if 'modules' in r else 'n/a'
    overhead = f'{r["overhead_ratio"]:.3f}' if 'overhead_ratio' in r \
        else 'n/a'
    return (f'| {pair} | {r["framework"]} (torch {r["torch"]}) | '
            f'{spec["batch"]} x {spec["size"]} | {1e3 * r["distill"]:.1f} | '
            f'{1e3 * r["student"]:.1f} | {1e3 * r["teacher"]:.1f} | '
            f'{modules} | {r["total_ratio"]:.3f} | {overhead} | '
            f'{r["mem_distill"]:.0f} / {r["mem_base"]:.0f} | '
            f'{r["mem_distill"] / r["mem_base"]:.3f} |')


def selected_runs(args):
    """``(pair, framework)`` of every run that ``--pairs`` and
    ``--frameworks`` select, in the table's order."""
    for pair in args.pairs:
        for framework in PAIRS[pair]['frameworks']:
            if framework in args.frameworks:
                yield pair, framework


def op_differences(distill, student, teacher, top=8):
    """Per op, self CPU ms of the distill step minus those of the student
    step and the teacher's forward (``profile_step`` results with every
    op): the ``top`` largest differences either way, largest first, as
    ``[name, ms, calls]`` differences."""
    diff = {}
    for sign, run in ((1, distill), (-1, student), (-1, teacher)):
        for name, ms, calls in run['ops']:
            total = diff.setdefault(name, [0.0, 0.0])
            total[0] += sign * ms
            total[1] += sign * calls
    ranked = sorted(diff.items(), key=lambda item: -abs(item[1][0]))
    return [[name, ms, calls] for name, (ms, calls) in ranked[:top]]


def _section(kind, teacher_bn):
    """Name of the results section (``kind``: table or profile)."""
    return f'peers {kind}' if teacher_bn == 'own' else \
        f'peers teacher-bn-{teacher_bn} {kind}'


def profile(args) -> None:
    """``--profile``: per pair and framework, the self CPU time of the
    distill, student and teacher steps, the distill step's top ops and the
    ops whose time differs most between the distill step and the other two
    together, written to the ``peers profile`` section of ``--out``."""
    from benchmarks._common import write_section
    lines = [
        '| pair | framework | distill / student / teacher self CPU (ms) '
        '| distill - student - teacher (ms) | distill step\'s top ops: '
        'ms per step (calls) | largest per-op differences distill - '
        'student - teacher: ms per step (calls) |', '|---|---|---|---|---|---|'
    ]
    for pair, framework in selected_runs(args):
        r = {
            step:
            run_worker(framework, pair, f'profile-{step}', 1, 1, args.log,
                       args.teacher_bn)
            for step in ('distill', 'student', 'teacher')
        }
        d, st, t = (run['total_ms'] for run in r.values())
        ops = '; '.join(f'`{name}` {ms:.0f} ({calls:.0f})'
                        for name, ms, calls in r['distill']['ops'][:8])
        diffs = '; '.join(f'`{name}` {ms:+.0f} ({calls:+.0f})'
                          for name, ms, calls in op_differences(*r.values()))
        lines.append(f'| {pair} | {r["distill"]["framework"]} (torch '
                     f'{r["distill"]["torch"]}) | {d:.0f} / {st:.0f} / '
                     f'{t:.0f} | {d - st - t:+.0f} | {ops} | {diffs} |')
        print(lines[-1], flush=True)
    teacher_bn = '' if args.teacher_bn == 'own' else \
        f' --teacher-bn {args.teacher_bn}'
    text = '\n'.join([
        f'Command: `python benchmarks/peers.py --profile --pairs '
        f'{" ".join(args.pairs)}{teacher_bn}` (OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", 2)}; 3 profiled steps after 2 '
        f'warm-up runs, per step).', '', *lines
    ])
    write_section(args.out, _section('profile', args.teacher_bn), text,
                  'benchmarks/peers.py',
                  heading='# Our distiller and its peers, side by side\n')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--worker', nargs=3,
                        metavar=('FRAMEWORK', 'PAIR', 'JOB'))
    parser.add_argument('--pairs', nargs='*', default=list(PAIRS))
    parser.add_argument('--frameworks', nargs='*', default=list(BUILDERS))
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument(
        '--profile', action='store_true',
        help='instead of the table: torch.profiler of the distill, student '
        'and teacher steps (top ops by self CPU time) per framework')
    parser.add_argument('--block', type=int, default=2)
    parser.add_argument(
        '--teacher-bn', choices=TEACHER_BN, default='own',
        help="the teachers' BN layers: each framework's default (own), or "
        'running or batch statistics in every framework')
    parser.add_argument('--batch', type=int, default=None,
                        help='batch size of every pair (default: PAIRS)')
    parser.add_argument('--size', type=int, default=None,
                        help='input size of every pair (default: PAIRS)')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'peers.md'))
    parser.add_argument('--log', default=osp.join(tempfile.gettempdir(),
                                                  'peers.log'))
    args = parser.parse_args(argv)
    for spec in PAIRS.values():  # --batch/--size: every pair
        spec['batch'] = args.batch or spec['batch']
        spec['size'] = args.size or spec['size']
    if args.worker:
        worker(*args.worker, args.repeats, args.block, args.teacher_bn)
        return
    # here in our environment only (the workers run in the peers')
    sys.path.insert(0, REPO)
    from benchmarks._common import load_average, write_section
    if args.profile:
        profile(args)
        return
    header = ('| pair | framework | batch x input | distill (ms) | student '
              '(ms) | teacher fwd (ms) | modules (ms) | total ratio | '
              'overhead ratio | peak MiB RSS: distill / student step with '
              'teacher fwd | memory ratio |')
    lines = [header, '|' + '---|' * 11]
    loads, failures, notes = [], [], []
    for pair, framework in selected_runs(args):
        loads.append(load_average())
        try:
            r = measure(framework, pair, args.repeats, args.block, args.log,
                        args.teacher_bn)
        except RuntimeError as err:
            failures.append(f'- {pair} / {framework}: '
                            f'{str(err).strip().splitlines()[-1]}')
            print(failures[-1], flush=True)
            continue
        if 'records_changed_in_place' in r:
            notes.append(f'- {pair} / {r["framework"]}: the student '
                         f'records its losses read (version counter: '
                         f'in-place changes since the BN made them; '
                         f'fraction of negative values): '
                         f'{json.dumps(r["records_changed_in_place"])}')
        lines.append(table_line(pair, r))
        print(lines[-1], flush=True)
    loads.append(load_average())
    command = 'python benchmarks/peers.py'
    if args.repeats != 7:
        command += f' --repeats {args.repeats}'
    for flag in ('batch', 'size'):
        if getattr(args, flag):
            command += f' --{flag} {getattr(args, flag)}'
    if args.pairs != list(PAIRS):
        command += ' --pairs ' + ' '.join(args.pairs)
    if args.frameworks != list(BUILDERS):
        command += ' --frameworks ' + ' '.join(args.frameworks)
    if args.teacher_bn != 'own':
        command += f' --teacher-bn {args.teacher_bn}'
    text = '\n'.join([
        f'Command: `{command}` (OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", 2)}). Machine: '
        f'{platform.machine()}, {os.cpu_count()} CPU cores, '
        f'{platform.platform()}. Load average (1 / 5 / 15 min) before each '
        f'row and at the end: {"; ".join(loads)}.', '', *lines
    ] + ([''] + notes if notes else []) +
                     (['', 'Failures:'] + failures if failures else []))
    write_section(args.out, _section('table', args.teacher_bn), text,
                  'benchmarks/peers.py',
                  heading='# Our distiller and its peers, side by side\n')
    print(f'written {args.out}')


if __name__ == '__main__':
    main()
