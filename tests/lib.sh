# Shared helpers for shell-driven tests. Each test gets its own state root and
# removes it on exit, also on failure.
set -u
: "${DOME:?DOME must point at the dome binary (make check sets it)}"
TEST_ROOT=$(mktemp -d /tmp/dome-test-XXXXXX)
cleanup_root() { rm -rf "$TEST_ROOT"; }
trap cleanup_root EXIT
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $*"; }
# expect_status WANT DESCRIPTION -- CMD...
expect_status() {
	want=$1; desc=$2; shift 3
	"$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err"; got=$?
	if [ "$got" = "$want" ]; then ok "$desc"; else
		not_ok "$desc (exit $got, wanted $want)"; sed 's/^/#   /' "$TEST_ROOT/err"; fi
}
expect_grep() {
	file=$1; pattern=$2; desc=$3
	if grep -q -- "$pattern" "$file"; then ok "$desc"; else
		not_ok "$desc (no '$pattern' in $(basename "$file"))"; sed 's/^/#   /' "$file"; fi
}
# destroy_test_containers: every container of this test's state root
# ($DOME_ROOT), forced; for EXIT traps.
destroy_test_containers() {
	local c
	for c in $("$DOME" ls --json 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
		"$DOME" destroy --force "$c" >/dev/null 2>&1
	done
}
# cgroup_hierarchies: the mount point of every cgroup hierarchy on this host,
# each with a trailing slash: the v1 controllers' and cgroup2 (at
# /sys/fs/cgroup/unified on a hybrid host), or /sys/fs/cgroup/ alone on a pure
# cgroup v2 one (where /sys/fs/cgroup/*/ are cgroups, not hierarchies).
cgroup_hierarchies() {
	awk '{ for (i = 7; $i != "-"; i++); if (($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") &&
	       $5 ~ "^/sys/fs/cgroup") print $5 "/" }' /proc/self/mountinfo | sort -u
}
# remove_test_cgroups: the test's own cgroup prefix ($DOME_CGROUP_PREFIX) in
# every hierarchy, empty directories only.
remove_test_cgroups() {
	local h
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] || continue
		find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
# The state root's id ($DOME_ROOT's inventory, core/owner.h) and the host
# veths its containers have: named dm<6 digits of the id>-..., marked with
# the alias "dome ID NAME". host_veths_of [NAME]: those of NAME, or all.
root_id() {
	sqlite3 "$DOME_ROOT/dome.db" "SELECT value FROM settings WHERE section = 'root' AND name = 'id'" 2>/dev/null
}
host_veths_of() {
	local rid f alias
	rid=$(root_id)
	[ -n "$rid" ] || return 0
	for f in /sys/class/net/dm*; do
		[ -e "$f" ] && [ ! -d "$f/bridge" ] || continue # the bridge is marked too
		alias=$(cat "$f/ifalias" 2>/dev/null)
		case "$alias" in
		"dome $rid ${1:-}"*) [ -z "${1:-}" ] || [ "$alias" = "dome $rid $1" ] && echo "${f##*/}";;
		"") case "${f##*/}" in "dm${rid:0:6}-"*) echo "${f##*/}";; esac;; # a half-made one
		esac
	done
}
finish() {
	echo "# $passes passed, $failures failed"
	[ "$failures" -eq 0 ]
}
