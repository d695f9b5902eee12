#!/bin/bash
# The console driving the real engine, through tmux (send-keys, then read the
# screen with capture-pane), as an admin would: create a container from the
# dialog and start it, see its PID and memory, change its memory limit live
# from the Limits tab and find it in the kernel's cgroup file, read its
# console log, filter and sort, stop it, destroy it after typing its name (a
# wrong name destroys nothing); read-only mode refusing a stop; TERM=vt100
# with NO_COLOR; a resize while a dialog is open.
# Own state root, cgroup prefix, tmux socket and names (with the pid);
# containers use --net none so no interface is made. Everything is removed
# on exit, also on failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/console/tmux.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
command -v tmux >/dev/null || { echo "# needs tmux"; exit 77; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-ce-$$"
SOCK="dome-ce-$$"
C="ce$$"        # made from the console's dialog
O="aa$$"        # made with the CLI; sorts before $C by name
K="cl$$"        # a clone of $O, made from the console
d() { "$DOME" "$@"; }

cleanup() {
	T kill-server 2>/dev/null
	destroy_test_containers
	remove_test_cgroups
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

case "$(stat -f -c %T /sys/fs/cgroup)" in
cgroup2fs) MEMFILE="/sys/fs/cgroup/$DOME_CGROUP_PREFIX/$C/memory.max" ;;
*) MEMFILE="/sys/fs/cgroup/memory/$DOME_CGROUP_PREFIX/$C/memory.limit_in_bytes" ;;
esac

# start SESSION WIDTH HEIGHT ENV... -- DOME-ARGS...
start() {
	S=$1; w=$2; h=$3; shift 3
	envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
	tmux_session "$S" "$w" "$h" \
		env DOME_CONFIG=/dev/null "${envs[@]}" DOME_ROOT="$DOME_ROOT" \
		DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" "$DOME" "$@"
}
field() { d info "$1" --json 2>/dev/null | jq -r ".$2"; }

expect_status 0 "a second container (CLI, stopped) for filter and sort" -- \
	d create "$O" --net none --memory 32M

start main 120 40 TERM=xterm-256color LANG=C.UTF-8 --
check "the console shows the CLI's container" wait_for main "^$O .*stopped"

# ---- create from the dialog ----
T send-keys -t main c
check "c opens the create dialog" wait_for main "Create a container"
T send-keys -t main "bad/name"
check "the name is checked as it is typed" wait_for main "container name .bad/name. has a character that is not allowed"
T send-keys -t main C-u "$C" Enter
check "the dialog asks for the memory limit" wait_for main "Memory limit"
T send-keys -t main 64M Enter
check "the dialog asks for the network" wait_for main "Network: bridge, none"
T send-keys -t main C-u none Enter
check "the dialog asks about autostart" wait_for main "Start it when the host boots"
T send-keys -t main n
check "the dialog asks to start now" wait_for main "Start it now"
T send-keys -t main y
check "the status line reports the creation" wait_for main "$C created and started" 20
check "the table shows it running" wait_for main "^$C .*running"
pid=$(field "$C" pid)
check "the engine has it running (pid $pid)" test "$(field "$C" state)" = running -a "$pid" -gt 1
check "the table shows its PID" wait_for main "^$C \+running \+$pid "
check "the table shows its memory against the 64M limit" wait_for main "^$C .*[0-9.]\+[KMB]*/64M"
check "it was made with network none" test "$(field "$C" net_mode)" = none
check "the cgroup has the 64M limit" test "$(cat "$MEMFILE" 2>&1)" = 67108864

# ---- limits, live ----
T send-keys -t main L
check "L opens the Limits tab" wait_for main "Memory + swap"
check "the Limits tab shows 64M" wait_for main "Memory  .* 64M"
T send-keys -t main Enter
check "Enter edits the memory limit" wait_for main "New value"
T send-keys -t main 12x
check "a bad value is refused as it is typed" wait_for main "memory .12x. has an unknown unit"
T send-keys -t main C-u 96M Enter
check "the status line says the limit applied live" wait_for main "memory=96M applied live"
check "the cgroup file has the new limit (96M)" test "$(cat "$MEMFILE" 2>&1)" = 100663296
check "the Limits tab shows 96M" wait_for main "Memory  .* 96M"

