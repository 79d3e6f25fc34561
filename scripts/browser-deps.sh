#!/usr/bin/env bash
# Installs Debian's chromium when missing: the dashboards' browser test drives it through Playwright
# (Playwright's own browser download is not used; the test launches /usr/bin/chromium).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "browser-deps.sh: chromium missing and installing needs root" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || true
$sudo apt-get install -y -q chromium >/dev/null
