#!/usr/bin/env bash
# Build MMRazor 1.0.0's environment for benchmarks/peers.py, outside the
# project's .venv (default: /work/peer_envs/mmrazor; PEER_ENVS=DIR moves it).
#
# MMRazor 1.0.0 (April 2023, its last release) asserts mmcv <= 2.1.0 and
# mmengine < 1.0 and needs mmcls 1.x; mmcls 1.0.0rc6 (its last 1.x release)
# asserts mmcv < 2.1.0. MMRazor's module registration
# (`mmrazor.utils.register_all_modules`, which its tools and configs need)
# imports `reverse2`, `reverse3` and `reverse_sequential_wrapper2` from
# torch.ao.quantization.fuser_method_mappings, which torch 2.0 renamed
# (`_reverse2`, ...): with torch 2.1.2 and 2.0.1 it fails with
# "ImportError: `torch>=1.13` is not installed properly, plz check." (tried
# both). So: Python 3.10, torch 1.13.1 (the registry's build, runs on CPU),
# torchvision 0.14.1, mmcv 2.0.1, mmengine 0.10.7 (ours too), mmcls
# 1.0.0rc6, numpy < 2.
#
# mmcv is installed without its compiled ops by default (MMCV_WITH_OPS=0,
# a pure-Python install in seconds): neither mmcls 1.0.0rc6 nor MMRazor
# 1.0.0 imports mmcv.ops (grep), so the ops change nothing that is timed.
# MMCV_WITH_OPS=1 compiles them (10-30 min on 2 cores; run it niced:
# `nice -n 19 MMCV_WITH_OPS=1 bash benchmarks/peer_envs/mmrazor.sh`).
#
# The peer environments are not part of the tests or the README's set-up.
set -euo pipefail
ENV_DIR="${PEER_ENVS:-/work/peer_envs}/mmrazor"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python" \
                   python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
      PYTHON="$candidate"; break
    fi
  done
fi
CHECK='import torch, mmcv, mmengine, mmcls, mmrazor
from mmrazor.registry import MODELS
from mmrazor.utils import register_all_modules
register_all_modules(False)
print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmengine",
      mmengine.__version__, "mmcls", mmcls.__version__, "mmrazor",
      mmrazor.__version__)'
if [ -x "$ENV_DIR/bin/python" ] && "$ENV_DIR/bin/python" -c "$CHECK"; then
  echo "mmrazor environment ready: $ENV_DIR"; exit 0
fi
echo "building $ENV_DIR with $PYTHON ($("$PYTHON" --version))"
"$PYTHON" -m venv "$ENV_DIR"
# --isolated: ignore this machine's pip configuration (its local wheel
# folder and constraints are for the project's torch)
PIP=("$ENV_DIR/bin/python" -m pip --isolated install)
"${PIP[@]}" "pip<25" "setuptools<70" wheel
"${PIP[@]}" torch==1.13.1 torchvision==0.14.1 "numpy<2"
"${PIP[@]}" mmengine==0.10.7 "opencv-python<4.12" addict packaging pyyaml \
  Pillow "yapf<0.40.2" scipy psutil
# from the source release as a file: without ops its setup.py names the
# project mmcv-lite, which pip refuses for a requirement named mmcv
SDIST="$(mktemp -d)"
"$ENV_DIR/bin/python" -m pip --isolated download --no-deps --no-binary :all: \
  -d "$SDIST" mmcv==2.0.1
MMCV_WITH_OPS="${MMCV_WITH_OPS:-0}" "${PIP[@]}" --no-build-isolation \
  --no-cache-dir "$SDIST"/mmcv-2.0.1.tar.gz
rm -r "$SDIST"
# --no-deps for mmcls/mmrazor: pip would otherwise pull the registry's
# "mmcv" again (mmcv-lite does not satisfy that name)
"${PIP[@]}" --no-deps mmcls==1.0.0rc6 mmrazor==1.0.0
# joblib: imported by MMRazor's predictor handlers at registration, not
# declared in its requirements
"${PIP[@]}" modelindex ordered-set joblib
"$ENV_DIR/bin/python" -c "$CHECK"
echo "mmrazor environment ready: $ENV_DIR"
