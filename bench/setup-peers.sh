#!/usr/bin/env bash
# bench/setup-peers.sh — create the Python venv used by bench/peers/*.py and bench/compare.
#
#   bench/setup-peers.sh            # venv at bench/.venv (gitignored), PyPI wheels, pinned
#   VENV=/some/dir bench/setup-peers.sh
#   TORCH_CPU_ONLY=1 bench/setup-peers.sh   # torch 2.15.0+cpu from download.pytorch.org
#                                           # (same CPU code, no 3 GB of CUDA wheels; NOT
#                                           #  the exact wheel the PEERS.md numbers used)
#
# Target: a fresh Debian 12 (bookworm) x86-64 machine, Python 3.11 (the measurements in
# bench/PEERS.md used CPython 3.11.7).  Installs python3-venv with apt if the venv module
# is missing, and the two allocators torch_step.py can preload (libjemalloc2,
# libtcmalloc-minimal4).  Afterwards the peer scripts find the venv by themselves
# (NT_PEER_PYTHON overrides it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
VENV=${VENV:-$here/.venv}
PY=${PYTHON:-python3}

# Versions measured in bench/PEERS.md (pip freeze of the venv they ran in, top level).
TORCH_VER=2.15.0
JAX_VER=0.10.2
PINS=(
  "jax==$JAX_VER" "jaxlib==$JAX_VER" "ml_dtypes==0.6.0" "opt_einsum==3.4.0"
  "numpy==2.4.6" "scipy==1.17.1"
  "filelock==4.3.1" "fsspec==2026.9.0" "Jinja2==3.1.6" "MarkupSafe==3.0.4"
  "mpmath==1.3.0" "networkx==3.6.1" "sympy==1.14.0" "typing_extensions==4.16.0"
  "threadpoolctl==3.8.0"
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup-peers: need root for: $*" >&2; return 1; fi
}

apt_pkgs=()
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  apt_pkgs+=("python3-venv" "python${pyver}-venv")
fi
[ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] || apt_pkgs+=(libjemalloc2)
[ -e /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ] || apt_pkgs+=(libtcmalloc-minimal4)
if [ ${#apt_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_pkgs[@]}" \
    || echo "setup-peers: apt-get failed for ${apt_pkgs[*]} (allocator presets fall back to glibc tuning)" >&2
fi

"$PY" -c 'import sys; v = sys.version_info[:2]
if v != (3, 11): print("setup-peers: warning: Python %d.%d; the pins were measured with 3.11" % v, file=sys.stderr)'

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --upgrade "pip>=23.2"
if [ "${TORCH_CPU_ONLY:-0}" = 1 ]; then
  "$VENV/bin/python" -m pip install "torch==${TORCH_VER}+cpu" --index-url https://download.pytorch.org/whl/cpu
else
  # The plain PyPI wheel (reports 2.15.0+cu132; its CPU path uses MKL + OpenMP).
  "$VENV/bin/python" -m pip install "torch==${TORCH_VER}" "triton==3.9.0"
fi
"$VENV/bin/python" -m pip install "${PINS[@]}"

"$VENV/bin/python" - <<'EOF'
import torch, jax, jaxlib, numpy
print("torch", torch.__version__, "| jax", jax.__version__, "| jaxlib", jaxlib.__version__,
      "| numpy", numpy.__version__, "| devices", jax.devices())
EOF
echo "setup-peers: ready: $VENV/bin/python (bench/compare picks it up; or export NT_PEER_PYTHON)"
