#!/usr/bin/env bash
# Installs the host packages berth needs on Debian 12 (run as root).
# Shared by scripts/setup.sh and .ci/run; installs only what is missing,
# so running it again is cheap.
set -euo pipefail

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: $0 must run as root (try: sudo bash $0)" >&2
    exit 1
  fi
}
need_root

# Runtime: runc + conmon run containers; busybox-static is the test/base
# image; iptables + iproute2 make networks; tar/gzip/zstd unpack layers.
# Registry tests: docker-registry (distribution 2.8), skopeo, htpasswd, openssl.
# Build: better-sqlite3 compiles against the node headers with node-gyp, and so
# does berth's own C addon (native/, binding.gyp; g++ brings gcc and cc).
# Compose tests: Debian's docker-compose (v1.29) is a second real client of berthd.
PACKAGES=(runc conmon busybox-static iptables iproute2 tar gzip zstd ca-certificates curl
  docker-registry skopeo apache2-utils openssl
  python3 make g++
  docker-compose)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
want_node=0
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt 20 ]; then
  want_node=1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ] || [ "$want_node" -eq 1 ]; then
  echo ">> apt-get update"
  apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo ">> apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$want_node" -eq 1 ]; then
  # Debian 12's own nodejs is 18; berth needs 20. Install it only when the
  # configured apt sources offer >= 20 (e.g. a NodeSource repository).
  candidate=$(apt-cache policy nodejs | awk '/Candidate:/ {print $2}')
  cand_major=$(echo "$candidate" | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/')
  if [[ "$cand_major" =~ ^[0-9]+$ ]] && [ "$cand_major" -ge 20 ]; then
    echo ">> apt-get install nodejs ($candidate)"
    apt-get install -y -qq nodejs
    command -v npm >/dev/null 2>&1 || apt-get install -y -qq npm || true
  else
    have=$(node --version 2>/dev/null || echo "none")
    echo "error: berth needs Node.js >= 20 (found: $have)." >&2
    echo "       Debian 12's own nodejs package is 18 (apt candidate here: ${candidate:-none})." >&2
    echo "       Install Node.js 20 first, e.g. from https://nodejs.org/ or the NodeSource" >&2
    echo "       apt repository, then run this script again." >&2
    exit 1
  fi
fi

# Debian's docker.io (dockerd 20.10): the differential tests build and run
# the same things on a private dockerd and compare. Its own service is kept
# from starting (policy-rc.d): tests start private dockerds on their own
# sockets and bridges, and a system dockerd would take docker0.
if ! command -v dockerd >/dev/null 2>&1; then
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  echo ">> apt-get install docker.io (service left stopped)"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io </dev/null
  [ "$made_policy" -eq 0 ] || rm -f "$policy"
fi

echo ">> host packages ok (node $(node --version), runc $(runc --version | head -1 | awk '{print $3}'), conmon $(conmon --version | head -1 | awk '{print $3}'))"
