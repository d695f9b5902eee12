#!/bin/bash
# System containers: Debian bookworm with systemd as init, on the real
# kernel (hybrid here, pure cgroup v2 in the VM). A user's checks: it boots
# to `running` with no failed unit, journald has the boot, a service unit
# the test writes serves the host on the container's bridged address, limits
# show in the container's own cgroup and cannot be raised from inside, a
# terminal exec gets a pty of the container's devpts, `dome stop` ends it
# cleanly (no kill), `reboot` inside restarts it, commit keeps the init, and
# nothing is left behind.
#
# The image is `dome image debian`'s own output: built once from the
# configured mirror (DOME_TEST_DEBIAN_MIRROR, else Debian's) and exported to
# a tarball in DOME_TEST_CACHE (/var/cache/dome, outside the source tree),
# which later runs import. An unreachable mirror is a failure, not a skip.
. "${DOME_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${DOME_SRCDIR:-$(dirname "$0")/../..}/tests/integration/leaks.sh"
. "${DOME_SRCDIR:-$(dirname "$0")/../..}/tests/console/tmux.sh"
command -v tmux >/dev/null || { echo "# needs tmux (scripts/packages)"; exit 99; }
SOCK="dome-sd-$$"
setup_instance 248
export DOME_EXE="$DOME"
C="sd$$"
cleanup_systemd() {
	T kill-server 2>/dev/null
	cleanup_instance
	rm -rf "${BUILD_ROOT:-}"
}
trap cleanup_systemd EXIT

CACHE_DIR=${DOME_TEST_CACHE:-/var/cache/dome}
SUITE=bookworm
CACHE="$CACHE_DIR/test-systemd-$SUITE-busybox.tar"
MIRROR=${DOME_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# ---- the cached image: dome image debian's output, built once ----
# Built in a state root of its own under a lock, so that two runs at once
# build it once; the tarball appears only when complete (export renames).
build_cache() {
	BUILD_ROOT=$(mktemp -d "$CACHE_DIR/.build-XXXXXX")
	printf '[image]\ndebian_mirror = %s\n' "$MIRROR" > "$BUILD_ROOT/dome.conf"
	echo "# building the cached image from $MIRROR (once; minutes)"
	DOME_ROOT="$BUILD_ROOT/state" "$DOME" --config "$BUILD_ROOT/dome.conf" \
		image debian deb --suite "$SUITE" --include busybox >"$BUILD_ROOT/out" 2>&1 &&
	DOME_ROOT="$BUILD_ROOT/state" "$DOME" image export deb "$CACHE" >>"$BUILD_ROOT/out" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$BUILD_ROOT/out"
	rm -rf "$BUILD_ROOT"
	return $rc
}
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.test-systemd.lock"
flock 9
if [ ! -s "$CACHE" ] && ! build_cache; then
	not_ok "dome image debian builds the test image from $MIRROR (needs the mirror)"
	finish
	exit 1
fi
flock -u 9
ok "the cached image of dome image debian is there ($CACHE)"

in_c() { d exec "$C" -- "$@"; }
# expect_out PATTERN DESCRIPTION -- CMD...: CMD's output matches (a file, not
# <(...): the VM's /dev has no /dev/fd).
expect_out() {
	local pattern=$1 desc=$2
	shift 3
	"$@" >"$TEST_ROOT/o" 2>&1
	expect_grep "$TEST_ROOT/o" "$pattern" "$desc"
}
image_init() { d image ls --json | jq -r ".[] | select(.name == \"$1\") | \"\\(.init_cmd) \\(.stop_signal)\""; }
run_state() { d info "$C" --json | jq -r '"\(.state) \(.exit_code) \(.exit_signal)"'; }

expect_status 0 "import the systemd image" -- d image import deb "$CACHE"
expect_out "^/sbin/init $(( $(kill -l RTMIN) + 3 ))\$" "import detects systemd: init /sbin/init, stop signal SIGRTMIN+3" -- image_init deb

# systemctl is-system-running until the boot is done (running, or degraded
# with a failed unit): polled, as --wait needs systemd's bus, which is not
# there at the very start; bounded so a hung boot fails the test.
boot_state() {
	local s=""
	for _ in $(seq 600); do
		s=$("$DOME" exec "$C" -- systemctl is-system-running 2>/dev/null)
		case $s in running|degraded|maintenance|stopping) break ;; esac
		sleep 0.2
	done
	echo "$s"
}

