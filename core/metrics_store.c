/* metrics.db: opening it and its schema (a public interface, documented
 * column by column in dome-metrics(7); change both together). */
#include "metrics.h"
#include "metrics_sql.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The bucket columns of one metric: min, max, sum and last of its samples. */
#define BUCKET_COLS(m) m "_min INTEGER, " m "_max INTEGER, " m "_sum INTEGER, " m "_last INTEGER, "

#define CONTAINER_BUCKETS(table) \
	"CREATE TABLE " table " (" \
	"series INTEGER NOT NULL REFERENCES series(id), t INTEGER NOT NULL, " \
	"n INTEGER NOT NULL, nr INTEGER NOT NULL, " \
	BUCKET_COLS("cpu") BUCKET_COLS("mem") BUCKET_COLS("mem_cache") BUCKET_COLS("swap") \
	BUCKET_COLS("pids") BUCKET_COLS("rx") BUCKET_COLS("tx") BUCKET_COLS("rd") BUCKET_COLS("wr") \
	"mem_limit INTEGER, oom_kills INTEGER NOT NULL, state INTEGER NOT NULL, " \
	"PRIMARY KEY (series, t)) WITHOUT ROWID;\n"

#define HOST_BUCKETS(table) \
	"CREATE TABLE " table " (" \
	"t INTEGER PRIMARY KEY, n INTEGER NOT NULL, nr INTEGER NOT NULL, " \
	BUCKET_COLS("cpu") BUCKET_COLS("load1") BUCKET_COLS("mem") BUCKET_COLS("disk") \
	BUCKET_COLS("containers") \
	"ncpu INTEGER NOT NULL, mem_total INTEGER NOT NULL, disk_total INTEGER NOT NULL" \
	") WITHOUT ROWID;\n"

/* A view row of a container bucket tier: averages, as the raw view has. */
#define CONTAINER_VIEW_TIER(table) \
	"SELECT b.t, s.container, '" table "', round(b.cpu_sum / 10000.0 / b.nr, 2), " \
	"b.mem_sum / b.n, b.mem_limit, b.pids_sum / b.n, b.rx_sum / b.nr, b.tx_sum / b.nr, " \
	"b.rd_sum / b.nr, b.wr_sum / b.nr, s.destroyed_at IS NOT NULL " \
	"FROM " table " b JOIN series s ON s.id = b.series"

#define HOST_VIEW_TIER(table) \
	"SELECT t, '" table "', round(cpu_sum / 10000.0 / nr / ncpu, 2), " \
	"round(load1_sum / 1000.0 / n, 2), mem_sum / n, mem_total, disk_sum / n, disk_total, " \
	"round(containers_sum * 1.0 / n, 1) FROM host_" table