# ---- history of this container, newest first ----
T send-keys -t main 6
check "the History tab lists the live set" wait_for main "root .* set .* ok "
a=$(line_of " set .* ok "); b=$(line_of " create .* ok ")
check "newest first: set above create" test -n "$a" -a -n "$b" -a "${a:-0}" -lt "${b:-0}"
check "the History tab shows only $C (no create of $O)" test "$(screen main | grep -c ' create ')" -eq 1

# ---- logs, processes, overview ----
# The container writes escape sequences (retitle, clear) and UTF-8 to its
# console: the Logs tab draws them escaped, as `dome logs` prints them, and
# the UTF-8 as it is.
"$DOME" exec "$C" -- sh -c 'printf "hostile\033]0;pwned\007 title\033[2J clear \303\274n\303\257\n" > /dev/console'
T send-keys -t main 3
check "the Logs tab shows the console log line" wait_for main "dome: container $C up"
check "the Logs tab shows the container's escape sequences escaped" wait_for main 'hostile\\e\]0;pwned\\x07 title\\e\[2J clear ünï'
check "the container did not retitle the terminal" test "$(T display-message -p -t main '#{pane_title}')" != pwned
T send-keys -t main 4
cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" | sed 's/ *$//')
check "the Processes tab shows init ($pid: $cmd) in the container's own cgroup" wait_for main "^ *$pid  / \+$cmd"
T send-keys -t main 1
check "the Overview tab shows the image's arch ($(uname -m))" wait_for main "Arch  *$(uname -m)"
check "the Overview tab shows the PID" wait_for main "PID  *$pid"
T send-keys -t main Escape
check "Esc goes back to the table" wait_for main "^$C .*running"
check "the table shows the new limit" wait_for main "^$C .*/96M"

# ---- roll back the live limit change from the History tab ----
T send-keys -t main Enter 6
check "the History tab selects the newest change (set)" wait_for main "root .* set .* ok "
T send-keys -t main u
check "u asks before rolling back the set" wait_for main "Roll back change #[0-9]* (set of $C)?"
T send-keys -t main y
check "the rollback is reported" wait_for main "rolled back on $C" 20
check "the cgroup file has the 64M limit again" test "$(cat "$MEMFILE" 2>&1)" = 67108864
check "the rollback is the newest record" wait_for main "root .* rollback .* ok "
T send-keys -t main Escape
check "the table shows the 64M limit again" wait_for main "^$C .*/64M"

# ---- filter and sort ----
a=$(line_of "^$O "); b=$(line_of "^$C ")
check "sorted by name: $O above $C" test "$a" -lt "$b"
T send-keys -t main '>'
check "> sorts by state" wait_for main "sorted by STATE"
a=$(line_of "^$O "); b=$(line_of "^$C ")
check "sorted by state: running $C above stopped $O" test "$b" -lt "$a"
T send-keys -t main '<'
T send-keys -t main / ce
check "the filter shows what is typed" wait_for main "Filter: ce"
check "the filter hides $O" wait_gone main "^$O "
check "the filter keeps $C" wait_for main "^$C "
T send-keys -t main Enter

# ---- stop ----
T send-keys -t main x
check "x stops it (status line)" wait_for main "$C stopped" 30
check "the table shows it stopped" wait_for main "^$C .*stopped"
check "the engine has it stopped" test "$(field "$C" state)" = stopped
check "its init is gone" test ! -e "/proc/$pid/status" -o -z "$pid"
T send-keys -t main Escape
check "Esc clears the filter" wait_for main "^$O "

# ---- destroy: a wrong name destroys nothing ----
T send-keys -t main D
check "D asks for the name" wait_for main "Type the name ($C) to confirm"
T send-keys -t main "$O" Enter
sleep 0.5
check "Enter with a wrong name keeps the dialog open" wait_for main "Type the name ($C) to confirm"
check "the dialog says to type the name exactly" wait_for main "type '$C' exactly to confirm"
check "after a wrong name $C still exists (in the table)" wait_for main "^$C .*stopped"
T send-keys -t main Escape
check "cancelling says nothing changed" wait_for main "destroy cancelled; $C is unchanged"
check "after a wrong name $C still exists" test "$(field "$C" state)" = stopped
T send-keys -t main D
check "D asks again" wait_for main "Type the name ($C) to confirm"
T send-keys -t main "$C" Enter
check "the status line reports the destruction" wait_for main "$C destroyed" 20
check "the table no longer has it" wait_gone main "^$C \+\(stopped\|running\)"
check "the engine no longer has it" bash -c "! '$DOME' info '$C' >/dev/null 2>&1"
check "its cgroup is gone" test ! -e "$(dirname "$MEMFILE")"
check "$O is untouched" test "$(field "$O" state)" = stopped

