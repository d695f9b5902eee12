/* Reading the metrics history: one container's series, and containers
 * ranked by a metric. Every tier is read as sums and counts, so raw
 * samples and buckets are summed up into steps the same way. */
#include "metrics.h"
#include "metrics_sql.h"
#include "cleanup.h"
#include "audit.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns every tier yields, in this order:
 * t, n, nr, cpu, mem, mem_cache, swap, pids, rx, tx, rd, wr (sums),
 * cpu_max, mem_max, mem_limit, oom_kills, state (last) */
#define SUMS(t) t "_sum, "
#define BUCKET_SERIES(table) \
	"SELECT t, n, nr, " SUMS("cpu") SUMS("mem") SUMS("mem_cache") SUMS("swap") SUMS("pids") \
	SUMS("rx") SUMS("tx") SUMS("rd") SUMS("wr") "cpu_max, mem_max, mem_limit, oom_kills, state " \
	"FROM " table " WHERE series = ?1 AND t >= ?2 AND t < ?3 ORDER BY t"

static const char *const SQL_SERIES[] = {
	"SELECT t, 1, cpu IS NOT NULL, cpu, mem, mem_cache, swap, pids, rx, tx, rd, wr, cpu, mem, "
	"mem_limit, oom_kills, state FROM raw WHERE series = ?1 AND t >= ?2 AND t < ?3 ORDER BY t",
	BUCKET_SERIES("minute"),
	BUCKET_SERIES("hour"),
};
static const char SQL_SERIES_ID[] =
	"SELECT id, coalesce(destroyed_at, 0) FROM series WHERE container = ?1 "
	"ORDER BY created_at DESC LIMIT 1";

enum dome_metrics_tier dome_metrics_pick_tier(const struct dome_config *cfg, int64_t since,
					      int64_t now_s)
{
	if (since >= now_s - cfg->metrics_raw_keep)
		return DOME_TIER_RAW;
	if (since >= now_s - cfg->metrics_minute_keep)
		return DOME_TIER_MINUTE;
	return DOME_TIER_HOUR;
}

enum dome_metrics_tier dome_metrics_rank_tier(const struct dome_config *cfg,
					      const struct dome_metrics_window *w, int64_t now_s)
{
	enum dome_metrics_tier t = dome_metrics_pick_tier(cfg, w->since, now_s);
	if (t == DOME_TIER_RAW && w->until - w->since >= 3600)
		t = DOME_TIER_MINUTE;
	return t;
}

/* Sums of one step while it is being built. */
struct acc {
	int64_t t, n, nr;
	double sum[9];            /* cpu mem mem_cache swap pids rx tx rd wr */
	bool has_net;
	double cpu_max, mem_max;
	bool has_limit;
	int64_t mem_limit, oom_kills;
	int state;
};

static void acc_add(struct acc *a, sqlite3_stmt *s)
{
	a->n += sqlite3_column_int64(s, 1);
	a->nr += sqlite3_column_int64(s, 2);
	for (int i = 0; i < 9; i++)
		a->sum[i] += sqlite3_column_double(s, 3 + i);
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		a->has_net = true;
	double cm = sqlite3_column_double(s, 12), mm = sqlite3_column_double(s, 13);
	if (cm > a->cpu_max)
		a->cpu_max = cm;
	if (mm > a->mem_max)
		a->mem_max = mm;
	a->has_limit = sqlite3_column_type(s, 14) != SQLITE_NULL;
	a->mem_limit = sqlite3_column_int64(s, 14);
	a->oom_kills = sqlite3_column_int64(s, 15);
	a->state = sqlite3_column_int(s, 16);
}

