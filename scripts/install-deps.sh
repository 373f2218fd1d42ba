#!/usr/bin/env bash
# Installs the Debian packages Noether needs to build and test (run as root on a
# fresh Debian 12 machine). Packages already present are left alone.
set -euo pipefail
pkgs=(build-essential pkg-config libopenblas-openmp-dev libopenblas-dev libfftw3-dev libyaml-dev libpng-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
