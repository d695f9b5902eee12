#!/bin/bash
# Backups and images from the console, through tmux (send-keys, then read the
# screen with capture-pane), on the real engine: back up a running container
# with b (it keeps running, same init), destroy it with the CLI, restore it
# from the backups view (B) and start it: it has the file it had; a restore
# under a taken name is held in the dialog and one without its image is
# refused; commit a container to an image with m (names checked as typed) and
# see it in the images view (i) with its size, users, arch, init and digest;
# remove an unused image there (d, typing its name) and see core's refusal
# for a used one in place; export one (x); a backup on the host's network
# is restored only after the console asked (n cancels, y restores); read-only
# refuses a backup with the reason. Own state root, cgroup prefix, tmux socket and names (with the
# pid); containers use --net none. Everything is removed on exit, also on
# failure.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/console/tmux.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
command -v tmux >/dev/null || { echo "# needs tmux"; exit 77; }

export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-cb-$$"
SOCK="dome-cb-$$"
C="bk$$"        # backed up, destroyed and restored
R="rs$$"        # a second restore of $C's backup, under a new name
G="gn$$"        # made on $IMG, backed up, destroyed; then $IMG goes
IMG="im$$"      # committed from $C in the console
H="hn$$"        # on the host's network: its restore asks first
BKDIR="$DOME_ROOT/backups"
d() { "$DOME" "$@"; }

