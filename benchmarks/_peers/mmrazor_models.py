"""MMRazor 1.0.0's side of a pair (runs in its environment, built by
``benchmarks/peer_envs/mmrazor.sh``)."""
from .measuring import detach_tree, randomize_bn
from .pairs import CIFAR100_NORM, IMAGENET_NORM, PAIRS


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
