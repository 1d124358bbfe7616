#!/usr/bin/env bash
# Regenerates the demo case's images (ImageMagick). Everything shown is invented.
set -euo pipefail
cd "$(dirname "$0")"
convert -size 900x1200 xc:'#f4f1e8' -font DejaVu-Sans -fill '#222' \
  -pointsize 34 -annotate +70+110 'MINISTRY OF INTERNAL AFFAIRS' \
  -pointsize 26 -annotate +70+160 'Pre-trial Detention Centre No. 3 - Register of Detainees' \
  -pointsize 22 -annotate +70+260 'Entry 0417    Detainee: K. D. (pseudonym)    Cell 12' \
  -annotate +70+310 'Admitted: 2024-02-11 23:40    Authorised by: Maj. R. Tolvanen' \
  -annotate +70+360 'Medical request 2024-02-14: refused (signature illegible)' \
  -annotate +70+410 'Medical request 2024-02-16: refused by order of Col. A. Marrow' \
  -annotate +70+460 'Transferred to hospital 2024-02-19 04:10 - deceased on arrival' \
  -stroke '#999' -strokewidth 2 -draw 'line 70,200 830,200' \
  -fill '#a33' -stroke none -pointsize 40 -annotate +560+1080 'COPY' \
  -attenuate 0.3 +noise Gaussian -quality 80 detention-record.jpg
convert -size 1024x768 gradient:'#8aa3b8-#4a5560' -fill '#3b3b3b' \
  -draw 'rectangle 180,260 840,768' -fill '#262626' -draw 'rectangle 460,520 560,768' \
  -fill '#d9d2b0' -draw 'rectangle 240,330 330,420 rectangle 690,330 780,420' \
  -attenuate 0.4 +noise Gaussian -quality 80 facility-photo.jpg
