#!/bin/bash
# Hostile input: names, sizes and config files meant to break or escape.
# Each must fail with exit status 1 or 2 and a clear "dome: ..." message, and
# change nothing: the inventory and the audit history stay the same, no file
# appears in the state root, the working directory or where the input points,
# and nothing in the input is ever run by a shell.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 77; }
[ -x "$DOME" ] || { echo "# no dome binary at $DOME"; exit 99; }
export DOME_CONFIG=/dev/null
export DOME_ROOT="$TEST_ROOT/state"
export DOME_CGROUP_PREFIX="dome-ho-$$"
cleanup() {
	"$DOME" destroy --force "good$$" >/dev/null 2>&1
	for h in $(cgroup_hierarchies); do
		[ -d "$h$DOME_CGROUP_PREFIX" ] && find "$h$DOME_CGROUP_PREFIX" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT
cwd="$TEST_ROOT/cwd"
mkdir -p "$cwd" && cd "$cwd" || exit 99
G="good$$"
"$DOME" create "$G" --net none --memory 64M >/dev/null || { echo "# cannot create $G"; exit 99; }

snapshot() {
	{
		sqlite3 "$DOME_ROOT/dome.db" "SELECT * FROM containers ORDER BY id"
		sqlite3 "$DOME_ROOT/dome.db" "SELECT id, action, target, result FROM changes ORDER BY id"
		(cd "$DOME_ROOT" && find . -path ./run -prune -o -print | grep -v '^\./dome\.db' | sort)
		ls -A "$cwd"
	} > "$1"
}
snapshot "$TEST_ROOT/before"

# refused DESC CMD...: exit 1 or 2 and a "dome: " message on stderr.
refused() {
	local desc=$1; shift
	"$DOME" "$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err" </dev/null
	local st=$?
	if { [ $st = 1 ] || [ $st = 2 ]; } && grep -q '^dome: ..........' "$TEST_ROOT/err"; then
		ok "$desc (exit $st)"
	else
		not_ok "$desc (exit $st)"; sed 's/^/#   /' "$TEST_ROOT/err"
	fi
}

long=$(printf 'a%.0s' $(seq 1 64))
huge=$(printf 'x%.0s' $(seq 1 5000))
names=("" "$long" "$huge" ".." "." "/" "a/b" "../../etc" "a;b" "a;touch $TEST_ROOT/pwned1"
       "\$(id)" "\$(touch $TEST_ROOT/pwned2)" "\`touch $TEST_ROOT/pwned3\`" "ünïcødé" "Web" "a b"
       $'a\nb' "-rf" "--force" "web-" "a*" "%s%n%s" "a'b" "a\"b")
for name in "${names[@]}"; do
	shown=$(printf '%q' "$name" | cut -c1-40)
	refused "create $shown" create "$name" --net none
	refused "start $shown" start "$name"
	refused "set $shown" set "$name" memory=128M
	refused "destroy $shown" destroy --force "$name"
	refused "info $shown" info "$name"
	refused "exec $shown" exec "$name" -- /bin/true
	refused "clone to $shown" clone "$G" "$name"
done
for size in -1 1e99 0x10 99999999999999999999999 18446744073709551616 garbage "" " 1M" 1M1 \
	1.5.5G 1.12345G 12Q -0 +5M "1M;id" "\$(id)" 1e3M nan inf; do
	shown=$(printf '%q' "$size")
	refused "create --memory $shown" create "new$$" --memory "$size"
	refused "set memory=$shown" set "$G" "memory=$size"
done
for v in "cpus=-1" "cpus=1e99" "cpus=0x10" "cpus=0" "cpus=99999999" "cpuset=0-99999" "cpuset=3-1" \
	"cpuset=a" "cpuset=0,,1" "cpuset=-1" "pids=-1" "pids=0x10" "pids=1e9" "cpu_weight=0" \
	"cpu_weight=10001" "autostart=maybe" "nosuch=1" "=1" "memory" "memory_swap=1M" "$huge=1"; do
	refused "set $(printf '%q' "$v" | cut -c1-40)" set "$G" "$v"
done
refused "stop --timeout -1" stop "$G" --timeout -1
refused "stop --timeout 1e99" stop "$G" --timeout 1e99
refused "create --ip 999.1.1.1" create "new$$" --ip 999.1.1.1
refused "create --ip \$(id)" create "new$$" --ip '$(id)'
refused "create --net \$(id)" create "new$$" --net '$(id)'
refused "create --image ../../etc" create "new$$" --image ../../etc

# Junk configuration files: the error names the file.
i=0
for junk in "$(head -c 512 /dev/urandom | tr -d '\0')" "[network]\nbridge = ../../x" \
	"[network]\nbridge = \$(id)" "[nosuch]\nkey = 1" "key_without_section = 1" \
	"[network]\nsubnet = 300.1.1.1/99" "[container]\nstop_timeout = -1" \
	"[container]\nconsole_log_max = 1e99" "[paths]\nroot = relative/path" \
	"[cgroup]\nprefix = ../../escape" "[network]\n$huge = 1" "[[[" "[paths]\nroot"; do
	i=$((i + 1))
	printf '%b\n' "$junk" > "$TEST_ROOT/junk$i.conf"
	refused "junk config $i" --config "$TEST_ROOT/junk$i.conf" create "new$$"
	grep -q "junk$i.conf" "$TEST_ROOT/err" && ok "junk config $i: the error names the file" || { not_ok "junk config $i: the error names the file"; sed 's/^/#   /' "$TEST_ROOT/err"; }
done
refused "a missing --config" --config "$TEST_ROOT/nosuch.conf" ls

# Files that are not whole text files: refused as such, never half-read (a
# long comment's tail was read as a key, a NUL ended a value silently, a
# directory read as empty, /dev/zero and a FIFO never ended). The message
# names the file.
mkfifo "$TEST_ROOT/fifo.conf" "$TEST_ROOT/fifo.tar"
printf '[console]\n# %0197dmouse = no\n' 0 > "$TEST_ROOT/long.conf"
printf '[container]\nstop_timeout = 5\0; and the rest\n' > "$TEST_ROOT/nul.conf"
for cf in "$TEST_ROOT" /dev/zero "$TEST_ROOT/fifo.conf" "$TEST_ROOT/long.conf" "$TEST_ROOT/nul.conf"; do
	timeout 20 "$DOME" --config "$cf" ls >"$TEST_ROOT/out" 2>"$TEST_ROOT/err" </dev/null
	st=$?
	[ $st = 2 ] && grep -q "^dome: .*$cf" "$TEST_ROOT/err" && ok "config $cf refused, named (exit $st)" || { not_ok "config $cf refused, named (exit $st)"; sed 's/^/#   /' "$TEST_ROOT/err"; }
done
for what in restore "image import imp$$"; do
	for f in "$TEST_ROOT/fifo.tar" "$TEST_ROOT"; do
		timeout 20 "$DOME" $what "$f" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err" </dev/null
		st=$?
		{ [ $st = 1 ] || [ $st = 2 ]; } && grep -q "^dome: .*not a regular file" "$TEST_ROOT/err" && ok "$what of $f refused: not a regular file" || { not_ok "$what of $f refused: not a regular file (exit $st)"; sed 's/^/#   /' "$TEST_ROOT/err"; }
	done
done

snapshot "$TEST_ROOT/after"
if diff -u "$TEST_ROOT/before" "$TEST_ROOT/after" > "$TEST_ROOT/diff"; then
	ok "inventory, history, state files and working directory unchanged"
else
	not_ok "inventory, history, state files and working directory unchanged"; sed 's/^/#   /' "$TEST_ROOT/diff"
fi
for f in pwned1 pwned2 pwned3; do
	[ ! -e "$TEST_ROOT/$f" ] && ok "nothing in the input was run ($f)" || not_ok "nothing in the input was run ($f)"
done
for p in /a /b "/a;b" "/tmp/a;b" "/\$(id)" /etc/new$$ /escape; do
	[ ! -e "$p" ] && ok "no file named by the input at $p" || not_ok "no file named by the input at $p"
done
escaped=""
for h in $(cgroup_hierarchies); do [ -e "${h}escape" ] && escaped="$escaped ${h}escape"; done
[ -z "$escaped" ] && ok "no cgroup escaped the hierarchy" || not_ok "no cgroup escaped the hierarchy:$escaped"
expect_status 0 "the history chain verifies" -- "$DOME" history verify

# What came from outside reaches the terminal with its control characters
# escaped: a container's console log (it could retitle, clear or reprogram
# the terminal), a name or an archive member quoted in an error, a reason.
esc=$(printf '\033')
no_esc() { # DESC FILE: no ESC, BEL, CR or C1 CSI byte in FILE
	if LC_ALL=C grep -q "[$esc$(printf '\007\r')]\|$(printf '\302\233')" "$2"; then
		not_ok "$1"; od -c "$2" | head -5 | sed 's/^/#   /'
	else ok "$1"; fi
}
"$DOME" info "a${esc}]0;pwned$(printf '\007')" 2>"$TEST_ROOT/err" >/dev/null
no_esc "an error quoting a bad name is escaped" "$TEST_ROOT/err"
expect_grep "$TEST_ROOT/err" 'a\\e]0;pwned\\x07' "the name is shown as \\e]0;pwned\\x07"
"$DOME" "nosuch${esc}[2J" 2>"$TEST_ROOT/err"
no_esc "an unknown verb is quoted escaped" "$TEST_ROOT/err"
# an archive whose member (an absolute path, refused) names itself with ESC
mkdir -p "$TEST_ROOT/evil" && touch "$TEST_ROOT/evil/${esc}]0;pwned$(printf '\007')"
tar -cPf "$TEST_ROOT/evil.tar" "$TEST_ROOT/evil/${esc}]0;pwned$(printf '\007')"
"$DOME" image import "evil$$" "$TEST_ROOT/evil.tar" >/dev/null 2>"$TEST_ROOT/err"
no_esc "an error quoting an archive member is escaped" "$TEST_ROOT/err"
expect_grep "$TEST_ROOT/err" '\\e]0;pwned' "the member is shown escaped"
"$DOME" --reason "$(printf 'line one\nID  TIME  root  destroy  web  ok\033[2J')" set "$G" pids=77 >/dev/null 2>&1
"$DOME" history > "$TEST_ROOT/history"
no_esc "history shows a reason escaped" "$TEST_ROOT/history"
expect_grep "$TEST_ROOT/history" 'line one\\nID  TIME' "the reason stays on its line, its newline shown as \\n"
"$DOME" report --since -1h > "$TEST_ROOT/report"
no_esc "the report shows a reason escaped" "$TEST_ROOT/report"
expect_status 0 "start $G" -- "$DOME" start "$G"
"$DOME" exec "$G" -- sh -c 'printf "hostile\033]0;pwned\007 \033[2J\233x \303\274\rover\n" > /dev/console'
"$DOME" logs "$G" > "$TEST_ROOT/log"
no_esc "dome logs escapes the container's control characters" "$TEST_ROOT/log"
expect_grep "$TEST_ROOT/log" 'hostile\\e]0;pwned\\x07 \\e\[2J\\x9bx ü\\rover$' "dome logs shows them as \\e, \\r, \\xNN (UTF-8 kept, CR LF a line)"
"$DOME" logs --raw "$G" > "$TEST_ROOT/raw"
grep -q "hostile${esc}]0;pwned" "$TEST_ROOT/raw" && ok "--raw to a file writes the bytes as they are" || not_ok "--raw to a file writes the bytes as they are"
script -qec "$DOME logs --raw $G" /dev/null > "$TEST_ROOT/tty" 2>&1
st=$?
[ "$st" = 2 ] && ! grep -q "hostile" "$TEST_ROOT/tty" && ok "--raw to a terminal is refused" || { not_ok "--raw to a terminal is refused (exit $st)"; sed 's/^/#   /' "$TEST_ROOT/tty"; }
script -qec "$DOME logs $G" /dev/null 2>&1 | tr -d '\r' > "$TEST_ROOT/tty" # the pty's own CR LF
no_esc "dome logs on a terminal escapes them too" "$TEST_ROOT/tty"
expect_grep "$TEST_ROOT/tty" 'hostile\\e]0;pwned' "dome logs on a terminal shows them escaped"
finish
