/* Exports from the metrics history: the Prometheus text exposition format
 * (the latest sample; `dome metrics --prometheus` and the recorder's
 * textfile) and InfluxDB line protocol (a window). Text is built in memory
 * (open_memstream); the caller prints or writes it. */
#include "metrics.h"
#include "metrics_sql.h"
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Prometheus ---- */

struct latest {
	char container[64], image[64];
	int64_t cpu_usec, rx, tx, rd, wr, mem, mem_limit, mem_cache, swap, pids, oom, state;
	bool has_net, has_limit;
};

static const char SQL_LATEST[] =
	"SELECT s.container, s.image, c.cpu_usec, c.rx_bytes, c.tx_bytes, c.rd_bytes, c.wr_bytes, "
	"r.mem, r.mem_limit, r.mem_cache, r.swap, r.pids, r.oom_kills, r.state "
	"FROM current c JOIN series s ON s.id = c.series "
	"JOIN raw r ON r.series = c.series AND r.t = c.t_ms / 1000 "
	"WHERE s.destroyed_at IS NULL AND r.t = (SELECT value FROM meta WHERE key = 'last_sample') "
	"ORDER BY s.container";
static const char SQL_HOST_LATEST[] =
	"SELECT t, ncpu, cpu, load1, mem, mem_total, disk, disk_total, containers FROM host_raw "
	"ORDER BY t DESC LIMIT 1";

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

struct family {
	const char *name, *type, *help;
	size_t offset;            /* of the value in struct latest */
	double scale;
	int only;                 /* 0 always, 1 with a network, 2 with a limit */
};

#define FAM(n, t, h, field, scale, only) { n, t, h, offsetof(struct latest, field), scale, only }
static const struct family families[] = {
	FAM("dome_container_cpu_seconds_total", "counter", "CPU time used by the container's processes.",
	    cpu_usec, 1e-6, 0),
	FAM("dome_container_memory_bytes", "gauge", "Memory in use, page cache included.", mem, 1, 0),
	FAM("dome_container_memory_limit_bytes", "gauge", "The memory limit (absent when none).",
	    mem_limit, 1, 2),
	FAM("dome_container_memory_cache_bytes", "gauge", "Page cache charged to the container.",
	    mem_cache, 1, 0),
	FAM("dome_container_swap_bytes", "gauge", "Swap in use.", swap, 1, 0),
	FAM("dome_container_pids", "gauge", "Processes and threads.", pids, 1, 0),
	FAM("dome_container_oom_kills_total", "counter", "Processes killed by the OOM killer.", oom,
	    1, 0),
	FAM("dome_container_network_receive_bytes_total", "counter",
	    "Bytes received on the container's interface.", rx, 1, 1),
	FAM("dome_container_network_transmit_bytes_total", "counter",
	    "Bytes sent from the container's interface.", tx, 1, 1),
	FAM("dome_container_block_read_bytes_total", "counter", "Bytes read from block devices.", rd,
	    1, 0),
	FAM("dome_container_block_write_bytes_total", "counter", "Bytes written to block devices.",
	    wr, 1, 0),
};

static void prom_value(FILE *f, double v)
{
	if (v == (double)(int64_t)v)
		fprintf(f, "%" PRId64 "\n", (int64_t)v);
	else
		fprintf(f, "%.6f\n", v);
}

