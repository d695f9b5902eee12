#!/bin/bash
# The console as a user meets it, driven through tmux (send-keys, then read
# the screen with capture-pane): header, table, filter, sort, help, resize,
# TERM=vt100 with NO_COLOR, a bad theme, read-only refusing a stop, and q
# restoring the terminal. Rows are put in a private state root by inv-add.
. "${DOME_SRCDIR:-.}/tests/lib.sh"
. "${DOME_SRCDIR:-.}/tests/console/tmux.sh"
export DOME_CONFIG=/dev/null
R="$TEST_ROOT/state"
INV_ADD="$(dirname "$DOME")/tests/console/inv-add"
SOCK="dome-console-$$"
cleanup() { T kill-server 2>/dev/null; cleanup_root; }
trap cleanup EXIT

# start SESSION WIDTH HEIGHT ENV... -- DOME-ARGS...
start() {
	S=$1; w=$2; h=$3; shift 3
	envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
	tmux_session "$S" "$w" "$h" \
		env "${envs[@]}" DOME_CONFIG=/dev/null "$DOME" --root "$R" "$@"
}

for c in web db cache; do "$INV_ADD" "$R" "$c" stopped no 512M || exit 1; done

case "$(stat -f -c %T /sys/fs/cgroup)" in
cgroup2fs) layout=v2 ;;
*) if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then layout=hybrid; else layout=v1; fi ;;
esac

start main 120 40 TERM=xterm-256color LANG=C.UTF-8 -- 
check "the header shows the hostname" wait_for main "^$(hostname)"
check "the header shows the cgroup layout ($layout)" wait_for main "cgroup $layout"
check "the header counts 3 stopped" wait_for main "0 running, 0 frozen, 3 stopped"
check "the table lists web" wait_for main "^web .*stopped"
check "the table lists db and cache" bash -c "$(declare -f screen T); SOCK=$SOCK; screen main | grep -q '^db ' && screen main | grep -q '^cache '"
check "the footer shows function keys" wait_for main "F1Help"
a=$(line_of "^cache "); b=$(line_of "^db "); c=$(line_of "^web ")
check "sorted by name: cache, db, web" test "$a" -lt "$b" -a "$b" -lt "$c"
T send-keys -t main I
check "I inverts the sort" wait_for main "descending"
a=$(line_of "^cache "); b=$(line_of "^db "); c=$(line_of "^web ")
check "inverted: web, db, cache" test "$c" -lt "$b" -a "$b" -lt "$a"
T send-keys -t main I

T send-keys -t main / w e
check "the filter line shows what is typed" wait_for main "Filter: we"
check "the filter hides db" wait_gone main "^db "
check "the filter keeps web" wait_for main "^web "
check "the filter hides cache" bash -c "! tmux -L $SOCK capture-pane -p -t main | grep -q '^cache '"
T send-keys -t main Escape
check "Esc clears the filter" wait_for main "^db "

T send-keys -t main '?'
check "? shows the help" wait_for main "this help"
check "the help lists the destroy key" wait_for main "type its name to confirm"
check "the help lists the history view" wait_for main "^H  *host: history"
T send-keys -t main NPage
check "PgDn scrolls the help: CPU% is of one core" wait_for main "share of ONE core"
check "the help explains the host views' keys" wait_for main "Host views (i images, N network"
T send-keys -t main q
check "q leaves the help" wait_for main "^web "

T resize-window -t main -x 80 -y 24
check "at 80x24 the table is still there" wait_for main "^web "
check "at 80x24 the sparkline column is dropped" wait_gone main "CPU 1m"
check "at 80x24 the screen has 24 lines" test "$(screen main | wc -l)" -eq 24
check "at 80x24 the footer is on the last line" bash -c "tmux -L $SOCK capture-pane -p -t main | tail -1 | grep -q F1Help"
T resize-window -t main -x 120 -y 40
check "back at 120x40 the sparkline column returns" wait_for main "CPU 1m"
check "back at 120x40 the footer is on line 40" bash -c "tmux -L $SOCK capture-pane -p -t main | sed -n 40p | grep -q F1Help"

T send-keys -t main c
check "create opens a dialog (or says why not)" wait_for main "Create a container\|cannot create"
T send-keys -t main Escape
# Wait for the dialog to close: ESC followed at once by q reads as Alt-q.
check "Escape closes the dialog" wait_gone main "Create a container"
T send-keys -t main q
check "q quits" pane_dead main
check "the terminal is restored (no console left on screen)" wait_gone main "F1Help"

S=ro
start ro 120 40 TERM=xterm-256color -- --readonly
check "read-only: the header says so" wait_for ro "READ-ONLY"
T resize-window -t ro -x 60 -y 24
check "read-only at 60 columns: the marker is still on the header line" wait_line ro 1 "cgroup .*\[READ-ONLY\]$"
T resize-window -t ro -x 120 -y 40
T send-keys -t ro x
check "read-only refuses a stop with the reason" wait_for ro "read-only: cannot stop (dome was started with --readonly)"
check "read-only: the footer offers no Stop" bash -c "! tmux -L $SOCK capture-pane -p -t ro | tail -1 | grep -q F8Stop"
T send-keys -t ro q

S=vt
start vt 80 24 TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 --
check "TERM=vt100 NO_COLOR: the table is drawn" wait_for vt "^web "
check "TERM=vt100: ASCII bars only" bash -c "! tmux -L $SOCK capture-pane -p -t vt | grep -q '█\|▏\|─'"
check "TERM=vt100: bars use [ and |" wait_for vt "^CPU \[.*\]"
T send-keys -t vt q
check "TERM=vt100: q quits" pane_dead vt

printf '[colors]\nheader = cyan\nselected = pink\n' > "$TEST_ROOT/bad.theme"
S=th
start th 160 40 TERM=xterm-256color -- --theme "$TEST_ROOT/bad.theme"
check "a bad theme is reported with its line" wait_for th "bad.theme line 3"
check "and the default theme is used" wait_for th "using the default theme"
check "the console still runs with a bad theme" wait_for th "^web "
T send-keys -t th q
finish
