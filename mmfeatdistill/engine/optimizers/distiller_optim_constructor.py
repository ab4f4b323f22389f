"""An optimizer wrapper constructor that leaves frozen parameters out."""
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

from mmfeatdistill.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DistillerOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """:class:`DefaultOptimWrapperConstructor` without frozen parameters.

    MMEngine's default constructor hands every parameter to the optimizer,
    including those with ``requires_grad=False``; for a distiller that is the
    whole teacher. This one keeps the same ``paramwise_cfg`` behaviour
    (e.g. ``custom_keys={'connectors': dict(lr_mult=10)}``) but drops every
    parameter that does not require a gradient, so the teacher is not in the
    optimizer at all.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        optimizer_cfg = self.optimizer_cfg.copy()
        if not self.paramwise_cfg:
            optimizer_cfg['params'] = [
                p for p in model.parameters() if p.requires_grad
            ]
        else:
            groups: list = []
            self.add_params(groups, model)
            optimizer_cfg['params'] = [
                g for g in groups if all(p.requires_grad for p in g['params'])
            ]
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(optim_wrapper_cfg,
                                    default_args=dict(optimizer=optimizer))
