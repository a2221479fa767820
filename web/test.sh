#!/usr/bin/env bash
# The playground in a browser: starts `mapwright serve` on a free loopback
# port and drives the page in Debian's headless Chromium with playwright-core
# (web/test/drive.mjs, pinned in web/test/package-lock.json). Installs
# chromium and node when missing (as root, or with sudo), and the npm
# package into web/test/node_modules.
#
# usage: web/test.sh
#        MAPWRIGHT_SCREENSHOT=docs/playground.png web/test.sh   (renew the screenshot)
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v "${CHROMIUM:-chromium}" >/dev/null || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export CHROMIUM="$(command -v "${CHROMIUM:-chromium}")"
[ -d web/test/node_modules/playwright-core ] || npm ci --prefix web/test --no-audit --no-fund >/dev/null
cargo build -q -p mapwright-cli
scratch=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
target/debug/mapwright serve --port 0 --time-limit 2 >"$scratch/url" 2>"$scratch/log" &
server=$!
for _ in $(seq 100); do
  [ -s "$scratch/url" ] && break
  sleep 0.1
done
url=$(head -1 "$scratch/url")
case "$url" in
  http://127.0.0.1:*/) ;;
  *) echo "mapwright serve printed no URL:" >&2; cat "$scratch/log" >&2; exit 1 ;;
esac
target/debug/mapwright convert -q -m mappings/oneserve-spectrum/order.yaml \
  mappings/oneserve-spectrum/examples/orders.ndjson --param company_code=KM2 >"$scratch/convert.json" || [ $? = 1 ]
shot="${MAPWRIGHT_SCREENSHOT:-$scratch/playground.png}"
node web/test/drive.mjs "$url" "$scratch/convert.json" "$(realpath -m "$shot")"
