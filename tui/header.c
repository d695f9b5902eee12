/* Header meters: who and what the host is, then CPU, memory and disk bars
 * (coloured at 60% and 80%), then container counts. */
#include "tui.h"
#include "format.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

int tui_header_height(const struct tui *t)
{
	(void)t;
	return 3;
}

static enum tui_role level_role(double fraction)
{
	switch (tui_level_of(fraction)) {
	case TUI_LEVEL_CRIT: return TUI_BAR_CRIT;
	case TUI_LEVEL_WARN: return TUI_BAR_WARN;
	default: return TUI_BAR_OK;
	}
}

/* "Lbl[||||||     text]" in `width` cells; the text sits at the right end. */
void tui_draw_bar(const struct tui *t, int y, int x, int width, const char *label,
		  double fraction, const char *text)
{
	int lw = tui_cells(label);
	int inner = width - lw - 2;
	if (inner < 1)
		return;
	attrset(tui_attr(t, TUI_LABEL));
	mvaddstr(y, x, label);
	attrset(A_BOLD);
	addch('[');
	char bar[512];
	tui_bar(fraction, inner, t->utf8, bar, sizeof bar);
	attrset(tui_attr(t, level_role(fraction)));
	addstr(bar);
	attrset(A_BOLD);
	addch(']');
	int tw = tui_cells(text);
	if (tw < inner) {
		attrset(A_NORMAL);
		mvaddstr(y, x + lw + 1 + inner - tw, text);
	}
	attrset(A_NORMAL);
}

/* The host line, most detailed form that fits: on a narrow terminal the
 * distro, then the kernel, then the uptime go first, so the cgroup layout and
 * the READ-ONLY / WALL marker (what an operator must not miss) stay; only
 * when even the shortest form does not fit is it cut (with "~"). */
static void draw_identity(struct tui *t, int y)
{
	const struct dome_host *h = &t->host;
	char up[32], load[48], line[512], fit[512];
	tui_fmt_duration((int64_t)h->uptime_s, up, sizeof up);
	snprintf(load, sizeof load, "load %.2f %.2f %.2f", h->load[0], h->load[1], h->load[2]);
	const char *mode = t->readonly ? (t->wall ? "  [WALL]" : "  [READ-ONLY]") : "";
	attrset(tui_attr(t, TUI_HEADER));
	mvaddstr(y, 0, h->hostname);
	attrset(A_NORMAL);
	int room = COLS - getcurx(stdscr);
	for (int form = 0; form < 4; form++) {
		switch (form) {
		case 0:
			snprintf(line, sizeof line, "  %s  kernel %s  up %s  %s  cgroup %s%s", h->distro,
				 h->kernel, up, load, h->cgroup_layout, mode);
			break;
		case 1:
			snprintf(line, sizeof line, "  kernel %s  up %s  %s  cgroup %s%s", h->kernel, up,
				 load, h->cgroup_layout, mode);
			break;
		case 2:
			snprintf(line, sizeof line, "  up %s  %s  cgroup %s%s", up, load,
				 h->cgroup_layout, mode);
			break;
		default:
			snprintf(line, sizeof line, "  cgroup %s%s", h->cgroup_layout, mode);
			break;
		}
		if (tui_cells(line) <= room)
			break;
	}
	tui_fit(line, room, fit, sizeof fit);
	addstr(fit);
}

void tui_header_draw(struct tui *t, int y)
{
	const struct dome_host *h = &t->host;
	draw_identity(t, y);
	int half = COLS / 2;
	char text[128], a[32], b[32], c[32];

	snprintf(text, sizeof text, "%.1f%% of %d CPU%s", h->cpu_pct, h->ncpu,
		 h->ncpu == 1 ? "" : "s");
	tui_draw_bar(t, y + 1, 0, half - 1, "CPU ", h->cpu_pct / 100.0, text);

	tui_fmt_size(h->mem_used, a, sizeof a);
	tui_fmt_size(h->mem_cached, b, sizeof b);
	tui_fmt_size(h->mem_total, c, sizeof c);
	snprintf(text, sizeof text, "%s used %s cache/%s", a, b, c);
	tui_draw_bar(t, y + 1, half, COLS - half, "Mem ",
		     h->mem_total ? (double)h->mem_used / (double)h->mem_total : 0, text);

	tui_fmt_size(h->disk_used, a, sizeof a);
	tui_fmt_size(h->disk_total, b, sizeof b);
	snprintf(text, sizeof text, "%s/%s", a, b);
	tui_draw_bar(t, y + 2, 0, half - 1, "Disk",
		     h->disk_total ? (double)h->disk_used / (double)h->disk_total : 0, text);

	move(y + 2, half);
	attrset(tui_attr(t, TUI_LABEL));
	addstr("Containers ");
	attrset(tui_attr(t, TUI_RUNNING));
	printw("%u running", h->running);
	attrset(A_NORMAL);
	addstr(", ");
	attrset(tui_attr(t, TUI_FROZEN));
	printw("%u frozen", h->frozen);
	attrset(A_NORMAL);
	addstr(", ");
	attrset(tui_attr(t, TUI_STOPPED));
	printw("%u stopped", h->stopped);
	attrset(A_NORMAL);
	if (h->other) {
		addstr(", ");
		attrset(tui_attr(t, TUI_ERROR));
		printw("%u other", h->other);
		attrset(A_NORMAL);
	}
}
