#!/bin/bash
# The CLI skeleton as a user meets it: help, version, exit statuses, a new
# root, JSON over the inventory, and bad input refused with status 2.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
R="$TEST_ROOT/state"
export DOME_CONFIG=/dev/null

expect_status 0 "--help exits 0" -- "$DOME" --help
expect_grep "$TEST_ROOT/out" "Usage: dome" "--help prints usage"
expect_status 0 "--version exits 0" -- "$DOME" --version
expect_grep "$TEST_ROOT/out" "^dome [0-9]" "--version prints the version"
expect_status 2 "unknown verb is bad usage" -- "$DOME" frobnicate
expect_grep "$TEST_ROOT/err" "unknown verb 'frobnicate'" "unknown verb is named"
expect_status 2 "unknown option is bad usage" -- "$DOME" --bogus ls
expect_status 0 "verb --help exits 0" -- "$DOME" info --help
expect_grep "$TEST_ROOT/out" "Usage: dome info NAME" "verb help shows its arguments"

expect_status 0 "ls --json on a new root" -- "$DOME" --root "$R" ls --json
if [ "$(tr -d ' \n' < "$TEST_ROOT/out")" = "[]" ]; then ok "new root lists []"; else not_ok "new root lists []"; cat "$TEST_ROOT/out"; fi
[ -f "$R/dome.db" ] && ok "database created in the root" || not_ok "database created in the root"
mode=$(stat -c %a "$R/dome.db")
[ "$mode" = 640 ] && ok "database is 0640" || not_ok "database is 0640 (is $mode)"
# Its write-ahead log and index stay between runs: same mode.
mode=$(stat -c %a "$R/dome.db-wal" "$R/dome.db-shm" 2>&1 | sort -u)
[ "$mode" = 640 ] && ok "its WAL and index are 0640" || not_ok "its WAL and index are 0640 (are $mode)"

expect_status 1 "info of a missing container fails" -- "$DOME" --root "$R" info nosuch
expect_grep "$TEST_ROOT/err" "no container named 'nosuch'" "the message names the container"
expect_status 2 "info with a hostile name is bad input" -- "$DOME" --root "$R" info 'a;b'
expect_status 2 "info with \$(id) is bad input" -- "$DOME" --root "$R" info '$(id)'
expect_status 2 "info with a leading dash is bad usage" -- "$DOME" --root "$R" info -- -x
expect_status 2 "info without a name is bad usage" -- "$DOME" --root "$R" info

DOME_ROOT="$TEST_ROOT/envroot" expect_status 0 "DOME_ROOT is honoured" -- "$DOME" ls
[ -f "$TEST_ROOT/envroot/dome.db" ] && ok "DOME_ROOT database created" || not_ok "DOME_ROOT database created"

printf '[network]\ncolour = red\n' > "$TEST_ROOT/bad.conf"
expect_status 2 "a bad config is refused" -- "$DOME" --config "$TEST_ROOT/bad.conf" --root "$R" ls
expect_grep "$TEST_ROOT/err" "bad.conf line 2" "the config error names file and line"
expect_grep "$TEST_ROOT/err" "colour" "the config error names the key"

expect_status 0 "read-only ls works on an existing root" -- "$DOME" --readonly --root "$R" ls --json
expect_status 1 "read-only on a missing root fails clearly" -- "$DOME" --readonly --root "$TEST_ROOT/none" ls
[ ! -e "$TEST_ROOT/none" ] && ok "read-only created nothing" || not_ok "read-only created nothing"
# A reader who is not root (an ops wall in the dome group) sees the newest
# change, which is still in the write-ahead log root's runs keep (store.c).
if [ "$(id -u)" = 0 ]; then
	"$DOME" --root "$R" create walseen0 --net none >/dev/null 2>&1
	"$DOME" --root "$R" create walseen --net none >/dev/null 2>&1
	[ -s "$R/dome.db-wal" ] && ok "the change is in the kept WAL" || not_ok "the change is in the kept WAL"
	chmod 711 "$TEST_ROOT"
	chgrp nogroup "$R/dome.db" "$R/dome.db-wal" "$R/dome.db-shm"
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$DOME" --root "$R" ls --json \
		>"$TEST_ROOT/wall" 2>&1
	[ "$(jq -r '.[].name' "$TEST_ROOT/wall" 2>/dev/null | tr '\n' ' ')" = "walseen walseen0 " ] && ok "a group reader sees it" ||
		{ not_ok "a group reader sees it"; cat "$TEST_ROOT/wall"; }
	chgrp root "$R/dome.db" "$R/dome.db-wal" "$R/dome.db-shm"
fi
# Several first runs at once on a new root: one migrates, one builds the
# built-in image, all succeed.
F="$TEST_ROOT/fresh"
for i in 1 2 3 4 5 6; do "$DOME" --root "$F" create "first$i" --net none >"$TEST_ROOT/first$i.log" 2>&1 & done
wait
n=$("$DOME" --root "$F" ls --json | grep -c '"name"')
[ "$n" = 6 ] && ok "six concurrent first creates all succeed" || { not_ok "six concurrent first creates all succeed ($n)"; cat "$TEST_ROOT"/first*.log; }
imports=$("$DOME" --root "$F" history --action image-import --json | grep -c '"result": "ok"')
[ "$imports" = 1 ] && ok "the built-in image was built once" || not_ok "the built-in image was built once ($imports)"
finish
