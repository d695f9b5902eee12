#!/bin/bash
# Load: two scripts at once each create, start, stop and destroy 50
# containers (100 in all; every other one on a private bridge, the rest with
# --net none; most stopped with --kill, a few politely) while the console is
# open on the same state root in tmux. Then, as an admin would check: every
# verb succeeded and each container was running and then stopped; nothing is
# left (no monitor, no init, no process in a cgroup of ours, no cgroup under
# the prefix in any hierarchy, no host veth, no lease, no mount under the
# root); every change is audited exactly once (100 create, 100 start, 100
# stop, 100 destroy, all ok, and none by the console); the history chain
# verifies; the console is still alive and shows no container.
# Own state root, cgroup prefix, bridge, /24 subnet, tmux socket and
# container names (all with the pid); everything removed on exit, also on
# failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/integration/leaks.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
command -v tmux >/dev/null || { echo "# needs tmux"; exit 77; }

PER=50                       # containers per script
POLITE=" 07 32 "             # these stop politely (busybox init takes ~4 s)
n=$(( $$ % 200 + 20 ))
BR="dmtl$n"
# 10.247: the other network tests use 10.248-10.253.
SUBNET_PFX="10.247.$n"
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-load-$$"
export DOME_CONFIG="$TEST_ROOT/dome.conf"
unset DOME_FAULT
printf '[network]\nbridge = %s\nsubnet = %s.0/24\nnameservers = %s.1\n' \
	"$BR" "$SUBNET_PFX" "$SUBNET_PFX" > "$DOME_CONFIG"
SOCK="dome-load-$$"
T() { tmux -L "$SOCK" "$@"; }
workers=()

# The scripts and the console first, then leaks.sh's cleanup_instance.
cleanup() {
	local p
	for p in "${workers[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	T kill-server 2>/dev/null
	cleanup_instance
}
trap cleanup EXIT
trap 'exit 130' INT TERM

