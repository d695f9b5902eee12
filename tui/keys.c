/* Every key of the main screen in one table: the footer, the help screen
 * and the dispatcher all read it, so a key cannot exist without help.
 * Mutating keys are refused with an explanation in read-only mode; core
 * refuses them as well (dome_mutate). */
#include "tui.h"
#include "format.h"
#include "validate.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool tui_refuse_if_readonly(struct tui *t, const char *what)
{
	if (!t->readonly)
		return false;
	tui_status(t, true, "read-only: cannot %s (%s); run dome as root without --readonly "
		   "to change containers", what,
		   t->wall ? "wall mode is view-only" :
		   geteuid() != 0 ? "you are not root" : "dome was started with --readonly");
	return true;
}

static bool engine_missing(struct tui *t, const void *fn, const char *what)
{
	if (fn)
		return false;
	tui_status(t, true, "cannot %s: the container engine is not part of this build yet", what);
	return true;
}

static int validate_reason(const char *text, char *why, size_t whylen, void *arg)
{
	(void)arg;
	for (const char *p = text; *p; p++)
		if (*p != ' ')
			return 0;
	snprintf(why, whylen, "this host requires a reason for every change (require_reason)");
	return -1;
}

bool tui_ask_reason(struct tui *t, const char *what)
{
	if (!t->ctx->cfg.require_reason)
		return true;
	char reason[sizeof t->ctx->reason], prompt[160];
	strlcpy(reason, t->start_reason, sizeof reason);
	snprintf(prompt, sizeof prompt, "Reason for %s (recorded in the history):", what);
	if (!tui_dialog_input(t, "Reason", prompt, reason, sizeof reason, validate_reason, NULL)) {
		tui_status(t, false, "cancelled: no reason given, so nothing was changed");
		return false;
	}
	strlcpy(t->ctx->reason, reason, sizeof t->ctx->reason);
	return true;
}

static struct tui_row *need_selection(struct tui *t, const char *what)
{
	struct tui_row *r = tui_table_selected(t);
	if (!r)
		tui_status(t, true, "cannot %s: no container selected", what);
	return r;
}

/* Run one lifecycle call with progress before and the result after. */
static void report(struct tui *t, int rc, const struct dome_error *err, const char *done,
		   const char *name)
{
	if (rc < 0)
		tui_status(t, true, "%s", err->msg);
	else if (t->ctx->unrecorded[0])
		tui_status(t, true, "%s %s, but not recorded: %s", name, done, t->ctx->unrecorded);
	else
		tui_status(t, false, "%s %s", name, done);
	/* Said once: the console outlives the change. */
	t->ctx->unrecorded[0] = '\0';
	tui_refresh_data(t);
}

static void k_quit(struct tui *t) { t->quit = true; }
static void k_help(struct tui *t) { t->mode = MODE_HELP; t->view_scroll = 0; }
static void k_up(struct tui *t) { tui_table_move(t, -1); }
static void k_down(struct tui *t) { tui_table_move(t, 1); }
static void k_pgup(struct tui *t) { tui_table_move(t, -(t->table_h > 2 ? t->table_h - 2 : 1)); }
static void k_pgdn(struct tui *t) { tui_table_move(t, t->table_h > 2 ? t->table_h - 2 : 1); }
static void k_home(struct tui *t) { tui_table_home(t, false); }
static void k_end(struct tui *t) { tui_table_home(t, true); }
static void k_refresh(struct tui *t) { tui_refresh_data(t); tui_status(t, false, "refreshed"); }

static void k_filter(struct tui *t)
{
	t->filtering = true;
}

static void k_clear_filter(struct tui *t)
{
	t->filter[0] = '\0';
	t->filtering = false;
	tui_table_apply(t);
}

static void k_sort(struct tui *t)
{
	t->sort_col = (enum tui_col)((t->sort_col + 1) % COL_COUNT);
	tui_table_apply(t);
	tui_status(t, false, "sorted by %s", tui_col_name(t->sort_col));
}

