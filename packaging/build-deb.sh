#!/usr/bin/env bash
# Build the Debian packages `pingan` (desktop client) and `pingan-sync` (sync server + systemd unit) with plain
# `dpkg-deb --build --root-owner-group`; the control files are written here.
#
#   packaging/build-deb.sh [--profile release|dev|NAME] [--out DIR] [--no-build] [--target-dir DIR] [--no-strip]
#                          [--compression xz|gzip|zstd|none]
#
# Without --no-build it first runs `cargo build --locked --profile P -p pingan-desktop -p pingan-sync --bins`;
# with --no-build it packages what is already in $CARGO_TARGET_DIR (or target/) under release/ or debug/ — CI
# packages the debug binaries `cargo test --workspace` has just built. The binaries are stripped in the staging
# copy (the originals are not touched). Compression: xz for release, gzip for dev (a CI check: xz took ~1 min more).
# File times are SOURCE_DATE_EPOCH (default: the last commit's time), so the same binaries give the same packages.
#
# Why not cargo-deb: every fresh CI machine would first run `cargo install cargo-deb --locked` — measured for
# cargo-deb 3.8.0: 69 crates, 231 s of CPU, 7 min 54 s wall on this 2-core machine beside other builds (about 2–3 min
# on an idle one) — and need crates.io at CI time, while dpkg-deb is already on every Debian machine and packaging
# takes seconds; our own maintainer scripts (system user, state directory, purge) are needed either way. The
# `[package.metadata.deb]` sections in app/desktop/Cargo.toml and app/sync/Cargo.toml describe the same packages
# (same assets, same maintainer scripts) for whoever has cargo-deb: `cargo deb -p pingan-sync` and
# `cargo deb -p pingan-desktop` were checked with 3.8.0 and pass packaging/check-deb.sh too.
# Depends = what dpkg-shlibdeps finds in the binaries (cargo-deb's `$auto`) + the libraries a window loads at
# run time with dlopen (which no ELF header names: Vulkan loader and Mesa drivers, EGL, X11/Wayland client libs).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PROFILE=release
OUT="$ROOT/target/deb"
BUILD=1
STRIP=1
COMPRESSION=""
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
MAINTAINER="${PINGAN_DEB_MAINTAINER:-The Pingan developers <packaging@pingan.invalid>}"
APP_ID=org.pingan.Pingan

die() {
  echo "build-deb: $*" >&2
  exit 1
}
usage() {
  sed -n '5p' "$0" | sed 's/^# *//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE="${2:?--profile needs a value}"; shift 2 ;;
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    --target-dir) TARGET_DIR="${2:?--target-dir needs a directory}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-strip) STRIP=0; shift ;;
    --compression) COMPRESSION="${2:?--compression needs xz, gzip, zstd or none}"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "build-deb: unknown argument $1" >&2; usage 2 ;;
  esac
done

case "$PROFILE" in
  dev | debug) PROFILE=dev; BIN_DIR="$TARGET_DIR/debug"; COMPRESSION="${COMPRESSION:-gzip}" ;;
  *) BIN_DIR="$TARGET_DIR/$PROFILE"; COMPRESSION="${COMPRESSION:-xz}" ;;
esac
case "$COMPRESSION" in xz | gzip | zstd | none) ;; *) die "--compression: xz, gzip, zstd or none, not $COMPRESSION" ;; esac

command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (this script builds Debian packages on Debian/Ubuntu)"

if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --locked --profile "$PROFILE" -p pingan-desktop -p pingan-sync --bins)
fi
for b in pingan pingan-sync; do
  [ -x "$BIN_DIR/$b" ] || die "no $BIN_DIR/$b: build it first (cargo build --profile $PROFILE --bins, or cargo test --workspace for dev) or drop --no-build"
done

