/* The audit history as a table, newest first: the container view's History
 * tab (filtered to its name) and the global history view. Read with
 * dome_audit_history, only while one of them is on screen. */
#include "tui.h"
#include "audit.h"
#include "format.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* More rows than this are not kept on screen; the CLI pages further. */
#define HISTORY_MAX 1000

static const char *str_of(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));
	return s ? s : "";
}

/* "root", or "root (sudo alice)" when someone used sudo: the person first. */
static void actor_of(json_t *row, char *out, size_t len)
{
	const char *user = str_of(row, "user"), *sudo = str_of(row, "sudo_user");
	if (sudo[0])
		snprintf(out, len, "%s (sudo %s)", sudo, user);
	else
		snprintf(out, len, "%s", user[0] ? user : "?");
}

static void when_of(json_t *row, char *out, size_t len)
{
	json_int_t ms = json_integer_value(json_object_get(row, "started_at"));
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms || !localtime_r(&s, &tm)) {
		snprintf(out, len, "-");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static enum tui_role result_role(const char *result)
{
	if (strcmp(result, "ok") == 0)
		return TUI_RUNNING;
	if (strcmp(result, "pending") == 0)
		return TUI_FROZEN;
	return TUI_ERROR;
}

/* One line: WHEN ACTOR ACTION [TARGET] RESULT REASON/ERROR. */
static void draw_record(struct tui *t, json_t *row, int y, bool with_target)
{
	char when[32], actor[160], rest[1024], fit[1024];
	when_of(row, when, sizeof when);
	actor_of(row, actor, sizeof actor);
	const char *result = str_of(row, "result");
	const char *reason = str_of(row, "reason"), *error = str_of(row, "error");
	move(y, 0);
	printw("%-19s ", when);
	tui_fit(actor, 18, fit, sizeof fit);
	printw("%-18s ", fit);
	tui_fit(str_of(row, "action"), 12, fit, sizeof fit);
	printw("%-12s ", fit);
	if (with_target) {
		tui_fit(str_of(row, "target"), 14, fit, sizeof fit);
		printw("%-14s ", fit);
	}
	attrset(tui_attr(t, result_role(result)));
	tui_fit(result, 11, fit, sizeof fit);
	printw("%-11s ", fit);
	attrset(A_NORMAL);
	snprintf(rest, sizeof rest, "%s%s%s", reason[0] ? reason : "-", error[0] ? "; " : "",
		 error);
	int x = getcurx(stdscr);
	if (x < COLS) {
		tui_fit(rest, COLS - x, fit, sizeof fit);
		addstr(fit);
	}
}

void tui_history_draw(struct tui *t, const char *target, int y, size_t *scroll)
{
	int h = LINES - 2 - y - 1;
	if (h < 1)
		return;
	size_t want = *scroll + (size_t)h;
	struct dome_history_filter f = {
		.target = target,
		.limit = (int)(want > HISTORY_MAX ? HISTORY_MAX : want),
	};
	json_t *rows = NULL;
	struct dome_error err = { 0 };
	if (dome_audit_history(t->ctx, &f, &rows, &err) < 0) {
		char fit[512];
		tui_fit(err.msg, COLS - 4, fit, sizeof fit);
		attrset(tui_attr(t, TUI_STATUS_ERR));
		mvaddstr(y, 2, fit);
		attrset(A_NORMAL);
		return;
	}
	size_t n = json_array_size(rows);
	if (*scroll && *scroll >= n)
		*scroll = n ? n - 1 : 0;
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	mvprintw(y, 0, "%-19s %-18s %-12s ", "WHEN", "ACTOR", "ACTION");
	if (!target)
		printw("%-14s ", "TARGET");
	printw("%-11s %s", "RESULT", "REASON / ERROR");
	attrset(A_NORMAL);
	y++;
	if (!n)
		mvaddstr(y + 1, 2, target ? "No recorded changes to this container."
					  : "No recorded changes.");
	for (size_t i = *scroll; i < n && y < LINES - 2; i++, y++)
		draw_record(t, json_array_get(rows, i), y, !target);
	json_decref(rows);
}
