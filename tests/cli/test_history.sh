#!/bin/bash
# The audit history and the incident report as an operator meets them:
# changes by several actors (through the core mutation path, via the test
# helper), filters, paging, JSON, read-only runs, the hash chain verified and
# then broken with sqlite3, and a report with an OOM kill and a crash.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
R="$TEST_ROOT/state"
DB="$R/dome.db"
export DOME_CONFIG=/dev/null
MUTATE="$(dirname "$DOME")/tests/helpers/mutate"
unset SUDO_USER SSH_CONNECTION SSH_CLIENT
me=$(id -un)

count() { jq length "$TEST_ROOT/out"; }
# expect_count N DESCRIPTION -- dome args...: the JSON page has N rows.
expect_count() {
	want=$1; desc=$2; shift 3
	if "$DOME" --root "$R" history --json "$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err" &&
	   [ "$(count)" = "$want" ]; then ok "$desc"; else
		not_ok "$desc (wanted $want rows)"; sed 's/^/#   /' "$TEST_ROOT/out" "$TEST_ROOT/err" | head -20; fi
}
# jq_true FILTER DESCRIPTION: the filter holds on the last output.
jq_true() {
	if [ "$(jq -e "$1" "$TEST_ROOT/out" 2>/dev/null)" = true ]; then ok "$2"; else
		not_ok "$2 ($1)"; head -c 2000 "$TEST_ROOT/out" | sed 's/^/#   /'; fi
}

# First batch: alice (through sudo, over ssh) and bob.
SUDO_USER=alice SSH_CONNECTION="192.0.2.7 50000 192.0.2.1 22" \
	expect_status 0 "alice's change is recorded" -- "$MUTATE" --reason "ticket OPS-42" "$R" change set web ok
SUDO_USER=bob expect_status 0 "bob's change is recorded" -- "$MUTATE" "$R" change stop db ok
sleep 1.1
mid=$(date '+%Y-%m-%d %H:%M:%S')
# Second batch: a failure, alice again, and a process killed mid-change.
expect_status 1 "a failing change fails" -- "$MUTATE" "$R" change start web failed
SUDO_USER=alice expect_status 0 "alice's second change is recorded" -- "$MUTATE" "$R" change freeze db ok
expect_status 9 "a change whose process dies" -- "$MUTATE" "$R" change destroy old die

# The whole history, newest first, with the documented keys.
expect_count 5 "all five changes are listed" --
jq_true '[.[].id] == ([.[].id] | sort | reverse)' "newest first"
jq_true 'all(.[]; has("id") and has("started_at") and has("ended_at") and has("uid") and
	has("user") and has("sudo_user") and has("login_uid") and has("ssh_client") and
	has("tty") and has("host") and has("action") and has("target") and has("params") and
	has("before") and has("after") and has("result") and has("error") and has("reason") and
	has("rollback_of") and has("hash"))' "--json rows carry the documented keys"
jq_true '.[0].result == "interrupted" and .[0].action == "destroy"' "the killed change shows as interrupted"
jq_true '.[4].sudo_user == "alice" and .[4].ssh_client == "192.0.2.7" and .[4].reason == "ticket OPS-42"' \
	"the actor behind sudo, the ssh client and the reason are recorded"
jq_true '.[4].before.value == "before" and .[4].after.value == "after"' "state before and after is JSON"

# Filters.
expect_count 2 "--actor alice: her changes through sudo" -- --actor alice
jq_true 'all(.[]; .sudo_user == "alice")' "--actor alice lists only alice's"
expect_count 1 "--actor bob" -- --actor bob
expect_count 5 "--actor $me: the user itself" -- --actor "$me"
expect_count 0 "--actor nobody-here" -- --actor nobody-here
expect_count 1 "--action stop" -- --action stop
jq_true '.[0].target == "db"' "--action stop finds the stop of db"
expect_count 2 "--failed: failed and interrupted" -- --failed
jq_true '([.[].result] | sort) == ["failed", "interrupted"]' "--failed lists exactly those"
expect_count 2 "NAME: the changes to web" -- web
jq_true 'all(.[]; .target == "web")' "NAME lists only web's"
expect_count 2 "--target web is the same" -- --target web
expect_count 1 "NAME with --failed" -- web --failed
expect_count 3 "--since splits the batches" -- --since "$mid"
expect_count 2 "--until splits the batches" -- --until "$mid"
expect_count 5 "--since -1h covers everything" -- --since -1h
expect_count 0 "--since tomorrow finds nothing" -- --since "$(date -d tomorrow +%Y-%m-%d)"

