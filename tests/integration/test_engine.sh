#!/bin/bash
# The container engine on the real kernel, through the CLI as a user drives it:
# namespaces, hostname, overlay, limits (memory OOM, pids, cpu quota, live set),
# freeze, console log, monitor survival, init death, stop leaving nothing, and
# failed starts leaving nothing. Own state root, cgroup prefix and names;
# everything made is removed on exit, also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-it-$$"
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
d() { "$DOME" "$@"; }
# Alive and not a zombie waiting for its (re)parent to reap it.
alive() { [ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
C1="eng$$"

cleanup() {
	for c in $(d ls --json 2>/dev/null | sed -n 's/.*"name": "\(.*\)".*/\1/p'); do
		d destroy --force "$c" >/dev/null 2>&1
	done
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] || continue
		find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

cg_file() { # controller file -> value (v1 or v2 path)
	for f in "/sys/fs/cgroup/$1/$DOME_CGROUP_PREFIX/$C1/$2" "/sys/fs/cgroup/$DOME_CGROUP_PREFIX/$C1/$3"; do
		[ -n "$f" ] && [ -f "$f" ] && { cat "$f"; return; }
	done
	echo "missing"
}
json_field() { sed -n "s/.*\"$1\": \\(\"\\?[^,\"]*\"\\?\\).*/\\1/p" | head -1 | tr -d '"'; }

expect_status 0 "create a container" -- d create "$C1" --net none --memory 64M
expect_status 0 "start it" -- d start "$C1"
info=$(d info "$C1" --json)
pid=$(echo "$info" | json_field pid)
[ "$(echo "$info" | json_field state)" = running ] && ok "it is running" || not_ok "it is running"

# PID namespace: init is pid 1 inside; host processes are invisible.
out=$(d exec "$C1" -- /bin/ps -o pid,comm)
echo "$out" | grep -qE '^ *1 init' && ok "init is pid 1 inside" || { not_ok "init is pid 1 inside"; echo "$out"; }
n=$(echo "$out" | grep -c '^ *[0-9]')
[ "$n" -le 3 ] && ok "host processes are invisible ($n processes seen)" || not_ok "host processes invisible ($n seen)"
[ "$(d exec "$C1" -- /bin/hostname)" = "$C1" ] && ok "hostname is the container name" || not_ok "hostname"
# dome ps: the container's processes seen from the host, as a tree under init.
d exec "$C1" -- sh -c 'sleep 300 >/dev/null 2>&1 </dev/null & exit 0'
d ps "$C1" >"$TEST_ROOT/ps" 2>&1
expect_grep "$TEST_ROOT/ps" "^ *$pid  *[0-9]\+  / \+init$" "dome ps lists init first, in the container's own cgroup"
expect_grep "$TEST_ROOT/ps" "^ *[0-9]\+  *$pid  / \+\\\\_ sleep 300$" "dome ps shows what it started under init"
kill "$(awk '/sleep 300$/ { print $1 }' "$TEST_ROOT/ps")" 2>/dev/null
expect_status 1 "dome ps of a container that does not exist" -- d ps "nope$$"
expect_grep "$TEST_ROOT/err" "no container named 'nope$$'" "... says so"
[ "$(d exec "$C1" -- grep NoNewPrivs /proc/1/status | awk '{print $2}')" = 0 ] && ok "no_new_privs is off by default" || not_ok "no_new_privs is off by default"
d exec "$C1" -- cat /etc/hosts > "$TEST_ROOT/hosts"
expect_grep "$TEST_ROOT/hosts" "^127.0.1.1	$C1\$" "/etc/hosts names the container"

# Overlay: a write inside lands in the upper dir; the image is unchanged.
d exec "$C1" -- /bin/sh -c 'echo overlay-proof > /etc/proof'
[ "$(cat "$DOME_ROOT/containers/$C1/upper/etc/proof" 2>/dev/null)" = overlay-proof ] && ok "write lands in the upper dir" || not_ok "write lands in the upper dir"
[ ! -e "$DOME_ROOT/images/busybox/etc/proof" ] && ok "image unchanged" || not_ok "image unchanged"
grep -q "$DOME_ROOT" /proc/self/mountinfo && not_ok "no container mount visible on the host" || ok "no container mount visible on the host"

# Live figures in info, read from the cgroup.
info=$(d info "$C1" --json)
echo "$info" | grep -q '"memory_bytes": [1-9]' && ok "info shows live memory use" || { not_ok "info shows live memory use"; echo "$info"; }
echo "$info" | grep -q '"pids": [1-9]' && ok "info shows live pids" || not_ok "info shows live pids"

# Clone of a running container: briefly frozen, files copied, whiteouts kept.
d exec "$C1" -- rm /etc/group
expect_status 0 "clone a running container" -- d clone "$C1" "c$C1"
[ "$(d info "$C1" --json | json_field state)" = running ] && ok "the source runs on after the clone" || not_ok "the source runs on after the clone"
expect_status 0 "start the clone" -- d start "c$C1"
[ "$(d exec "c$C1" -- cat /etc/proof)" = overlay-proof ] && ok "the clone has the source's files" || not_ok "the clone has the source's files"
d exec "c$C1" -- test -e /etc/group && not_ok "the clone keeps the source's deletions" || ok "the clone keeps the source's deletions"
[ "$(d exec "c$C1" -- hostname)" = "c$C1" ] && ok "the clone has its own name" || not_ok "the clone has its own name"
expect_status 1 "clone onto an existing name is refused" -- d clone "$C1" "c$C1"
expect_status 0 "destroy the clone" -- d destroy --force "c$C1"

# Capabilities: the bounding set is reduced, inside init and in exec.
capi=$(awk '/CapBnd/ {print $2}' /proc/$pid/status)
cape=$(d exec "$C1" -- /bin/grep CapBnd /proc/self/status | awk '{print $2}')
[ "$capi" != 000001ffffffffff ] && [ "$capi" = "$cape" ] && ok "capabilities reduced ($capi)" || not_ok "capabilities reduced (init $capi exec $cape)"
d exec "$C1" -- /bin/mount -t tmpfs none /mnt 2>/dev/null && not_ok "cannot mount inside" || ok "cannot mount inside"

# Devices (v1 devices controller): only the standard nodes are allowed.
if [ -f "/sys/fs/cgroup/devices/$DOME_CGROUP_PREFIX/$C1/devices.list" ]; then
	dl=$(cat "/sys/fs/cgroup/devices/$DOME_CGROUP_PREFIX/$C1/devices.list")
	echo "$dl" | grep -q '^a ' && not_ok "device allowlist in force" || ok "device allowlist in force ($(echo "$dl" | wc -l) entries)"
	echo "$dl" | grep -q '^b ' && not_ok "no block device allowed" || ok "no block device allowed"
fi
d exec "$C1" -- mknod /tmp/disk b 8 0 2>/dev/null && not_ok "cannot make device nodes" || ok "cannot make device nodes"
[ "$(d exec "$C1" -- sh -c 'head -c 8 /dev/urandom | wc -c')" = 8 ] && ok "standard devices work" || not_ok "standard devices work"
# The device allowlist (v1 devices controller, v2 eBPF program): nodes the
# test puts in the container's /dev from the host (the container cannot
# mknod) open only when allowed. /dev/net/tun (10:200) opens for root
# anywhere else; here it must be refused by the cgroup (EPERM, not ENODEV
# or success).
mknod "/proc/$pid/root/dev/dm-tun" c 10 200 && mknod "/proc/$pid/root/dev/dm-zero" c 1 5 \
	&& ok "the test puts two nodes in the container's /dev" || not_ok "the test puts two nodes in the container's /dev"
out=$(d exec "$C1" -- head -c 1 /dev/dm-tun 2>&1)
case "$out" in *"Operation not permitted"*) ok "a device off the allowlist is refused to root inside";;
	*) not_ok "a device off the allowlist is refused to root inside (got: $out)";; esac
