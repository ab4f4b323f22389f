# Teacher of the Fashion-MNIST scenes detection demo, trained alone (plain
# mmdet SSD through our Runner): ResNet-18 widths 32-64-128, SSD neck
# levels 64, 128, 256, 256 (16x16 .. 2x2, strides 4-32), 64x64 input,
# anchors 12-48 px (see ../_base_/models/fmnist_scenes_ssd_teacher.py).
# Size (mmengine get_model_complexity_info, 1x3x64x64): 1.91M parameters,
# 0.113 GFLOPs (multiply-adds): backbone 0.082 G, neck 0.007 G, head
# 0.024 G.
# Step times: benchmarks/results/step_profile.md; results: the task's
# table in benchmarks/results/ (the main job writes it).
_base_ = [
    '../_base_/fmnist_scenes_det_runtime.py',
    '../_base_/models/fmnist_scenes_ssd_teacher.py',
]
model = {{_base_.teacher_model}}
