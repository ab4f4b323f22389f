"""One embedding per image from a transformer's (B, N, C) tokens."""
from typing import Optional

import torch

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector

_MODES = ('cls', 'mean')


@MODELS.register_module()
class TokenPoolConnector(BaseConnector):
    """(B, N, C) tokens -> (B, C): the class token or the mean token.

    For losses that read one embedding per image (ND, PEFD's pooled
    feature) from a position that records a transformer's token sequence
    (e.g. a ViT block's output, or the backbone with ``out_type='raw'``).
    mmpretrain's backbones give the same (B, C) embeddings directly with
    ``out_type='cls_token'`` or ``'avg_featmap'``; this connector is for the
    positions that do not.

    Args:
        mode (str): ``'cls'``: the token at ``cls_index`` (the class token
            of mmpretrain's ViT and DeiT, 0). ``'mean'``: the mean of the
            tokens from ``num_extra_tokens`` on (the patch tokens; 1 skips
            ViT's class token, 2 DeiT-distilled's class and distillation
            tokens), as ``out_type='avg_featmap'`` pools them. Defaults to
            ``'cls'``.
        cls_index (int): Index of the class token. Defaults to 0.
        num_extra_tokens (int): Leading tokens left out of the mean.
            Defaults to 0.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, mode: str = 'cls', cls_index: int = 0,
                 num_extra_tokens: int = 0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if mode not in _MODES:
            raise ValueError(f'TokenPoolConnector: mode must be one of '
                             f'{_MODES}, got {mode!r}.')
        self.mode = mode
        self.cls_index = cls_index
        self.num_extra_tokens = num_extra_tokens

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 3:
            raise ValueError(
                f'TokenPoolConnector expects (B, N, C) tokens, got a '
                f'feature of shape {tuple(tokens.shape)}: record a '
                f'position whose output is a token sequence, or drop the '
                f'connector (nd(tokens=None)) for a (B, C) embedding.')
        if self.mode == 'cls':
            return tokens[:, self.cls_index]
        if tokens.shape[1] <= self.num_extra_tokens:
            raise ValueError(
                f'TokenPoolConnector(num_extra_tokens='
                f'{self.num_extra_tokens}) got only {tokens.shape[1]} '
                f'tokens: nothing is left to average.')
        return tokens[:, self.num_extra_tokens:].mean(dim=1)