[ "$(d exec "$C1" -- sh -c 'head -c 4 /dev/dm-zero | wc -c')" = 4 ] \
	&& ok "an allowed device works under another name" || not_ok "an allowed device works under another name"

# Memory limit: an allocation past it is OOM-killed, and reported.
[ "$(cg_file memory memory.limit_in_bytes memory.max)" = 67108864 ] && ok "memory limit in the cgroup" || not_ok "memory limit in the cgroup"
# busybox tail buffers /dev/zero forever looking for a newline: anonymous memory.
d exec "$C1" -- tail /dev/zero >/dev/null 2>&1
st=$?
[ "$st" = 137 ] && ok "allocation past the limit is killed (status $st)" || not_ok "allocation past the limit is killed (status $st)"
oom=$(cg_file memory memory.oom_control memory.events | awk '/oom_kill / {print $2}')
[ "${oom:-0}" -ge 1 ] && ok "the kernel counted an OOM kill" || not_ok "the kernel counted an OOM kill"
# Recorded by the monitor when it happens, not when the container stops.
events() { sqlite3 "$DOME_ROOT/dome.db" "SELECT $1 FROM events WHERE container = '$C1' AND kind = '$2'"; }
for _ in $(seq 50); do [ "$(events 'count(*)' oom_kill)" -ge 1 ] && break; sleep 0.1; done
[ "$(events 'count(*)' oom_kill)" -ge 1 ] && [ "$(d info "$C1" --json | json_field state)" = running ] \
	&& ok "the OOM kill is recorded while the container runs" || not_ok "the OOM kill is recorded while the container runs"
