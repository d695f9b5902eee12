#!/bin/bash
# Backups and restore through the CLI on the real kernel: a running container
# is backed up (it keeps running and is thawed), destroyed, restored, started,
# and has its files, limits and deletions back; restores are refused clearly
# when the name is taken or the image is missing, leaving nothing. Own state
# root, cgroup prefix and names; cleanup also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 99; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-bk-$$"
d() { "$DOME" "$@"; }
C1="bk$$"
BK="$TEST_ROOT/backups"

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

frozen_state() { # v1 freezer.state or v2 cgroup.freeze of the container
	f="/sys/fs/cgroup/freezer/$DOME_CGROUP_PREFIX/$1/freezer.state"
	[ -f "$f" ] && { cat "$f"; return; }
	f="/sys/fs/cgroup/$DOME_CGROUP_PREFIX/$1/cgroup.freeze"
	[ -f "$f" ] || f="/sys/fs/cgroup/unified/$DOME_CGROUP_PREFIX/$1/cgroup.freeze"
	[ -f "$f" ] && { [ "$(cat "$f")" = 0 ] && echo THAWED || echo FROZEN; return; }
	echo missing
}

expect_status 0 "create and start a container" -- d create "$C1" --net none --memory 64M --start
d exec "$C1" -- /bin/sh -c 'echo precious > /root/data; rm /etc/inittab.missing 2>/dev/null; rm /bin/vi; rm -rf /var/log; mkdir /var/log; echo fresh > /var/log/new'
pid=$(d info "$C1" --json | jq -r .pid)
expect_status 0 "back up the running container" -- d backup "$C1" --to "$BK"
bkfile=$(sed -n 's/^backed up .* to //p' "$TEST_ROOT/out")
[ -f "$bkfile" ] && ok "the backup file exists ($(basename "$bkfile"))" || not_ok "the backup file exists"
[ -z "$(find "$BK" -name '.*')" ] && ok "no temporary file left beside it" || not_ok "no temporary file left beside it"
[ "$(d info "$C1" --json | jq -r .state)" = running ] && ok "the container keeps running" || not_ok "the container keeps running"
[ "$(d info "$C1" --json | jq -r .pid)" = "$pid" ] && ok "with the same init" || not_ok "with the same init"
[ "$(frozen_state "$C1")" = THAWED ] && ok "and is thawed" || not_ok "and is thawed ($(frozen_state "$C1"))"
[ "$(d exec "$C1" -- /bin/cat /root/data)" = precious ] && ok "it answers after the backup" || not_ok "it answers after the backup"

expect_status 0 "backup ls lists it" -- d backup ls "$BK" --json
jq -e --arg c "$C1" --arg f "$bkfile" '.[0].container == $c and .[0].file == $f and .[0].image == "busybox"' \
	"$TEST_ROOT/out" >/dev/null && ok "  ... with its container, image and file" || not_ok "  ... with its container, image and file"
d backup ls --json | jq -e 'length == 0' >/dev/null && ok "the default dir has none" || not_ok "the default dir has none"
d history --action backup --json | jq -e --arg c "$C1" '.[0].target == $c and .[0].result == "ok"' >/dev/null \
	&& ok "the backup is audited" || not_ok "the backup is audited"

expect_status 1 "restore under a taken name is refused" -- d restore "$bkfile"
expect_grep "$TEST_ROOT/err" "exists already" "  ... saying the name is taken"

expect_status 0 "destroy the container" -- d destroy --force "$C1"
expect_status 0 "restore it" -- d restore "$bkfile"
expect_status 0 "start the restored container" -- d start "$C1"
[ "$(d exec "$C1" -- /bin/cat /root/data)" = precious ] && ok "it has the file it had" || not_ok "it has the file it had"
expect_status 0 "the deleted file stays deleted" -- d exec "$C1" -- /bin/sh -c 'test ! -e /bin/vi && test -e /bin/sh'
expect_status 0 "the replaced directory stays replaced" -- d exec "$C1" -- /bin/sh -c 'test "$(ls /var/log)" = new'
[ "$(d info "$C1" --json | jq -r .limits.memory)" = 67108864 ] && ok "its memory limit is back" || not_ok "its memory limit is back"
d history --action restore --json | jq -e --arg c "$C1" '.[0].target == $c and .[0].result == "ok"' >/dev/null \
	&& ok "the restore is audited" || not_ok "the restore is audited"

expect_status 0 "restore a second copy with --as" -- d restore "$bkfile" --as "copy$$"
[ "$(d info "copy$$" --json | jq -r .state)" = stopped ] && ok "the copy exists, stopped" || not_ok "the copy exists, stopped"

# A backup of a container on an image that is then removed.
d image export busybox "$TEST_ROOT/bb.tar" >/dev/null && d image import "own$$" "$TEST_ROOT/bb.tar" >/dev/null
d create "gone$$" --image "own$$" --net none >/dev/null
expect_status 0 "back up a stopped container" -- d backup "gone$$" --to "$BK"
gfile=$(sed -n 's/^backed up .* to //p' "$TEST_ROOT/out")
d destroy "gone$$" >/dev/null && d image rm "own$$" >/dev/null
expect_status 1 "restore without its image is refused" -- d restore "$gfile"
expect_grep "$TEST_ROOT/err" "needs the image 'own$$'" "  ... naming the missing image"
d info "gone$$" >/dev/null 2>&1 && not_ok "no container row left" || ok "no container row left"
[ ! -e "$DOME_ROOT/containers/gone$$" ] && ok "no container directory left" || not_ok "no container directory left"

printf 'junk' > "$TEST_ROOT/junk.tar.gz"
expect_status 1 "a file that is not a backup is refused" -- d restore "$TEST_ROOT/junk.tar.gz"
expect_status 2 "restore refuses a bad name" -- d restore "$bkfile" --as 'x;y'

finish
