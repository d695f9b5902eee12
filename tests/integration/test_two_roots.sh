#!/bin/bash
# Two state roots side by side on one host, with the same container name:
# what one root's start, stop, doctor and destroy do never touches the other's
# container (its processes and cgroup, its host veth, its bridge and NAT
# table, its mounts, its runtime dir). Run with both roots on their default
# cgroup prefix, with two prefixes of the test's own, and with both set to
# one prefix (the second root is refused it); then with the second root set
# to the first's bridge (refused too).
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
command -v jq >/dev/null || { echo "# needs jq (scripts/packages)"; exit 99; }

n=$(( $$ % 200 + 20 ))
C="tw$$"                       # the one container name both roots use
RA="$TEST_ROOT/a" RB="$TEST_ROOT/b"
BRA="dmtwa$n" BRB="dmtwb$n"
NETA="10.248.$n.0" NETB="10.248.$n.8"
GWA="10.248.$n.1"
conf() { # FILE BRIDGE SUBNET
	printf '[network]\nbridge = %s\nsubnet = %s/29\nnameservers = %s\n' "$2" "$3" "$GWA" > "$1"
}
conf "$TEST_ROOT/a.conf" "$BRA" "$NETA"
conf "$TEST_ROOT/b.conf" "$BRB" "$NETB"
conf "$TEST_ROOT/b-shared.conf" "$BRA" "$NETA"
unset DOME_ROOT DOME_CONFIG DOME_CGROUP_PREFIX DOME_BRIDGE DOME_FAULT
PA="" PB=""                    # the cgroup prefix each root uses (unset: its default)
BCONF="$TEST_ROOT/b.conf"
da() { DOME_ROOT="$RA" DOME_CONFIG="$TEST_ROOT/a.conf" DOME_CGROUP_PREFIX="$PA" "$DOME" "$@"; }
db() { DOME_ROOT="$RB" DOME_CONFIG="$BCONF" DOME_CGROUP_PREFIX="$PB" "$DOME" "$@"; }

# Everything of the test's roots: containers, monitors, bridges, the NAT
# table it made, cgroups under the prefixes they used, mounts under TEST_ROOT.
used_prefixes=""
cleanup() {
	local r p h
	for r in da db; do
		BCONF="$TEST_ROOT/b.conf"
		$r destroy --force "$C" >/dev/null 2>&1
	done
	pkill -KILL -f "__monitor $TEST_ROOT/" 2>/dev/null
	ip link del "$BRA" 2>/dev/null
	ip link del "$BRB" 2>/dev/null
	nft delete table ip "dome-$BRA" 2>/dev/null
	for p in $used_prefixes; do
		for h in $(cgroup_hierarchies); do
			[ -d "$h$p/$C" ] && rmdir "$h$p/$C" 2>/dev/null
			# a prefix the test named, or a root's own default: only when empty
			case "$p" in dome-tw*|dome-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])
				[ -d "$h$p" ] && rmdir "$h$p" 2>/dev/null;;
			esac
		done
	done
	grep -o " $TEST_ROOT[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# The cgroup v2 path of PID ("0::" line), or its first v1 one.
cgroup_of() { { sed -n 's/^0:://p' "/proc/$1/cgroup" | grep . || sed -n '1s/^[0-9]*:[^:]*://p' "/proc/$1/cgroup"; } 2>/dev/null; }
prefix_of() { cgroup_of "$1" | awk -F/ '{print $2}'; }
veth_of() { "$1" info "$C" --json | jq -r .host_ifname; }
master_of() { basename "$(readlink "/sys/class/net/$1/master" 2>/dev/null)"; }

