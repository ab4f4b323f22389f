"""What ``benchmarks/peers.py`` compares: the pairs, the frameworks'
environments and the steps timed."""
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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
#: The frameworks, in the table's order.
FRAMEWORKS = tuple(PYTHONS)
