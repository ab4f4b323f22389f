# Teacher of the Fashion-MNIST scenes segmentation demo, trained alone
# (plain mmseg DeepLabV3+ through our Runner): ResNetV1c-18 widths 16-128,
# ASPP 64 channels, output stride 16, 64x64 input, 8 epochs (the demo's
# teacher schedule; its --teacher-epochs overrides).
# Size at 1x3x64x64 (mmengine get_model_complexity_info; its "flops" are
# multiply-adds): 0.942M parameters (backbone 0.702M), 23.6M multiply-adds
# (backbone 17.1M, decode head 6.4M); the student has 1/10 of both.
# Step times: benchmarks/results/step_profile.md; results: the task's
# table in benchmarks/results/ (the main job writes it).
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