static void k_sort_back(struct tui *t)
{
	t->sort_col = (enum tui_col)((t->sort_col + COL_COUNT - 1) % COL_COUNT);
	tui_table_apply(t);
	tui_status(t, false, "sorted by %s", tui_col_name(t->sort_col));
}

static void k_invert(struct tui *t)
{
	t->sort_desc = !t->sort_desc;
	tui_table_apply(t);
	tui_status(t, false, "sorted by %s, %s", tui_col_name(t->sort_col),
		   t->sort_desc ? "descending" : "ascending");
}

static void k_group(struct tui *t)
{
	t->group_by_state = !t->group_by_state;
	tui_table_apply(t);
	tui_status(t, false, "grouping by state %s", t->group_by_state ? "on" : "off");
}

static void k_mouse(struct tui *t)
{
	t->mouse = !t->mouse;
	mousemask(t->mouse ? BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED
			   : 0, NULL);
	tui_status(t, false, "mouse %s", t->mouse ? "on" : "off (the terminal selects text)");
}

static void k_view(struct tui *t)
{
	if (need_selection(t, "open a container"))
		tui_view_open(t);
}

static void k_limits(struct tui *t)
{
	if (!need_selection(t, "edit limits"))
		return;
	tui_view_open(t);
	t->view_tab = 1;
}

static void k_logs(struct tui *t)
{
	if (!need_selection(t, "show logs"))
		return;
	tui_view_open(t);
	t->view_tab = 2;
}

static void simple_action(struct tui *t, const char *verb, const char *done,
			  int (*fn)(struct dome_ctx *, const char *, struct dome_error *))
{
	struct tui_row *r = need_selection(t, verb);
	if (!r || tui_refuse_if_readonly(t, verb) || engine_missing(t, (const void *)fn, verb))
		return;
	char name[64], what[128];
	strlcpy(name, r->c.name, sizeof name);
	snprintf(what, sizeof what, "%s %s", verb, name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "%sing %s...", verb, name);
	struct dome_error err = { 0 };
	report(t, fn(t->ctx, name, &err), &err, done, name);
}

static void k_start(struct tui *t) { simple_action(t, "start", "started", tui_engine.start); }
static void k_restart(struct tui *t) { simple_action(t, "restart", "restarted", tui_engine.restart); }

static void k_stop(struct tui *t)
{
	struct tui_row *r = need_selection(t, "stop");
	if (!r || tui_refuse_if_readonly(t, "stop") ||
	    engine_missing(t, (const void *)tui_engine.stop, "stop"))
		return;
	char name[64], what[128];
	strlcpy(name, r->c.name, sizeof name);
	snprintf(what, sizeof what, "stop %s", name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "stopping %s (up to %us before it is killed)...", name,
		     t->ctx->cfg.stop_timeout);
	struct dome_error err = { 0 };
	report(t, tui_engine.stop(t->ctx, name, -1, false, &err), &err, "stopped", name);
}

static void k_freeze(struct tui *t)
{
	struct tui_row *r = need_selection(t, "freeze");
	if (!r || tui_refuse_if_readonly(t, "freeze or thaw") ||
	    engine_missing(t, (const void *)tui_engine.freeze, "freeze"))
		return;
	char name[64];
	strlcpy(name, r->c.name, sizeof name);
	bool frozen = strcmp(r->c.state, "frozen") != 0;
	char what[128];
	snprintf(what, sizeof what, "%s %s", frozen ? "freeze" : "thaw", name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "%s %s...", frozen ? "freezing" : "thawing", name);
	struct dome_error err = { 0 };
	report(t, tui_engine.freeze(t->ctx, name, frozen, &err), &err,
	       frozen ? "frozen" : "thawed", name);
}

