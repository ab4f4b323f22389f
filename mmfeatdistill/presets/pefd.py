"""PEFD's model block (Chen et al., NeurIPS 2022), classification."""


def pefd_distiller(*,
                   teacher: dict,
                   student: dict,
                   teacher_ckpt: str,
                   student_dim: int,
                   teacher_dim: int,
                   alpha: float = 25.0,
                   num_projectors: int = 3,
                   source: str = 'neck') -> dict:
    """A ``FeatureDistiller`` config for PEFD on penultimate features.

    The student's embedding goes through an ensemble of ``num_projectors``
    Linear+ReLU projectors to the teacher's width; the loss is
    ``DirectionAlignmentLoss(alpha)`` against the teacher's embedding, no
    KD term, teacher in eval mode (PEFD).

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        student_dim (int): Width of the student's embedding.
        teacher_dim (int): Width of the teacher's embedding.
        alpha (float): Loss weight. Defaults to 25.0.
        num_projectors (int): Projectors in the ensemble. Defaults to 3.
        source (str): Module whose output (a tuple, first item used) is
            the embedding in both models. Defaults to ``'neck'`` (the
            classifier's global average pooling).

    Returns:
        dict: The ``model`` config.
    """
    return dict(
        type='FeatureDistiller',
        teacher=teacher,
        teacher_ckpt=teacher_ckpt,
        student=student,
        teacher_norm_eval=True,  # PEFD: teacher in eval mode
        student_recorders=dict(
            feat=dict(type='ModuleOutputRecorder', source=source)),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputRecorder', source=source)),
        connectors=dict(projector=dict(
            type='ProjectorEnsembleConnector', in_channels=student_dim,
            out_channels=teacher_dim, num_projectors=num_projectors,
            act='relu')),
        distill_losses=dict(
            loss_pefd=dict(type='DirectionAlignmentLoss', loss_weight=alpha)),
        loss_forward_mappings=dict(loss_pefd=dict(
            s_feature=dict(from_student=True, recorder='feat', index=0,
                           connector='projector'),
            t_feature=dict(from_student=False, recorder='feat', index=0))),
    )
