#!/usr/bin/env bash
# Creates (or completes) the project's virtual environment in .venv/ with the
# verified OpenMMLab stack (see README "Installation"). Safe to run again: every
# step is skipped when what it installs already works.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMFD_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
log() { printf '[setup] %s\n' "$*"; }

if [ ! -x "$PY" ]; then
  log "creating virtual environment $VENV"
  python3 -m venv "$VENV"
fi
# pip, without the machine's warnings about empty local index folders
pip_run() {
  "$PY" -m pip "$@" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  return "${PIPESTATUS[0]}"
}
pip_install() { pip_run install --disable-pip-version-check -q "$@"; }

if ! "$PY" -c "import setuptools, sys; v=tuple(map(int, setuptools.__version__.split('.')[:2])); sys.exit(not ((77,0) <= v < (81,0)))" 2>/dev/null; then
  log "installing build requirements"
  pip_install --upgrade pip
  pip_install -r "$ROOT/requirements/build.txt"
fi

if ! "$PY" -c "import torch, torchvision.ops; torchvision.ops.nms" 2>/dev/null; then
  log "installing torch/torchvision (registry builds, --isolated: see docs/installation.md)"
  pip_install --isolated -r "$ROOT/requirements/torch.txt"
fi

if ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
  # Our own wheel cache, keyed by everything mmcv's ops are compiled against
  # (torch version and build, Python, C++ ABI, CUDA or not): a wheel is only
  # reused for the exact same torch, and is dropped when `import mmcv.ops`
  # fails with it (pip's cache stays off: it reuses wheels across torches).
  KEY="$("$PY" -c "import os, sys, torch; cuda = 'cuda' + str(torch.version.cuda) if (os.environ.get('FORCE_CUDA') == '1' or torch.cuda.is_available()) else 'cpu'; print(f'torch{torch.__version__}-{torch.version.git_version[:12]}-py{sys.version_info[0]}{sys.version_info[1]}-abi{int(torch._C._GLIBCXX_USE_CXX11_ABI)}-{cuda}')")"
  WHEELS="${MMFD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmfeatdistill/wheels}/$KEY"
  MMCV_REQ="$(grep -v '^#' "$ROOT/requirements/mminstall.txt" | grep mmcv)"
  if ls "$WHEELS"/mmcv-*.whl >/dev/null 2>&1; then
    log "installing mmcv from the wheel built earlier for this torch ($WHEELS)"
    pip_install "$WHEELS"/mmcv-*.whl || true
    if ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
      log "cached mmcv wheel does not work here; removing it and compiling"
      rm -f "$WHEELS"/mmcv-*.whl
    fi
  fi
  if ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
    log "compiling mmcv 2.1.0 with ops (about 10 minutes on 2 cores)"
    mkdir -p "$WHEELS"
    "$PY" -m pip uninstall -y -q mmcv >/dev/null 2>&1 || true
    MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" pip_run wheel --disable-pip-version-check -q \
      --no-build-isolation --no-cache-dir --no-deps -w "$WHEELS" "$MMCV_REQ"
    pip_install "$WHEELS"/mmcv-*.whl
    "$PY" -c "import mmcv.ops" || { log "mmcv.ops does not import after the build"; rm -f "$WHEELS"/mmcv-*.whl; exit 1; }
  fi
fi

if ! "$PY" -c "import mmengine, mmpretrain, mmdet, mmseg, scipy, matplotlib, mim, pytest, flake8, isort, yapf" 2>/dev/null; then
  log "installing OpenMMLab packages and test requirements"
  pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
fi

# (.mim/model-index.yml: MMEngine reads it for `mmfeatdistill::` configs)
if ! (cd / && "$PY" -c "import mmfeatdistill, os, sys; mim = os.path.join(os.path.dirname(mmfeatdistill.__file__), '.mim'); sys.exit(not all(os.path.exists(os.path.join(mim, *p)) for p in (('tools', 'train.py'), ('model-index.yml',))))") 2>/dev/null; then
  log "installing mmfeatdistill (editable)"
  pip_install --no-build-isolation --no-deps -e "$ROOT"
fi
# `mim train mmfeatdistill ...` looks for <dist location>/mmfeatdistill/.mim;
# a PEP 660 editable install puts the dist-info in site-packages, so link the
# package there (see docs/installation.md, "mim").
MIM_TRAIN="$(cd / && "$PY" -W ignore -c "import os; from mim.utils import get_installed_path; print(os.path.join(get_installed_path('mmfeatdistill'), '.mim', 'tools', 'train.py'))")"
if [ ! -e "$MIM_TRAIN" ]; then
  SITE="$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
  log "linking $SITE/mmfeatdistill -> $ROOT/mmfeatdistill for mim"
  ln -sfn "$ROOT/mmfeatdistill" "$SITE/mmfeatdistill"
fi
"$PY" -c "import setuptools, sys; v=tuple(map(int, setuptools.__version__.split('.')[:2])); sys.exit(not ((77,0) <= v < (81,0)))" \
  || { log "setuptools was changed by a dependency; expected >=77,<81"; exit 1; }
log "environment ready: $VENV"
