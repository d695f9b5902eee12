/* Internal to the core/metrics*.c files: the open metrics.db and helpers. */
#ifndef DOME_METRICS_SQL_H
#define DOME_METRICS_SQL_H

#include "metrics.h"

/* Fill `err` from the database's last error, saying what failed. */
int dome_metrics_fail(struct dome_metrics *m, struct dome_error *err, const char *what);
int dome_metrics_exec(struct dome_metrics *m, const char *sql, const char *what,
		      struct dome_error *err);
/* A statement the caller finalizes. */
sqlite3_stmt *dome_metrics_prepare(struct dome_metrics *m, const char *sql, struct dome_error *err);
/* A value of the meta table, 0 when absent. */
int64_t dome_metrics_meta(struct dome_metrics *m, const char *key);

/* The series of one series id (metrics_query.c). */
int dome_metrics_series_id(struct dome_metrics *m, const char *name, int64_t *id,
			   int64_t *destroyed_at, struct dome_error *err);
int dome_metrics_series_of(struct dome_metrics *m, int64_t id, enum dome_metrics_tier tier,
			   const struct dome_metrics_window *w, struct dome_metric_point **out,
			   size_t *n, struct dome_error *err);

static inline void dome_finalizep(sqlite3_stmt **s)
{
	if (*s)
		sqlite3_finalize(*s);
}
#define __cleanup_stmt __attribute__((cleanup(dome_finalizep)))

#endif
