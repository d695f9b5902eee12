/* `dome wall`: a view-only kiosk for ops screens. Large, plain states;
 * problem containers (error, then anything not running or stopped, then
 * frozen) first; the whole screen is repainted every refresh, so any resize
 * comes out right. Nothing here allocates per refresh beyond the table. */
#include "tui.h"
#include "format.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int problem_rank(const char *state)
{
	if (strcmp(state, "error") == 0)
		return 0;
	if (strcmp(state, "frozen") == 0)
		return 2;
	if (strcmp(state, "running") == 0)
		return 3;
	if (strcmp(state, "stopped") == 0)
		return 4;
	return 1; /* starting, stopping: in transit */
}

void tui_wall_draw(struct tui *t)
{
	const struct dome_host *h = &t->host;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	attrset(tui_attr(t, TUI_HEADER));
	mvprintw(0, 0, "%s", h->hostname);
	attrset(A_NORMAL);
	printw("  %s  CPU %.0f%%  load %.2f  ", when, h->cpu_pct, h->load[0]);
	attrset(tui_attr(t, TUI_RUNNING));
	printw("%u RUNNING", h->running);
	attrset(A_NORMAL);
	addstr("  ");
	attrset(tui_attr(t, TUI_FROZEN));
	printw("%u FROZEN", h->frozen);
	attrset(A_NORMAL);
	addstr("  ");
	attrset(tui_attr(t, TUI_STOPPED));
	printw("%u STOPPED", h->stopped);
	attrset(A_NORMAL);
	if (h->other) {
		addstr("  ");
		attrset(tui_attr(t, TUI_ERROR));
		printw("%u OTHER", h->other);
		attrset(A_NORMAL);
	}
	/* Cards: NAME on one line, STATE in capitals below; as many columns as fit. */
	int cw = 26;
	int ncols = COLS / cw > 0 ? COLS / cw : 1;
	int y = 2, col = 0;
	for (int rank = 0; rank <= 4; rank++) {
		for (size_t i = 0; i < t->nvisible; i++) {
			const struct tui_row *r = &t->rows[t->order[i]];
			if (problem_rank(r->c.state) != rank)
				continue;
			if (y + 2 >= LINES)
				goto full;
			int x = col * cw;
			char fit[64], state[32];
			tui_fit(r->c.name, cw - 2, fit, sizeof fit);
			attrset(A_BOLD);
			mvaddstr(y, x, fit);
			size_t k = 0;
			for (; r->c.state[k] && k < sizeof state - 1; k++)
				state[k] = (char)(r->c.state[k] >= 'a' && r->c.state[k] <= 'z' ?
						  r->c.state[k] - 32 : r->c.state[k]);
			state[k] = '\0';
			attrset(tui_attr(t, tui_state_role(r->c.state)) | A_BOLD | A_REVERSE);
			mvprintw(y + 1, x, " %-*s", cw - 3, state);
			attrset(A_NORMAL);
			if (r->live) {
				char mem[16];
				tui_fmt_size(r->mem, mem, sizeof mem);
				mvprintw(y + 1, x + 12, " %.0f%% %s ", r->cpu_pct, mem);
			}
			if (++col == ncols) {
				col = 0;
				y += 3;
			}
		}
	}
	if (!t->nrows)
		mvaddstr(3, 2, "No containers.");
full:
	attrset(tui_attr(t, TUI_DIM));
	mvaddnstr(LINES - 1, 0, "dome wall: view only; q quits", COLS - 1);
	attrset(A_NORMAL);
}