int dome_metrics_prometheus(struct dome_metrics *m, const char *host, char **out,
			    struct dome_error *err)
{
	*out = NULL;
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_LATEST, err);
	if (!s)
		return -1;
	__cleanup_free struct latest *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct latest *g = realloc(rows, cap * sizeof *g);
			if (!g)
				return dome_fail(err, ENOMEM, "exporting metrics");
			rows = g;
		}
		struct latest *l = &rows[n++];
		strlcpy(l->container, (const char *)sqlite3_column_text(s, 0), sizeof l->container);
		strlcpy(l->image, (const char *)sqlite3_column_text(s, 1), sizeof l->image);
		int64_t *v[] = { &l->cpu_usec, &l->rx, &l->tx, &l->rd, &l->wr, &l->mem, &l->mem_limit,
				 &l->mem_cache, &l->swap, &l->pids, &l->oom, &l->state };
		for (int i = 0; i < 12; i++)
			*v[i] = sqlite3_column_int64(s, 2 + i);
		l->has_net = sqlite3_column_type(s, 3) != SQLITE_NULL;
		l->has_limit = sqlite3_column_type(s, 8) != SQLITE_NULL;
	}
	if (rc != SQLITE_DONE)
		return dome_metrics_fail(m, err, "exporting metrics");

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return dome_fail(err, errno, "exporting metrics");
	for (size_t i = 0; i < DOME_ARRAY_SIZE(families); i++) {
		const struct family *fam = &families[i];
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
		for (size_t j = 0; j < n; j++) {
			const struct latest *l = &rows[j];
			if ((fam->only == 1 && !l->has_net) || (fam->only == 2 && !l->has_limit))
				continue;
			fprintf(f, "%s{container=\"", fam->name);
			prom_label(f, l->container);
			fputs("\",image=\"", f);
			prom_label(f, l->image);
			fputs("\",host=\"", f);
			prom_label(f, host);
			fputs("\"} ", f);
			int64_t v = *(const int64_t *)((const char *)l + fam->offset);
			prom_value(f, (double)v * fam->scale);
		}
	}
	fputs("# HELP dome_container_frozen 1 when the container is frozen, 0 when running.\n"
	      "# TYPE dome_container_frozen gauge\n", f);
	for (size_t j = 0; j < n; j++) {
		fputs("dome_container_frozen{container=\"", f);
		prom_label(f, rows[j].container);
		fputs("\",image=\"", f);
		prom_label(f, rows[j].image);
		fputs("\",host=\"", f);
		prom_label(f, host);
		fprintf(f, "\"} %d\n", rows[j].state == 2);
	}

	__cleanup_stmt sqlite3_stmt *h = dome_metrics_prepare(m, SQL_HOST_LATEST, err);
	if (!h) {
		fclose(f);
		free(text);
		return -1;
	}
	if (sqlite3_step(h) == SQLITE_ROW) {
		struct { const char *name, *help; double v; } hv[] = {
			{ "dome_host_cpu_busy_ratio", "Busy share of all CPUs since the sample before.",
			  sqlite3_column_double(h, 2) / 1e6 / (sqlite3_column_int(h, 1) > 0 ? sqlite3_column_int(h, 1) : 1) },
			{ "dome_host_load1", "Load average over one minute.",
			  sqlite3_column_double(h, 3) / 1000.0 },
			{ "dome_host_memory_used_bytes", "Memory in use, cache and buffers excluded.",
			  sqlite3_column_double(h, 4) },
			{ "dome_host_memory_total_bytes", "Memory of the host.", sqlite3_column_double(h, 5) },
			{ "dome_host_disk_used_bytes", "Used space of the state root's filesystem.",
			  sqlite3_column_double(h, 6) },
			{ "dome_host_disk_total_bytes", "Size of the state root's filesystem.",
			  sqlite3_column_double(h, 7) },
			{ "dome_host_containers_running", "Containers sampled (running or frozen).",
			  sqlite3_column_double(h, 8) },
			{ "dome_metrics_last_sample_timestamp_seconds", "When the recorder sampled last.",
			  sqlite3_column_double(h, 0) },
		};
		for (size_t i = 0; i < DOME_ARRAY_SIZE(hv); i++) {
			fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s{host=\"", hv[i].name, hv[i].help,
				hv[i].name, hv[i].name);
			prom_label(f, host);
			fputs("\"} ", f);
			prom_value(f, hv[i].v);
		}
	}
	if (fclose(f) != 0) {
		free(text);
		return dome_fail(err, ENOMEM, "exporting metrics");
	}
	*out = text;
	return 0;
}

/* ---- InfluxDB line protocol ---- */

/* A tag value: comma, equals sign and space escaped with a backslash. */
static void influx_tag(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == ',' || *s == '=' || *s == ' ' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			continue; /* cannot be escaped; names never hold one */
		fputc(*s, f);
	}
}

