/* The container table: one dome_inv_list per refresh, live figures from the
 * engine, history (rates, CPU sparkline) carried over by container id, then
 * filter and sort into an index, and the selection kept by id. */
#include "tui.h"
#include "format.h"
#include <arpa/inet.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct column {
	const char *title;
	int width;
	bool right;
	int priority;     /* dropped from the highest number when narrow */
};

static const struct column columns[COL_COUNT] = {
	[COL_NAME] = { "NAME", 14, false, 0 },
	[COL_STATE] = { "STATE", 8, false, 0 },
	[COL_PID] = { "PID", 7, true, 3 },
	[COL_IPV4] = { "IPV4", 15, false, 5 },
	[COL_CPU] = { "CPU%", 6, true, 1 },
	[COL_MEM] = { "MEMORY", 20, false, 1 },
	[COL_PIDS] = { "PIDS", 5, true, 6 },
	[COL_NET] = { "NET RX/TX", 13, false, 7 },
	[COL_UPTIME] = { "UPTIME", 7, true, 4 },
	[COL_AUTO] = { "AUTO", 4, false, 8 },
	[COL_SPARK] = { "CPU 1m", 10, false, 9 },
};

const char *tui_col_name(enum tui_col c)
{
	return c < COL_COUNT ? columns[c].title : "?";
}

enum tui_role tui_state_role(const char *state)
{
	if (strcmp(state, "running") == 0)
		return TUI_RUNNING;
	if (strcmp(state, "frozen") == 0)
		return TUI_FROZEN;
	if (strcmp(state, "stopped") == 0)
		return TUI_STOPPED;
	if (strcmp(state, "error") == 0)
		return TUI_ERROR;
	return TUI_NORMAL;
}

static int state_rank(const char *state)
{
	static const char *const order[] = { "running", "frozen", "starting", "stopping",
					     "error", "stopped" };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(state, order[i]) == 0)
			return (int)i;
	return 6;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

int tui_row_compare(const struct tui_row *a, const struct tui_row *b, enum tui_col col,
		    bool group_by_state)
{
	int r = 0;
	if (group_by_state && (r = CMP(state_rank(a->c.state), state_rank(b->c.state))))
		return r;
	switch (col) {
	case COL_NAME: break;
	case COL_STATE: r = CMP(state_rank(a->c.state), state_rank(b->c.state)); break;
	case COL_PID: r = CMP(a->c.pid, b->c.pid); break;
	case COL_IPV4: r = strcmp(a->ipv4, b->ipv4); break;
	case COL_CPU: r = CMP(a->cpu_pct, b->cpu_pct); break;
	case COL_MEM: r = CMP(a->mem, b->mem); break;
	case COL_PIDS: r = CMP(a->pids, b->pids); break;
	case COL_NET: r = CMP(a->rx_rate + a->tx_rate, b->rx_rate + b->tx_rate); break;
	case COL_UPTIME: r = CMP(a->uptime_s, b->uptime_s); break;
	case COL_AUTO: r = CMP(a->c.autostart, b->c.autostart); break;
	case COL_SPARK: r = CMP(a->cpu_pct, b->cpu_pct); break;
	default: break;
	}
	return r ? r : strcmp(a->c.name, b->c.name);
}

static struct tui *sort_ctx; /* qsort has no user pointer */

static int cmp_order(const void *pa, const void *pb)
{
	const struct tui *t = sort_ctx;
	const struct tui_row *a = &t->rows[*(const size_t *)pa];
	const struct tui_row *b = &t->rows[*(const size_t *)pb];
	int r = tui_row_compare(a, b, t->sort_col, t->group_by_state);
	if (t->sort_desc && !(t->group_by_state && state_rank(a->c.state) != state_rank(b->c.state)))
		r = -r;
	return r;
}

static bool matches(const struct tui_row *r, const char *filter)
{
	if (!filter[0])
		return true;
	return strcasestr(r->c.name, filter) || strcasestr(r->c.state, filter) ||
	       strcasestr(r->c.image, filter) || (r->ipv4[0] && strstr(r->ipv4, filter));
}

