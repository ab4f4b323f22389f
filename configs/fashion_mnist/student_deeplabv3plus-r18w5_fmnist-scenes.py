# The segmentation demo's student trained alone: the baseline every method
# is compared to. ResNetV1c-18 widths 5-40, ASPP 20 channels, output
# stride 16, 64x64 input.
# Size at 1x3x64x64 (mmengine get_model_complexity_info; its "flops" are
# multiply-adds): 0.094M parameters (backbone 0.069M), 2.50M multiply-adds
# (backbone 1.69M, decode head 0.79M): 10% of the teacher's parameters,
# 10.6% of its multiply-adds. A step at this size is mostly fixed
# per-operator cost: widths 4-8 all cost about the same.
# Step times: benchmarks/results/step_profile.md; results: the task's
# table in benchmarks/results/ (the main job writes it).
_base_ = [
    '../_base_/datasets/fmnist_scenes_seg.py',
    '../_base_/schedules/fmnist_scenes_seg.py',
    '../_base_/models/fmnist_scenes_deeplabv3plus_student.py',
    '../_base_/distill_runtime.py',
]
model = {{_base_.student_model}}