# What a user checks that root A's container still has, taken once after
# its start (SNAP) and compared after each thing root B does (intact).
snap() {
	A_PID=$(da info "$C" --json | jq -r .pid)
	A_CG=$(cat "/proc/$A_PID/cgroup")
	A_VETH=$(veth_of da)
	A_IFINDEX=$(cat "/sys/class/net/$A_VETH/ifindex" 2>/dev/null)
	A_MOUNTS=$(grep -c " $RA/containers/$C/" /proc/self/mountinfo)
	A_RUN=$(cd "$RA/run" && find . | sort)
}
intact() { # WHAT-B-DID
	local what=$1 bad=""
	[ "$(da info "$C" --json | jq -r .state)" = running ] || bad="$bad state"
	kill -0 "$A_PID" 2>/dev/null || bad="$bad init($A_PID)"
	[ "$(cat "/proc/$A_PID/cgroup" 2>/dev/null)" = "$A_CG" ] || bad="$bad cgroup"
	grep -qx "$A_PID" "/sys/fs/cgroup/unified$(cgroup_of "$A_PID")/cgroup.procs" 2>/dev/null ||
		grep -qx "$A_PID" "/sys/fs/cgroup$(cgroup_of "$A_PID")/cgroup.procs" 2>/dev/null ||
		bad="$bad cgroup.procs"
	[ "$(cat "/sys/class/net/$A_VETH/ifindex" 2>/dev/null)" = "$A_IFINDEX" ] || bad="$bad veth($A_VETH)"
	[ "$(master_of "$A_VETH")" = "$BRA" ] || bad="$bad veth-on-bridge"
	[ "$(grep -c " $RA/containers/$C/" /proc/self/mountinfo)" = "$A_MOUNTS" ] || bad="$bad mounts"
	[ "$(cd "$RA/run" && find . | sort)" = "$A_RUN" ] || bad="$bad runtime-dir"
	da exec "$C" -- ping -c1 -W2 "$GWA" >/dev/null 2>&1 || bad="$bad ping-gateway"
	[ -z "$bad" ] && ok "$what: root A's $C untouched" || not_ok "$what: root A's $C untouched (lost:$bad)"
}

# Root B goes through a container's life and a doctor next to A's running one.
b_lifecycle() { # LABEL
	expect_status 0 "$1: B creates and starts $C" -- db create "$C" --start
	intact "$1: B's start"
	expect_status 0 "$1: B's doctor" -- db doctor
	intact "$1: B's doctor"
	expect_status 0 "$1: B stops $C" -- db stop --kill "$C"
	intact "$1: B's stop"
	expect_status 0 "$1: B's doctor with its $C stopped" -- db doctor
	intact "$1: B's doctor with its $C stopped"
	expect_status 0 "$1: B destroys $C" -- db destroy "$C"
	intact "$1: B's destroy"
}

# ---- 1. both roots on their default prefix
expect_status 0 "A creates and starts $C" -- da create "$C" --start
snap
used_prefixes="$used_prefixes $(prefix_of "$A_PID")"
b_lifecycle "default prefixes"
expect_status 0 "B starts its $C again" -- db create "$C" --start
b_pid=$(db info "$C" --json | jq -r .pid)
used_prefixes="$used_prefixes $(prefix_of "$b_pid")"
[ "$(prefix_of "$A_PID")" != "$(prefix_of "$b_pid")" ] \
	&& ok "each root has its own default prefix ($(prefix_of "$A_PID"), $(prefix_of "$b_pid"))" \
	|| not_ok "each root has its own default prefix (both $(prefix_of "$A_PID"))"
[ "$(veth_of da)" != "$(veth_of db)" ] && ok "each root has its own veth name" \
	|| not_ok "each root has its own veth name (both $(veth_of da))"
# And the other way round: A's doctor leaves B's running container alone.
B_CG=$(cat "/proc/$b_pid/cgroup") B_VETH=$(veth_of db)
B_IFINDEX=$(cat "/sys/class/net/$B_VETH/ifindex")
expect_status 0 "A's doctor" -- da doctor
{ kill -0 "$b_pid" && [ "$(cat "/proc/$b_pid/cgroup")" = "$B_CG" ] &&
  [ "$(cat "/sys/class/net/$B_VETH/ifindex")" = "$B_IFINDEX" ]; } 2>/dev/null \
	&& ok "A's doctor: root B's $C untouched" || not_ok "A's doctor: root B's $C untouched"
expect_status 0 "B destroys its $C" -- db destroy --force "$C"
expect_status 0 "A destroys its $C" -- da destroy --force "$C"

# ---- 2. a prefix of its own each
PA="dome-twa-$$" PB="dome-twb-$$"
used_prefixes="$used_prefixes $PA $PB"
expect_status 0 "A starts $C under $PA" -- da create "$C" --start
snap
b_lifecycle "own prefixes"

# ---- 3. both set to one prefix: the second root is refused it
PB="$PA"
expect_status 0 "B creates $C (stopped)" -- db create "$C"
expect_status 1 "B's start under A's prefix is refused" -- db start "$C"
expect_grep "$TEST_ROOT/err" "cgroup prefix '$PA' belongs to the dome state root $RA" \
	"the refusal names the prefix and the root that owns it"
intact "shared prefix: B's refused start"
expect_status 0 "shared prefix: B's doctor" -- db doctor
expect_grep "$TEST_ROOT/out" "belongs to the dome state root $RA" "B's doctor says whose the prefix is"
intact "shared prefix: B's doctor"
expect_status 0 "shared prefix: B destroys its $C" -- db destroy "$C"
intact "shared prefix: B's destroy"
PB="dome-twb-$$"

