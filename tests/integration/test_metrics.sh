#!/bin/bash
# The metrics history (dome record, dome metrics, metrics.db) against real
# containers: a CPU-burning container's series shows ~100% of a core and an
# idle one ~0%, a memory-filling one rises, net bytes rise while two
# containers ping each other on this test's bridge; the minute and hour
# buckets agree with the raw samples, also after a recorder killed with
# SIGKILL mid-rollup; retention prunes; promtool accepts the export and the
# line protocol parses strictly; a dome-group reader can query metrics.db;
# one recorder per root; bad input exits 2.
#
# Hours of samples are recorded in seconds with the test clock of
# dome-metrics(7): DOME_RECORD_CLOCK=START:STEP stamps the samples START,
# START+STEP, ... (those phases run after the real-time ones, in the future,
# so their timestamps follow the real ones).
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/console/tmux.sh"
SOCK="dome-metrics-$$"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
for tool in jq sqlite3 promtool setpriv tmux; do
	command -v $tool >/dev/null || { echo "# $tool is missing (scripts/packages installs it)"; exit 99; }
done

n=$(( $$ % 200 + 20 ))
BR="dmtr$n"
conf() { printf '[network]\nbridge = %s\nsubnet = 10.248.%s.0/29\n%s' "$BR" "$n" "${1:-}" > "$TEST_ROOT/dome.conf"; }
conf
export DOME_CONFIG="$TEST_ROOT/dome.conf"
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-mt-$$"
B="mtb$$" I="mti$$" M="mtm$$"
DB="$DOME_ROOT/metrics.db"
made_group=
rec_pid=
cleanup() {
	T kill-server 2>/dev/null
	[ -n "$rec_pid" ] && kill -9 "$rec_pid" 2>/dev/null
	for c in "$B" "$I" "$M"; do "$DOME" destroy --force "$c" >/dev/null 2>&1; done
	ip link del "$BR" 2>/dev/null
	remove_test_cgroups
	[ -n "$made_group" ] && groupdel dome 2>/dev/null
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
# The dome group: made for this test only when the host has none (before
# the first record, which gives metrics.db to it).
if ! getent group dome >/dev/null; then groupadd -r dome && made_group=1; fi
chmod 0711 "$TEST_ROOT" # mktemp's 0700 would hide the root from the reader

d() { "$DOME" "$@"; }
q() { sqlite3 "$DB" "$@"; }
record() { d record "$@" 2>>"$TEST_ROOT/record.log"; }
# the series of a container as JSON over the last minutes (raw tier)
series() { d metrics "$1" --since -10m --json; }

for c in "$B" "$I" "$M"; do
	d create "$c" --start >/dev/null || { not_ok "create $c"; finish; exit 1; }
done
d set "$M" memory=512M >/dev/null

# ---- CPU: a busy loop against an idle container ----
d exec "$B" -- /bin/sh -c 'while :; do :; done >/dev/null 2>&1 </dev/null &'
# what the kernel itself counted for the busy container over the recording
usec() { d info "$1" --json | jq '.. | .cpu_usec? // empty' | head -1; }
u0=$(usec "$B"); t0=$(date +%s%N)
expect_status 0 "dome record --interval 1 --count 5 takes its samples and exits" -- \
	d record --interval 1 --count 5
u1=$(usec "$B"); t1=$(date +%s%N)
kernel=$(awk -v u=$((u1 - u0)) -v t=$(( (t1 - t0) / 1000 )) 'BEGIN { printf "%.1f", u * 100 / t }')
series "$B" > "$TEST_ROOT/b.json"
series "$I" > "$TEST_ROOT/i.json"
bcpu=$(jq '[.points[] | .cpu_pct | select(. != null)] | add / length' "$TEST_ROOT/b.json")
icpu=$(jq '[.points[] | .cpu_pct | select(. != null)] | add / length' "$TEST_ROOT/i.json")
# ~100% of one core on a quiet host; on a busy one, what the scheduler gave
# it: the series must agree with the kernel's own count for the same time
awk -v b="$bcpu" -v k="$kernel" 'BEGIN { d = b - k; if (d < 0) d = -d; exit !(b >= 10 && b <= 105 && d < 15) }' \
	&& ok "the busy container's series shows ~100% CPU ($bcpu%; the kernel counted $kernel%)" \
	|| not_ok "the busy container's series shows ~100% CPU ($bcpu%; the kernel counted $kernel%)"
awk -v i="$icpu" 'BEGIN { exit !(i < 5) }' \
	&& ok "the idle container's series shows ~0% CPU ($icpu)" \
	|| not_ok "the idle container's series shows ~0% CPU ($icpu)"
[ "$(jq '.points | length' "$TEST_ROOT/b.json")" -ge 5 ] && ok "five raw points" || not_ok "five raw points"
[ "$(jq -r .tier "$TEST_ROOT/b.json")" = raw ] && ok "a recent window is read from the raw tier" \
	|| not_ok "a recent window is read from the raw tier"
d metrics --top cpu --since -1h --json > "$TEST_ROOT/top.json"
[ "$(jq -r '.containers[0].container' "$TEST_ROOT/top.json")" = "$B" ] \
	&& ok "--top cpu ranks the busy container first" || not_ok "--top cpu ranks the busy container first"
d exec "$B" -- /bin/sh -c 'kill -9 -1' # the busy loop: all but init (the machine is shared)

# ---- memory: a process that keeps allocating ----
d exec "$M" -- /bin/sh -c "awk 'BEGIN { for (n = 0; n < 400; n++) { a[n] = sprintf(\"%100000s\", \"\"); if (n % 10 == 0) system(\"sleep 0.2\") } system(\"sleep 600\") }' >/dev/null 2>&1 </dev/null &"
record --interval 1 --count 5
d metrics "$M" --since -6s --json > "$TEST_ROOT/m.json"
first=$(jq '.points[0].mem_bytes' "$TEST_ROOT/m.json"); last=$(jq '.points[-1].mem_bytes' "$TEST_ROOT/m.json")
[ "$last" -gt $((first + 8 * 1024 * 1024)) ] && ok "a memory-filling container's series rises ($first -> $last)" \
	|| not_ok "a memory-filling container's series rises ($first -> $last)"
jq -e '[.points[].mem_limit] | all(. == 536870912)' "$TEST_ROOT/m.json" >/dev/null \
	&& ok "the memory limit is in the series" || not_ok "the memory limit is in the series"

# ---- network: two containers ping each other on this test's bridge ----
ip_m=$(d info "$M" --json | sed -n 's/.*"ipv4": "\([0-9.]*\)".*/\1/p' | head -1)
ip_i=$(d info "$I" --json | sed -n 's/.*"ipv4": "\([0-9.]*\)".*/\1/p' | head -1)
before=$(d metrics --prometheus | awk -v c="$M" '$1 ~ "^dome_container_network_receive_bytes_total\\{container=\""c"\"" { print $2 }')
d exec "$I" -- ping -q -c 25 -i 0.2 -s 4000 "$ip_m" >/dev/null 2>&1 &
ping1=$!
d exec "$M" -- ping -q -c 25 -i 0.2 -s 4000 "$ip_i" >/dev/null 2>&1 &
ping2=$!
record --interval 1 --count 5
wait $ping1 $ping2
after=$(d metrics --prometheus | awk -v c="$M" '$1 ~ "^dome_container_network_receive_bytes_total\\{container=\""c"\"" { print $2 }')
rx=$(d metrics "$M" --since -6s --json | jq '[.points[].rx_bps | select(. != null)] | max')
tx=$(d metrics "$I" --since -6s --json | jq '[.points[].tx_bps | select(. != null)] | max')
[ -n "$before" ] && [ -n "$after" ] && [ "${after%.*}" -gt $(( ${before%.*} + 40000 )) ] \
	&& ok "net bytes received rise while the containers ping ($before -> $after)" \
	|| not_ok "net bytes received rise while the containers ping ($before -> $after)"
awk -v r="$rx" -v t="$tx" 'BEGIN { exit !(r > 10000 && t > 10000) }' \
	&& ok "rx and tx rates show the pings ($rx, $tx B/s)" || not_ok "rx and tx rates show the pings ($rx, $tx B/s)"

# ---- the tiers a window is read from ----
[ "$(d metrics "$B" --since -2d --json | jq -r .tier)" = minute ] && ok "two days back: the minute tier" \
	|| not_ok "two days back: the minute tier"
[ "$(d metrics "$B" --since -60d --json | jq -r .tier)" = hour ] && ok "two months back: the hour tier" \
	|| not_ok "two months back: the hour tier"
steps=$(d metrics "$B" --since -1h --step 1h --json | jq '.points | length')
[ "$steps" = 1 ] && ok "--step 1h folds the hour into one point" || not_ok "--step 1h folds the hour into one point ($steps)"

# ---- audited changes in the window ----
d set "$B" memory=300M >/dev/null
record --interval 1 --count 2
d metrics "$B" --since -1m > "$TEST_ROOT/text"
expect_grep "$TEST_ROOT/text" "change #[0-9]*: set memory=300M" "dome metrics marks the set in the window"
d metrics "$B" --since -1m --json | jq -e '.changes | any(.action == "set" and (.label | test("memory=300M")))' >/dev/null \
	&& ok "--json lists the change" || not_ok "--json lists the change"
d metrics "$B" --since -1m --csv > "$TEST_ROOT/csv"
head -1 "$TEST_ROOT/csv" | grep -q '^time,samples,cpu_pct,mem_bytes,mem_limit,pids,rx_bps,tx_bps,read_bps,write_bps,changes$' \
	&& grep -q ',#[0-9]' "$TEST_ROOT/csv" && ok "--csv has the columns and the change" || not_ok "--csv has the columns and the change"

d report --since -10m --metrics --format json > "$TEST_ROOT/report.json"
jq -e --arg b "$B" '.timeline | map(select(.type == "change" and .action == "set" and .target == $b))
	| .[-1].metrics | .samples > 0 and .mem_bytes > 0' "$TEST_ROOT/report.json" >/dev/null \
	&& ok "dome report --metrics puts the metrics around the set beside it" \
	|| not_ok "dome report --metrics puts the metrics around the set beside it"
d report --since -10m --metrics > "$TEST_ROOT/report.txt"
expect_grep "$TEST_ROOT/report.txt" "metrics +-5m: cpu .*mem" "and prints them under the entry"

# ---- the console: the Metrics tab draws the series ----
# console SESSION ENV...: the console on this root, the busy container selected
console() {
	local s=$1; shift
	tmux_session "$s" 120 50 env "$@" DOME_ROOT="$DOME_ROOT" DOME_CONFIG="$DOME_CONFIG" \
		DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" "$DOME"
	wait_for "$s" "^$B " || return 1
	T send-keys -t "$s" / "$B" Enter
	sleep 0.3
	T send-keys -t "$s" Enter
	wait_for "$s" "Metrics" && T send-keys -t "$s" 7
}
console tab TERM=xterm-256color LANG=C.UTF-8
check "the Metrics tab opens on the 1h window" wait_for tab "Window 1h .*tier raw"
check "the CPU chart is labelled with its unit and scale" wait_for tab "CPU (% of one core)"
check "its axis is labelled 100%" wait_for tab "^ *100%│"
check "the busy minute is drawn in blocks" bash -c "$(declare -f screen T); SOCK=$SOCK; screen tab | sed -n '/CPU (%/,/^Memory/p' | grep -q '│.*[▁▂▃▄▅▆▇█]'"
check "the memory chart rises (blocks)" bash -c "$(declare -f screen T); SOCK=$SOCK; screen tab | sed -n '/^Memory/,/^Net/p' | grep -q '│.*[▁▂▃▄▅▆▇█]'"
check "the change is marked on the time axis" wait_for tab "└.*▲"
check "and named under it" wait_for tab "▲ .*change #[0-9]*: set memory=300M"
T send-keys -t tab w
check "w switches to 24h" wait_for tab "Window 24h .*tier raw"
T send-keys -t tab w
check "and to 30d, from the minute tier" wait_for tab "Window 30d .*tier minute"
console ascii TERM=vt100 LANG=C DOME_ASCII=1
check "ASCII fallback: the axis and bars in ASCII" wait_for ascii "^ *100%|"
check "ASCII fallback: bars drawn with . : #" bash -c "$(declare -f screen T); SOCK=$SOCK; screen ascii | sed -n '/CPU (%/,/^Memory/p' | grep -q '|.*[.:#]'"
check "ASCII fallback: the change marked with ^" wait_for ascii "^  ^ .*set memory=300M"

# ---- exports ----
d metrics --prometheus > "$TEST_ROOT/prom"
if promtool check metrics < "$TEST_ROOT/prom" > "$TEST_ROOT/promtool" 2>&1; then
	ok "promtool check metrics passes on the export"
else
	not_ok "promtool check metrics passes on the export"; sed 's/^/#   /' "$TEST_ROOT/promtool"
fi
for m in dome_container_cpu_seconds_total dome_container_memory_bytes dome_host_load1; do
	grep -q "^# TYPE $m " "$TEST_ROOT/prom" && grep -q "^$m{.*host=\"" "$TEST_ROOT/prom" \
		&& ok "export has $m with HELP/TYPE and labels" || not_ok "export has $m"
done
grep -q "^dome_container_cpu_seconds_total{container=\"$B\",image=\"busybox\",host=\"" "$TEST_ROOT/prom" \
	&& ok "labels container, image, host" || not_ok "labels container, image, host"
# The line protocol, parsed strictly: measurement, tags, fields with
# typed values, a nanosecond timestamp; nothing else on any line.
d metrics --influx --since -5m > "$TEST_ROOT/influx"
tag='[A-Za-z0-9_]+=([^,= \\]|\\[,= \\])+'
field='[a-z0-9_]+=(-?[0-9]+i|-?[0-9]+(\.[0-9]+)?|true|false)'
re="^dome_(container|host)(,$tag)+ $field(,$field)* [0-9]{19}$"
bad=0; lines=0
while IFS= read -r line; do
	lines=$((lines + 1))
	[[ $line =~ $re ]] || { bad=$((bad + 1)); echo "#   bad line: $line"; }
done < "$TEST_ROOT/influx"
[ "$lines" -gt 10 ] && [ "$bad" = 0 ] && ok "the line protocol parses strictly ($lines lines)" \
	|| not_ok "the line protocol parses strictly ($bad of $lines bad)"
grep -q "^dome_container,container=$B,host=[^ ]*,image=busybox .*cpu_pct=" "$TEST_ROOT/influx" \
	&& ok "the line protocol has the container's cpu" || not_ok "the line protocol has the container's cpu"

# ---- textfile export, one recorder per root, SIGTERM ----
conf "[metrics]
interval = 1s
textfile = $TEST_ROOT/dome.prom
"
"$DOME" record 2>"$TEST_ROOT/rec1.log" &
rec_pid=$!
for _ in $(seq 50); do [ -s "$TEST_ROOT/dome.prom" ] && break; sleep 0.1; done
expect_status 1 "a second recorder for the same root is refused" -- d record --count 1
expect_grep "$TEST_ROOT/err" "already runs.*pid $rec_pid" "and says which pid holds the root"
promtool check metrics < "$TEST_ROOT/dome.prom" >/dev/null 2>&1 && ok "the textfile is a valid exposition" \
	|| not_ok "the textfile is a valid exposition"
ls -a "$TEST_ROOT" | grep -q '\.tmp$' && not_ok "no temp file left beside the textfile" || ok "no temp file left beside the textfile"
tmux_session host 120 40 env TERM=xterm-256color LANG=C.UTF-8 DOME_ROOT="$DOME_ROOT" \
	DOME_CONFIG="$DOME_CONFIG" DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" "$DOME"
wait_for host "^$B "
# the list's sparkline starts from the recorded history (a dozen samples
# and more, as many as the column holds), not from the one or two the
# console has taken itself
spark=$(screen host | grep "^$B " | grep -o '[▁▂▃▄▅▆▇█]' | wc -l)
[ "$spark" -ge 8 ] && ok "the list's sparkline is filled from the history on opening ($spark samples)" \
	|| not_ok "the list's sparkline is filled from the history on opening ($spark samples)"
T send-keys -t host S
check "the host view shows the recorder running, with its pid" wait_for host "Recorder .*running (pid $rec_pid)"
check "and its interval" wait_for host "Interval  *1s$"
check "and the size of metrics.db" wait_for host "metrics.db  *$DB, [0-9.]*[KMG]"
check "and the bytes per sample" wait_for host "Bytes per sample  *[0-9]* bytes per stored container sample"
kill -TERM "$rec_pid"
wait "$rec_pid"; rc=$?; rec_pid=
check "the host view sees the recorder stop" wait_for host "Recorder .*not running"
[ "$rc" = 0 ] && grep -q "stopped after" "$TEST_ROOT/rec1.log" && ok "SIGTERM ends the recorder cleanly" \
	|| not_ok "SIGTERM ends the recorder cleanly (exit $rc)"
conf

# ---- a locked metrics.db: the recorder says so and goes on ----
{ echo 'BEGIN IMMEDIATE;'; echo 'INSERT INTO meta VALUES ("lock-test", 1);'; sleep 5; echo 'ROLLBACK;'; } | sqlite3 "$DB" &
locker=$!
sleep 0.5
d record --interval 1 --count 8 2>"$TEST_ROOT/locked.log"; rc=$?
wait $locker
[ "$rc" = 0 ] && grep -q "locked.*going on" "$TEST_ROOT/locked.log" && grep -q "recording again" "$TEST_ROOT/locked.log" \
	&& ok "a locked metrics.db: the recorder says so, goes on, and records again" \
	|| { not_ok "a locked metrics.db: the recorder says so, goes on, and records again (exit $rc)"; sed 's/^/#   /' "$TEST_ROOT/locked.log"; }

# ---- a dome-group reader ----
gid=$(getent group dome | cut -d: -f3)
[ "$(stat -c '%a %G' "$DB")" = "640 dome" ] && ok "metrics.db is 0640, group dome" || not_ok "metrics.db is 0640, group dome ($(stat -c '%a %G' "$DB"))"
rows=$(setpriv --reuid=nobody --regid=nogroup --groups="$gid" -- sqlite3 "$DB" 'select * from metrics' 2>"$TEST_ROOT/err" | wc -l)
[ "$rows" -gt 10 ] && ok "a dome-group reader runs sqlite3 metrics.db 'select * from metrics' ($rows rows)" \
	|| { not_ok "a dome-group reader queries metrics.db"; sed 's/^/#   /' "$TEST_ROOT/err"; }
setpriv --reuid=nobody --regid=nogroup --groups="$gid" -- sqlite3 "$DB" 'select count(*) from host_metrics' >/dev/null 2>&1 \
	&& ok "and host_metrics" || not_ok "and host_metrics"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- sqlite3 "$DB" 'select 1 from metrics' >/dev/null 2>&1 \
	&& not_ok "a user outside the group cannot read it" || ok "a user outside the group cannot read it"

# ---- destroyed containers keep their history ----
d destroy --force "$I" >/dev/null
# ---- hours of samples in seconds: the test clock, from the next hour on ----
now=$(date +%s)
clock=$(( (now / 3600 + 1) * 3600 + 7 ))
fake() { # fake COUNT STEP [ENV...]: COUNT samples from $clock on, STEP apart
	local count=$1 step=$2; shift 2
	env DOME_RECORD_CLOCK="$clock:$step" "$@" "$DOME" record --interval 0 --count "$count" 2>>"$TEST_ROOT/record.log"
	local rc=$?
	clock=$(( $(q "select value from meta where key = 'last_sample'") + step ))
	return $rc
}
fake 300 30
[ "$(q "select count(*) from series where container = '$I' and destroyed_at is not null")" = 1 ] \
	&& ok "a destroyed container's series is marked" || not_ok "a destroyed container's series is marked"
d metrics "$I" --since -10m --json > "$TEST_ROOT/gone.json"
jq -e '.destroyed_at != null and (.points | length) > 5' "$TEST_ROOT/gone.json" >/dev/null \
	&& ok "and dome metrics still shows its history" || not_ok "and dome metrics still shows its history"

# every bucket of a tier (from the first raw sample of its series on)
# against the aggregate of its raw samples; prints the mismatches
check_buckets() {
	local table=$1 size=$2
	q "WITH r AS (SELECT series, t - t % $size AS bt, count(*) AS n, count(cpu) AS nr,
	       min(cpu) AS cmin, max(cpu) AS cmax, sum(cpu) AS csum, min(mem) AS mmin,
	       max(mem) AS mmax, sum(mem) AS msum, sum(pids) AS psum, sum(rx) AS rxs,
	       sum(wr) AS wrs, max(t) AS lt FROM raw GROUP BY series, bt),
	     f AS (SELECT series, min(t) AS t0 FROM raw GROUP BY series)
	   SELECT b.series, b.t FROM $table b JOIN f ON f.series = b.series
	   LEFT JOIN r ON r.series = b.series AND r.bt = b.t
	   LEFT JOIN raw l ON l.series = r.series AND l.t = r.lt
	   WHERE b.t >= f.t0 AND (r.n IS NOT b.n OR r.nr IS NOT b.nr OR r.cmin IS NOT b.cpu_min
	      OR r.cmax IS NOT b.cpu_max OR r.csum IS NOT b.cpu_sum OR r.mmin IS NOT b.mem_min
	      OR r.mmax IS NOT b.mem_max OR r.msum IS NOT b.mem_sum OR r.psum IS NOT b.pids_sum
	      OR r.rxs IS NOT b.rx_sum OR r.wrs IS NOT b.wr_sum OR l.mem IS NOT b.mem_last)
	   UNION ALL
	   SELECT r.series, r.bt FROM r LEFT JOIN $table b ON b.series = r.series AND b.t = r.bt
	   JOIN f ON f.series = r.series WHERE r.bt >= f.t0 AND b.t IS NULL"
	q "SELECT b.t FROM host_$table b LEFT JOIN (SELECT t - t % $size AS bt, count(*) AS n,
	       sum(mem) AS ms, sum(cpu) AS cs FROM host_raw GROUP BY bt) r ON r.bt = b.t
	   WHERE b.t >= (SELECT min(t) FROM host_raw) AND (r.n IS NOT b.n OR r.ms IS NOT b.mem_sum
	      OR r.cs IS NOT b.cpu_sum)"
}
# the row counts the recorder keeps (bytes per sample) match the tables
check_counts() {
	[ "$(q "select value from meta where key = 'raw_rows'")" = "$(q 'select count(*) from raw')" ] &&
	[ "$(q "select value from meta where key = 'minute_rows'")" = "$(q 'select count(*) from minute')" ] &&
	[ "$(q "select value from meta where key = 'hour_rows'")" = "$(q 'select count(*) from hour')" ]
}
buckets() { # buckets DESC
	local bad
	bad=$(check_buckets minute 60; check_buckets hour 3600)
	[ -z "$bad" ] && ok "$1" || { not_ok "$1"; echo "$bad" | head -5 | sed 's/^/#   bucket /'; }
	check_counts && ok "$1: the row counts match" || not_ok "$1: the row counts match"
}
hours=$(q "select count(*) from hour where t >= $((clock - 300 * 30))")
[ "$hours" -ge 4 ] && ok "2.5 hours of samples made hour buckets ($hours)" || not_ok "2.5 hours of samples made hour buckets ($hours)"
buckets "every minute and hour bucket agrees with the raw samples"

