/* Screen manager: curses setup, colours from the theme, the status line and
 * the main loop (one getch with the refresh interval as its timeout; curses
 * turns SIGWINCH into KEY_RESIZE, so a resize is just another key). */
#include "tui.h"
#include "format.h"

#include <curses.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef DOME_DATADIR
#define DOME_DATADIR "/usr/local/share/dome"
#endif

int64_t tui_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int role_attr[TUI_ROLE_COUNT];

static int curses_attrs(unsigned a)
{
	int r = 0;
	if (a & TUI_A_BOLD)
		r |= A_BOLD;
	if (a & TUI_A_DIM)
		r |= A_DIM;
	if (a & TUI_A_REVERSE)
		r |= A_REVERSE;
	if (a & TUI_A_UNDERLINE)
		r |= A_UNDERLINE;
	return r;
}

static short fit_color(const struct tui *t, short c)
{
	if (c < 0)
		return c;
	return t->colors >= 256 ? c : tui_color_to_8(c);
}

static void setup_colors(struct tui *t)
{
	for (int r = 0; r < TUI_ROLE_COUNT; r++) {
		const struct tui_style *s = &t->theme.role[r];
		role_attr[r] = curses_attrs(s->attrs);
		if (!t->colors)
			continue;
		init_pair((short)(r + 1), fit_color(t, s->fg), fit_color(t, s->bg));
		role_attr[r] |= (int)COLOR_PAIR(r + 1);
	}
}

int tui_attr(const struct tui *t, enum tui_role role)
{
	(void)t;
	return role_attr[role];
}

static int pick_colors(void)
{
	const char *nc = getenv("NO_COLOR");
	if ((nc && *nc) || !has_colors())
		return 0;
	if (start_color() == ERR)
		return 0;
	use_default_colors();
	return COLORS >= 256 ? 256 : 8;
}

int tui_screen_init(struct tui *t, const char *theme_name)
{
	t->utf8 = tui_want_utf8(nl_langinfo(CODESET), getenv("TERM"), getenv("DOME_ASCII"));
	if (!initscr())
		return -1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	t->colors = pick_colors();
	struct dome_error err = { 0 };
	if (!t->colors) {
		tui_theme_monochrome(&t->theme);
		if (theme_name && strcmp(theme_name, "default") && strcmp(theme_name, "monochrome"))
			tui_status(t, false, "no colours (%s): theme '%s' not used",
				   getenv("NO_COLOR") ? "NO_COLOR" : "terminal", theme_name);
	} else if (tui_theme_load(&t->theme, theme_name, DOME_DATADIR, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
	}
	setup_colors(t);
	if (t->mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED,
			  NULL);
	return 0;
}

void tui_screen_end(struct tui *t)
{
	(void)t;
	if (!isendwin())
		endwin();
}

void tui_suspend(struct tui *t)
{
	(void)t;
	def_prog_mode();
	endwin();
}

void tui_resume(struct tui *t)
{
	reset_prog_mode();
	clearok(curscr, TRUE);
	tui_draw(t);
}

void tui_status(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = error;
	t->status_ms = tui_now_ms();
}

void tui_clear_line(int y, int x)
{
	move(y, x);
	for (int i = x; i < COLS; i++)
		addch(' ');
}

void tui_box(const struct tui *t, int y, int x, int h, int w, enum tui_role role)
{
	int a = tui_attr(t, role);
	attrset(a);
	for (int r = 0; r < h; r++) {
		move(y + r, x);
		for (int c = 0; c < w; c++)
			addch(' ');
	}
	if (t->utf8) {
		mvhline(y, x + 1, ACS_HLINE, w - 2);
		mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
		mvvline(y + 1, x, ACS_VLINE, h - 2);
		mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
		mvaddch(y, x, ACS_ULCORNER);
		mvaddch(y, x + w - 1, ACS_URCORNER);
		mvaddch(y + h - 1, x, ACS_LLCORNER);
		mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	} else {
		mvhline(y, x + 1, '-', w - 2);
		mvhline(y + h - 1, x + 1, '-', w - 2);
		mvvline(y + 1, x, '|', h - 2);
		mvvline(y + 1, x + w - 1, '|', h - 2);
		mvaddch(y, x, '+');
		mvaddch(y, x + w - 1, '+');
		mvaddch(y + h - 1, x, '+');
		mvaddch(y + h - 1, x + w - 1, '+');
	}
}

static void draw_status(struct tui *t, int y)
{
	attrset(tui_attr(t, t->status_error ? TUI_STATUS_ERR : TUI_STATUS));
	tui_clear_line(y, 0);
	char fit[512];
	if (t->filtering || t->filter[0]) {
		snprintf(fit, sizeof fit, "Filter: %s%s", t->filter, t->filtering ? "_" : "");
		attrset(tui_attr(t, TUI_INPUT));
		mvaddstr(y, 0, fit);
		attrset(tui_attr(t, t->status_error ? TUI_STATUS_ERR : TUI_STATUS));
		int x = tui_cells(fit) + 2;
		tui_fit(t->status, COLS - x, fit, sizeof fit);
		mvaddstr(y, x, fit);
	} else {
		tui_fit(t->status, COLS, fit, sizeof fit);
		mvaddstr(y, 0, fit);
	}
	attrset(A_NORMAL);
}

void tui_draw(struct tui *t)
{
	tui_paint(t);
	refresh();
}

void tui_paint(struct tui *t)
{
	erase();
	if (t->wall) {
		tui_wall_draw(t);
	} else if (t->mode == MODE_HELP) {
		tui_help_draw(t);
	} else {
		int y = 0;
		tui_header_draw(t, y);
		y += tui_header_height(t);
		int h = LINES - y - 2;
		if (t->mode == MODE_VIEW)
			tui_view_draw(t);
		else if (t->mode == MODE_HOST)
			tui_host_draw(t);
		else
			tui_table_draw(t, y, h);
		draw_status(t, LINES - 2);
		tui_footer_draw(t, LINES - 1);
	}
}

void tui_refresh_data(struct tui *t)
{
	struct dome_error err = { 0 };
	if (dome_host_sample(&t->host, t->ctx->cfg.root, &err) < 0)
		tui_status(t, true, "%s", err.msg);
	tui_table_refresh(t);
	t->last_refresh_ms = tui_now_ms();
}

static void handle_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED)
		tui_table_move(t, -3);
	else if (ev.bstate & BUTTON5_PRESSED)
		tui_table_move(t, 3);
	else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
		tui_table_click(t, ev.y);
}