d report --since -1h --format json | grep -q '"oom_kill"' && ok "the report shows it while it runs" || not_ok "the report shows it while it runs"

# Live set: the cgroup files change at once; stored for the next start.
expect_status 0 "set memory, cpus, pids live" -- d set "$C1" memory=128M cpus=0.5 pids=8
[ "$(cg_file memory memory.limit_in_bytes memory.max)" = 134217728 ] && ok "live memory change" || not_ok "live memory change"
q=$(cg_file cpu cpu.cfs_quota_us cpu.max)
case "$q" in 50000|"50000 100000") ok "cpu quota visible ($q)";; *) not_ok "cpu quota visible ($q)";; esac
[ "$(cg_file pids pids.max pids.max)" = 8 ] && ok "pids limit in the cgroup" || not_ok "pids limit in the cgroup"
out=$(d exec "$C1" -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /bin/sleep 5 & done; wait' 2>&1)
echo "$out" | grep -qi "fork\|resource" && ok "forks past the pids limit fail" || { not_ok "forks past the pids limit fail"; echo "$out" | head -3; }
# A fork bomb: pids.max hits are recorded while it runs (v1's pids.events is
# read every 5 s, cgroup2's is notified), rate-limited: one row for a burst
# of refused forks, with their count.
for _ in 1 2 3; do d exec "$C1" -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /bin/sleep 2 & done; wait' >/dev/null 2>&1; done
for _ in $(seq 150); do [ "$(events 'count(*)' limit_hit)" -ge 1 ] && break; sleep 0.1; done
hits=$(cg_file pids pids.events pids.events | awk '/^max / {print $2}')
# pids.max rows only: cgroup2 also has memory.max hits from the OOM above.
pids_rows() { sqlite3 "$DOME_ROOT/dome.db" "SELECT $1 FROM events WHERE container = '$C1' AND kind = 'limit_hit' AND json_extract(detail, '\$.limit') = 'pids.max'"; }
rows=$(pids_rows 'count(*)')
[ "$rows" -ge 1 ] && ok "the pids.max hits are recorded while it runs ($rows rows for $hits hits)" || not_ok "the pids.max hits are recorded while it runs"
[ "$rows" -lt "${hits:-0}" ] && ok "rate-limited: fewer rows than hits" || not_ok "rate-limited: fewer rows ($rows) than hits (${hits:-0})"
pids_rows detail | head -1 | grep -q '"limit":"pids.max".*"value":8' && ok "the row names pids.max and its value" || { not_ok "the row names pids.max and its value"; events detail limit_hit; }
d report --since -1h > "$TEST_ROOT/report"
expect_grep "$TEST_ROOT/report" "limit_hit.*pids.max\|pids.max.*limit_hit" "the incident report shows the fork bomb"
# I/O throttle on a real block device of this machine.
blk=$(for b in /sys/block/*; do case "${b##*/}" in loop*|ram*|zram*) continue;; esac; cat "$b/dev"; break; done)
if [ -n "$blk" ]; then
	expect_status 0 "set an I/O limit on $blk" -- d set "$C1" "io=$blk:rbps=10M,wiops=100"
	rb=$(cat "/sys/fs/cgroup/blkio/$DOME_CGROUP_PREFIX/$C1/blkio.throttle.read_bps_device" 2>/dev/null || grep "^$blk " "/sys/fs/cgroup/$DOME_CGROUP_PREFIX/$C1/io.max")
	case "$rb" in *"$blk 10485760"*|*"$blk rbps=10485760"*) ok "I/O read limit in the cgroup";; *) not_ok "I/O read limit in the cgroup ($rb)";; esac
	expect_status 2 "an I/O limit on a missing device is refused" -- d set "$C1" io=999:0:rbps=1M pids=3
	expect_grep "$TEST_ROOT/err" "no block device 999:0" "the refusal names the missing device"
	[ "$(cg_file pids pids.max pids.max)" = 8 ] && ok "pids unchanged by the refused change" || not_ok "pids unchanged by the refused change"
	expect_status 0 "remove the I/O limit" -- d set "$C1" "io=$blk:max"
