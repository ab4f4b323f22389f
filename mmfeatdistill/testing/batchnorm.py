"""BN parameters that look trained. torch only, no import of the package:
``benchmarks/peers.py`` loads this file by its path in the peers'
environments (MMRazor's, torchdistill's), which cannot import
mmfeatdistill."""
import torch


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