# Paging: --limit and --before.
expect_count 2 "--limit 2" -- --limit 2
last=$(jq '.[1].id' "$TEST_ROOT/out")
expect_count 2 "the next page with --before" -- --limit 2 --before "$last"
jq_true "all(.[]; .id < $last)" "the next page is older"
expect_count 1 "the last page" -- --limit 2 --before $((last - 2))

# Human output.
expect_status 0 "history in columns" -- "$DOME" --root "$R" history
expect_grep "$TEST_ROOT/out" "^ID  *TIME  *ACTOR  *ACTION  *TARGET  *RESULT  *REASON" "a header names the columns"
expect_grep "$TEST_ROOT/out" "alice via $me" "a sudo actor shows as USER via USER"
expect_grep "$TEST_ROOT/out" "INTERRUPTED" "interrupted stands out"
expect_grep "$TEST_ROOT/out" "FAILED" "failed stands out"
expect_grep "$TEST_ROOT/out" "error: the test asked start web to fail" "a failure shows its error"
wide=$(awk 'length > 80' "$TEST_ROOT/out" | wc -l)
[ "$wide" = 0 ] && ok "every line fits 80 columns" || not_ok "every line fits 80 columns ($wide wider)"
expect_status 0 "a page shows how to get the next" -- "$DOME" --root "$R" history --limit 1
expect_grep "$TEST_ROOT/out" "add --before [0-9]" "the footer names --before"

# Bad input: exit 2 with a message, nothing run.
expect_status 2 "--since with hour 25" -- "$DOME" --root "$R" history --since "2026-11-24 25:00"
expect_grep "$TEST_ROOT/err" "'2026-11-24 25:00'" "the message quotes the bad time"
expect_status 2 "--since -2x" -- "$DOME" --root "$R" history --since -2x
expect_grep "$TEST_ROOT/err" "-30m" "the message shows the accepted forms"
expect_status 2 "--since yesterday-ish words" -- "$DOME" --root "$R" history --since yesterday
expect_status 2 "--until before --since" -- "$DOME" --root "$R" history --since -1h --until -2h
expect_status 2 "--limit 0" -- "$DOME" --root "$R" history --limit 0
expect_status 2 "--before abc" -- "$DOME" --root "$R" history --before abc
expect_status 2 "a hostile NAME" -- "$DOME" --root "$R" history 'a;b'
expect_status 2 "--actor with a space" -- "$DOME" --root "$R" history --actor 'a b'
expect_status 2 "two names" -- "$DOME" --root "$R" history web db

# Read-only runs read the history and cannot add to it.
expect_status 0 "read-only history" -- "$DOME" --readonly --root "$R" history --json
[ "$(count)" = 5 ] && ok "read-only history lists the five" || not_ok "read-only history lists the five"
expect_status 1 "a read-only mutation is refused" -- "$MUTATE" --readonly "$R" change set web ok
expect_grep "$TEST_ROOT/err" "read-only" "the refusal says read-only"
expect_status 1 "a read-only event is refused" -- "$MUTATE" --readonly "$R" event web crashed '{"exit_code":1}'
rows=$(sqlite3 "$DB" "SELECT count(*) FROM changes") events=$(sqlite3 "$DB" "SELECT count(*) FROM events")
[ "$rows/$events" = 5/0 ] && ok "read-only runs recorded nothing" || not_ok "read-only runs recorded nothing ($rows changes, $events events)"

