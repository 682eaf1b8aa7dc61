#!/usr/bin/env bash
# Turns a fresh Debian 12 into a gig station (deploy/README.md walks through it).
#
#   deploy/provision.sh --bundle DIR --config station.toml --token-file FILE --tuf-root root.json
#                       [--version V] [--python PATH] [--root DIR] [--skip-system] [--dry-run]
#
#   --bundle DIR      the release bundle: the project wheel plus every dependency wheel
#                     (`gig-central release build`); installed with pip --no-index
#   --config FILE     the station TOML, installed as /etc/gig-kiosk/station.toml (0640 root:kiosk)
#   --token-file FILE the station token ("-" reads it from stdin), installed where the TOML's
#                     api.token_file says (0600 kiosk:kiosk); never printed, never in argv
#   --tuf-root FILE   the TUF root.json the station pins (/opt/gig-kiosk/root.json)
#   --version V       the release's version (default: from the project wheel's file name)
#   --root DIR        install into DIR as if it were / (tests, image builds); implies --skip-system
#   --skip-system     leave out what needs the real machine: apt, useradd, udevadm, daemon-reload
#   --dry-run         list every change that would be made, make none
#
# Idempotent: every step compares first and changes only what differs, so a second run prints
# "provision: nothing to change". Each change is one line "changed: ..." ("would: ..." dry).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KIOSK_USER=kiosk
KIOSK_GROUPS=(dialout lp video)
OPT=/opt/gig-kiosk
ETC=/etc/gig-kiosk
UNITS=(gig-kiosk-x.service gig-kiosk.service gig-kiosk-update.service gig-kiosk-update.timer)
# The update service has no [Install]: its timer starts it.
ENABLE=(gig-kiosk-x.service gig-kiosk.service gig-kiosk-update.timer systemd-timesyncd.service)

ROOT="" DRY_RUN=0 SKIP_SYSTEM=0 BUNDLE="" CONFIG="" TOKEN_FILE="" TUF_ROOT="" VERSION="" PYTHON=python3
CHANGES=0

die() { echo "provision: $*" >&2; exit 2; }

while (($#)); do
  case "$1" in
    --bundle) BUNDLE=${2:?}; shift 2 ;;
    --config) CONFIG=${2:?}; shift 2 ;;
    --token-file) TOKEN_FILE=${2:?}; shift 2 ;;
    --tuf-root) TUF_ROOT=${2:?}; shift 2 ;;
    --version) VERSION=${2:?}; shift 2 ;;
    --python) PYTHON=${2:?}; shift 2 ;;
    --root) ROOT=${2:?}; SKIP_SYSTEM=1; shift 2 ;;
    --skip-system) SKIP_SYSTEM=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#'; exit 0 ;;
    *) die "unknown option $1 (--help)" ;;
  esac
done
[[ -n "$BUNDLE" && -n "$CONFIG" && -n "$TOKEN_FILE" && -n "$TUF_ROOT" ]] ||
  die "--bundle, --config, --token-file and --tuf-root are required (--help)"