# ---- 3b. a prefix nobody marked (an older dome's) with a process of someone
# else's in it: B is refused it, its doctor kills nothing there; once it is
# empty B claims it.
PU="dome-twu-$$"
used_prefixes="$used_prefixes $PU"
for h in $(cgroup_hierarchies); do
	[ -e "${h}cgroup.procs" ] || continue
	mkdir -p "$h$PU/$C"
	[ -e "$h$PU/cpuset.cpus" ] && cat "${h}cpuset.cpus" > "$h$PU/cpuset.cpus" &&
		cat "${h}cpuset.mems" > "$h$PU/cpuset.mems" && cat "${h}cpuset.cpus" > "$h$PU/$C/cpuset.cpus" &&
		cat "${h}cpuset.mems" > "$h$PU/$C/cpuset.mems"
done
sleep 300 & other=$!
for h in $(cgroup_hierarchies); do
	[ -e "$h$PU/$C/cgroup.procs" ] && echo "$other" > "$h$PU/$C/cgroup.procs"
done
PB="$PU"
expect_status 0 "B creates $C (stopped)" -- db create "$C"
expect_status 1 "B's start under an unmarked prefix with another's process is refused" -- db start "$C"
expect_grep "$TEST_ROOT/err" "not marked as any state root's" "the refusal says why"
expect_status 0 "unmarked prefix: B's doctor" -- db doctor
kill -0 "$other" 2>/dev/null && ok "unmarked prefix: B's doctor leaves the other process" \
	|| not_ok "unmarked prefix: B's doctor leaves the other process"
kill "$other"; wait "$other" 2>/dev/null
for h in $(cgroup_hierarchies); do
	[ -d "$h$PU/$C" ] && rmdir "$h$PU/$C"
done
expect_status 0 "once nothing else runs in it, B's start claims it" -- db start "$C"
b_pid=$(db info "$C" --json | jq -r .pid)
[ "$(prefix_of "$b_pid")" = "$PU" ] && ok "B's $C runs under $PU" || not_ok "B's $C runs under $PU"
expect_status 0 "unmarked prefix: B destroys $C" -- db destroy --force "$C"
intact "unmarked prefix: B's start and destroy"
PB="dome-twb-$$"

# ---- 4. B set to A's bridge: refused, and its doctor leaves A's NAT table
# (an empty table the test makes under the name dome gives A's bridge).
BCONF="$TEST_ROOT/b-shared.conf"
nft add table ip "dome-$BRA"
expect_status 0 "B creates $C on A's bridge" -- db create "$C"
expect_status 1 "B's start on A's bridge is refused" -- db start "$C"
expect_grep "$TEST_ROOT/err" "bridge $BRA belongs to the dome state root $RA" \
	"the refusal names the bridge and the root that owns it"
intact "shared bridge: B's refused start"
expect_status 0 "shared bridge: B's doctor (nat = no)" -- db doctor
nft list tables ip 2>/dev/null | grep -q "table ip dome-$BRA\$" \
	&& ok "shared bridge: B's doctor leaves A's NAT table" \
	|| not_ok "shared bridge: B's doctor leaves A's NAT table"
intact "shared bridge: B's doctor"
expect_status 1 "B cannot move to A's bridge with dome net either" -- \
	env DOME_ROOT="$RB" DOME_CONFIG="$TEST_ROOT/b.conf" DOME_CGROUP_PREFIX="$PB" "$DOME" net "bridge=$BRA"
expect_status 0 "shared bridge: B destroys its $C" -- db destroy "$C"
intact "shared bridge: B's destroy"
BCONF="$TEST_ROOT/b.conf"

# ---- 5. B's container locks are its own: A holding its lock does not make
# B's stop of the same name wait.
expect_status 0 "B starts $C again" -- db create "$C" --start
flock "$RA/run/locks/$C" sleep 5 & holder=$!
sleep 0.2
DOME_ROOT="$RB" DOME_CONFIG="$BCONF" DOME_CGROUP_PREFIX="$PB" timeout 4 "$DOME" stop --kill "$C" \
	>/dev/null 2>&1 && ok "B's stop does not wait for A's lock" || not_ok "B's stop does not wait for A's lock"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect_status 0 "B destroys $C" -- db destroy "$C"
intact "locks: B's stop and destroy"
expect_status 0 "A's doctor at the end" -- da doctor
intact "A's own doctor"
finish