# The incident report: changes and container events in time order.
expect_status 0 "an OOM kill is recorded" -- "$MUTATE" "$R" event web oom_kill '{"count":1}'
expect_status 0 "a crash is recorded" -- "$MUTATE" "$R" event web crashed '{"exit_code":137,"signal":9}'
expect_status 2 "an unknown event kind is refused" -- "$MUTATE" "$R" event web exploded
expect_status 0 "report as text" -- "$DOME" --root "$R" report --since -1h
expect_grep "$TEST_ROOT/out" "Changes: *5 (1 failed, 1 interrupted)" "the summary counts changes"
expect_grep "$TEST_ROOT/out" "Events: *2 (1 crash, 1 OOM kill, 0 limit hits)" "the summary counts crashes and OOM kills"
expect_grep "$TEST_ROOT/out" "system  *web oom_kill" "the OOM kill is in the timeline"
expect_grep "$TEST_ROOT/out" "web crashed  exit_code=137 signal=9 (SIGKILL)" "the crash shows its exit status"
expect_grep "$TEST_ROOT/out" "alice via $me  *set web" "changes show their actors"
if grep -n "set web\|oom_kill\|crashed" "$TEST_ROOT/out" | cut -d: -f1 | sort -c -n 2>/dev/null &&
   [ "$(grep -n 'set web' "$TEST_ROOT/out" | cut -d: -f1)" -lt "$(grep -n 'oom_kill' "$TEST_ROOT/out" | cut -d: -f1)" ] &&
   [ "$(grep -n 'oom_kill' "$TEST_ROOT/out" | cut -d: -f1)" -lt "$(grep -n 'crashed' "$TEST_ROOT/out" | cut -d: -f1)" ]
then ok "the timeline is in time order"; else not_ok "the timeline is in time order"; fi
expect_status 0 "report as markdown" -- "$DOME" --root "$R" report --since -1h --format markdown
expect_grep "$TEST_ROOT/out" "^| Time | Actor | What | Result | Details |" "markdown has a table"
expect_grep "$TEST_ROOT/out" "^| .* | system | web oom\\\\_kill |" "markdown rows carry the OOM kill"
expect_grep "$TEST_ROOT/out" "^- \*\*Events:\*\*" "markdown has the summary"
expect_status 0 "report as json" -- "$DOME" --root "$R" report --since -1h --format json
jq_true '.summary.oom_kills == 1 and .summary.crashes == 1 and .summary.changes == 5 and .summary.failed == 1' "json summary"
jq_true '[.timeline[] | select(.type == "event") | .kind] == ["oom_kill", "crashed"]' "json timeline has both events"
jq_true '[.timeline[].at] == ([.timeline[].at] | sort)' "json timeline is oldest first"
jq_true '.timeline[-1].detail.exit_code == 137' "the crash's exit status is in the json"
expect_status 0 "a report window before anything" -- "$DOME" --root "$R" report --since -2h --until -1h --format json
jq_true '.summary.changes == 0 and (.timeline | length) == 0' "an empty window is empty"
expect_status 2 "report needs --since" -- "$DOME" --root "$R" report
expect_status 2 "report refuses an unknown format" -- "$DOME" --root "$R" report --since -1h --format pdf
expect_status 2 "report refuses a bad time" -- "$DOME" --root "$R" report --since 2026-02-30
expect_status 0 "read-only report" -- "$DOME" --readonly --root "$R" report --since -1h --format json

