#!/bin/bash
# dome rollback on the real kernel, through the CLI: a limit change rolled back
# on a running container puts the cgroup value back and is itself audited; a
# rollback can be rolled back; a later change makes it ask for --force and
# name the difference; destroy, failed changes and read-only runs are refused
# with nothing recorded. Own state root, cgroup prefix and names; everything
# made is removed on exit, also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-rb-$$"
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
d() { "$DOME" "$@"; }
C1="rb$$"
C2="rbd$$"

cleanup() {
	for c in "$C1" "$C2"; do
		d destroy --force "$c" >/dev/null 2>&1
	done
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] || continue
		find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# The memory limit the kernel enforces on C1 (cgroup v1 or v2), in bytes.
memory_limit() {
	for f in "/sys/fs/cgroup/memory/$DOME_CGROUP_PREFIX/$C1/memory.limit_in_bytes" \
		 "/sys/fs/cgroup/$DOME_CGROUP_PREFIX/$C1/memory.max"; do
		[ -f "$f" ] && { cat "$f"; return; }
	done
	echo missing
}
# The id of the newest change (optionally of one action).
last_id() { d history --json --limit 1 ${1:+--action "$1"} | jq '.[0].id'; }
records() { d history --json --limit 10000 | jq length; }
expect_equal() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3 (got '$1', wanted '$2')"; fi
}
M256=268435456
M128=134217728

expect_status 0 "create a container with memory 256M" -- d create "$C1" --net none --memory 256M
expect_status 0 "start it" -- d start "$C1"
expect_equal "$(memory_limit)" $M256 "the cgroup has the 256M limit"

# A limit change, rolled back on the running container.
expect_status 0 "set memory=128M" -- d set "$C1" memory=128M
set_id=$(last_id set)
expect_equal "$(memory_limit)" $M128 "the cgroup has the 128M limit"
expect_status 0 "roll back the limit change" -- d rollback "$set_id"
expect_grep "$TEST_ROOT/out" "memory back to 256M" "rollback says what it put back"
expect_equal "$(memory_limit)" $M256 "the cgroup has 256M again (live)"
expect_equal "$(d info "$C1" --json | jq '.limits.memory')" $M256 "the stored limit is 256M again"
rb=$(d history --json --limit 1)
expect_equal "$(echo "$rb" | jq -r '.[0].action')" rollback "history shows the rollback as a change"
expect_equal "$(echo "$rb" | jq '.[0].rollback_of')" "$set_id" "the record links to the change it undid"
expect_equal "$(echo "$rb" | jq -r '.[0].result')" ok "the rollback record is complete"
expect_equal "$(echo "$rb" | jq '.[0].after.limits.memory')" $M256 "the record holds the state after"
expect_equal "$(echo "$rb" | jq '.[0].before.limits.memory')" $M128 "the record holds the state before"
rb_id=$(echo "$rb" | jq '.[0].id')

# Rolling back the same change again: it no longer holds, so --force is asked.
n=$(records)
expect_status 1 "rolling back the same change twice is refused" -- d rollback "$set_id"
expect_grep "$TEST_ROOT/err" "memory is 256M now, the change set it to 128M" "the refusal names the difference"

# A rollback is a change like any other: it can be rolled back.
expect_status 0 "roll back the rollback" -- d rollback "$rb_id"
expect_equal "$(memory_limit)" $M128 "the cgroup has 128M again"
expect_equal "$(records)" $((n + 1)) "the refusal recorded nothing, the rollback one record"

# A later change to the same setting: refused without --force, naming it.
expect_status 0 "set memory=96M" -- d set "$C1" memory=96M
mid_id=$(last_id set)
expect_status 0 "then set memory=200M" -- d set "$C1" memory=200M
n=$(records)
expect_status 1 "rollback after a later change is refused" -- d rollback "$mid_id"
expect_grep "$TEST_ROOT/err" "memory is 200M now, the change set it to 96M" "it says exactly what differs"
expect_grep "$TEST_ROOT/err" "\-\-force" "it points at --force"
expect_equal "$(memory_limit)" $((200 << 20)) "the refused rollback changed nothing"
expect_equal "$(records)" "$n" "the refused rollback recorded nothing"
expect_status 0 "with --force it applies" -- d rollback "$mid_id" --force
expect_grep "$TEST_ROOT/out" "memory is 200M now" "it reports what it overrode"
expect_equal "$(memory_limit)" $M128 "the cgroup has the limit from before that change (128M)"
expect_equal "$(d history --json --limit 1 | jq '.[0].params.forced')" true "the record says it was forced"

# Freeze, rolled back: the container is thawed.
expect_status 0 "freeze it" -- d freeze "$C1"
freeze_id=$(last_id freeze)
expect_status 0 "roll back the freeze" -- d rollback "$freeze_id"
expect_equal "$(d info "$C1" --json | jq -r .state)" running "the container runs again"
expect_status 0 "it executes commands again" -- d exec "$C1" -- /bin/true

# Stop, rolled back: started again; and that rollback rolled back: stopped.
expect_status 0 "stop it" -- d stop "$C1"
expect_status 0 "roll back the stop" -- d rollback "$(last_id stop)"
expect_equal "$(d info "$C1" --json | jq -r .state)" running "the container runs again"
expect_equal "$(memory_limit)" $M128 "with its limits in the new cgroup"
start_rb=$(last_id rollback)
expect_status 0 "roll back that rollback" -- d rollback "$start_rb"
expect_equal "$(d info "$C1" --json | jq -r .state)" stopped "the container is stopped"
expect_equal "$(d history --json --limit 1 | jq -r '.[0].params.applies')" stop "the record says what it applied"
expect_status 0 "start it again" -- d start "$C1"

# A failed change changed nothing: nothing to roll back.
expect_status 1 "starting a running container fails" -- d start "$C1"
expect_status 1 "rolling back a failed change is refused" -- d rollback "$(last_id start)"
expect_grep "$TEST_ROOT/err" "nothing to roll back" "it says there is nothing to undo"

# Read-only: refused, nothing changed, nothing recorded.
expect_status 0 "set memory=64M" -- d set "$C1" memory=64M
ro_id=$(last_id set)
n=$(records)
expect_status 1 "a read-only run cannot roll back" -- d --readonly rollback "$ro_id"
expect_grep "$TEST_ROOT/err" "read-only" "it says why"
expect_equal "$(memory_limit)" $((64 << 20)) "the read-only run changed nothing"
expect_equal "$(records)" "$n" "the read-only run recorded nothing"

# Destroy cannot be undone.
expect_status 0 "create a second container" -- d create "$C2" --net none
expect_status 0 "set its memory" -- d set "$C2" memory=64M
old_set=$(last_id set)
expect_status 0 "destroy it" -- d destroy "$C2"
n=$(records)
expect_status 1 "rollback of destroy is refused" -- d rollback "$(last_id destroy)"
expect_grep "$TEST_ROOT/err" "destroy cannot be rolled back: the container's files are gone; restore it from a backup" \
	"it says why and what to do"
expect_equal "$(records)" "$n" "the refusal recorded nothing"
# A change to an earlier container of the same name is not applied to a new one.
sleep 1 # creation times are recorded in seconds
expect_status 0 "create a container of the same name again" -- d create "$C2" --net none
expect_status 1 "a change to the earlier container is not rolled back" -- d rollback "$old_set" --force
expect_grep "$TEST_ROOT/err" "destroyed and created again" "it says why"
expect_status 2 "an id that is no number is a usage error" -- d rollback abc
expect_status 2 "an id that names no change is refused" -- d rollback 999999

expect_status 0 "the history chain still verifies" -- d history verify
finish
