/* The Metrics tab of the container view (CPU, memory, net and I/O charts
 * over 1 h / 24 h / 30 d from metrics.db, audited changes marked on the time
 * axis) and the host view of the recorder (is one running, its interval,
 * the size of metrics.db, bytes per sample). Read-only: the recorder is
 * `dome record`; without it the tab says how to start one. */
#include "tui.h"
#include "format.h"
#include "metrics.h"
#include "cleanup.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct { int64_t seconds; const char *name; } windows[] = {
	{ 3600, "1h" }, { 86400, "24h" }, { 30 * 86400, "30d" },
};
static size_t window_i;

/* What the tab shows, read again when the container, the window or the
 * console's refresh changes (not at every key). */
static struct {
	char name[64];
	size_t window;
	int64_t refreshed_ms;
	int width;
	int64_t since, step;
	enum dome_metrics_tier tier;
	bool have;                /* metrics.db and a series for the name */
	char why[1100];           /* why not */
	struct dome_metric_point *pts;
	size_t n;
	json_t *changes;
} cache;

void tui_metrics_close(void)
{
	free(cache.pts);
	cache.pts = NULL;
	json_decref(cache.changes);
	cache.changes = NULL;
	cache.name[0] = '\0';
}

static void load(struct tui *t, const char *name, int width)
{
	if (strcmp(cache.name, name) == 0 && cache.window == window_i && cache.width == width &&
	    cache.refreshed_ms == t->last_refresh_ms)
		return;
	tui_metrics_close();
	strlcpy(cache.name, name, sizeof cache.name);
	cache.window = window_i;
	cache.width = width;
	cache.refreshed_ms = t->last_refresh_ms;
	cache.have = false;
	int64_t now = dome_now_ms() / 1000;
	int64_t span = windows[window_i].seconds;
	cache.step = (span + width - 1) / width;
	cache.since = now - cache.step * width + 1;
	/* by the window asked for, not its rounding to whole columns */
	cache.tier = dome_metrics_pick_tier(&t->ctx->cfg, now - span, now);
	struct dome_error err = { 0 };
	struct dome_metrics *m = dome_metrics_open(t->ctx, false, &err);
	if (!m) {
		snprintf(cache.why, sizeof cache.why, "%s", err.msg);
		return;
	}
	struct dome_metrics_window w = { cache.since, now + 1, cache.step };
	int64_t destroyed;
	int found = dome_metrics_series(m, name, cache.tier, &w, &cache.pts, &cache.n, &destroyed,
					&err);
	dome_metrics_close(m);
	if (found < 0) {
		snprintf(cache.why, sizeof cache.why, "%s", err.msg);
		return;
	}
	if (found == 0) {
		snprintf(cache.why, sizeof cache.why, "No metrics recorded for %s yet: `dome record` "
			 "(dome-record.service) keeps them.", name);
		return;
	}
	if (dome_metrics_changes(t->ctx, name, w.since, w.until, &cache.changes, &err) < 0)
		cache.changes = json_array();
	cache.have = true;
}

enum chart { CH_CPU, CH_MEM, CH_NET, CH_IO, CH_COUNT };
static const char *const chart_titles[] = { "CPU (% of one core)", "Memory", "Net rx+tx",
					    "Disk read+write" };

static bool value(const struct dome_metric_point *p, enum chart c, double *v)
{
	switch (c) {
	case CH_CPU: *v = p->cpu_pct; return p->has_rates;
	case CH_MEM: *v = p->mem; return true;
	case CH_NET: *v = p->rx_bps + p->tx_bps; return p->has_rates;
	case CH_IO: *v = p->read_bps + p->write_bps; return p->has_rates;
	default: return false;
	}
}

static void fmt_value(enum chart c, double v, char *out, size_t len)
{
	if (c == CH_CPU)
		snprintf(out, len, "%.0f%%", v);
	else if (c == CH_MEM)
		tui_fmt_size((uint64_t)v, out, len);
	else
		tui_fmt_rate(v, out, len);
}

