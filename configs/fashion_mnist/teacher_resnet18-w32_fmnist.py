# Train the demo teacher alone (plain mmpretrain model through our Runner).
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/distill_runtime.py',
]
model = {{_base_.teacher_model}}
