/* The metrics history: <root>/metrics.db, a SQLite file of its own (WAL,
 * so recording never blocks the inventory or the audit), written only by
 * the recorder (`dome record`) and read by anyone in the dome group.
 *
 * Three tiers, like RRD's consolidation: raw samples, 1-minute and 1-hour
 * buckets (min, max, sum, last and count of the samples in them). A sample
 * round inserts the raw rows and folds them into their minute and hour
 * buckets in one transaction, so a recorder killed at any point loses only
 * the round it was writing and every bucket stays the aggregate of the raw
 * samples it covers. Pruning is done by the recorder too, never by a query.
 * The schema is a public interface, documented in dome-metrics(7). */
#ifndef DOME_METRICS_H
#define DOME_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include <sqlite3.h>
#include "dome.h"

#define DOME_METRICS_SCHEMA_VERSION 1

enum dome_metrics_tier { DOME_TIER_RAW, DOME_TIER_MINUTE, DOME_TIER_HOUR };
const char *dome_metrics_tier_name(enum dome_metrics_tier t); /* raw minute hour */

struct dome_metrics;

/* Open metrics.db. Writable: created (0640, the dome group, like dome.db)
 * with its schema when missing; read-only: it must exist. */
struct dome_metrics *dome_metrics_open(struct dome_ctx *ctx, bool writable,
				       struct dome_error *err);
void dome_metrics_close(struct dome_metrics *m);
sqlite3 *dome_metrics_db(struct dome_metrics *m);
int dome_metrics_path(const struct dome_ctx *ctx, char *out, size_t len);

/* ---- the recorder ---- */

/* Who holds the recorder lock of this root: 1 with the pid and interval
 * when a recorder runs, 0 when none does. */
int dome_recorder_status(struct dome_ctx *ctx, pid_t *pid, unsigned *interval_s,
			 struct dome_error *err);

struct dome_recorder;
/* Take the root's recorder lock (a second recorder is refused, naming the
 * pid holding it), open metrics.db for writing and load the last counters
 * (rates go on across a restart). `interval_s` is only noted for others. */
struct dome_recorder *dome_recorder_start(struct dome_ctx *ctx, unsigned interval_s,
					  struct dome_error *err);
/* One round at time `t_ms` (epoch ms): every running or frozen container
 * and the host, rolled up, pruned when a minute has passed, and the
 * textfile export rewritten when configured. `*containers` gets how many
 * were sampled. */
int dome_recorder_sample(struct dome_recorder *r, int64_t t_ms, size_t *containers,
			 struct dome_error *err);
void dome_recorder_stop(struct dome_recorder *r);

/* ---- queries ---- */

/* One point of a series (averages for a bucket). Absent values: has_* false. */
struct dome_metric_point {
	int64_t t;                /* seconds since the epoch, start of the bucket */
	int64_t n;                /* samples in it (1 for raw) */
	bool has_rates;
	double cpu_pct;           /* of one core */
	double rx_bps, tx_bps, read_bps, write_bps;
	double mem, mem_cache, swap, pids;
	double cpu_max, mem_max;  /* highest in the bucket */
	bool has_limit;
	int64_t mem_limit;
	int64_t oom_kills;
	int state;                /* 1 running, 2 frozen */
};

struct dome_metrics_window {
	int64_t since, until;     /* seconds, [since, until) */
	int64_t step;             /* seconds per point, 0: the tier's own */
};

/* The tier a window is read from: the finest whose retention reaches back
 * to its start (relative to `now_s`). */
enum dome_metrics_tier dome_metrics_pick_tier(const struct dome_config *cfg, int64_t since,
					      int64_t now_s);

/* The series of a container (the latest one of that name, also when it was
 * destroyed). 0 and no points when metrics.db has never seen the name.
 * *destroyed_at is its destruction (seconds) or 0. *out is malloc'd. */
