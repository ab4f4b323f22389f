"""Install mmfeatdistill. Versions are pinned once, in requirements/*.txt."""
import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmfeatdistill', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``requirements/<fname>`` (comments skipped)."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Expose ``tools/`` and ``configs/`` as ``mmfeatdistill/.mim/`` for mim.

    Editable installs (``setup.py develop`` and PEP 660 ``editable_wheel``,
    which is what ``pip install -e .`` runs) get symlinks, so the checkout's
    files are used; wheel builds get copies. ``mim train mmfeatdistill CFG``
    then finds ``.mim/tools/train.py``. ``.mim/model-index.yml`` (the
    root's, which imports ``configs/*/metafile.yml``) is what MMEngine reads
    first when a config inherits ``mmfeatdistill::path``; it then takes
    ``.mim/configs/path``.
    """
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('build', 'build_py', 'bdist_wheel',
                                         'sdist', 'install')):
        mode = 'copy'
    else:
        return
    mim_root = osp.join(HERE, 'mmfeatdistill', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in ('tools', 'configs'):
        src, dst = osp.join(HERE, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        else:
            shutil.copytree(src, dst)
    # the model index (configs/*/metafile.yml): MMEngine's `pkg::path`
    # lookup reads it (a missing file is an error) before falling back to
    # `.mim/configs/path`; mim lists the configs from it
    src = osp.join(HERE, 'model-index.yml')
    dst = osp.join(mim_root, 'model-index.yml')
    if osp.islink(dst) or osp.isfile(dst):
        os.remove(dst)
    if mode == 'symlink':
        os.symlink(osp.relpath(src, mim_root), dst)
    else:
        shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmfeatdistill', version=read_version(),
        description='Feature knowledge distillation (OFD, TOFD, PEFD, ND) '
        'for every OpenMMLab 2.x task',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown', python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests',
                                        'benchmarks', 'demo')),
        include_package_data=True, package_data={
            'mmfeatdistill':
            ['.mim/tools/*', '.mim/configs/**/*', '.mim/model-index.yml']
        }, install_requires=parse_requirements('runtime.txt'), extras_require={
            'tests': parse_requirements('tests.txt'),
            'mim': parse_requirements('mminstall.txt'),
        }, license='Apache License 2.0', zip_safe=False)