fi
expect_status 2 "a malformed I/O limit is bad input" -- d set "$C1" io=sda
expect_status 2 "a bad value is refused" -- d set "$C1" memory=lots
[ "$(cg_file memory memory.limit_in_bytes memory.max)" = 134217728 ] && ok "refused set changed nothing" || not_ok "refused set changed nothing"
expect_status 0 "unset limits" -- d set "$C1" pids=max cpus=max

# Freeze stops progress; unfreeze resumes it.
d exec "$C1" -- /bin/sh -c 'while true; do echo x >> /tmp/ticks; usleep 50000; done' &
execpid=$!
ticks() { cat "$DOME_ROOT/containers/$C1/upper/tmp/ticks" 2>/dev/null | wc -l; }
# Wait for the ticker to run (slow machines, the VM): progress is measured
# only once there is some.
for _ in $(seq 100); do [ "$(ticks)" -ge 3 ] && break; sleep 0.1; done
[ "$(ticks)" -ge 3 ] && ok "the ticker runs" || not_ok "the ticker runs ($(ticks) ticks)"
expect_status 0 "freeze" -- d freeze "$C1"
a=$(ticks); sleep 1
b=$(ticks)
[ "$a" -ge 3 ] && [ "$a" = "$b" ] && ok "no progress while frozen ($a ticks)" || not_ok "no progress while frozen ($a -> $b)"
[ "$(d info "$C1" --json | json_field state)" = frozen ] && ok "state is frozen" || not_ok "state is frozen"
expect_status 0 "unfreeze" -- d unfreeze "$C1"
for _ in $(seq 50); do [ "$(ticks)" -gt "$b" ] && break; sleep 0.1; done
c=$(ticks)
[ "$c" -gt "$b" ] && ok "progress after unfreeze ($b -> $c)" || not_ok "progress after unfreeze ($b -> $c)"
kill $execpid 2>/dev/null; wait $execpid 2>/dev/null

# Console log and the monitor that outlives the CLI.
d logs "$C1" > "$TEST_ROOT/log"
expect_grep "$TEST_ROOT/log" "container $C1 up" "console log captured"
mon=$(d info "$C1" --json | json_field monitor_pid)
[ -n "$mon" ] && alive "$mon" && ok "monitor outlives the CLI" || not_ok "monitor outlives the CLI"

