"""Shared helpers of the tests: generated data, small real models, local
checkpoints. Nothing here downloads anything."""
import os
import os.path as osp
import struct
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config

from mmfeatdistill.testing import (  # noqa: F401 (re-exported for tests)
    cls_batch, det_batch, save_model_checkpoint, save_teacher_with_heads,
    save_trained_like_teacher, seg_batch)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')


def config_path(rel: str) -> str:
    return osp.join(CONFIGS, rel)


def _write_idx(path: str, array: np.ndarray) -> None:
    """Write ``array`` (uint8) in the IDX format that MNIST datasets read."""
    dims = array.shape
    with open(path, 'wb') as f:
        f.write(struct.pack('>HBB', 0, 0x08, len(dims)))
        f.write(struct.pack('>' + 'I' * len(dims), *dims))
        f.write(array.astype(np.uint8).tobytes())


def make_fake_fashion_mnist(root: str, num_train: int = 64, num_test: int = 32,
                            seed: int = 0,
                            mirror_symmetric: bool = False) -> str:
    """Write a learnable Fashion-MNIST look-alike (same files and format).

    Class ``c`` images are noise plus a bright horizontal band at row
    ``2 * c + 4``, so a model can tell the classes apart. With
    ``mirror_symmetric`` the images equal their horizontal flip, so a
    ``RandomFlip`` in the pipeline does not change them.
    """
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, num in (('train', num_train), ('t10k', num_test)):
        labels = np.arange(num) % 10
        images = rng.integers(0, 60, size=(num, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 * label + 4:2 * label + 7, 4:24] = 230
        if mirror_symmetric:
            images[:, :, 14:] = images[:, :, :14][:, :, ::-1]
        _write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), images)
        _write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), labels)
    return root


def fast_runner_cfg(cfg: Config, work_dir: str, data_root: str,
                    max_iters: int = 2, batch_size: int = 8) -> Config:
    """Shrink a Fashion-MNIST config for a test: generated data, no worker
    processes, ``max_iters`` iterations, validation at the end."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.dataset.data_root = data_root
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = batch_size
    cfg.train_cfg = dict(by_epoch=False, max_iters=max_iters,
                         val_interval=max_iters)
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=max_iters, by_epoch=False)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.work_dir = work_dir
    own_visualizer(cfg, work_dir)
    return cfg


def own_visualizer(cfg: Config, work_dir: str) -> None:
    """Name ``cfg``'s visualizer after ``work_dir``. Visualizers are global
    per name (MMEngine's ``ManagerMixin``): mmdet's and mmseg's configs name
    theirs ``'visualizer'``, and a config without a file name gets its
    runner's timestamp, so a second runner in one test session would reuse
    the first one's visualizer, and its save folder, which pytest has
    deleted by then (``tmp_path_retention_policy = failed``)."""
    if cfg.get('visualizer') is not None:
        cfg.visualizer.name = f'visualizer:{osp.abspath(work_dir)}'


def state_dict_copy(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_state_equal(a: dict, b: dict,
                       keys: Optional[List[str]] = None) -> None:
    assert a.keys() == b.keys()
    for k in keys or a:
        assert torch.equal(a[k], b[k]), f'{k} changed'