static void handle_key(struct tui *t, int ch)
{
	if (ch == KEY_RESIZE)
		return; /* the redraw after every key uses the new size */
	if (t->wall) {
		if (ch == 'q' || ch == KEY_F(10))
			t->quit = true;
		return;
	}
	if (ch == KEY_MOUSE) {
		if (t->mouse && t->mode == MODE_MAIN)
			handle_mouse(t);
		return;
	}
	if (t->mode == MODE_HELP) {
		tui_help_key(t, ch);
		return;
	}
	if (t->mode == MODE_VIEW) {
		tui_view_key(t, ch);
		return;
	}
	if (t->mode == MODE_HOST) {
		tui_host_key(t, ch);
		return;
	}
	if (t->filtering) {
		size_t n = strlen(t->filter);
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			t->filtering = false;
		} else if (ch == 27) {
			t->filtering = false;
			t->filter[0] = '\0';
		} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			if (n)
				t->filter[n - 1] = '\0';
		} else if (ch >= 32 && ch < 127 && n + 1 < sizeof t->filter) {
			t->filter[n] = (char)ch;
			t->filter[n + 1] = '\0';
		}
		tui_table_apply(t);
		return;
	}
	if (!tui_keys_dispatch(t, ch) && ch != ERR)
		tui_status(t, false, "key not bound; press ? for help");
}

static void loop(struct tui *t)
{
	tui_refresh_data(t);
	while (!t->quit) {
		tui_draw(t);
		int64_t next = t->last_refresh_ms + (int64_t)t->ctx->cfg.refresh_ms;
		int64_t wait = next - tui_now_ms();
		timeout(wait < 0 ? 0 : (int)wait);
		int ch = getch();
		if (ch != ERR)
			handle_key(t, ch);
		if (tui_now_ms() >= t->last_refresh_ms + (int64_t)t->ctx->cfg.refresh_ms)
			tui_refresh_data(t);
	}
}

int dome_tui_run(struct dome_ctx *ctx, const struct tui_opts *o)
{
	struct tui *t = calloc(1, sizeof *t);
	if (!t) {
		fputs("dome: out of memory starting the console\n", stderr);
		return 1;
	}
	t->ctx = ctx;
	t->wall = o->wall;
	t->readonly = ctx->readonly || o->wall;
	t->mouse = o->wall ? false : o->mouse < 0 ? ctx->cfg.mouse : o->mouse;
	t->sort_col = COL_NAME;
	t->group_by_state = o->wall;
	dome_host_identity(&t->host);
	const char *theme = o->theme ? o->theme : ctx->cfg.theme;
	if (tui_screen_init(t, theme) < 0) {
		fputs("dome: cannot start the console on this terminal (check TERM)\n", stderr);
		free(t);
		return 1;
	}
	if (!t->status[0]) {
		if (t->wall)
			tui_status(t, false, "wall: view only; q quits");
		else if (t->readonly)
			tui_status(t, false, "read-only%s: nothing can be changed; ? for help",
				   ctx->readonly && geteuid() != 0 ? " (not root)" : "");
		else
			tui_status(t, false, "? or F1 for help");
	}
	strlcpy(t->start_reason, ctx->reason, sizeof t->start_reason);
	loop(t);
	tui_host_close();
	tui_screen_end(t);
	free(t->rows);
	free(t->order);
	free(t);
	return 0;
}
