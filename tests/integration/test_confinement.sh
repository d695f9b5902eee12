#!/bin/bash
# What a container or an image holds stays confined: as a real host user
# other than root (nobody, through setpriv) nothing under the state root's
# containers/ and images/ can be read or run, setuid binaries included;
# dome doctor repairs and dome check reports the modes; device nodes in an
# imported archive are left out, with a message. Links in a container's
# files are followed inside its root only: an `etc` pointing at a host
# directory gets nothing written there at start, an image's `etc -> /etc`
# is not the host's passwd. Links whose target climbs out of the root are
# data: backed up, restored and committed as they are. A restore keeps
# every setting and refuses less isolation (net_mode=host) unless allowed.
# Own state root, cgroup prefix and names; cleanup also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 99; }
command -v setpriv >/dev/null || { echo "# needs setpriv (util-linux)"; exit 99; }
id nobody >/dev/null 2>&1 || { echo "# needs the user nobody"; exit 99; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-cf-$$"
d() { "$DOME" "$@"; }
C1="cf$$"
C2="cfl$$"
C3="cfh$$"
HOSTDIR="$TEST_ROOT/hostdir"
BK="$TEST_ROOT/backups"

cleanup() {
	destroy_test_containers
	remove_test_cgroups
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
# The state root sits where any user can reach it, as /var/lib/dome does
# (mktemp made its parent 0700, which would hide everything by itself).
chmod 0711 "$TEST_ROOT"
mkdir -p "$HOSTDIR" "$BK"
# setpriv keeps its capabilities until its own execve (so the exec it does
# would look the path up as root): env, run as nobody, does the exec.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/env "$@"; }

# ---------------------------------------------------- host users and files
expect_status 0 "create a container" -- d create "$C1" --net none --memory 64M
upper="$DOME_ROOT/containers/$C1/upper"
image="$DOME_ROOT/images/busybox"
# A setuid-root program in the container's files (as root inside would make one).
cp /usr/bin/id "$upper/suid-id" && chmod 4755 "$upper/suid-id"
echo secret > "$upper/secret" && chmod 0644 "$upper/secret"
cp /usr/bin/id "$image/suid-id" && chmod 4755 "$image/suid-id"
as_nobody /usr/bin/true && ok "nobody can run programs at all" || not_ok "nobody can run programs at all"
out=$(as_nobody "$upper/suid-id" -u 2>&1)
[ "$out" != 0 ] && ! as_nobody test -x "$upper/suid-id" && ok "nobody cannot run a setuid binary in a container's upper dir" \
	|| not_ok "nobody cannot run a setuid binary in a container's upper dir (euid $out)"
! as_nobody cat "$upper/secret" >/dev/null 2>&1 && ok "nobody cannot read a container's files" \
	|| not_ok "nobody cannot read a container's files"
out=$(as_nobody "$image/suid-id" -u 2>&1)
[ "$out" != 0 ] && ! as_nobody cat "$image/bin/busybox" >/dev/null 2>&1 \
	&& ok "nobody cannot run a setuid binary in an image nor read it" \
	|| not_ok "nobody cannot run a setuid binary in an image nor read it (euid $out)"
rm -f "$image/suid-id"
[ "$(stat -c %a "$DOME_ROOT/containers")" = 700 ] && [ "$(stat -c %a "$DOME_ROOT/images")" = 700 ] \
	&& ok "containers/ and images/ are made 0700" || not_ok "containers/ and images/ are made 0700"
[ "$(stat -c %a "$upper")" = 755 ] && ok "the upper dir keeps the mode the container sees" \
	|| not_ok "the upper dir keeps the mode the container sees ($(stat -c %a "$upper"))"
expect_status 0 "the container starts" -- d start "$C1"
[ "$(d exec "$C1" -- /bin/cat /secret)" = secret ] && ok "  ... and reads its own files" \
	|| not_ok "  ... and reads its own files"
[ "$(d exec "$C1" -- /bin/stat -c %a /)" = 755 ] && ok "  ... its / is 0755 inside" \
	|| not_ok "  ... its / is 0755 inside"
# A device node already in the layers (an image made before nodes were
# left out) opens nothing: the root is mounted nodev; /dev is the container's.
mknod -m 0666 "$upper/zero-node" c 1 5
expect_status 0 "restart it with a device node in its files" -- d restart "$C1"
d exec "$C1" -- /bin/sh -c 'head -c 1 /zero-node >/dev/null' 2>/dev/null \
	&& not_ok "  ... the node in its root cannot be opened" || ok "  ... the node in its root cannot be opened"
d exec "$C1" -- /bin/sh -c 'head -c 1 /dev/zero >/dev/null' && ok "  ... its own /dev works" \
	|| not_ok "  ... its own /dev works"
rm -f "$upper/zero-node"
expect_status 0 "stop it" -- d stop --kill "$C1"

expect_status 0 "dome check runs" -- d check
expect_grep "$TEST_ROOT/out" "permissions *ok .*$DOME_ROOT is 0711" "dome check states the state root's permissions"
chmod 0755 "$DOME_ROOT/containers" "$DOME_ROOT/images"
d check >"$TEST_ROOT/out" 2>&1
expect_grep "$TEST_ROOT/out" "permissions *missing .*containers is 0755" "dome check reports containers/ reachable by others"
expect_status 0 "doctor --dry-run" -- d doctor --dry-run --json
jq -e '[.items[] | select(.kind == "perms")] | length == 2' "$TEST_ROOT/out" >/dev/null \
	&& ok "  ... finds containers/ and images/" || { not_ok "  ... finds containers/ and images/"; cat "$TEST_ROOT/out"; }
[ "$(stat -c %a "$DOME_ROOT/containers")" = 755 ] && ok "  ... and changes nothing" || not_ok "  ... and changes nothing"
expect_status 0 "doctor repairs" -- d doctor --json
jq -e '[.items[] | select(.kind == "perms" and .outcome == "repaired")] | length == 2' "$TEST_ROOT/out" >/dev/null \
	&& ok "  ... both" || { not_ok "  ... both"; cat "$TEST_ROOT/out"; }
[ "$(stat -c %a "$DOME_ROOT/containers")" = 700 ] && [ "$(stat -c %a "$DOME_ROOT/images")" = 700 ] \
	&& ok "  ... to 0700" || not_ok "  ... to 0700"
d history --action doctor --json | jq -e 'map(select(.params.repair == "perms")) | length == 2' >/dev/null \
	&& ok "  ... audited" || not_ok "  ... audited"

# An archive with a device node and a setuid file: the node is left out, said so.
mk="$TEST_ROOT/mk"
mkdir -p "$mk/dev" "$mk/bin" && mknod "$mk/dev/sda" b 8 0 && mknod "$mk/dev/mem" c 1 1
cp /usr/bin/id "$mk/bin/suid-id" && chmod 4755 "$mk/bin/suid-id"
tar -C "$mk" -cf "$TEST_ROOT/dev.tar" .
expect_status 0 "import an archive with device nodes" -- d image import "cfdev$$" "$TEST_ROOT/dev.tar"
expect_grep "$TEST_ROOT/out" "left out 2 device nodes" "  ... says it left them out"
[ ! -e "$DOME_ROOT/images/cfdev$$/dev/sda" ] && [ ! -e "$DOME_ROOT/images/cfdev$$/dev/mem" ] \
	&& ok "  ... and they are not in the image" || not_ok "  ... and they are not in the image"
out=$(as_nobody "$DOME_ROOT/images/cfdev$$/bin/suid-id" -u 2>&1)
[ "$out" != 0 ] && ok "  ... its setuid file cannot be run by nobody" || not_ok "  ... its setuid file cannot be run by nobody"

# ----------------------------------------------- links followed in the root
# The container's etc becomes a link to a host directory (a restored backup
# or an image can hold one): a start must write nothing there.
rm -rf "$upper/etc" && ln -s "$HOSTDIR" "$upper/etc"
d start "$C1" >/dev/null 2>&1
d stop --kill "$C1" >/dev/null 2>&1
[ -z "$(ls -A "$HOSTDIR")" ] && ok "a start writes nothing through etc -> a host directory" \
	|| not_ok "a start writes nothing through etc -> a host directory (found: $(ls -A "$HOSTDIR" | tr '\n' ' '))"
ln -s "$HOSTDIR" "$TEST_ROOT/dev-link" # an image's /dev leading out
rm -rf "$upper/dev" && ln -s "$HOSTDIR" "$upper/dev"
d start "$C1" >/dev/null 2>&1
d stop --kill "$C1" >/dev/null 2>&1
[ -z "$(ls -A "$HOSTDIR")" ] && ok "nor through dev -> a host directory" || not_ok "nor through dev -> a host directory"
rm -f "$upper/etc" "$upper/dev"
# An image whose etc is a link to /etc: its root shell is its own business,
# never read from the host's /etc/passwd.
mkdir -p "$mk/etcimg" && ln -s /etc "$mk/etcimg/etc"
tar -C "$mk/etcimg" -cf "$TEST_ROOT/etc.tar" .
expect_status 0 "import an image whose etc is a link to /etc" -- d image import "cfetc$$" "$TEST_ROOT/etc.tar"
shell=$(d image ls --json | jq -r --arg n "cfetc$$" '.[] | select(.name == $n) | .shell')
[ -z "$shell" ] || [ "$shell" = null ] && ok "  ... its shell is not read from the host's passwd" \
	|| not_ok "  ... its shell is not read from the host's passwd (got $shell)"

# ------------------------------------------ links that climb out are data
expect_status 0 "start the container again" -- d start "$C1"
d exec "$C1" -- /bin/sh -c 'ln -s ../../../../etc/shadow /root/x; ln -s /etc/passwd /root/abs; echo mine > /root/file'
expect_status 0 "back it up with a link climbing out of its root" -- d backup "$C1" --to "$BK"
bkfile=$(sed -n 's/^backed up .* to //p' "$TEST_ROOT/out")
expect_status 0 "commit it" -- d commit "$C1" "cfimg$$"
[ "$(readlink "$DOME_ROOT/images/cfimg$$/root/x")" = ../../../../etc/shadow ] \
	&& ok "  ... the image holds the link as it was" || not_ok "  ... the image holds the link as it was"
expect_status 0 "destroy it" -- d destroy --force "$C1"
expect_status 0 "restore it" -- d restore "$bkfile"
[ "$(readlink "$DOME_ROOT/containers/$C1/upper/root/x")" = ../../../../etc/shadow ] && \
	[ "$(readlink "$DOME_ROOT/containers/$C1/upper/root/abs")" = /etc/passwd ] \
	&& ok "  ... with its links as they were" || not_ok "  ... with its links as they were"
expect_status 0 "the restored container starts" -- d start "$C1"
[ "$(d exec "$C1" -- /bin/cat /root/file)" = mine ] && ok "  ... with its files" || not_ok "  ... with its files"
[ "$(d exec "$C1" -- /bin/readlink /root/x)" = ../../../../etc/shadow ] && ok "  ... and the link inside" \
	|| not_ok "  ... and the link inside"
d stop --kill "$C1" >/dev/null 2>&1
expect_status 0 "clone it" -- d clone "$C1" "${C1}c"
[ "$(readlink "$DOME_ROOT/containers/${C1}c/upper/root/x")" = ../../../../etc/shadow ] \
	&& ok "  ... the copy has the link as it was" || not_ok "  ... the copy has the link as it was"

# -------------------------------------------------- restore keeps settings
dev=$(lsblk -dnro MAJ:MIN,TYPE 2>/dev/null | awk '$2 == "disk" { print $1; exit }')
[ -n "$dev" ] || { not_ok "a block device for io limits"; dev=""; }
expect_status 0 "create a container with every setting set" -- \
	d create "$C2" --net none --memory 96M --no-new-privs
expect_status 0 "  ... and the rest" -- d set "$C2" memory_swap=128M cpus=0.5 cpu_weight=300 cpuset=0 \
	pids=77 autostart=yes autostart_order=5 autostart_delay=3 "io=$dev:rbps=10M,wiops=100"
settings='del(.id, .name, .state, .created_at, .started_at, .stopped_at, .pid, .pid_start,
	.monitor_pid, .monitor_start, .exit, .exit_code, .exit_signal, .has_exit, .oom_kills,
	.ipv4, .uptime_ms, .stats)'
d info "$C2" --json | jq -S "$settings" > "$TEST_ROOT/before.json"
expect_status 0 "back it up" -- d backup "$C2" --to "$BK"
bk2=$(sed -n 's/^backed up .* to //p' "$TEST_ROOT/out")
expect_status 0 "restore it under another name" -- d restore "$bk2" --as "${C2}b"
d info "${C2}b" --json | jq -S "$settings" > "$TEST_ROOT/after.json"
if cmp -s "$TEST_ROOT/before.json" "$TEST_ROOT/after.json"; then
	ok "  ... with every setting (no_new_privs and io included)"
else
	not_ok "  ... with every setting"; diff "$TEST_ROOT/before.json" "$TEST_ROOT/after.json" | sed 's/^/#   /'
fi
jq -e '.no_new_privs == true and (.limits.io | length) == 1' "$TEST_ROOT/after.json" >/dev/null \
	&& ok "  ... no_new_privs and the io limit are there" || not_ok "  ... no_new_privs and the io limit are there"

# ---------------------------------------- restore never lowers isolation silently
expect_status 0 "create a container on the host's network" -- d create "$C3" --net host
expect_status 0 "back it up" -- d backup "$C3" --to "$BK"
bk3=$(sed -n 's/^backed up .* to //p' "$TEST_ROOT/out")
expect_status 0 "destroy it" -- d destroy --force "$C3"
expect_status 1 "restoring it is refused" -- d restore "$bk3"
expect_grep "$TEST_ROOT/err" "net_mode=host.*--allow-less-isolation" "  ... naming the setting and the flag"
d info "$C3" >/dev/null 2>&1 && not_ok "  ... and nothing is restored" || ok "  ... and nothing is restored"
[ ! -e "$DOME_ROOT/containers/$C3" ] && ok "  ... no directory either" || not_ok "  ... no directory either"
expect_status 0 "with --allow-less-isolation it is restored" -- d restore "$bk3" --allow-less-isolation
[ "$(d info "$C3" --json | jq -r .net_mode)" = host ] && ok "  ... on the host's network, as it was" \
	|| not_ok "  ... on the host's network, as it was"
d history --action restore --json | jq -e '.[0].params.allow_less_isolation == true' >/dev/null \
	&& ok "  ... and the consent is audited" || not_ok "  ... and the consent is audited"

finish
