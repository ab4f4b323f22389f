"""Small helpers shared by connectors, hooks and tools."""
from typing import Any, List, Sequence

import torch
from mmengine.model import is_model_wrapper
from torch import nn


def sample_fields(data_samples: Sequence, field: str,
                  recorded: str) -> List[Any]:
    """The ``field`` of every recorded data sample, in order.

    Args:
        data_samples (Sequence): Data samples a recorder recorded.
        field (str): The attribute to read (``'gt_label'``, ...).
        recorded (str): What to record instead, for the message of a sample
            without ``field`` (``"the samples of the decode head's loss
            (...)"``).

    Raises:
        KeyError: a sample has no ``field``.
    """
    values = []
    for i, sample in enumerate(data_samples):
        value = getattr(sample, field, None)
        if value is None:
            raise KeyError(
                f'data sample {i} has no {field!r}; record {recorded}.')
        values.append(value)
    return values


def gt_labels(data_samples: Sequence, field: str = 'gt_label') -> torch.Tensor:
    """A (B,) LongTensor of the samples' labels (first label of each).

    Raises:
        KeyError: a sample has no ``field``.
    """
    values = sample_fields(
        data_samples, field,
        "the samples that carry labels (e.g. MethodInputRecorder("
        "source='head.loss', arg_index=1))")
    return torch.cat([torch.as_tensor(v).reshape(-1)[:1]
                      for v in values]).long()


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a DDP/other MMEngine wrapper, or the model."""
    return model.module if is_model_wrapper(model) else model
