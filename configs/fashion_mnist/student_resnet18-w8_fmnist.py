# The demo student trained alone: the baseline every method is compared to.
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_student.py',
    '../_base_/distill_runtime.py',
]
model = {{_base_.student_model}}