static void k_destroy(struct tui *t)
{
	struct tui_row *r = need_selection(t, "destroy");
	if (!r || tui_refuse_if_readonly(t, "destroy") ||
	    engine_missing(t, (const void *)tui_engine.destroy, "destroy"))
		return;
	char name[64], title[128];
	strlcpy(name, r->c.name, sizeof name);
	bool running = strcmp(r->c.state, "stopped") != 0;
	snprintf(title, sizeof title, "Destroy %s%s", name,
		 running ? " (it is running: it will be stopped)" : "");
	if (!tui_dialog_confirm_name(t, title, name)) {
		tui_status(t, false, "destroy cancelled; %s is unchanged", name);
		return;
	}
	snprintf(title, sizeof title, "destroy %s", name);
	if (!tui_ask_reason(t, title))
		return;
	tui_progress(t, "destroying %s...", name);
	struct dome_error err = { 0 };
	report(t, tui_engine.destroy(t->ctx, name, running, &err), &err, "destroyed", name);
}

static void k_shell(struct tui *t)
{
	struct tui_row *r = need_selection(t, "open a shell");
	if (!r || tui_refuse_if_readonly(t, "open a shell") ||
	    engine_missing(t, (const void *)tui_engine.exec, "open a shell"))
		return;
	char name[64];
	strlcpy(name, r->c.name, sizeof name);
	if (strcmp(r->c.state, "running") != 0) {
		tui_status(t, true, "cannot open a shell: %s is %s; start it first (s)", name,
			   r->c.state);
		return;
	}
	char what[128];
	snprintf(what, sizeof what, "a shell in %s", name);
	if (!tui_ask_reason(t, what))
		return;
	int status = 0;
	struct dome_error err = { 0 };
	tui_suspend(t);
	printf("dome: shell in %s; exit to return to the console\n", name);
	fflush(stdout);
	/* No command: core runs the image's own shell (dome image set NAME shell=). */
	int rc = tui_engine.exec(t->ctx, name, NULL, &status, &err);
	tui_resume(t);
	if (rc < 0)
		tui_status(t, true, "%s", err.msg);
	else
		tui_status(t, status != 0, "shell in %s exited with status %d", name, status);
}

/* Live name check for the create dialog. */
static int validate_new_name(const char *text, char *why, size_t whylen, void *arg)
{
	struct tui *t = arg;
	struct dome_error err = { 0 };
	if (dome_validate_name("container", text, &err) < 0) {
		snprintf(why, whylen, "%s", err.msg);
		return -1;
	}
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].c.name, text) == 0) {
			snprintf(why, whylen, "a container named '%s' exists already", text);
			return -1;
		}
	return 0;
}

static int validate_memory(const char *text, char *why, size_t whylen, void *arg)
{
	(void)arg;
	uint64_t v;
	struct dome_error err = { 0 };
	if (!*text)
		return 0;
	if (dome_parse_size("memory", text, true, &v, &err) < 0) {
		snprintf(why, whylen, "%s", err.msg);
		return -1;
	}
	return 0;
}

static int validate_net_mode(const char *text, char *why, size_t whylen, void *arg)
{
	(void)arg;
	if (strcmp(text, "bridge") == 0 || strcmp(text, "none") == 0 || strcmp(text, "host") == 0)
		return 0;
	snprintf(why, whylen, "network must be bridge, none or host");
	return -1;
}

