"""Give the teacher the normalisation it was trained with."""
from typing import Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

_Normalisation = Tuple[bool, Optional[torch.Tensor], Optional[torch.Tensor]]


def normalisation(
        preprocessor: Optional[nn.Module]) -> Optional[_Normalisation]:
    """``(flip, mean, std)`` of an OpenMMLab image data preprocessor
    (mmengine's, mmpretrain's, mmdet's and mmseg's): whether it reverses the
    channel order (BGR <-> RGB) and its mean/std (None without
    normalisation); None for a preprocessor of another kind."""
    if preprocessor is None or not hasattr(preprocessor, '_enable_normalize'):
        return None
    flip = False
    for name in ('_channel_conversion', 'channel_conversion', 'to_rgb'):
        flip = flip or bool(getattr(preprocessor, name, False))
    if not preprocessor._enable_normalize:
        return flip, None, None
    return (flip, preprocessor.mean.detach().flatten().cpu().float(),
            preprocessor.std.detach().flatten().cpu().float())


class TeacherInputs:
    """Maps the student's preprocessed inputs to the teacher's: undo the
    student's normalisation and channel order, apply the teacher's.

    The distiller runs one data preprocessor (the student's); a teacher
    whose config normalises differently (other mean/std, BGR vs RGB) would
    otherwise see inputs it was never trained on. The map is exact for
    per-channel affine normalisation; padded borders keep the student's
    padding value mapped through it.

    Args:
        student (nn.Module): The student's data preprocessor.
        teacher (nn.Module): The teacher's data preprocessor.
    """

    def __init__(self, student: Optional[nn.Module],
                 teacher: Optional[nn.Module]) -> None:
        s, t = normalisation(student), normalisation(teacher)
        self.active = False
        if s is None or t is None:
            if s != t:
                print_log(
                    'The teacher\'s or the student\'s data preprocessor is '
                    'of an unknown kind: the teacher gets the student\'s '
                    'preprocessed inputs unchanged.', logger='current',
                    level=30)
            return
        (s_flip, s_mean, s_std), (t_flip, t_mean, t_std) = s, t
        self.flip = s_flip != t_flip
        same = (s_mean is None) == (t_mean is None) and (
            s_mean is None or
            (torch.equal(s_mean, t_mean) and torch.equal(s_std, t_std)))
        self.active = self.flip or not same
        self.s_mean, self.s_std, self.t_mean, self.t_std = (s_mean, s_std,
                                                            t_mean, t_std)
        if self.active:
            print_log(
                f'The teacher\'s data preprocessor differs from the '
                f'student\'s (student: mean {_fmt(s_mean)}, std '
                f'{_fmt(s_std)}, channels reversed {s_flip}; teacher: mean '
                f'{_fmt(t_mean)}, std {_fmt(t_std)}, channels reversed '
                f'{t_flip}): the teacher gets its own normalisation.',
                logger='current')

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """The teacher's inputs for the student's (B, C, H, W) ``inputs``."""
        if not self.active or not isinstance(inputs, torch.Tensor) or \
                inputs.dim() != 4:
            return inputs
        x = inputs.float()
        shape = (1, -1, 1, 1)
        if self.s_mean is not None:
            x = x * self.s_std.to(x.device).view(shape) + \
                self.s_mean.to(x.device).view(shape)
        if self.flip and x.shape[1] == 3:
            x = x.flip(1)
        if self.t_mean is not None:
            x = (x - self.t_mean.to(x.device).view(shape)) / \
                self.t_std.to(x.device).view(shape)
        return x.to(inputs.dtype)


def _fmt(values: Optional[torch.Tensor]) -> str:
    return 'none' if values is None else \
        '[' + ', '.join(f'{v:.2f}' for v in values.tolist()) + ']'
