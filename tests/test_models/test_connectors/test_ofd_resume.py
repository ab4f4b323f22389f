"""OFD margins are model state: they go into checkpoints and come back on
resume, for BN-derived and running-estimate margins alike."""
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.models.connectors import OFDTeacherConnector
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_trained_like_teacher)

OFD_CFG = config_path('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py')


def _cfg(tmp_path, ckpt, data_root):
    cfg = fast_runner_cfg(Config.fromfile(OFD_CFG), str(tmp_path / 'work'),
                          data_root, max_iters=2)
    cfg.model.teacher_ckpt = ckpt
    cfg.model.connectors.t_stage4.bn = None  # running estimate
    return cfg


def test_margins_survive_save_and_resume(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 16, 8)
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(Config.fromfile(OFD_CFG).model.teacher, ckpt)
    runner = Runner.from_cfg(_cfg(tmp_path, ckpt, data_root))
    runner.train()
    bn = runner.model.teacher.backbone.layer1[1].bn2
    saved = load_checkpoint_file(str(tmp_path / 'work' /
                                     'iter_2.pth'))['state_dict']
    assert torch.equal(saved['connectors.t_stage1.margin'],
                       OFDTeacherConnector.margin_from_bn(bn))
    running = saved['connectors.t_stage4.margin']
    assert (running < 0).all(), 'the running estimate saw negative values'
    assert saved['connectors.t_stage4.neg_count'].min() > 0

    cfg = _cfg(tmp_path, ckpt, data_root)
    cfg.resume = True
    cfg.load_from = str(tmp_path / 'work' / 'iter_2.pth')
    resumed = Runner.from_cfg(cfg)
    assert torch.all(resumed.model.connectors.t_stage4.margin == 0)
    resumed.train()  # loads the checkpoint weights-only; nothing to train
    state = resumed.model.state_dict()
    for key in ('connectors.t_stage1.margin', 'connectors.t_stage4.margin',
                'connectors.t_stage4.neg_sum',
                'connectors.t_stage4.neg_count'):
        assert torch.equal(state[key], saved[key]), key
