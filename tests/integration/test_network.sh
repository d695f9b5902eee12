#!/bin/bash
# Container networking end to end through the CLI: a private test bridge and a
# /29 test subnet; addresses, reachability (only addresses this test made),
# modes, static addresses, exhaustion, and cleanup of veths and leases on
# stop, destroy and a start that fails after its veth was made.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }

n=$(( $$ % 200 + 20 ))
BR="dmtn$n"
SUBNET_PFX="10.252.$n"
printf '[network]\nbridge = %s\nsubnet = %s.0/29\nnameservers = %s.1\n' "$BR" "$SUBNET_PFX" "$SUBNET_PFX" > "$TEST_ROOT/dome.conf"
export DOME_CONFIG="$TEST_ROOT/dome.conf"
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-nt-$$"
d() { "$DOME" "$@"; }
p="n$n"   # container name prefix

cleanup() {
	for c in $(d ls --json 2>/dev/null | sed -n 's/.*"name": "\(.*\)".*/\1/p'); do
		d destroy --force "$c" >/dev/null 2>&1
	done
	ip link del "$BR" 2>/dev/null
	nft delete table ip "dome-$BR" 2>/dev/null
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
ipv4_of() { d info "$1" --json | sed -n 's/.*"ipv4": "\(.*\)".*/\1/p'; }
leases() { sqlite3 "$DOME_ROOT/dome.db" "SELECT count(*) FROM leases"; }

expect_status 0 "start a" -- d create "${p}a" --start
expect_status 0 "start b" -- d create "${p}b" --start
a=$(ipv4_of "${p}a"); b=$(ipv4_of "${p}b")
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && ok "distinct addresses ($a, $b)" || not_ok "distinct addresses ($a, $b)"
case "$a" in "$SUBNET_PFX".*) ok "address from the configured subnet";; *) not_ok "address from the configured subnet ($a)";; esac
ip -br link show "$BR" >/dev/null 2>&1 && ok "bridge $BR made" || not_ok "bridge $BR made"
ip -4 -o addr show "$BR" | grep -q "$SUBNET_PFX.1/29" && ok "bridge has the gateway address" || not_ok "bridge has the gateway address"
expect_status 0 "a pings b" -- d exec "${p}a" -- ping -c1 -W2 "$b"
expect_status 0 "b pings a" -- d exec "${p}b" -- ping -c1 -W2 "$a"
expect_status 0 "a pings the bridge" -- d exec "${p}a" -- ping -c1 -W2 "$SUBNET_PFX.1"
d exec "${p}a" -- ip route > "$TEST_ROOT/route"
expect_grep "$TEST_ROOT/route" "default via $SUBNET_PFX.1" "default route via the bridge"
mac=$(d exec "${p}a" -- cat /sys/class/net/eth0/address)
case "$mac" in 02:*) ok "locally administered MAC ($mac)";; *) not_ok "locally administered MAC ($mac)";; esac
va=$(d info "${p}a" --json | jq -r .host_ifname)
ip link show "$va" >/dev/null 2>&1 && ok "host end $va exists" || not_ok "host end $va exists"
[ "$(cat "/sys/class/net/$va/ifalias")" = "dome $(root_id) ${p}a" ] \
	&& ok "host end marked as this root's (alias)" || not_ok "host end marked as this root's (alias: $(cat "/sys/class/net/$va/ifalias"))"
[ "$(cat "/sys/class/net/$BR/ifalias")" = "dome $(root_id) $DOME_ROOT" ] \
	&& ok "bridge marked as this root's (alias)" || not_ok "bridge marked as this root's (alias: $(cat "/sys/class/net/$BR/ifalias"))"

# Names: each container's hosts lists itself and its siblings; resolv.conf from config.
d exec "${p}a" -- cat /etc/hosts > "$TEST_ROOT/hosts"
expect_grep "$TEST_ROOT/hosts" "^$a	${p}a\$" "hosts lists the container itself"
expect_grep "$TEST_ROOT/hosts" "^$b	${p}b\$" "hosts lists its sibling"
expect_status 0 "a pings b by name" -- d exec "${p}a" -- ping -c1 -W2 "${p}b"
d exec "${p}a" -- cat /etc/resolv.conf > "$TEST_ROOT/resolv"
expect_grep "$TEST_ROOT/resolv" "^nameserver $SUBNET_PFX.1\$" "resolv.conf from the config"
[ "$(d exec "${p}a" -- cat /etc/hostname)" = "${p}a" ] && ok "/etc/hostname is the name" || not_ok "/etc/hostname is the name"

