from .checkpoint import (extract_state_dict, load_strict, read_checkpoint,
                         trusted_checkpoint_loading)
from .class_means import (class_means_for_runner, extract_class_means,
                          load_class_means, one_pass_dataloader,
                          save_class_means, teacher_checkpoint_hash)
from .data_samples import gt_labels, unwrap_model
from .model_cfg import (load_package_config, resolve_model_cfg,
                        strip_pretrained)

__all__ = [
    'read_checkpoint', 'extract_state_dict', 'load_strict',
    'trusted_checkpoint_loading', 'class_means_for_runner',
    'extract_class_means', 'load_class_means', 'save_class_means',
    'one_pass_dataloader',
    'teacher_checkpoint_hash', 'gt_labels', 'unwrap_model',
    'resolve_model_cfg', 'strip_pretrained', 'load_package_config'
]
