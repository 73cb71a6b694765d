#!/bin/sh
# What a bench run left behind, if anything: `bench/check-clean.sh [DIR]`
# with DIR the temp dir the run logged ("starting dockerd and berthd under
# /tmp/bb-…"); without it, the traces of every run (/tmp/bb-*). The bench
# runs it itself after its teardown and reports the answer.
# Looks for: processes whose command line names the dir (daemons,
# containerd, shims, conmon, registries), mounts under it, the dir itself,
# the bridges bbench0/bbench1, iptables rules naming them or the bench's
# subnets 10.123–10.126.*, DOCKER* chains while no dockerd runs (a note
# unless $CHAINS_BEFORE names those there before the run), berthd's
# bridge notes pointing into the dir, a lock left by a dead bench.
# Exit 0: nothing left; 1: leftovers (listed); 2: a bench is running now.
set -u
dir=${1:-/tmp/bb-}
dir=${dir%/}
found=0
leftover() {
	found=1
	echo "left: $*"
}

lock=/run/berth-bench.lock
if [ -f "$lock/pid" ]; then
	owner=$(cat "$lock/pid" 2>/dev/null)
	if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
		if [ $# -eq 0 ]; then
			echo "a bench is running (pid $owner): its traces are expected; check again when it ends"
			exit 2
		fi
	else
		leftover "lock $lock of a bench that is gone (pid ${owner:-?}; the next run takes it over)"
	fi
fi

# Processes: every command line that names the dir (this script's own shells excepted).
for p in /proc/[0-9]*; do
	pid=${p#/proc/}
	[ "$pid" = $$ ] && continue
	cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
	case "$cmd" in
	*check-clean.sh*) ;;
	*"$dir"*) leftover "process $pid: $(echo "$cmd" | cut -c1-160)" ;;
	esac
done

findmnt -rno TARGET | while read -r m; do
	case "$m" in "$dir"*) echo "$m" ;; esac
done | while read -r m; do echo "left: mount $m"; done | grep . && found=1

if [ $# -gt 0 ]; then
	[ -e "$dir" ] && leftover "directory $dir"
else
	for d in /tmp/bb-*; do [ -e "$d" ] && leftover "directory $d"; done
fi

for b in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \(bbench[0-9]*\)[:@].*/\1/p'); do
	leftover "bridge $b"
done

rules=$(iptables-save 2>/dev/null | grep -E 'bbench[0-9]|10\.12[3-6]\.' | grep -v '^#')
[ -n "$rules" ] && echo "$rules" | while read -r r; do echo "left: iptables $r"; done && found=1

# DOCKER* chains that no running dockerd uses (dockerd 20.10 leaves them on exit).
# The bench passes CHAINS_BEFORE, those there before its run: any other is its
# own leftover. Without it a chain may be any dockerd's (a test's): a note only.
if ! pgrep -x dockerd >/dev/null; then
	for c in $(iptables-save 2>/dev/null | sed -n 's/^:\(DOCKER[A-Z0-9-]*\) .*/\1/p' | sort -u); do
		case " ${CHAINS_BEFORE:-} " in
		*" $c "*) ;;
		*)
			if [ -n "${CHAINS_BEFORE+set}" ]; then
				leftover "iptables chain $c, made during the run, with no dockerd running"
			else
				echo "note: iptables chain $c with no dockerd running (left by some dockerd; not necessarily a bench's)"
			fi
			;;
		esac
	done
fi

for f in /run/berth-net-owners/*.json; do
	[ -f "$f" ] || continue
	grep -qF "$dir" "$f" 2>/dev/null && leftover "bridge note $f ($(cat "$f"))"
done

if [ $found -eq 0 ]; then
	echo "clean: no process, mount, directory, bbench bridge, iptables rule or chain, bridge note or lock left for $dir*"
	exit 0
fi
exit 1
