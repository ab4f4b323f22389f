"""Make mmdet 3.3.0's ``SSDHead`` able to predict."""
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS


@HOOKS.register_module()
class SSDPredictFixHook(Hook):
    """Give every mmdet ``SSDHead`` of the model the ``loss_cls`` it lacks.

    mmdet 3.3.0's ``SSDHead`` skips ``AnchorHead.__init__``, which creates
    ``loss_cls``; ``BaseDenseHead._predict_by_feat_single`` reads
    ``self.loss_cls.custom_cls_channels``, so validation and testing of any
    SSD fail with ``AttributeError`` (open-mmlab/mmdetection issues 11063,
    11305, 11780). SSD's classification is a softmax cross-entropy (computed
    with ``F.cross_entropy`` in ``loss_by_feat``), so this hook attaches
    mmdet's parameter-free ``CrossEntropyLoss(use_sigmoid=False)``, which
    adds nothing to the state dict. It runs before training, validation and
    testing and touches only heads that lack the attribute.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        from mmdet.models.dense_heads import SSDHead
        from mmdet.registry import MODELS as MMDET_MODELS
        for module in runner.model.modules():
            if isinstance(module, SSDHead) and not hasattr(module, 'loss_cls'):
                module.loss_cls = MMDET_MODELS.build(
                    dict(type='CrossEntropyLoss', use_sigmoid=False,
                         _scope_='mmdet'))
