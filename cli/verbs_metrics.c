/* dome metrics: a container's series from metrics.db (with the audited
 * changes of the window marked), containers ranked, and the Prometheus and
 * InfluxDB exports. Reads only; the recorder (dome record) writes. */
#include "cli.h"
#include "metrics.h"
#include "report.h"
#include "validate.h"
#include "cleanup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct metrics_args {
	const char *since, *until, *step, *top, *limit;
	bool json, csv, prometheus, influx;
};

enum { OPT_SINCE = 1, OPT_UNTIL, OPT_STEP, OPT_JSON, OPT_CSV, OPT_TOP, OPT_LIMIT, OPT_PROM,
       OPT_INFLUX };

static int on_metrics_opt(int opt, const char *arg, void *data)
{
	struct metrics_args *a = data;
	switch (opt) {
	case OPT_SINCE: a->since = arg; return 0;
	case OPT_UNTIL: a->until = arg; return 0;
	case OPT_STEP: a->step = arg; return 0;
	case OPT_JSON: a->json = true; return 0;
	case OPT_CSV: a->csv = true; return 0;
	case OPT_TOP: a->top = arg; return 0;
	case OPT_LIMIT: a->limit = arg; return 0;
	case OPT_PROM: a->prometheus = true; return 0;
	case OPT_INFLUX: a->influx = true; return 0;
	default: return EXIT_USAGE;
	}
}

/* The window: the same time forms as `dome history` (report.h), seconds. */
static int parse_window(const struct metrics_args *a, int64_t now_ms,
			struct dome_metrics_window *w, struct dome_error *err)
{
	int64_t since_ms, until_ms = now_ms;
	if (dome_parse_time("--since", a->since ? a->since : "-1h", now_ms, &since_ms, err) < 0)
		return -1;
	if (a->until && dome_parse_time("--until", a->until, now_ms, &until_ms, err) < 0)
		return -1;
	if (until_ms <= since_ms)
		return dome_invalid(err, "--until (%s) must be later than --since (%s)",
				    a->until ? a->until : "now", a->since ? a->since : "-1h");
	w->since = since_ms / 1000;
	w->until = until_ms / 1000 + 1; /* until is the last second shown */
	w->step = 0;
	if (a->step && dome_parse_duration("--step", a->step, 1, 10 * 365 * 86400LL, &w->step, err) < 0)
		return -1;
	return 0;
}

static void fmt_time(int64_t s, char *out, size_t len)
{
	time_t t = (time_t)s;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void fmt_bytes(double v, char *out, size_t len)
{
	dome_format_size(v < 0 ? 0 : (uint64_t)v, out, len);
}

/* ---- a series ---- */

static json_t *point_json(const struct dome_metric_point *p)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}", "time", (json_int_t)p->t,
			      "samples", (json_int_t)p->n, "mem_bytes", (json_int_t)p->mem,
			      "mem_cache_bytes", (json_int_t)p->mem_cache, "swap_bytes",
			      (json_int_t)p->swap, "state", p->state);
	if (!o)
		return NULL;
	json_object_set_new(o, "pids", json_real(p->pids));
	json_object_set_new(o, "mem_limit", p->has_limit ? json_integer(p->mem_limit) : json_null());
	json_object_set_new(o, "oom_kills", json_integer(p->oom_kills));
	json_object_set_new(o, "cpu_pct", p->has_rates ? json_real(p->cpu_pct) : json_null());
	json_object_set_new(o, "cpu_pct_max", p->has_rates ? json_real(p->cpu_max) : json_null());
	json_object_set_new(o, "mem_bytes_max", json_integer((json_int_t)p->mem_max));
	const char *rk[] = { "rx_bps", "tx_bps", "read_bps", "write_bps" };
	double rv[] = { p->rx_bps, p->tx_bps, p->read_bps, p->write_bps };
	for (int i = 0; i < 4; i++)
		json_object_set_new(o, rk[i], p->has_rates ? json_real(rv[i]) : json_null());
	return o;
}

