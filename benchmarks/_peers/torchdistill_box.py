"""torchdistill 1.1.5's side of a pair: its ``DistillationBox`` on
torchvision's ResNets (runs in its environment, built by
``benchmarks/peer_envs/torchdistill.sh``)."""
from .measuring import detach_tree, randomize_bn
from .pairs import IMAGENET_NORM, PAIRS


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