expect_status 0 "create with limits" -- d create "$C" --image deb --memory 256M --pids 300
expect_status 0 "start" -- d start "$C"
state=$(boot_state)
[ "$state" = running ] && ok "systemd reaches running" || not_ok "systemd reaches running (it is '$state')"
failed=$(in_c systemctl list-units --failed --no-legend --plain)
[ -z "$failed" ] && ok "no failed unit" || { not_ok "no failed unit"; echo "$failed" | sed 's/^/#   /'; }
in_c journalctl -b --no-pager >"$TEST_ROOT/journal" 2>&1
expect_grep "$TEST_ROOT/journal" "Startup finished" "journalctl -b inside has the boot"
expect_grep "$TEST_ROOT/journal" "Reached target multi-user.target" "journalctl -b has the boot's targets"
for _ in $(seq 100); do grep -q "login:" "$DOME_ROOT/containers/$C/console.log" && break; sleep 0.1; done
expect_grep "$DOME_ROOT/containers/$C/console.log" "login:" "the console log has the getty's prompt"
in_c cat /run/systemd/container >"$TEST_ROOT/mgr" 2>&1
expect_grep "$TEST_ROOT/mgr" "^dome$" "/run/systemd/container names dome"
in_c cat /etc/machine-id >"$TEST_ROOT/id" 2>&1
expect_grep "$TEST_ROOT/id" "^[0-9a-f]\{32\}$" "the container has a machine id"
grep -qxF "$(cat "$TEST_ROOT/id")" "$DOME_ROOT/images/deb/etc/machine-id" &&
	not_ok "its machine id is its own (it is the image's)" || ok "its machine id is its own, not the image's"

# ---- a service the test writes, reached from the host ----
token="dome-systemd-$$"
printf '[Unit]\nDescription=test web\n[Service]\nExecStart=/bin/busybox httpd -f -p 8080 -h /srv/www\n[Install]\nWantedBy=multi-user.target\n' |
	in_c tee /etc/systemd/system/web.service >/dev/null
in_c mkdir -p /srv/www
echo "$token" | in_c tee /srv/www/index.html >/dev/null
expect_status 0 "enable --now a service unit" -- in_c systemctl enable --now web.service
ip=$(json_get "$C" ipv4)
got=""
for _ in $(seq 50); do
	got=$(exec 3<>"/dev/tcp/$ip/8080" && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null
	case $got in *"$token"*) break ;; esac
	sleep 0.1
done
case $got in *"$token"*) ok "the service answers the host on $ip:8080" ;;
	*) not_ok "the service answers the host on $ip:8080"; in_c systemctl status web.service | sed 's/^/#   /' ;; esac
expect_out "^active$" "systemctl is-active web.service" -- in_c systemctl is-active web.service

# ---- limits: in the container's own cgroup, and not its to raise ----
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	mem=/sys/fs/cgroup/memory.max pids=/sys/fs/cgroup/pids.max
else
	mem=/sys/fs/cgroup/memory/memory.limit_in_bytes pids=/sys/fs/cgroup/pids/pids.max
fi
expect_out "^268435456$" "the memory limit shows in the container's cgroup ($mem)" -- in_c cat "$mem"
expect_out "^300$" "the pids limit shows in the container's cgroup ($pids)" -- in_c cat "$pids"
in_c sh -c "echo 1073741824 > $mem" 2>/dev/null && not_ok "the container cannot raise its memory limit" ||
	ok "the container cannot raise its memory limit"
expect_out "^268435456$" "... which is unchanged" -- in_c cat "$mem"
# read-only by a mount of dome's, not only by the host's nsdelegate (v2: the
# file bound over itself; hybrid: the whole memory hierarchy)
ro_at=$([ -f /sys/fs/cgroup/cgroup.controllers ] && echo /sys/fs/cgroup/memory.max || echo /sys/fs/cgroup/memory)
in_c cat /proc/self/mountinfo | awk -v m="$ro_at" '$5 == m { print $6 }' >"$TEST_ROOT/ro"
expect_grep "$TEST_ROOT/ro" "^ro\(,\|$\)" "the memory limit is on a read-only mount inside ($ro_at)"
expect_out "init.scope" "systemd runs in its own init.scope (its cgroup is delegated)" -- in_c cat /proc/1/cgroup

