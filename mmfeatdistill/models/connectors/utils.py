"""Shared operations of the connectors on vectors and maps."""
import torch
import torch.nn.functional as F
from torch import nn


def pool_maps(feature: torch.Tensor, pool: bool = True) -> torch.Tensor:
    """Global-average-pool a (B, C, H, W) map to (B, C) when ``pool``;
    vectors and unpooled maps pass unchanged."""
    if pool and feature.dim() == 4:
        return feature.mean(dim=(2, 3))
    return feature


def linear_map(linear: nn.Linear, feature: torch.Tensor) -> torch.Tensor:
    """``linear`` on (B, C) vectors, or at every position of a
    (B, C, H, W) map (a 1x1 convolution with the same weight and bias),
    giving (B, D, H, W)."""
    if feature.dim() == 4:
        return F.conv2d(feature, linear.weight[:, :, None, None], linear.bias)
    return linear(feature)


def check_channels(connector: nn.Module, feature: torch.Tensor, expected: int,
                   argument: str = 'in_channels') -> None:
    """Raise naming the connector's width argument when ``feature`` has
    another number of channels (dim 1) than ``expected``."""
    if feature.dim() < 2 or feature.shape[1] != expected:
        raise ValueError(
            f'{type(connector).__name__}({argument}={expected}) got a '
            f'feature of shape {tuple(feature.shape)}: its channels (dim 1) '
            f'must be {expected}. Set {argument} (in a preset: the '
            f'student/teacher channels or dim) to the recorded width.')


def detection_instances(sample, index: int, field: str = 'gt_instances'):
    """The ``field`` instances (mmengine ``InstanceData``) of detection
    data sample ``index``, or a ``KeyError`` naming the recorder that
    gives the detection head's samples.

    Args:
        sample: An mmdet ``DetDataSample``.
        index (int): Its index in the batch (for the message).
        field (str): Defaults to ``'gt_instances'``.
    """
    instances = getattr(sample, field, None)
    if instances is None:
        raise KeyError(f'data sample {index} has no {field!r}; record the '
                       f"samples of the detection head's loss "
                       f"(MethodInputRecorder(source='bbox_head.loss', "
                       f'arg_index=1)).')
    return instances
