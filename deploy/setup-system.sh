#!/usr/bin/env bash
# Installs the Debian packages the kiosk, its tests and the demo need.
# Idempotent: only missing packages are installed, so a ready machine costs ~1 s.
# Usage: deploy/setup-system.sh [--test]   (--test adds PostgreSQL and Chromium for the test suite)
set -euo pipefail

packages=(
  xvfb xauth            # virtual display for UI tests, screenshots and the smoke run
  libzbar0              # pyzbar's decoder
  fonts-noto-cjk        # CJK font for screens and receipt previews
  libmtdev1 libgl1 libegl1 libgles2 libgl1-mesa-dri  # what Kivy's SDL2 window needs
  libxrender1 libxi6 libxext6 libxkbcommon0
  libgomp1              # OpenCV
  libusb-1.0-0          # python-escpos USB printers (pyusb backend)
  espeak-ng             # spoken prompts: fallback when the espeakng-loader library is missing
  alsa-utils            # aplay: plays the prompts synthesised by devices/speech.py
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql chromium chromium-driver nginx)  # nginx: deploy/central example test
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