# ---- freeze: the whole tree systemd made stops, and goes on ----
expect_status 0 "freeze" -- d freeze "$C"
expect_out "^frozen" "frozen" -- json_get "$C" state
expect_status 0 "unfreeze" -- d unfreeze "$C"
[ "$(boot_state)" = running ] && ok "running after the thaw" || not_ok "running after the thaw"

# ---- a live limit change reaches the container's own cgroup; it runs on ----
expect_status 0 "dome set memory=320M, live" -- d set "$C" memory=320M
expect_out "^335544320$" "the new memory limit shows in the container's cgroup" -- in_c cat "$mem"
[ "$(boot_state)" = running ] && ok "running after the live set" || not_ok "running after the live set"

# ---- its processes as systemd's tree, with their units: dome ps and the
# console's Processes tab ----
d ps "$C" --json >"$TEST_ROOT/ps.json" 2>&1
init_pid=$(json_get "$C" pid)
jq -e --argjson p "$init_pid" '.[0].pid == $p and .[0].depth == 0 and .[0].cgroup == "/init.scope"
	and (.[0].command | test("^/sbin/init"))' "$TEST_ROOT/ps.json" >/dev/null &&
	ok "dome ps: init first, in /init.scope" || { not_ok "dome ps: init first, in /init.scope"; sed 's/^/#   /' "$TEST_ROOT/ps.json"; }
jq -e --argjson p "$init_pid" '[.[] | select(.cgroup == "/system.slice/systemd-journald.service")][0]
	| .ppid == $p and .depth == 1 and (.command | test("systemd-journald"))' "$TEST_ROOT/ps.json" >/dev/null &&
	ok "dome ps: journald under init, in its unit's cgroup" || not_ok "dome ps: journald under init, in its unit's cgroup"
jq -e --argjson p "$init_pid" '[.[] | select(.cgroup == "/system.slice/web.service")][0]
	| .ppid == $p and (.command | test("httpd -f -p 8080"))' "$TEST_ROOT/ps.json" >/dev/null &&
	ok "dome ps: the test's service in web.service" || not_ok "dome ps: the test's service in web.service"
d ps "$C" >"$TEST_ROOT/ps.txt" 2>&1
expect_grep "$TEST_ROOT/ps.txt" '^ *[0-9]\+ \+[0-9]\+  /system.slice/systemd-journald.service  \\_ /lib/systemd/systemd-journald' \
	"dome ps draws journald as init's child"
tmux_session main 160 45 env TERM=xterm-256color LANG=C.UTF-8 DOME_ROOT="$DOME_ROOT" \
	DOME_CONFIG="$DOME_CONFIG" DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" "$DOME"
check "the console lists the system container running" wait_for main "^$C .*running" 20
T send-keys -t main Enter
T send-keys -t main 4
check "the Processes tab shows init in /init.scope" wait_for main "^ *$init_pid  /init.scope  */sbin/init"
check "the Processes tab shows journald in its unit, under init" \
	wait_for main "/system.slice/systemd-journald.service  *\\\\_ /lib/systemd/systemd-journald"
check "the Processes tab shows the test's service in web.service" \
	wait_for main "/system.slice/web.service  *\\\\_ /bin/busybox httpd"
T send-keys -t main Escape
check "q quits the console" quit main

# ---- a terminal exec is on the container's own devpts ----
TERM=xterm-256color script -qec "$DOME exec $C -- sh -c 'tty; echo \$TERM'" /dev/null >"$TEST_ROOT/tty" 2>&1
expect_grep "$TEST_ROOT/tty" "/dev/pts/[0-9]" "exec on a terminal: tty inside names its own /dev/pts"
expect_grep "$TEST_ROOT/tty" "xterm-256color" "exec on a terminal passes TERM"

