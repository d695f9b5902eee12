#!/bin/bash
# Autostart through the CLI on the real kernel: three containers start in
# autostart_order with their delays between them (start times from the
# inventory, in ms), one not marked stays stopped, a failing one is reported
# without stopping the rest, a run recorded before a "reboot" is reconciled
# first, and --stop stops them in reverse order. Own state root, cgroup
# prefix and names; cleanup also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 99; }
command -v sqlite3 >/dev/null || { echo "# needs sqlite3 to read start times"; exit 99; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-as-$$"
d() { "$DOME" "$@"; }
A="asa$$" B="asb$$" C="asc$$" N="asn$$" F="asf$$"

cleanup() {
	for c in $(d ls --json 2>/dev/null | sed -n 's/.*"name": "\(.*\)".*/\1/p'); do
		d destroy --force "$c" >/dev/null 2>&1
	done
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
col() { sqlite3 "$DOME_ROOT/dome.db" "SELECT $2 FROM containers WHERE name = '$1'"; }

# Created out of name order so the order comes from autostart_order.
expect_status 0 "create C (order 3)" -- d create "$C" --net none
expect_status 0 "create A (order 1, delay 2)" -- d create "$A" --net none
expect_status 0 "create B (order 2, delay 1)" -- d create "$B" --net none
expect_status 0 "create N (no autostart)" -- d create "$N" --net none
d set "$A" autostart=yes autostart_order=1 autostart_delay=2 >/dev/null
d set "$B" autostart=yes autostart_order=2 autostart_delay=1 >/dev/null
d set "$C" autostart=yes autostart_order=3 autostart_delay=0 >/dev/null
d ls > "$TEST_ROOT/ls"
grep "^$A " "$TEST_ROOT/ls" | grep -q yes && ok "ls shows autostart" || not_ok "ls shows autostart"

expect_status 0 "dome autostart" -- d autostart
[ "$(grep -c '^started' "$TEST_ROOT/out")" = 3 ] && ok "it reports three starts" || not_ok "it reports three starts"
for c in "$A" "$B" "$C"; do
	[ "$(d info "$c" --json | jq -r .state)" = running ] && ok "$c runs" || not_ok "$c runs"
done
[ "$(d info "$N" --json | jq -r .state)" = stopped ] && ok "the one without autostart stays stopped" || not_ok "the one without autostart stays stopped"
ta=$(col "$A" started_at) tb=$(col "$B" started_at) tc=$(col "$C" started_at)
[ $((tb - ta)) -ge 2000 ] && [ $((tb - ta)) -lt 4000 ] && ok "B started 2 s after A ($((tb - ta)) ms)" || not_ok "B started 2 s after A ($((tb - ta)) ms)"
[ $((tc - tb)) -ge 1000 ] && [ $((tc - tb)) -lt 3000 ] && ok "C started 1 s after B ($((tc - tb)) ms)" || not_ok "C started 1 s after B ($((tc - tb)) ms)"

expect_status 0 "a second run finds them running" -- d autostart
[ "$(grep -c '^already running' "$TEST_ROOT/out")" = 3 ] && ok "  ... and says so" || not_ok "  ... and says so"

expect_status 0 "dome autostart --stop" -- d autostart --stop
for c in "$A" "$B" "$C"; do
	[ "$(d info "$c" --json | jq -r .state)" = stopped ] && ok "$c stopped" || not_ok "$c stopped"
done
sa=$(col "$A" stopped_at) sb=$(col "$B" stopped_at) sc=$(col "$C" stopped_at)
[ "$sc" -le "$sb" ] && [ "$sb" -le "$sa" ] && ok "stopped in reverse order (C, B, A)" || not_ok "stopped in reverse order ($sc $sb $sa)"
[ "$(sed -n 's/^stopped //p' "$TEST_ROOT/out" | tr '\n' ' ')" = "$C $B $A " ] && ok "  ... as reported" || not_ok "  ... as reported"

# A failing container is reported; the others still start; exit 1.
printf 'x' > "$TEST_ROOT/hello"
python3 -c "import tarfile,sys; t=tarfile.open(sys.argv[1],'w'); t.add(sys.argv[2], arcname='etc/hello'); t.close()" \
	"$TEST_ROOT/noinit.tar" "$TEST_ROOT/hello"
d image import "noinit$$" "$TEST_ROOT/noinit.tar" >/dev/null
d create "$F" --image "noinit$$" --net none >/dev/null
d set "$F" autostart=yes autostart_order=0 >/dev/null
# "Reboot": the inventory says A runs, with an init that is long gone.
sqlite3 "$DOME_ROOT/dome.db" "UPDATE containers SET state = 'running', pid = 999999999, pid_start = 1 WHERE name = '$A'"
expect_status 1 "autostart with a failing container exits 1" -- d autostart
expect_grep "$TEST_ROOT/err" "$F" "  ... naming it"
for c in "$A" "$B" "$C"; do
	[ "$(d info "$c" --json | jq -r .state)" = running ] && ok "$c still started" || not_ok "$c still started"
done
grep -q "^started $A" "$TEST_ROOT/out" && ok "the stale run was reconciled and A started again" \
	|| not_ok "the stale run was reconciled and A started again"
d autostart --stop >/dev/null 2>&1

expect_status 2 "autostart takes no names" -- d autostart "$A"
expect_status 1 "autostart is refused read-only" -- d --readonly autostart

finish