# The workspace version ([workspace.package] version = "…").
VERSION="$(sed -n '/^\[workspace\.package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p}' "$ROOT/Cargo.toml" | head -1)"
[ -n "$VERSION" ] || die "no version in [workspace.package] of $ROOT/Cargo.toml"
VERSION="${PINGAN_DEB_VERSION:-$VERSION}"
ARCH="$(dpkg --print-architecture)"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
A="$ROOT/assets/packaging"
M="$ROOT/packaging/deb"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# The shared libraries a binary links (cargo-deb's `$auto`): dpkg-shlibdeps wants a debian/control to run in.
shlibs() {
  local bin="$1" line
  if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    mkdir -p "$WORK/shlibs/debian"
    printf 'Source: pingan\n\nPackage: pingan\nArchitecture: any\n' >"$WORK/shlibs/debian/control"
    if line="$(cd "$WORK/shlibs" && dpkg-shlibdeps -O "$bin" 2>/dev/null)"; then
      echo "${line#shlibs:Depends=}"
      return
    fi
  fi
  echo "build-deb: dpkg-shlibdeps unavailable or failed for $bin; assuming libc6, libgcc-s1" >&2
  echo "libc6, libgcc-s1"
}

install_bin() {
  install -D -m 0755 "$1" "$2"
  if [ "$STRIP" = 1 ] && command -v strip >/dev/null 2>&1; then
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$2"
  fi
}

copyright() {
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pingan

Files: *
Copyright: The Pingan developers
License: MIT or Apache-2.0
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
 .
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
 documentation files (the "Software"), to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
 to permit persons to whom the Software is furnished to do so, subject to the following conditions: the above
 copyright notice and this permission notice shall be included in all copies or substantial portions of the
 Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
EOF
}

# control PKG_DIR NAME DEPENDS RECOMMENDS SUGGESTS SECTION DESCRIPTION(first line, then " …" lines)
control() {
  local dir="$1" name="$2" depends="$3" recommends="$4" suggests="$5" section="$6" description="$7" size
  size="$(du -sk --exclude=DEBIAN "$dir" | cut -f1)"
  mkdir -p "$dir/DEBIAN"
  {
    echo "Package: $name"
    echo "Version: $VERSION"
    echo "Architecture: $ARCH"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $size"
    echo "Depends: $depends"
    [ -z "$recommends" ] || echo "Recommends: $recommends"
    [ -z "$suggests" ] || echo "Suggests: $suggests"
    echo "Section: $section"
    echo "Priority: optional"
    echo "Description: $description"
  } >"$dir/DEBIAN/control"
  (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum) >"$dir/DEBIAN/md5sums"
}

build() {
  local dir="$1" name="$2" deb
  deb="$OUT/${name}_${VERSION}_${ARCH}.deb"
  # Everything root:root (--root-owner-group); no group/other write; one time stamp for all.
  find "$dir" -type d -exec chmod g-w,o-w {} +
  find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --build --root-owner-group -Z"$COMPRESSION" "$dir" "$deb" >/dev/null
  echo "build-deb: $deb ($(du -h "$deb" | cut -f1))"
}

# --- pingan: the desktop client -------------------------------------------------------------------------------
P="$WORK/pingan"
install_bin "$BIN_DIR/pingan" "$P/usr/bin/pingan"
install -D -m 0644 "$A/pingan.desktop" "$P/usr/share/applications/pingan.desktop"
install -D -m 0644 "$A/pingan.svg" "$P/usr/share/icons/hicolor/scalable/apps/pingan.svg"
install -D -m 0644 "$A/pingan.png" "$P/usr/share/icons/hicolor/256x256/apps/pingan.png"
install -D -m 0644 "$A/$APP_ID.metainfo.xml" "$P/usr/share/metainfo/$APP_ID.metainfo.xml"
# The wall, unattended: a systemd user unit (enabled by the wall's user, never by the package) and its wrapper, which
# also serves a bare X server (xinit) with a restart loop; examples of its settings and layouts (packaging/README.md).
install -D -m 0755 "$A/pingan-wall.sh" "$P/usr/lib/pingan/pingan-wall"
install -D -m 0644 "$A/pingan-wall.service" "$P/usr/lib/systemd/user/pingan-wall.service"
install -D -m 0644 "$A/wall.env" "$P/usr/share/doc/pingan/examples/wall.env"
install -D -m 0644 "$A/pingan-wall.xinitrc" "$P/usr/share/doc/pingan/examples/xinitrc"
install -D -m 0644 "$ROOT/assets/config/wall.toml" "$P/usr/share/doc/pingan/examples/wall-three-monitors.toml"
install -D -m 0644 "$A/wall-one-x-screen.toml" "$P/usr/share/doc/pingan/examples/wall-one-x-screen.toml"
install -D -m 0644 "$ROOT/packaging/README.md" "$P/usr/share/doc/pingan/README.md"
mkdir -p "$P/usr/share/doc/pingan"
{
  copyright
  printf '\nFiles: the bundled CJK fonts (compiled into /usr/bin/pingan)\nCopyright: Adobe (Noto Sans CJK SC)\nLicense: OFL-1.1\n'
  sed 's/^$/./; s/^/ /' "$ROOT/assets/fonts/OFL.txt"
} >"$P/usr/share/doc/pingan/copyright"

