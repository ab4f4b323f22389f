# ND with KD (KD++) on Fashion-MNIST (the demo's pair): T 4, weights
# cls/kd/nd 1/1/1, KD warm-up over the first epoch of the short schedule.
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import nd

# class means before training (WORK_DIR/class_means/; skipped when the
# file exists and fits), KD weight warmed up over the first epoch
model, custom_hooks = nd(**_base_.pair, student_channels=64,
                         teacher_channels=256, nd_weight=1.0,
                         kd=dict(tau=4.0, weight=1.0, warmup=1))