static void acc_point(const struct acc *a, struct dome_metric_point *p)
{
	memset(p, 0, sizeof *p);
	p->t = a->t;
	p->n = a->n;
	p->has_rates = a->nr > 0;
	double nr = a->nr > 0 ? (double)a->nr : 1, n = a->n > 0 ? (double)a->n : 1;
	p->cpu_pct = a->sum[0] / nr / 10000.0;
	p->mem = a->sum[1] / n;
	p->mem_cache = a->sum[2] / n;
	p->swap = a->sum[3] / n;
	p->pids = a->sum[4] / n;
	p->rx_bps = a->sum[5] / nr;
	p->tx_bps = a->sum[6] / nr;
	p->read_bps = a->sum[7] / nr;
	p->write_bps = a->sum[8] / nr;
	p->cpu_max = a->cpu_max / 10000.0;
	p->mem_max = a->mem_max;
	p->has_limit = a->has_limit;
	p->mem_limit = a->mem_limit;
	p->oom_kills = a->oom_kills;
	p->state = a->state;
}

int dome_metrics_series_id(struct dome_metrics *m, const char *name, int64_t *id,
			   int64_t *destroyed_at, struct dome_error *err)
{
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_SERIES_ID, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return dome_metrics_fail(m, err, "finding a container's metrics");
	*id = sqlite3_column_int64(s, 0);
	*destroyed_at = sqlite3_column_int64(s, 1);
	return 1;
}

int dome_metrics_series_of(struct dome_metrics *m, int64_t id, enum dome_metrics_tier tier,
			   const struct dome_metrics_window *w, struct dome_metric_point **out,
			   size_t *n, struct dome_error *err)
{
	*out = NULL;
	*n = 0;
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_SERIES[tier], err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, w->since);
	sqlite3_bind_int64(s, 3, w->until);
	__cleanup_free struct dome_metric_point *pts = NULL;
	size_t np = 0, cap = 0;
	struct acc a = { .t = -1 };
	int rc;
	for (;;) {
		rc = sqlite3_step(s);
		int64_t t = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		if (w->step > 0)
			t -= (t - w->since) % w->step;
		if (a.t >= 0 && (rc != SQLITE_ROW || t != a.t)) {
			if (np == cap) {
				cap = cap ? cap * 2 : 256;
				struct dome_metric_point *g = realloc(pts, cap * sizeof *g);
				if (!g)
					return dome_fail(err, ENOMEM, "reading a series");
				pts = g;
			}
			acc_point(&a, &pts[np++]);
			a = (struct acc){ .t = -1 };
		}
		if (rc != SQLITE_ROW)
			break;
		a.t = t;
		acc_add(&a, s);
	}
	if (rc != SQLITE_DONE)
		return dome_metrics_fail(m, err, "reading a series");
	*out = move_ptr(pts);
	*n = np;
	return 0;
}

int dome_metrics_series(struct dome_metrics *m, const char *name,
			enum dome_metrics_tier tier, const struct dome_metrics_window *w,
			struct dome_metric_point **out, size_t *n, int64_t *destroyed_at,
			struct dome_error *err)
{
	*out = NULL;
	*n = 0;
	*destroyed_at = 0;
	int64_t id;
	int found = dome_metrics_series_id(m, name, &id, destroyed_at, err);
	if (found <= 0)
		return found;
	if (dome_metrics_series_of(m, id, tier, w, out, n, err) < 0)
		return -1;
	return 1;
}

/* ---- ranking ---- */

static const char *const key_names[] = { "cpu", "mem", "rx", "tx", "read", "write" };

int dome_metrics_key_parse(const char *s, enum dome_metrics_key *out, struct dome_error *err)
{
	for (size_t i = 0; i < DOME_ARRAY_SIZE(key_names); i++) {
		if (strcmp(s, key_names[i]) == 0) {
			*out = (enum dome_metrics_key)i;
			return 0;
		}
	}
	return dome_invalid(err, "--top '%.40s' is not a metric; rank by cpu, mem, rx, tx, read "
			    "or write", s);
}

/* Per container: samples, samples with rates, then sum and max of cpu,
 * mem, rx, tx, rd, wr. The series table drives the join, so each
 * container's rows are a range of the primary key. */
