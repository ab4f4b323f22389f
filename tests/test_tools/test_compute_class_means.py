"""tools/compute_class_means.py on generated Fashion-MNIST: per-class means
of the teacher's penultimate embedding computed directly, and the checks of
a file that does not fit the run."""
import io
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.engine.hooks import ClassMeansHook
from mmfeatdistill.engine.statistics import one_pass_dataloader
from mmfeatdistill.models.losses.nd_class_means import (ClassMeansMismatch,
                                                        check_class_means,
                                                        read_class_means,
                                                        save_class_means)
from mmfeatdistill.tools.compute_class_means import main
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (config_path, make_fake_fashion_mnist,
                           save_model_checkpoint)

ND_CFG = config_path('nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py')


def _read_idx(path):
    data = open(path, 'rb').read()
    ndim = data[3]
    dims = np.frombuffer(data[4:4 + 4 * ndim], dtype='>u4')
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


@pytest.fixture()
def setup(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 30, 10,
                                        mirror_symmetric=True)  # RandomFlip
    ckpt = str(tmp_path / 'teacher.pth')
    teacher = save_model_checkpoint(
        Config.fromfile(ND_CFG).model.teacher, ckpt)
    opts = [f'model.teacher_ckpt={ckpt}', f'work_dir={tmp_path / "work"}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0', f'{loader}.batch_size=7',
            f'{loader}.persistent_workers=False'
        ]
    return tmp_path, data_root, ckpt, teacher, opts


def test_class_means_equal_direct_computation(setup):
    tmp_path, data_root, ckpt, teacher, opts = setup
    out = str(tmp_path / 'means.pth')
    main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    data = load_checkpoint_file(out)
    # direct: normalise as the data preprocessor does, backbone + GAP
    images = torch.from_numpy(
        _read_idx(f'{data_root}/train-images-idx3-ubyte').copy()).float()[:,
                                                                          None]
    labels = torch.from_numpy(
        _read_idx(f'{data_root}/train-labels-idx1-ubyte').astype(np.int64))
    cfg = Config.fromfile(ND_CFG)
    mean, std = cfg.data_preprocessor['mean'][0], cfg.data_preprocessor['std'][
        0]
    teacher.eval()
    with torch.no_grad():
        feats = teacher.backbone((images - mean) / std)[-1].mean(dim=(2, 3))
    expected = torch.stack([feats[labels == c].mean(0) for c in range(10)])
    assert torch.allclose(data['class_means'], expected, atol=1e-4)
    assert data['counts'].tolist() == [3] * 10
    assert data['embedding_dim'] == 256 and len(data['classes']) == 10
    assert data['classes'][0] == 'T-shirt/top'


