"""KD on logits (Hinton et al., 2015) as a preset: the reference row."""
from typing import Optional, Sequence

from ._base import Method, distiller


def kd(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
       tau: float = 4.0, weight: float = 1.0, logits_source: str = 'head.fc',
       teacher_logits_source: Optional[str] = None, hooks: Sequence[dict] = (),
       replace_base: bool = False) -> Method:
    """``KDLoss`` between the teacher's and the student's logits (per
    pixel for a segmentor's (B, C, H, W) logits), teacher in eval mode.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        tau (float): Temperature. Defaults to 4 (CIFAR-style; 1 for
            pixel-wise KD in segmentation, as structured KD).
        weight (float): Loss weight (the loss carries Hinton's ``T^2``).
        logits_source (str): Module whose output is the logits in both
            models (the student's, when ``teacher_logits_source`` is
            given). Defaults to ``'head.fc'`` (mmpretrain's ``LinearClsHead``
            of a CNN).
        teacher_logits_source (str, optional): The teacher's, when its
            path differs: ``'head.layers.head'`` for mmpretrain's
            ``VisionTransformerClsHead`` (ViT, DeiT), or ``'head'`` (any
            mmpretrain head's output; for ``DeiTClsHead`` the average of
            its class and distillation logits). Defaults to
            ``logits_source``. The student's labels are not read.
        hooks (Sequence[dict]): Hooks for ``custom_hooks`` (the task's).
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    logits = dict(type='ModuleOutputRecorder', source=logits_source)
    t_source = teacher_logits_source or logits_source
    t_logits = dict(type='ModuleOutputRecorder', source=t_source)
    model = distiller(
        teacher=teacher, student=student, teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=True, replace_base=replace_base,
        student_recorders=dict(logits=logits),
        teacher_recorders=dict(logits=t_logits),
        distill_losses=dict(loss_kd=dict(type='KDLoss', tau=tau, t_square=True,
                                         loss_weight=weight)),
        loss_forward_mappings=dict(loss_kd=dict(
            s_logits=dict(from_student=True, recorder='logits'), t_logits=dict(
                from_student=False, recorder='logits'))))
    return Method(model, list(hooks))
