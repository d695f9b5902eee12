/* Help: every key from the key table, plus the container view's keys and
 * what the figures mean. Scrolls with the movement keys. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

static void help_key_name(const struct tui_key *k, char *out, size_t len)
{
	char a[16] = "", b[16] = "";
	int keys[2] = { k->key, k->alias };
	char *outs[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		int c = keys[i];
		if (!c)
			continue;
		if (c >= KEY_F(1) && c <= KEY_F(12))
			snprintf(outs[i], 16, "F%d", c - KEY_F(0));
		else if (c == KEY_UP) snprintf(outs[i], 16, "Up");
		else if (c == KEY_DOWN) snprintf(outs[i], 16, "Down");
		else if (c == KEY_PPAGE) snprintf(outs[i], 16, "PgUp");
		else if (c == KEY_NPAGE) snprintf(outs[i], 16, "PgDn");
		else if (c == KEY_HOME) snprintf(outs[i], 16, "Home");
		else if (c == KEY_END) snprintf(outs[i], 16, "End");
		else if (c == KEY_ENTER || c == '\n') snprintf(outs[i], 16, "Enter");
		else if (c == 27) snprintf(outs[i], 16, "Esc");
		else if (c < 32) snprintf(outs[i], 16, "^%c", c + '@');
		else snprintf(outs[i], 16, "%c", c);
	}
	if (k->key == '\n')
		b[0] = '\0';
	snprintf(out, len, "%s%s%s", a, b[0] ? " " : "", b);
}

static const char *const extra[] = {
	"",
	"Container view (Enter): Tab/Right next tab, Left previous tab, Esc or q back",
	"  Limits: Up/Down choose, Enter edit (checked as you type; applied live)",
	"  Logs: f follow on/off, / search, n next match, PgUp/PgDn scroll",
	"  Processes: Up/Down scroll; 1-7 jump to a tab",
	"  History: Up/Down select a change, u roll it back (asks first)",
	"  Metrics: w/W the window (1h, 24h, 30d) from metrics.db; changes marked ^",
	"Host views (i images, N network, K kernel check, H history, B backups, S metrics):",
	"  Up/Down select or scroll, u in H rolls back the selected change,",
	"  r refresh (K runs the check again), Esc or q back",
	"  Images (i): d removes the selected image (type its name; refused while",
	"    used), x exports it to a tarball (changes nothing: read-only allows it)",
	"  Backups (B): Enter or r restores the selected backup under a name you",
	"    give; o lists another directory (default <state root>/backups); F5",
	"    refreshes",
	"  Network (N): e changes a setting (bridge, subnet, nameservers, nat),",
	"    checked as you type and applied live, as `dome net KEY=VALUE` does",
	"With require_reason = yes every change asks for a reason (kept in the history).",
	"",
	"CPU% is the share of ONE core: 100% = one core busy; 2 cores busy = 200%.",
	"The header's CPU bar is the share of the whole host.",
	"Memory bars turn yellow at 60% and red at 80% of the limit.",
	"CPU 1m: a sparkline of the last minute of CPU% (one sample per refresh).",
	"Read-only mode (--readonly, or not root): changes are refused with a reason.",
	"",
	"Press q, Esc or F1 to leave this help.",
};

static int help_lines(void)
{
	return 2 + (int)tui_nkeys + (int)(sizeof extra / sizeof extra[0]);
}

void tui_help_draw(struct tui *t)
{
	int total = help_lines();
	int y = 0;
	int skip = (int)t->view_scroll;
	if (skip > total - (LINES - 1))
		skip = total - (LINES - 1) > 0 ? total - (LINES - 1) : 0;
	t->view_scroll = (size_t)skip;
	int line = 0;
#define EMIT(...) do { if (line++ >= skip && y < LINES - 1) { move(y++, 0); printw(__VA_ARGS__); } } while (0)
	attrset(tui_attr(t, TUI_TITLE));
	EMIT("dome %s console help%s", PACKAGE_VERSION, t->readonly ? " (read-only: changes are refused)" : "");
	attrset(A_NORMAL);
	EMIT(" ");
	for (size_t i = 0; i < tui_nkeys; i++) {
		char name[40];
		help_key_name(&tui_keys[i], name, sizeof name);
		attrset(tui_attr(t, TUI_KEY));
		if (line >= skip && y < LINES - 1) {
			mvprintw(y, 0, "%-12s", name);
			attrset(tui_keys[i].mutating && t->readonly ? tui_attr(t, TUI_DIM) : (int)A_NORMAL);
			mvaddnstr(y, 13, tui_keys[i].help, COLS - 14);
			if (tui_keys[i].mutating && t->readonly)
				addstr(" [read-only]");
			y++;
		}
		line++;
		attrset(A_NORMAL);
	}
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		EMIT("%.*s", COLS - 1, extra[i]);
#undef EMIT
	attrset(tui_attr(t, TUI_KEY_LABEL));
	tui_clear_line(LINES - 1, 0);
	mvaddstr(LINES - 1, 0, " Help: Up/Down/PgUp/PgDn scroll, q/Esc/F1 back");
	attrset(A_NORMAL);
}

bool tui_help_key(struct tui *t, int ch)
{
	switch (ch) {
	case 'q': case 27: case KEY_F(1): case '?': case KEY_F(10):
		t->mode = MODE_MAIN;
		return true;
	case 'j': case KEY_DOWN: t->view_scroll++; return true;
	case 'k': case KEY_UP: if (t->view_scroll) t->view_scroll--; return true;
	case KEY_NPAGE: case ' ': t->view_scroll += (size_t)(LINES - 2); return true;
	case KEY_PPAGE:
		t->view_scroll = t->view_scroll > (size_t)(LINES - 2) ? t->view_scroll - (size_t)(LINES - 2) : 0;
		return true;
	case 'g': case KEY_HOME: t->view_scroll = 0; return true;
	default: return false;
	}
}
