"""Write the student of a distillation checkpoint as a plain checkpoint that
the student's own package loads (no teacher, connectors or losses)."""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import List, Optional

from mmfeatdistill.utils import (atomic_save, extract_state_dict,
                                 read_checkpoint)


def extract_student(checkpoint: dict, prefix: str = 'student.') -> dict:
    """Return ``{'state_dict': ..., 'meta': ...}`` of the student only.

    Args:
        checkpoint (dict): A checkpoint written by MMEngine for a
            :class:`FeatureDistiller`.
        prefix (str): The student's key prefix. Defaults to ``'student.'``.

    Raises:
        KeyError: when no key has the prefix (not a distillation checkpoint).
    """
    state_dict = extract_state_dict(checkpoint)  # without DDP's 'module.'
    student = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                          if k.startswith(prefix))
    if not student:
        heads = sorted({k.split('.')[0] for k in state_dict})
        raise KeyError(
            f'No key starts with {prefix!r}: this is not a distillation '
            f'checkpoint (top-level keys: {heads}).')
    meta = dict(checkpoint.get('meta') or {})
    meta['exported_by'] = 'mmfeatdistill.tools.export_student'
    return dict(state_dict=student, meta=meta)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the student of a distillation checkpoint')
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='output file for the student')
    parser.add_argument('--prefix', default='student.')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle the checkpoint fully (weights_only=False): only for a '
        'file you trust')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    if osp.abspath(args.out) == osp.abspath(args.checkpoint):
        raise ValueError('The output must not overwrite the input checkpoint.')
    exported = extract_student(
        read_checkpoint(args.checkpoint, 'source',
                        trust=args.trust_checkpoint), args.prefix)
    atomic_save(exported, args.out)
    print(f'Wrote {len(exported["state_dict"])} student tensors to '
          f'{args.out}')
    return args.out


if __name__ == '__main__':
    main()