expect_status 0 "none mode" -- d create "${p}c" --net none --start
d exec "${p}c" -- ls /sys/class/net > "$TEST_ROOT/links"
[ "$(tr -d '\n ' < "$TEST_ROOT/links")" = lo ] && ok "none mode has only lo" || { not_ok "none mode has only lo"; cat "$TEST_ROOT/links"; }
flags=$(d exec "${p}c" -- cat /sys/class/net/lo/flags)
[ -n "$flags" ] && [ $(( flags & 1 )) = 1 ] && ok "none mode: lo is up (flags $flags)" || not_ok "none mode: lo is up (flags '$flags')"

static="$SUBNET_PFX.6"
expect_status 0 "static address" -- d create "${p}d" --ip "$static" --start
[ "$(ipv4_of "${p}d")" = "$static" ] && ok "static address honoured" || not_ok "static address honoured"
expect_status 0 "a second container asking the same address is created" -- d create "${p}e" --ip "$static"
expect_status 1 "but cannot start while it is taken" -- d start "${p}e"
expect_grep "$TEST_ROOT/err" "${p}d" "the refusal names the holder"
expect_status 2 "an address outside the subnet is refused" -- d create "${p}f" --ip 192.0.2.10

# /29: 5 leasable addresses (.2-.6); a, b, d hold three.
expect_status 0 "fourth lease" -- d create "${p}g" --start
expect_status 0 "fifth lease" -- d create "${p}h" --start
expect_status 0 "sixth container" -- d create "${p}i"
expect_status 1 "the subnet is exhausted" -- d start "${p}i"
expect_grep "$TEST_ROOT/err" "$SUBNET_PFX.0/29" "the error names the subnet"
[ "$(d info "${p}i" --json | sed -n 's/.*"state": "\(.*\)".*/\1/p')" = stopped ] && ok "exhausted start left it stopped" || not_ok "exhausted start left it stopped"
[ -n "$(host_veths_of "${p}i")" ] && not_ok "exhausted start left no veth" || ok "exhausted start left no veth"

expect_status 0 "stop a" -- d stop --kill "${p}a"
[ -n "$(host_veths_of "${p}a")" ] && not_ok "stop removed the host veth" || ok "stop removed the host veth"
[ -z "$(ipv4_of "${p}a")" ] && ok "stop freed the lease" || not_ok "stop freed the lease"
d exec "${p}b" -- cat /etc/hosts > "$TEST_ROOT/hosts"
grep -q "${p}a" "$TEST_ROOT/hosts" && not_ok "the stopped container left its siblings' hosts" || ok "the stopped container left its siblings' hosts"
expect_status 0 "the freed address serves the waiting container" -- d start "${p}i"
expect_status 0 "destroy --force h" -- d destroy --force "${p}h"
[ -n "$(host_veths_of "${p}h")" ] && not_ok "destroy removed the host veth" || ok "destroy removed the host veth"
before=$(leases)

# Settings changed at run time: live, audited, refused when they would strand
# running containers.
expect_status 0 "change the nameservers live" -- d net "nameservers=$SUBNET_PFX.1 192.0.2.53"
d exec "${p}b" -- cat /etc/resolv.conf > "$TEST_ROOT/resolv"
expect_grep "$TEST_ROOT/resolv" "^nameserver 192.0.2.53" "a running container sees the new nameservers"
expect_status 1 "a subnet without the leased addresses is refused" -- d net subnet=10.253.$n.0/29
expect_grep "$TEST_ROOT/err" "leased now" "the refusal names the address"
expect_status 2 "a malformed subnet is bad input" -- d net subnet=10.253.$n.1/29
expect_status 2 "an unknown setting is bad input" -- d net colour=blue
d history --action net-set --json > "$TEST_ROOT/hist"
expect_grep "$TEST_ROOT/hist" '"nameservers": "'"$SUBNET_PFX"'.1 192.0.2.53"' "the change is in the history with its after state"
netset=$(jq -r '[.[] | select(.action == "net-set" and .result == "ok")][0].id' "$TEST_ROOT/hist")
expect_status 0 "roll the nameserver change back" -- d rollback "$netset"
d exec "${p}b" -- cat /etc/resolv.conf > "$TEST_ROOT/resolv"
grep -q 192.0.2.53 "$TEST_ROOT/resolv" && not_ok "the rollback put the old nameservers back" || ok "the rollback put the old nameservers back"
expect_grep "$TEST_ROOT/resolv" "^nameserver $SUBNET_PFX.1\$" "resolv.conf is as before the change"
d history --action rollback --json > "$TEST_ROOT/hist2"
[ "$(jq -r '.[0].rollback_of' "$TEST_ROOT/hist2")" = "$netset" ] && ok "the rollback is audited and linked" || not_ok "the rollback is audited and linked"

