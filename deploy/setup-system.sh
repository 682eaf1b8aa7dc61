#!/usr/bin/env bash
# Installs the Debian packages the kiosk, its tests and the demo need.
# Idempotent: only missing packages are installed, so a ready machine costs ~1 s.
# Usage: deploy/setup-system.sh [--test] [--station] [--dry-run]
#   --test     adds PostgreSQL, Chromium, shellcheck and xinit for the test suite (tests/deploy)
#   --station  adds what a real station runs on (X server, xinit, python3-venv, time sync);
#              deploy/provision.sh uses this list, so there is one copy of it
#   --dry-run  prints the missing packages ("missing: a b c") and installs nothing
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
  x11-xserver-utils     # xset (no screen blanking) and xhost in the kiosk session; its tests
)
dry_run=0
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(postgresql chromium chromium-driver shellcheck xinit nginx) ;;  # nginx: deploy/central example test
    --station)
      packages+=(
        xserver-xorg-core xserver-xorg-video-all xserver-xorg-input-libinput xinit  # bare X on tty1
        python3 python3-venv  # Debian 12's Python 3.11 runs each release's virtualenv
        systemd-timesyncd     # time sync: signed metadata expiry and opening hours need a right clock
        udev
      ) ;;
    --dry-run) dry_run=1 ;;
    *) echo "setup-system: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((dry_run)); then
  echo "missing: ${missing[*]}"
  exit 0
fi
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
