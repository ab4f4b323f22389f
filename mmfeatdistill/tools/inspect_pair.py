"""Print every named module of a distillation config's student and teacher
with its output shape, marking pre-activation positions and a transformer's
token positions ((B, N, C) outputs of its blocks and stages, with their
layout), so that a user can write recorders for a new teacher/student
pair."""
import argparse
import math
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils import resolve_model_cfg

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Hardswish,
               nn.PReLU, nn.ELU)


def _shape(value) -> str:
    if isinstance(value, torch.Tensor):
        return str(tuple(value.shape))
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(_shape(v) for v in value) + ']'
    if isinstance(value, dict):
        return '{' + ', '.join(f'{k}: {_shape(v)}'
                               for k, v in value.items()) + '}'
    return type(value).__name__


def trace_modules(model: nn.Module,
                  inputs: torch.Tensor) -> 'OrderedDict[str, dict]':
    """Run ``model(inputs, mode='tensor')`` and describe every module.

    Returns:
        OrderedDict: ``name -> dict(type, calls, shape, notes)`` in module
        order; ``notes`` names pre-activation positions and the recorder that
        captures them.
    """
    rows: 'OrderedDict[str, dict]' = OrderedDict(
        (name, dict(type=type(m).__name__, calls=0, shape='not run', notes=[]))
        for name, m in model.named_modules() if name)
    producers: Dict[int, tuple] = {}
    handles = []

    def post_hook(name, module):

        def hook(_, args, output):
            row = rows[name]
            if row['calls'] == 0:
                row['shape'] = _shape(output)
                row['tokens'] = _token_layout(output)
            row['calls'] += 1
            if isinstance(output,
                          torch.Tensor) and not list(module.children()):
                producers[id(output)] = (name, module, output, output._version)

        return hook

    def pre_hook(name, module):

        def hook(_, args):
            if not args or not isinstance(args[0], torch.Tensor):
                return
            call = rows[name]['calls']
            src = producers.get(id(args[0]))
            if src is not None and (src[2] is not args[0]
                                    or src[3] != args[0]._version):
                src = None  # another tensor, or changed in place since
            if src is not None and isinstance(src[1], _BatchNorm):
                rows[src[0]]['notes'].append(
                    f'pre-activation (BN -> {name}): '
                    f"ModuleOutputRecorder(source='{src[0]}')")
                origin = f'output of {src[0]}'
            elif src is not None:
                origin = f'output of {src[0]}'
            else:
                origin = 'computed in forward (e.g. residual sum)'
            rows[name]['notes'].append(
                f'call {call} input = pre-activation, {origin}: '
                f"ModuleInputRecorder(source='{name}', call_index={call})")

        return hook

    for name, module in model.named_modules():
        if not name:
            continue
        handles.append(module.register_forward_hook(post_hook(name, module)))
        if isinstance(module, ACTIVATIONS):
            handles.append(
                module.register_forward_pre_hook(pre_hook(name, module)))
    try:
        with torch.no_grad():
            model(inputs, None, mode='tensor')
    finally:
        for handle in handles:
            handle.remove()
    _note_token_positions(model, rows)
    return rows


def _token_layout(output) -> Optional[dict]:
    """``dict(shape, indexed, grid)`` when ``output`` (or its first item, as
    the ``(tokens, hw_shape)`` of mmpretrain's Swin stages and patch
    embeddings) is a (B, N, C) token sequence; ``grid`` is the
    ``hw_shape`` that comes with it, if any."""
    indexed = isinstance(output, (list, tuple)) and len(output) > 0
    tokens = output[0] if indexed else output
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 3:
        return None
    grid = None
    if indexed and len(output) > 1 and isinstance(output[1], (list, tuple)) \
            and len(output[1]) == 2 and all(
                isinstance(v, int) for v in output[1]):
        grid = tuple(output[1])
    return dict(shape=tuple(tokens.shape), indexed=indexed, grid=grid)