# A start that fails after its veth was made: init that cannot be executed.
mkdir -p "$DOME_ROOT/containers/${p}a/upper/sbin"
printf 'not a program\n' > "$DOME_ROOT/containers/${p}a/upper/sbin/init"
chmod 644 "$DOME_ROOT/containers/${p}a/upper/sbin/init"
expect_status 1 "a start failing at exec fails" -- d start "${p}a"
expect_grep "$TEST_ROOT/err" "executing" "the failure names the step"
[ -n "$(host_veths_of "${p}a")" ] && not_ok "the failed start left no veth" || ok "the failed start left no veth"
[ "$(leases)" = "$before" ] && ok "the failed start left no lease" || not_ok "the failed start left no lease ($(leases) vs $before)"
# With every container stopped, the subnet moves and the bridge follows.
for c in $(d ls --json | sed -n 's/.*"name": "\(.*\)".*/\1/p'); do d stop --kill "$c" >/dev/null 2>&1; done
NEW_PFX="10.253.$n"
expect_status 0 "move the subnet once nothing uses it" -- d net subnet=$NEW_PFX.0/28
ip -4 -o addr show "$BR" | grep -q "$NEW_PFX.1/28" && ok "the bridge has the new gateway" || not_ok "the bridge has the new gateway"
ip -4 -o addr show "$BR" | grep -q "$SUBNET_PFX.1/" && not_ok "the old gateway is gone" || ok "the old gateway is gone"
expect_status 0 "a container starts on the new subnet" -- d start "${p}b"
case "$(ipv4_of "${p}b")" in "$NEW_PFX".*) ok "it got a new-subnet address";; *) not_ok "it got a new-subnet address ($(ipv4_of "${p}b"))";; esac
expect_status 0 "and reaches the new gateway" -- d exec "${p}b" -- ping -c1 -W2 "$NEW_PFX.1"
# NAT is off (the default, and no test switches it on): bridged starts put
# no rule of dome's in the kernel.
if nft list tables ip > "$TEST_ROOT/tables" 2>&1; then
	grep -q "dome-$BR" "$TEST_ROOT/tables" && not_ok "NAT off: no nftables table for $BR" \
		|| ok "NAT off: no nftables table for $BR"
else
	not_ok "nft list tables (nftables is in scripts/packages)"; sed 's/^/#   /' "$TEST_ROOT/tables"
fi
# A table of dome's left behind while nat = no (as after nat = yes was taken
# out of dome.conf by hand): doctor finds it and removes it. The test makes
# the table itself, empty, under its own bridge's name.
has_table() { nft list tables ip 2>/dev/null | grep -q "table ip dome-$BR\$"; }
nft add table ip "dome-$BR"
expect_status 0 "doctor --dry-run with a leftover NAT table" -- d doctor --dry-run
expect_grep "$TEST_ROOT/out" "would repair *nat *dome-$BR *table ip dome-$BR (nat = no)" "doctor finds the leftover NAT table"
has_table && ok "a dry run leaves it" || not_ok "a dry run leaves it"
expect_status 0 "doctor repairs" -- d doctor
expect_grep "$TEST_ROOT/out" "repaired *nat *dome-$BR" "doctor says it removed the table"
has_table && not_ok "the leftover NAT table is gone" || ok "the leftover NAT table is gone"
[ "$(d history --json | jq --arg t "dome-$BR" '[.[] | select(.action == "doctor" and .target == $t)] | length')" = 1 ] \
	&& ok "the removal is in the history" || not_ok "the removal is in the history"
finish