int dome_metrics_series(struct dome_metrics *m, const char *name,
			enum dome_metrics_tier tier, const struct dome_metrics_window *w,
			struct dome_metric_point **out, size_t *n, int64_t *destroyed_at,
			struct dome_error *err);

/* The tier --top ranks from: as pick_tier, but minute buckets at least
 * for a window of an hour or more. Their sums and counts make the averages
 * exact over whole minutes (the window's edges are rounded to them) and
 * they are a sixth of the raw rows at 10 s. */
enum dome_metrics_tier dome_metrics_rank_tier(const struct dome_config *cfg,
					      const struct dome_metrics_window *w, int64_t now_s);

enum dome_metrics_key { DOME_MKEY_CPU, DOME_MKEY_MEM, DOME_MKEY_RX, DOME_MKEY_TX,
			DOME_MKEY_READ, DOME_MKEY_WRITE };
/* "cpu" "mem" "rx" "tx" "read" "write"; -1 with a usage error otherwise. */
int dome_metrics_key_parse(const char *s, enum dome_metrics_key *out, struct dome_error *err);

struct dome_metrics_rank {
	char container[64];
	double avg, max;          /* in the key's unit: %, bytes, bytes/s */
	int64_t samples;
	bool destroyed;
};
/* Containers ranked by the average of `key` over the window, highest
 * first, at most `limit`. *out is malloc'd. */
int dome_metrics_top(struct dome_metrics *m, enum dome_metrics_key key,
		     enum dome_metrics_tier tier, const struct dome_metrics_window *w,
		     size_t limit, struct dome_metrics_rank **out, size_t *n,
		     struct dome_error *err);

/* The last `max` CPU samples of the container's latest series, oldest
 * first, in percent of one core (clamped to 0..100), from the raw tier;
 * *got of them. For the console's sparkline after it restarts. */
int dome_metrics_recent_cpu(struct dome_metrics *m, const char *name, uint8_t *out, size_t max,
			    size_t *got, struct dome_error *err);

/* The audited changes to container `name` in [since, until) (seconds),
 * oldest first, as a JSON array of {id, at (seconds), action, label,
 * actor, result}; label is "set memory=128M" style. From dome.db, so
 * metrics and changes can be shown side by side. */
int dome_metrics_changes(struct dome_ctx *ctx, const char *name, int64_t since, int64_t until,
			 json_t **out, struct dome_error *err);

/* Metrics beside an incident report (report.h's dome_report_build): each
 * timeline entry about a container (an event's "container", a change's
 * "target") gets "metrics": {window_s, samples, cpu_pct, mem_bytes, rx_bps,
 * tx_bps, read_bps, write_bps} averaged over [at - around_s, at + around_s),
 * or null when none were recorded. */
int dome_metrics_annotate_report(struct dome_metrics *m, const struct dome_config *cfg,
				 json_t *report, int64_t around_s, struct dome_error *err);

/* ---- exports (text built in memory; the caller prints or writes it) ---- */

/* The latest sample of each container and of the host in the Prometheus
 * text exposition format. *out is malloc'd. */
int dome_metrics_prometheus(struct dome_metrics *m, const char *host, char **out,
			    struct dome_error *err);
/* InfluxDB line protocol for every container and the host over the window,
 * from `tier`. *out is malloc'd. */
int dome_metrics_influx(struct dome_metrics *m, const char *host, enum dome_metrics_tier tier,
			const struct dome_metrics_window *w, char **out, struct dome_error *err);

/* What the host view shows: the file's size (with its WAL), and the rows
 * per tier the recorder counts as it writes and prunes. */
struct dome_metrics_usage {
	uint64_t file_bytes;
	int64_t raw_rows, minute_rows, hour_rows;
	int64_t last_sample;      /* seconds, 0 when none */
};
int dome_metrics_usage(struct dome_ctx *ctx, struct dome_metrics_usage *u,
		       struct dome_error *err);

#endif
