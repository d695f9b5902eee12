#!/bin/bash
# Fault injection: dome is killed with SIGKILL (DOME_FAULT, core/fault.h) at
# every named step of create, start, stop, destroy and set. After each, the
# next run of dome (any verb) and `dome doctor` must leave a consistent
# state: no leaked process, cgroup, veth, lease or mount; the inventory's
# state matching reality; the killed change audited as 'interrupted'.
# Private state root, cgroup prefix, bridge and subnet; all removed on exit.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/integration/leaks.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
setup_instance 251

# killed_at POINT CMD...: run dome with the fault armed; it must die by SIGKILL.
killed_at() {
	local point=$1; shift
	DOME_FAULT=$point "$DOME" "$@" >/dev/null 2>&1
	local st=$?
	[ "$st" = 137 ] && ok "$point: dome was killed there" || not_ok "$point: dome was killed there (exit $st)"
}
# repaired POINT NAME ACTION WANT_STATE: the next run and doctor repair it.
repaired() {
	local point=$1 name=$2 action=$3 want=$4
	d ls >/dev/null 2>&1 # any verb reconciles
	local state
	state=$(d info "$name" --json 2>/dev/null | jq -r .state)
	[ "$state" = "$want" ] && ok "$point: next run shows $name $want" || not_ok "$point: next run shows $name $want (it is ${state:-gone})"
	d doctor >"$TEST_ROOT/doctor" 2>&1
	local st=$?
	[ $st = 0 ] && ok "$point: doctor succeeds" || { not_ok "$point: doctor succeeds (exit $st)"; sed 's/^/#   /' "$TEST_ROOT/doctor"; }
	[ "$want" = running ] || expect_no_leaks "$name" "$point"
	[ "$(last_result "$action" "$name")" = interrupted ] && ok "$point: the $action is audited as interrupted" || not_ok "$point: the $action is audited as interrupted ($(last_result "$action" "$name"))"
	d doctor --dry-run --json >"$TEST_ROOT/again"
	[ "$(jq '.items | map(select(.kind != "monitor")) | length' "$TEST_ROOT/again")" = 0 ] && ok "$point: a second doctor finds nothing" || { not_ok "$point: a second doctor finds nothing"; cat "$TEST_ROOT/again"; }
}

C="fs$n"
expect_status 0 "create $C" -- d create "$C" --memory 64M

# --- create
for point in create.after-dirs create.after-commit; do
	X="fc$n"
	killed_at "$point" create "$X"
	d ls >/dev/null 2>&1
	d doctor >"$TEST_ROOT/doctor" 2>&1 || not_ok "$point: doctor succeeds"
	if [ "$point" = create.after-dirs ]; then
		# the row's transaction died with the process: no row, no dir
		d info "$X" >/dev/null 2>&1 && not_ok "$point: no row" || ok "$point: no row"
		[ ! -e "$DOME_ROOT/containers/$X" ] && ok "$point: doctor removed the orphan dir" || not_ok "$point: doctor removed the orphan dir"
		grep -q "dir .*$X" "$TEST_ROOT/doctor" && ok "$point: doctor reported it" || not_ok "$point: doctor reported it"
	else
		[ "$(json_get "$X" state)" = stopped ] && ok "$point: the committed row is a stopped container" || not_ok "$point: committed row stopped"
		expect_status 0 "$point: it starts" -- d start "$X"
		expect_status 0 "$point: it stops" -- d stop "$X" --timeout 5
	fi
	[ "$(last_result create "$X")" = interrupted ] && ok "$point: create audited as interrupted" || not_ok "$point: create audited as interrupted ($(last_result create "$X"))"
	d destroy --force "$X" >/dev/null 2>&1
	expect_no_leaks "$X" "$point"
done

# --- start: every step; then a normal start and stop must work
for point in start.after-cgroup start.after-lease start.after-monitor start.after-network \
	start.before-go start.before-record; do
	killed_at "$point" start "$C"
	repaired "$point" "$C" start stopped
	expect_status 0 "$point: a normal start works afterwards" -- d start "$C"
	expect_status 0 "$point: and a normal stop" -- d stop "$C" --timeout 5
	expect_no_leaks "$C" "$point, after start and stop"
done

# --- stop
for point in stop.after-signal stop.before-cleanup; do
	expect_status 0 "$point: start" -- d start "$C"
	killed_at "$point" stop "$C" --timeout 5
	# the monitor may still be recording the exit: give it a moment
	for i in $(seq 1 50); do [ -z "$(leaks_of "$C")" ] && break; sleep 0.1; done
	repaired "$point" "$C" stop stopped
done

# --- set: the live limit was written, the stored one not: doctor puts the
# stored one back so inventory and kernel agree
expect_status 0 "set: start" -- d start "$C"
killed_at set.after-live set "$C" memory=96M
repaired set.after-live "$C" set running
mem=$(json_get "$C" limits.memory)
cg=$(cat /sys/fs/cgroup/memory/$DOME_CGROUP_PREFIX/$C/memory.limit_in_bytes 2>/dev/null ||
     cat /sys/fs/cgroup/$DOME_CGROUP_PREFIX/$C/memory.max)
[ "$cg" = $((64 << 20)) ] && ok "set.after-live: the cgroup has the stored limit again ($cg)" || not_ok "set.after-live: the cgroup has the stored limit again (cgroup $cg, stored $mem)"
grep -q "limits" "$TEST_ROOT/doctor" && ok "set.after-live: doctor reported the limits" || not_ok "set.after-live: doctor reported the limits"
expect_status 0 "set: stop" -- d stop "$C" --timeout 5

# --- destroy: files gone, row left: doctor completes it
killed_at destroy.after-files destroy "$C"
d ls >/dev/null 2>&1
d doctor >"$TEST_ROOT/doctor" 2>&1 && ok "destroy.after-files: doctor succeeds" || not_ok "destroy.after-files: doctor succeeds"
d info "$C" >/dev/null 2>&1 && not_ok "destroy.after-files: the row is gone" || ok "destroy.after-files: the row is gone"
[ "$(last_result destroy "$C")" = interrupted ] && ok "destroy.after-files: audited as interrupted" || not_ok "destroy.after-files: audited as interrupted"
expect_no_leaks "$C" destroy.after-files

# Every repair is audited, and the history chain still holds.
[ "$(sqlite3 "$DOME_ROOT/dome.db" "SELECT count(*) FROM changes WHERE action = 'doctor' AND result = 'ok'")" -ge 3 ] && ok "doctor's repairs are in the history" || not_ok "doctor's repairs are in the history"
expect_status 0 "the history chain verifies" -- d history verify
finish