static const char SQL_ALL_SERIES[] = "SELECT id, container, image FROM series ORDER BY container";

#define HOST_AVG(table) \
	"SELECT t, round(cpu_sum / 10000.0 / nr / ncpu, 2), round(load1_sum / 1000.0 / n, 3), " \
	"mem_sum / n, disk_sum / n FROM " table " WHERE t >= ?1 AND t < ?2 ORDER BY t"
static const char *const SQL_HOST_SERIES[] = {
	"SELECT t, round(cpu / 10000.0 / ncpu, 2), round(load1 / 1000.0, 3), mem, disk FROM host_raw "
	"WHERE t >= ?1 AND t < ?2 ORDER BY t",
	HOST_AVG("host_minute"),
	HOST_AVG("host_hour"),
};

static void influx_point(FILE *f, const char *container, const char *image, const char *host,
			 const struct dome_metric_point *p)
{
	fputs("dome_container,container=", f);
	influx_tag(f, container);
	fputs(",host=", f);
	influx_tag(f, host);
	fputs(",image=", f);
	influx_tag(f, image);
	fprintf(f, " mem_bytes=%" PRId64 "i,pids=%" PRId64 "i", (int64_t)p->mem, (int64_t)p->pids);
	if (p->has_limit)
		fprintf(f, ",mem_limit=%" PRId64 "i", p->mem_limit);
	if (p->has_rates)
		fprintf(f, ",cpu_pct=%.2f,read_bps=%.1f,write_bps=%.1f,rx_bps=%.1f,tx_bps=%.1f",
			p->cpu_pct, p->read_bps, p->write_bps, p->rx_bps, p->tx_bps);
	fprintf(f, ",frozen=%s %" PRId64 "000000000\n", p->state == 2 ? "true" : "false", p->t);
}

int dome_metrics_influx(struct dome_metrics *m, const char *host, enum dome_metrics_tier tier,
			const struct dome_metrics_window *w, char **out, struct dome_error *err)
{
	*out = NULL;
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(m, SQL_ALL_SERIES, err);
	__cleanup_stmt sqlite3_stmt *h = s ? dome_metrics_prepare(m, SQL_HOST_SERIES[tier], err) : NULL;
	if (!h)
		return -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return dome_fail(err, errno, "exporting metrics");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		__cleanup_free struct dome_metric_point *pts = NULL;
		size_t np;
		if (dome_metrics_series_of(m, sqlite3_column_int64(s, 0), tier, w, &pts, &np, err) < 0)
			goto fail;
		for (size_t i = 0; i < np; i++)
			influx_point(f, (const char *)sqlite3_column_text(s, 1),
				     (const char *)sqlite3_column_text(s, 2), host, &pts[i]);
	}
	if (rc != SQLITE_DONE) {
		dome_metrics_fail(m, err, "exporting metrics");
		goto fail;
	}
	sqlite3_bind_int64(h, 1, w->since);
	sqlite3_bind_int64(h, 2, w->until);
	while ((rc = sqlite3_step(h)) == SQLITE_ROW) {
		fputs("dome_host,host=", f);
		influx_tag(f, host);
		fprintf(f, " load1=%.3f,mem_bytes=%" PRId64 "i,disk_bytes=%" PRId64 "i",
			sqlite3_column_double(h, 2), (int64_t)sqlite3_column_int64(h, 3),
			(int64_t)sqlite3_column_int64(h, 4));
		if (sqlite3_column_type(h, 1) != SQLITE_NULL)
			fprintf(f, ",cpu_pct=%.2f", sqlite3_column_double(h, 1));
		fprintf(f, " %" PRId64 "000000000\n", (int64_t)sqlite3_column_int64(h, 0));
	}
	if (rc != SQLITE_DONE) {
		dome_metrics_fail(m, err, "exporting metrics");
		goto fail;
	}
	if (fclose(f) != 0) {
		free(text);
		return dome_fail(err, ENOMEM, "exporting metrics");
	}
	*out = text;
	return 0;
fail:
	fclose(f);
	free(text);
	return -1;
}
