from .checkpoint import (ResumeFallbackWarning, UnreadableCheckpointError,
                         UntrustedCheckpointError, atomic_save,
                         extract_state_dict, find_resumable_checkpoint,
                         load_strict, read_checkpoint, trust_checkpoints,
                         trusted_checkpoint_loading)
from .data_samples import gt_labels, unwrap_model
from .model_cfg import load_package_config, resolve_model_cfg, strip_pretrained
from .optim_steps import (ACCUMULATIVE_COUNTS, accumulative_counts,
                          optimizer_steps)

__all__ = [
    'read_checkpoint', 'extract_state_dict', 'load_strict',
    'trusted_checkpoint_loading', 'trust_checkpoints',
    'UntrustedCheckpointError', 'UnreadableCheckpointError', 'atomic_save',
    'find_resumable_checkpoint', 'ResumeFallbackWarning', 'gt_labels',
    'unwrap_model', 'resolve_model_cfg', 'strip_pretrained',
    'load_package_config', 'ACCUMULATIVE_COUNTS', 'accumulative_counts',
    'optimizer_steps'
]
