"""OFD (Heo et al., ICCV 2019) connectors: margin ReLU on the teacher side,
1x1 conv + BN on the student side."""
import math
from typing import Optional

import numpy as np
import torch
from scipy.stats import norm
from torch import nn
from torch.nn import functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from mmfeatdistill.registry import MODELS
from ..recorders import get_submodule_or_explain
from .base_connector import BaseConnector
from .utils import check_channels


def refuse_tokens(connector: nn.Module, feature: torch.Tensor) -> None:
    """Raise when ``feature`` is a transformer's (B, N, C) token sequence:
    OFD's margin ReLU and its 1x1-conv student transform work on (B, C, H,
    W) maps of pre-activation features (a CNN's), which tokens are not."""
    if feature.dim() == 3:
        raise ValueError(
            f'{type(connector).__name__} got a (B, N, C) token sequence of '
            f'shape {tuple(feature.shape)}: OFD distils (B, C, H, W) maps of '
            f'pre-activation features (a CNN\'s, margins from its BN or '
            f'running estimates), and a transformer\'s tokens are none '
            f'(see "Pairs of different architectures" in docs/methods.md). '
            f"For a transformer use nd (tokens= / teacher_tokens='cls' or "
            f"'mean') or pefd on its (B, C) embedding (the class token, "
            f"position('backbone', 0))")


@MODELS.register_module()
class OFDTeacherConnector(BaseConnector):
    """Margin ReLU ``T = max(t, m_c)`` on a pre-ReLU teacher feature.

    ``m_c = E[x | x < 0]`` for ``x ~ N(mu_c, sigma_c^2)``; the margin is a
    buffer of shape (1, C, 1, 1), so checkpoints, resume and export keep it.
    It is filled in one of two ways:

    * ``bn='backbone.layer1.1.norm2'``: from the teacher BN that produces the
      feature (``mu = bn.bias``, ``sigma = |bn.weight|``, closed form of
      :meth:`margin_from_bn`), once, after the teacher checkpoint is loaded.
    * ``bn=None``: no BN precedes the position; the margin is the running
      mean of the teacher's negative responses, per channel, over every
      training batch seen so far (sums kept in float64 buffers).

    Args:
        channels (int): Number of channels C of the feature.
        bn (str, optional): Module path of the teacher BN. Defaults to None.
        phi_threshold (float): Below this ``Phi(-mu/sigma)`` the margin is
            ``-3 * sigma``. Defaults to 0.001 (OFD's released code).
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, channels: int, bn: Optional[str] = None,
                 phi_threshold: float = 0.001,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.channels = channels
        self.bn = bn
        self.phi_threshold = phi_threshold
        self.register_buffer('margin', torch.zeros(1, channels, 1, 1))
        if bn is None:
            self.register_buffer('neg_sum',
                                 torch.zeros(channels, dtype=torch.float64))
            self.register_buffer('neg_count',
                                 torch.zeros(channels, dtype=torch.float64))

    @staticmethod
    def margin_from_bn(bn: _BatchNorm,
                       phi_threshold: float = 0.001) -> torch.Tensor:
        """``E[x | x < 0]`` per channel for ``x ~ N(bn.bias, bn.weight^2)``.

        ``m = mu - sigma * phi(mu / sigma) / Phi(-mu / sigma)``; where
        ``Phi(-mu / sigma) <= phi_threshold``, ``m = -3 * sigma``. Computed in
        float64.

        Args:
            bn (_BatchNorm): The BN that produces the pre-ReLU feature.
            phi_threshold (float): Defaults to 0.001.

        Returns:
            Tensor: float32 margins of shape (1, C, 1, 1).

        Raises:
            ValueError: when a channel has ``weight == 0`` (zero std: the
                conditional mean is undefined).
        """
        if not isinstance(bn, _BatchNorm) or bn.weight is None:
            raise TypeError(f'margin_from_bn needs an affine BatchNorm, got '
                            f'{type(bn).__name__}')
        sigma = bn.weight.detach().abs().double().cpu().numpy()
        mu = bn.bias.detach().double().cpu().numpy()
        zero = np.flatnonzero(sigma == 0)
        if zero.size:
            raise ValueError(
                f'OFD margin: BN channel(s) {zero.tolist()[:10]} have weight '
                f'0, i.e. a zero standard deviation, so E[x | x < 0] is '
                f'undefined. Use another position, a teacher whose BN has no '
                f'zero weights, or bn=None for a running estimate.')
        z = mu / sigma
        tail = norm.cdf(-z)
        with np.errstate(divide='ignore', invalid='ignore'):
            margin = np.where(tail > phi_threshold,
                              mu - sigma * norm.pdf(z) / tail, -3 * sigma)
        return torch.from_numpy(margin).float().view(1, -1, 1, 1)

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_checkpoint: Optional[dict] = None) -> None:
        """Fill the margin from the teacher's BN named by ``bn``."""
        if self.bn is None:
            return
        bn = get_submodule_or_explain(teacher, self.bn, 'teacher')
        if not isinstance(bn, _BatchNorm):
            raise TypeError(
                f'OFDTeacherConnector(bn={self.bn!r}) must name a BatchNorm '
                f'of the teacher, found {type(bn).__name__}.')
        if bn.num_features != self.channels:
            raise ValueError(
                f'OFDTeacherConnector(channels={self.channels}) does not '
                f'match '
                f'the {bn.num_features} channels of teacher BN {self.bn!r}.')
        try:
            margin = self.margin_from_bn(bn, self.phi_threshold)
        except ValueError as err:
            raise ValueError(f'teacher BN {self.bn!r}: {err}') from None
        self.margin.copy_(margin)

    @torch.no_grad()
    def _update_running_margin(self, feature: torch.Tensor) -> None:
        # per-channel sums in float64, one sample at a time: no float64
        # copy of the whole feature (clamping is exact in either
        # precision; the counts are exact integers)
        dims = [d for d in range(feature.dim()) if d != 1]
        for sample in feature.detach().split(1):
            self.neg_sum += sample.double().clamp_(max=0).sum(dims)
            self.neg_count += (sample < 0).sum(dims).double()
        estimate = self.neg_sum / self.neg_count.clamp(min=1)
        self.margin.copy_(estimate.float().view(1, -1, 1, 1))

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        refuse_tokens(self, feature)
        check_channels(self, feature, self.channels, 'channels')
        if self.bn is None and self.training:
            self._update_running_margin(feature)
        margin = self.margin.to(feature.dtype)
        if feature.dim() != margin.dim():
            margin = margin.view(1, -1, *([1] * (feature.dim() - 2)))
        return torch.max(feature, margin)

    def extra_repr(self) -> str:
        return f'channels={self.channels}, bn={self.bn!r}'


