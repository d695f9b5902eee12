#!/bin/bash
# Container hardening, proved from inside a running container (dome exec) and
# from the host: host processes invisible, no mount, no module loading, masked
# and read-only /proc paths, /sys read-only, only the standard /dev nodes, no
# host descriptor leaking into init, and the capability bounding set exactly
# the kept list in core/runtime.c. Own state root and cgroup prefix.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-hd-$$"
d() { "$DOME" "$@"; }
C="hd$$"
cleanup() {
	d destroy --force "$C" >/dev/null 2>&1
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
in_c() { d exec "$C" -- "$@"; }
# refused_inside DESC CMD...: the command fails inside the container.
refused_inside() {
	local desc=$1; shift
	if in_c "$@" >"$TEST_ROOT/out" 2>&1; then not_ok "$desc"; sed 's/^/#   /' "$TEST_ROOT/out"; else ok "$desc"; fi
}

expect_status 0 "create and start $C" -- d create "$C" --net none --start
pid=$(d info "$C" --json | jq -r .pid)

# Host processes: only the container's own are visible.
n=$(in_c /bin/sh -c 'ls -d /proc/[0-9]* | wc -l')
[ "$n" -le 4 ] && ok "only the container's processes are visible ($n)" || not_ok "only the container's processes are visible ($n)"
in_c /bin/cat /proc/1/cmdline | tr '\0' ' ' | grep -q init && ok "pid 1 inside is the container's init" || not_ok "pid 1 inside is the container's init"
sleep 300 & hostpid=$!
n=$(in_c /bin/sh -c 'cat /proc/[0-9]*/comm' | grep -cx sleep)
[ "$n" = 0 ] && ok "a host process (sleep) is invisible" || not_ok "a host process (sleep) is invisible ($n seen)"
kill $hostpid; wait $hostpid 2>/dev/null

# Mounting, module loading and raw kernel interfaces are refused.
refused_inside "cannot mount a tmpfs" /bin/mount -t tmpfs none /mnt
refused_inside "cannot remount / read-write elsewhere" /bin/mount -o remount,rw /
refused_inside "cannot mount proc again" /bin/mount -t proc proc /mnt
in_c /bin/sh -c 'head -c 65536 /dev/urandom > /tmp/x.ko; insmod /tmp/x.ko' >"$TEST_ROOT/out" 2>&1
if grep -qi "not permitted" "$TEST_ROOT/out"; then
	ok "cannot load a module (EPERM: refused before the module is looked at)"
elif [ ! -e /proc/modules ] && ! grep -q 'insert.*x.ko.*: *$' "$TEST_ROOT/out" && grep -qi "can't insert" "$TEST_ROOT/out"; then
	# A kernel built without module support refuses everyone; the
	# capability check below (no CAP_SYS_MODULE) is the proof there.
	ok "cannot load a module (this kernel has no module support)"
else
	not_ok "cannot load a module"; sed 's/^/#   /' "$TEST_ROOT/out"
fi
refused_inside "cannot write /proc/sysrq-trigger" /bin/sh -c 'echo h > /proc/sysrq-trigger'
refused_inside "cannot write /proc/sys (kernel.hostname)" /bin/sh -c 'echo evil > /proc/sys/kernel/hostname'
refused_inside "cannot write /proc/sys (vm.drop_caches)" /bin/sh -c 'echo 3 > /proc/sys/vm/drop_caches'
for f in kcore keys timer_list; do
	[ -e "/proc/$f" ] || continue
	sz=$(in_c /bin/sh -c "head -c 64 /proc/$f 2>/dev/null | wc -c")
	[ "$sz" = 0 ] && ok "/proc/$f is masked (reads nothing)" || not_ok "/proc/$f is masked ($sz bytes)"
done

# /sys is read-only.
in_c /bin/grep ' /sys ' /proc/mounts | grep -q ' ro[, ]' && ok "/sys is mounted read-only" || not_ok "/sys is mounted read-only"
refused_inside "cannot write under /sys" /bin/sh -c 'echo 1 > /sys/kernel/mm/ksm/run'
refused_inside "cannot create a file in /sys" /bin/touch /sys/x

# /dev: the standard nodes only; no host disk, memory or port device.
devs=$(in_c /bin/ls -A /dev | sort | tr '\n' ' ')
want="console fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
[ "$devs" = "$want" ] && ok "/dev holds only the standard entries" || not_ok "/dev holds only the standard entries (got: $devs)"
refused_inside "cannot create a device node" /bin/mknod /tmp/sda b 8 0

# No host descriptor leaks into init: 0, 1 and 2 only.
fds=$(ls /proc/"$pid"/fd | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] && ok "init has only fds 0 1 2" || not_ok "init has only fds 0 1 2 (has $fds)"
# exec: a descriptor the caller left open (here 7, not close-on-exec) stays out.
efds=$(in_c /bin/sh -c 'ls -l /proc/$$/fd' 7<"$TEST_ROOT/out" | awk 'NF > 9 {print $9}' | sort -n | tr '\n' ' ')
case "$efds" in
"0 1 2 "|"0 1 2 10 ") ok "an exec'd shell has only stdio (and busybox sh's own fd 10): ${efds% }";;
*) not_ok "an exec'd shell has only stdio ($efds)";;
esac

# The bounding set is exactly the kept list of core/runtime.c.
hdr=/usr/include/linux/capability.h
mask=0
for cap in $(sed -n '/kept_caps\[\] = {/,/};/p' "$DOME_SRCDIR/core/runtime.c" | grep -o 'CAP_[A-Z_]*'); do
	bit=$(awk -v c="$cap" '$1 == "#define" && $2 == c {print $3}' "$hdr")
	[ -n "$bit" ] || { not_ok "capability $cap is known"; continue; }
	mask=$(( mask | (1 << bit) ))
done
want=$(printf '%016x' "$mask")
for who in init exec; do
	if [ $who = init ]; then got=$(awk '/^CapBnd/ {print $2}' /proc/"$pid"/status)
	else got=$(in_c /bin/grep CapBnd /proc/self/status | awk '{print $2}'); fi
	[ "$got" = "$want" ] && ok "$who's bounding set is the documented list ($got)" || not_ok "$who's bounding set is the documented list (got $got, want $want)"
done
[ "$mask" != 0 ] && ok "the kept list was read from core/runtime.c" || not_ok "the kept list was read from core/runtime.c"
for cap in CAP_SYS_MODULE CAP_SYS_ADMIN CAP_SYS_RAWIO CAP_MKNOD CAP_NET_ADMIN CAP_SYS_PTRACE CAP_SYS_BOOT; do
	bit=$(awk -v c="$cap" '$1 == "#define" && $2 == c {print $3}' "$hdr")
	[ $(( 0x$got >> bit & 1 )) = 0 ] && ok "$cap is not in the bounding set" || not_ok "$cap is not in the bounding set"
done
expect_status 0 "stop" -- d stop "$C" --timeout 5
finish
