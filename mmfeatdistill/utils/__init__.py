from .checkpoint import (extract_state_dict, load_strict, read_checkpoint,
                         trusted_checkpoint_loading)
from .model_cfg import (load_package_config, resolve_model_cfg,
                        strip_pretrained)

__all__ = [
    'read_checkpoint', 'extract_state_dict', 'load_strict',
    'trusted_checkpoint_loading',
    'resolve_model_cfg', 'strip_pretrained', 'load_package_config'
]
