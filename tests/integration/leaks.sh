# Shared by the recovery tests: set up a private instance (state root, cgroup
# prefix, bridge, /29 subnet) and find what a container left behind.
# Source after tests/lib.sh; call with a subnet second octet (250..253).
# test_load.sh sets up its own instance and uses cleanup_instance only.
setup_instance() {
	n=$(( $$ % 200 + 20 ))
	BR="dm$1x$n"
	SUBNET_PFX="10.$1.$n"
	printf '[network]\nbridge = %s\nsubnet = %s.0/29\nnameservers = %s.1\n' \
		"$BR" "$SUBNET_PFX" "$SUBNET_PFX" > "$TEST_ROOT/dome.conf"
	export DOME_CONFIG="$TEST_ROOT/dome.conf"
	export DOME_ROOT="$TEST_ROOT/state"
	export DOME_CGROUP_PREFIX="dome-rec-$$"
	unset DOME_FAULT
	trap cleanup_instance EXIT
}
d() { "$DOME" "$@"; }
cleanup_instance() {
	local c h
	for c in $(d ls --json 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
		d destroy --force "$c" >/dev/null 2>&1
	done
	pkill -KILL -f "__monitor $DOME_ROOT " 2>/dev/null
	ip link del "$BR" 2>/dev/null
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	grep -o " $TEST_ROOT[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$TEST_ROOT"
}
json_get() { d info "$1" --json | jq -r ".$2"; }
# The result of the newest audited ACTION on TARGET.
last_result() {
	sqlite3 "$DOME_ROOT/dome.db" \
		"SELECT result FROM changes WHERE action = '$1' AND target = '$2' ORDER BY id DESC LIMIT 1"
}
# Print every trace of container NAME that should be gone when it is not
# running: processes (its monitor, its init or a forked start, anything in
# its cgroup), cgroup dirs, host veth, lease, host mounts under the root.
leaks_of() {
	local name=$1 p
	pgrep -f "__monitor $DOME_ROOT .* $name [0-9]" | sed 's/^/monitor pid /'
	pgrep -f "$DOME (start|stop|create|set|destroy) .*$name\$" | grep -vx "$$" | sed 's/^/forked dome pid /'
	# A zombie has ended; collecting it is the host's pid 1's job.
	for p in /proc/[0-9]*; do
		grep -qs '^State:.*Z' "$p/status" && continue
		grep -qs ":/$DOME_CGROUP_PREFIX/$name\(/\|\$\)" "$p/cgroup" && echo "process ${p#/proc/} in its cgroup"
	done
	find /sys/fs/cgroup -maxdepth 3 -type d -path "*/$DOME_CGROUP_PREFIX/$name" 2>/dev/null | sed 's/^/cgroup /'
	host_veths_of "$name" | sed 's/^/veth /'
	[ "$(sqlite3 "$DOME_ROOT/dome.db" "SELECT count(*) FROM leases l JOIN containers c ON c.id = l.container_id WHERE c.name = '$name'" 2>/dev/null)" = 0 ] || echo "lease of $name"
	grep -F " $DOME_ROOT/containers/$name/" /proc/self/mountinfo | awk '{print "mount " $5}'
	return 0
}
# ok/not_ok on an empty leaks_of.
expect_no_leaks() {
	local out
	out=$(leaks_of "$1")
	[ -z "$out" ] && ok "$2: nothing left" || { not_ok "$2: nothing left"; echo "$out" | sed 's/^/#   /'; }
}
