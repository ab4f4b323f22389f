# Schedule of the Fashion-MNIST scenes segmentation task: SGD (momentum
# 0.9, Nesterov, weight decay 5e-4), lr 0.4 with a cosine decay per
# iteration, trained by epoch (the demo sets max_epochs, val_interval and
# T_max of this first scheduler; 1 epoch = 500 iterations of batch 16 on the
# 8000 training scenes). The epochs here are the demo's student default
# (mmfeatdistill/tools/experiments.py, task 'seg'); the teacher config sets
# its own.
# The lr was chosen on the val split (2-epoch runs, seed 0; the
# measurements: benchmarks/results/sweeps.md, "seg / learning rate").
# Nothing was tuned on the test split.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.4, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, eta_min=1e-4,
         convert_to_iter_based=True)
]
# epoch-based; a mid-epoch resume continues exactly (per-sample seeds)
train_cfg = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop',
                 max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