# The hash chain: intact, then edited behind dome's back.
expect_status 0 "history verify" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/out" "^history verified: 5 records, chain intact$" "verify counts the records"
expect_grep "$TEST_ROOT/out" "^events verified: 2 records, chain intact$" "verify checks the events' chain too"
expect_grep "$TEST_ROOT/out" "^head: position 5, hash [0-9a-f]\{64\}$" "verify shows the head to keep elsewhere"
expect_status 0 "read-only verify" -- "$DOME" --readonly --root "$R" history verify
expect_status 0 "verify --json" -- "$DOME" --root "$R" history verify --json
jq_true '.intact and .head.position == 5 and (.head.hash | length) == 64' "verify --json has the head"
kept=$(jq -r .head.hash "$TEST_ROOT/out")
expect_status 0 "verify --head with the head kept" -- "$DOME" --root "$R" history verify --head "$kept"
expect_status 1 "verify --head with a hash the chain never had" -- "$DOME" --root "$R" history verify --head "$(printf '0%.0s' $(seq 64))"
expect_grep "$TEST_ROOT/err" "no record has the hash 000000000000... given with --head" "it says the head is not in the chain"
expect_status 2 "verify --head refuses what is not a hash" -- "$DOME" --root "$R" history verify --head 'x; drop'
victim=$(sqlite3 "$DB" "SELECT id FROM changes WHERE action = 'stop'")
was=$(sqlite3 "$DB" "SELECT quote(reason) FROM changes WHERE id = $victim")
sqlite3 "$DB" "UPDATE changes SET reason = 'routine' WHERE id = $victim"
expect_status 1 "verify fails after an edit" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "record $victim" "verify names the edited record"
expect_grep "$TEST_ROOT/err" "does not match its hash" "verify says why"
expect_status 1 "verify --json fails too" -- "$DOME" --root "$R" history verify --json
jq_true ".intact == false and .bad_id == $victim" "verify --json names the record"
sqlite3 "$DB" "UPDATE changes SET reason = $was WHERE id = $victim"
expect_status 0 "the edit undone, the chain verifies again" -- "$DOME" --root "$R" history verify

# The events have their own chain (and head, events.head): an OOM kill
# edited, then the newest event (the crash) deleted.
oom=$(sqlite3 "$DB" "SELECT id FROM events WHERE kind = 'oom_kill'")
detail=$(sqlite3 "$DB" "SELECT quote(detail) FROM events WHERE id = $oom")
sqlite3 "$DB" "UPDATE events SET detail = '{\"count\":0}' WHERE id = $oom"
expect_status 1 "verify fails after an event is edited" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "event $oom was changed after it was written" "verify names the edited event"
expect_status 1 "verify --json fails too" -- "$DOME" --root "$R" history verify --json
jq_true ".intact == false and .events.intact == false and .events.bad_id == $oom" "verify --json names the event"
sqlite3 "$DB" "UPDATE events SET detail = $detail WHERE id = $oom"
expect_status 0 "the edit undone, the events verify again" -- "$DOME" --root "$R" history verify
# Every column is covered by the hash, the id too.
sqlite3 "$DB" "UPDATE events SET id = id + 1000 WHERE id = $oom"
expect_status 1 "verify fails after an event's id is changed" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "event $((oom + 1000)) was changed after it was written" "verify names the renumbered event"
sqlite3 "$DB" "UPDATE events SET id = $oom WHERE id = $((oom + 1000))"
expect_status 0 "the id put back, the events verify again" -- "$DOME" --root "$R" history verify
sqlite3 "$DB" "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)"
expect_status 1 "verify fails once the newest event is deleted" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "the event chain ends at position 1 but .*events.head records position 2 .*the newest 1 event was removed" \
	"verify says the newest event was removed"
sqlite3 "$DB" "DELETE FROM events WHERE id = $oom"
sqlite3 "$DB" "INSERT INTO events (at, container, kind, detail, seq, prev_hash, hash) VALUES (0, 'web', 'crashed', '{}', 2, NULL, NULL)"
expect_status 1 "verify fails after the first event is deleted" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "an event before it was removed" "verify says an event before it was removed"
# (The events and their head go, so what follows looks at the changes' chain alone.)
sqlite3 "$DB" "DELETE FROM events"
rm -f "$R/events.head"

# The newest record deleted with sqlite3: the chain left is sound, but no
# longer reaches the head dome wrote to history.head at that change.
sqlite3 "$DB" "DELETE FROM changes WHERE seq = (SELECT max(seq) FROM changes)"
expect_status 1 "verify fails once the newest record is deleted" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "the record chain ends at position 4 but .*history.head records position 5 .*the newest 1 record was removed" \
	"verify says the newest record was removed"
