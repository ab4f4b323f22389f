"""Loading checkpoints into a distiller: a plain student's, or another
run's teacher."""
from typing import TYPE_CHECKING

import torch
from mmengine.logging import print_log

if TYPE_CHECKING:
    from .feature_distiller import FeatureDistiller

#: Top-level attributes of a distiller's state dict.
DISTILLER_PREFIXES = ('student.', 'teacher.', 'connectors.', 'distill_losses.',
                      'data_preprocessor.')


def migrate_state_dict(distiller: 'FeatureDistiller', state_dict: dict,
                       prefix: str) -> bool:
    """Prepare ``state_dict`` (in place) for the distiller at ``prefix``.

    ``load_from`` with an exported (plain) student checkpoint loads it
    into the student; a distiller checkpoint whose teacher differs from
    the configured one replaces it, with a warning. A plain checkpoint
    whose names match the student's but whose shapes mostly do not (under
    90% of the name-matched tensors, e.g. the wider teacher's checkpoint)
    is an error: MMEngine would skip every mismatch and train the student
    from its initialisation.

    Args:
        distiller (FeatureDistiller): The model being loaded.
        state_dict (dict): The state dict (changed in place).
        prefix (str): The distiller's prefix in it.

    Returns:
        bool: Whether the checkpoint replaces the teacher's weights.

    Raises:
        ValueError: a plain checkpoint of another width or architecture;
            the message lists the first mismatches.
    """
    own = [k for k in state_dict if k.startswith(prefix)]
    if own and not any(k[len(prefix):].startswith(DISTILLER_PREFIXES)
                       for k in own):
        student = distiller.student.state_dict()
        plain = [k for k in own if k[len(prefix):] in student]
        other_shapes = [
            f'{k[len(prefix):]}: checkpoint {tuple(state_dict[k].shape)}'
            f', student {tuple(student[k[len(prefix):]].shape)}' for k in plain
            if isinstance(state_dict[k], torch.Tensor)
            and state_dict[k].shape != student[k[len(prefix):]].shape
        ]
        fit = len(plain) - len(other_shapes)
        if plain and fit < 0.9 * len(plain):
            raise ValueError(
                f'The checkpoint holds a plain model whose tensor names '
                f'match the student\'s but whose shapes do not: only '
                f'{fit} of the {len(plain)} name-matched tensors have '
                f'the student\'s shape (first mismatches: '
                f'{"; ".join(other_shapes[:5])}). It is a checkpoint of '
                f'another width or architecture (e.g. the teacher\'s); '
                f'loading it would leave the student at its '
                f'initialisation. Give load_from a checkpoint of the '
                f'student\'s own config (tools/export_student.py '
                f'writes one from a distillation run), or remove '
                f'load_from.')
        if plain:
            skipped = (f'; the {len(other_shapes)} of other shapes are '
                       f'skipped' if other_shapes else '')
            print_log(
                f'The checkpoint holds a plain model ({fit} of its '
                f'{len(own)} tensors match the student\'s weights in '
                f'name and shape{skipped}): loading it into the '
                f'student.', logger='current')
            for key in own:
                state_dict[f'{prefix}student.{key[len(prefix):]}'] = \
                    state_dict.pop(key)
    teacher = {
        k[len(prefix) + len('teacher.'):]: v
        for k, v in state_dict.items() if k.startswith(prefix + 'teacher.')
    }
    if teacher:
        current = distiller.teacher.state_dict()
        differ = [
            k for k, v in teacher.items()
            if k in current and isinstance(v, torch.Tensor) and (
                v.shape != current[k].shape
                or not torch.equal(v.cpu(), current[k].cpu()))
        ]
        if differ:
            print_log(
                f'The checkpoint replaces the teacher loaded from '
                f'teacher_ckpt ({distiller.teacher_ckpt!r}): {len(differ)} '
                f'teacher tensors differ (e.g. {differ[0]!r}). To keep '
                f'the configured teacher, load a student checkpoint '
                f'(tools/export_student.py) instead.', logger='current',
                level=30)
            return True
    return False
