#!/bin/bash
# `dome net` as an operator reads it: the configured bridge and subnet, the
# gateway, how many addresses there are, the leases in use, JSON, and changes
# refused with status 2. Uses a bridge name that does not exist; changes
# nothing in the kernel.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
R="$TEST_ROOT/state"
C="$TEST_ROOT/dome.conf"
BR="dmtn$$"
BR=${BR:0:15}
printf '[network]\nbridge = %s\nsubnet = 10.248.16.0/28\n' "$BR" > "$C"

expect_status 0 "net shows the settings" -- "$DOME" --root "$R" --config "$C" net
expect_grep "$TEST_ROOT/out" "^Bridge: *$BR (not created yet" "a missing bridge is said to be missing"
expect_grep "$TEST_ROOT/out" "^Subnet: *10.248.16.0/28" "the subnet is shown"
expect_grep "$TEST_ROOT/out" "^Gateway: *10.248.16.1$" "the gateway is the first address"
expect_grep "$TEST_ROOT/out" "10.248.16.2 - 10.248.16.14 (13 addresses, 0 leased)" "the range and its size"
expect_grep "$TEST_ROOT/out" "^NAT: *off" "NAT is off by default"
expect_grep "$TEST_ROOT/out" "No addresses in use" "no leases on a new root"

expect_status 0 "net --json" -- "$DOME" --root "$R" --config "$C" net --json
if jq -e '.subnet == "10.248.16.0/28" and .gateway == "10.248.16.1" and .addresses_total == 13
	  and .leases == [] and .bridge_status.present == false' "$TEST_ROOT/out" >/dev/null; then
	ok "JSON has subnet, gateway, size, leases, bridge status"
else
	not_ok "JSON has subnet, gateway, size, leases, bridge status"; sed 's/^/#   /' "$TEST_ROOT/out"
fi

expect_status 2 "an unknown network setting is refused" -- "$DOME" --root "$R" --config "$C" net colour=blue
expect_grep "$TEST_ROOT/err" "bridge, subnet, nameservers and nat" "the refusal lists the settings"
# NAT: off by default and nothing of dome's in the kernel; a bad value and a
# read-only session change nothing (no test switches NAT on).
"$DOME" --root "$R" --config "$C" net --json > "$TEST_ROOT/net.json" 2>&1
if jq -e --arg t "dome-$BR" '.nat == {"enabled": false, "table": $t, "rule_in_kernel": false, "error": null}' \
	"$TEST_ROOT/net.json" >/dev/null; then
	ok "JSON: NAT off, its table named, not in the kernel"
else
	not_ok "JSON: NAT off, its table named, not in the kernel"; sed 's/^/#   /' "$TEST_ROOT/net.json"
fi
expect_status 2 "nat=maybe is refused" -- "$DOME" --root "$R" --config "$C" net nat=maybe
expect_grep "$TEST_ROOT/err" "'maybe' is not yes or no" "the refusal says what nat takes"
expect_status 1 "a read-only session cannot turn NAT on" -- "$DOME" --root "$R" --config "$C" --readonly net nat=yes
expect_grep "$TEST_ROOT/err" "read-only" "the refusal says read-only"
expect_status 0 "net after the refusals" -- "$DOME" --root "$R" --config "$C" net
expect_grep "$TEST_ROOT/out" "^NAT: *off" "NAT is still off"
expect_status 0 "history after the refusals" -- "$DOME" --root "$R" --config "$C" history --json
[ "$(jq '[.[] | select(.action == "net-set")] | length' "$TEST_ROOT/out")" = 0 ] \
	&& ok "no network change was recorded" || not_ok "no network change was recorded"
expect_status 2 "a bad subnet is refused" -- "$DOME" --root "$R" --config "$C" net subnet=10.1.0.1/24
expect_status 2 "a hostile value is refused" -- "$DOME" --root "$R" --config "$C" net 'nameservers=1.1.1.1;reboot' 
expect_status 2 "unknown option is bad usage" -- "$DOME" --root "$R" --config "$C" net --bogus

printf '[network]\nsubnet = 10.248.16.0/31\n' > "$TEST_ROOT/bad.conf"
expect_status 2 "a bad subnet in the config is refused" -- "$DOME" --root "$R" --config "$TEST_ROOT/bad.conf" net
expect_grep "$TEST_ROOT/err" "prefix 8 to 30" "the error gives the accepted prefixes"
finish
