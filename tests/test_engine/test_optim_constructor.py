from mmengine.optim import build_optim_wrapper
from torch import nn

import mmfeatdistill.engine  # noqa: F401


class Pair(nn.Module):

    def __init__(self):
        super().__init__()
        self.teacher = nn.Linear(3, 3)
        self.student = nn.Linear(3, 2)
        self.connectors = nn.ModuleDict(dict(c=nn.Linear(2, 3)))
        self.teacher.requires_grad_(False)


def _groups(optim):
    return {
        id(p): g
        for g in optim.optimizer.param_groups
        for p in g['params']
    }


def test_frozen_parameters_left_out_plain_and_paramwise():
    model = Pair()
    cfg = dict(constructor='mmfeatdistill.DistillerOptimWrapperConstructor',
               optimizer=dict(type='SGD', lr=0.1))
    groups = _groups(build_optim_wrapper(model, cfg))
    assert set(groups) == {
        id(p)
        for n, p in model.named_parameters() if not n.startswith('teacher')
    }
    cfg['paramwise_cfg'] = dict(custom_keys={'connectors': dict(lr_mult=10)})
    groups = _groups(build_optim_wrapper(model, cfg))
    assert id(model.teacher.weight) not in groups
    assert groups[id(model.connectors.c.weight)]['lr'] == 1.0
    assert groups[id(model.student.weight)]['lr'] == 0.1