# ---- host views ----
T send-keys -t main i
check "i shows the images: busybox, its arch, 1 container" wait_for main "^busybox  *$(uname -m) .* 1  "
T send-keys -t main N
check "N shows the network settings (bridge)" wait_for main "Bridge  *dome0"
check "N shows the subnet and its gateway" wait_for main "Subnet .*gateway"
check "N shows NAT off" wait_for main "NAT .*off (containers reach the host and each other)"
check "N lists the leases (none: every container is --net none)" wait_for main "No leases"
T send-keys -t main K
check "K shows the kernel check" wait_for main "every required feature is there"
check "K lists the pid namespace" wait_for main "pid namespace  *ok"
T send-keys -t main H
check "H shows the global history with targets" wait_for main " destroy  *$C  *ok "
check "H lists the other container's create" wait_for main " create  *$O  *ok "
T send-keys -t main Escape
check "Esc goes back to the table" wait_for main "^$O .*stopped"

# ---- autostart and clone ----
check "$O starts with autostart off" wait_for main "^$O .* no *$"
T send-keys -t main a
check "a turns autostart on (status line)" wait_for main "$O starts when the host boots"
check "the engine has autostart on" test "$(field "$O" autostart)" = true
check "the AUTO column says yes" wait_for main "^$O .* yes *$"
T send-keys -t main C
check "C asks for the clone's name" wait_for main "Name of the copy"
T send-keys -t main "$K" Enter
check "the clone is reported" wait_for main "$O cloned to $K" 20
check "the clone is in the table, stopped" wait_for main "^$K .*stopped"
check "the engine has the clone" test "$(field "$K" state)" = stopped
check "quit the console" quit main
T kill-session -t main

# ---- require_reason: every change asks for a reason ----
printf '[audit]\nrequire_reason = yes\n' > "$TEST_ROOT/reason.conf"
S=rs
start rs 120 40 TERM=xterm-256color LANG=C.UTF-8 DOME_CONFIG="$TEST_ROOT/reason.conf" --
check "reason: the console runs" wait_for rs "^$O "
T send-keys -t rs a
check "reason: a change asks for a reason" wait_for rs "Reason for autostart=no on $O"
T send-keys -t rs Enter
check "reason: an empty reason is refused" wait_for rs "requires a reason for every change"
T send-keys -t rs Escape
check "reason: cancelling changes nothing" wait_for rs "no reason given, so nothing was changed"
check "reason: autostart is still on" test "$(field "$O" autostart)" = true
T send-keys -t rs a
check "reason: asked again" wait_for rs "Reason for autostart=no on $O"
T send-keys -t rs "maintenance window $$" Enter
check "reason: the change is made" wait_for rs "$O no longer starts at boot"
check "reason: autostart is off in the engine" test "$(field "$O" autostart)" = false
T send-keys -t rs H
check "reason: the history shows the reason" wait_for rs " set  *$O  *ok  *maintenance window $$"
check "reason: the CLI history has it too" test "$(d history "$O" --json | jq -r '.[0].reason')" = "maintenance window $$"
T send-keys -t rs Escape
check "reason: q quits" quit rs

