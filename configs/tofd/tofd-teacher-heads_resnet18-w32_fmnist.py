# TOFD step 1 on Fashion-MNIST: train the teacher's auxiliary heads (teacher
# frozen) with the labels, then write the teacher checkpoint with the heads:
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
# -> work_dirs/tofd-teacher-heads_resnet18-w32_fmnist/teacher_with_heads.pth
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/distill_runtime.py',
]
teacher = {{_base_.teacher_model}}
teacher_ckpt = 'work_dirs/demo/teacher/teacher.pth'
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
num_classes = 10

model = dict(
    type='AuxHeadTrainer',
    model=teacher,
    model_ckpt=teacher_ckpt,
    stages=teacher_stages,
    num_classes=num_classes)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
