# Teacher of the Fashion-MNIST scenes detection demo, trained alone (plain
# mmdet SSD through our Runner): ResNet-18 widths 32-64-128, SSD neck
# levels 64, 128, 256, 256 (16x16 .. 2x2, strides 4-32), 64x64 input,
# anchors 12-48 px (see ../_base_/models/fmnist_scenes_ssd_teacher.py).
# Size (mmengine get_model_complexity_info, 1x3x64x64): 1.91M parameters,
# 0.113 GFLOPs (multiply-adds): backbone 0.082 G, neck 0.007 G, head
# 0.024 G.
# Training step (batch 32, 2 CPU cores, 2026-11-30): 0.31 s on idle cores;
# 0.40-0.42 s with OMP_NUM_THREADS=1 while another training shares the 2
# cores (with torch's 2 threads there: 2-3.5 s, OpenMP threads waiting for
# each other). The demo's 4 epochs of 8000 scenes (1000 steps): 475 s with
# training and test on shared cores; test mAP 40.8, mAP@0.5 65.5.
_base_ = [
    '../_base_/fmnist_scenes_det_runtime.py',
    '../_base_/models/fmnist_scenes_ssd_teacher.py',
]
model = {{_base_.teacher_model}}