#define RANK_RAW(m) "sum(r." m "), max(r." m "), "
#define RANK_BUCKET(m) "sum(b." m "_sum), max(b." m "_max), "
#define RANK_TIER(table) \
	"SELECT s.container, s.destroyed_at IS NOT NULL, sum(b.n), sum(b.nr), " \
	RANK_BUCKET("cpu") RANK_BUCKET("mem") RANK_BUCKET("rx") RANK_BUCKET("tx") \
	RANK_BUCKET("rd") RANK_BUCKET("wr") "0 FROM series s CROSS JOIN " table " b " \
	"ON b.series = s.id WHERE b.t >= ?1 AND b.t < ?2 GROUP BY s.id"

static const char *const SQL_RANK[] = {
	"SELECT s.container, s.destroyed_at IS NOT NULL, count(*), count(r.cpu), "
	RANK_RAW("cpu") RANK_RAW("mem") RANK_RAW("rx") RANK_RAW("tx") RANK_RAW("rd") RANK_RAW("wr")
	"0 FROM series s CROSS JOIN raw r ON r.series = s.id WHERE r.t >= ?1 AND r.t < ?2 "
	"GROUP BY s.id",
	RANK_TIER("minute"),
	RANK_TIER("hour"),
};

static int rank_cmp(const void *a, const void *b)
{
	const struct dome_metrics_rank *x = a, *y = b;
	if (x->avg != y->avg)
		return x->avg < y->avg ? 1 : -1;
	return strcmp(x->container, y->container);
}

int dome_metrics_top(struct dome_metrics *m, enum dome_metrics_key key,
		     enum dome_metrics_tier tier, const struct dome_metrics_window *w,
		     size_t limit, struct dome_metrics_rank **out, size_t *n,
		     struct dome_error *err)
{
	*out = NULL;
	*n = 0;
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_RANK[tier], err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, w->since);
	sqlite3_bind_int64(s, 2, w->until);
	__cleanup_free struct dome_metrics_rank *rows = NULL;
	size_t nr = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t samples = sqlite3_column_int64(s, 2), rated = sqlite3_column_int64(s, 3);
		int col = 4 + 2 * (int)key;
		/* memory is a gauge of every sample; the rest are rates */
		double div = key == DOME_MKEY_MEM ? (double)samples : (double)rated;
		double scale = key == DOME_MKEY_CPU ? 10000.0 : 1.0;
		if (sqlite3_column_type(s, col) == SQLITE_NULL || div <= 0)
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			struct dome_metrics_rank *g = realloc(rows, cap * sizeof *g);
			if (!g)
				return dome_fail(err, ENOMEM, "ranking containers");
			rows = g;
		}
		struct dome_metrics_rank *r = &rows[nr++];
		memset(r, 0, sizeof *r);
		strlcpy(r->container, (const char *)sqlite3_column_text(s, 0), sizeof r->container);
		r->destroyed = sqlite3_column_int(s, 1);
		r->samples = samples;
		r->avg = sqlite3_column_double(s, col) / div / scale;
		r->max = sqlite3_column_double(s, col + 1) / scale;
	}
	if (rc != SQLITE_DONE)
		return dome_metrics_fail(m, err, "ranking containers");
	if (nr)
		qsort(rows, nr, sizeof *rows, rank_cmp);
	*n = nr < limit ? nr : limit;
	*out = move_ptr(rows);
	return 0;
}

/* ---- changes beside the series ---- */

/* "set memory=128M cpus=1": the action and the request's string and
 * number values (params is the request as recorded). */
static void change_label(json_t *row, char *out, size_t len)
{
	const char *action = json_string_value(json_object_get(row, "action"));
	size_t at = (size_t)snprintf(out, len, "%s", action ? action : "?");
	json_t *params = json_object_get(row, "params");
	const char *k;
	json_t *v;
	json_object_foreach(params, k, v) {
		if (at >= len)
			break;
		if (json_is_string(v))
			at += (size_t)snprintf(out + at, len - at, " %s=%s", k, json_string_value(v));
		else if (json_is_integer(v))
			at += (size_t)snprintf(out + at, len - at, " %s=%" PRId64, k,
					       (int64_t)json_integer_value(v));
	}
}