# ---- network settings changed from the console (N, e) ----
# On a bridge name that does not exist (DOME_BRIDGE): the subnet change is
# stored and would readdress only that bridge; no interface is touched.
NSUB="10.251.$(($$ % 250)).0/24"
S=nw
start nw 120 40 TERM=xterm-256color LANG=C.UTF-8 DOME_BRIDGE="dmce$$" --
check "network: the console runs" wait_for nw "^$O "
T send-keys -t nw N
check "network: N shows the view's keys" wait_for nw "e change a setting"
T send-keys -t nw e
check "network: e asks which setting" wait_for nw "Setting to change (bridge, subnet, nameservers, nat)"
T send-keys -t nw colour
check "network: an unknown setting is refused as it is typed" wait_for nw "'colour' is not a network setting"
T send-keys -t nw C-u subnet Enter
check "network: it asks for the subnet, showing the current one" wait_for nw "New subnet (now 10.77.0.0/24)"
T send-keys -t nw C-u "10.1.0.1/24"
check "network: a bad subnet is refused as it is typed" wait_for nw "10.1.0.1/24. has host bits set"
T send-keys -t nw C-u "$NSUB" Enter
check "network: the status line reports the change" wait_for nw "network updated: subnet is now $NSUB (applied live"
check "network: the view shows the new subnet" wait_for nw "Subnet .*$NSUB (gateway"
check "network: the engine has it" test "$(d net --json | jq -r .subnet)" = "$NSUB"
check "network: the change is in the history" test "$(d history --json | jq -r '.[0] | .action + " " + .target')" = "net-set network"
T send-keys -t nw e
T send-keys -t nw nameservers Enter
check "network: it asks for the name servers" wait_for nw "New nameservers (now empty)"
T send-keys -t nw Escape
check "network: cancelling changes nothing" wait_for nw "cancelled: the network settings are unchanged"
T send-keys -t nw Escape
check "network: Esc, then q quits" quit nw
expect_status 0 "the subnet back to the default" -- d net subnet=10.77.0.0/24

# ---- a resize while a dialog is open ----
S=main
start main 120 40 TERM=xterm-256color LANG=C.UTF-8 --
check "the console runs again" wait_for main "^$O "
T send-keys -t main c
check "the create dialog is open" wait_for main "Create a container"
T send-keys -t main half
T resize-window -t main -x 80 -y 24
check "at 80x24 the dialog is still there" wait_for main "Create a container"
check "at 80x24 what was typed is kept" wait_for main "half"
check "at 80x24 the footer is on the last line" wait_line main 24 F1Help
check "at 80x24 the screen has 24 lines" test "$(screen main | wc -l)" -eq 24
check "at 80x24 the header drops the distro but keeps the cgroup layout" \
	wait_line main 1 "^$(hostname)  kernel .*cgroup \(v1\|v2\|hybrid\)$"
T resize-window -t main -x 120 -y 40
check "back at 120x40 the dialog is still there" wait_for main "Create a container"
check "back at 120x40 the footer is on line 40" wait_line main 40 F1Help
check "back at 120x40 the dialog is centred again" wait_for main "^ \{20,\}.*Create a container"
T send-keys -t main Escape
check "Esc cancels the create" wait_for main "create cancelled"
check "nothing was created" bash -c "! '$DOME' info half >/dev/null 2>&1"
check "q quits" quit main
T kill-session -t main

# ---- read-only refuses to stop a running container ----
expect_status 0 "start $O with the CLI" -- d start "$O"
opid=$(field "$O" pid)
S=ro
start ro 120 40 TERM=xterm-256color LANG=C.UTF-8 -- --readonly
check "read-only: $O is shown running" wait_for ro "^$O \+running \+$opid "
T send-keys -t ro x
check "read-only refuses the stop with the reason" wait_for ro "read-only: cannot stop (dome was started with --readonly)"
sleep 1
check "read-only: $O is still running" test "$(field "$O" state)" = running -a "$(field "$O" pid)" = "$opid"
T send-keys -t ro D
check "read-only refuses a destroy too (no dialog)" wait_for ro "read-only: cannot destroy"
T send-keys -t ro H
check "read-only: H shows the history" wait_for ro " start  *$O  *ok "
T send-keys -t ro u
check "read-only refuses a rollback" wait_for ro "read-only: cannot roll back a change"
T send-keys -t ro N
check "read-only: N shows the network" wait_for ro "NAT .*off"
T send-keys -t ro e
check "read-only refuses a network change" wait_for ro "read-only: cannot change the network settings"
T send-keys -t ro Escape
check "read-only: q quits" quit ro

# ---- TERM=vt100 and NO_COLOR with a running container ----
S=vt
start vt 80 24 TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 --
check "vt100: $O running with its PID" wait_for vt "^$O \+running \+$opid "
check "vt100: the memory column has the 32M limit" wait_for vt "^$O .*/32M"
check "vt100: ASCII only (no block or line glyphs)" bash -c "! tmux -L $SOCK capture-pane -p -t vt | grep -q '█\|▏\|─\|▁'"
T send-keys -t vt Enter
check "vt100: the container view opens" wait_for vt "Overview"
T send-keys -t vt Escape
check "vt100: Esc goes back to the table" wait_for vt "^$O \+running"
check "vt100: q quits" quit vt
expect_status 0 "stop $O with the CLI" -- d stop "$O"
finish