screen() { T capture-pane -p -t load; }
wait_screen() { # PATTERN SECONDS
	for _ in $(seq $(($2 * 10))); do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# The start time (clock ticks since boot) of PID, to tell it from a reused pid.
start_time() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

# worker TAG: PER containers, one after the other. Each failed step is a
# line "STEP NAME: what" in fail.TAG; each started container's init and
# monitor (pid and start time) a line in procs.TAG.
worker() {
	local tag=$1 i c info state pid mon ip ifn
	local fail="$TEST_ROOT/fail.$tag" procs="$TEST_ROOT/procs.$tag"
	: > "$fail"; : > "$procs"
	for i in $(seq -w 1 "$PER"); do
		c="l$$$tag$i"
		local net=()
		(( 10#$i % 2 )) && net=(--net none)
		d create "$c" "${net[@]}" --memory 32M > /dev/null 2>"$TEST_ROOT/err.$tag" ||
			{ echo "create $c: $(cat "$TEST_ROOT/err.$tag")" >> "$fail"; continue; }
		d start "$c" > /dev/null 2>"$TEST_ROOT/err.$tag" ||
			echo "start $c: $(cat "$TEST_ROOT/err.$tag")" >> "$fail"
		info=$(d info "$c" --json)
		state=$(jq -r .state <<< "$info"); pid=$(jq -r .pid <<< "$info")
		mon=$(jq -r .monitor_pid <<< "$info"); ip=$(jq -r .ipv4 <<< "$info")
		ifn=$(jq -r .host_ifname <<< "$info")
		if [ "$state" = running ] && [ "$pid" -gt 1 ] 2>/dev/null &&
		   [ "$(tr -d '\0' < "/proc/$pid/cmdline" 2>/dev/null)" = init ]; then
			echo "$c init $pid $(start_time "$pid")" >> "$procs"
			echo "$c monitor $mon $(start_time "$mon")" >> "$procs"
		else
			echo "running $c: state $state, pid $pid" >> "$fail"
		fi
		if [ ${#net[@]} = 0 ]; then
			case "$ip" in "$SUBNET_PFX".*) ;; *) echo "lease $c: ipv4 '$ip'" >> "$fail" ;; esac
			[ "$(basename "$(readlink "/sys/class/net/$ifn/master")")" = "$BR" ] ||
				echo "veth $c: '$ifn' is not on $BR" >> "$fail"
		fi
		case "$POLITE" in
		*" $i "*) d stop "$c" --timeout 15 > /dev/null 2>"$TEST_ROOT/err.$tag" ;;
		*) d stop "$c" --kill > /dev/null 2>"$TEST_ROOT/err.$tag" ;;
		esac || echo "stop $c: $(cat "$TEST_ROOT/err.$tag")" >> "$fail"
		state=$(d info "$c" --json | jq -r .state)
		[ "$state" = stopped ] || echo "stopped $c: state $state after stop" >> "$fail"
		d destroy "$c" > /dev/null 2>"$TEST_ROOT/err.$tag" ||
			echo "destroy $c: $(cat "$TEST_ROOT/err.$tag")" >> "$fail"
	done
}

# The first container of a root imports the busybox image: done here, so
# the scripts race on containers, not on that first import.
expect_status 0 "a first container (imports the busybox image)" -- d create "w$$" --net none
expect_status 0 "and it is destroyed" -- d destroy "w$$"

# ---- the console, open the whole time ----
T new-session -d -s load -x 160 -y 50 env TERM=xterm-256color LANG=C.UTF-8 \
	DOME_ROOT="$DOME_ROOT" DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" \
	DOME_CONFIG="$DOME_CONFIG" "$DOME" \; set-option -t load remain-on-exit on
console=$(T list-panes -t load -F '#{pane_pid}')
wait_screen "No containers yet" 15 && ok "the console is open on the empty root (pid $console)" ||
	{ not_ok "the console is open on the empty root"; screen | sed '/^ *$/d; s/^/#   /'; }

# ---- two scripts at once ----
t0=$EPOCHREALTIME
worker a & workers+=($!)
worker b & workers+=($!)
seen=0
while kill -0 "${workers[@]}" 2>/dev/null; do
	screen | grep -q "^l$$[ab][0-9]" && seen=$((seen + 1))
	sleep 0.5
done
wait "${workers[@]}"
workers=()
echo "# 100 containers through create/start/stop/destroy in $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") s"
[ "$seen" -gt 0 ] && ok "the console showed the scripts' containers while they ran ($seen samples)" ||
	not_ok "the console showed the scripts' containers while they ran"

# ---- every step of every container ----
cat "$TEST_ROOT"/fail.[ab] > "$TEST_ROOT/fail"
for step in create start running lease veth stop stopped destroy; do
	what="$step"
	case $step in
	running) what="each started container was running with its init" ;;
	lease) what="each bridged container had an address in $SUBNET_PFX.0/24" ;;
	veth) what="each bridged container's host veth was on $BR" ;;
	stopped) what="each stopped container showed stopped" ;;
	*) what="all 100 ${step}s succeeded" ;;
	esac
	bad=$(grep -c "^$step " "$TEST_ROOT/fail")
	[ "$bad" = 0 ] && ok "$what" || { not_ok "$what ($bad failed)"; grep "^$step " "$TEST_ROOT/fail" | head -5 | sed 's/^/#   /'; }
done
[ "$(d ls --json | jq length)" = 0 ] && ok "dome ls lists no container" ||
	{ not_ok "dome ls lists no container"; d ls | sed 's/^/#   /'; }
[ "$(cat "$TEST_ROOT"/procs.[ab] | wc -l)" = 200 ] && ok "100 inits and 100 monitors were seen" ||
	not_ok "100 inits and 100 monitors were seen ($(cat "$TEST_ROOT"/procs.[ab] | wc -l) lines)"

# ---- nothing leaked ----
left=""
while read -r c kind pid st; do
	# A zombie has ended; collecting it is the host's pid 1's job.
	grep -qs '^State:.*Z' "/proc/$pid/status" && continue
	[ -n "$st" ] && [ "$(start_time "$pid")" = "$st" ] && left="$left $kind:$pid($c)"
