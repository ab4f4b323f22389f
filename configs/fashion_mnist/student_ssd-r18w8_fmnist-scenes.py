# The detection demo's student trained alone: the baseline every method
# is compared to. ResNet-18 widths 8-16-32, SSD neck levels 16, 32, 64, 64
# (16x16 .. 2x2, strides 4-32), 64x64 input, the teacher's anchors.
# Size (mmengine get_model_complexity_info, 1x3x64x64): 0.228M parameters
# (1/8.4 of the teacher's), 0.0126 GFLOPs (multiply-adds; 1/9.0 of the
# teacher's): backbone 0.0061 G, neck 0.0005 G, head 0.0060 G.
# SSD's per-image target assignment and loss are a fixed part of a step,
# so the step is not 9x cheaper than the teacher's.
# Step times: benchmarks/results/step_profile.md; results: the task's
# table in benchmarks/results/ (the main job writes it).
_base_ = [
    '../_base_/fmnist_scenes_det_runtime.py',
    '../_base_/models/fmnist_scenes_ssd_student.py',
]
model = {{_base_.student_model}}