# ---- stop: the stop signal, a clean shutdown, no kill ----
expect_status 0 "dome stop" -- d stop "$C" --timeout 60
expect_out "^stopped 0 null$" "stopped with exit 0, not killed (within the stop timeout)" -- run_state
expect_grep "$DOME_ROOT/containers/$C/console.log" "Reached target.*System Halt\|Halting system" "systemd shut down on its stop signal"
expect_no_leaks "$C" "after stop"

# ---- reboot inside: the container starts again ----
expect_status 0 "start again" -- d start "$C"
[ "$(boot_state)" = running ] && ok "running again" || not_ok "running again"
pid1=$(json_get "$C" pid)
in_c systemctl reboot >/dev/null 2>&1
pid2=$pid1
for _ in $(seq 200); do
	pid2=$(json_get "$C" pid)
	[ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ] && [ "$pid2" != null ] && break
	sleep 0.1
done
[ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ] && ok "reboot inside restarts it (init $pid1 -> $pid2)" ||
	not_ok "reboot inside restarts it (init $pid1 -> $pid2)"
[ "$(boot_state)" = running ] && ok "running after the reboot" || not_ok "running after the reboot"
expect_grep "$DOME_ROOT/containers/$C/console.log" "asked to reboot; restarting" "the console log says it restarted"
expect_out "^enabled$" "the service is still enabled after the reboot" -- in_c systemctl is-enabled web.service

# ---- commit (of the running container) keeps the init and stop signal,
# not /run or /tmp ----
in_c sh -c "echo junk > /tmp/junk-$$"
expect_status 0 "commit" -- d commit "$C" deb2
expect_out "^/sbin/init $(( $(kill -l RTMIN) + 3 ))\$" "commit keeps the init and stop signal" -- image_init deb2
[ -e "$DOME_ROOT/images/deb2/tmp/junk-$$" ] && not_ok "commit leaves /tmp's contents out" || ok "commit leaves /tmp's contents out"
[ -e "$DOME_ROOT/images/deb2/etc/systemd/system/web.service" ] && ok "commit keeps the unit" || not_ok "commit keeps the unit"

# ---- poweroff inside stops it ----
in_c systemctl poweroff >/dev/null 2>&1
for _ in $(seq 200); do [ "$(json_get "$C" state)" = stopped ] && break; sleep 0.1; done
expect_out "^stopped 0 null$" "poweroff inside stops it, cleanly" -- run_state
expect_no_leaks "$C" "after poweroff"

# ---- a clone boots with a machine id of its own ----
expect_status 0 "clone" -- d clone "$C" "${C}c"
expect_status 0 "start the clone" -- d start "${C}c"
s=""; for _ in $(seq 600); do s=$(d exec "${C}c" -- systemctl is-system-running 2>/dev/null); [ "$s" = running ] && break; sleep 0.2; done
[ "$s" = running ] && ok "the clone reaches running" || not_ok "the clone reaches running ($s)"
cid=$(d exec "${C}c" -- cat /etc/machine-id)
[ -n "$cid" ] && [ "$cid" != "$(cat "$TEST_ROOT/id")" ] && ok "the clone's machine id is its own" ||
	not_ok "the clone's machine id is its own ($cid)"

expect_status 0 "destroy --force a running system container" -- d destroy --force "${C}c"
expect_no_leaks "${C}c" "after destroying the clone"

# ---- backup and restore: the restored copy boots, its service enabled ----
expect_status 0 "back up the system container" -- d backup "$C" --to "$TEST_ROOT/bk"
bk=$(ls "$TEST_ROOT"/bk/* 2>/dev/null | head -1)
expect_status 0 "restore it as ${C}r" -- d restore "$bk" --as "${C}r"
expect_status 0 "start the restored copy" -- d start "${C}r"
s=""; for _ in $(seq 600); do s=$(d exec "${C}r" -- systemctl is-system-running 2>/dev/null); [ "$s" = running ] && break; sleep 0.2; done
[ "$s" = running ] && ok "the restored copy reaches running" || not_ok "the restored copy reaches running ($s)"
expect_out "^active$" "the restored copy runs the test's service" -- d exec "${C}r" -- systemctl is-active web.service
expect_status 0 "destroy the restored copy" -- d destroy --force "${C}r"
expect_no_leaks "${C}r" "after destroying the restored copy"
expect_status 0 "destroy the stopped one" -- d destroy "$C"
expect_no_leaks "$C" "after destroy"
finish
