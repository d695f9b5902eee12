/* The audit history as a table, newest first: the container view's History
 * tab (filtered to its name) and the global history view. Read with
 * dome_audit_history, only while one of them is on screen. */
#include "tui.h"
#include "audit.h"
#include "format.h"
#include "rollback.h"

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
static void draw_record(struct tui *t, json_t *row, int y, bool with_target, bool selected)
{
	char when[32], actor[160], rest[1024], fit[1024];
	when_of(row, when, sizeof when);
	actor_of(row, actor, sizeof actor);
	const char *result = str_of(row, "result");
	const char *reason = str_of(row, "reason"), *error = str_of(row, "error");
	int base = selected ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL;
	attrset(base);
	if (selected)
		tui_clear_line(y, 0);
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
	if (!selected)
		attrset(tui_attr(t, result_role(result)));
	tui_fit(result, 11, fit, sizeof fit);
	printw("%-11s ", fit);
	attrset(base);
	snprintf(rest, sizeof rest, "%s%s%s", reason[0] ? reason : "-", error[0] ? "; " : "",
		 error);
	int x = getcurx(stdscr);
	if (x < COLS) {
		tui_fit(rest, COLS - x, fit, sizeof fit);
		addstr(fit);
	}
	attrset(A_NORMAL);
}

/* Remember the selected record for the rollback key. */
static void note_selected(struct tui *t, json_t *row)
{
	t->history_id = row ? json_integer_value(json_object_get(row, "id")) : 0;
	snprintf(t->history_what, sizeof t->history_what, "%s of %s",
		 row ? str_of(row, "action") : "", row ? str_of(row, "target") : "");
}

void tui_history_draw(struct tui *t, const char *target, int y, size_t *sel)
{
	int h = LINES - 2 - y - 1;
	t->history_id = 0;
	if (h < 1)
		return;
	size_t first = *sel >= (size_t)h ? *sel - (size_t)h + 1 : 0;
	size_t want = first + (size_t)h;
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
	if (*sel >= n) {
		*sel = n ? n - 1 : 0;
		first = *sel >= (size_t)h ? *sel - (size_t)h + 1 : 0;
	}
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
	for (size_t i = first; i < n && y < LINES - 2; i++, y++)
		draw_record(t, json_array_get(rows, i), y, !target, i == *sel);
	note_selected(t, n ? json_array_get(rows, *sel) : NULL);
	json_decref(rows);
}

/* Returns true when done; *needs_force when refused only because the
 * container changed since. */
static bool rollback_once(struct tui *t, int64_t id, bool force, bool *needs_force,
			  struct dome_error *err)
{
	struct dome_rollback_result res = { 0 };
	tui_progress(t, "rolling back change #%lld%s...", (long long)id, force ? " (forced)" : "");
	if (dome_rollback(t->ctx, id, force, &res, err) < 0) {
		*needs_force = res.needs_force;
		return false;
	}
	tui_status(t, false, "change #%lld rolled back on %s: %s (record #%lld)%s%s",
		   (long long)id, res.target, res.what, (long long)res.id,
		   res.differed[0] ? "; it had changed since: " : "", res.differed);
	return true;
}

void tui_history_rollback(struct tui *t)
{
	if (tui_refuse_if_readonly(t, "roll back a change"))
		return;
	int64_t id = t->history_id;
	if (!id) {
		tui_status(t, true, "cannot roll back: no change selected");
		return;
	}
	char question[300], what[200];
	snprintf(question, sizeof question, "Roll back change #%lld (%s)?", (long long)id,
		 t->history_what);
	if (!tui_dialog_confirm(t, "Roll back", question)) {
		tui_status(t, false, "rollback cancelled; nothing changed");
		return;
	}
	snprintf(what, sizeof what, "rolling back change #%lld", (long long)id);
	if (!tui_ask_reason(t, what))
		return;
	struct dome_error err = { 0 };
	bool needs_force = false;
	if (!rollback_once(t, id, false, &needs_force, &err)) {
		/* Changed since: core names the differences; the user may insist. */
		if (needs_force && tui_dialog_confirm(t, "Roll back anyway?", err.msg)) {
			err.msg[0] = '\0';
			if (rollback_once(t, id, true, &needs_force, &err))
				goto done;
		}
		tui_status(t, true, "%s", err.msg);
	}
done:
	tui_refresh_data(t);
}