def _note_token_positions(model: nn.Module,
                          rows: 'OrderedDict[str, dict]') -> None:
    """Note the token positions of a transformer: the (B, N, C) outputs of
    the modules held in a ``ModuleList`` (ViT layers, Swin stages and
    blocks) and of the backbone itself (``out_type='raw'``), with their
    layout (extra tokens first, then a patch grid) and how a preset reads
    them."""
    modules = dict(model.named_modules())
    backbone = modules.get('backbone', model)
    extra = int(getattr(backbone, 'num_extra_tokens', 0) or 0)
    for name, row in rows.items():
        layout = row.get('tokens')
        parent = modules.get(name.rpartition('.')[0])
        if layout is None or not (isinstance(parent, nn.ModuleList)
                                  or name == 'backbone'):
            continue
        num = layout['shape'][1]
        grid = layout['grid']
        if grid is None:
            side = math.isqrt(max(num - extra, 0))
            grid = (side, side) if side and side * side == num - extra \
                else None
        if grid is not None and grid[0] * grid[1] == num - extra:
            what = (f'{extra} extra token(s) (class token first) + '
                    if extra else '') + f'{grid[0]}x{grid[1]} patch tokens'
        else:
            what = f'{num} tokens'
        index = ', 0' if layout['indexed'] else ''
        pool = (f"'cls' | dict(mode='mean', num_extra_tokens={extra})"
                if extra else "'mean'")
        row['token_position'] = f'{layout["shape"]}  {what}'
        row['notes'].append(
            f'tokens (B, N, C) = {layout["shape"]}, {what}: '
            f"position('{name}'{index}); nd(tokens= / teacher_tokens="
            f'{pool}) pools them to (B, C); the other methods need '
            '(B, C) or (B, C, H, W)')
    backbone_row = rows.get('backbone')
    if backbone_row is not None and any('token_position' in r
                                        for r in rows.values()) and \
            re.fullmatch(r'\[\(\d+, \d+\)\]', backbone_row['shape']):
        backbone_row['notes'].append(
            "(B, C) embedding (out_type='cls_token' or 'avg_featmap'): "
            "position('backbone', 0), for every method that reads one "
            'embedding per image (pefd, nd)')


def format_rows(title: str, rows: 'OrderedDict[str, dict]') -> str:
    width = max([len(n) for n in rows] + [4])
    lines = [
        f'== {title} ==',
        f'{"module":<{width}}  {"type":<24} {"calls":>5}  output shape'
    ]
    for name, row in rows.items():
        lines.append(f'{name:<{width}}  {row["type"]:<24} {row["calls"]:>5}  '
                     f'{row["shape"]}')
        for note in row['notes']:
            lines.append(f'{"":<{width}}    ^ {note}')
    tokens = [(n, r['token_position']) for n, r in rows.items()
              if 'token_position' in r]
    if tokens:
        lines.append(f'-- {title.split(":")[0]}: token positions (B, N, C) '
                     '(notes above) --')
        lines += [f'{name:<{width}}  {what}' for name, what in tokens]
    return '\n'.join(lines)


def build_models(cfg: Config, which: Sequence[str]) -> Dict[str, nn.Module]:
    """Build the student/teacher of a distillation config (no checkpoint,
    pretrained weights stripped) or the model of a plain config."""
    model_cfg = cfg.model
    dp = cfg.get('data_preprocessor')
    models = {}
    if 'student' in model_cfg and 'teacher' in model_cfg:
        for role in which:
            spec = dict(model_cfg[role])
            spec['load_pretrained'] = False
            models[role] = MODELS.build(resolve_model_cfg(spec, role, dp))
    else:
        spec = model_cfg.to_dict()
        spec.setdefault('_scope_', cfg.get('default_scope'))
        spec['load_pretrained'] = False
        models['model'] = MODELS.build(resolve_model_cfg(spec, 'model', dp))
    return models


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='distillation (or model) config')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=None,
        help='input size C H W (default: the channels of '
        "the model's first convolution, the size of its "
        "data preprocessor or 224 x 224)")
    parser.add_argument('--which', nargs='+', default=['student', 'teacher'],
                        choices=['student', 'teacher'])
    return parser.parse_args(argv)


def default_shape(model: nn.Module) -> List[int]:
    """C H W for a model: the input channels of its first convolution
    (e.g. 1 for Fashion-MNIST) and its data preprocessor's fixed ``size``
    (mmseg), else 224 x 224."""
    channels = next((m.in_channels
                     for m in model.modules() if isinstance(m, nn.Conv2d)), 3)
    size = getattr(getattr(model, 'data_preprocessor', None), 'size', None)
    height, width = size if size else (224, 224)
    return [channels, height, width]


def main(argv: Optional[List[str]] = None) -> Dict[str, 'OrderedDict']:
    args = parse_args(argv)
    if args.shape is not None and len(args.shape) != 3:
        raise ValueError(f'--shape takes C H W, got {args.shape}')
    cfg = Config.fromfile(args.config)
    results = {}
    for role, model in build_models(cfg, args.which).items():
        model.eval()
        shape = args.shape or default_shape(model)
        inputs = torch.rand(1, *shape)
        try:
            rows = trace_modules(model, inputs)
        except (RuntimeError, ValueError) as err:
            raise RuntimeError(
                f'The {role} does not run on an input of shape '
                f'{tuple(inputs.shape)} ({type(err).__name__}: '
                f'{str(err).splitlines()[0][:200]}). Give its input size: '
                f'--shape C H W.') from err
        print(
            format_rows(
                f'{role}: {type(model).__name__}, input '
                f'{tuple(inputs.shape)}', rows))
        results[role] = rows
    return results


if __name__ == '__main__':
    main()
