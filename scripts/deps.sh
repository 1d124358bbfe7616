#!/usr/bin/env bash
# Installs what building Casefile needs on Debian/Ubuntu, if missing: the C
# toolchain, OpenSSL for SQLCipher, WebKitGTK for the desktop app, libheif for
# phones' pictures, the fonts report.pdf is set in, and any further packages
# named as arguments. Sourced by the other scripts.
set -euo pipefail

need_apt=()
for pkg in build-essential pkg-config libssl-dev curl file \
    libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev libheif-dev \
    fonts-dejavu-core fonts-noto-cjk "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${need_apt[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    echo "Installing the Rust toolchain with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
  }
  export PATH="$HOME/.cargo/bin:$PATH"
fi