int dome_metrics_changes(struct dome_ctx *ctx, const char *name, int64_t since, int64_t until,
			 json_t **out, struct dome_error *err)
{
	*out = NULL;
	struct dome_history_filter f = { .target = name, .since_ms = since * 1000,
					 .until_ms = until * 1000, .limit = 1000 };
	json_t *rows = NULL;
	if (dome_audit_history(ctx, &f, &rows, err) < 0)
		return -1;
	json_t *list = json_array();
	for (size_t i = json_array_size(rows); list && i-- > 0;) {
		json_t *row = json_array_get(rows, i);
		char label[256], actor[160];
		change_label(row, label, sizeof label);
		dome_actor_label(json_string_value(json_object_get(row, "user")),
				 json_string_value(json_object_get(row, "sudo_user")), actor, sizeof actor);
		json_array_append_new(list, json_pack("{s:I, s:I, s:s?, s:s, s:s, s:s?}", "id",
			(json_int_t)json_integer_value(json_object_get(row, "id")), "at",
			(json_int_t)(json_integer_value(json_object_get(row, "started_at")) / 1000),
			"action", json_string_value(json_object_get(row, "action")), "label", label,
			"actor", actor, "result", json_string_value(json_object_get(row, "result"))));
	}
	json_decref(rows);
	if (!list)
		return dome_fail(err, ENOMEM, "listing changes");
	*out = list;
	return 0;
}

/* ---- the console's sparkline ---- */

static const char SQL_RECENT_CPU[] =
	"SELECT cpu FROM raw WHERE series = ?1 AND cpu IS NOT NULL ORDER BY t DESC LIMIT ?2";

int dome_metrics_recent_cpu(struct dome_metrics *m, const char *name, uint8_t *out, size_t max,
			    size_t *got, struct dome_error *err)
{
	*got = 0;
	int64_t id, destroyed;
	int found = dome_metrics_series_id(m, name, &id, &destroyed, err);
	if (found <= 0)
		return found;
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_RECENT_CPU, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	size_t n = 0;
	int rc;
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t pct = sqlite3_column_int64(s, 0) / 10000;
		out[n++] = (uint8_t)(pct < 0 ? 0 : pct > 100 ? 100 : pct);
	}
	for (size_t i = 0; i < n / 2; i++) { /* newest first from the query */
		uint8_t tmp = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = tmp;
	}
	*got = n;
	return 1;
}

/* ---- metrics beside the incident report ---- */

static json_t *around_json(const struct dome_metric_point *p, int64_t window)
{
	json_t *o = json_pack("{s:I, s:I, s:I}", "window_s", (json_int_t)window, "samples",
			      (json_int_t)p->n, "mem_bytes", (json_int_t)p->mem);
	if (!o)
		return NULL;
	const char *k[] = { "cpu_pct", "rx_bps", "tx_bps", "read_bps", "write_bps" };
	double v[] = { p->cpu_pct, p->rx_bps, p->tx_bps, p->read_bps, p->write_bps };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(k); i++)
		json_object_set_new(o, k[i], p->has_rates ? json_real(v[i]) : json_null());
	return o;
}

int dome_metrics_annotate_report(struct dome_metrics *m, const struct dome_config *cfg,
				 json_t *report, int64_t around_s, struct dome_error *err)
{
	int64_t now = dome_now_ms() / 1000;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(report, "timeline"), i, e) {
		const char *name = json_string_value(json_object_get(e, "container"));
		if (!name)
			name = json_string_value(json_object_get(e, "target"));
		if (!name)
			continue;
		int64_t at = json_integer_value(json_object_get(e, "at")) / 1000;
		struct dome_metrics_window w = { at - around_s, at + around_s, 2 * around_s };
		enum dome_metrics_tier tier = dome_metrics_pick_tier(cfg, w.since, now);
		__cleanup_free struct dome_metric_point *pts = NULL;
		size_t n;
		int64_t destroyed;
		if (dome_metrics_series(m, name, tier, &w, &pts, &n, &destroyed, err) < 0)
			return -1;
		json_object_set_new(e, "metrics", n ? around_json(&pts[0], 2 * around_s) : json_null());
	}
	return 0;
}
