from .anchor_labels_connector import AnchorLabelsConnector
from .anchor_targets_connector import AnchorTargetsConnector
from .base_connector import BaseConnector
from .conv_connector import ConvConnector
from .embedding_transform_connector import EmbeddingTransformConnector
from .gt_label_connector import GTLabelConnector
from .gt_multi_hot_connector import GTMultiHotConnector
from .gt_seg_map_connector import GTSegMapConnector
from .ofd_connectors import OFDStudentConnector, OFDTeacherConnector
from .projector_ensemble_connector import ProjectorEnsembleConnector
from .resize_connector import ResizeConnector
from .sequential_connector import SequentialConnector
from .tofd_aux_head import TOFDAuxHead
from .token_pool_connector import TokenPoolConnector

__all__ = [
    'BaseConnector', 'ConvConnector', 'OFDTeacherConnector',
    'OFDStudentConnector', 'ProjectorEnsembleConnector',
    'EmbeddingTransformConnector', 'GTLabelConnector', 'TOFDAuxHead',
    'AnchorLabelsConnector', 'GTMultiHotConnector', 'GTSegMapConnector',
    'ResizeConnector', 'SequentialConnector', 'TokenPoolConnector',
    'AnchorTargetsConnector'
]