# ---- SIGKILL mid-rollup, and at a random point, then a restart ----
fake 1 30 DOME_FAULT=metrics.mid-rollup; rc=$?
[ "$rc" = 137 ] && ok "the recorder dies by SIGKILL mid-rollup (fault point)" || not_ok "the recorder dies by SIGKILL mid-rollup (exit $rc)"
env DOME_RECORD_CLOCK="$clock:5" "$DOME" record --interval 0 --count 1000000 2>>"$TEST_ROOT/record.log" &
rec_pid=$!
sleep 1.5
kill -9 "$rec_pid"; wait "$rec_pid" 2>/dev/null; rec_pid=
clock=$(( $(q "select value from meta where key = 'last_sample'") + 5 ))
fake 20 5
buckets "after SIGKILLs and a restart every bucket still agrees with the raw samples"

# ---- retention ----
conf "[metrics]
raw_retention = 10m
minute_retention = 2h
hour_retention = 1d
"
fake 3 60
last=$(q "select value from meta where key = 'last_sample'")
oldest_raw=$(q 'select min(t) from raw'); oldest_min=$(q 'select min(t) from minute')
[ "$oldest_raw" -ge $((last - 600)) ] && ok "raw samples older than raw_retention are pruned" \
	|| not_ok "raw samples older than raw_retention are pruned ($oldest_raw < $last - 600)"