done < <(cat "$TEST_ROOT"/procs.[ab])
[ -z "$left" ] && ok "no init or monitor of the 100 is alive" || not_ok "no init or monitor of the 100 is alive:$left"
left=$(pgrep -f "__monitor $DOME_ROOT ")
[ -z "$left" ] && ok "no monitor runs for this root" || not_ok "no monitor runs for this root: $left"
left=""
for p in /proc/[0-9]*; do
	grep -qs '^State:.*Z' "$p/status" && continue
	grep -qs ":/$DOME_CGROUP_PREFIX/" "$p/cgroup" && left="$left ${p#/proc/}"
done
[ -z "$left" ] && ok "no process in a cgroup under $DOME_CGROUP_PREFIX" || not_ok "no process in a cgroup under $DOME_CGROUP_PREFIX:$left"
left=$(for h in $(cgroup_hierarchies); do
	[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -mindepth 1 -type d
done)
[ -z "$left" ] && ok "no cgroup under $DOME_CGROUP_PREFIX in any hierarchy" ||
	{ not_ok "no cgroup under $DOME_CGROUP_PREFIX in any hierarchy"; echo "$left" | head -5 | sed 's/^/#   /'; }
left=$(host_veths_of; ls "/sys/class/net/$BR/brif" 2>/dev/null)
[ -z "$left" ] && ok "no host veth left, none on $BR" || not_ok "no host veth left: $(echo $left)"
[ "$(sqlite3 "$DOME_ROOT/dome.db" 'SELECT count(*) FROM leases')" = 0 ] && ok "the leases table is empty" ||
	not_ok "the leases table is empty ($(sqlite3 "$DOME_ROOT/dome.db" 'SELECT count(*) FROM leases') rows)"
left=$(grep -F " $DOME_ROOT/" /proc/self/mountinfo | awk '{print $5}')
[ -z "$left" ] && ok "no mount under the state root" || not_ok "no mount under the state root: $(echo $left)"

# ---- every change audited, once ----
q() { sqlite3 "$DOME_ROOT/dome.db" "$1"; }
for a in create start stop destroy; do
	got=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE result = 'ok') FROM changes WHERE action = '$a' AND target LIKE 'l$$%'")
	[ "$got" = "100 100" ] && ok "100 $a changes recorded, all ok" || not_ok "100 $a changes recorded, all ok (got total/ok: $got)"
done
other=$(q "SELECT action || ':' || target || ':' || result FROM changes WHERE target NOT LIKE 'l$$%' ORDER BY id" | tr '\n' ' ')
[ "$other" = "image-import:busybox:ok create:w$$:ok destroy:w$$:ok " ] && ok "no other change than the first container's" ||
	not_ok "no other change than the first container's: $other"
got=$(q "SELECT count(*) FROM changes WHERE actor_pid = $console")
[ "$got" = 0 ] && ok "the console recorded no change" || not_ok "the console recorded no change ($got)"
got=$(q "SELECT count(*) FROM changes WHERE seq IS NULL OR hash IS NULL OR ended_at IS NULL")
[ "$got" = 0 ] && ok "every change is complete and chained" || not_ok "every change is complete and chained ($got not)"
expect_status 0 "dome history verify passes" -- d history verify
expect_grep "$TEST_ROOT/out" "chain intact" "history verify says the chain is intact"

# ---- the console survived and caught up ----
[ "$(T list-panes -t load -F '#{pane_dead}')" = 0 ] && kill -0 "$console" 2>/dev/null &&
	ok "the console is still running" || { not_ok "the console is still running"; screen | sed '/^ *$/d; s/^/#   /'; }
wait_screen "No containers yet" 10 && ! screen | grep -q "^l$$" && ok "the console shows no container at the end" ||
	{ not_ok "the console shows no container at the end"; screen | sed '/^ *$/d; s/^/#   /'; }
finish