# Stop leaves no process, cgroup or mount behind.
expect_status 0 "stop" -- d stop "$C1" --timeout 10
alive "$pid" && not_ok "init is gone" || ok "init is gone"
alive "$mon" && not_ok "monitor is gone" || ok "monitor is gone"
left=$(find /sys/fs/cgroup -maxdepth 3 -path "*$DOME_CGROUP_PREFIX/$C1" 2>/dev/null)
[ -z "$left" ] && ok "no cgroup left" || not_ok "no cgroup left: $left"
info=$(d info "$C1" --json)
[ "$(echo "$info" | json_field state)" = stopped ] && [ "$(echo "$info" | json_field exit_code)" = 0 ] && ok "stopped with exit status 0" || { not_ok "stopped with exit status 0"; echo "$info"; }
[ "$(cat "$DOME_ROOT/containers/$C1/upper/etc/proof")" = overlay-proof ] && ok "files survive a stop" || not_ok "files survive a stop"

# Init dying on its own is seen: stopped, with its exit signal.
expect_status 0 "start again" -- d start "$C1"
pid=$(d info "$C1" --json | json_field pid)
kill -9 "$pid"
for i in $(seq 1 50); do [ "$(d info "$C1" --json | json_field state)" = stopped ] && break; sleep 0.1; done
info=$(d info "$C1" --json)
[ "$(echo "$info" | json_field state)" = stopped ] && [ "$(echo "$info" | json_field exit_signal)" = 9 ] && ok "killed init seen as stopped by signal 9" || { not_ok "killed init seen as stopped by signal 9"; echo "$info"; }

# The incident report has the OOM kill, the requested stop and the crash.
d report --since -1h --format json > "$TEST_ROOT/report"
expect_grep "$TEST_ROOT/report" '"oom_kill"' "report shows the OOM kill"
expect_grep "$TEST_ROOT/report" '"crashed"' "report shows the crash"
expect_grep "$TEST_ROOT/report" '"signal": 9' "the crash carries its signal"
[ "$(d info "$C1" --json | json_field oom_kills)" -ge 1 ] && ok "info counts the OOM kills" || not_ok "info counts the OOM kills"

# A container's own poweroff or reboot: its init's reboot(2) is handed to the
# monitor (core/poweroff.h), which ends the run there, as stopped cleanly
# (exit status 0), and says so in the console log; after a reboot it starts
# the container again (a new init, a new monitor; the old one leaves).
for ask in poweroff reboot; do
	expect_status 0 "start for $ask" -- d start "$C1"
	mon=$(d info "$C1" --json | json_field monitor_pid)
	pid=$(d info "$C1" --json | json_field pid)
	expect_status 0 "$ask inside the container" -- d exec "$C1" -- "$ask"
	if [ "$ask" = poweroff ]; then
		for _ in $(seq 100); do [ "$(d info "$C1" --json | json_field state)" = stopped ] && break; sleep 0.1; done
		info=$(d info "$C1" --json)
		[ "$(echo "$info" | json_field state)" = stopped ] && [ "$(echo "$info" | json_field exit_code)" = 0 ] && ok "$ask inside: stopped with exit status 0" || { not_ok "$ask inside: stopped with exit status 0"; echo "$info"; }
	else
		for _ in $(seq 100); do
			info=$(d info "$C1" --json)
			[ "$(echo "$info" | json_field state)" = running ] && [ "$(echo "$info" | json_field pid)" != "$pid" ] && break
			sleep 0.1
		done
		[ "$(echo "$info" | json_field state)" = running ] && [ "$(echo "$info" | json_field pid)" != "$pid" ] && ok "$ask inside: running again with a new init" || { not_ok "$ask inside: running again with a new init"; echo "$info"; }
		d report --since -1h --format json > "$TEST_ROOT/report"
		# the poweroff's run and the reboot's run, each ended cleanly
		n=$(grep -o '"exited"' "$TEST_ROOT/report" | wc -l)
		[ "$n" -ge 2 ] && ok "$ask inside: the run before is reported as exited (cleanly)" || not_ok "$ask inside: the run before is reported as exited (cleanly) ($n exits)"
	fi
	want=$([ "$ask" = poweroff ] && echo "power off; stopping" || echo "reboot; restarting")
	d logs "$C1" > "$TEST_ROOT/log"
	expect_grep "$TEST_ROOT/log" "dome: the container asked to $want" "$ask inside: the console log says so"
	for _ in $(seq 50); do alive "$mon" || break; sleep 0.1; done
	alive "$mon" && not_ok "$ask inside: its monitor is gone" || ok "$ask inside: its monitor is gone"
	[ "$ask" = reboot ] && expect_status 0 "stop after the reboot" -- d stop "$C1"
