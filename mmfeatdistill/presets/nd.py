"""ND with KD ("KD++", Wang et al., ECCV 2024): classification and
per-pixel (segmentation)."""
from typing import List, Optional


def nd_kdpp_distiller(*,
                      teacher: dict,
                      student: dict,
                      teacher_ckpt: str,
                      student_dim: int,
                      teacher_dim: int,
                      class_means: str,
                      kd_tau: float,
                      kd_weight: float,
                      nd_weight: float,
                      feature_source: str = 'neck',
                      logits_source: str = 'head.fc',
                      samples_source: str = 'head.loss',
                      dense: bool = False,
                      ignore_index: int = 255) -> dict:
    """A ``FeatureDistiller`` config for KD++: ``KDLoss`` on the logits and
    ``NDLoss`` on the embedding against the teacher's class means.

    Where the widths differ, the student's embedding is mapped to the
    teacher's by ``EmbeddingTransformConnector`` (ND's BN1d-Dropout-Linear).
    Teacher in eval mode (ND). Pair with :func:`nd_kdpp_hooks`.

    With ``dense`` (segmentation) the embeddings are per pixel: the feature
    source's output is the map itself, the transform runs at every position
    (``pool_maps=False``), the labels are the label maps
    (``GTSegMapConnector``) and the loss is ``DenseNDLoss`` (pixels labelled
    ``ignore_index`` skipped); KD runs on the per-pixel logits.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        student_dim (int): Width of the student's embedding.
        teacher_dim (int): Width of the teacher's embedding.
        class_means (str): File of the teacher's class means (computed
            before training by ``ClassMeansHook`` when missing).
        kd_tau (float): KD temperature (4 CIFAR, 1 ImageNet).
        kd_weight (float): KD weight (ND's per-dataset settings).
        nd_weight (float): ND weight.
        feature_source (str): Module whose output (first item) is the
            embedding. Defaults to ``'neck'``.
        logits_source (str): Module whose output is the logits. Defaults
            to ``'head.fc'``.
        samples_source (str): Method whose input 1 holds the data samples
            (the labels). Defaults to ``'head.loss'``.
        dense (bool): Per-pixel ND (segmentation). Defaults to False.
        ignore_index (int): Label skipped by the dense loss. Defaults to
            255 (VOC). Unused unless ``dense``.

    Returns:
        dict: The ``model`` config.
    """
    transform = student_dim != teacher_dim
    # a classifier's neck returns a tuple; a dense feature is the map itself
    feature_index = {} if dense else dict(index=0)
    if dense:
        labels = dict(type='GTSegMapConnector')
        nd_loss = dict(type='DenseNDLoss', ignore_index=ignore_index)
        transform_args = dict(pool_maps=False)
    else:
        labels = dict(type='GTLabelConnector')
        nd_loss = dict(type='NDLoss')
        transform_args = {}
    return dict(
        type='FeatureDistiller',
        teacher=teacher,
        teacher_ckpt=teacher_ckpt,
        student=student,
        teacher_norm_eval=True,  # ND: teacher in eval mode
        student_recorders=dict(
            feat=dict(type='ModuleOutputRecorder', source=feature_source),
            logits=dict(type='ModuleOutputRecorder', source=logits_source),
            samples=dict(type='MethodInputRecorder', source=samples_source,
                         arg_index=1)),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputRecorder', source=feature_source),
            logits=dict(type='ModuleOutputRecorder', source=logits_source)),
        connectors=dict(
            labels=labels,
            **(dict(transform=dict(type='EmbeddingTransformConnector',
                                   in_channels=student_dim,
                                   out_channels=teacher_dim,
                                   **transform_args))
               if transform else {})),
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', tau=kd_tau, t_square=True,
                         loss_weight=kd_weight),
            loss_nd=dict(nd_loss, loss_weight=nd_weight,
                         class_means=class_means)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                s_logits=dict(from_student=True, recorder='logits'),
                t_logits=dict(from_student=False, recorder='logits')),
            loss_nd=dict(
                s_feature=dict(from_student=True, recorder='feat',
                               **feature_index,
                               **(dict(connector='transform')
                                  if transform else {})),
                t_feature=dict(from_student=False, recorder='feat',
                               **feature_index),
                labels=dict(from_student=True, recorder='samples',
                            connector='labels'))),
    )


def nd_kdpp_hooks(kd_warmup_epochs: Optional[int] = None,
                  kd_warmup_iters: Optional[int] = None) -> List[dict]:
    """KD++'s hooks: the class means before training (skipped when the file
    exists and fits) and the linear warm-up of the KD weight.

    Args:
        kd_warmup_epochs (int, optional): Epochs of the KD warm-up (20
            CIFAR, 5 ImageNet).
        kd_warmup_iters (int, optional): Iterations of the KD warm-up, for
            iteration-based schedules (segmentation). Give exactly one.

    Returns:
        list[dict]: Configs for ``custom_hooks``.
    """
    if (kd_warmup_epochs is None) == (kd_warmup_iters is None):
        raise ValueError(
            'nd_kdpp_hooks: give exactly one of kd_warmup_epochs (epoch-based '
            'schedules) and kd_warmup_iters (iteration-based schedules), got '
            f'kd_warmup_epochs={kd_warmup_epochs}, '
            f'kd_warmup_iters={kd_warmup_iters}.')
    warmup = (dict(warmup_epochs=kd_warmup_epochs)
              if kd_warmup_iters is None else
              dict(warmup_iters=kd_warmup_iters))
    return [
        dict(type='ClassMeansHook', loss_names='loss_nd'),
        dict(type='LossWeightWarmupHook', loss_names=['loss_kd'], **warmup),
    ]
