#!/usr/bin/env bash
# The first command of the README, on a fresh Debian 12, as root:
#   sudo bash scripts/setup.sh
# Installs the host packages, the npm dependencies, builds berth, installs the
# `berth` and `berthd` launchers, starts berthd on the default socket if it
# is not running, imports busybox:latest, and shows the engine working.
# Running it again is fine: every step checks first.
#
# Overrides (for trying it out without touching the defaults):
#   BERTH_BIN_DIR (/usr/local/bin)  BERTH_SOCK (/run/berth/berth.sock)
#   BERTH_DATA_ROOT (/var/lib/berth)  BERTH_EXEC_ROOT (/run/berth)
#   BERTH_LOG (/var/log/berthd.log)
#   BERTH_CLI_PLUGINS_DIR (/usr/local/lib/docker/cli-plugins)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin_dir="${BERTH_BIN_DIR:-/usr/local/bin}"
sock="${BERTH_SOCK:-/run/berth/berth.sock}"
data_root="${BERTH_DATA_ROOT:-/var/lib/berth}"
exec_root="${BERTH_EXEC_ROOT:-/run/berth}"
log_file="${BERTH_LOG:-/var/log/berthd.log}"

step() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "error: setup must run as root (berthd mounts filesystems and runs runc): sudo bash scripts/setup.sh" >&2
  exit 1
fi

step "host packages"
bash scripts/install-deps.sh

step "npm dependencies"
# npm ci replaces node_modules; skip it when node_modules already matches the lock file.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.berth-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  echo "node_modules matches package-lock.json"
else
  npm ci --no-fund --no-audit
  echo "$lock_hash" >"$stamp"
fi

step "build"
if ! node scripts/build.mjs; then
  # The build writes the bundles even when type-checking fails.
  [ -f dist/berthd.mjs ] && [ -f dist/berth.mjs ] || { echo "error: build failed" >&2; exit 1; }
  echo "warning: type errors (above); the bundles were written, continuing" >&2
fi

step "launchers in $bin_dir"
mkdir -p "$bin_dir"
# bin/berth drops the machine-wide NODE_EXTRA_CA_CERTS (~70 ms per start;
# berth only talks to a unix socket) and runs the code-cached bundle.
ln -sfn "$root/bin/berth" "$bin_dir/berth"
node_bin=$(command -v node)
tmp="$bin_dir/berthd.tmp.$$"
cat >"$tmp" <<LAUNCHER
#!/bin/sh
# berthd launcher (installed by $root/scripts/setup.sh)
exec "$node_bin" "$root/dist/berthd.mjs" "\$@"
LAUNCHER
chmod 755 "$tmp"
mv -f "$tmp" "$bin_dir/berthd"
echo "$bin_dir/berth -> $root/bin/berth"
echo "$bin_dir/berthd -> $root/dist/berthd.mjs"

step "docker CLI plugin: docker compose -> berth compose"
# A cli-plugins directory, not PATH: Debian's docker-compose v1 (/usr/bin) stays as it is.
plugin_dir="${BERTH_CLI_PLUGINS_DIR:-/usr/local/lib/docker/cli-plugins}"
mkdir -p "$plugin_dir"
ln -sfn "$root/bin/docker-compose-plugin" "$plugin_dir/docker-compose"
echo "$plugin_dir/docker-compose -> $root/bin/docker-compose-plugin"

ping() { curl -sf --max-time 2 --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1; }

step "berthd on unix://$sock"
if ping; then
  echo "berthd is already running"
else
  mkdir -p "$(dirname "$log_file")"
  # setsid + nohup: the daemon outlives this shell and its terminal.
  setsid nohup "$bin_dir/berthd" -H "unix://$sock" --data-root "$data_root" --exec-root "$exec_root" \
    >>"$log_file" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    ping && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: berthd exited; the end of $log_file:" >&2
      tail -n 20 "$log_file" >&2
      exit 1
    fi
    sleep 0.2
  done
  ping || { echo "error: berthd did not answer on $sock within 20s (log: $log_file)" >&2; exit 1; }
  echo "started berthd (pid $pid), data root $data_root, log $log_file"
fi
export BERTH_HOST="unix://$sock"

step "base image busybox:latest"
bash scripts/base-images.sh

step "berth version"
"$bin_dir/berth" version
step "berth images"
"$bin_dir/berth" images
step "berth run --rm busybox echo hello from berth"
"$bin_dir/berth" run --rm busybox echo hello from berth

cat <<DONE

berth is ready. Try:
  berth version
  DOCKER_HOST=unix://$sock docker info     # the real docker CLI works too
Run the tests with: npm test
DONE