/* One cell of a bar `eighths` high (0..8). */
static void put_cell(const struct tui *t, int eighths)
{
	static const char *const blocks[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = "  ..::##";
	if (t->utf8)
		addstr(blocks[eighths]);
	else
		addch(eighths >= 8 ? '#' : (chtype)ascii[eighths]);
}

#define AXIS 9   /* the value labels' column */

static void draw_chart(struct tui *t, enum chart c, int y, int h, int width)
{
	double col[512];
	bool has[512] = { false };
	double top = c == CH_CPU ? 100 : 0, cur = 0;
	for (size_t i = 0; i < cache.n; i++) {
		double v;
		int x = (int)((cache.pts[i].t - cache.since) / cache.step);
		if (x < 0 || x >= width || !value(&cache.pts[i], c, &v))
			continue;
		col[x] = v;
		has[x] = true;
		cur = v;
		if (v > top)
			top = v;
	}
	if (c == CH_MEM && cache.n && cache.pts[cache.n - 1].has_limit &&
	    (double)cache.pts[cache.n - 1].mem_limit < top * 4)
		top = (double)cache.pts[cache.n - 1].mem_limit; /* the limit, when it is in sight */
	if (top <= 0)
		top = 1;
	char now[32], max[32], title[128];
	fmt_value(c, cur, now, sizeof now);
	fmt_value(c, top, max, sizeof max);
	snprintf(title, sizeof title, "%s  now %s", chart_titles[c], now);
	attrset(tui_attr(t, TUI_LABEL));
	mvaddnstr(y, 0, title, COLS);
	attrset(A_NORMAL);
	for (int row = 0; row < h; row++) {
		int sy = y + 1 + row;
		tui_clear_line(sy, 0);
		attrset(tui_attr(t, TUI_DIM));
		if (row == 0)
			mvprintw(sy, 0, "%*s", AXIS - 1, max);
		else if (row == h - 1)
			mvprintw(sy, 0, "%*s", AXIS - 1, "0");
		mvaddstr(sy, AXIS - 1, t->utf8 ? "│" : "|");
		attrset(tui_attr(t, TUI_SPARK));
		int base = (h - 1 - row) * 8; /* eighths below this row */
		for (int x = 0; x < width; x++) {
			int fill = has[x] ? (int)(col[x] / top * h * 8 + 0.5) : 0;
			if (has[x] && col[x] > 0 && fill == 0)
				fill = 1; /* a little is not nothing */
			int e = fill - base;
			put_cell(t, e < 0 ? 0 : e > 8 ? 8 : e);
		}
		attrset(A_NORMAL);
	}
}

static void fmt_clock(int64_t s, bool with_day, char *out, size_t len)
{
	time_t tt = (time_t)s;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(out, len, with_day ? "%m-%d %H:%M" : "%H:%M", &tm);
}

/* The time axis: ticks, times at both ends and the middle, a mark under
 * each audited change, and what the changes were. */
static int draw_time_axis(struct tui *t, int y, int width, int last_line)
{
	bool day = windows[window_i].seconds > 86400;
	attrset(tui_attr(t, TUI_DIM));
	tui_clear_line(y, 0);
	mvaddstr(y, AXIS - 1, t->utf8 ? "└" : "+");
	for (int x = 0; x < width; x++)
		addstr(x % 10 == 0 ? (t->utf8 ? "┴" : "+") : (t->utf8 ? "─" : "-"));
	size_t nc = json_array_size(cache.changes);
	attrset(tui_attr(t, TUI_STATUS_ERR));
	for (size_t i = 0; i < nc; i++) {
		int64_t at = json_integer_value(json_object_get(json_array_get(cache.changes, i), "at"));
		int x = (int)((at - cache.since) / cache.step);
		if (x >= 0 && x < width)
			mvaddstr(y, AXIS + x, t->utf8 ? "▲" : "^");
	}
	attrset(tui_attr(t, TUI_DIM));
	char a[32], b[32], c[32];
	fmt_clock(cache.since, day, a, sizeof a);
	fmt_clock(cache.since + cache.step * width / 2, day, b, sizeof b);
	fmt_clock(cache.since + cache.step * width, day, c, sizeof c);
	tui_clear_line(y + 1, 0);
	mvaddstr(y + 1, AXIS, a);
	mvaddstr(y + 1, AXIS + width / 2 - (int)strlen(b) / 2, b);
	mvaddstr(y + 1, AXIS + width - (int)strlen(c), c);
	attrset(A_NORMAL);
	y += 2;
	/* newest changes last; as many as fit */
	size_t first = nc > (size_t)(last_line - y + 1 > 0 ? last_line - y + 1 : 0)
			       ? nc - (size_t)(last_line - y + 1) : 0;
	for (size_t i = first; i < nc && y <= last_line; i++, y++) {
		json_t *ch = json_array_get(cache.changes, i);
		char when[32], line[512], fit[512];
		fmt_clock(json_integer_value(json_object_get(ch, "at")), day, when, sizeof when);
		snprintf(line, sizeof line, "%s %s  change #%lld: %s (%s)", t->utf8 ? "▲" : "^", when,
			 (long long)json_integer_value(json_object_get(ch, "id")),
			 json_string_value(json_object_get(ch, "label")),
			 json_string_value(json_object_get(ch, "actor")));
		tui_fit(line, COLS - 2, fit, sizeof fit);
		tui_clear_line(y, 0);
		mvaddstr(y, 2, fit);
	}
	return y;
}

void tui_metrics_draw(struct tui *t, const char *name, int y)
{
	int width = COLS - AXIS - 1;
	if (width > 512)
		width = 512;
	if (width < 10) {
		mvaddstr(y, 2, "(too narrow for the charts)");
		return;
	}
	load(t, name, width);
	char head[160];
	snprintf(head, sizeof head, "Window %s (w: 1h/24h/30d)  tier %s, one column per %llds",
		 windows[window_i].name, dome_metrics_tier_name(cache.tier), (long long)cache.step);
	attrset(tui_attr(t, TUI_DIM));
	mvaddnstr(y, 2, head, COLS - 2);
	attrset(A_NORMAL);
	y += 1;
	if (!cache.have) {
		char fit[1100];
		tui_fit(cache.why, COLS - 4, fit, sizeof fit);
		mvaddstr(y + 1, 2, fit);
		return;
	}
	int last = LINES - 3;     /* above the status and footer lines */
	int avail = last - y + 1 - 2 - 1; /* the time axis, one change line */
	int h = avail / CH_COUNT - 1;
	if (h < 1)
		h = 1;
	if (h > 8)
		h = 8;
	for (int c = 0; c < CH_COUNT && y + h < last - 1; c++) {
		draw_chart(t, (enum chart)c, y, h, width);
		y += h + 1;
	}
	draw_time_axis(t, y, width, last);
}

bool tui_metrics_key(struct tui *t, int ch)
{
	(void)t;
	switch (ch) {
	case 'w': window_i = (window_i + 1) % DOME_ARRAY_SIZE(windows); return true;
	case 'W': window_i = (window_i + DOME_ARRAY_SIZE(windows) - 1) % DOME_ARRAY_SIZE(windows);
		return true;
	}
	return false;
}

/* ---- the host view of the recorder ---- */

void tui_metrics_host_draw(struct tui *t, int y)
{
	struct dome_error err = { 0 };
	const struct dome_config *cfg = &t->ctx->cfg;
	pid_t pid;
	unsigned interval;
	char text[4200], a[32], b[32], c[32];
	int running = dome_recorder_status(t->ctx, &pid, &interval, &err);
	if (running < 0)
		snprintf(text, sizeof text, "unknown: %s", err.msg);
	else if (running)
		snprintf(text, sizeof text, "running (pid %ld)", (long)pid);
	else
		snprintf(text, sizeof text, "not running (start it: systemctl start dome-record, "
			 "or dome record)");
	tui_host_label(t, y++, "Recorder", text);
	snprintf(text, sizeof text, "%us%s", running > 0 && interval ? interval : cfg->metrics_interval,
		 running > 0 ? "" : " ([metrics] interval)");
	tui_host_label(t, y++, "Interval", text);
	struct dome_metrics_usage u;
	char path[4096];
	dome_metrics_path(t->ctx, path, sizeof path);
	err.msg[0] = '\0';
	if (dome_metrics_usage(t->ctx, &u, &err) < 0) {
		tui_host_label(t, y++, "metrics.db", err.msg);
		return;
	}
	tui_fmt_size(u.file_bytes, a, sizeof a);
	snprintf(text, sizeof text, "%s, %s", path, u.file_bytes ? a : "not made yet");
	tui_host_label(t, y++, "metrics.db", text);
	snprintf(text, sizeof text, "%lld raw, %lld minute, %lld hour (container rows)",
		 (long long)u.raw_rows, (long long)u.minute_rows, (long long)u.hour_rows);
	tui_host_label(t, y++, "Samples kept", text);
	int64_t rows = u.raw_rows + u.minute_rows + u.hour_rows;
	if (rows > 0)
		snprintf(text, sizeof text, "%.0f bytes per stored container sample (file size / rows, "
			 "host rows and indexes included)", (double)u.file_bytes / (double)rows);
	else
		snprintf(text, sizeof text, "-");
	tui_host_label(t, y++, "Bytes per sample", text);
	if (u.last_sample) {
		time_t tt = (time_t)u.last_sample;
		struct tm tm;
		localtime_r(&tt, &tm);
		strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
	} else {
		snprintf(text, sizeof text, "none");
	}
	tui_host_label(t, y++, "Last sample", text);
	tui_fmt_duration(cfg->metrics_raw_keep, a, sizeof a);
	tui_fmt_duration(cfg->metrics_minute_keep, b, sizeof b);
	tui_fmt_duration(cfg->metrics_hour_keep, c, sizeof c);
	snprintf(text, sizeof text, "raw %s, minute %s, hour %s", a, b, c);
	tui_host_label(t, y++, "Retention", text);
	tui_host_label(t, y++, "Export", cfg->metrics_textfile[0] ? cfg->metrics_textfile
						       : "no textfile ([metrics] textfile)");
}

void tui_metrics_fill_sparks(struct tui *t, struct tui_row *rows, size_t n)
{
	struct dome_error err = { 0 };
	pid_t pid;
	unsigned interval;
	if (dome_recorder_status(t->ctx, &pid, &interval, &err) != 1)
		return;
	struct dome_metrics *m = dome_metrics_open(t->ctx, false, &err);
	if (!m)
		return;
	for (size_t i = 0; i < n; i++) {
		struct tui_row *r = &rows[i];
		if (!r->live || r->spark_n)
			continue;
		size_t got;
		if (dome_metrics_recent_cpu(m, r->c.name, r->spark, TUI_SPARK_LEN, &got, &err) == 1)
			r->spark_n = got;
	}
	dome_metrics_close(m);
}
