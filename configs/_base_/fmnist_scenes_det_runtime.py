# What every config of the Fashion-MNIST scenes detection demo shares (the
# teacher, the plain student, the TOFD teacher-heads step and, through
# fmnist_scenes_det_pair.py, the distillation configs): the scenes data
# set (64x64, COCO boxes), the scenes detection schedule, the runtime and
# the detector's hooks. SSDPredictFixHook makes mmdet 3.3.0's SSD predict
# (validation, testing) work; mmdet's CheckInvalidLossHook stops a run
# whose loss is not finite. The pair hands the same hooks to the
# distillation configs as `task_hooks`; their presets return them with the
# method's own.
_base_ = [
    './datasets/fmnist_scenes_det.py',
    './schedules/fmnist_scenes_det.py',
    './distill_runtime.py',
]
custom_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]