done

# `dome exec` processes run under init's filter (Seccomp: 2, as init), and a
# forced reboot(2) from one ends the run as init's own does, instead of
# reaching the kernel unseen.
expect_status 0 "start for exec's forced reboot" -- d start "$C1"
[ "$(d exec "$C1" -- grep '^Seccomp:' /proc/1/status | awk '{print $2}')" = 2 ] && ok "init runs under the seccomp filter" || not_ok "init runs under the seccomp filter"
[ "$(d exec "$C1" -- grep '^Seccomp:' /proc/self/status | awk '{print $2}')" = 2 ] && ok "exec'd processes run under the seccomp filter" || not_ok "exec'd processes run under the seccomp filter"
# poweroff -f from an exec stops the run (cleanly); reboot -f restarts it.
d exec "$C1" -- poweroff -f >/dev/null 2>&1
for _ in $(seq 100); do [ "$(d info "$C1" --json | json_field state)" = stopped ] && break; sleep 0.1; done
info=$(d info "$C1" --json)
[ "$(echo "$info" | json_field state)" = stopped ] && [ "$(echo "$info" | json_field exit_code)" = 0 ] && ok "poweroff -f from exec: stopped with exit status 0" || { not_ok "poweroff -f from exec: stopped with exit status 0"; echo "$info"; }
d logs "$C1" > "$TEST_ROOT/log"
expect_grep "$TEST_ROOT/log" "dome: the container asked to power off" "poweroff -f from exec: the console log says so"
expect_status 0 "start for exec's forced reboot" -- d start "$C1"
pid=$(d info "$C1" --json | json_field pid)
d exec "$C1" -- reboot -f >/dev/null 2>&1
for _ in $(seq 100); do
	info=$(d info "$C1" --json)
	[ "$(echo "$info" | json_field state)" = running ] && [ "$(echo "$info" | json_field pid)" != "$pid" ] && break
	sleep 0.1
done
[ "$(echo "$info" | json_field state)" = running ] && [ "$(echo "$info" | json_field pid)" != "$pid" ] && ok "reboot -f from exec: running again with a new init" || { not_ok "reboot -f from exec: running again with a new init"; echo "$info"; }
d logs "$C1" > "$TEST_ROOT/log"
expect_grep "$TEST_ROOT/log" "dome: the container asked to reboot; restarting" "reboot -f from exec: the console log says so"
expect_status 0 "stop after exec's forced reboot" -- d stop --kill "$C1"

