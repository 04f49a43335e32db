#!/usr/bin/env bash
# Debian packages the views need, installed when missing (idempotent; part of set-up):
#   fonts-noto-cjk     Chinese charts and reports (--lang zh) without boxes for characters
#   libpango-1.0-0, libpangoft2-1.0-0   WeasyPrint (the PDF report)
#   chromium           the dashboard's browser test (headless; Playwright drives it)
# Everything comes from Debian's registry; nothing is downloaded at run time.
# Without root (or apt), it says what is missing and carries on: the model, studies and
# English charts work without these; the affected features fall back or skip with a reason.
set -uo pipefail

PACKAGES=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "warning: could not install ${missing[*]}; Chinese output, the PDF report or the browser test may be unavailable" >&2
  fi
else
  echo "note: missing system packages ${missing[*]} (install them as root with apt-get for Chinese output, the PDF report and the browser test)" >&2
fi
exit 0
