"""tools/compute_class_means.py on generated Fashion-MNIST: per-class means
of the teacher's penultimate embedding computed directly, and the checks of
a file that does not fit the run."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools.compute_class_means import main
from mmfeatdistill.utils import (load_class_means, resolve_model_cfg,
                                 save_class_means)
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
    teacher = save_model_checkpoint(Config.fromfile(ND_CFG).model.teacher,
                                    ckpt)
    opts = [f'model.teacher_ckpt={ckpt}', f'work_dir={tmp_path / "work"}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={data_root}',
                 f'{loader}.num_workers=0', f'{loader}.batch_size=7',
                 f'{loader}.persistent_workers=False']
    return tmp_path, data_root, ckpt, teacher, opts


def test_class_means_equal_direct_computation(setup):
    tmp_path, data_root, ckpt, teacher, opts = setup
    out = str(tmp_path / 'means.pth')
    main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    data = torch.load(out, weights_only=True)
    # direct: normalise as the data preprocessor does, backbone + GAP
    images = torch.from_numpy(_read_idx(
        f'{data_root}/train-images-idx3-ubyte').copy()).float()[:, None]
    labels = torch.from_numpy(_read_idx(
        f'{data_root}/train-labels-idx1-ubyte').astype(np.int64))
    cfg = Config.fromfile(ND_CFG)
    mean, std = cfg.data_preprocessor['mean'][0], cfg.data_preprocessor[
        'std'][0]
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
    good = torch.load(out, weights_only=True)
    classes = good['classes']
    # other classes
    save_class_means(out, good['class_means'], good['counts'],
                     ['a', 'b'] + classes[2:], good['teacher_hash'])
    with pytest.raises(ValueError, match='classes: file has 10 .a, b'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # other embedding size
    save_class_means(out, torch.zeros(10, 64), good['counts'], classes,
                     good['teacher_hash'])
    with pytest.raises(ValueError, match='embedding size: file 64, teacher '
                       'feature 256'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # another teacher checkpoint
    save_class_means(out, good['class_means'], good['counts'], classes,
                     'f' * 64)
    with pytest.raises(ValueError, match='another teacher checkpoint'):
        main([ND_CFG, '--out', out, '--no-progress', '--cfg-options', *opts])
    # the fitting file loads
    save_class_means(out, good['class_means'], good['counts'], classes,
                     good['teacher_hash'])
    assert torch.equal(load_class_means(out, classes, 256,
                                        good['teacher_hash']),
                       good['class_means'])