static void keep_selection_visible(struct tui *t)
{
	size_t sel = 0;
	bool found = false;
	for (size_t i = 0; i < t->nvisible; i++)
		if (t->rows[t->order[i]].c.id == t->selected_id) {
			sel = i;
			found = true;
			break;
		}
	if (!found) {
		sel = 0;
		t->selected_id = t->nvisible ? t->rows[t->order[0]].c.id : 0;
	}
	size_t h = t->table_h > 1 ? (size_t)t->table_h - 1 : 1;
	if (sel < t->top)
		t->top = sel;
	else if (sel >= t->top + h)
		t->top = sel - h + 1;
	if (t->top + h > t->nvisible)
		t->top = t->nvisible > h ? t->nvisible - h : 0;
}

void tui_table_apply(struct tui *t)
{
	t->nvisible = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (matches(&t->rows[i], t->filter))
			t->order[t->nvisible++] = i;
	sort_ctx = t;
	if (t->nvisible)
		qsort(t->order, t->nvisible, sizeof *t->order, cmp_order);
	sort_ctx = NULL;
	keep_selection_visible(t);
}

static int cmp_row_id(const void *pa, const void *pb)
{
	const struct tui_row *a = pa, *b = pb;
	return CMP(a->c.id, b->c.id);
}

/* Live figures and rates from the engine; history moves on by one sample. */
static void sample_row(struct tui *t, struct tui_row *r, const struct tui_row *old, int64_t now)
{
	if (old) {
		r->prev_cpu_usec = old->prev_cpu_usec;
		r->prev_rx = old->prev_rx;
		r->prev_tx = old->prev_tx;
		r->prev_ms = old->prev_ms;
		memcpy(r->spark, old->spark, sizeof r->spark);
		r->spark_n = old->spark_n;
	}
	r->mem_limit = r->c.limits.memory;
	bool up = strcmp(r->c.state, "running") == 0 || strcmp(r->c.state, "frozen") == 0;
	struct dome_container_stats s;
	struct dome_error err = { 0 };
	if (!up || !tui_engine.stats || tui_engine.stats(t->ctx, &r->c, &s, &err) < 0) {
		r->prev_ms = 0;
		r->spark_n = 0;
		return;
	}
	r->live = true;
	r->mem = s.cg.memory_current;
	if (s.cg.memory_limit && s.cg.memory_limit != DOME_UNLIMITED)
		r->mem_limit = s.cg.memory_limit;
	r->pids = s.cg.pids_current;
	r->uptime_s = s.uptime_s;
	if (s.ipv4) {
		struct in_addr in = { .s_addr = htonl(s.ipv4) };
		inet_ntop(AF_INET, &in, r->ipv4, sizeof r->ipv4);
	}
	r->rx_total = s.net.rx_bytes;
	r->tx_total = s.net.tx_bytes;
	strlcpy(r->host_ifname, s.host_ifname, sizeof r->host_ifname);
	if (r->prev_ms && now > r->prev_ms) {
		double dt = (double)(now - r->prev_ms) / 1000.0;
		if (s.cg.cpu_usec >= r->prev_cpu_usec)
			r->cpu_pct = (double)(s.cg.cpu_usec - r->prev_cpu_usec) / 1e4 / dt;
		if (s.net.rx_bytes >= r->prev_rx)
			r->rx_rate = (double)(s.net.rx_bytes - r->prev_rx) / dt;
		if (s.net.tx_bytes >= r->prev_tx)
			r->tx_rate = (double)(s.net.tx_bytes - r->prev_tx) / dt;
		if (r->spark_n == TUI_SPARK_LEN) {
			memmove(r->spark, r->spark + 1, TUI_SPARK_LEN - 1);
			r->spark_n--;
		}
		r->spark[r->spark_n++] = (uint8_t)(r->cpu_pct > 100 ? 100 : r->cpu_pct);
	}
	r->prev_cpu_usec = s.cg.cpu_usec;
	r->prev_rx = s.net.rx_bytes;
	r->prev_tx = s.net.tx_bytes;
	r->prev_ms = now;
}

static void count_states(struct tui *t)
{
	struct dome_host *h = &t->host;
	h->running = h->frozen = h->stopped = h->other = 0;
	for (size_t i = 0; i < t->nrows; i++) {
		const char *s = t->rows[i].c.state;
		if (strcmp(s, "running") == 0)
			h->running++;
		else if (strcmp(s, "frozen") == 0)
			h->frozen++;
		else if (strcmp(s, "stopped") == 0)
			h->stopped++;
		else
			h->other++;
	}
}

