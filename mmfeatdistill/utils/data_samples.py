"""Small helpers shared by connectors, hooks and tools."""
from typing import Sequence

import torch
from mmengine.model import is_model_wrapper
from torch import nn


def gt_labels(data_samples: Sequence, field: str = 'gt_label') -> torch.Tensor:
    """A (B,) LongTensor of the samples' labels (first label of each).

    Raises:
        KeyError: a sample has no ``field``.
    """
    labels = []
    for i, sample in enumerate(data_samples):
        value = getattr(sample, field, None)
        if value is None:
            raise KeyError(
                f'data sample {i} has no {field!r}; record the samples that '
                f"carry labels (e.g. MethodInputRecorder(source='head.loss', "
                f'arg_index=1)).')
        labels.append(torch.as_tensor(value).reshape(-1)[:1])
    return torch.cat(labels).long()


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a DDP/other MMEngine wrapper, or the model."""
    return model.module if is_model_wrapper(model) else model