static const char SCHEMA[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE series (id INTEGER PRIMARY KEY, container TEXT NOT NULL, "
	"image TEXT NOT NULL, created_at INTEGER NOT NULL, first_seen INTEGER NOT NULL, "
	"destroyed_at INTEGER, UNIQUE (container, created_at));\n"
	"CREATE TABLE raw (series INTEGER NOT NULL REFERENCES series(id), t INTEGER NOT NULL, "
	"state INTEGER NOT NULL, cpu INTEGER, mem INTEGER NOT NULL, mem_limit INTEGER, "
	"mem_cache INTEGER NOT NULL, swap INTEGER NOT NULL, pids INTEGER NOT NULL, "
	"oom_kills INTEGER NOT NULL, rx INTEGER, tx INTEGER, rd INTEGER, wr INTEGER, "
	"PRIMARY KEY (series, t)) WITHOUT ROWID;\n"
	CONTAINER_BUCKETS("minute")
	CONTAINER_BUCKETS("hour")
	"CREATE TABLE current (series INTEGER PRIMARY KEY REFERENCES series(id), "
	"t_ms INTEGER NOT NULL, run INTEGER NOT NULL, cpu_usec INTEGER NOT NULL, rx_bytes INTEGER, tx_bytes INTEGER, "
	"rd_bytes INTEGER NOT NULL, wr_bytes INTEGER NOT NULL);\n"
	"CREATE TABLE host_raw (t INTEGER PRIMARY KEY, ncpu INTEGER NOT NULL, cpu INTEGER, "
	"load1 INTEGER NOT NULL, mem INTEGER NOT NULL, mem_total INTEGER NOT NULL, "
	"mem_cache INTEGER NOT NULL, disk INTEGER NOT NULL, disk_total INTEGER NOT NULL, "
	"containers INTEGER NOT NULL) WITHOUT ROWID;\n"
	HOST_BUCKETS("host_minute")
	HOST_BUCKETS("host_hour")
	"CREATE VIEW metrics (time, container, tier, cpu_pct, mem_bytes, mem_limit, pids, "
	"rx_bps, tx_bps, read_bps, write_bps, destroyed) AS "
	"SELECT r.t, s.container, 'raw', round(r.cpu / 10000.0, 2), r.mem, r.mem_limit, r.pids, "
	"r.rx, r.tx, r.rd, r.wr, s.destroyed_at IS NOT NULL "
	"FROM raw r JOIN series s ON s.id = r.series "
	"UNION ALL " CONTAINER_VIEW_TIER("minute") " UNION ALL " CONTAINER_VIEW_TIER("hour") ";\n"
	"CREATE VIEW host_metrics (time, tier, cpu_pct, load1, mem_bytes, mem_total, disk_bytes, "
	"disk_total, containers) AS "
	"SELECT t, 'raw', round(cpu / 10000.0 / ncpu, 2), round(load1 / 1000.0, 2), mem, mem_total, "
	"disk, disk_total, containers FROM host_raw "
	"UNION ALL " HOST_VIEW_TIER("minute") " UNION ALL " HOST_VIEW_TIER("hour") ";\n"
	"INSERT INTO meta VALUES ('raw_rows', 0), ('minute_rows', 0), ('hour_rows', 0);\n"
	"PRAGMA user_version = 1;\n";

struct dome_metrics {
	sqlite3 *db;
	char path[PATH_MAX];
};

const char *dome_metrics_tier_name(enum dome_metrics_tier t)
{
	return t == DOME_TIER_RAW ? "raw" : t == DOME_TIER_MINUTE ? "minute" : "hour";
}

int dome_metrics_path(const struct dome_ctx *ctx, char *out, size_t len)
{
	return dome_path(ctx, out, len, "metrics.db");
}

sqlite3 *dome_metrics_db(struct dome_metrics *m) { return m->db; }

int dome_metrics_fail(struct dome_metrics *m, struct dome_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(m->db);
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return dome_fail(err, 0, "%s: the metrics history %s is locked; retry", what, m->path);
	case SQLITE_FULL:
		return dome_fail(err, ENOSPC, "%s: the disk holding %s is full", what, m->path);
	case SQLITE_IOERR:
		if (sqlite3_system_errno(m->db) == ENOSPC)
			return dome_fail(err, ENOSPC, "%s: the disk holding %s is full", what, m->path);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return dome_fail(err, 0, "%s: the metrics history %s is damaged (%s); move it aside "
				 "and the recorder starts a new one", what, m->path,
				 sqlite3_errmsg(m->db));
	}
	return dome_fail(err, 0, "%s: %s (%s)", what, sqlite3_errmsg(m->db), m->path);
}

int dome_metrics_exec(struct dome_metrics *m, const char *sql, const char *what,
		      struct dome_error *err)
{
	if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dome_metrics_fail(m, err, what);
	return 0;
}

sqlite3_stmt *dome_metrics_prepare(struct dome_metrics *m, const char *sql, struct dome_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(m->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		dome_metrics_fail(m, err, "preparing a metrics query");
		return NULL;
	}
	return s;
}

static int schema_version(struct dome_metrics *m)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(m->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int create_schema(struct dome_metrics *m, struct dome_error *err)
{
	if (dome_metrics_exec(m, "BEGIN IMMEDIATE", "creating the metrics history", err) < 0)
		return -1;
	int v = schema_version(m); /* again, under the write lock */
	if (v == 0 && dome_metrics_exec(m, SCHEMA, "creating the metrics history", err) < 0) {
		sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return dome_metrics_exec(m, "COMMIT", "creating the metrics history", err);
}

void dome_metrics_close(struct dome_metrics *m)
{
	if (!m)
		return;
	/* The WAL and its index stay (empty) for readers in the dome group,
	 * who cannot create them. */
	if (!sqlite3_db_readonly(m->db, "main"))
		sqlite3_wal_checkpoint_v2(m->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(m->db);
	free(m);
}

struct dome_metrics *dome_metrics_open(struct dome_ctx *ctx, bool writable,
				       struct dome_error *err)
{
	__cleanup_free struct dome_metrics *m = calloc(1, sizeof *m);
	if (!m) {
		dome_fail(err, ENOMEM, "opening the metrics history");
		return NULL;
	}
	if (dome_metrics_path(ctx, m->path, sizeof m->path) < 0) {
		dome_invalid(err, "state root %s is too long", ctx->cfg.root);
		return NULL;
	}
	if (!writable && access(m->path, F_OK) != 0) {
		dome_fail(err, errno, "there is no metrics history %s; run `dome record` (or "
			  "dome-record.service) to keep one", m->path);
		return NULL;
	}
	/* Made like dome.db (root and the dome group, 0640) before SQLite
	 * opens it, so its WAL and index get that owner and mode too; the WAL
	 * persists (below), so a group reader never needs to create one. */
	if (writable && access(m->path, F_OK) != 0 && dome_make_database_file(m->path, err) < 0)
		return NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(m->path, &m->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (!m->db) {
			dome_fail(err, ENOMEM, "opening %s", m->path);
			return NULL;
		}
		dome_metrics_fail(m, err, "opening the metrics history");
		sqlite3_close(m->db);
		return NULL;
	}
	sqlite3_extended_result_codes(m->db, 1);
	/* Readers wait a little for the recorder's commit; the recorder waits
	 * long enough for a reader's checkpoint. */
	sqlite3_busy_timeout(m->db, 2000);
	struct dome_metrics *ret = m;
	if (dome_metrics_exec(m, "SELECT count(*) FROM sqlite_master", "reading the metrics history",
			      err) < 0)
		goto fail;
	if (writable) {
		int on = 1;
		if (dome_metrics_exec(m, "PRAGMA journal_mode=WAL", "enabling WAL", err) < 0 ||
		    dome_metrics_exec(m, "PRAGMA synchronous=NORMAL", "setting synchronous", err) < 0)
			goto fail;
		sqlite3_file_control(m->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
		sqlite3_db_config(m->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		if (schema_version(m) == 0 && create_schema(m, err) < 0)
			goto fail;
	}
	int v = schema_version(m);
	if (v != DOME_METRICS_SCHEMA_VERSION) {
		if (v == 0)
			dome_fail(err, 0, "the metrics history %s is empty; `dome record` fills it", m->path);
		else
			dome_fail(err, 0, "the metrics history %s has schema %d; this dome reads %d",
				  m->path, v, DOME_METRICS_SCHEMA_VERSION);
		goto fail;
	}
	m = NULL;
	return ret;
fail:
	sqlite3_close(ret->db);
	return NULL;
}

int64_t dome_metrics_meta(struct dome_metrics *m, const char *key)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	if (sqlite3_prepare_v2(m->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int dome_metrics_usage(struct dome_ctx *ctx, struct dome_metrics_usage *u, struct dome_error *err)
{
	memset(u, 0, sizeof *u);
	char path[PATH_MAX + 8];
	if (dome_metrics_path(ctx, path, PATH_MAX) < 0)
		return dome_invalid(err, "state root %s is too long", ctx->cfg.root);
	struct stat sb;
	if (stat(path, &sb) < 0)
		return 0; /* no history kept: all zero */
	u->file_bytes = (uint64_t)sb.st_size;
	size_t len = strlen(path);
	strlcpy(path + len, "-wal", sizeof path - len);
	if (stat(path, &sb) == 0)
		u->file_bytes += (uint64_t)sb.st_size;
	struct dome_metrics *m = dome_metrics_open(ctx, false, err);
	if (!m)
		return -1;
	u->raw_rows = dome_metrics_meta(m, "raw_rows");
	u->minute_rows = dome_metrics_meta(m, "minute_rows");
	u->hour_rows = dome_metrics_meta(m, "hour_rows");
	u->last_sample = dome_metrics_meta(m, "last_sample");
	dome_metrics_close(m);
	return 0;
}
