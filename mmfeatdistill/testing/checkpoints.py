"""Local teacher checkpoints of any model config (random or
trained-looking weights), for tests, benchmarks and smoke runs without
model-zoo downloads."""
import torch
from mmengine.config import Config


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


def randomize_bn(model: torch.nn.Module, seed: int = 0) -> None:
    """Draw the BN affine parameters of ``model`` non-zero, as a trained
    model's (weights in [0.5, 1.5), biases N(0, 0.25)), in place.

    Args:
        model (nn.Module): The model.
        seed (int): Seed of the draw. Defaults to 0.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and \
                    m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.5)


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