expect_status 1 "verify --json fails too" -- "$DOME" --root "$R" history verify --json
jq_true '.intact == false and .bad_id == null and (.why | test("removed"))' "verify --json says why"
# Whoever can also rewrite history.head defeats that check, not a head kept
# off the host.
printf '4 %s\n' "$(sqlite3 "$DB" "SELECT hash FROM changes WHERE seq = 4")" > "$R/history.head"
expect_status 0 "with history.head rewritten too, the local check passes" -- "$DOME" --root "$R" history verify
expect_status 1 "but the head kept elsewhere is missing" -- "$DOME" --root "$R" history verify --head "$kept"
expect_grep "$TEST_ROOT/err" "rewritten or cut before that record" "verify --head says the history was cut"

# A pending record inserted by hand, as if by a process long gone: history
# verify tells it from dome's, and no later dome completes it into the chain
# as interrupted (which would make it pass for dome's).
dead_pid=$((1 << 22 + 1))
sqlite3 "$DB" "INSERT INTO changes (started_at, uid, user, host, actor_pid, actor_start, action, target) VALUES (0, 0, 'root', 'h', $dead_pid, 1, 'destroy', 'web')"
forged=$(sqlite3 "$DB" "SELECT max(id) FROM changes")
expect_status 1 "verify finds a pending record inserted by hand" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "record $forged (pending, not in the chain) was not written by dome" "verify names the forged record"
expect_status 0 "a change after it is recorded" -- "$MUTATE" "$R" change set web ok
[ "$(sqlite3 "$DB" "SELECT result || ' ' || coalesce(seq, '-') FROM changes WHERE id = $forged")" = "pending -" ] &&
	ok "the forged record is not chained as interrupted" || not_ok "the forged record is not chained as interrupted ($(sqlite3 "$DB" "SELECT result, seq FROM changes WHERE id = $forged"))"
expect_status 1 "verify still reports it" -- "$DOME" --root "$R" history verify --json
jq_true ".intact == false and .bad_id == $forged" "verify --json names it"
sqlite3 "$DB" "DELETE FROM changes WHERE id = $forged"
expect_status 0 "without it the history verifies" -- "$DOME" --root "$R" history verify
# A genuine pending record (its process killed) edited before the next dome
# closes it: not chained either.
expect_status 9 "a change whose process dies" -- "$MUTATE" "$R" change destroy old die
left=$(sqlite3 "$DB" "SELECT id FROM changes WHERE result = 'pending'")
sqlite3 "$DB" "UPDATE changes SET target = 'web' WHERE id = $left"
expect_status 1 "verify finds the pending record edited" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "record $left (pending, not in the chain) was not written by dome: its content does not match its hash" "verify says it does not match its hash"
"$MUTATE" "$R" change set web ok >/dev/null 2>&1
[ "$(sqlite3 "$DB" "SELECT result FROM changes WHERE id = $left")" = pending ] &&
	ok "the edited pending record is not chained" || not_ok "the edited pending record is not chained"
sqlite3 "$DB" "UPDATE changes SET target = 'old' WHERE id = $left"
"$MUTATE" "$R" change set web ok >/dev/null 2>&1
[ "$(sqlite3 "$DB" "SELECT result FROM changes WHERE id = $left")" = interrupted ] &&
	ok "put back as dome wrote it, it is closed as interrupted" || not_ok "put back as dome wrote it, it is closed as interrupted"
# A completed record put in by hand, outside the chain.
sqlite3 "$DB" "INSERT INTO changes (started_at, uid, user, host, actor_pid, actor_start, action, target, result) VALUES (0, 0, 'root', 'h', 1, 1, 'start', 'web', 'ok')"
expect_status 1 "verify finds a completed record outside the chain" -- "$DOME" --root "$R" history verify
expect_grep "$TEST_ROOT/err" "(ok, not in the chain) was not written by dome" "verify says it is not chained"
sqlite3 "$DB" "DELETE FROM changes WHERE seq IS NULL"
expect_status 0 "the history verifies again" -- "$DOME" --root "$R" history verify

