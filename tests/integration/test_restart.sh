#!/bin/bash
# Restart policies on the real kernel (issue 14, core/restart.h): the
# container's monitor restarts a killed init with a new pid under
# restart=on-failure, waits a backoff that doubles, gives up after
# restart_max with an event saying why, never undoes a `dome stop` (also of a
# restart it waits to make), leaves a clean exit alone under on-failure and
# restarts it under always; bad values are refused and change nothing; the
# audit history names the actor "system" and the reason. Own state root,
# cgroup prefix and names, no network; cleanup also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/integration/leaks.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 99; }
command -v sqlite3 >/dev/null || { echo "# needs sqlite3 to read event times"; exit 99; }
command -v jq >/dev/null || { echo "# needs jq"; exit 99; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-rs-$$"
F="rsf$$" S="rss$$" Z="rsz$$" A="rsa$$" W="rsw$$" B="rsb$$"

cleanup() {
	destroy_test_containers
	# A monitor still waiting out a backoff would find its row gone and
	# leave; do not let it outlive the root.
	for p in $(pgrep -f "__monitor $DOME_ROOT "); do kill -KILL "$p"; done
	remove_test_cgroups
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

info() { d info "$1" --json | jq -r ".$2"; }
# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
runs_with_new_pid() { # NAME OLD_PID
	local p
	p=$(info "$1" pid)
	[ "$(info "$1" state)" = running ] && [ "$p" != null ] && [ "$p" != "$2" ]
}
is_stopped_with() { # NAME EVENT_KIND
	[ "$(info "$1" state)" = stopped ] && [ "$(events "$1" "$2" | wc -l)" -gt 0 ]
}
# events NAME KIND: the times (ms) of NAME's KIND events, oldest first.
events() {
	sqlite3 "$DOME_ROOT/dome.db" "SELECT at FROM events WHERE container = '$1' AND kind = '$2' ORDER BY id"
}
waits_to_restart() { [ "$(info "$1" restart.next_retry_at)" != null ]; }
kill_init() { kill -KILL "$(info "$1" pid)"; }

# ---- bad values are refused and change nothing
expect_status 0 "create with a restart policy" -- \
	d create "$F" --net none --restart on-failure --restart-max 2 --restart-backoff 300ms
[ "$(info "$F" restart.policy)/$(info "$F" restart.max)" = on-failure/2 ] &&
	ok "info --json shows the policy and restart_max" || not_ok "info --json shows the policy and restart_max"
expect_status 2 "create with restart=sometimes is refused" -- d create "$B" --net none --restart sometimes
[ "$(d ls --json | jq -r ".[] | select(.name == \"$B\") | .name")" = "" ] &&
	ok "  ... and nothing is created" || not_ok "  ... and nothing is created"
expect_status 2 "set restart=sometimes is refused" -- d set "$F" restart=sometimes
expect_grep "$TEST_ROOT/err" "not no, on-failure or always" "  ... saying what is accepted"
expect_status 2 "set restart_max=-1 is refused" -- d set "$F" restart_max=-1
expect_status 2 "set restart=unhealthy is refused (no health checks yet)" -- d set "$F" restart=unhealthy
expect_grep "$TEST_ROOT/err" "health checks" "  ... saying why"
expect_status 2 "a good and a bad value together are refused" -- d set "$F" restart=always restart_max=-1
[ "$(info "$F" restart.policy)/$(info "$F" restart.max)" = on-failure/2 ] &&
	ok "nothing changed" || not_ok "nothing changed ($(info "$F" restart.policy)/$(info "$F" restart.max))"
expect_status 0 "set restart_backoff_max live" -- d set "$F" restart_backoff_max=30s
[ "$(info "$F" restart.backoff_max_ms)" = 30000 ] && ok "  ... stored" || not_ok "  ... stored"
d set "$F" restart=always restart_max=7 >/dev/null
expect_status 0 "a set of the policy can be rolled back" -- \
	d rollback "$(d history "$F" --action set --json | jq '.[0].id')"
[ "$(info "$F" restart.policy)/$(info "$F" restart.max)" = on-failure/2 ] &&
	ok "  ... and the policy is as before" || not_ok "  ... and the policy is as before"

# ---- on-failure: a killed init is restarted with a new pid, twice, then not
expect_status 0 "start the on-failure container" -- d start "$F"
p0=$(info "$F" pid)
kill_init "$F"
wait_for 15 runs_with_new_pid "$F" "$p0" && ok "killed init: restarted with a new pid" ||
	not_ok "killed init: restarted with a new pid ($(info "$F" state) $(info "$F" pid))"
p1=$(info "$F" pid)
[ "$(info "$F" restart.restarts_in_window)" = 1 ] && ok "info counts 1 restart in the window" ||
	not_ok "info counts 1 restart in the window ($(info "$F" restart.restarts_in_window))"
kill_init "$F"
wait_for 15 runs_with_new_pid "$F" "$p1" && ok "killed again: restarted again" ||
	not_ok "killed again: restarted again ($(info "$F" state))"
kill_init "$F"
wait_for 15 is_stopped_with "$F" restart_gave_up && ok "after restart_max restarts it stays stopped" ||
	not_ok "after restart_max restarts it stays stopped ($(info "$F" state))"
sleep 1
[ "$(info "$F" state)" = stopped ] && [ "$(events "$F" restart | wc -l)" = 2 ] &&
	ok "  ... with exactly 2 restarts made" || not_ok "  ... with exactly 2 restarts made"
d info "$F" > "$TEST_ROOT/info"
expect_grep "$TEST_ROOT/info" "^Restart: *on-failure (at most 2 in 600s.*2 in the window" "dome info shows the policy and the count"
sqlite3 "$DOME_ROOT/dome.db" "SELECT detail FROM events WHERE container = '$F' AND kind = 'restart_gave_up'" > "$TEST_ROOT/gaveup"
expect_grep "$TEST_ROOT/gaveup" "SIGKILL) after 2 restarts within 600s (restart_max 2): left stopped" "the event says why it stays stopped"
# Backoff: from each crash to the restart made of it.
mapfile -t crash < <(events "$F" crashed)
mapfile -t made < <(events "$F" restart)
gap1=$((made[0] - crash[0])) gap2=$((made[1] - crash[1]))
[ "$gap2" -gt "$gap1" ] && ok "the second wait is longer than the first (${gap1} ms, ${gap2} ms)" ||
	not_ok "the second wait is longer than the first (${gap1} ms, ${gap2} ms)"
d history "$F" --actor system --json > "$TEST_ROOT/hist"
[ "$(jq -r '[.[] | select(.action == "start" and .result == "ok")] | length' "$TEST_ROOT/hist")" = 2 ] &&
	ok "the history has 2 starts by actor system" || not_ok "the history has 2 starts by actor system"
expect_grep "$TEST_ROOT/hist" "restart policy: exit 137 (SIGKILL), attempt 2 of 2" "  ... with the reason"
expect_no_leaks "$F" "the given-up container"

# ---- a backup keeps the policy
R="rsr$$"
expect_status 0 "back up the on-failure container" -- d backup "$F" --to "$TEST_ROOT/bk"
expect_status 0 "restore it as a copy" -- d restore "$(ls "$TEST_ROOT"/bk/*)" --as "$R"
[ "$(info "$R" restart.policy)/$(info "$R" restart.max)/$(info "$R" restart.backoff_ms)" = on-failure/2/300 ] &&
	ok "  ... with its restart policy" ||
	not_ok "  ... with its restart policy ($(info "$R" restart.policy)/$(info "$R" restart.max)/$(info "$R" restart.backoff_ms))"

# ---- a dome stop is never undone
expect_status 0 "create and start an always container" -- d create "$S" --net none --restart always --start
expect_status 0 "dome stop it" -- d stop "$S"
sleep 1.5
[ "$(info "$S" state)" = stopped ] && [ -z "$(events "$S" restart)" ] &&
	ok "it stays stopped after the stop" || not_ok "it stays stopped after the stop ($(info "$S" state))"
expect_no_leaks "$S" "the stopped always container"

# ---- a stop of a container waiting for its restart cancels that restart
expect_status 0 "create and start one with a 3 s backoff" -- \
	d create "$W" --net none --restart on-failure --restart-backoff 3s --start
kill_init "$W"
wait_for 10 waits_to_restart "$W" && ok "info shows the next retry" ||
	not_ok "info shows the next retry"
d info "$W" > "$TEST_ROOT/info"
expect_grep "$TEST_ROOT/info" "^Next retry:" "  ... in the text too"
expect_status 0 "dome stop while it waits" -- d stop "$W"
sleep 4
[ "$(info "$W" state)" = stopped ] && [ -z "$(events "$W" restart)" ] &&
	ok "the pending restart is cancelled" || not_ok "the pending restart is cancelled ($(info "$W" state))"
[ "$(info "$W" restart.next_retry_at)" = null ] && ok "  ... and no retry is shown" || not_ok "  ... and no retry is shown"
[ "$(d history "$W" --actor system --json | jq length)" = 0 ] && ok "  ... and the policy recorded no start" ||
	not_ok "  ... and the policy recorded no start"
expect_no_leaks "$W" "the cancelled one"

# ---- restart=no set while it waits: the restart is not made
V="rsv$$"
expect_status 0 "create and start one with a 2 s backoff" -- \
	d create "$V" --net none --restart always --restart-backoff 2s --start
kill_init "$V"
wait_for 10 waits_to_restart "$V"
expect_status 0 "set restart=no while it waits" -- d set "$V" restart=no
sleep 3
[ "$(info "$V" state)" = stopped ] && [ -z "$(events "$V" restart)" ] &&
	[ "$(info "$V" restart.next_retry_at)" = null ] &&
	ok "  ... and it stays stopped, with no retry shown" || not_ok "  ... and it stays stopped, with no retry shown"
expect_no_leaks "$V" "the one whose policy was turned off"

# ---- a restart that fails is recorded, logged and counted
X="rsx$$"
expect_status 0 "create and start one with restart_max=1 and a 2 s backoff" -- \
	d create "$X" --net none --restart on-failure --restart-max 1 --restart-backoff 2s --start
kill_init "$X"
wait_for 10 waits_to_restart "$X"
# A CPU the host does not have: stored for a stopped container (with a
# warning), so the restart's start fails.
expect_status 0 "while it waits, give it a cpuset the host lacks" -- d set "$X" cpuset=1000
wait_for 15 is_stopped_with "$X" restart_gave_up && ok "the failed attempt counts: then it gives up" ||
	not_ok "the failed attempt counts: then it gives up ($(info "$X" state))"
[ "$(events "$X" restart_failed | wc -l)" = 1 ] && ok "  ... with a restart_failed event" ||
	not_ok "  ... with a restart_failed event"
d logs "$X" > "$TEST_ROOT/log" 2>&1
expect_grep "$TEST_ROOT/log" "restart policy: attempt 1 failed" "  ... and a line in the console log"
expect_no_leaks "$X" "the one whose restart failed"

# ---- a clean exit (poweroff inside): on-failure leaves it, always restarts it
expect_status 0 "create and start an on-failure container" -- d create "$Z" --net none --restart on-failure --start
d exec "$Z" poweroff >/dev/null 2>&1
wait_for 10 is_stopped_with "$Z" exited && ok "poweroff under on-failure: it exits" || not_ok "poweroff under on-failure: it exits"
sleep 1.5
[ "$(info "$Z" state)" = stopped ] && [ "$(info "$Z" exit_code)" = 0 ] && [ -z "$(events "$Z" restart)" ] &&
	ok "  ... with status 0, and is not restarted" || not_ok "  ... with status 0, and is not restarted ($(info "$Z" state))"
expect_no_leaks "$Z" "the cleanly exited one"
expect_status 0 "create and start an always container" -- d create "$A" --net none --restart always --start
a0=$(info "$A" pid)
d exec "$A" poweroff >/dev/null 2>&1
wait_for 15 runs_with_new_pid "$A" "$a0" && ok "poweroff under always: restarted with a new pid" ||
	not_ok "poweroff under always: restarted with a new pid ($(info "$A" state))"
d history "$A" --actor system --json > "$TEST_ROOT/hist"
expect_grep "$TEST_ROOT/hist" "restart policy: exit 0, attempt 1 of 5" "  ... recorded with the reason"
expect_status 0 "stop it" -- d stop "$A"
expect_no_leaks "$A" "the always container once stopped"

finish
