"""mmfeatdistill: feature knowledge distillation for OpenMMLab 2.x models."""
from .version import __version__


def _register_config_package() -> None:
    """Let configs inherit ours with ``_base_ = ['mmfeatdistill::...']``.

    MMEngine resolves ``pkg::path`` only for the packages of its
    ``MODULE2PACKAGE`` table (``PKG2PROJECT`` is the same dict), and then
    reads ``<installed package>/.mim/configs/path`` (our ``setup.py`` links
    or copies ``configs/`` there, and writes ``.mim/model-index.yml``, which
    MMEngine reads first).
    """
    try:
        from mmengine.config.utils import MODULE2PACKAGE
    except ImportError:  # mmengine missing: nothing to register with
        return
    MODULE2PACKAGE.setdefault('mmfeatdistill', 'mmfeatdistill')


_register_config_package()

__all__ = ['__version__']
