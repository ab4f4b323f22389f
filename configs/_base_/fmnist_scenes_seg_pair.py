# The segmentation demo's distillation set-up: Fashion-MNIST scenes
# (64x64), the scenes schedule, the DeepLabV3+ pair (ResNetV1c-18 widths
# 16..128, ASPP 64 -> widths 5..40, ASPP 20) and the distillation runtime.
# Children use `_base_.teacher`, `_base_.teacher_ckpt`, `_base_.student`
# and the widths below.
# Training step of each config (batch 16, median over the demo's run with
# the default schedule: data, teacher forward, student forward and
# backward, losses, SGD; 2-core host shared with other jobs, load average
# ~1.4, OMP_NUM_THREADS=1): plain student 0.057 s, KD 0.072 s, feature
# MSE 0.077 s, OFD 0.084 s, TOFD teacher heads 0.080 s, TOFD 0.137 s,
# PEFD 0.078 s, ND (KD++) 0.081 s (plus one pass of the teacher over the
# training set for the class means, ~40 s); teacher alone 0.084 s.
_base_ = [
    './datasets/fmnist_scenes_seg.py',
    './schedules/fmnist_scenes_seg.py',
    # brings the teacher's model base too
    './models/fmnist_scenes_deeplabv3plus_student.py',
    './distill_runtime.py',
]
teacher = {{_base_.teacher_model}}
# written by the segmentation demo's teacher run; override with
# --cfg-options model.teacher_ckpt=...
teacher_ckpt = 'work_dirs/demo_seg/teacher/teacher.pth'
student = {{_base_.student_model}}
# widths of the 4 backbone stages, and of the ASPP output and the decoder
# feature that enters the classifier (`decode_head.channels`)
teacher_channels = [16, 32, 64, 128]
student_channels = [5, 10, 20, 40]
teacher_head_channels = 64
student_head_channels = 20
