# Driving the console in a real terminal: tmux on a private socket
# ($SOCK, set by the sourcing test), keys sent with send-keys, the screen
# read with capture-pane. Sourced by the tests/console scripts after
# tests/lib.sh; $S is the session the last start used (check prints it when
# a check fails).

T() { tmux -L "$SOCK" "$@"; }
screen() { T capture-pane -p -t "$1"; }

# wait_for SESSION PATTERN [SECONDS]: the pattern shows up on the screen
# (default 10 s)
wait_for() {
	for _ in $(seq $((${3:-10} * 10))); do
		screen "$1" | grep -q -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
# wait_gone SESSION PATTERN: the pattern leaves the screen within 10 s
wait_gone() {
	for _ in $(seq 100); do
		screen "$1" | grep -q -- "$2" || return 0
		sleep 0.1
	done
	return 1
}
# wait_line SESSION LINE PATTERN: screen line LINE (from 1) matches
wait_line() {
	for _ in $(seq 100); do
		screen "$1" | sed -n "$2p" | grep -q -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
# line_of PATTERN: the first screen line (from 1) of session $S matching it
line_of() { screen "$S" | grep -n -- "$1" | head -1 | cut -d: -f1; }

# check DESC CMD...: one TAP line; a failure shows the screen it saw
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; screen "$S" | sed '/^ *$/d; s/^/#   /'; fi
}

# pane_dead SESSION: the console process is gone within 10 s (tmux's
# pane_dead; its "Pane is dead" line is not always on the captured screen)
pane_dead() {
	for _ in $(seq 100); do
		[ "$(T list-panes -t "$1" -F '#{pane_dead}')" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
# quit SESSION: q, then the console process is gone
quit() {
	T send-keys -t "$1" q
	pane_dead "$1"
}

# tmux_session SESSION WIDTH HEIGHT CMD...: a detached session of that size
# running CMD, kept on screen after CMD exits (so its last screen can be
# read). The first call also opens a "keep" session that lives until the
# test's cleanup kills the server: a tmux server exits with its last
# session, and a new-session racing that exit fails with "server exited
# unexpectedly".
tmux_session() {
	local s=$1 w=$2 h=$3
	shift 3
	T has-session -t keep 2>/dev/null ||
		T new-session -d -s keep -x 80 -y 24 sleep 86400 || return 1
	S=$s
	T new-session -d -s "$s" -x "$w" -y "$h" "$@" \; \
		set-option -t "$s" remain-on-exit on
}