/* The changes that fall in point i's interval [t_i, t_{i+1}). */
static bool change_in(json_t *ch, const struct dome_metric_point *pts, size_t n, size_t i,
		      int64_t until)
{
	int64_t at = json_integer_value(json_object_get(ch, "at"));
	int64_t end = i + 1 < n ? pts[i + 1].t : until;
	return at >= (i == 0 ? INT64_MIN : pts[i].t) && at < end;
}

static void print_change(json_t *ch)
{
	char at[32];
	fmt_time(json_integer_value(json_object_get(ch, "at")), at, sizeof at);
	printf("%-19s ^ change #%" JSON_INTEGER_FORMAT ": %s (%s)\n", at,
	       json_integer_value(json_object_get(ch, "id")),
	       json_string_value(json_object_get(ch, "label")),
	       json_string_value(json_object_get(ch, "actor")));
}

static void print_text(const char *name, enum dome_metrics_tier tier, int64_t destroyed,
		       const struct dome_metric_point *pts, size_t n, json_t *changes,
		       const struct dome_metrics_window *w)
{
	printf("%s: %zu points from the %s tier%s\n", name, n, dome_metrics_tier_name(tier),
	       destroyed ? " (destroyed)" : "");
	printf("%-19s %7s %8s %8s %6s %9s %9s %9s %9s\n", "TIME", "CPU%", "MEM", "LIMIT", "PIDS",
	       "RX/s", "TX/s", "READ/s", "WRITE/s");
	size_t c = 0, nc = json_array_size(changes);
	for (size_t i = 0; i < n; i++) {
		const struct dome_metric_point *p = &pts[i];
		/* a change is marked on the line before the first point after it */
		for (; c < nc; c++) {
			json_t *ch = json_array_get(changes, c);
			if (json_integer_value(json_object_get(ch, "at")) >= p->t)
				break;
			print_change(ch);
		}
		char t[32], mem[16], lim[16], rx[16], tx[16], rd[16], wr[16], cpu[16];
		fmt_time(p->t, t, sizeof t);
		fmt_bytes(p->mem, mem, sizeof mem);
		if (p->has_limit)
			fmt_bytes((double)p->mem_limit, lim, sizeof lim);
		else
			snprintf(lim, sizeof lim, "-");
		if (p->has_rates) {
			snprintf(cpu, sizeof cpu, "%.1f", p->cpu_pct);
			fmt_bytes(p->rx_bps, rx, sizeof rx);
			fmt_bytes(p->tx_bps, tx, sizeof tx);
			fmt_bytes(p->read_bps, rd, sizeof rd);
			fmt_bytes(p->write_bps, wr, sizeof wr);
		} else {
			snprintf(cpu, sizeof cpu, "-");
			snprintf(rx, sizeof rx, "-");
			snprintf(tx, sizeof tx, "-");
			snprintf(rd, sizeof rd, "-");
			snprintf(wr, sizeof wr, "-");
		}
		printf("%-19s %7s %8s %8s %6.0f %9s %9s %9s %9s\n", t, cpu, mem, lim, p->pids, rx, tx,
		       rd, wr);
	}
	for (; c < nc; c++)
		print_change(json_array_get(changes, c));
	(void)w;
}

static void csv_num(bool present, double v, const char *fmt)
{
	putchar(',');
	if (present)
		printf(fmt, v);
}

static void print_csv(const struct dome_metric_point *pts, size_t n, json_t *changes,
		      const struct dome_metrics_window *w)
{
	puts("time,samples,cpu_pct,mem_bytes,mem_limit,pids,rx_bps,tx_bps,read_bps,write_bps,changes");
	for (size_t i = 0; i < n; i++) {
		const struct dome_metric_point *p = &pts[i];
		printf("%" PRId64 ",%" PRId64, p->t, p->n);
		csv_num(p->has_rates, p->cpu_pct, "%.2f");
		csv_num(true, p->mem, "%.0f");
		csv_num(p->has_limit, (double)p->mem_limit, "%.0f");
		csv_num(true, p->pids, "%.1f");
		csv_num(p->has_rates, p->rx_bps, "%.0f");
		csv_num(p->has_rates, p->tx_bps, "%.0f");
		csv_num(p->has_rates, p->read_bps, "%.0f");
		csv_num(p->has_rates, p->write_bps, "%.0f");
		putchar(',');
		/* change ids in this point's interval, space separated; the
		 * labels hold no comma-free guarantee, so ids only */
		bool first = true;
		for (size_t c = 0; c < json_array_size(changes); c++) {
			json_t *ch = json_array_get(changes, c);
			if (!change_in(ch, pts, n, i, w->until))
				continue;
			printf("%s#%" JSON_INTEGER_FORMAT, first ? "" : " ",
			       json_integer_value(json_object_get(ch, "id")));
			first = false;
		}
		putchar('\n');
	}
}