static void k_create(struct tui *t)
{
	if (tui_refuse_if_readonly(t, "create") ||
	    engine_missing(t, (const void *)tui_engine.create, "create"))
		return;
	char name[64] = "", mem[32] = "", net[16] = "bridge";
	if (!tui_dialog_input(t, "Create a container", "Name:", name, sizeof name,
			      validate_new_name, t))
		goto cancelled;
	if (!tui_dialog_input(t, "Create a container", "Memory limit (empty: unlimited):", mem,
			      sizeof mem, validate_memory, NULL))
		goto cancelled;
	if (!tui_dialog_input(t, "Create a container",
			      "Network: bridge, none (loopback only) or host (^U clears):", net,
			      sizeof net, validate_net_mode, NULL))
		goto cancelled;
	struct dome_create_spec spec = { .name = name, .net_mode = net };
	dome_limits_init(&spec.limits);
	struct dome_error err = { 0 };
	if (mem[0] && dome_parse_size("memory", mem, true, &spec.limits.memory, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	spec.autostart = tui_dialog_confirm(t, "Create a container", "Start it when the host boots?");
	spec.start = tui_dialog_confirm(t, "Create a container", "Start it now?");
	char what[128];
	snprintf(what, sizeof what, "creating %s", name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "creating %s...", name);
	int rc = tui_engine.create(t->ctx, &spec, &err);
	if (rc == 0) {
		tui_refresh_data(t);
		for (size_t i = 0; i < t->nrows; i++)
			if (strcmp(t->rows[i].c.name, name) == 0)
				t->selected_id = t->rows[i].c.id;
		tui_table_apply(t);
	}
	report(t, rc, &err, spec.start ? "created and started" : "created", name);
	return;
cancelled:
	tui_status(t, false, "create cancelled");
}

static void k_autostart(struct tui *t)
{
	struct tui_row *r = need_selection(t, "change autostart");
	if (!r || tui_refuse_if_readonly(t, "change autostart") ||
	    engine_missing(t, (const void *)tui_engine.set, "change autostart"))
		return;
	char name[64], assign[32], what[128];
	strlcpy(name, r->c.name, sizeof name);
	bool on = !r->c.autostart;
	snprintf(assign, sizeof assign, "autostart=%s", on ? "yes" : "no");
	snprintf(what, sizeof what, "%s on %s", assign, name);
	if (!tui_ask_reason(t, what))
		return;
	char *assignments[] = { assign };
	struct dome_error err = { 0 };
	tui_progress(t, "setting %s...", what);
	report(t, tui_engine.set(t->ctx, name, assignments, 1, &err), &err,
	       on ? "starts when the host boots (autostart on)" : "no longer starts at boot "
								 "(autostart off)", name);
}

static void k_clone(struct tui *t)
{
	struct tui_row *r = need_selection(t, "clone");
	if (!r || tui_refuse_if_readonly(t, "clone") ||
	    engine_missing(t, (const void *)tui_engine.clone, "clone"))
		return;
	char src[64], dst[64] = "", title[128];
	strlcpy(src, r->c.name, sizeof src);
	snprintf(title, sizeof title, "Clone %s%s", src, strcmp(r->c.state, "running") == 0 ?
		 " (frozen for a moment while its files are copied)" : "");
	if (!tui_dialog_input(t, title, "Name of the copy:", dst, sizeof dst, validate_new_name, t)) {
		tui_status(t, false, "clone cancelled");
		return;
	}
	snprintf(title, sizeof title, "cloning %s to %s", src, dst);
	if (!tui_ask_reason(t, title))
		return;
	tui_progress(t, "cloning %s to %s...", src, dst);
	struct dome_error err = { 0 };
	int rc = tui_engine.clone(t->ctx, src, dst, &err);
	if (rc < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	tui_refresh_data(t);
	tui_status(t, false, "%s cloned to %s (stopped)", src, dst);
}

static void k_backup(struct tui *t)
{
	struct tui_row *r = need_selection(t, "back up");
	if (r)
		tui_backup_row(t, r);
}

static void k_commit(struct tui *t)
{
	struct tui_row *r = need_selection(t, "make an image");
	if (r)
		tui_commit_row(t, r);
}

static void k_images(struct tui *t) { tui_host_open(t, HOST_IMAGES); }
static void k_backups(struct tui *t) { tui_host_open(t, HOST_BACKUPS); }
static void k_network(struct tui *t) { tui_host_open(t, HOST_NETWORK); }
static void k_check(struct tui *t) { tui_host_open(t, HOST_CHECK); }
static void k_history(struct tui *t) { tui_host_open(t, HOST_HISTORY); }
static void k_metrics(struct tui *t) { tui_host_open(t, HOST_METRICS); }

#define ESC 27

const struct tui_key tui_keys[] = {
	{ KEY_F(1), '?', "F1", "Help", "this help", false, k_help },
	{ KEY_F(3), '/', "F3", "Filter", "filter as you type (name, state, image, IP); Enter keeps it, Esc clears it", false, k_filter },
	{ KEY_F(4), 't', "F4", "Group", "group the table by state (on/off)", false, k_group },
	{ KEY_F(6), '>', "F6", "Sort", "sort by the next column ('<' the previous one)", false, k_sort },
	{ '<', 0, NULL, NULL, "sort by the previous column", false, k_sort_back },
	{ 'I', 0, NULL, NULL, "invert the sort order", false, k_invert },
	{ KEY_F(7), 'c', "F7", "Create", "create a container (name checked as you type)", true, k_create },
	{ 's', 0, NULL, NULL, "start the selected container", true, k_start },
	{ KEY_F(8), 'x', "F8", "Stop", "stop the selected container (polite signal, then kill)", true, k_stop },
	{ 'R', 0, NULL, NULL, "restart the selected container", true, k_restart },
	{ 'z', 0, NULL, NULL, "freeze or thaw the selected container", true, k_freeze },
	{ KEY_F(9), 'D', "F9", "Destroy", "destroy the selected container (type its name to confirm)", true, k_destroy },
	{ 'e', 0, NULL, NULL, "shell inside the selected container (exit returns here)", true, k_shell },
	{ 'a', 0, NULL, NULL, "autostart on/off for the selected container (start at boot)", true, k_autostart },
	{ 'C', 0, NULL, NULL, "clone the selected container (a stopped copy under a new name)", true, k_clone },
	{ 'b', 0, NULL, NULL, "back up the selected container (it keeps running; B lists backups)", true, k_backup },
	{ 'm', 0, NULL, NULL, "make an image from the selected container (commit: its image with its changes)", true, k_commit },
	{ '\n', KEY_ENTER, "Ent", "View", "open the selected container (tabs: overview, limits, logs, processes, network, history, metrics)", false, k_view },
	{ 'L', 0, NULL, NULL, "edit the selected container's limits", false, k_limits },
	{ 'l', 0, NULL, NULL, "show the selected container's console log", false, k_logs },
	{ 'i', 0, NULL, NULL, "host: images (size, users, arch, init, digest; d removes, x exports)", false, k_images },
	{ 'B', 0, NULL, NULL, "host: backups (container, image, size, time; Enter or r restores)", false, k_backups },
	{ 'N', 0, NULL, NULL, "host: network settings (bridge, subnet, leases)", false, k_network },
	{ 'K', 0, NULL, NULL, "host: kernel check (the features dome needs)", false, k_check },
	{ 'H', 0, NULL, NULL, "host: history of every change, newest first (who, what, result, reason)", false, k_history },
	{ 'S', 0, NULL, NULL, "host: the metrics recorder (running?, interval, metrics.db size, bytes per sample)", false, k_metrics },
	{ KEY_F(5), 'r', "F5", "Refresh", "refresh now", false, k_refresh },
	{ 'M', 0, NULL, NULL, "mouse on/off (click selects, wheel scrolls)", false, k_mouse },
	{ KEY_UP, 'k', NULL, NULL, "move up", false, k_up },
	{ KEY_DOWN, 'j', NULL, NULL, "move down", false, k_down },
	{ KEY_PPAGE, 2 /* ^B */, NULL, NULL, "page up (PgUp, Ctrl-B)", false, k_pgup },
	{ KEY_NPAGE, 6 /* ^F */, NULL, NULL, "page down (PgDn, Ctrl-F)", false, k_pgdn },
	{ KEY_HOME, 'g', NULL, NULL, "first container (Home, g)", false, k_home },
	{ KEY_END, 'G', NULL, NULL, "last container (End, G)", false, k_end },
	{ ESC, 0, NULL, NULL, "clear the filter", false, k_clear_filter },
	{ KEY_F(10), 'q', "F10", "Quit", "quit", false, k_quit },
};
const size_t tui_nkeys = sizeof tui_keys / sizeof tui_keys[0];

bool tui_keys_dispatch(struct tui *t, int ch)
{
	if (ch == '\r')
		ch = '\n';
	for (size_t i = 0; i < tui_nkeys; i++) {
		const struct tui_key *k = &tui_keys[i];
		if (ch == k->key || (k->alias && ch == k->alias)) {
			k->run(t);
			return true;
		}
	}
	return false;
}
