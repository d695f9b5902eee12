/* One container (Enter): tabs Overview, Limits, Logs, Processes, Network,
 * History, Metrics (metrics.c).
 * Limits are edited with the core parsers checking as you type and applied
 * with dome_container_set; a refusal (from validation or the kernel) stays
 * shown under the limits until the next edit. */
#include "tui.h"
#include "ptree.h"
#include "escape.h"
#include "format.h"
#include "validate.h"
#include "owner.h"
#include "cleanup.h"

#include <ctype.h>
#include <curses.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const tabs[] = { "Overview", "Limits", "Logs", "Processes", "Network",
				    "History", "Metrics" };
enum { TAB_OVERVIEW, TAB_LIMITS, TAB_LOGS, TAB_PROCS, TAB_NET, TAB_HISTORY, TAB_METRICS, TAB_COUNT };

struct limit_item {
	const char *key;      /* dome_container_set key */
	const char *label;
};
static const struct limit_item limit_items[] = {
	{ "memory", "Memory" },
	{ "memory_swap", "Memory + swap" },
	{ "cpus", "CPUs (quota)" },
	{ "cpu_weight", "CPU weight" },
	{ "cpuset", "CPU set" },
	{ "pids", "Max processes" },
};
#define NLIMITS (sizeof limit_items / sizeof limit_items[0])

static char limit_error[512];   /* last refusal, shown in place */
static char log_search[64];

void tui_view_open(struct tui *t)
{
	t->mode = MODE_VIEW;
	t->view_tab = TAB_OVERVIEW;
	t->view_scroll = 0;
	t->view_follow = true;
	limit_error[0] = '\0';
}

static int view_top(const struct tui *t)
{
	return tui_header_height(t);
}