static int show_series(struct cli *cli, struct dome_ctx *ctx, struct dome_metrics *m,
		       const char *name, const struct metrics_args *a,
		       const struct dome_metrics_window *w, int64_t now_s)
{
	struct dome_error err = { 0 };
	enum dome_metrics_tier tier = dome_metrics_pick_tier(&ctx->cfg, w->since, now_s);
	__cleanup_free struct dome_metric_point *pts = NULL;
	size_t n;
	int64_t destroyed;
	int found = dome_metrics_series(m, name, tier, w, &pts, &n, &destroyed, &err);
	if (found < 0)
		return cli_fail(&err);
	if (found == 0)
		return cli_usage(cli, "no metrics recorded for a container named '%s' (dome record "
				 "samples running containers)", name);
	json_t *changes = NULL;
	if (dome_metrics_changes(ctx, name, w->since, w->until, &changes, &err) < 0)
		return cli_fail(&err);
	if (a->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, point_json(&pts[i]));
		return cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "container",
						name, "tier", dome_metrics_tier_name(tier), "since",
						(json_int_t)w->since, "until", (json_int_t)w->until,
						"step", (json_int_t)w->step, "destroyed_at",
						destroyed ? json_integer(destroyed) : json_null(),
						"points", arr, "changes", changes));
	}
	if (a->csv)
		print_csv(pts, n, changes, w);
	else
		print_text(name, tier, destroyed, pts, n, changes, w);
	json_decref(changes);
	return EXIT_OK;
}

static int show_top(struct cli *cli, struct dome_ctx *ctx, struct dome_metrics *m,
		    const struct metrics_args *a, const struct dome_metrics_window *w, int64_t now_s)
{
	struct dome_error err = { 0 };
	enum dome_metrics_key key;
	uint64_t limit = 10;
	if (dome_metrics_key_parse(a->top, &key, &err) < 0 ||
	    (a->limit && dome_parse_uint("--limit", a->limit, 1, 100000, &limit, &err) < 0))
		return cli_usage(cli, "%s", err.msg);
	enum dome_metrics_tier tier = dome_metrics_rank_tier(&ctx->cfg, w, now_s);
	__cleanup_free struct dome_metrics_rank *rows = NULL;
	size_t n;
	if (dome_metrics_top(m, key, tier, w, (size_t)limit, &rows, &n, &err) < 0)
		return cli_fail(&err);
	if (a->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:f, s:f, s:I, s:b}", "container",
				rows[i].container, "avg", rows[i].avg, "max", rows[i].max, "samples",
				(json_int_t)rows[i].samples, "destroyed", rows[i].destroyed));
		return cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:o}", "key", a->top, "tier",
						dome_metrics_tier_name(tier), "since",
						(json_int_t)w->since, "until", (json_int_t)w->until,
						"containers", arr));
	}
	bool bytes = key != DOME_MKEY_CPU;
	const char *unit = key == DOME_MKEY_CPU ? "CPU%" : key == DOME_MKEY_MEM ? "MEM" : "BYTES/s";
	printf("%-4s %-24s %10s %10s %8s\n", "RANK", "CONTAINER", unit, "MAX", "SAMPLES");
	for (size_t i = 0; i < n; i++) {
		char avg[16], max[16];
		if (bytes) {
			fmt_bytes(rows[i].avg, avg, sizeof avg);
			fmt_bytes(rows[i].max, max, sizeof max);
		} else {
			snprintf(avg, sizeof avg, "%.1f", rows[i].avg);
			snprintf(max, sizeof max, "%.1f", rows[i].max);
		}
		printf("%-4zu %-24s %10s %10s %8" PRId64 "%s\n", i + 1, rows[i].container, avg, max,
		       rows[i].samples, rows[i].destroyed ? "  (destroyed)" : "");
	}
	return EXIT_OK;
}

