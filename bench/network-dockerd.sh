#!/bin/bash
# Usage: bench/network-dockerd.sh [MiB]  (root; needs dockerd). Starts a private dockerd beside berth, runs bench/network.mjs against both, stops it.
set -u
dir=$(mktemp -d /tmp/berth-dockerd-bench-XXXX)
br=gdkb$RANDOM
ip link add $br type bridge && ip addr add 10.177.$((RANDOM%250)).1/24 dev $br && ip link set $br up
echo '{}' > $dir/daemon.json
dockerd -H unix://$dir/d.sock --data-root $dir/data --exec-root $dir/exec --pidfile $dir/pid --config-file $dir/daemon.json --bridge=$br --default-address-pool base=10.178.0.0/16,size=24 --iptables=true --log-level warn 2>$dir/log &
pid=$!
for i in $(seq 1 100); do docker -H unix://$dir/d.sock version >/dev/null 2>&1 && break; sleep 0.3; done
tar -C / -c bin/busybox >/dev/null 2>&1
node -e "import('/work/main/dist/test/support/images.js').then(m=>process.stdout.write(m.busyboxTar()))" > $dir/tarpath
docker -H unix://$dir/d.sock import -c 'CMD ["sh"]' $(cat $dir/tarpath) busybox:latest >/dev/null
DOCKERD_HOST=unix://$dir/d.sock node bench/network.mjs ${1:-128}
ids=$(docker -H unix://$dir/d.sock ps -aq); [ -n "$ids" ] && docker -H unix://$dir/d.sock rm -f $ids >/dev/null
kill $pid; wait $pid
umount -R $dir/exec $dir/data 2>/dev/null
rm -rf $dir; ip link del $br
