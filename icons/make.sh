#!/usr/bin/env bash
# Regenerates the app icons (ImageMagick): a sealed case folder.
set -euo pipefail
cd "$(dirname "$0")"
convert -size 512x512 xc:none -fill '#1f3a5f' -draw 'roundrectangle 16,16 496,496 96,96' \
  -fill '#f2efe6' -draw 'polygon 120,170 230,170 260,205 392,205 392,380 120,380' \
  -fill '#c8553d' -draw 'circle 330,330 330,385' \
  -fill '#f2efe6' -draw 'polygon 305,330 322,350 358,308 366,316 322,366 297,338' icon.png
convert icon.png -resize 32x32 32x32.png
convert icon.png -resize 128x128 128x128.png
convert icon.png -resize 256x256 128x128@2x.png
