# Fashion-MNIST (60k train / 10k test, 1x28x28, 10 classes) read by
# mmpretrain's FashionMNIST dataset from the un-gzipped IDX files in
# `data_root` (prepared by `python tools/prepare_fashion_mnist.py`).
# mmpretrain 1.2.0 selects the split with `test_mode`, not `split`.
# Splits: train = training images 0-54999, val = training images
# 55000-59999 (their own IDX files in `data_root/heldout`, written by the
# prepare script; tune on it), test = the 10k test images.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02],
                         to_rgb=False)

train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(_scope_='mmpretrain', type=dataset_type, data_root=data_root,
                 test_mode=False, download=False, indices=55000,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# Validation and test read in the main process: a loader's worker
# processes cost more to start and to hand batches over than these
# small images take to load (benchmarks/results/step_profile.md).
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(_scope_='mmpretrain', type=dataset_type, data_root=data_root,
                 data_prefix='heldout', test_mode=False, download=False,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix='',
        split='test',  # only silences a warning; test_mode selects the split
        test_mode=True))
test_evaluator = val_evaluator