# Limits the host cannot give (more CPUs than it has, a cpuset naming absent
# CPUs, io on an absent device or a partition) are valid values the kernel
# refuses at every start: refused for a running container, a warning for a
# stopped one. info shows io limits.
ncpu=$(nproc --all)
disk=${blk:-$(cat "/sys/block/$(ls /sys/block | head -1)/dev")} # a real disk where there is one
part=$(for p in /sys/class/block/*/partition; do [ -e "$p" ] && cat "$(dirname "$p")/dev" && break; done)
expect_status 0 "start for the host checks" -- d start "$C1"
for v in "cpus=$((ncpu + 1))" "cpuset=$((ncpu + 7))" "io=4000:4000:rbps=1M" ${part:+"io=$part:rbps=1M"}; do
	expect_status 2 "running: $v is refused" -- d set "$C1" "$v"
	expect_grep "$TEST_ROOT/err" "this host\|partition" "running: the refusal of $v names what the host lacks"
done
[ "$(d info "$C1" --json | json_field cpuset)" = null ] && ok "the refused values were not stored" || not_ok "the refused values were not stored"
expect_status 0 "running: io on a disk the host has" -- d set "$C1" "io=$disk:rbps=1M,wiops=100"
d info "$C1" > "$TEST_ROOT/info"
expect_grep "$TEST_ROOT/info" "io $disk  *rbps 1M/s, wbps -, riops -, wiops 100" "info shows the io limit"
expect_status 0 "remove it" -- d set "$C1" "io=$disk:max"
expect_status 0 "stop for the host checks" -- d stop --kill "$C1"
for v in "cpus=$((ncpu + 1))" "cpuset=$((ncpu + 7))" "io=4000:4000:rbps=1M"; do
	expect_status 0 "stopped: $v is stored" -- d set "$C1" "$v"
	expect_grep "$TEST_ROOT/err" "^dome: warning: .*will not start" "stopped: $v gets a warning"
done
expect_status 0 "back to limits the host has" -- d set "$C1" cpus=max cpuset=all io=4000:4000:max
[ -z "$(grep warning "$TEST_ROOT/err")" ] && ok "no warning once they fit" || not_ok "no warning once they fit"

# Failed starts leave nothing behind.
expect_status 1 "create from a missing image fails" -- d create "x$C1" --image nosuch
[ -z "$(d ls --json | grep "x$C1")" ] && ok "no row for the failed create" || not_ok "no row for the failed create"
expect_status 0 "set an impossible cpuset" -- d set "$C1" cpuset=1000
expect_status 1 "start with an impossible limit fails" -- d start "$C1"
expect_grep "$TEST_ROOT/err" "cpuset" "the failure names the refused limit"
[ "$(d info "$C1" --json | json_field state)" = stopped ] && ok "still stopped after the failed start" || not_ok "still stopped after the failed start"
left=$(find /sys/fs/cgroup -maxdepth 3 -path "*$DOME_CGROUP_PREFIX/$C1" 2>/dev/null)
[ -z "$left" ] && ok "failed start left no cgroup" || not_ok "failed start left no cgroup: $left"
pgrep -f "__monitor $DOME_ROOT " >/dev/null && not_ok "failed start left no monitor" || ok "failed start left no monitor"
# The limit is refused while init is already cloned and mounting its root (a
# copy of the CLI, with its command line): it must be gone too.
pgrep -f "start $C1\$" >/dev/null && not_ok "failed start left no half-made init" || ok "failed start left no half-made init"

# no_new_privs, per container: off by default, on for init and exec when asked.
expect_status 0 "a container with no_new_privs" -- d create "p$C1" --net none --no-new-privs --start
[ "$(d exec "p$C1" -- grep NoNewPrivs /proc/1/status | awk '{print $2}')" = 1 ] && ok "its init has no_new_privs" || not_ok "its init has no_new_privs"
[ "$(d exec "p$C1" -- grep NoNewPrivs /proc/self/status | awk '{print $2}')" = 1 ] && ok "exec'd processes have no_new_privs" || not_ok "exec'd processes have no_new_privs"
d info "p$C1" --json | grep -q '"no_new_privs": true' && ok "info shows no_new_privs" || not_ok "info shows no_new_privs"
expect_status 0 "destroy it" -- d destroy --force "p$C1"

expect_status 1 "exec in a stopped container fails" -- d exec "$C1" -- true
expect_status 0 "reset the cpuset" -- d set "$C1" cpuset=all
expect_status 0 "start for exec checks" -- d start "$C1"
expect_status 1 "exec of a missing command fails as dome's error" -- d exec "$C1" -- nosuch
expect_grep "$TEST_ROOT/err" "cannot run nosuch" "the error names the command"
expect_status 3 "a command's own exit status passes through" -- d exec "$C1" -- sh -c 'exit 3'
expect_status 1 "destroy refuses a running container" -- d destroy "$C1"
expect_status 0 "destroy --force" -- d destroy --force "$C1"
[ ! -e "$DOME_ROOT/containers/$C1" ] && ok "destroy removed the files" || not_ok "destroy removed the files"
finish