static void label(struct tui *t, int y, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void label(struct tui *t, int y, const char *name, const char *fmt, ...)
{
	if (y >= LINES - 2)
		return;
	attrset(tui_attr(t, TUI_LABEL));
	mvprintw(y, 2, "%-16s", name);
	attrset(A_NORMAL);
	char buf[512], fit[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tui_fit(buf, COLS - 20, fit, sizeof fit);
	mvaddstr(y, 19, fit);
}

static void fmt_time(int64_t ms, char *out, size_t len)
{
	if (!ms) {
		snprintf(out, len, "never");
		return;
	}
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&s, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void limit_value(const struct dome_limits *l, size_t i, char *out, size_t len)
{
	switch (i) {
	case 0: tui_fmt_size(l->memory, out, len); break;
	case 1: tui_fmt_size(l->memory_swap, out, len); break;
	case 2:
		if (l->cpu_millis)
			snprintf(out, len, "%u.%03u", l->cpu_millis / 1000, l->cpu_millis % 1000);
		else
			snprintf(out, len, "unlimited");
		break;
	case 3:
		if (l->cpu_weight)
			snprintf(out, len, "%u", l->cpu_weight);
		else
			snprintf(out, len, "default");
		break;
	case 4: snprintf(out, len, "%s", l->cpuset[0] ? l->cpuset : "all CPUs"); break;
	case 5:
		if (l->pids)
			snprintf(out, len, "%llu", (unsigned long long)l->pids);
		else
			snprintf(out, len, "unlimited");
		break;
	}
}

/* The image's architecture, as recorded when the image was made. */
static const char *image_arch(struct tui *t, const char *image)
{
	static struct dome_image img;
	struct dome_error err = { 0 };
	if (dome_image_find(t->ctx->store, image, &img, &err) <= 0)
		return "unknown (image not found)";
	return img.arch[0] ? img.arch : "unknown";
}

static void draw_overview(struct tui *t, const struct tui_row *r, int y)
{
	const struct dome_container *c = &r->c;
	char a[64], b[64], when[64];
	label(t, y++, "Status", "%s", c->state);
	label(t, y++, "PID", c->pid > 0 ? "%lld" : "-", (long long)c->pid);
	label(t, y++, "Image", "%s", c->image);
	label(t, y++, "Network", "%s%s%s", c->net_mode, r->ipv4[0] ? "  " : "", r->ipv4);
	if (r->live) {
		tui_fmt_size(r->mem, a, sizeof a);
		tui_fmt_size(r->mem_limit, b, sizeof b);
		label(t, y++, "Memory", "%s of %s", a, b);
		if (r->mem_limit != DOME_UNLIMITED && r->mem_limit && y < LINES - 2)
			tui_draw_bar(t, y++, 19, COLS - 21 > 40 ? 40 : COLS - 21, "",
				     (double)r->mem / (double)r->mem_limit, "");
		tui_fmt_percent(r->cpu_pct, a, sizeof a);
		label(t, y++, "CPU", "%s of one core", a);
		tui_fmt_duration(r->uptime_s, a, sizeof a);
		label(t, y++, "Uptime", "%s", a);
	} else {
		tui_fmt_size(r->mem_limit, b, sizeof b);
		label(t, y++, "Memory limit", "%s", b);
	}
	label(t, y++, "Arch", "%s", image_arch(t, c->image));
	fmt_time(c->created_at, when, sizeof when);
	label(t, y++, "Created", "%s", when);
	fmt_time(c->started_at, when, sizeof when);
	label(t, y++, "Last started", "%s", when);
	if (c->has_exit) {
		if (c->exit_signal)
			label(t, y++, "Last exit", "killed by signal %d", c->exit_signal);
		else
			label(t, y++, "Last exit", "status %d", c->exit_code);
	} else {
		label(t, y++, "Last exit", "-");
	}
	label(t, y++, "OOM kills", "%lld", (long long)c->oom_kills);
	label(t, y++, "Autostart", "%s (order %d, delay %ds)", c->autostart ? "yes" : "no",
	      c->autostart_order, c->autostart_delay);
	label(t, y++, "Restart", "%s (at most %u in %llds)", dome_restart_mode_name(c->restart.mode),
	      c->restart.max, (long long)c->restart.window_s);
	if (c->restart_next_at) {
		char at[32];
		fmt_time(c->restart_next_at, at, sizeof at);
		label(t, y++, "Next retry", "%s", at);
	}
}

static void draw_limits(struct tui *t, const struct tui_row *r, int y)
{
	if (t->view_scroll >= NLIMITS)
		t->view_scroll = NLIMITS - 1;
	for (size_t i = 0; i < NLIMITS && y < LINES - 2; i++, y++) {
		char v[300];
		limit_value(&r->c.limits, i, v, sizeof v);
		bool sel = i == t->view_scroll;
		attrset(sel ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_LABEL));
		mvprintw(y, 2, "%-16s", limit_items[i].label);
		attrset(sel ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL);
		printw(" %-20s", v);
		attrset(A_NORMAL);
	}
	y++;
	if (y < LINES - 2)
		mvaddstr(y++, 2, "Enter edits the selected limit; 'max' or 'unlimited' removes it.");
	if (limit_error[0] && y < LINES - 2) {
		char fit[512];
		tui_fit(limit_error, COLS - 4, fit, sizeof fit);
		attrset(tui_attr(t, TUI_STATUS_ERR));
		mvaddstr(y + 1, 2, fit);
		attrset(A_NORMAL);
	}
}

/* The last `max` bytes of the log, split in lines in place. */
static size_t load_log(struct tui *t, const char *name, char *buf, size_t max, char **lines,
		       size_t maxlines, char *why, size_t whylen)
{
	char path[4096];
	if (!tui_engine.log_path || tui_engine.log_path(t->ctx, name, path, sizeof path) < 0) {
		snprintf(why, whylen, "no console log: the container engine is not part of this build yet");
		return 0;
	}
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "no console log yet (%s)", path);
		return 0;
	}
	struct stat st;
	off_t from = fstat(fd, &st) == 0 && st.st_size > (off_t)(max - 1) ? st.st_size - (off_t)(max - 1) : 0;
	ssize_t n = pread(fd, buf, max - 1, from);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	char *p = buf;
	if (from > 0 && (p = strchr(buf, '\n')))
		p++; /* drop the cut first line */
	else if (!p)
		p = buf;
	size_t count = 0;
	while (p && *p && count < maxlines) {
		lines[count++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return count; /* escaped when drawn (draw_logs) */
}

#define LOG_BYTES (256 * 1024)
#define LOG_LINES 8192
static char log_buf[LOG_BYTES];
static char *log_lines[LOG_LINES];

static void draw_logs(struct tui *t, const struct tui_row *r, int y)
{
	char why[4400] = "";
	size_t n = load_log(t, r->c.name, log_buf, sizeof log_buf, log_lines, LOG_LINES, why,
			    sizeof why);
	int h = LINES - 2 - y - 1;
	attrset(tui_attr(t, TUI_DIM));
	mvprintw(y++, 2, "follow %s  search: %s  (f follow, / search, n next)",
		 t->view_follow ? "on" : "off", log_search[0] ? log_search : "-");
	attrset(A_NORMAL);
	if (!n) {
		mvaddstr(y, 2, why[0] ? why : "(the log is empty)");
		return;
	}
	if (h < 1)
		return;
	size_t first;
	if (t->view_follow || t->view_scroll + (size_t)h > n)
		first = n > (size_t)h ? n - (size_t)h : 0;
	else
		first = t->view_scroll;
	t->view_scroll = first;
	for (size_t i = first; i < n && y < LINES - 2; i++, y++) {
		bool hit = log_search[0] && strstr(log_lines[i], log_search);
		attrset(hit ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL);
		/* The container's bytes, shown as `dome logs` shows them:
		 * control characters escaped (core/escape.h), its CR LF a line. */
		char shown[2048];
		size_t len = strlen(log_lines[i]);
		if (len > 0 && log_lines[i][len - 1] == '\r')
			len--;
		dome_escape(log_lines[i], len, true, DOME_ESC_KEEP_LINES, shown, sizeof shown, NULL);
		mvaddnstr(y, 0, shown, COLS);
	}
	attrset(A_NORMAL);
}

static void log_next_match(struct tui *t, const char *name)
{
	char why[4400];
	size_t n = load_log(t, name, log_buf, sizeof log_buf, log_lines, LOG_LINES, why,
			    sizeof why);
	for (size_t i = t->view_scroll + 1; log_search[0] && i < n; i++)
		if (strstr(log_lines[i], log_search)) {
			t->view_follow = false;
			t->view_scroll = i;
			return;
		}
	tui_status(t, false, "no further match for '%s'", log_search);
}

/* The container's processes as a tree (core/ptree.h), each under its
 * parent as `ps f` draws it, with the cgroup its init put it in: a system
 * container shows systemd's units. */
static void draw_procs(struct tui *t, const struct tui_row *r, int y)
{
	if (r->c.pid <= 0) {
		mvaddstr(y, 2, "Not running: no processes.");
		return;
	}
	struct dome_error err = { 0 };
	struct dome_ptree pt;
	if (dome_container_ptree(t->ctx, r->c.name, &pt, &err) < 0) {
		char fit[512];
		tui_fit(err.msg, COLS - 4, fit, sizeof fit);
		attrset(tui_attr(t, TUI_STATUS_ERR));
		mvaddstr(y, 2, fit);
		attrset(A_NORMAL);
		return;
	}
	/* the cgroup column as wide as its longest entry, at most a third */
	int cw = 6;
	for (size_t i = 0; i < pt.n; i++)
		if ((int)strlen(pt.procs[i].cgroup) > cw)
			cw = (int)strlen(pt.procs[i].cgroup);
	if (cw > COLS / 3)
		cw = COLS / 3 > 6 ? COLS / 3 : 6;
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	mvprintw(y++, 0, "%8s  %-*s  %s", "PID", cw, "CGROUP", "COMMAND");
	attrset(A_NORMAL);
	if (t->view_scroll >= pt.n)
		t->view_scroll = pt.n ? pt.n - 1 : 0;
	for (size_t i = t->view_scroll; i < pt.n && y < LINES - 2; i++) {
		const struct dome_proc *p = &pt.procs[i];
		char cg[256], line[1024], fit[1024];
		/* what the container named (its cgroups, its commands): escaped */
		tui_fit(p->cgroup[0] ? p->cgroup : "/", cw, cg, sizeof cg);
		snprintf(line, sizeof line, "%*s%s%s", p->depth ? (int)(p->depth - 1) * 3 : 0, "",
			 p->depth ? "\\_ " : "", p->cmd);
		int room = COLS - 12 - cw;
		tui_fit(line, room > 0 ? room : 0, fit, sizeof fit);
		mvprintw(y++, 0, "%8d  %-*s  %s", (int)p->pid, cw, cg, fit);
	}
	if (!pt.n)
		mvaddstr(y, 2, "No processes in the container's cgroup.");
	dome_ptree_free(&pt);
}

static void draw_net(struct tui *t, const struct tui_row *r, int y)
{
	char a[32], b[32], ifname[16];
	dome_host_ifname(t->ctx->root_id, r->c.id, ifname);
	label(t, y++, "Mode", "%s", r->c.net_mode);
	label(t, y++, "IPv4", "%s", r->ipv4[0] ? r->ipv4 :
	      r->c.ipv4_static[0] ? r->c.ipv4_static : "-");
	label(t, y++, "Static address", "%s", r->c.ipv4_static[0] ? "yes" : "no (leased)");
	label(t, y++, "Host interface", "%s%s", r->host_ifname[0] ? r->host_ifname : ifname,
	      r->live && r->host_ifname[0] ? " (up)" : "");
	label(t, y++, "Bridge", "%s", t->ctx->cfg.bridge);
	if (r->live) {
		tui_fmt_rate(r->rx_rate, a, sizeof a);
		tui_fmt_rate(r->tx_rate, b, sizeof b);
		label(t, y++, "Rate rx / tx", "%s / %s", a, b);
		tui_fmt_size(r->rx_total, a, sizeof a);
		tui_fmt_size(r->tx_total, b, sizeof b);
		label(t, y++, "Total rx / tx", "%s / %s", a, b);
	}
}

void tui_view_draw(struct tui *t)
{
	struct tui_row *r = tui_table_selected(t);
	int y = view_top(t);
	if (!r) {
		mvaddstr(y + 1, 2, "The container is gone. Esc goes back.");
		return;
	}
	attrset(tui_attr(t, TUI_TITLE));
	mvprintw(y, 0, " %s ", r->c.name);
	attrset(A_NORMAL);
	for (int i = 0; i < TAB_COUNT; i++) {
		attrset(i == t->view_tab ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_LABEL));
		printw(" %s ", tabs[i]);
		attrset(A_NORMAL);
		addch(' ');
	}
	y += 2;
	switch (t->view_tab) {
	case TAB_OVERVIEW: draw_overview(t, r, y); break;
	case TAB_LIMITS: draw_limits(t, r, y); break;
	case TAB_LOGS: draw_logs(t, r, y); break;
	case TAB_PROCS: draw_procs(t, r, y); break;
	case TAB_NET: draw_net(t, r, y); break;
	case TAB_HISTORY: tui_history_draw(t, r->c.name, y, &t->view_scroll); break;
	case TAB_METRICS: tui_metrics_draw(t, r->c.name, y); break;
	}
}

/* Check a limit with the same parser core uses, as the user types. */
static int validate_limit(const char *text, char *why, size_t whylen, void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	struct dome_error err = { 0 };
	uint64_t v;
	uint32_t m;
	char cs[256];
	int rc;
	switch (i) {
	case 0: case 1: rc = dome_parse_size(limit_items[i].key, text, true, &v, &err); break;
	case 2: rc = dome_parse_cpus(text, true, &m, &err); break;
	case 3: rc = dome_parse_uint("cpu_weight", text, 1, 10000, &v, &err); break;
	case 4: rc = dome_parse_cpuset(text, cs, sizeof cs, &err); break;
	default:
		rc = strcmp(text, "max") == 0 || strcmp(text, "unlimited") == 0 ? 0 :
		     dome_parse_uint("pids", text, 1, UINT32_MAX, &v, &err);
		break;
	}
	if (rc < 0)
		snprintf(why, whylen, "%s", err.msg);
	return rc;
}

static void edit_limit(struct tui *t, struct tui_row *r)
{
	size_t i = t->view_scroll;
	if (tui_refuse_if_readonly(t, "change limits"))
		return;
	if (!tui_engine.set) {
		tui_status(t, true, "cannot change limits: the container engine is not part of this build yet");
		return;
	}
	char name[64], value[64] = "", title[128], assign[128];
	strlcpy(name, r->c.name, sizeof name);
	snprintf(title, sizeof title, "%s: %s", name, limit_items[i].label);
	if (!tui_dialog_input(t, title, "New value ('max' removes the limit):", value,
			      sizeof value, validate_limit, (void *)(uintptr_t)i))
		return;
	snprintf(assign, sizeof assign, "%s=%s", limit_items[i].key, value);
	if (!tui_ask_reason(t, assign))
		return;
	char *assignments[] = { assign };
	struct dome_error err = { 0 };
	tui_progress(t, "setting %s on %s...", assign, name);
	if (tui_engine.set(t->ctx, name, assignments, 1, &err) < 0) {
		strlcpy(limit_error, err.msg, sizeof limit_error);
		tui_status(t, true, "%s", err.msg);
	} else if (tui_engine.fit_host && tui_engine.fit_host(t->ctx, name, &err) < 0) {
		/* stored for a stopped container; its next start would fail */
		strlcpy(limit_error, err.msg, sizeof limit_error);
		tui_status(t, true, "%s: %s stored, but %s; it will not start until that changes",
			   name, assign, err.msg);
	} else {
		limit_error[0] = '\0';
		tui_status(t, false, "%s: %s applied%s", name, assign,
			   strcmp(r->c.state, "running") == 0 ? " live" : "");
	}
	tui_refresh_data(t);
}

bool tui_view_key(struct tui *t, int ch)
{
	struct tui_row *r = tui_table_selected(t);
	switch (ch) {
	case 27: case 'q': case KEY_F(10): case KEY_BACKSPACE: case 'h':
		t->mode = MODE_MAIN;
		return true;
	case '\t': case KEY_RIGHT:
		t->view_tab = (t->view_tab + 1) % TAB_COUNT;
		t->view_scroll = 0;
		t->view_follow = true;
		return true;
	case KEY_BTAB: case KEY_LEFT:
		t->view_tab = (t->view_tab + TAB_COUNT - 1) % TAB_COUNT;
		t->view_scroll = 0;
		t->view_follow = true;
		return true;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		t->view_tab = ch - '1';
		t->view_scroll = 0;
		t->view_follow = true;
		return true;
	case KEY_F(1): case '?':
		t->mode = MODE_HELP;
		return true;
	}
	if (!r)
		return false;
	if (t->view_tab == TAB_LIMITS) {
		if ((ch == 'j' || ch == KEY_DOWN) && t->view_scroll + 1 < NLIMITS)
			t->view_scroll++;
		else if ((ch == 'k' || ch == KEY_UP) && t->view_scroll)
			t->view_scroll--;
		else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == 'e')
			edit_limit(t, r);
		return true;
	}
	if (t->view_tab == TAB_METRICS)
		return tui_metrics_key(t, ch);
	if (t->view_tab == TAB_HISTORY && ch == 'u') {
		tui_history_rollback(t);
		return true;
	}
	if (t->view_tab == TAB_PROCS || t->view_tab == TAB_HISTORY) {
		if (ch == 'j' || ch == KEY_DOWN)
			t->view_scroll++;
		else if ((ch == 'k' || ch == KEY_UP) && t->view_scroll)
			t->view_scroll--;
		else if (ch == 'g' || ch == KEY_HOME)
			t->view_scroll = 0;
		return true;
	}
	if (t->view_tab == TAB_LOGS) {
		int page = LINES - 8 > 1 ? LINES - 8 : 1;
		switch (ch) {
		case 'f': t->view_follow = !t->view_follow; break;
		case 'k': case KEY_UP: t->view_follow = false; if (t->view_scroll) t->view_scroll--; break;
		case 'j': case KEY_DOWN: t->view_scroll++; break;
		case KEY_PPAGE:
			t->view_follow = false;
			t->view_scroll = t->view_scroll > (size_t)page ? t->view_scroll - (size_t)page : 0;
			break;
		case KEY_NPAGE: t->view_scroll += (size_t)page; break;
		case 'g': t->view_follow = false; t->view_scroll = 0; break;
		case 'G': t->view_follow = true; break;
		case '/':
			if (tui_dialog_input(t, "Search the log", "Text:", log_search,
					     sizeof log_search, NULL, NULL))
				log_next_match(t, r->c.name);
			break;
		case 'n': log_next_match(t, r->c.name); break;
		}
		return true;
	}
	return false;
}
