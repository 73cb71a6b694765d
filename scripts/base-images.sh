#!/usr/bin/env bash
# Makes the base image every example needs without a registry: a busybox
# root filesystem built from Debian's busybox-static (the same tar the tests
# use), imported into the running berthd as busybox:latest with CMD ["sh"].
#
#   scripts/base-images.sh [--force] [REF]     (REF defaults to busybox:latest)
#
# Talks to $BERTH_HOST, else $DOCKER_HOST, else unix:///run/berth/berth.sock.
# Exit codes: 0 imported (or already there), 1 failure, 3 the daemon has no
# image import endpoint yet.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
ref="${1:-busybox:latest}"
host="${BERTH_HOST:-${DOCKER_HOST:-unix:///run/berth/berth.sock}}"
case "$host" in
  unix://*) sock="${host#unix://}" ;;
  *) echo "base-images.sh: only unix:// hosts are supported (got $host)" >&2; exit 1 ;;
esac
[ -S "$sock" ] || { echo "base-images.sh: no berthd socket at $sock (start berthd first)" >&2; exit 1; }

api() { curl -sS --unix-socket "$sock" "$@"; }
image_id() { api -f "http://berth/images/$1/json" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).Id)}catch{}})'; }

if [ "$force" -eq 0 ]; then
  id=$(image_id "$ref" || true)
  if [ -n "$id" ]; then echo "$ref is already present ($id)"; exit 0; fi
fi

# The tar builder lives with the tests (one definition of the image).
if [ ! -f dist/test/support/images.js ]; then node scripts/build.mjs >/dev/null || true; fi
tar=$(node -e "import('$root/dist/test/support/images.js').then(m => console.log(m.busyboxTar()))")
echo "busybox rootfs: $tar"

repo="${ref%:*}"; tag="${ref##*:}"
if [ "$repo" = "$ref" ] || [[ "$tag" == */* ]]; then repo="$ref"; tag=latest; fi

if [ -f dist/berth.mjs ] && node dist/berth.mjs --help 2>/dev/null | grep -qE "^ +import( |$)"; then
  BERTH_HOST="$host" node dist/berth.mjs import --change 'CMD ["sh"]' "$tar" "$ref"
else
  # No `berth import` yet: the same request `docker import` sends.
  out=$(api -X POST -H 'Content-Type: application/x-tar' --data-binary @"$tar" -w '\n%{http_code}' \
    "http://berth/images/create?fromSrc=-&repo=$(printf %s "$repo" | jq -sRr @uri)&tag=$tag&changes=$(printf %s 'CMD ["sh"]' | jq -sRr @uri)")
  code=$(tail -n1 <<<"$out"); body=$(sed '$d' <<<"$out")
  if [ "$code" = 404 ] && grep -q 'page not found' <<<"$body"; then
    echo "base-images.sh: this berthd cannot import images yet (POST /images/create is not there)" >&2
    exit 3
  fi
  if [ "$code" != 200 ] || grep -q '"error"' <<<"$body"; then
    echo "base-images.sh: import failed (HTTP $code): $body" >&2
    exit 1
  fi
fi
id=$(image_id "$ref" || true)
[ -n "$id" ] || { echo "base-images.sh: import reported success but $ref is not there" >&2; exit 1; }
echo "imported $ref ($id)"
