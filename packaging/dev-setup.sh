#!/usr/bin/env bash
# One-time set-up of a Debian/Ubuntu machine for Pingan: the run-time libraries a window needs, Mesa's software
# Vulkan (lavapipe) for GPU tests without a GPU, and a Rust toolchain if there is none. Safe to run again.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config ca-certificates curl git
  # a window: X11 / Wayland client libraries, loaded by winit at run time
  libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon0 libxkbcommon-x11-0 libwayland-client0
  # wgpu: Vulkan loader + Mesa drivers (lavapipe when there is no GPU), EGL/GL fallback
  libvulkan1 mesa-vulkan-drivers libegl1 libegl-mesa0 libgl1-mesa-dri libfontconfig1
  # headless screenshots: a virtual display and a grabber
  xvfb xauth imagemagick
  # the attention chime: ALSA, which cpal (under rodio) links
  libasound2-dev
  # the PDF report's test reads it back with pdfinfo, pdftotext and pdftoppm
  poppler-utils
)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
else
  echo "dev-setup: no apt-get here; install the equivalents of: ${PACKAGES[*]}" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "dev-setup: cargo is in ~/.cargo/bin; add it to PATH (source ~/.cargo/env)" >&2
  else
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    echo "dev-setup: Rust installed; run 'source ~/.cargo/env' or open a new shell" >&2
  fi
fi
