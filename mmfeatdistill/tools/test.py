"""Evaluate a checkpoint with the config's test loop (the student's own
evaluator for a distiller).

A distillation config is tested on its student alone (the distiller's
``predict`` is the student's, with the student's data preprocessor): the
teacher, its checkpoint (for TOFD the teacher-with-heads file) and the
connectors are not needed. A distiller checkpoint (``student.`` and
``teacher.`` weights) given with a distillation config or with the
student's own config is evaluated on its student's weights; the log says
which weights were loaded. Both load strictly: a checkpoint that does not
fit the student is an error, never the metric of a half-loaded model.
"""
import argparse
from collections import OrderedDict
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmfeatdistill.utils import (extract_state_dict, load_strict,
                                 resolve_model_cfg, trust_checkpoints,
                                 unwrap_model)
from mmfeatdistill.utils.checkpoint import safe_loaders
from .train import add_common_args, checkpoints_trusted_by, load_config

#: Key prefix of the student's weights in a distiller checkpoint.
STUDENT_PREFIX = 'student.'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser)
    return parser.parse_args(argv)


def is_distillation_config(cfg: Config) -> bool:
    """Whether ``cfg.model`` is a distiller (it has a student and a
    teacher).

    Args:
        cfg (Config): The loaded config.

    Returns:
        bool: True for a distillation config.
    """
    model = cfg.get('model')
    return isinstance(model, dict) and 'student' in model \
        and 'teacher' in model


def student_weights(state_dict: Dict[str, object]) -> Optional[OrderedDict]:
    """The student's weights of a distiller checkpoint's state dict
    (``student.`` entries, without the prefix); None for a plain model's.

    Args:
        state_dict (dict): A checkpoint's state dict.

    Returns:
        OrderedDict, optional: The student's state dict.
    """
    if not any(k.startswith(STUDENT_PREFIX) for k in state_dict) or not any(
            k.startswith('teacher.') for k in state_dict):
        return None
    return OrderedDict((k[len(STUDENT_PREFIX):], v)
                       for k, v in state_dict.items()
                       if k.startswith(STUDENT_PREFIX))


def build_test_runner(cfg: Config, checkpoint: str) -> Runner:
    """Build the Runner that tests ``checkpoint`` with ``cfg``, its model
    holding the weights to evaluate. Call inside :func:`trust_checkpoints`
    with :func:`checkpoints_trusted_by`.

    A distillation config becomes its student's model config; a distiller
    checkpoint gives its student's weights. Either way the weights are
    loaded strictly here (``load_from`` is left unset). A plain config
    with a plain checkpoint is loaded by the Runner (``load_from``), as
    MMEngine's own test tool does.

    Args:
        cfg (Config): The loaded config (changed in place).
        checkpoint (str): Path or URL of the checkpoint.

    Returns:
        Runner: Call ``runner.test()`` for the metrics.

    Raises:
        KeyError: the weights do not fit the (student) model; the message
            lists the missing, unexpected and mismatched tensors.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    distillation = is_distillation_config(cfg)
    with safe_loaders():
        loaded = CheckpointLoader.load_checkpoint(checkpoint,
                                                  map_location='cpu')
    state = extract_state_dict(loaded)
    student = student_weights(state)
    del loaded
    if not distillation and student is None:
        cfg.load_from = checkpoint
        return Runner.from_cfg(cfg)
    if distillation:
        data_preprocessor = cfg.model.get('data_preprocessor') or cfg.get(
            'data_preprocessor')
        cfg.model = resolve_model_cfg(cfg.model.student, 'student',
                                      data_preprocessor)
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    weights = state if student is None else student
    load_strict(unwrap_model(runner.model), weights, checkpoint, 'student')
    if distillation:
        print_log(
            'A distillation config: testing its student alone (the '
            'distiller predicts with the student; the teacher, its '
            'checkpoint and the connectors are not needed).', logger='current')
    if student is None:
        print_log(
            f'Loaded the plain model checkpoint {checkpoint} ({len(state)} '
            f'tensors) into the student.', logger='current')
    else:
        print_log(
            f'{checkpoint} is a distiller checkpoint: loaded its student\'s '
            f'weights ({len(student)} "{STUDENT_PREFIX}" tensors of '
            f'{len(state)}; its teacher and connectors are not used).',
            logger='current')
    return runner


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the test loop; returns the metrics."""
    args = parse_args(argv)
    cfg = load_config(args)
    # weights-only loading unless --trust-checkpoint / trust_checkpoints
    with trust_checkpoints(checkpoints_trusted_by(cfg, args)):
        runner = build_test_runner(cfg, args.checkpoint)
        return runner.test()


if __name__ == '__main__':
    main()
