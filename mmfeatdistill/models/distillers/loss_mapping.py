"""Config mapping from recorded values (through connectors) to loss
arguments: checked against each loss's ``forward`` when the distiller is
built."""
import inspect
from typing import Dict

from torch import nn

from .loss_argument import LossArgument


def build_loss_arguments(loss_name: str, loss: nn.Module, mapping: dict,
                         **managers) -> Dict[str, LossArgument]:
    """Check ``mapping`` against ``loss.forward`` and build its arguments.

    Args:
        loss_name (str): The loss's name in ``distill_losses``.
        loss (nn.Module): The built loss.
        mapping (dict): Its entry of ``loss_forward_mappings``.
        **managers: ``student_recorders``, ``teacher_recorders`` and
            ``connectors`` (built and prepared) of the distiller.

    Returns:
        dict[str, LossArgument]: ``forward`` argument -> argument.

    Raises:
        KeyError: a required argument of the loss is not mapped, or a mapped
            name is not an argument of the loss.
        ValueError: both sides of a pair of ``loss.paired_args`` read the
            student, or both read the teacher; or no argument reaches a
            trainable parameter of the student or of a connector (see
            :meth:`LossArgument.reaches_trainable`), so the loss would
            train nothing.
    """
    params = inspect.signature(loss.forward).parameters
    accepts_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
    names = [
        n for n, p in params.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    required = [
        n for n in names if params[n].default is inspect.Parameter.empty
    ]
    missing = [n for n in required if n not in mapping]
    unknown = [] if accepts_kwargs else [n for n in mapping if n not in names]
    if missing or unknown:
        raise KeyError(
            f'loss_forward_mappings.{loss_name} does not fit '
            f'{type(loss).__name__}.forward({", ".join(names)}): missing '
            f'{missing or "nothing"}, unknown {unknown or "nothing"}.')
    arguments = {
        arg: LossArgument(loss_name, arg, spec, **managers)
        for arg, spec in mapping.items()
    }
    for first, second in getattr(loss, 'paired_args', ()):
        a, b = arguments.get(first), arguments.get(second)
        if a is None or b is None:
            continue
        # (side both read, what comes of it, the argument to fix, its flag)
        for side, result, fix, flag in (
            ('student', 'compares the student with itself (e.g. a KD '
             'loss of exactly 0)', second, 'False'),
            ('teacher', 'compares the teacher with itself and trains '
             'nothing (e.g. a KD loss of exactly 0 on every iteration)', first,
             'True')):
            if getattr(a, f'reads_{side}') and getattr(b, f'reads_{side}'):
                raise ValueError(
                    f'loss_forward_mappings.{loss_name}: {first} and '
                    f'{second} both read the {side}, so '
                    f'{type(loss).__name__} {result}. Set '
                    f'from_student={flag} on {fix}.')
    connectors = managers['connectors']
    if not any(
            arg.reaches_trainable(connectors) for arg in arguments.values()):
        inputs = '; '.join(f'{name}: {arg.describe()}'
                           for name, arg in arguments.items())
        raise ValueError(
            f'loss_forward_mappings.{loss_name}: none of the inputs of '
            f'{type(loss).__name__} ({inputs or "none"}) reaches a trainable '
            f'parameter of the student or of a connector, so {loss_name} '
            f'would train nothing (labels and teacher features carry no '
            f'gradient). Read the student on its student side: set '
            f'from_student=True on the student\'s argument (a student '
            f'recorder), or pass it through a connector with trainable '
            f'parameters.')
    return arguments


def build_all_loss_arguments(distill_losses: nn.ModuleDict, mappings: dict,
                             **managers) -> Dict[str, Dict[str, LossArgument]]:
    """Check the losses' names against their mappings and build every
    loss's arguments (:func:`build_loss_arguments`), in the losses' order.

    Args:
        distill_losses (nn.ModuleDict): The built losses.
        mappings (dict): The config's ``loss_forward_mappings``.
        **managers: ``student_recorders``, ``teacher_recorders`` and
            ``connectors``.

    Raises:
        KeyError: a loss name without "loss" (MMEngine would not optimise
            it) or named "loss", or a loss and its mapping not in pairs.
    """
    for name in distill_losses:
        if 'loss' not in name or name == 'loss':
            raise KeyError(
                f'Distillation loss name {name!r} must contain "loss" '
                f'(MMEngine only optimises keys containing "loss") and must '
                f'not be "loss" itself (MMEngine logs the total under that '
                f'key): rename it, e.g. to "loss_{name}" or "loss_distill".')
    unmapped = set(distill_losses) ^ set(mappings)
    if unmapped:
        raise KeyError(f'Every loss in distill_losses needs an entry in '
                       f'loss_forward_mappings and vice versa; unmatched: '
                       f'{sorted(unmapped)}.')
    return {
        name: build_loss_arguments(name, loss, mappings[name], **managers)
        for name, loss in distill_losses.items()
    }
