# Schedule of the Fashion-MNIST scenes detection task (SSD trained from
# scratch): SGD (momentum 0.9, Nesterov, weight decay 5e-4), lr 0.05 for
# batches of 32, cosine per iteration, trained by epoch (the demo sets
# max_epochs, val_interval and T_max of this FIRST scheduler), with a
# linear warm-up over the first 50 iterations after it in the list (the
# two factors multiply), and gradients clipped at norm 35 (mmdet's
# detectors), which keeps the first steps of a random SSD stable.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4,
                   nesterov=True), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, eta_min=1e-4,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
]
# epoch-based; a mid-epoch resume continues exactly (per-sample seeds)
train_cfg = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop',
                 max_epochs=3, val_interval=3)
val_cfg = dict()
test_cfg = dict()
