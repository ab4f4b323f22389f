# Short schedule of the Fashion-MNIST demo (SGD, cosine lr, a few epochs).
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, eta_min=1e-3,
         convert_to_iter_based=True)
]
# epoch-based; a mid-epoch resume continues exactly (per-sample seeds)
train_cfg = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop',
                 max_epochs=3, val_interval=3)
val_cfg = dict()
test_cfg = dict()
