"""Shared helpers of the tests: generated data, small real models, local
checkpoints. Nothing here downloads anything."""
import os
import os.path as osp
import struct
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config

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


def make_fake_fashion_mnist(root: str, num_train: int = 64,
                            num_test: int = 32, seed: int = 0,
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


def save_model_checkpoint(model_cfg: dict, path: str,
                          seed: int = 0) -> torch.nn.Module:
    """Build a model from its config, save its weights as an MMEngine-style
    checkpoint at ``path`` and return the model."""
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.utils import resolve_model_cfg
    torch.manual_seed(seed)
    spec = dict(model_cfg)
    spec['load_pretrained'] = False
    model = MODELS.build(resolve_model_cfg(spec, 'teacher'))
    if hasattr(model, 'init_weights'):
        model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model


def save_trained_like_teacher(model_cfg: dict, path: str) -> None:
    """Save a teacher whose BN affine parameters look trained (random,
    non-zero weights): a freshly initialised ResNet has zero-initialised
    last BNs (``zero_init_residual``), for which OFD's margin is undefined
    (and raises)."""
    model = save_model_checkpoint(model_cfg, path)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.5)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def save_teacher_with_heads(heads_config: str, ckpt: str, out: str) -> str:
    """The checkpoint ``tools/train_tofd_teacher_heads.py`` writes, with
    untrained heads (enough to build and run the distillation)."""
    model_cfg = Config.fromfile(heads_config).model
    model_cfg.model_ckpt = ckpt
    model_cfg.model = dict(model_cfg.model, load_pretrained=False)
    from mmfeatdistill.registry import MODELS
    trainer = MODELS.build(model_cfg)
    torch.save(trainer.teacher_checkpoint(), out)
    return out


def cls_batch(batch_size: int = 4, shape=(3, 32, 32), num_classes: int = 10,
              seed: int = 0) -> dict:
    """Packed classification data as mmpretrain's PackInputs yields it."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, shape, generator=g, dtype=torch.uint8)
              for _ in range(batch_size)]
    samples = [DataSample().set_gt_label(i % num_classes)
               for i in range(batch_size)]
    return dict(inputs=inputs, data_samples=samples)


def det_batch(batch_size: int = 2, size: int = 300, num_classes: int = 80,
              seed: int = 0) -> dict:
    """Packed detection data (boxes, labels, metainfo) as mmdet packs it."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(torch.randint(0, 255, (3, size, size), generator=g,
                                    dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            pad_shape=(size, size), scale_factor=(1.0, 1.0),
            batch_input_shape=(size, size), img_id=i, img_path=f'{i}.jpg',
            flip=False, flip_direction=None))
        xy = torch.rand(3, 2, generator=g) * size * 0.5
        wh = torch.rand(3, 2, generator=g) * size * 0.4 + size * 0.1
        gt = InstanceData()
        gt.bboxes = torch.cat([xy, xy + wh], dim=1)
        gt.labels = torch.randint(0, num_classes, (3, ), generator=g)
        sample.gt_instances = gt
        sample.ignored_instances = InstanceData(
            bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def seg_batch(batch_size: int = 2, size=(64, 64), num_classes: int = 19,
              seed: int = 0) -> dict:
    """Packed segmentation data as mmseg's PackSegInputs yields it."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    h, w = size
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(torch.randint(0, 255, (3, h, w), generator=g,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
            scale_factor=(1.0, 1.0), flip=False, flip_direction=None,
            img_path=f'{i}.png', seg_map_path=f'{i}.png', reduce_zero_label=False))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes, (1, h, w), generator=g))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def state_dict_copy(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_state_equal(a: dict, b: dict,
                       keys: Optional[List[str]] = None) -> None:
    assert a.keys() == b.keys()
    for k in keys or a:
        assert torch.equal(a[k], b[k]), f'{k} changed'