int verb_metrics(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "step", required_argument, NULL, OPT_STEP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "prometheus", no_argument, NULL, OPT_PROM },
		{ "influx", no_argument, NULL, OPT_INFLUX },
		{ 0 },
	};
	struct metrics_args a = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_metrics_opt, &a, &status))
		return status;
	const char *name = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc)
		return cli_usage(cli, "metrics takes one container name ('%s' is extra)",
				 argv[optind + 1]);
	int modes = (name != NULL) + (a.top != NULL) + a.prometheus + a.influx;
	if (modes != 1)
		return cli_usage(cli, "metrics needs one of: NAME, --top KEY, --prometheus, --influx");
	if (a.json + a.csv > 1 || ((a.json || a.csv) && (a.prometheus || a.influx)))
		return cli_usage(cli, "choose one output: --json, --csv, --prometheus or --influx");
	if (a.csv && !name)
		return cli_usage(cli, "--csv is for a container's series");
	if (a.prometheus && (a.since || a.until || a.step))
		return cli_usage(cli, "--prometheus exports the latest sample; it takes no window");
	struct dome_error err = { 0 };
	if (name && dome_validate_name("container name", name, &err) < 0)
		return cli_fail(&err);
	int64_t now_ms = dome_now_ms();
	struct dome_metrics_window w;
	if (!a.prometheus && parse_window(&a, now_ms, &w, &err) < 0)
		return cli_fail(&err);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	struct dome_metrics *m = dome_metrics_open(ctx, false, &err);
	if (!m)
		return cli_fail(&err);
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	int rc;
	if (name) {
		rc = show_series(cli, ctx, m, name, &a, &w, now_ms / 1000);
	} else if (a.top) {
		rc = show_top(cli, ctx, m, &a, &w, now_ms / 1000);
	} else {
		__cleanup_free char *text = NULL;
		enum dome_metrics_tier tier = a.influx ? dome_metrics_pick_tier(&ctx->cfg, w.since,
										now_ms / 1000)
						       : DOME_TIER_RAW;
		int r = a.prometheus ? dome_metrics_prometheus(m, host, &text, &err)
				     : dome_metrics_influx(m, host, tier, &w, &text, &err);
		rc = r < 0 ? cli_fail(&err) : (fputs(text, stdout), EXIT_OK);
	}
	dome_metrics_close(m);
	return rc;
}

/* ---- dome report --metrics ---- */

#define REPORT_AROUND_S 300

int cli_report_add_metrics(struct dome_ctx *ctx, json_t *report, struct dome_error *err)
{
	struct dome_metrics *m = dome_metrics_open(ctx, false, err);
	if (!m)
		return -1;
	int rc = dome_metrics_annotate_report(m, &ctx->cfg, report, REPORT_AROUND_S, err);
	dome_metrics_close(m);
	return rc;
}

void cli_print_report_metrics(json_t *mj)
{
	if (!json_is_object(mj))
		return;
	char mem[16], net[16], io[16];
	fmt_bytes((double)json_integer_value(json_object_get(mj, "mem_bytes")), mem, sizeof mem);
	json_t *cpu = json_object_get(mj, "cpu_pct");
	if (!json_is_real(cpu)) {
		printf("%21s metrics +-5m: mem %s (%" JSON_INTEGER_FORMAT " samples)\n", "", mem,
		       json_integer_value(json_object_get(mj, "samples")));
		return;
	}
	fmt_bytes(json_real_value(json_object_get(mj, "rx_bps")) +
		  json_real_value(json_object_get(mj, "tx_bps")), net, sizeof net);
	fmt_bytes(json_real_value(json_object_get(mj, "read_bps")) +
		  json_real_value(json_object_get(mj, "write_bps")), io, sizeof io);
	printf("%21s metrics +-5m: cpu %.1f%%, mem %s, net %s/s, disk %s/s (%" JSON_INTEGER_FORMAT
	       " samples)\n", "", json_real_value(cpu), mem, net, io,
	       json_integer_value(json_object_get(mj, "samples")));
}