cleanup() {
	T kill-server 2>/dev/null
	destroy_test_containers
	remove_test_cgroups
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# start SESSION WIDTH HEIGHT [VAR=VALUE...] -- DOME-ARGS...
start() {
	S=$1; w=$2; h=$3; shift 3
	envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
	tmux_session "$S" "$w" "$h" \
		env DOME_CONFIG=/dev/null TERM=xterm-256color LANG=C.UTF-8 "${envs[@]}" \
		DOME_ROOT="$DOME_ROOT" DOME_CGROUP_PREFIX="$DOME_CGROUP_PREFIX" "$DOME" "$@"
}
field() { d info "$1" --json 2>/dev/null | jq -r ".$2"; }
backups() { find "$BKDIR" -maxdepth 1 -name '*.tar.gz' 2>/dev/null | sort; }
# select NAME: filter the table down to NAME so it is the selected row
select_row() {
	T send-keys -t "$S" Escape / "$1" Enter
	wait_for "$S" "^$1 "
}

expect_status 0 "create and start $C with the CLI" -- d create "$C" --net none --start
expect_status 0 "put a file in it" -- d exec "$C" -- /bin/sh -c "echo kept-$$ > /root/data"
pid=$(field "$C" pid)

start main 120 40 --
check "the console shows $C running" wait_for main "^$C \+running \+$pid "

# ---- back up a running container: it keeps running ----
T send-keys -t main b
check "b asks where to put the backup (frozen while copied)" wait_for main "Back up $C (frozen for a moment"
check "the directory defaults to <root>/backups" wait_for main "$BKDIR"
T send-keys -t main Enter
check "the status line names the backup file" wait_for main "$C backed up to $BKDIR/$C-.*\.tar\.gz" 30
bk=$(backups)
check "one backup file was written ($bk)" test "$(backups | wc -l)" -eq 1
check "$C keeps running with the same init ($pid)" \
	test "$(field "$C" state)" = running -a "$(field "$C" pid)" = "$pid"
check "the CLI lists the console's backup" test "$(d backup ls --json | jq -r '.[0].file')" = "$bk"
check "the backup is audited" test "$(d history --action backup --json | jq -r '.[0].target')" = "$C"

# ---- the backups view ----
T send-keys -t main B
check "B shows the backups view with its directory" wait_for main "Directory $BKDIR"
check "the backup is listed: container, image, size, file" \
	wait_for main " $C  *busybox  *[0-9.]\+[BKMG]  *$(basename "$bk")"
T send-keys -t main Escape
check "Esc goes back to the table" wait_for main "^$C \+running"

# ---- destroy with the CLI, restore from the console ----
expect_status 0 "destroy $C with the CLI" -- d destroy --force "$C"
check "the table no longer has $C" wait_gone main "^$C \+running"
T send-keys -t main B
check "the backups view still lists the backup" wait_for main " $C  *busybox "
T send-keys -t main Enter
check "Enter asks for the restored container's name" wait_for main "Name of the restored container"
check "the name defaults to the original ($C)" wait_for main "^ *[^ ] $C  *[^ ] *$"
T send-keys -t main Enter
check "the restore is reported" wait_for main "restored $C from $bk" 30
check "the table shows $C, stopped and selected" wait_for main "^$C \+stopped"
check "the engine has $C back" test "$(field "$C" state)" = stopped
T send-keys -t main s
check "s starts the restored container" wait_for main "$C started" 20
check "the engine has it running" test "$(field "$C" state)" = running
check "it has the file it had" test "$(d exec "$C" -- /bin/cat /root/data 2>&1)" = "kept-$$"
check "the restore is audited" test "$(d history --action restore --json | jq -r '.[0].target')" = "$C"

# ---- a taken name is held in the dialog; another name restores a copy ----
T send-keys -t main B Enter
check "restore again: the dialog opens" wait_for main "Name of the restored container"
check "the taken name is refused as it is shown" wait_for main "a container named '$C' exists already (running)"
T send-keys -t main Enter
sleep 0.3
check "Enter with a taken name keeps the dialog open" wait_for main "Name of the restored container"
T send-keys -t main C-u "Bad!"
check "a bad name is refused as it is typed" wait_for main "container name .Bad!. "
T send-keys -t main C-u "$R" Enter
check "restored under a new name" wait_for main "restored $R from $bk" 30
check "the copy exists, stopped" test "$(field "$R" state)" = stopped
check "$C is untouched" test "$(field "$C" state)" = running

# ---- commit a container to an image ----
select_row "$C"
T send-keys -t main m
check "m asks for the image's name" wait_for main "Name of the new image"
T send-keys -t main busybox
check "an existing image's name is refused as it is typed" wait_for main "image with this name exists already"
T send-keys -t main C-u "No/pe"
check "a bad image name is refused as it is typed" wait_for main "image name .No/pe. "
T send-keys -t main C-u "$IMG" Enter
check "the commit is reported" wait_for main "image $IMG made from $C" 60
check "the CLI lists the image" test "$(d image ls --json | jq -r --arg i "$IMG" '.[] | select(.name == $i) | .name')" = "$IMG"
T send-keys -t main Escape Escape i
digest=$(d image ls --json | jq -r --arg i "$IMG" '.[] | select(.name == $i) | .digest' | sed 's/^sha256://' | cut -c1-12)
check "i shows the images with size, users, arch, init, digest" \
	wait_for main "^$IMG  *$(uname -m)  *[0-9.]\+[KMG]  *0  */sbin/init  *${digest:-none}"
check "busybox shows its users (2: $C and $R)" wait_for main "^busybox  *$(uname -m)  *[0-9.]\+[KMG]  *2 "

# ---- a container on $IMG, backed up and destroyed: then the image goes ----
expect_status 0 "a container on $IMG (CLI)" -- d create "$G" --image "$IMG" --net none
expect_status 0 "back it up (CLI)" -- d backup "$G"
expect_status 0 "destroy it (CLI)" -- d destroy "$G"

# ---- remove: a used image is refused in place, an unused one goes ----
T send-keys -t main g d
check "d asks for the image's name" wait_for main "Type the name (busybox) to confirm"
T send-keys -t main busybox Enter
check "core's refusal is shown in place" wait_for main "^  image 'busybox' is used by 2 containers"
check "busybox is still there" test "$(d image ls --json | jq -r '.[0].name')" = busybox
T send-keys -t main j d
check "d on $IMG asks for its name" wait_for main "Type the name ($IMG) to confirm"
T send-keys -t main Escape
check "cancelling keeps it" wait_for main "remove cancelled; image $IMG is unchanged"
T send-keys -t main d "$IMG" Enter
check "the removal is reported" wait_for main "image $IMG removed" 20
check "the view no longer lists it" wait_gone main "^$IMG "
check "the CLI no longer lists it" test -z "$(d image ls --json | jq -r --arg i "$IMG" '.[] | select(.name == $i) | .name')"
check "its directory is gone" test ! -e "$DOME_ROOT/images/$IMG"

# ---- export ----
T send-keys -t main g x
check "x asks where to export busybox" wait_for main "Export image busybox"
T send-keys -t main C-u "relative.tar"
check "a relative path is refused as typed" wait_for main "give an absolute path"
T send-keys -t main C-u "$TEST_ROOT/bb.zip"
check "a wrong suffix is refused as typed" wait_for main "should end in .tar"
T send-keys -t main C-u "$TEST_ROOT/bb.tar.gz" Enter
check "the export is reported" wait_for main "image busybox exported to $TEST_ROOT/bb.tar.gz" 30
check "the tarball has busybox in it" bash -c "tar tzf '$TEST_ROOT/bb.tar.gz' | grep -q 'bin/busybox'"

# ---- restoring without the image is refused ----
T send-keys -t main B
check "the backups view lists $G's backup first (newest)" wait_for main "Directory $BKDIR"
gline=$(screen main | grep -n " $G  *$IMG " | cut -d: -f1)
cline=$(screen main | grep -n " $C  *busybox " | cut -d: -f1)
check "newest first: $G above $C" test -n "$gline" -a -n "$cline" -a "${gline:-0}" -lt "${cline:-0}"
T send-keys -t main g r
check "r on it is refused, naming the missing image" wait_for main "needs the image '$IMG', which is not here"
check "no dialog was opened" wait_gone main "Name of the restored container"
check "no $G came back" bash -c "! '$DOME' info '$G' >/dev/null 2>&1"

# ---- less isolation than a new container is asked about ----
expect_status 0 "a container on the host's network (CLI)" -- d create "$H" --net host
expect_status 0 "back it up (CLI)" -- d backup "$H"
expect_status 0 "destroy it (CLI)" -- d destroy "$H"
T send-keys -t main F5
check "the backups view lists $H's backup" wait_for main " $H  *busybox "
T send-keys -t main g r Enter
check "restoring it asks about the lower isolation" wait_for main "Less isolated than a new one: net_mode=host"
T send-keys -t main n
check "n cancels" wait_for main "restore cancelled; nothing changed"
check "no $H came back" bash -c "! '$DOME' info '$H' >/dev/null 2>&1"
T send-keys -t main g r Enter
check "asked again" wait_for main "Less isolated than a new one: net_mode=host"
T send-keys -t main y
check "y restores it" wait_for main "restored $H from" 30
check "on the host's network, as it was" test "$(field "$H" net_mode)" = host
check "the consent is audited" \
	test "$(d history --action restore --json | jq -r '.[0].params.allow_less_isolation')" = true
T send-keys -t main B
check "back in the backups view" wait_for main "Directory $BKDIR"
T send-keys -t main Escape
check "quit" quit main
T kill-session -t main

# ---- require_reason: a backup asks for a reason and records it ----
printf '[audit]\nrequire_reason = yes\n' > "$TEST_ROOT/reason.conf"
start rs 120 40 DOME_CONFIG="$TEST_ROOT/reason.conf" --
nbefore=$(backups | wc -l)
check "reason: the console runs" wait_for rs "^$C \+running"
select_row "$C"
T send-keys -t rs b
check "reason: the backup dialog opens" wait_for rs "Back up $C"
T send-keys -t rs Enter
check "reason: the backup asks for a reason" wait_for rs "Reason for backing up $C"
T send-keys -t rs Escape
check "reason: cancelling writes nothing" wait_for rs "no reason given, so nothing was changed"
check "reason: no backup file was written" test "$(backups | wc -l)" -eq "$nbefore"
T send-keys -t rs b Enter
check "reason: asked again" wait_for rs "Reason for backing up $C"
T send-keys -t rs "before upgrade $$" Enter
check "reason: the backup is made" wait_for rs "$C backed up to $BKDIR/" 30
check "reason: one more backup file" test "$(backups | wc -l)" -eq $((nbefore + 1))
check "reason: the history has the reason" \
	test "$(d history --action backup --json | jq -r '.[0].reason')" = "before upgrade $$"
check "reason: q quits" quit rs

# ---- read-only refuses a backup ----
nbefore=$(backups | wc -l)
start ro 120 40 -- --readonly
check "read-only: $C is shown" wait_for ro "^$C \+running"
select_row "$C"
T send-keys -t ro b
check "read-only refuses the backup with the reason" \
	wait_for ro "read-only: cannot back up (dome was started with --readonly)"
check "read-only: no dialog" wait_gone ro "Back up $C"
T send-keys -t ro m
check "read-only refuses a commit" wait_for ro "read-only: cannot make an image"
T send-keys -t ro B r
check "read-only refuses a restore" wait_for ro "read-only: cannot restore a backup"
T send-keys -t ro i d
check "read-only refuses removing an image" wait_for ro "read-only: cannot remove an image"
check "no backup was written" test "$(backups | wc -l)" -eq "$nbefore"
T send-keys -t ro Escape
check "read-only: q quits" quit ro
finish
