"""Packed batches of the three tasks, as the packages' ``Pack*Inputs``
transforms yield them: for tests, benchmarks and smoke runs (random
images; nothing is downloaded)."""
import torch


def cls_batch(batch_size: int = 4, shape=(3, 32, 32), num_classes: int = 10,
              seed: int = 0) -> dict:
    """Packed classification data as mmpretrain's PackInputs yields it."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 255, shape, generator=g, dtype=torch.uint8)
        for _ in range(batch_size)
    ]
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(batch_size)
    ]
    return dict(inputs=inputs, data_samples=samples)


def det_batch(batch_size: int = 2, size: int = 300, num_classes: int = 80,
              seed: int = 0) -> dict:
    """Packed detection data (boxes, labels, metainfo) as mmdet packs it."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(
            torch.randint(0, 255, (3, size, size), generator=g,
                          dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=(
            size, size), ori_shape=(size, size), pad_shape=(
                size, size), scale_factor=(1.0, 1.0), batch_input_shape=(
                    size, size), img_id=i, img_path=f'{i}.jpg', flip=False,
                                             flip_direction=None))
        xy = torch.rand(3, 2, generator=g) * size * 0.5
        wh = torch.rand(3, 2, generator=g) * size * 0.4 + size * 0.1
        gt = InstanceData()
        gt.bboxes = torch.cat([xy, xy + wh], dim=1)
        gt.labels = torch.randint(0, num_classes, (3, ), generator=g)
        sample.gt_instances = gt
        sample.ignored_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                                labels=torch.zeros(0).long())
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
        inputs.append(
            torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8))
        sample = SegDataSample(
            metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(
                h, w), scale_factor=(
                    1.0,
                    1.0), flip=False, flip_direction=None, img_path=f'{i}.png',
                          seg_map_path=f'{i}.png', reduce_zero_label=False))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, h, w), generator=g))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
