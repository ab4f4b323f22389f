"""Generated datasets in the formats the packages read (image folders, VOC
XML, VOC segmentation PNGs, Fashion-MNIST IDX), and a function that points a
full-scale config at them for a few iterations. Nothing is downloaded."""
import copy
import json
import os
import os.path as osp
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmengine.config import Config, ConfigDict

from tests.helpers import make_fake_fashion_mnist, short_run

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')


def _innermost(dataset: dict) -> tuple:
    """The leaf dataset of Repeat/Concat wrappers and its package scope
    (set by ``::`` inheritance on the outermost dict)."""
    scope = dataset.get('_scope_')
    while True:
        scope = dataset.get('_scope_', scope)
        if 'dataset' in dataset:
            dataset = dataset['dataset']
        elif 'datasets' in dataset:
            dataset = dataset['datasets'][0]
        else:
            return dataset, scope


def _image(rng, h, w):
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def make_image_folder(root, num, size, num_classes=2, seed=0) -> str:
    rng = np.random.default_rng(seed)
    for i in range(num):
        mmcv.imwrite(_image(rng, size, size),
                     osp.join(root, f'class{i % num_classes}', f'{i}.png'))
    return root


def _boxes(rng, h, w, num=2) -> list:
    """``num`` boxes (x1, y1, x2, y2) of at least 40x40 inside h x w."""
    boxes = []
    for _ in range(num):
        x1, y1 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        boxes.append((x1, y1, x1 + int(rng.integers(40, w // 2)),
                      y1 + int(rng.integers(40, h // 2))))
    return boxes


def make_voc_detection(root, num, size=(240, 320), seed=0) -> str:
    """VOC2007-style folders: JPEGImages, Annotations, ImageSets/Main."""
    rng = np.random.default_rng(seed)
    h, w = size
    sub = osp.join(root, 'VOC2007')
    os.makedirs(osp.join(sub, 'Annotations'), exist_ok=True)
    os.makedirs(osp.join(sub, 'ImageSets', 'Main'), exist_ok=True)
    names = [f'{i:06d}' for i in range(num)]
    for i, name in enumerate(names):
        mmcv.imwrite(_image(rng, h, w),
                     osp.join(sub, 'JPEGImages', f'{name}.jpg'))
        objects = ''
        for j, (x1, y1, x2, y2) in enumerate(_boxes(rng, h, w)):
            objects += (f'<object><name>{VOC_CLASSES[(i + j) % 20]}</name>'
                        f'<difficult>0</difficult><bndbox><xmin>{x1}</xmin>'
                        f'<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>'
                        f'</bndbox></object>')
        with open(osp.join(sub, 'Annotations', f'{name}.xml'), 'w') as f:
            f.write(f'<annotation><filename>{name}.jpg</filename><size>'
                    f'<width>{w}</width><height>{h}</height><depth>3</depth>'
                    f'</size>{objects}</annotation>')
    with open(osp.join(sub, 'ImageSets', 'Main', 'list.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return root


def make_coco_detection(root, num, size=(240, 320), seed=0) -> str:
    """COCO-style files: ``images/`` and ``annotations.json`` (two boxes
    an image, of COCO's categories)."""
    from mmdet.datasets import CocoDataset
    classes = CocoDataset.METAINFO['classes']
    rng = np.random.default_rng(seed)
    h, w = size
    images, annotations = [], []
    for i in range(num):
        name = f'{i:06d}.jpg'
        mmcv.imwrite(_image(rng, h, w), osp.join(root, 'images', name))
        images.append(dict(id=i + 1, file_name=name, height=h, width=w))
        for j, (x1, y1, x2, y2) in enumerate(_boxes(rng, h, w)):
            bw, bh = x2 - x1, y2 - y1
            annotations.append(
                dict(id=len(annotations) + 1, image_id=i + 1,
                     category_id=(i + j) % len(classes) + 1,
                     bbox=[x1, y1, bw, bh], area=bw * bh, iscrowd=0))
    categories = [dict(id=k + 1, name=c) for k, c in enumerate(classes)]
    with open(osp.join(root, 'annotations.json'), 'w') as f:
        json.dump(
            dict(images=images, annotations=annotations,
                 categories=categories), f)
    return root


def make_voc_segmentation(root, num, size=512, seed=0) -> str:
    """VOC2012-style folders: JPEGImages, SegmentationClass (PNG labels
    0..20 with a 255 border), ImageSets/Segmentation."""
    rng = np.random.default_rng(seed)
    names = [f'{i:06d}' for i in range(num)]
    for i, name in enumerate(names):
        mmcv.imwrite(_image(rng, size, size),
                     osp.join(root, 'JPEGImages', f'{name}.jpg'))
        label = np.zeros((size, size), np.uint8)
        label[size // 4:size // 2, :] = (i % 20) + 1
        label[:4] = 255
        mmcv.imwrite(label, osp.join(root, 'SegmentationClass', f'{name}.png'))
    os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'), exist_ok=True)
    with open(osp.join(root, 'ImageSets', 'Segmentation', 'list.txt'),
              'w') as f:
        f.write('\n'.join(names) + '\n')
    return root


def generated_dataset(dataset: dict, root: str, num: int,
                      test_mode: bool) -> dict:
    """A dataset config of the same package and pipeline as ``dataset``
    reading generated files of the configured input size."""
    leaf, scope = _innermost(dataset)
    pipeline = copy.deepcopy(leaf['pipeline'])
    if leaf['type'] == 'FashionMNIST':
        out = copy.deepcopy(leaf)
        # every class present (ND class means need each one)
        num = max(num, 10)
        out.update(data_root=make_fake_fashion_mnist(root, num, num))
        return out
    if scope == 'mmpretrain':
        if pipeline[0]['type'] != 'LoadImageFromFile':
            # in-memory datasets (CIFAR): same pipeline on 32x32 files
            pipeline.insert(0, dict(type='LoadImageFromFile'))
            size = 32
        else:
            size = 256
        return dict(type='CustomDataset', _scope_='mmpretrain',
                    data_root=make_image_folder(root, num,
                                                size), data_prefix='',
                    with_label=True, pipeline=pipeline, test_mode=test_mode)
    if scope == 'mmdet' and leaf['type'] == 'CocoDataset':
        return dict(type='CocoDataset', _scope_='mmdet',
                    data_root=make_coco_detection(root, num),
                    ann_file='annotations.json',
                    data_prefix=dict(img='images/'), pipeline=pipeline,
                    test_mode=test_mode)
    if scope == 'mmdet':
        return dict(type='VOCDataset', _scope_='mmdet',
                    data_root=make_voc_detection(root, num),
                    ann_file='VOC2007/ImageSets/Main/list.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'),
                    pipeline=pipeline, test_mode=test_mode)
    if scope == 'mmseg':
        return dict(
            type='PascalVOCDataset', _scope_='mmseg',
            data_root=make_voc_segmentation(root, num),
            data_prefix=dict(img_path='JPEGImages',
                             seg_map_path='SegmentationClass'),
            ann_file='ImageSets/Segmentation/list.txt', pipeline=pipeline,
            test_mode=test_mode)
    raise NotImplementedError(f'no generator for {leaf["type"]} ({scope})')


def _set_preprocessor_size(model: dict, size: Tuple[int, int]) -> None:
    """Every ``data_preprocessor`` with a ``size`` (mmseg's padding) in
    ``model`` and the models it holds (a distiller's student and teacher)
    pads to ``size``."""
    for key, value in model.items():
        if key == 'data_preprocessor' and isinstance(value, dict) \
                and value.get('size') is not None:
            value['size'] = size
        elif isinstance(value, dict):
            _set_preprocessor_size(value, size)


def smoke_cfg(cfg: Config, work_dir: str, teacher_ckpt: str,
              max_iters: int = 2, train_batch: int = 2,
              scale: Optional[Tuple[int, int]] = None) -> Config:
    """``cfg`` on generated data: ``max_iters`` training iterations then one
    validation step, local teacher weights, no pretrained downloads.
    ``scale``: a smaller input for a config too slow on a CPU at its own
    size: the pipelines' ``Resize`` and ``RandomResize`` scale, and for a
    segmentation config (``RandomCrop``) the crop, the ``Pad`` size and
    the data preprocessors' padded size, ``(scale[1], scale[1])``. An
    evaluator with an ``ann_file`` (COCO) reads the generated one. The
    config dumps its text unformatted (``format_python_code=False``)."""
    cfg = copy.deepcopy(cfg)
    data_root = osp.join(work_dir, 'data')
    for key, num, batch, test_mode in (('train_dataloader', 2 * train_batch,
                                        train_batch, False), ('val_dataloader',
                                                              1, 1, True)):
        loader = cfg[key]
        loader.dataset = generated_dataset(loader.dataset,
                                           osp.join(data_root, key), num,
                                           test_mode)
        loader.batch_size = batch
        loader.num_workers = 0
        loader.persistent_workers = False
        pipeline = loader.dataset.pipeline if scale is not None else []
        # a segmentation pipeline: crops, padded to the crop size
        crops = any(step['type'] == 'RandomCrop' for step in pipeline)
        for step in pipeline:
            if step['type'] in ('Resize', 'RandomResize'):
                step['scale'] = scale
            elif crops and step['type'] in ('RandomCrop', 'Pad'):
                step['crop_size' if step['type'] ==
                     'RandomCrop' else 'size'] = (scale[1], scale[1])
        if crops:
            _set_preprocessor_size(cfg.model, (scale[1], scale[1]))
    cfg.test_dataloader = cfg.val_dataloader
    val_set = cfg.val_dataloader.dataset
    for key in ('val_evaluator', 'test_evaluator'):
        if 'ann_file' in cfg.get(key, {}):
            cfg[key].ann_file = osp.join(val_set.data_root, val_set.ann_file)
    if cfg.model.type == 'AuxHeadTrainer':  # TOFD's teacher-head step
        cfg.model.model_ckpt = teacher_ckpt
        cfg.model.model = ConfigDict(cfg.model.model, load_pretrained=False)
    else:
        cfg.model.teacher_ckpt = teacher_ckpt
        cfg.model.student = ConfigDict(cfg.model.student,
                                       load_pretrained=False)
        cfg.model.teacher = ConfigDict(cfg.model.teacher,
                                       load_pretrained=False)
    for name, loss in cfg.model.get('distill_losses', {}).items():
        if isinstance(loss.get('class_means'), str):  # not into the repo
            loss.class_means = osp.join(work_dir, f'class_means_{name}.pth')
    cfg.train_cfg = ConfigDict(type='IterBasedTrainLoop', max_iters=max_iters,
                               val_interval=max_iters)
    short_run(cfg, work_dir, max_iters)
    cfg.pop('load_from', None)
    # dumped as it is, not through yapf: a config holding pytest's long tmp
    # paths takes yapf 3-5 s a dump, and a run dumps it 3-4 times (the log,
    # the work dir, the visualizer, each checkpoint's meta)
    return Config(cfg.to_dict(), filename=cfg.filename,
                  format_python_code=False)