[[ -d "$BUNDLE" ]] || die "--bundle $BUNDLE is not a folder"
[[ -f "$CONFIG" ]] || die "--config $CONFIG is not a file"
[[ -f "$TUF_ROOT" ]] || die "--tuf-root $TUF_ROOT is not a file"
if [[ -n "$ROOT" ]]; then
  [[ "$ROOT" == /* && -d "$ROOT" ]] || die "--root needs an existing absolute folder"
  ROOT=${ROOT%/}
fi
if ((!SKIP_SYSTEM && !DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then
  die "run as root (or --root DIR / --dry-run)"
fi

shopt -s nullglob
if [[ -z "$VERSION" ]]; then
  wheels=("$BUNDLE"/gig_station-*.whl)
  ((${#wheels[@]} == 1)) || die "--bundle must hold exactly one gig_station-*.whl (or give --version)"
  VERSION=$(basename "${wheels[0]}" | cut -d- -f2)
fi
[[ "$VERSION" =~ ^[A-Za-z0-9][A-Za-z0-9.+_-]*$ ]] || die "bad version $VERSION"

# The token is read once into a private temp file: stdin can only be read once, and the
# token's value never goes through a variable, argv or the output.
umask 077
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [[ "$TOKEN_FILE" == "-" ]]; then
  cat >"$TMP/token"
else
  [[ -f "$TOKEN_FILE" ]] || die "--token-file $TOKEN_FILE is not a file"
  cat "$TOKEN_FILE" >"$TMP/token"
fi
[[ -s "$TMP/token" ]] || die "the station token is empty"
umask 022

# --- helpers ------------------------------------------------------------------------------
# change DESCRIPTION COMMAND...: the one place where anything is modified.
change() {
  local what=$1
  shift
  CHANGES=$((CHANGES + 1))
  if ((DRY_RUN)); then
    echo "would: $what"
  else
    echo "changed: $what"
    "$@"
  fi
}
skipped() { echo "skipped: $*"; }

user_exists() { id -u "$KIOSK_USER" >/dev/null 2>&1; }

# owner_of USER:GROUP -> the same, or "" when the kiosk user does not exist (only possible with
# --root / --skip-system, or in a dry run before useradd): ownership is then left alone.
owner_of() {
  if [[ "$1" == *"$KIOSK_USER"* ]] && ! user_exists; then
    echo ""
  else
    echo "$1"
  fi
}
# How an owner is shown: "root:kiosk", or "root:kiosk when the user exists" if it does not yet.
shown() { if [[ -n "$(owner_of "$1")" ]]; then echo "$1"; else echo "$1 once user $KIOSK_USER exists"; fi; }

PLANNED_DIRS=" "
ensure_dir() { # PATH MODE OWNER:GROUP
  local dest=$ROOT$1 mode=$2 owner
  owner=$(owner_of "$3")
  [[ "$PLANNED_DIRS" != *" $1 "* ]] || return 0  # a dry run lists each folder once
  if [[ ! -d "$dest" ]]; then
    PLANNED_DIRS+="$1 "
    change "create folder $1 ($mode $(shown "$3"))" install -d -m "$mode" ${owner:+-o "${owner%:*}" -g "${owner#*:}"} "$dest"
    return
  fi
  ensure_mode_owner "$1" "$mode" "$owner"
}

ensure_mode_owner() { # PATH MODE OWNER:GROUP|""
  local dest=$ROOT$1
  if [[ "$(stat -c %a "$dest")" != "${2#0}" ]]; then
    change "chmod $2 $1" chmod "$2" "$dest"
  fi
  if [[ -n "$3" && "$(stat -c %U:%G "$dest")" != "$3" ]]; then
    change "chown $3 $1" chown "$3" "$dest"
  fi
}

ensure_file() { # SOURCE PATH MODE OWNER:GROUP
  local src=$1 dest=$ROOT$2 mode=$3 owner
  owner=$(owner_of "$4")
  if [[ ! -f "$dest" ]] || ! cmp -s "$src" "$dest"; then
    # A temp file beside it and a rename: a power cut leaves the old or the new file whole.
    change "write $2 ($mode $(shown "$4"))" install_atomic "$src" "$dest" "$mode" "$owner"
    return
  fi
  ensure_mode_owner "$2" "$mode" "$owner"
}

install_atomic() { # SOURCE DEST MODE OWNER:GROUP|""
  local tmp
  mkdir -p "$(dirname "$2")"
  tmp=$(mktemp "$2.XXXXXX")
  install -m "$3" ${4:+-o "${4%:*}" -g "${4#*:}"} "$1" "$tmp"
  mv -f "$tmp" "$2"
}

systemctl_root() { if [[ -n "$ROOT" ]]; then systemctl --root="$ROOT" "$@"; else systemctl "$@"; fi; }

ensure_enabled() { # UNIT
  if ((DRY_RUN)) && [[ -f "$HERE/systemd/$1" && ! -e "$ROOT/etc/systemd/system/$1" ]]; then
    change "enable $1" true  # installed above in a real run
    return
  fi
  if [[ -n "$ROOT" ]] && ! [[ -e "$ROOT/etc/systemd/system/$1" || -e "$ROOT/lib/systemd/system/$1" || -e "$ROOT/usr/lib/systemd/system/$1" ]]; then
    skipped "enable $1 (not installed in $ROOT)"
    return
  fi
  if ! systemctl_root is-enabled -q "$1" 2>/dev/null; then
    change "enable $1" systemctl_root enable -q "$1"
  fi
}

# --- 1. Debian packages (one list: deploy/setup-system.sh --station) -------------------------
if ((SKIP_SYSTEM)); then
  skipped "apt packages (deploy/setup-system.sh --station): --root/--skip-system"
else
  missing=$(bash "$HERE/setup-system.sh" --station --dry-run)
  missing=${missing#missing:}
  if [[ -n "${missing// /}" ]]; then
    change "apt-get install$missing" bash "$HERE/setup-system.sh" --station
  fi
fi

# --- 2. the kiosk user --------------------------------------------------------------------
if ((SKIP_SYSTEM)); then
  skipped "user $KIOSK_USER (groups ${KIOSK_GROUPS[*]}): --root/--skip-system"
elif ! user_exists; then
  change "create user $KIOSK_USER (groups ${KIOSK_GROUPS[*]})" \
    useradd --create-home --shell /bin/bash --groups "$(IFS=,; echo "${KIOSK_GROUPS[*]}")" "$KIOSK_USER"
else
  for g in "${KIOSK_GROUPS[@]}"; do
    if ! id -nG "$KIOSK_USER" | tr ' ' '\n' | grep -qx "$g"; then
      change "add $KIOSK_USER to group $g" usermod -aG "$g" "$KIOSK_USER"
    fi
  done
fi

# Where the station TOML wants its token (api.token_file), read with Python's own TOML parser
# (python3 is there now: a fresh minbase has none until step 1).
if ((DRY_RUN)) && ! command -v "$PYTHON" >/dev/null; then
  TOKEN_DEST=/etc/gig-kiosk/station.token
  echo "note: $PYTHON is not installed yet: the token is shown at the default api.token_file"
else
  TOKEN_DEST=$("$PYTHON" -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(tomllib.load(f).get("api", {}).get("token_file") or "/etc/gig-kiosk/station.token")
' "$CONFIG") || die "--config $CONFIG is not valid TOML"
fi
[[ "$TOKEN_DEST" == /* ]] || die "api.token_file must be an absolute path"

# --- 3. the first release and the `current` symlink ---------------------------------------
install_release() {
  local rel=$ROOT$OPT/releases/$VERSION
  rm -rf "$rel"  # a release without .complete is a half-done install: start again
  "$PYTHON" -m venv "$rel"
  "$rel/bin/pip" install --quiet --disable-pip-version-check --no-index --find-links "$BUNDLE" "$BUNDLE"/*.whl
  touch "$rel/.complete"  # written last, as the updater does (kiosk/update)
}

switch_current() {
  # A new symlink beside it, then rename(2) over the old one: never a moment without `current`.
  ln -sfn "releases/$VERSION" "$ROOT$OPT/.current.new"
  mv -T -f "$ROOT$OPT/.current.new" "$ROOT$OPT/current"
}

ensure_dir "$OPT" 0755 root:root
ensure_dir "$OPT/releases" 0755 root:root
if [[ ! -f "$ROOT$OPT/releases/$VERSION/.complete" ]]; then
  change "install release $VERSION into $OPT/releases/$VERSION (virtualenv, pip --no-index from $BUNDLE)" install_release
fi
if [[ "$(readlink "$ROOT$OPT/current" 2>/dev/null || true)" != "releases/$VERSION" ]]; then
  change "point $OPT/current at releases/$VERSION" switch_current
fi
ensure_file "$TUF_ROOT" "$OPT/root.json" 0644 root:root
# The one folder of $OPT the app writes (its health markers, activity.json); the releases,
# `current` and state.json are root's: the updater runs as root, the app cannot touch its code.
ensure_dir "$OPT/health" 0755 "$KIOSK_USER:$KIOSK_USER"

# --- 4. station config, token, outbox key --------------------------------------------------
if ((!DRY_RUN)) && [[ -x "$ROOT$OPT/releases/$VERSION/bin/gig-kiosk" ]]; then
  # The release itself validates the file (unknown keys, ranges) before it is installed.
  "$ROOT$OPT/releases/$VERSION/bin/gig-kiosk" run --config "$CONFIG" --check >/dev/null ||
    die "$CONFIG is refused by release $VERSION (above)"
fi
ensure_dir "$ETC" 0750 "root:$KIOSK_USER"
ensure_file "$CONFIG" "$ETC/station.toml" 0640 "root:$KIOSK_USER"
token_dir=$(dirname "$TOKEN_DEST")
if [[ "$token_dir" != "$ETC" && ! -d "$ROOT$token_dir" ]]; then
  # Only a folder made here gets our mode; an existing one (e.g. /etc) is left as it is.
  ensure_dir "$token_dir" 0750 "root:$KIOSK_USER"
fi
ensure_file "$TMP/token" "$TOKEN_DEST" 0600 "$KIOSK_USER:$KIOSK_USER"
make_outbox_key() {
  (umask 077 && head -c 32 /dev/urandom >"$ROOT$ETC/outbox.key.new")
  mv -f "$ROOT$ETC/outbox.key.new" "$ROOT$ETC/outbox.key"
}
if [[ ! -f "$ROOT$ETC/outbox.key" ]]; then
  # Made once and never replaced: it decrypts applications still waiting in the outbox.
  change "create $ETC/outbox.key (32 random bytes, 0600 root:root)" make_outbox_key
fi
if [[ -f "$ROOT$ETC/outbox.key" ]]; then
  ensure_mode_owner "$ETC/outbox.key" 0600 root:root
fi

# --- 5. udev rules --------------------------------------------------------------------------
udev_before=$CHANGES
for rules in "$HERE"/udev/*.rules; do
  ensure_file "$rules" "/etc/udev/rules.d/$(basename "$rules")" 0644 root:root
done
udev_changed=$((CHANGES - udev_before))

# --- 6. the kiosk session, the unit, journald, time sync ----------------------------------
units_before=$CHANGES
ensure_file "$HERE/session/kiosk-session" /usr/local/lib/gig-kiosk/kiosk-session 0755 root:root
for unit in "${UNITS[@]}"; do
  ensure_file "$HERE/systemd/$unit" "/etc/systemd/system/$unit" 0644 root:root
done
units_changed=$((CHANGES - units_before))
journald_before=$CHANGES
ensure_file "$HERE/journald/gig-kiosk.conf" /etc/systemd/journald.conf.d/gig-kiosk.conf 0644 root:root
journald_changed=$((CHANGES - journald_before))
if ((!SKIP_SYSTEM && !DRY_RUN)) && ((units_changed + journald_changed + udev_changed > 0)); then
  if [[ -d /run/systemd/system ]]; then
    ((units_changed == 0)) || systemctl daemon-reload
    ((journald_changed == 0)) || systemctl restart systemd-journald
    ((udev_changed == 0)) || { udevadm control --reload-rules && udevadm trigger; }
  else
    # A chroot or an image build: nothing is running yet, the next boot reads it all.
    skipped "daemon-reload, journald restart, udev reload: systemd is not running here"
  fi
fi
for unit in "${ENABLE[@]}"; do
  ensure_enabled "$unit"
done
if ((SKIP_SYSTEM)); then
  skipped "default target graphical.target: --root/--skip-system"
elif [[ "$(systemctl get-default)" != graphical.target ]]; then
  change "boot into graphical.target" systemctl set-default -q graphical.target
fi

if ((CHANGES == 0)); then
  echo "provision: nothing to change"
elif ((DRY_RUN)); then
  echo "provision: $CHANGES changes would be made"
else
  echo "provision: $CHANGES changes made${ROOT:+ under $ROOT}; reboot to start the kiosk"
fi
