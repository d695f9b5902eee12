#!/bin/bash
# Every kind of change made through the real verbs writes exactly one
# complete audit record with the right actor (the user behind sudo, the SSH
# client), its before and after states, and its result; a failed change is
# recorded as failed; the chain verifies; the database belongs to root and
# the dome group, 0640.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
command -v jq >/dev/null || { echo "# jq is missing (scripts/packages installs it)"; exit 99; }

n=$(( $$ % 200 + 20 ))
printf '[network]\nbridge = dmta%s\nsubnet = 10.249.%s.0/29\n' "$n" "$n" > "$TEST_ROOT/dome.conf"
export DOME_CONFIG="$TEST_ROOT/dome.conf"
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-av-$$"
export SUDO_USER=alice
export SSH_CONNECTION="198.51.100.7 50022 198.51.100.1 22"
C="av$$"
made_group=
cleanup() {
	for c in "$C" "c$C"; do "$DOME" destroy --force "$c" >/dev/null 2>&1; done
	ip link del "dmta$n" 2>/dev/null
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	[ -n "$made_group" ] && groupdel dome 2>/dev/null
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# The dome group: made for this test only when the host has none.
if ! getent group dome >/dev/null; then groupadd -r dome && made_group=1; fi

last_id=0
# change DESCRIPTION ACTION TARGET RESULT -- CMD...: run it, then exactly one new
# record must exist, for ACTION on TARGET with RESULT and the actor.
change() {
	local desc=$1 action=$2 target=$3 result=$4; shift 5
	"$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err"
	"$DOME" history --limit 100 --json > "$TEST_ROOT/h"
	local new
	new=$(jq --argjson last "$last_id" '[.[] | select(.id > $last)]' "$TEST_ROOT/h")
	local count rec
	count=$(echo "$new" | jq 'length')
	rec=$(echo "$new" | jq '.[0]')
	if [ "$count" = 1 ] &&
	   [ "$(echo "$rec" | jq -r .action)" = "$action" ] &&
	   [ "$(echo "$rec" | jq -r .target)" = "$target" ] &&
	   [ "$(echo "$rec" | jq -r .result)" = "$result" ] &&
	   [ "$(echo "$rec" | jq -r .sudo_user)" = alice ] &&
	   [ "$(echo "$rec" | jq -r .ssh_client)" = 198.51.100.7 ] &&
	   [ "$(echo "$rec" | jq -r .user)" = root ] &&
	   [ "$(echo "$rec" | jq -r '.ended_at != null')" = true ] &&
	   { [ "$result" = failed ] || [ "$action" = destroy ] || [ "$action" = image-rm ] ||
	     [ "$(echo "$rec" | jq -r '.after != null')" = true ]; }; then
		ok "$desc: one complete '$action' record by alice from 198.51.100.7"
	else
		not_ok "$desc: one complete '$action' record (got $count)"
		echo "$new" | sed 's/^/#   /' | head -30
	fi
	last_id=$(jq '[.[].id] | max // 0' "$TEST_ROOT/h")
}
has_before() { # the newest record has a before state with this jq test
	jq -e ".[0].before | $1" "$TEST_ROOT/h" >/dev/null && ok "$2" || not_ok "$2"
}

# The built-in image is made on first use, as a change of its own.
change "busybox image on first use" image-import busybox ok -- "$DOME" image ls
change "create" create "$C" ok -- "$DOME" --reason "OPS-7" create "$C" --memory 64M
jq -e '.[0].reason == "OPS-7"' "$TEST_ROOT/h" >/dev/null && ok "the reason is recorded" || not_ok "the reason is recorded"
change "start" start "$C" ok -- "$DOME" start "$C"
has_before '.state == "stopped"' "start's before says stopped"
jq -e '.[0].after.state == "running"' "$TEST_ROOT/h" >/dev/null && ok "start's after says running" || not_ok "start's after says running"
change "set" set "$C" ok -- "$DOME" set "$C" memory=128M
has_before '.limits.memory == 67108864' "set's before has the old limit"
jq -e '.[0].after.limits.memory == 134217728' "$TEST_ROOT/h" >/dev/null && ok "set's after has the new limit" || not_ok "set's after has the new limit"
change "freeze" freeze "$C" ok -- "$DOME" freeze "$C"
change "unfreeze" unfreeze "$C" ok -- "$DOME" unfreeze "$C"
change "autostart" set "$C" ok -- "$DOME" set "$C" autostart=yes
change "clone" clone "c$C" ok -- "$DOME" clone "$C" "c$C"
change "restart" restart "$C" ok -- "$DOME" restart "$C"
change "stop" stop "$C" ok -- "$DOME" stop --kill "$C"
change "a failed stop" stop "$C" failed -- "$DOME" stop "$C"
jq -e '.[0].error | test("not running")' "$TEST_ROOT/h" >/dev/null && ok "the failure's error is recorded" || not_ok "the failure's error is recorded"
change "network change" net-set network ok -- "$DOME" net "nameservers=192.0.2.1"
change "rollback" rollback network ok -- "$DOME" rollback "$last_id"
change "destroy" destroy "c$C" ok -- "$DOME" destroy "c$C"
has_before '.name == "c'"$C"'"' "destroy's before holds the container"
"$DOME" image export busybox "$TEST_ROOT/bb.tar" >/dev/null 2>&1
last_id=$("$DOME" history --json | jq '[.[].id] | max')
change "image import" image-import bb2 ok -- "$DOME" image import bb2 "$TEST_ROOT/bb.tar"
change "image remove" image-rm bb2 ok -- "$DOME" image rm bb2

expect_status 0 "the chain verifies" -- "$DOME" history verify
pending=$(sqlite3 "$DOME_ROOT/dome.db" "SELECT count(*) FROM changes WHERE result = 'pending'")
[ "$pending" = 0 ] && ok "no record left pending" || not_ok "no record left pending ($pending)"
own=$(stat -c '%U:%G %a' "$DOME_ROOT/dome.db")
[ "$own" = "root:dome 640" ] && ok "dome.db is root:dome 0640" || not_ok "dome.db is root:dome 0640 ($own)"
finish
