"""TOFD's per-anchor heads on SSD: the teacher-heads step labels the
anchors as distillation does, with the student head's anchors and
assigner (the heads' logits and the distillation's labels must be the
same anchors)."""
import pytest
from mmengine.config import Config

from mmfeatdistill.utils import resolve_model_cfg
from tests.helpers import config_path

PAIRS = {
    # heads config -> the distillation config whose student labels
    'tofd/tofd-teacher-heads_ssd300_voc0712.py':
    'tofd/tofd_ssd300_ssd300-r18_voc0712.py',
    'tofd/tofd-teacher-heads_ssd-r18w32_fmnist-scenes.py':
    'tofd/tofd_ssd-r18w32_ssd-r18w8_fmnist-scenes.py',
}


@pytest.mark.parametrize('heads', sorted(PAIRS))
def test_heads_step_labels_the_students_anchors(heads):
    step = Config.fromfile(config_path(heads)).model
    distill = Config.fromfile(config_path(PAIRS[heads])).model
    student = resolve_model_cfg(distill.student)
    labels = step.labels
    assert labels.type == 'AnchorTargetsConnector'
    assert labels.anchor_generator == student.bbox_head.anchor_generator
    assert labels.assigner == student.train_cfg.assigner
    assert labels.num_classes == student.bbox_head.num_classes
    assert step.head.num_anchors == distill.connectors.s_head1.num_anchors
    assert step.head_loss.type == 'AnchorCrossEntropyLoss'
