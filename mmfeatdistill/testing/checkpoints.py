"""Local teacher checkpoints of any model config (random or
trained-looking weights), for tests, benchmarks and smoke runs without
model-zoo downloads."""
import torch
from mmengine.config import Config

from .batchnorm import randomize_bn


def save_model_checkpoint(model_cfg: dict, path: str,
                          seed: int = 0) -> torch.nn.Module:
    """Build a model from its config, save its weights as an MMEngine-style
    checkpoint at ``path`` and return the model."""
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.utils import resolve_model_cfg
    torch.manual_seed(seed)
    spec = dict(model_cfg)
    spec['load_pretrained'] = False
    model = MODELS.build(resolve_model_cfg(spec, 'teacher'))
    if hasattr(model, 'init_weights'):
        model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model


def save_trained_like_teacher(model_cfg: dict, path: str) -> None:
    """Save a teacher whose BN affine parameters look trained (random,
    non-zero weights): a freshly initialised ResNet has zero-initialised
    last BNs (``zero_init_residual``), for which OFD's margin is undefined
    (and raises)."""
    model = save_model_checkpoint(model_cfg, path)
    randomize_bn(model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def save_teacher_with_heads(heads_config: str, ckpt: str, out: str) -> str:
    """The checkpoint ``tools/train_tofd_teacher_heads.py`` writes, with
    untrained heads (enough to build and run the distillation)."""
    model_cfg = Config.fromfile(heads_config).model
    model_cfg.model_ckpt = ckpt
    model_cfg.model = dict(model_cfg.model, load_pretrained=False)
    from mmfeatdistill.registry import MODELS
    trainer = MODELS.build(model_cfg)
    torch.save(trainer.teacher_checkpoint(), out)
    return out
