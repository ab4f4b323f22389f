"""tools/prepare_fmnist_scenes.py on generated Fashion-MNIST files: the
scenes' geometry (tight boxes, label maps, visibility), the held-out
splits, byte-identical output for a seed, the reuse of an existing data set,
and loading through the segmentation and detection base configs with the
real mmseg/mmdet datasets, pipelines and COCO metric."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

# yapf: disable
from mmfeatdistill.tools.prepare_fmnist_scenes import (DET_METAINFO,
                                                       FMNIST_CLASSES,
                                                       SEG_CLASSES,
                                                       SEG_METAINFO,
                                                       fill_holes,
                                                       load_fashion_mnist,
                                                       main, make_background,
                                                       make_scene, scene_rng,
                                                       split_pool)
# yapf: enable
from tests.helpers import config_path, make_fake_fashion_mnist

SEG_CFG = config_path('_base_/datasets/fmnist_scenes_seg.py')
DET_CFG = config_path('_base_/datasets/fmnist_scenes_det.py')
NUM_TRAIN, NUM_TEST, VAL_START = 60, 20, 40  # fake Fashion-MNIST
COUNTS = dict(train=6, val=3, test=3)
ARGS = [
    '--num-train', '6', '--num-val', '3', '--num-test', '3', '--val-start',
    str(VAL_START), '--no-progress'
]


def _files(root):
    """Relative path -> bytes of every file under ``root``."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def _coco(out, split):
    with open(osp.join(out, 'annotations', f'instances_{split}.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    """Fake IDX files and the data set written from them with seed 0."""
    tmp = tmp_path_factory.mktemp('scenes')
    root = make_fake_fashion_mnist(str(tmp / 'fmnist'), NUM_TRAIN, NUM_TEST)
    out = str(tmp / 'a')
    manifest = main(ARGS + ['--fmnist-root', root, '--out', out])
    return root, out, manifest


def test_same_seed_same_bytes_other_seed_differs(scenes, tmp_path):
    root, out, manifest = scenes
    again = str(tmp_path / 'b')
    main(ARGS + ['--fmnist-root', root, '--out', again])
    first, second = _files(out), _files(again)
    assert len(first) == 2 * sum(COUNTS.values()) + 3 + 1
    assert first == second
    other = str(tmp_path / 'c')
    main(ARGS + ['--fmnist-root', root, '--out', other, '--seed', '1'])
    third = _files(other)
    assert third.keys() == first.keys()
    images = [k for k in first if k.startswith('img_dir')]
    assert all(first[k] != third[k] for k in images)
    assert manifest['counts']['train']['scenes'] == COUNTS['train']


def test_scene_geometry():
    images = np.random.default_rng(0).integers(0, 60, (30, 28, 28))
    images[:, 6:22, 8:20] = 200  # a bright garment in every image
    images = images.astype(np.uint8)
    labels = np.arange(30) % 10
    pool = np.arange(30)
    for index in range(20):
        image, label_map, instance_map, instances = make_scene(
            scene_rng(3, 'train', index), images, labels, pool)
        assert image.shape == label_map.shape == (64, 64)
        assert image.dtype == label_map.dtype == np.uint8
        assert 2 <= len(instances) <= 4
        assert set(np.unique(instance_map)) <= set(range(len(instances) + 1))
        assert ((label_map == 0) == (instance_map == 0)).all()
        for k, inst in enumerate(instances, 1):
            ys, xs = np.nonzero(instance_map == k)
            x, y, w, h = inst['bbox']
            # tight around the visible pixels
            assert (x, y) == (xs.min(), ys.min())
            assert (x + w - 1, y + h - 1) == (xs.max(), ys.max())
            assert inst['area'] == len(xs) >= 20
            assert inst['area'] >= 0.5 * inst['mask_area']
            # labelled pixels inside the box, with the garment's class
            assert ((xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)).all()
            assert (label_map[ys, xs] == inst['category_id']).all()
            assert inst['category_id'] == labels[inst['fmnist_index']] + 1
            px, py, pw, ph = inst['placement']
            assert 0 <= px and px + pw <= 64 and 0 <= py and py + ph <= 64
            assert 16 <= max(pw, ph) <= 36


def test_fill_holes_small_enclosed_only():
    mask = np.zeros((12, 12), bool)
    mask[1:11, 1:11] = True
    mask[3, 3] = False  # a dark print: filled
    mask[5:9, 5:9] = False  # a bag's handle: 16 pixels, kept
    mask[0:5, 10:12] = False  # open to the border: kept
    filled = fill_holes(mask, max_area=4)
    assert filled[3, 3]
    assert not filled[5:9, 5:9].any() and not filled[0:5, 10:12].any()
    assert (filled == mask).sum() == mask.size - 1


def test_background_is_textured_and_varies():
    means = []
    for index in range(8):
        bg = make_background(scene_rng(0, 'val', index), 64)
        assert 5 < bg.std() < 30
        # smooth: neighbouring pixels are strongly correlated
        corr = np.corrcoef(bg[:, :-1].ravel(), bg[:, 1:].ravel())[0, 1]
        assert corr > 0.5
        means.append(bg.mean())
    assert 30 < min(means) and max(means) < 100
    assert np.std(means) > 3


def test_written_scenes_match_memory_and_splits(scenes):
    root, out, manifest = scenes
    data = load_fashion_mnist(root)
    for split, source in (('train', 'train'), ('val', 'train'), ('test',
                                                                 'test')):
        coco = _coco(out, split)
        assert [c['name'] for c in coco['categories']] == list(FMNIST_CLASSES)
        assert len(coco['images']) == COUNTS[split]
        pool = split_pool(split, len(data[source][0]), VAL_START)
        for ann in coco['annotations']:
            assert ann['fmnist_split'] == source
            if split == 'train':
                assert ann['fmnist_index'] < VAL_START
            elif split == 'val':
                assert ann['fmnist_index'] >= VAL_START
        # the last scene alone (order of work does not matter) equals the
        # written files
        index = COUNTS[split] - 1
        image, label_map, _, instances = make_scene(scene_rng(0, split, index),
                                                    *data[source], pool,
                                                    source=source)
        name = f'{index:06d}.png'
        assert (cv2.imread(osp.join(out, 'img_dir', split, name),
                           cv2.IMREAD_UNCHANGED) == image).all()
        assert (cv2.imread(osp.join(out, 'ann_dir', split, name),
                           cv2.IMREAD_UNCHANGED) == label_map).all()
        anns = [a for a in coco['annotations'] if a['image_id'] == index + 1]
        assert [a['bbox'] for a in anns] == [i['bbox'] for i in instances]
        assert all(a['iscrowd'] == 0 and a['area'] > 0 for a in anns)
    pixels = np.stack([
        cv2.imread(osp.join(out, 'img_dir', 'train', f'{i:06d}.png'),
                   cv2.IMREAD_UNCHANGED) for i in range(COUNTS['train'])
    ]).astype(np.float64)
    assert manifest['train_pixel_mean'] == pytest.approx(
        pixels.mean(), abs=1e-3)
    assert manifest['train_pixel_std'] == pytest.approx(pixels.std(), abs=1e-3)


def test_cli_reuses_same_manifest(scenes, tmp_path, capsys):
    root, _, _ = scenes
    out = str(tmp_path / 'scenes')
    main(ARGS + ['--fmnist-root', root, '--out', out])
    meta = osp.join(out, 'meta.json')
    stamp = os.stat(meta).st_mtime_ns
    capsys.readouterr()
    main(ARGS + ['--fmnist-root', root, '--out', out])
    assert 'reused' in capsys.readouterr().out
    assert os.stat(meta).st_mtime_ns == stamp
    # other arguments: regenerated in place, nothing half-written left
    manifest = main(ARGS +
                    ['--fmnist-root', root, '--out', out, '--num-test', '2'])
    assert 'reused' not in capsys.readouterr().out
    assert manifest['counts']['test']['scenes'] == 2
    assert len(os.listdir(osp.join(out, 'img_dir', 'test'))) == 2
    assert os.listdir(tmp_path) == ['scenes']


def _base_config(path, classes, metainfo):
    """The base config at ``path``, checked for the data set's classes and
    palette."""
    cfg = Config.fromfile(path)
    assert tuple(cfg.metainfo['classes']) == classes
    assert [list(c) for c in cfg.metainfo['palette']] == metainfo['palette']
    return cfg


def _split_datasets(cfg, registry, data_root, type_name):
    """Yield each split and its dataset, built from ``cfg``'s dataloader on
    ``data_root``, checked for its type and for the scenes written."""
    for key, split in (('train_dataloader', 'train'),
                       ('val_dataloader', 'val'), ('test_dataloader', 'test')):
        ds_cfg = cfg[key].dataset
        ds_cfg.data_root = data_root
        dataset = registry.build(ds_cfg)
        assert type(dataset).__name__ == type_name
        assert len(dataset) == COUNTS[split]
        yield split, dataset


def test_seg_base_config_loads_with_mmseg(scenes):
    from mmseg.registry import DATASETS, MODELS
    _, out, _ = scenes
    cfg = _base_config(SEG_CFG, SEG_CLASSES, SEG_METAINFO)
    for _, dataset in _split_datasets(cfg, DATASETS, out, 'BaseSegDataset'):
        samples = [dataset[i] for i in range(len(dataset))]
        for sample in samples:
            assert sample['inputs'].shape == (3, 64, 64)
            seg = sample['data_samples'].gt_sem_seg.data
            assert seg.shape == (1, 64, 64)
            assert 0 <= seg.min() and seg.max() <= 10 and seg.max() > 0
    preprocessor = MODELS.build(cfg.data_preprocessor)
    batch = preprocessor(pseudo_collate(samples), True)
    assert batch['inputs'].shape == (COUNTS['test'], 3, 64, 64)
    assert abs(batch['inputs'].mean()) < 1.5


def test_det_base_config_loads_with_mmdet(scenes):
    from mmdet.registry import DATASETS, METRICS
    _, out, _ = scenes
    cfg = _base_config(DET_CFG, FMNIST_CLASSES, DET_METAINFO)
    for split, dataset in _split_datasets(cfg, DATASETS, out + '/',
                                          'CocoDataset'):
        coco = _coco(out, split)
        for i in range(len(dataset)):
            sample = dataset[i]
            meta = sample['data_samples'].metainfo
            assert sample['inputs'].shape == (3, 64, 64)
            assert meta['scale_factor'] == (1.0, 1.0)  # SSD's predict
            anns = [
                a for a in coco['annotations']
                if a['image_id'] == meta['img_id']
            ]
            gt = sample['data_samples'].gt_instances
            assert len(gt) == len(anns) >= 2
            if split != 'train':  # no flip: boxes as written
                boxes = torch.tensor([[x, y, x + w, y + h]
                                      for x, y, w, h in (a['bbox']
                                                         for a in anns)
                                      ]).float()
                assert torch.equal(gt.bboxes.tensor, boxes)
                assert gt.labels.tolist() == [
                    a['category_id'] - 1 for a in anns
                ]
    # the evaluator reads the written file: the ground truth scores 1.0
    metric_cfg = cfg.test_evaluator.copy()
    metric_cfg.ann_file = osp.join(out, 'annotations', 'instances_test.json')
    metric = METRICS.build(metric_cfg)
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_instances
        pred = dict(bboxes=gt.bboxes.tensor, labels=gt.labels,
                    scores=torch.ones(len(gt)))
        metric.process({}, [
            dict(img_id=sample.img_id, ori_shape=sample.ori_shape,
                 pred_instances=pred)
        ])
    assert metric.evaluate(len(dataset))['coco/bbox_mAP'] == 1.0
