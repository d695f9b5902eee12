/* Modal dialogs over the current screen. Each runs its own key loop; on
 * KEY_RESIZE the screen underneath is repainted at the new size and the
 * dialog re-centred, so a resize is safe at any time. */
#include "tui.h"
#include "format.h"
#include "validate.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tui_progress(struct tui *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = false;
	t->status_ms = tui_now_ms();
	tui_draw(t);
}

struct box { int y, x, h, w; };

static struct box place(int h, int want_w)
{
	struct box b;
	b.w = want_w < COLS - 2 ? want_w : COLS - 2;
	if (b.w < 20)
		b.w = COLS;
	b.h = h < LINES ? h : LINES;
	b.y = (LINES - b.h) / 2;
	b.x = (COLS - b.w) / 2;
	return b;
}

static void draw_frame(struct tui *t, const struct box *b, const char *title)
{
	tui_paint(t);
	tui_box(t, b->y, b->x, b->h, b->w, TUI_DIALOG);
	attrset(tui_attr(t, TUI_TITLE));
	char fit[256];
	tui_fit(title, b->w - 4, fit, sizeof fit);
	mvprintw(b->y, b->x + 2, "%s", fit);
	attrset(tui_attr(t, TUI_DIALOG));
}

static int read_key(void)
{
	timeout(-1);
	return getch();
}

bool tui_dialog_input(struct tui *t, const char *title, const char *prompt, char *buf,
		      size_t len, tui_validate_fn validate, void *arg)
{
	char why[512] = "";
	curs_set(1);
	for (;;) {
		size_t n = strlen(buf);
		bool valid = !validate || validate(buf, why, sizeof why, arg) == 0;
		if (valid)
			why[0] = '\0';
		struct box b = place(7, 72);
		draw_frame(t, &b, title);
		char fit[512];
		tui_fit(prompt, b.w - 4, fit, sizeof fit);
		mvaddstr(b.y + 1, b.x + 2, fit);
		attrset(tui_attr(t, valid ? TUI_DIALOG : TUI_STATUS_ERR));
		tui_fit(why[0] ? why : "Enter to accept, Esc to cancel", b.w - 4, fit, sizeof fit);
		mvaddstr(b.y + 4, b.x + 2, fit);
		attrset(tui_attr(t, TUI_INPUT));
		int fw = b.w - 4;
		move(b.y + 2, b.x + 2);
		for (int i = 0; i < fw; i++)
			addch(' ');
		const char *shown = n > (size_t)(fw - 1) ? buf + n - (size_t)(fw - 1) : buf;
		mvaddstr(b.y + 2, b.x + 2, shown);
		attrset(A_NORMAL);
		refresh();
		int ch = read_key();
		if (ch == KEY_RESIZE)
			continue;
		if (ch == 27) {
			curs_set(0);
			return false;
		}
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			if (valid) {
				curs_set(0);
				return true;
			}
			beep();
		} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			if (n)
				buf[n - 1] = '\0';
		} else if (ch == 21 /* ^U */) {
			buf[0] = '\0';
		} else if (ch >= 32 && ch < 127 && n + 1 < len) {
			buf[n] = (char)ch;
			buf[n + 1] = '\0';
		}
	}
}

bool tui_dialog_confirm(struct tui *t, const char *title, const char *question)
{
	for (;;) {
		struct box b = place(6, 60);
		draw_frame(t, &b, title);
		char fit[512];
		tui_fit(question, b.w - 4, fit, sizeof fit);
		mvaddstr(b.y + 2, b.x + 2, fit);
		mvaddstr(b.y + 3, b.x + 2, "y: yes   n or Esc: no");
		attrset(A_NORMAL);
		refresh();
		int ch = read_key();
		if (ch == 'y' || ch == 'Y')
			return true;
		if (ch == 'n' || ch == 'N' || ch == 27)
			return false;
	}
}

static int validate_same(const char *text, char *why, size_t whylen, void *arg)
{
	const char *name = arg;
	if (strcmp(text, name) == 0)
		return 0;
	snprintf(why, whylen, "type '%s' exactly to confirm", name);
	return -1;
}

int tui_validate_new_name(const char *text, char *why, size_t whylen, void *arg)
{
	const struct tui_new_name *nn = arg;
	struct dome_error err = { 0 };
	if (dome_validate_name(nn->kind, text, &err) < 0) {
		snprintf(why, whylen, "%s", err.msg);
		return -1;
	}
	int found = nn->taken(nn->t, text, why, whylen, &err);
	if (found < 0)
		snprintf(why, whylen, "%s", err.msg);
	return found != 0 ? -1 : 0;
}

bool tui_dialog_confirm_name(struct tui *t, const char *title, const char *name)
{
	char typed[64] = "";
	char prompt[160];
	snprintf(prompt, sizeof prompt, "This cannot be undone. Type the name (%s) to confirm:",
		 name);
	return tui_dialog_input(t, title, prompt, typed, sizeof typed, validate_same,
				(void *)name);
}