[ "$oldest_min" -ge $((last - 7200)) ] && ok "minute buckets older than minute_retention are pruned" \
	|| not_ok "minute buckets older than minute_retention are pruned"
[ "$(q "select count(*) from hour where t < $((last - 7200))")" -gt 0 ] && ok "hour buckets are kept longer" \
	|| not_ok "hour buckets are kept longer"
[ "$(q "select count(*) from host_raw where t < $((last - 600))")" = 0 ] && ok "the host's raw samples are pruned too" \
	|| not_ok "the host's raw samples are pruned too"
check_counts && ok "the row counts follow the pruning" || not_ok "the row counts follow the pruning"
conf "[metrics]
raw_retention = 2h
minute_retention = 1h
"
expect_status 2 "retention shrinking from tier to tier is refused" -- d record --count 1
conf

# ---- bad input: a clear error, exit 2 ----
expect_status 2 "a bad --since" -- d metrics "$B" --since yesterday
expect_status 2 "an impossible date" -- d metrics "$B" --since 2026-02-30
expect_status 2 "--until before --since" -- d metrics "$B" --since -1h --until -2h
expect_status 2 "a zero --step" -- d metrics "$B" --step 0
expect_status 2 "a --step without a unit it knows" -- d metrics "$B" --step 5x
expect_status 2 "a bad name" -- d metrics 'a/b'
expect_status 2 "a name never recorded" -- d metrics "nosuch$$"
expect_grep "$TEST_ROOT/err" "no metrics recorded" "which says so"
expect_status 2 "an unknown --top key" -- d metrics --top bogus
expect_status 2 "two modes at once" -- d metrics "$B" --prometheus
expect_status 2 "a bad --interval" -- d record --interval 0
expect_status 2 "a bad --count" -- d record --count -1

finish