# The dome group reads the inventory, WAL and all, as a real non-root user
# (nobody, with a group of the test's own that /etc/group does not name).
G=64100; while getent group "$G" >/dev/null; do G=$((G + 1)); done
R3="$TEST_ROOT/group"
chmod 0711 "$TEST_ROOT"
reader() { setpriv --reuid=65534 --regid=65534 --groups="$G" "$DOME" --root "$R3" "$@"; }
expect_status 0 "a root for the group readers" -- "$MUTATE" "$R3" change set web ok
# The group given to dome.db by hand after it was made (as the README says
# for a group made later): the next dome run as root gives it to the WAL and
# its index too.
chgrp "$G" "$R3/dome.db"
expect_status 0 "a change as root" -- "$MUTATE" "$R3" change stop web ok
[ "$(stat -c '%g %a' "$R3/dome.db-wal" "$R3/dome.db-shm" | sort -u)" = "$G 640" ] &&
	ok "the WAL and its index have the database's group and mode" || not_ok "the WAL and its index have the database's group and mode ($(stat -c '%n %g %a' "$R3"/dome.db*))"
expect_status 0 "a group reader lists the history" -- reader history --json
[ "$(count)" = 2 ] && ok "the group reader sees both changes" || not_ok "the group reader sees both changes"
expect_status 0 "a group reader runs ls" -- reader ls
expect_status 0 "a group reader verifies the history" -- reader history verify
expect_grep "$TEST_ROOT/out" "^history verified: 2 records" "the group reader's verify counts the records"
# With a writer holding the database open meanwhile (its index is live).
( echo "SELECT count(*) FROM changes;"; sleep 3 ) | sqlite3 "$R3/dome.db" >/dev/null & holder=$!
sleep 0.5
expect_status 0 "a change as root while sqlite3 holds it open" -- "$MUTATE" "$R3" change set web ok
expect_status 0 "a group reader reads while a writer has it open" -- reader history --json
[ "$(count)" = 3 ] && ok "and sees the newest change" || not_ok "and sees the newest change ($(count))"
wait $holder
# sqlite3, closing last, removed the WAL: the reader says why and what to do.
if [ ! -e "$R3/dome.db-wal" ]; then
	expect_status 1 "without the WAL a group reader is refused" -- reader history
	expect_grep "$TEST_ROOT/err" "write-ahead log $R3/dome.db-wal is missing" "the refusal names the missing WAL"
	expect_grep "$TEST_ROOT/err" "run as root once" "and says how to put it back"
	expect_status 0 "a dome run as root" -- "$DOME" --root "$R3" ls
	expect_status 0 "puts it back for the group reader" -- reader history
else
	not_ok "sqlite3 closing last removes the WAL (the case above needs it)"
fi
expect_status 1 "a group reader cannot change anything" -- setpriv --reuid=65534 --regid=65534 --groups="$G" "$MUTATE" "$R3" change set web ok
[ "$(sqlite3 "$R3/dome.db" "SELECT count(*) FROM changes")" = 3 ] && ok "nothing was recorded by the reader" || not_ok "nothing was recorded by the reader"

# Damage to the file's pages outside the chains (here the inventory's
# table): `dome ls` reads it and says damaged; verify must not say intact.
cp -a "$R" "$TEST_ROOT/dmg"
# (all of it in the file itself, none in the WAL)
sqlite3 "$TEST_ROOT/dmg/dome.db" "PRAGMA journal_mode=DELETE" >/dev/null
psize=$(sqlite3 "$TEST_ROOT/dmg/dome.db" "PRAGMA page_size")
for page in $(sqlite3 "$TEST_ROOT/dmg/dome.db" "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'containers'"); do
	head -c "$psize" /dev/urandom | dd of="$TEST_ROOT/dmg/dome.db" bs="$psize" seek=$((page - 1)) conv=notrunc status=none
done
expect_status 1 "ls on the damaged file fails" -- "$DOME" --root "$TEST_ROOT/dmg" ls
expect_grep "$TEST_ROOT/err" "damaged" "ls says damaged"
expect_status 1 "verify on the damaged file fails" -- "$DOME" --root "$TEST_ROOT/dmg" history verify
expect_grep "$TEST_ROOT/err" "inventory $TEST_ROOT/dmg/dome.db is damaged" "verify says the file is damaged"
expect_status 1 "verify --json on it fails" -- "$DOME" --root "$TEST_ROOT/dmg" history verify --json
jq_true '.intact == false and .database.intact == false' "verify --json says the database is damaged"
finish
