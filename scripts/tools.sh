#!/usr/bin/env bash
# Puts on PATH what the tests use beyond the build: the tools a bundle's
# recipient uses (minisign, age, openssl ts, bagit.py), the window test's (Xvfb,
# WebKitWebDriver, tauri-driver) and the servers the delivery tests start on
# 127.0.0.1 (Apache httpd with mod_dav, s3s-fs, microsocks), installing what is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh" minisign age openssl libimage-exiftool-perl python3-venv xvfb xauth webkit2gtk-driver apache2 apache2-utils microsocks poppler-utils qpdf ffmpeg libheif-examples
# bagit.py, and jsonschema for checking sheets against the published schema.
if ! target/tools/bin/python3 -c 'import bagit, jsonschema' >/dev/null 2>&1; then
  python3 -m venv target/tools
  target/tools/bin/pip install --quiet bagit jsonschema
fi
export PATH="$PWD/target/tools/bin:$PATH"
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install --locked --quiet tauri-driver
fi
# An S3 server over a folder (0.14.1: the newest release that builds on rustc 1.95).
if ! command -v s3s-fs >/dev/null 2>&1; then
  cargo install --locked --quiet s3s-fs --version 0.14.1 --features binary
fi
