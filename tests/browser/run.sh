#!/usr/bin/env bash
# The browser suite: the sign-off page (mapwright doc --format html) in
# headless Chromium, printed to PDF and read back with pdftotext
# (tests/signoff_browser.rs). Installs Debian's chromium and poppler-utils
# when they are missing (as root, or with sudo), then runs the ignored test.
#
# usage: tests/browser/run.sh
#        MAPWRIGHT_SCREENSHOT=docs/signoff-example.png tests/browser/run.sh   (renew the screenshot)
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v "${CHROMIUM:-chromium}" >/dev/null || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ -n "${MAPWRIGHT_SCREENSHOT:-}" ]; then
  MAPWRIGHT_SCREENSHOT=$(realpath -m "$MAPWRIGHT_SCREENSHOT")
  export MAPWRIGHT_SCREENSHOT
fi
cargo test -p mapwright-cli --test signoff_browser -- --ignored