# The file dialogs (rfd) use the XDG desktop portal, else zenity: Recommends.
# winit, wgpu and D-Bus users open these with dlopen, so dpkg-shlibdeps cannot see them: packaging/dev-setup.sh's
# list plus what `strings` finds in the binary (libwayland-egl.so.1, libxcb.so.1, libdbus-1.so.3).
WINDOW_DEPS="libvulkan1, mesa-vulkan-drivers | vulkan-icd, libegl1, libegl-mesa0, libgl1-mesa-dri"
WINDOW_DEPS+=", libx11-6, libx11-xcb1, libxcursor1, libxi6, libxrandr2, libxkbcommon0, libxkbcommon-x11-0"
WINDOW_DEPS+=", libxcb1, libwayland-client0, libwayland-egl1, libfontconfig1, libdbus-1-3"
control "$P" pingan "$(shlibs "$P/usr/bin/pingan"), $WINDOW_DEPS" \
  "xdg-desktop-portal-gtk | xdg-desktop-portal-backend | zenity" "pingan-sync, xinit" x11 \
  "command-room client for grid-based social governance (平安)
 Pingan shows a district's grids, buildings, open events and grid workers on one
 map, in 2D or 3D, with a live feed and the month's five-colour assessment of
 every town and grid. It syncs with a pingan-sync server (offline cache and an
 outbox that sends each action exactly once) or runs on a built-in demo district.
 .
 Rendering uses Vulkan (wgpu); without a GPU Mesa's software Vulkan (lavapipe)
 draws the window.
 .
 For a command room's video wall, pingan --wall runs one borderless window per
 screen; the systemd user unit pingan-wall.service (or xinit with
 /usr/lib/pingan/pingan-wall --loop) keeps it running unattended."
build "$P" pingan

# --- pingan-sync: the server ------------------------------------------------------------------------------------
S="$WORK/pingan-sync"
install_bin "$BIN_DIR/pingan-sync" "$S/usr/bin/pingan-sync"
# /lib, not /usr/lib: Debian 12's debhelper and deb-systemd-helper look there (both work on merged-/usr systems).
install -D -m 0644 "$A/pingan-sync.service" "$S/lib/systemd/system/pingan-sync.service"
# May hold a PostgreSQL password: root only (systemd reads it as root before dropping to the service user).
install -D -m 0640 "$A/pingan-sync.env" "$S/etc/pingan-sync/pingan-sync.env"
install -D -m 0644 "$ROOT/packaging/README.md" "$S/usr/share/doc/pingan-sync/README.md"
copyright >"$S/usr/share/doc/pingan-sync/copyright"
mkdir -p "$S/DEBIAN"
echo /etc/pingan-sync/pingan-sync.env >"$S/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  install -m 0755 "$M/pingan-sync/$s" "$S/DEBIAN/$s"
done
control "$S" pingan-sync "$(shlibs "$S/usr/bin/pingan-sync")" "" "postgresql" net \
  "sync server for the Pingan command-room client (平安)
 The thin backend Pingan desktops talk to: an append-only change log with
 snapshot and delta pull, a live Server-Sent Events stream, idempotent commands
 checked against the district, users with roles and hashed tokens, rate and
 connection limits. Storage is SQLite (default) or PostgreSQL.
 .
 Runs as the system user pingan-sync under systemd (pingan-sync.service);
 settings are in /etc/pingan-sync/pingan-sync.env, data in /var/lib/pingan-sync."
build "$S" pingan-sync