@MODELS.register_module()
class OFDStudentConnector(BaseConnector):
    """1x1 conv (no bias) + BN, OFD's student transform.

    Init as in OFD's code: conv weight ~ N(0, sqrt(2 / (k * k * C_out))),
    BN weight 1, bias 0. Trained with the student, left out of the export.

    With ``recompute=True`` a training forward keeps only its input for
    backward (the student's record, alive anyway) and computes the 1x1
    conv's output again in backward, instead of keeping it for the BN
    (a map of the teacher's width: OFD's largest own tensor on big maps).
    Values, gradients and the BN's running statistics (updated once per
    forward) are those of the plain forward; the price is the BN run twice
    in the forward (once without autograd, for its running statistics) and
    the 1x1 conv and the normalisation once more in backward. Applies to a
    plain ``BatchNorm2d`` in training mode; a ``SyncBatchNorm`` (MMEngine's
    ``sync_bn``) or a BN in eval mode takes the plain forward.

    Args:
        in_channels (int): Student channels.
        out_channels (int): Teacher channels.
        recompute (bool): Recompute the conv output in backward instead of
            keeping it (see above). Defaults to False.
        init_cfg (dict, optional): Unused (the spec's init is applied).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 recompute: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.recompute = recompute
        self._update_statistics = False
        self.init_weights()

    def init_weights(self) -> None:
        k = self.conv.kernel_size[0] * self.conv.kernel_size[1]
        nn.init.normal_(self.conv.weight, 0.0,
                        math.sqrt(2.0 / (k * self.conv.out_channels)))
        nn.init.ones_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        refuse_tokens(self, feature)
        check_channels(self, feature, self.conv.in_channels)
        # only a plain BatchNorm2d normalising with batch statistics is
        # recomputed exactly (not a SyncBatchNorm, not a BN in eval mode)
        if not (self.recompute and self.training and self.bn.training and type(
                self.bn) is nn.BatchNorm2d and torch.is_grad_enabled()):
            return self.bn(self.conv(feature))
        # the running statistics are updated in this first call only, not
        # again when backward recomputes it
        self._update_statistics = True
        return checkpoint(self._transform, feature, use_reentrant=False,
                          preserve_rng_state=False)

    def _transform(self, feature: torch.Tensor) -> torch.Tensor:
        """conv + BN with batch statistics (the training forward)."""
        out = self.conv(feature)
        if self._update_statistics:
            self._update_statistics = False
            with torch.no_grad():
                self.bn(out)
        return F.batch_norm(out, None, None, self.bn.weight, self.bn.bias,
                            True, 0.0, self.bn.eps)