def test_mismatched_file_is_a_clear_error(setup):
    tmp_path, data_root, ckpt, teacher, opts = setup
    out = str(tmp_path / 'means.pth')
    main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    good = read_class_means(out)
    classes, fingerprint = good['classes'], good['teacher_fingerprint']
    # other classes
    save_class_means(out, good['class_means'], good['counts'],
                     ['a', 'b'] + classes[2:], fingerprint)
    with pytest.raises(ClassMeansMismatch, match='classes: file has 10 .a, b'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # other embedding size
    save_class_means(out, torch.zeros(10, 64), good['counts'], classes,
                     fingerprint)
    with pytest.raises(ClassMeansMismatch, match='embedding size: file 64, '
                       'teacher feature 256'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # another teacher
    save_class_means(out, good['class_means'], good['counts'], classes,
                     'f' * 64)
    with pytest.raises(ClassMeansMismatch, match='other teacher weights'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # the fitting file loads
    save_class_means(out, good['class_means'], good['counts'], classes,
                     fingerprint)
    assert torch.equal(
        check_class_means(out, read_class_means(out), classes, 256,
                          fingerprint), good['class_means'])


def test_truncated_file_is_named_and_recomputed(setup, capfd):
    """A file cut short by a kill is named in a warning and recomputed by
    the hook (not an unexplained OSError on every later run)."""
    tmp_path, data_root, ckpt, teacher, opts = setup
    out = str(tmp_path / 'means.pth')
    main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    good = open(out, 'rb').read()
    open(out, 'wb').write(good[:len(good) // 3])
    with pytest.raises(OSError, match=f'{out} cannot be read'):
        read_class_means(out)
    capfd.readouterr()
    main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    logged = ''.join(capfd.readouterr())
    assert f'{out} cannot be read' in logged
    assert 'Recomputing it' in logged
    assert torch.equal(
        read_class_means(out)['class_means'],
        load_checkpoint_file(io.BytesIO(good))['class_means'])


def test_default_file_goes_into_the_work_dir(setup):
    """Without a class_means path the hook writes WORK_DIR/class_means/
    <loss>.pth, so runs of one config never share a file by accident."""
    tmp_path, data_root, ckpt, teacher, opts = setup
    path = main([ND_CFG, '--no-progress', '--cfg-options', *opts])
    assert path == osp.join(str(tmp_path / 'work'), 'class_means',
                            'loss_nd.pth')
    assert osp.isfile(path)


def _dense_runner(rel_config, tmp_path, teacher=None, scale=None):
    """A runner of a dense ND config on generated data whose training
    pipeline is the deterministic test pipeline (so that the means can be
    recomputed image by image); ``scale`` as ``smoke_cfg``'s."""
    from mmengine.runner import Runner

    from tests.generated_data import smoke_cfg
    from tests.helpers import save_trained_like_teacher
    cfg = Config.fromfile(config_path(rel_config))
    if teacher is not None:
        cfg.model.teacher = teacher
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    cfg = smoke_cfg(cfg, str(tmp_path / 'work'), ckpt, scale=scale)
    train = cfg.train_dataloader.dataset
    train.pipeline = cfg.val_dataloader.dataset.pipeline
    train.test_mode = False
    return Runner.from_cfg(cfg)


def test_segmentation_class_means_at_label_resolution(tmp_path):
    """Per-pixel means: the teacher's decoder feature bilinearly upsampled
    to the label maps, averaged per class over labelled pixels (255
    skipped) — recomputed here with an explicit upsampling."""
    import torch.nn.functional as F

    # 128x128 inputs instead of the config's 512x512 crops (the means are
    # recomputed at whatever size the images come)
    runner = _dense_runner('nd/nd-kdpp_deeplabv3plus-r101_r18_voc12aug.py',
                           tmp_path, scale=(512, 128))
    files = ClassMeansHook(progress=False).install(runner)
    model = runner.model
    data = load_checkpoint_file(files['loss_nd'])
    teacher = model.teacher.eval()
    sums = torch.zeros(21, 512, dtype=torch.float64)
    counts = torch.zeros(21, dtype=torch.float64)
    seen = {}
    hook = teacher.decode_head.sep_bottleneck.register_forward_hook(
        lambda m, i, o: seen.update(feat=o))
    with torch.no_grad():
        for batch in one_pass_dataloader(runner):
            batch = model.data_preprocessor(batch, False)
            teacher(batch['inputs'], batch['data_samples'], mode='tensor')
            for feat, sample in zip(seen['feat'], batch['data_samples']):
                labels = sample.gt_sem_seg.data[0]
                up = F.interpolate(feat[None].double(), size=labels.shape,
                                   mode='bilinear', align_corners=False)[0]
                for c in labels.unique().tolist():
                    if c != 255:
                        sums[c] += up[:, labels == c].sum(dim=1)
                        counts[c] += (labels == c).sum()
    hook.remove()
    assert data['counts'].tolist() == counts.long().tolist()
    present = counts > 0
    assert 0 < present.sum() < 21  # generated maps hold a few classes
    expected = (sums[present] / counts[present, None]).float()
    assert torch.allclose(data['class_means'][present], expected, atol=1e-4)
    assert data['class_means'][~present].abs().sum() == 0


def test_detection_class_means_at_positive_anchors(tmp_path):
    """Per-anchor means of level 0: the teacher's neck map at the positions
    of the anchors that the student head's assigner matched, recomputed
    here with mmdet's own anchor and target functions."""
    runner = _dense_runner('nd/nd_ssd300_ssd300-r18_voc0712.py', tmp_path)
    with pytest.warns(UserWarning, match='have no anchor'):
        files = ClassMeansHook(progress=False).install(runner)
    model = runner.model
    paths = [files[f'loss_nd{k}'] for k in range(6)]
    assert len(set(paths)) == 6 and all(osp.isfile(p) for p in paths)
    config_paths = [
        Config.fromfile(config_path('nd/nd_ssd300_ssd300-r18_voc0712.py')).
        model.distill_losses[f'loss_nd{k}'].class_means for k in range(6)
    ]
    assert all(
        p.endswith(f'loss_nd{k}.pth') for k, p in enumerate(config_paths))
    data = load_checkpoint_file(paths[0])
    student, teacher = model.student.eval(), model.teacher.eval()
    head = student.bbox_head
    sums = torch.zeros(20, 512, dtype=torch.float64)
    counts = torch.zeros(20, dtype=torch.float64)
    with torch.no_grad():
        for batch in one_pass_dataloader(runner):
            batch = model.data_preprocessor(batch, False)
            samples = batch['data_samples']
            metas = [s.metainfo for s in samples]
            feats = student.extract_feat(batch['inputs'])
            anchors, valid = head.get_anchors([f.shape[-2:] for f in feats],
                                              metas, device='cpu')
            labels = head.get_targets(anchors, valid,
                                      [s.gt_instances for s in samples],
                                      metas)[0]
            level0 = teacher.extract_feat(batch['inputs'])[0]
            per_position = labels[0].reshape(len(samples), -1, 4)
            for b in range(len(samples)):
                flat = level0[b].flatten(1)  # (512, h * w)
                for pos, anchor in (per_position[b] < 20).nonzero().tolist():
                    c = int(per_position[b, pos, anchor])
                    sums[c] += flat[:, pos].double()
                    counts[c] += 1
    assert counts.sum() > 0
    assert data['counts'].tolist() == counts.long().tolist()
    present = counts > 0
    expected = (sums[present] / counts[present, None]).float()
    assert torch.allclose(data['class_means'][present], expected, atol=1e-4)
