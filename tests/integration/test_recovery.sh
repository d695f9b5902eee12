#!/bin/bash
# Faults dome survives, each as a user would check it: kill -9 of the CLI
# mid-start and mid-stop, kill -9 of a monitor, the container's init killed,
# the memory limit hit, the state root's filesystem full, the database locked
# by another writer, a corrupt database, and two CLIs acting on the same
# container at once. Private state root, cgroup prefix, bridge and subnet; a
# tmpfs of its own for the full-disk case; all removed on exit.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/integration/leaks.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
setup_instance 250
alive() { [ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
wait_state() { # NAME STATE: up to 5 s
	for i in $(seq 1 50); do [ "$(json_get "$1" state)" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
C="rc$n"
expect_status 0 "create $C" -- d create "$C" --memory 32M

# --- kill -9 of the CLI mid-start and mid-stop
DOME_FAULT=start.after-network d start "$C" >/dev/null 2>&1
[ $? = 137 ] && ok "CLI killed mid-start" || not_ok "CLI killed mid-start"
[ "$(d ls --json | jq -r ".[] | select(.name == \"$C\") | .state")" = stopped ] && ok "dome ls after it shows stopped" || not_ok "dome ls after it shows stopped"
expect_no_leaks "$C" "killed mid-start"
expect_status 0 "start" -- d start "$C"
DOME_FAULT=stop.after-signal d stop "$C" >/dev/null 2>&1
[ $? = 137 ] && ok "CLI killed mid-stop" || not_ok "CLI killed mid-stop"
wait_state "$C" stopped && ok "the stop completes without the CLI (state stopped)" || not_ok "the stop completes without the CLI ($(json_get "$C" state))"
expect_no_leaks "$C" "killed mid-stop"

# --- kill -9 of the monitor: the container keeps running; dome stop works
expect_status 0 "start" -- d start "$C"
pid=$(json_get "$C" pid); mon=$(json_get "$C" monitor_pid)
kill -9 "$mon"; sleep 0.3
alive "$pid" && ok "init survives its monitor's death" || not_ok "init survives its monitor's death"
[ "$(d ls --json | jq -r ".[] | select(.name == \"$C\") | .state")" = running ] && ok "dome ls shows it running (the truth)" || not_ok "dome ls shows it running"
d doctor --dry-run --json > "$TEST_ROOT/doc"
[ "$(jq -r '.items[] | select(.kind == "monitor") | .name' "$TEST_ROOT/doc")" = "$C" ] && ok "doctor reports the missing monitor" || { not_ok "doctor reports the missing monitor"; cat "$TEST_ROOT/doc"; }
expect_status 0 "dome stop stops it" -- d stop "$C" --timeout 5
alive "$pid" && not_ok "init is gone after stop" || ok "init is gone after stop"
[ "$(json_get "$C" state)" = stopped ] && ok "state stopped" || not_ok "state stopped"
expect_no_leaks "$C" "monitor killed, then stop"

# the monitor killed, then init exits on its own: the next run records it
expect_status 0 "start" -- d start "$C"
pid=$(json_get "$C" pid); mon=$(json_get "$C" monitor_pid)
kill -9 "$mon"; sleep 0.2; kill -9 "$pid"; sleep 0.3
[ "$(d ls --json | jq -r ".[] | select(.name == \"$C\") | .state")" = stopped ] && ok "unmonitored init's death seen by the next dome ls" || not_ok "unmonitored init's death seen by the next dome ls"
expect_no_leaks "$C" "monitor then init killed"

# --- container init killed: stopped, with its signal
expect_status 0 "start" -- d start "$C"
kill -9 "$(json_get "$C" pid)"
wait_state "$C" stopped && [ "$(json_get "$C" exit_signal)" = 9 ] && ok "killed init: stopped by signal 9" || { not_ok "killed init: stopped by signal 9"; d info "$C" --json; }
expect_no_leaks "$C" "init killed"

# --- who records a run's end: exactly once, with init's status (the monitor
# publishes the status; the dome holding the container's lock records it)
# The end events of the newest run of $C: kind and detail, one per line.
ends_since() { # EVENT_ID
	sqlite3 "$DOME_ROOT/dome.db" "SELECT kind || ' ' || detail FROM events WHERE container = '$C' AND id > $1 AND kind IN ('stopped', 'exited', 'crashed') ORDER BY id"
}
last_event() { sqlite3 "$DOME_ROOT/dome.db" "SELECT coalesce(max(id), 0) FROM events"; }
# a kill stop records the stop itself, with SIGKILL, once; the monitor leaves
expect_status 0 "start" -- d start "$C"
ev=$(last_event); mon=$(json_get "$C" monitor_pid)
expect_status 0 "stop --kill" -- d stop "$C" --kill
[ "$(ends_since "$ev")" = 'stopped {"signal":9}' ] && ok "kill stop: one stopped event, signal 9" || { not_ok "kill stop: one stopped event, signal 9"; ends_since "$ev"; }
[ "$(json_get "$C" exit_signal)" = 9 ] && ok "kill stop: exit_signal 9 in the row" || not_ok "kill stop: exit_signal 9 in the row"
alive "$mon" && not_ok "kill stop: the monitor is gone when stop returns" || ok "kill stop: the monitor is gone when stop returns"
[ -z "$(ls "$DOME_ROOT/run/exit" 2>/dev/null)" ] && ok "kill stop: no published status left" || not_ok "kill stop: no published status left ($(ls "$DOME_ROOT/run/exit"))"
expect_no_leaks "$C" "kill stop"
# init dies while another dome holds the lock: the monitor publishes and
# waits; the holder's next verb (here a stop finding init dead) records it
expect_status 0 "start" -- d start "$C"
ev=$(last_event); pid=$(json_get "$C" pid); mon=$(json_get "$C" monitor_pid)
exec 8>"$DOME_ROOT/run/locks/$C"; flock 8
kill -9 "$pid"; sleep 0.3
alive "$mon" && ok "lock held: the monitor waits for it" || not_ok "lock held: the monitor waits for it"
[ "$(json_get "$C" state)" != stopped ] && ok "lock held: the monitor records nothing" || not_ok "lock held: the monitor records nothing"
exec 8>&-
# (the stop finds the run dead, records its end and says it is not running)
expect_status 1 "stop of the dead run" -- d stop "$C" --kill
[ "$(ends_since "$ev")" = 'crashed {"signal":9}' ] && ok "killed init under a held lock: one crashed event, signal 9" || { not_ok "killed init under a held lock: one crashed event, signal 9"; ends_since "$ev"; }
alive "$mon" && not_ok "killed init under a held lock: the monitor is gone" || ok "killed init under a held lock: the monitor is gone"
# the same, but the lock is let go with no verb: the monitor records it
expect_status 0 "start" -- d start "$C"
ev=$(last_event); pid=$(json_get "$C" pid)
exec 8>"$DOME_ROOT/run/locks/$C"; flock 8
kill -9 "$pid"; sleep 0.3
exec 8>&-
wait_state "$C" stopped && [ "$(ends_since "$ev")" = 'crashed {"signal":9}' ] && ok "lock let go: the monitor records one crashed event, signal 9" || { not_ok "lock let go: the monitor records one crashed event, signal 9"; ends_since "$ev"; }
# many stops racing init's own death: always exactly one end event
bad=0
for i in 1 2 3 4 5; do
	d start "$C" >/dev/null; ev=$(last_event); pid=$(json_get "$C" pid)
	{ kill -9 "$pid" 2>/dev/null & } ; d stop "$C" --kill >/dev/null 2>&1; wait
	wait_state "$C" stopped
	if [ "$(ends_since "$ev" | wc -l)" != 1 ] || [ -z "$(ends_since "$ev" | grep '"signal":9')" ]; then
		echo "# race $i: $(ends_since "$ev" | tr '\n' ';')"; bad=1
	fi
done
[ "$bad" = 0 ] && ok "stop racing init's death: one end event with signal 9, 5 times" || not_ok "stop racing init's death: one end event with signal 9"
expect_no_leaks "$C" "stop racing init's death"

# --- memory limit hit: the OOM kill is reported
expect_status 0 "start" -- d start "$C"
d exec "$C" -- tail /dev/zero >/dev/null 2>&1
st=$?
[ "$st" = 137 ] && ok "allocation past 32M killed (137)" || not_ok "allocation past 32M killed ($st)"
o=$(json_get "$C" stats.oom_kills_this_run)
[ "${o:-0}" -ge 1 ] && ok "info reports the OOM kill ($o)" || { not_ok "info reports the OOM kill"; d info "$C" --json; }
expect_status 0 "stop" -- d stop "$C" --timeout 5
o=$(json_get "$C" oom_kills)
[ "${o:-0}" -ge 1 ] && ok "the stored OOM count survives the stop ($o)" || not_ok "the stored OOM count survives the stop ($o)"
d report --since -1h --format json > "$TEST_ROOT/report"
jq -e ".timeline[] | select(.type == \"event\" and .kind == \"oom_kill\" and .container == \"$C\")" "$TEST_ROOT/report" >/dev/null &&
	ok "the report's timeline has the oom_kill event" || not_ok "the report's timeline has the oom_kill event"

# --- two CLIs on the same container at once: exactly one wins
starts() { sqlite3 "$DOME_ROOT/dome.db" "SELECT count(*) FROM changes WHERE target = '$C' AND action = '$1' AND result = 'ok'"; }
s0=$(starts start); t0=$(starts stop)
d start "$C" >"$TEST_ROOT/s1" 2>&1 & p1=$!
d start "$C" >"$TEST_ROOT/s2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
[ $((r1 + r2)) = 1 ] && ok "two starts at once: one succeeds, one fails ($r1, $r2)" || not_ok "two starts at once: one succeeds, one fails ($r1, $r2)"
cat "$TEST_ROOT/s1" "$TEST_ROOT/s2" | grep -q "running already" && ok "the loser says it is running already" || { not_ok "the loser says it is running already"; cat "$TEST_ROOT/s1" "$TEST_ROOT/s2"; }
[ "$(pgrep -fc "__monitor $DOME_ROOT .* $C [0-9]")" = 1 ] && ok "exactly one monitor" || not_ok "exactly one monitor ($(pgrep -fc "__monitor $DOME_ROOT .* $C [0-9]"))"
d stop "$C" --timeout 5 >"$TEST_ROOT/s1" 2>&1 & p1=$!
d stop "$C" --timeout 5 >"$TEST_ROOT/s2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
[ $((r1 + r2)) = 1 ] && ok "two stops at once: one succeeds, one fails ($r1, $r2)" || not_ok "two stops at once ($r1, $r2)"
expect_no_leaks "$C" "two stops"
[ "$(starts start)" = $((s0 + 1)) ] && [ "$(starts stop)" = $((t0 + 1)) ] &&
	ok "the history has one successful start and one stop of the race" || not_ok "the history has one successful start and one stop of the race"

# --- the database locked by another writer for seconds
db="$DOME_ROOT/dome.db"
( echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 8; echo "COMMIT;" ) | sqlite3 "$db" > "$TEST_ROOT/holder" &
holder=$!
for i in $(seq 1 50); do grep -q locked "$TEST_ROOT/holder" && break; sleep 0.1; done
t0=$(date +%s%N)
expect_status 1 "a change while another writer holds the database fails" -- d set "$C" pids=50
t1=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$t1" -ge 4000 ] && ok "it waited for the lock first (${t1} ms)" || not_ok "it waited for the lock first (${t1} ms)"
expect_grep "$TEST_ROOT/err" "locked" "the error names the lock"
expect_grep "$TEST_ROOT/err" "$db" "the error names the database"
wait $holder
expect_status 0 "the same change works once the lock is gone" -- d set "$C" pids=50

# --- a corrupt database: a clear error naming the file, never re-created
cp -a "$DOME_ROOT" "$TEST_ROOT/bad"
rm -f "$TEST_ROOT/bad/dome.db-wal" "$TEST_ROOT/bad/dome.db-shm"
head -c 16384 /dev/urandom > "$TEST_ROOT/bad/dome.db"
sum=$(sha256sum < "$TEST_ROOT/bad/dome.db")
expect_status 1 "ls on a corrupt database fails" -- d --root "$TEST_ROOT/bad" ls
expect_grep "$TEST_ROOT/err" "$TEST_ROOT/bad/dome.db" "the error names the file"
expect_grep "$TEST_ROOT/err" "not a\|damaged\|corrupt" "the error says what is wrong"
expect_status 1 "a change on a corrupt database fails" -- d --root "$TEST_ROOT/bad" create zz
[ "$(sha256sum < "$TEST_ROOT/bad/dome.db")" = "$sum" ] && ok "the corrupt file is left as it was" || not_ok "the corrupt file is left as it was"
rm -rf "$TEST_ROOT/bad"

# --- the database lost in a root that has containers: zero bytes, missing,
# or replaced by an empty SQLite file. Every command is refused (naming the
# file and the way back); nothing is re-created and no container's files go.
L="$TEST_ROOT/lost"
cp -a "$DOME_ROOT" "$L"
rm -f "$L/dome.db-wal" "$L/dome.db-shm"
: > "$L/dome.db"
for how in "zero bytes" missing "an empty SQLite file"; do
	case $how in
	missing) rm -f "$L/dome.db" ;;
	"an empty SQLite file") sqlite3 "$L/dome.db" "CREATE TABLE t (x); DROP TABLE t" ;;
	esac
	was=$(stat -c %s "$L/dome.db" 2>/dev/null || echo none)
	expect_status 1 "dome ls refuses a root whose database is $how" -- d --root "$L" ls
	expect_grep "$TEST_ROOT/err" "$L/dome.db" "the refusal names the file ($how)"
	expect_grep "$TEST_ROOT/err" "RECOVERY in dome(1)" "the refusal points at the recovery steps ($how)"
	expect_status 1 "dome doctor refuses it too ($how)" -- d --root "$L" doctor
	[ -d "$L/containers/$C" ] && ok "the container's files are still there ($how)" || not_ok "the container's files are still there ($how)"
	[ "$(stat -c %s "$L/dome.db" 2>/dev/null || echo none)" = "$was" ] && ok "the database was left as it was ($how)" || not_ok "the database was left as it was ($how)"
	[ ! -e "$L/dome.db-wal" ] && ok "no WAL was started over it ($how)" || not_ok "no WAL was started over it ($how)"
done
# A row lost (the database restored from an older backup, say): doctor moves
# the directory nobody accounts for aside, never deletes it.
sqlite3 "$DOME_ROOT/dome.db" ".backup '$L/dome.db'"
sqlite3 "$L/dome.db" "DELETE FROM containers WHERE name = '$C'"
echo "keep me" > "$L/containers/$C/upper/precious"
expect_status 0 "doctor on a root with a container directory but no row" -- d --root "$L" doctor
expect_grep "$TEST_ROOT/out" "moved to lost+found/$C\." "doctor says where it moved it"
[ ! -e "$L/containers/$C" ] && ok "the stray is no longer among the containers" || not_ok "the stray is no longer among the containers"
moved=$(ls -d "$L/lost+found/$C".* 2>/dev/null | head -1)
[ -n "$moved" ] && [ "$(cat "$moved/upper/precious" 2>/dev/null)" = "keep me" ] && ok "its files are kept in lost+found" || { not_ok "its files are kept in lost+found"; ls -la "$L" "$L/lost+found" 2>&1 | sed 's/^/#   /'; }
[ "$(stat -c %a "$L/lost+found")" = 700 ] && ok "lost+found is root's only (0700)" || not_ok "lost+found is root's only ($(stat -c %a "$L/lost+found"))"
d --root "$L" history --json --action doctor > "$TEST_ROOT/hist"
jq -e '.[0].after.note | test("moved to lost\\+found")' "$TEST_ROOT/hist" >/dev/null && ok "the move is in the history" || { not_ok "the move is in the history"; cat "$TEST_ROOT/hist"; }
rm -rf "$L"

# --- the state root's filesystem full
small="$TEST_ROOT/small"
# A state root of its own, so a cgroup prefix of its own: a prefix belongs to
# one root (dome(1), SEVERAL STATE ROOTS).
SP="$DOME_CGROUP_PREFIX-small"
ds() { DOME_CGROUP_PREFIX="$SP" "$DOME" --root "$S" "$@"; }
mkdir -p "$small" && mount -t tmpfs -o size=24m dome-test-full "$small" || not_ok "mount a small tmpfs"
remove_small_cgroups() {
	local h
	for h in $(cgroup_hierarchies); do
		[ -d "$h$SP" ] && find "$h$SP" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
cleanup_small() {
	rm -f "$small/fill" "$small/fill2"
	for c in f1 f2; do ds destroy --force "$c" >/dev/null 2>&1; done
	pkill -KILL -f "__monitor $S " 2>/dev/null
	# whatever a failed run left in the small root's containers' cgroups
	find /sys/fs/cgroup -path "*/$SP/f[12]/cgroup.procs" -exec cat {} + 2>/dev/null |
		sort -u | xargs -r kill -KILL 2>/dev/null
	sleep 0.2
	remove_small_cgroups
	umount -l "$small" 2>/dev/null; cleanup_instance
}
trap cleanup_small EXIT
S="$small/state"
expect_status 0 "a container on the small filesystem" -- ds create f1 --net none
dd if=/dev/zero of="$small/fill" bs=64k >/dev/null 2>&1 # until ENOSPC
expect_status 1 "a change on a full filesystem fails" -- ds create f2 --net none
grep -qi "full\|no space" "$TEST_ROOT/err" && ok "the error says the disk is full" || { not_ok "the error says the disk is full"; cat "$TEST_ROOT/err"; }
# Reading may need room for the WAL index too: it works or says why.
ds ls >/dev/null 2>"$TEST_ROOT/err" || expect_grep "$TEST_ROOT/err" "full" "a read on the full disk, if it fails, says the disk is full"
rm -f "$small/fill"
# A container running when the disk fills up can be stopped: with the room
# dome keeps for that (<root>/reserve), the stop is audited in full...
f1_pid() { ds info f1 --json | jq -r '.pid // empty'; }
ends() { sqlite3 "$S/dome.db" "SELECT kind || ' ' || detail FROM events WHERE container = 'f1' AND kind IN ('stopped', 'exited', 'crashed') ORDER BY id"; }
expect_status 0 "start a container on the small filesystem" -- ds start f1
[ -f "$S/reserve" ] && ok "dome keeps room in the state root" || not_ok "dome keeps room in the state root"
pid=$(f1_pid)
dd if=/dev/zero of="$small/fill" bs=64k >/dev/null 2>&1
expect_status 0 "dome stop --kill works on the full disk" -- ds stop f1 --kill
alive "$pid" && not_ok "its init is gone" || ok "its init is gone"
[ "$(sqlite3 "$S/dome.db" "SELECT result FROM changes WHERE action = 'stop' AND target = 'f1' ORDER BY id DESC LIMIT 1")" = ok ] &&
	ok "the stop is in the history" || not_ok "the stop is in the history"
[ "$(ends)" = 'stopped {"signal":9}' ] && ok "with its stopped event" || { not_ok "with its stopped event"; ends; }
[ "$(ds ls --json | jq -r '.[] | select(.name == "f1") | .state')" = stopped ] && ok "ls shows it stopped" || not_ok "ls shows it stopped"
rm -f "$small/fill"
# ...and with that room gone too, it still stops, and says what it could
# not record; the next run with room records the end.
expect_status 0 "start it again" -- ds start f1
pid=$(f1_pid)
dd if=/dev/zero of="$small/fill" bs=64k >/dev/null 2>&1
rm -f "$S/reserve"
dd if=/dev/zero of="$small/fill2" bs=4k >/dev/null 2>&1
expect_status 0 "dome stop --kill works with no room at all" -- ds stop f1 --kill
alive "$pid" && not_ok "its init is gone (no room)" || ok "its init is gone (no room)"
expect_grep "$TEST_ROOT/err" "warning: not recorded: .*stop f1 (done) has no audit record" "the stop says it could not be audited"
expect_grep "$TEST_ROOT/err" "the end of f1's run is not in the inventory yet" "and that the end is not recorded yet"
rm -f "$small/fill" "$small/fill2"
[ "$(ds ls --json | jq -r '.[] | select(.name == "f1") | .state')" = stopped ] && ok "with room again, ls records it stopped" || not_ok "with room again, ls records it stopped"
DOME_ROOT="$S" expect_no_leaks f1 "stopped on a full disk"
[ "$(sqlite3 "$S/dome.db" 'PRAGMA integrity_check')" = ok ] && ok "the database is intact" || not_ok "the database is intact"
ds ls --json > "$TEST_ROOT/ls" 2>&1
[ "$(jq -r '.[].name' "$TEST_ROOT/ls" | tr '\n' ' ')" = "f1 " ] && ok "the inventory holds f1 only: the failed create left nothing" || { not_ok "the inventory holds f1 only"; cat "$TEST_ROOT/ls"; }
[ ! -e "$S/containers/f2" ] && ok "no directory of the failed create" || not_ok "no directory of the failed create"
expect_status 0 "after freeing space the change works" -- ds create f2 --net none
expect_status 0 "the history chain verifies" -- ds history verify
for c in f1 f2; do ds destroy "$c" >/dev/null 2>&1; done
umount "$small" && ok "the small filesystem is unmounted" || not_ok "the small filesystem is unmounted"
remove_small_cgroups
trap cleanup_instance EXIT
finish
