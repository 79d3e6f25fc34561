#!/usr/bin/env bash
# Installs what the notebook test runs the example notebook with, from Debian's packages, when missing:
# jupyter-nbconvert, its Python kernel, pandas and requests (for /usr/bin/python3, the kernel's interpreter).
set -euo pipefail
missing=()
command -v jupyter-nbconvert >/dev/null 2>&1 || missing+=(jupyter-nbconvert python3-nbclient)
[ -f /usr/share/jupyter/kernels/python3/kernel.json ] || missing+=(python3-ipykernel)
/usr/bin/python3 -c 'import pandas' 2>/dev/null || missing+=(python3-pandas)
/usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "notebook-deps.sh: ${missing[*]} missing and installing needs root" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || true
$sudo apt-get install -y -q "${missing[@]}" >/dev/null
