#!/bin/bash
# dome check as a user meets it: one line per feature, --json that agrees
# with the text, an exit status that says whether containers can run, and
# the cgroup layout the kernel really has (read here with stat -f).
. "${DOME_SRCDIR:-.}/tests/lib.sh"

# The nftables ruleset before dome check: its NAT line is the kernel judging
# dome's masquerade batch in check mode, which must leave nothing behind.
am_root=$([ "$(id -u)" = 0 ] && echo yes)
[ "$am_root" ] && nft list ruleset > "$TEST_ROOT/ruleset.before" 2>&1
"$DOME" check >"$TEST_ROOT/out" 2>"$TEST_ROOT/err"; text_status=$?
"$DOME" check --json >"$TEST_ROOT/json" 2>"$TEST_ROOT/err"; json_status=$?
[ "$text_status" = "$json_status" ] && ok "text and --json exit alike" \
	|| not_ok "text exits $text_status, --json $json_status"
# The JSON is pretty-printed one key per line; awk reads it without
# anything beyond the base system.
top() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$TEST_ROOT/json"; }
# feature NAME KEY: that feature's value for KEY
feature() {
	awk -v want="$1" -v key="$2" '
		/"name":/ { name = $0; sub(/.*"name": "/, "", name); sub(/",?$/, "", name) }
		$0 ~ "\"" key "\":" && name == want { v = $0; sub(/.*": "?/, "", v); sub(/"?,?$/, "", v); print v; exit }
	' "$TEST_ROOT/json"
}
grep -q '"features": \[' "$TEST_ROOT/json" && ok "--json has the features" \
	|| not_ok "--json has the features"
all_ok=$(top ok)
want_status=$([ "$all_ok" = true ] && echo 0 || echo 1)
[ "$json_status" = "$want_status" ] && ok "exit status follows \"ok\" ($all_ok)" \
	|| not_ok "exit $json_status but ok=$all_ok"
# "ok" is true exactly when no required feature is missing.
missing_required=$(awk '/"required": true/ { r = 1 } /"required": false/ { r = 0 }
	/"status":/ { s = $0 } /"why":/ { if (r && s !~ /"ok"/) n++; r = 0 } END { print n + 0 }' \
	"$TEST_ROOT/json")
[ "$all_ok" = "$([ "$missing_required" = 0 ] && echo true || echo false)" ] \
	&& ok "\"ok\" agrees with the required features ($missing_required missing)" \
	|| not_ok "ok=$all_ok with $missing_required required features missing"

case "$(stat -f -c %T /sys/fs/cgroup)" in
cgroup2fs) layout=v2 ;;
*) if [ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ]; then
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && layout=hybrid || layout=v1
   else layout=v2; fi ;;
esac
[ "$(top layout)" = "$layout" ] && ok "layout is $layout" \
	|| not_ok "layout: dome says $(top layout), stat -f says $layout"
expect_grep "$TEST_ROOT/out" "cgroup layout *ok *$layout" "the text names the layout"

for f in "pid namespace" "mount namespace" "network namespace" "memory controller" \
	"cpu controller" "pids controller" "freezer" "overlayfs" "veth" "bridge"; do
	expect_grep "$TEST_ROOT/out" "^  $f " "a line for $f"
	st=$(feature "$f" status)
	expect_grep "$TEST_ROOT/out" "^  $f  *$st " "$f: text and --json agree ($st)"
done
# Every feature the kernel has on this machine is reported as such.
[ -e /proc/self/ns/net ] && expect_grep "$TEST_ROOT/out" "^  network namespace  *ok" "netns ok"
grep -qw overlay /proc/filesystems && expect_grep "$TEST_ROOT/out" "^  overlayfs  *ok" "overlay ok"

# Outbound NAT: optional, so never required; as root on this kernel (it has
# nf_tables) the check passes and leaves the ruleset as it was.
[ "$(feature "outbound NAT (nftables)" required)" = false ] && ok "outbound NAT is optional" \
	|| not_ok "outbound NAT is optional"
if [ "$am_root" ]; then
	expect_grep "$TEST_ROOT/out" "^  outbound NAT (nftables)  *ok  *the kernel accepts dome's masquerade rule (checked, not applied)" \
		"the kernel accepts the NAT rule"
	nft list ruleset > "$TEST_ROOT/ruleset.after" 2>&1
	if cmp -s "$TEST_ROOT/ruleset.before" "$TEST_ROOT/ruleset.after"; then
		ok "checking NAT changed no nftables rule"
	else
		not_ok "checking NAT changed no nftables rule"
		diff "$TEST_ROOT/ruleset.before" "$TEST_ROOT/ruleset.after" | sed 's/^/#   /'
	fi
	grep -q "table ip dome-" "$TEST_ROOT/ruleset.after" && not_ok "no dome table in the kernel" \
		|| ok "no dome table in the kernel"
fi

expect_status 2 "check takes no arguments" -- "$DOME" check extra
expect_status 0 "check --help" -- "$DOME" check --help
finish