void tui_table_refresh(struct tui *t)
{
	struct dome_container *list = NULL;
	size_t n = 0;
	struct dome_error err = { 0 };
	if (dome_inv_list(t->ctx->store, &list, &n, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	struct tui_row *rows = calloc(n ? n : 1, sizeof *rows);
	size_t *order = calloc(n ? n : 1, sizeof *order);
	if (!rows || !order) {
		free(rows);
		free(order);
		free(list);
		tui_status(t, true, "out of memory reading the inventory");
		return;
	}
	/* The old rows, sorted by id, to find each container's history. */
	if (t->nrows)
		qsort(t->rows, t->nrows, sizeof *t->rows, cmp_row_id);
	int64_t now = tui_now_ms();
	for (size_t i = 0; i < n; i++) {
		rows[i].c = list[i];
		struct tui_row key = { .c.id = list[i].id };
		const struct tui_row *old = t->nrows ? bsearch(&key, t->rows, t->nrows,
							       sizeof *t->rows, cmp_row_id) : NULL;
		sample_row(t, &rows[i], old, now);
	}
	free(list);
	/* The first refresh after the console opens: the sparklines start from
	 * the recorder's history instead of empty (metrics.c). */
	if (!t->nrows)
		tui_metrics_fill_sparks(t, rows, n);
	free(t->rows);
	free(t->order);
	t->rows = rows;
	t->order = order;
	t->nrows = n;
	count_states(t);
	tui_table_apply(t);
}

struct tui_row *tui_table_selected(struct tui *t)
{
	for (size_t i = 0; i < t->nvisible; i++)
		if (t->rows[t->order[i]].c.id == t->selected_id)
			return &t->rows[t->order[i]];
	return NULL;
}

static size_t selected_index(const struct tui *t)
{
	for (size_t i = 0; i < t->nvisible; i++)
		if (t->rows[t->order[i]].c.id == t->selected_id)
			return i;
	return 0;
}

void tui_table_move(struct tui *t, long delta)
{
	if (!t->nvisible)
		return;
	long i = (long)selected_index(t) + delta;
	if (i < 0)
		i = 0;
	if (i >= (long)t->nvisible)
		i = (long)t->nvisible - 1;
	t->selected_id = t->rows[t->order[i]].c.id;
	keep_selection_visible(t);
}

void tui_table_home(struct tui *t, bool end)
{
	tui_table_move(t, end ? (long)t->nvisible : -(long)t->nvisible);
}

void tui_table_click(struct tui *t, int y)
{
	long line = (long)y - t->table_y - 1; /* below the column titles */
	if (line < 0 || (size_t)line + t->top >= t->nvisible)
		return;
	t->selected_id = t->rows[t->order[t->top + (size_t)line]].c.id;
}

/* Which columns fit in `width`: drop the highest priority numbers first. */
static void visible_columns(int width, bool show[COL_COUNT])
{
	for (int c = 0; c < COL_COUNT; c++)
		show[c] = true;
	for (int prio = 9; prio > 0; prio--) {
		int used = 0;
		for (int c = 0; c < COL_COUNT; c++)
			if (show[c])
				used += columns[c].width + 1;
		if (used <= width)
			return;
		for (int c = 0; c < COL_COUNT; c++)
			if (columns[c].priority == prio)
				show[c] = false;
	}
}

static void cell_text(struct tui *t, const struct tui_row *r, enum tui_col c, char *out,
		      size_t len)
{
	char a[32], b[32];
	bool up = r->c.pid > 0;
	out[0] = '\0';
	switch (c) {
	case COL_NAME: snprintf(out, len, "%s", r->c.name); break;
	case COL_STATE: snprintf(out, len, "%s", r->c.state); break;
	case COL_PID:
		if (up)
			snprintf(out, len, "%lld", (long long)r->c.pid);
		else
			snprintf(out, len, "-");
		break;
	case COL_IPV4:
		snprintf(out, len, "%s", r->ipv4[0] ? r->ipv4 : r->c.ipv4_static[0] ? r->c.ipv4_static : "-");
		break;
	case COL_CPU:
		if (r->live)
			tui_fmt_percent(r->cpu_pct, out, len);
		else
			snprintf(out, len, "-");
		break;
	case COL_MEM: {
		if (!r->live && r->mem_limit == DOME_UNLIMITED) {
			snprintf(out, len, "-");
			break;
		}
		tui_fmt_size(r->mem, a, sizeof a);
		if (r->mem_limit == DOME_UNLIMITED)
			snprintf(b, sizeof b, "-");
		else
			tui_fmt_size(r->mem_limit, b, sizeof b);
		snprintf(out, len, "%s/%s", r->live ? a : "-", b);
		break;
	}
	case COL_PIDS:
		if (r->live)
			snprintf(out, len, "%llu", (unsigned long long)r->pids);
		else
			snprintf(out, len, "-");
		break;
	case COL_NET:
		if (r->live) {
			tui_fmt_rate(r->rx_rate, a, sizeof a);
			tui_fmt_rate(r->tx_rate, b, sizeof b);
			snprintf(out, len, "%s %s", a, b);
		} else {
			snprintf(out, len, "-");
		}
		break;
	case COL_UPTIME:
		if (r->live)
			tui_fmt_duration(r->uptime_s, out, len);
		else
			snprintf(out, len, "-");
		break;
	case COL_AUTO: snprintf(out, len, "%s", r->c.autostart ? "yes" : "no"); break;
	case COL_SPARK:
		tui_sparkline(r->spark, r->spark_n, columns[COL_SPARK].width, t->utf8, out, len);
		break;
	default: break;
	}
}

static void draw_cell(struct tui *t, const struct tui_row *r, enum tui_col c, int y, int x,
		      bool selected)
{
	const struct column *col = &columns[c];
	char text[256], fit[256];
	int base = selected ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL;
	if (c == COL_MEM && r->live && r->mem_limit != DOME_UNLIMITED && r->mem_limit) {
		/* a small bar, coloured by how close the container is to its limit */
		double f = (double)r->mem / (double)r->mem_limit;
		char bar[64];
		tui_bar(f, 6, t->utf8, bar, sizeof bar);
		enum tui_level lv = tui_level_of(f);
		attrset(selected ? base : tui_attr(t, lv == TUI_LEVEL_CRIT ? TUI_BAR_CRIT :
						      lv == TUI_LEVEL_WARN ? TUI_BAR_WARN :
						      TUI_BAR_OK));
		mvaddstr(y, x, bar);
		attrset(base);
		cell_text(t, r, c, text, sizeof text);
		tui_fit(text, col->width - 7, fit, sizeof fit);
		mvprintw(y, x + 7, "%-*s", col->width - 7, fit);
		return;
	}
	cell_text(t, r, c, text, sizeof text);
	tui_fit(text, col->width, fit, sizeof fit);
	int pad = col->width - tui_cells(fit);
	int a = base;
	if (!selected && c == COL_STATE)
		a = tui_attr(t, tui_state_role(r->c.state));
	else if (!selected && c == COL_SPARK)
		a = tui_attr(t, TUI_SPARK);
	else if (!selected && (c == COL_NAME) && strcmp(r->c.state, "stopped") == 0)
		a = tui_attr(t, TUI_STOPPED);
	attrset(a);
	move(y, x);
	if (col->right)
		printw("%*s%s", pad, "", fit);
	else
		printw("%s%*s", fit, pad, "");
}

void tui_table_draw(struct tui *t, int y, int h)
{
	t->table_y = y;
	t->table_h = h;
	keep_selection_visible(t);
	bool show[COL_COUNT];
	visible_columns(COLS, show);
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	int x = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		if (!show[c])
			continue;
		char title[64];
		snprintf(title, sizeof title, "%s%s", columns[c].title,
			 (enum tui_col)c == t->sort_col ? (t->sort_desc ? "v" : "^") : "");
		move(y, x);
		if (columns[c].right)
			printw("%*s", columns[c].width, title);
		else
			printw("%-*s", columns[c].width, title);
		x += columns[c].width + 1;
	}
	attrset(A_NORMAL);
	if (!t->nvisible) {
		attrset(tui_attr(t, TUI_DIM));
		mvaddstr(y + 2, 2, t->nrows ? "No container matches the filter (Esc clears it)."
					    : "No containers yet. Press F7 or c to create one.");
		attrset(A_NORMAL);
		return;
	}
	for (int line = 1; line < h && t->top + (size_t)line - 1 < t->nvisible; line++) {
		const struct tui_row *r = &t->rows[t->order[t->top + (size_t)line - 1]];
		bool sel = r->c.id == t->selected_id;
		if (sel) {
			attrset(tui_attr(t, TUI_SELECTED));
			tui_clear_line(y + line, 0);
		}
		x = 0;
		for (int c = 0; c < COL_COUNT; c++) {
			if (!show[c])
				continue;
			draw_cell(t, r, (enum tui_col)c, y + line, x, sel);
			if (sel)
				addch(' ');
			x += columns[c].width + 1;
		}
		attrset(A_NORMAL);
	}
}
