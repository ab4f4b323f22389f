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
pip_install() {
  "$PY" -m pip install --disable-pip-version-check -q "$@" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  return "${PIPESTATUS[0]}"
}

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
  log "compiling mmcv 2.1.0 with ops (about 10 minutes on 2 cores)"
  MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" pip_install --no-build-isolation --no-cache-dir \
    -r "$ROOT/requirements/mminstall.txt"
  "$PY" -c "import mmcv.ops" || { log "mmcv.ops does not import after the build"; exit 1; }
fi

if ! "$PY" -c "import mmengine, mmpretrain, mmdet, mmseg, scipy, matplotlib, mim, pytest" 2>/dev/null; then
  log "installing OpenMMLab packages and test requirements"
  pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
fi

if ! (cd / && "$PY" -c "import mmfeatdistill, os, sys; sys.exit(not os.path.exists(os.path.join(os.path.dirname(mmfeatdistill.__file__), '.mim', 'tools', 'train.py')))") 2>/dev/null; then
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
