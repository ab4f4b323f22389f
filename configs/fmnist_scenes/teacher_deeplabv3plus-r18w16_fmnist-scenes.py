# Teacher of the Fashion-MNIST scenes segmentation demo, trained alone
# (plain mmseg DeepLabV3+ through our Runner): ResNetV1c-18 widths 16-128,
# ASPP 64 channels, output stride 16, 64x64 input, 8 epochs (the demo's
# teacher schedule; its --teacher-epochs overrides).
# Size at 1x3x64x64 (mmengine get_model_complexity_info; its "flops" are
# multiply-adds): 0.942M parameters (backbone 0.702M), 23.6M multiply-adds
# (backbone 17.1M, decode head 6.4M); the student has 1/10 of both.
# Training step (batch 16, data loading, forward, backward, SGD; 2-core
# host shared with other jobs, load average 1.4-2.7, OMP_NUM_THREADS=1):
# 0.084-0.094 s median, 45-50 s per epoch with its validation. With 2
# threads while another job used the cores (load 3-6): 0.6-1.8 s.
# mIoU (seed 0): val 40.3% after 2 epochs, 52.9% after 10; test 51.1%
# after 8 (the demo's default), 52.4% after 10.
_base_ = [
    '../_base_/datasets/fmnist_scenes_seg.py',
    '../_base_/schedules/fmnist_scenes_seg.py',
    '../_base_/models/fmnist_scenes_deeplabv3plus_teacher.py',
    '../_base_/distill_runtime.py',
]
model = {{_base_.teacher_model}}
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, eta_min=1e-4,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=8, val_interval=8)
