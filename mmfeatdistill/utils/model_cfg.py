"""Resolve a student/teacher specification into a buildable model config."""
import copy
from typing import Any, Optional

from mmengine.config import Config, ConfigDict

#: Prefix used in ``'pkg::path'`` -> registry scope of that package.
PACKAGE_SCOPES = {
    'mmpretrain': 'mmpretrain',
    'mmdet': 'mmdet',
    'mmseg': 'mmseg',
    'mmsegmentation': 'mmseg'
}


def _to_dict(cfg: Any) -> Any:
    if isinstance(cfg, ConfigDict):
        return cfg.to_dict()
    return copy.deepcopy(cfg)


def strip_pretrained(cfg: Any) -> Any:
    """Remove pretrained-weight references from a model config, in place.

    Drops every ``init_cfg`` of type ``'Pretrained'`` and sets every
    ``pretrained`` key to None: the packages' own configs point at model-zoo
    URLs that cannot always be reached (and a distilled student is often
    trained from scratch).

    Args:
        cfg: A (nested) model config dict.

    Returns:
        The same object, for chaining.
    """
    if isinstance(cfg, dict):
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        elif isinstance(init_cfg, list):
            cfg['init_cfg'] = [
                c for c in init_cfg
                if not (isinstance(c, dict) and c.get('type') == 'Pretrained')
            ] or None
        if 'pretrained' in cfg and isinstance(cfg['pretrained'], str):
            cfg['pretrained'] = None
        for value in cfg.values():
            strip_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            strip_pretrained(value)
    return cfg


def load_package_config(cfg_path: str) -> Config:
    """Load ``'mmdet::ssd/ssd300_coco.py'`` or a local config file."""
    if '::' in cfg_path:
        from mmengine.hub import get_config
        return get_config(cfg_path)
    return Config.fromfile(cfg_path)


def resolve_model_cfg(spec: Any, role: str = 'student',
                      data_preprocessor: Optional[dict] = None) -> ConfigDict:
    """Turn a student/teacher spec of a distillation config into a model dict.

    A spec is either a model config dict (with ``_scope_`` or a scoped
    ``type`` such as ``'mmpretrain.ImageClassifier'``) or
    ``dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py', **kw)``
    where ``kw`` is merged into the ``model`` of that config (mmengine merge
    rules, ``_delete_=True`` supported). In both forms
    ``load_pretrained=False`` strips pretrained-weight references.

    Args:
        spec (dict): The spec.
        role (str): ``'student'`` or ``'teacher'`` (for messages).
        data_preprocessor (dict, optional): Used when the model has none
            (mmpretrain's dataset bases define it at the top level).

    Returns:
        ConfigDict: A model config that ``MODELS.build`` builds in its own
        scope.
    """
    if not isinstance(spec, dict):
        raise TypeError(f'{role} must be a dict (a model config or '
                        f"dict(cfg_path='mmpretrain::...')), got {type(spec)}")
    spec = _to_dict(spec)
    cfg_path = spec.pop('cfg_path', None)
    load_pretrained = spec.pop('load_pretrained', True)
    if cfg_path is not None:
        cfg = load_package_config(cfg_path)
        if 'model' not in cfg:
            raise KeyError(f'{role} config {cfg_path!r} has no `model`.')
        model = cfg.model.to_dict()
        if 'data_preprocessor' not in model and cfg.get('data_preprocessor'):
            model['data_preprocessor'] = _to_dict(cfg.data_preprocessor)
        if '::' in cfg_path:
            scope = PACKAGE_SCOPES.get(cfg_path.split('::')[0])
        else:
            scope = cfg.get('default_scope')
        if scope is not None:
            model.setdefault('_scope_', scope)
        if spec:
            model = Config._merge_a_into_b(spec, model)
    else:
        model = spec
    if 'type' not in model:
        raise KeyError(
            f'The {role} spec has no `type` and no `cfg_path`: give a model '
            f"config or cfg_path='mmpretrain::<config file>'.")
    if '_scope_' not in model and '.' not in str(model['type']):
        raise KeyError(
            f"The {role} model type {model['type']!r} has no scope: add "
            f"_scope_='mmpretrain' (or 'mmdet', 'mmseg') to the {role} dict, "
            f"or write cfg_path='mmpretrain::...'. Nested types are looked up "
            f"in the scope given there.")
    if not load_pretrained:
        strip_pretrained(model)
    if data_preprocessor is not None and not model.get('data_preprocessor'):
        model['data_preprocessor'] = _to_dict(data_preprocessor)
    # a ConfigDict, as when the package builds its own config: models read
    # their train_cfg/test_cfg by attribute (mmseg: ``self.test_cfg.mode``)
    return ConfigDict(model)
