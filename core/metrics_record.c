/* The recorder: one sample round of every container and the host into
 * metrics.db, folded into the minute and hour buckets in the same
 * transaction (so a kill at any point leaves every bucket equal to the
 * aggregate of its raw samples), pruned by retention, and one recorder per
 * state root (a POSIX lock on <root>/metrics.lock, which holds its pid and
 * interval for `dome record` refusing a second and for the host view). */
#include "metrics.h"
#include "metrics_sql.h"
#include "cleanup.h"
#include "container.h"
#include "fault.h"
#include "host.h"
#include "inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the SQL: every statement static text with bound parameters ---- */

static const char SQL_RAW_INSERT[] =
	"INSERT INTO raw (series, t, state, cpu, mem, mem_limit, mem_cache, swap, pids, oom_kills, "
	"rx, tx, rd, wr) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/* Fold one sample into its bucket: the first sample makes the row, later
 * ones update min, max, sum and last. The sample's values are bound to the
 * fold as to its raw insert (the same parameter numbers), so the fold does
 * not read the raw row back. min()/max() of SQLite are NULL when
 * an argument is, hence the coalesce for the rates a sample may lack.
 * RETURNING n: 1 when this sample made the bucket (for the row count). */
#define FOLD(m) \
	m "_min = coalesce(min(" m "_min, excluded." m "_min), " m "_min, excluded." m "_min), " \
	m "_max = coalesce(max(" m "_max, excluded." m "_max), " m "_max, excluded." m "_max), " \
	m "_sum = coalesce(" m "_sum + excluded." m "_sum, " m "_sum, excluded." m "_sum), " \
	m "_last = coalesce(excluded." m "_last, " m "_last), "
#define FIRST(m) m ", " m ", " m ", " m ", "

/* ?1 series, ?2 t, ?3 state, ?4 cpu, ?5 mem, ?6 mem_limit, ?7 mem_cache,
 * ?8 swap, ?9 pids, ?10 oom_kills, ?11 rx, ?12 tx, ?13 rd, ?14 wr */
#define CONTAINER_FOLD(table, size) \
	"INSERT INTO " table " VALUES (?1, ?2 - ?2 % " size ", 1, ?4 IS NOT NULL, " \
	FIRST("?4") FIRST("?5") FIRST("?7") FIRST("?8") FIRST("?9") FIRST("?11") \
	FIRST("?12") FIRST("?13") FIRST("?14") "?6, ?10, ?3) " \
	"ON CONFLICT (series, t) DO UPDATE SET n = n + 1, nr = nr + excluded.nr, " \
	FOLD("cpu") FOLD("mem") FOLD("mem_cache") FOLD("swap") FOLD("pids") FOLD("rx") \
	FOLD("tx") FOLD("rd") FOLD("wr") \
	"mem_limit = excluded.mem_limit, oom_kills = excluded.oom_kills, state = excluded.state " \
	"RETURNING n"

/* ?1 t, ?2 ncpu, ?3 cpu, ?4 load1, ?5 mem, ?6 mem_total, ?7 mem_cache,
 * ?8 disk, ?9 disk_total, ?10 containers */
#define HOST_FOLD(table, size) \
	"INSERT INTO " table " VALUES (?1 - ?1 % " size ", 1, ?3 IS NOT NULL, " \
	FIRST("?3") FIRST("?4") FIRST("?5") FIRST("?8") FIRST("?10") "?2, ?6, ?9) " \
	"ON CONFLICT (t) DO UPDATE SET n = n + 1, nr = nr + excluded.nr, " \
	FOLD("cpu") FOLD("load1") FOLD("mem") FOLD("disk") FOLD("containers") \
	"ncpu = excluded.ncpu, mem_total = excluded.mem_total, disk_total = excluded.disk_total " \
	"RETURNING n"

static const char SQL_MINUTE_FOLD[] = CONTAINER_FOLD("minute", "60");
static const char SQL_HOUR_FOLD[] = CONTAINER_FOLD("hour", "3600");
static const char SQL_HOST_MINUTE_FOLD[] = HOST_FOLD("host_minute", "60");
static const char SQL_HOST_HOUR_FOLD[] = HOST_FOLD("host_hour", "3600");

static const char SQL_HOST_INSERT[] =
	"INSERT INTO host_raw (t, ncpu, cpu, load1, mem, mem_total, mem_cache, disk, disk_total, "
	"containers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_CURRENT[] =
	"INSERT OR REPLACE INTO current (series, t_ms, run, cpu_usec, rx_bytes, tx_bytes, "
	"rd_bytes, wr_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_SERIES_NEW[] =
	"INSERT INTO series (container, image, created_at, first_seen) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_SERIES_GONE[] = "UPDATE series SET destroyed_at = ?2 WHERE id = ?1";
static const char SQL_LOAD[] =
	"SELECT s.id, s.container, s.created_at, c.t_ms, c.run, c.cpu_usec, c.rx_bytes, "
	"c.tx_bytes, c.rd_bytes, c.wr_bytes FROM series s LEFT JOIN current c ON c.series = s.id "
	"WHERE s.destroyed_at IS NULL";
static const char SQL_META_ADD[] = "UPDATE meta SET value = value + ?2 WHERE key = ?1";
static const char SQL_META_SET[] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";
static const char SQL_SERIES_ALL[] = "SELECT id FROM series";
static const char SQL_PRUNE_RAW[] = "DELETE FROM raw WHERE series = ?1 AND t < ?2";
static const char SQL_PRUNE_MINUTE[] = "DELETE FROM minute WHERE series = ?1 AND t < ?2";
static const char SQL_PRUNE_HOUR[] = "DELETE FROM hour WHERE series = ?1 AND t < ?2";
static const char SQL_PRUNE_HOST_RAW[] = "DELETE FROM host_raw WHERE t < ?1";
static const char SQL_PRUNE_HOST_MINUTE[] = "DELETE FROM host_minute WHERE t < ?1";
static const char SQL_PRUNE_HOST_HOUR[] = "DELETE FROM host_hour WHERE t < ?1";

enum {
	S_RAW, S_MINUTE, S_HOUR, S_HOST, S_HOST_MINUTE, S_HOST_HOUR, S_CURRENT, S_SERIES_NEW,
	S_SERIES_GONE, S_META_ADD, S_META_SET, S_SERIES_ALL, S_PRUNE_RAW, S_PRUNE_MINUTE,
	S_PRUNE_HOUR, S_PRUNE_HOST_RAW, S_PRUNE_HOST_MINUTE, S_PRUNE_HOST_HOUR, S_COUNT
};
static const char *const stmt_sql[S_COUNT] = {
	SQL_RAW_INSERT, SQL_MINUTE_FOLD, SQL_HOUR_FOLD, SQL_HOST_INSERT, SQL_HOST_MINUTE_FOLD,
	SQL_HOST_HOUR_FOLD, SQL_CURRENT, SQL_SERIES_NEW, SQL_SERIES_GONE, SQL_META_ADD,
	SQL_META_SET, SQL_SERIES_ALL, SQL_PRUNE_RAW, SQL_PRUNE_MINUTE, SQL_PRUNE_HOUR,
	SQL_PRUNE_HOST_RAW, SQL_PRUNE_HOST_MINUTE, SQL_PRUNE_HOST_HOUR,
};

/* What the recorder remembers of a container between rounds: its series
 * and the counters of its last sample (rates are differences of them). */
struct known {
	char name[64];
	int64_t created_at;
	int64_t series;
	int64_t t_ms;             /* 0: no previous sample of this run */
	int64_t run;              /* started_at of the run the counters belong to */
	uint64_t cpu_usec, rx, tx, rd, wr;
	bool has_net;
	bool seen;                /* in the inventory this round */
};

struct dome_recorder {
	struct dome_ctx *ctx;
	struct dome_metrics *m;
	int lock_fd;
	sqlite3_stmt *st[S_COUNT];
	struct known *known;
	size_t nknown, cap;
	struct dome_host host;
	int64_t last_t;           /* seconds of the last round */
	int64_t pruned_minute;    /* the minute of the last pruning */
	int64_t rows_raw, rows_minute, rows_hour; /* this round's new rows */
};

/* ---- the lock ---- */

static int lock_path(const struct dome_ctx *ctx, char *out, size_t len)
{
	return dome_path(ctx, out, len, "metrics.lock");
}

static int read_holder(int fd, pid_t *pid, unsigned *interval_s)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	char buf[64] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	unsigned long p = 0, iv = 0;
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "%lu %lu", &p, &iv);
	}
	*pid = fl.l_pid > 0 ? fl.l_pid : (pid_t)p;
	*interval_s = (unsigned)iv;
	return 1;
}

int dome_recorder_status(struct dome_ctx *ctx, pid_t *pid, unsigned *interval_s,
			 struct dome_error *err)
{
	char path[PATH_MAX];
	*pid = 0;
	*interval_s = 0;
	if (lock_path(ctx, path, sizeof path) < 0)
		return dome_invalid(err, "state root %s is too long", ctx->cfg.root);
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot read %s", path);
	return read_holder(fd, pid, interval_s);
}

static int take_lock(struct dome_recorder *r, unsigned interval_s, struct dome_error *err)
{
	char path[PATH_MAX];
	if (lock_path(r->ctx, path, sizeof path) < 0)
		return dome_invalid(err, "state root %s is too long", r->ctx->cfg.root);
	r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (r->lock_fd < 0)
		return dome_fail(err, errno, "cannot open the recorder lock %s", path);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(r->lock_fd, F_SETLK, &fl) < 0) {
		pid_t pid = 0;
		unsigned iv = 0;
		if (errno != EACCES && errno != EAGAIN)
			return dome_fail(err, errno, "cannot lock %s", path);
		read_holder(r->lock_fd, &pid, &iv);
		return dome_fail(err, 0, "a recorder already runs for %s (pid %ld, holding %s); "
				 "one recorder per state root", r->ctx->cfg.root, (long)pid, path);
	}
	char buf[64];
	int len = snprintf(buf, sizeof buf, "%ld %u\n", (long)getpid(), interval_s);
	if (ftruncate(r->lock_fd, 0) < 0 || pwrite(r->lock_fd, buf, (size_t)len, 0) != len)
		return dome_fail(err, errno, "cannot write %s", path);
	return 0;
}

/* ---- what is known between rounds ---- */

static int known_cmp(const void *a, const void *b)
{
	const struct known *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->created_at > y->created_at) - (x->created_at < y->created_at);
}

static struct known *known_find(struct dome_recorder *r, const char *name, int64_t created_at)
{
	if (r->nknown == 0)
		return NULL; /* bsearch must not be given a NULL array */
	struct known key = { .created_at = created_at };
	strlcpy(key.name, name, sizeof key.name);
	return bsearch(&key, r->known, r->nknown, sizeof *r->known, known_cmp);
}

static struct known *known_add(struct dome_recorder *r, const struct known *k)
{
	if (r->nknown == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct known *n = realloc(r->known, cap * sizeof *n);
		if (!n)
			return NULL;
		r->known = n;
		r->cap = cap;
	}
	r->known[r->nknown++] = *k;
	qsort(r->known, r->nknown, sizeof *r->known, known_cmp);
	return known_find(r, k->name, k->created_at);
}

static int load_known(struct dome_recorder *r, struct dome_error *err)
{
	__cleanup_stmt sqlite3_stmt *s = dome_metrics_prepare(r->m, SQL_LOAD, err);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct known k = { 0 };
		k.series = sqlite3_column_int64(s, 0);
		strlcpy(k.name, (const char *)sqlite3_column_text(s, 1), sizeof k.name);
		k.created_at = sqlite3_column_int64(s, 2);
		k.t_ms = sqlite3_column_int64(s, 3);
		k.run = sqlite3_column_int64(s, 4);
		k.cpu_usec = (uint64_t)sqlite3_column_int64(s, 5);
		k.has_net = sqlite3_column_type(s, 6) != SQLITE_NULL;
		k.rx = (uint64_t)sqlite3_column_int64(s, 6);
		k.tx = (uint64_t)sqlite3_column_int64(s, 7);
		k.rd = (uint64_t)sqlite3_column_int64(s, 8);
		k.wr = (uint64_t)sqlite3_column_int64(s, 9);
		if (!known_add(r, &k))
			return dome_fail(err, ENOMEM, "loading the recorder's state");
	}
	if (rc != SQLITE_DONE)
		return dome_metrics_fail(r->m, err, "loading the recorder's state");
	return 0;
}

/* ---- start and stop ---- */

struct dome_recorder *dome_recorder_start(struct dome_ctx *ctx, unsigned interval_s,
					  struct dome_error *err)
{
	const struct dome_config *c = &ctx->cfg;
	if (!(c->metrics_raw_keep <= c->metrics_minute_keep &&
	      c->metrics_minute_keep <= c->metrics_hour_keep)) {
		dome_invalid(err, "[metrics] retention must not shrink from tier to tier: "
			     "raw_retention <= minute_retention <= hour_retention");
		return NULL;
	}
	if (ctx->readonly) {
		dome_invalid(err, "the recorder writes metrics.db: run it as root, without --readonly");
		return NULL;
	}
	struct dome_recorder *r = calloc(1, sizeof *r);
	if (!r) {
		dome_fail(err, ENOMEM, "starting the recorder");
		return NULL;
	}
	r->ctx = ctx;
	r->lock_fd = -1;
	r->pruned_minute = -1;
	if (take_lock(r, interval_s, err) < 0)
		goto fail;
	r->m = dome_metrics_open(ctx, true, err);
	if (!r->m)
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (!(r->st[i] = dome_metrics_prepare(r->m, stmt_sql[i], err)))
			goto fail;
	if (load_known(r, err) < 0)
		goto fail;
	r->last_t = dome_metrics_meta(r->m, "last_sample");
	dome_host_identity(&r->host);
	return r;
fail:
	dome_recorder_stop(r);
	return NULL;
}

void dome_recorder_stop(struct dome_recorder *r)
{
	if (!r)
		return;
	for (int i = 0; i < S_COUNT; i++)
		if (r->st[i])
			sqlite3_finalize(r->st[i]);
	dome_metrics_close(r->m);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	free(r->known);
	free(r);
}

/* ---- one round ---- */

static sqlite3_stmt *stmt(struct dome_recorder *r, int i)
{
	sqlite3_reset(r->st[i]);
	sqlite3_clear_bindings(r->st[i]);
	return r->st[i];
}

static int run_stmt(struct dome_recorder *r, sqlite3_stmt *s, const char *what,
		    struct dome_error *err)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dome_metrics_fail(r->m, err, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* A statement of a series (series < 0: of the host, which has none) and a
 * time, bound. */
static sqlite3_stmt *stmt_at(struct dome_recorder *r, int which, int64_t series, int64_t t)
{
	sqlite3_stmt *s = stmt(r, which);
	int p = 1;
	if (series >= 0)
		sqlite3_bind_int64(s, p++, series);
	sqlite3_bind_int64(s, p, t);
	return s;
}

/* One sample's values, parameter i + 1 of its raw insert and its folds. */
#define SAMPLE_MAX 14
struct sample {
	int n;
	int64_t v[SAMPLE_MAX];
	bool has[SAMPLE_MAX];
};

static void put(struct sample *x, bool present, int64_t v)
{
	x->has[x->n] = present;
	x->v[x->n++] = v;
}

static void bind_sample(sqlite3_stmt *s, const struct sample *x)
{
	for (int i = 0; i < x->n; i++) {
		if (x->has[i])
			sqlite3_bind_int64(s, i + 1, x->v[i]);
		else
			sqlite3_bind_null(s, i + 1);
	}
}

/* Fold the sample into a bucket; 1 when it made a new one. */
static int fold(struct dome_recorder *r, int which, const struct sample *x,
		struct dome_error *err)
{
	sqlite3_stmt *s = stmt(r, which);
	bind_sample(s, x);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		dome_metrics_fail(r->m, err, "rolling up a sample");
		sqlite3_reset(s);
		return -1;
	}
	int made = sqlite3_column_int64(s, 0) == 1;
	sqlite3_reset(s);
	return made;
}

static int fold_both(struct dome_recorder *r, int minute, int hour, const struct sample *x,
		     struct dome_error *err)
{
	int a = fold(r, minute, x, err);
	if (a < 0)
		return -1;
	/* For the recovery test: killed here, the transaction holds a raw
	 * sample and its minute bucket but not its hour bucket. */
	dome_fault_point("metrics.mid-rollup");
	int b = fold(r, hour, x, err);
	if (b < 0)
		return -1;
	r->rows_minute += a;
	r->rows_hour += b;
	return 0;
}

static int64_t series_for(struct dome_recorder *r, const struct dome_container *c, int64_t t,
			  struct dome_error *err)
{
	struct known *k = known_find(r, c->name, c->created_at);
	if (k)
		return k->series;
	sqlite3_stmt *s = stmt(r, S_SERIES_NEW);
	sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->image, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, c->created_at);
	sqlite3_bind_int64(s, 4, t);
	if (run_stmt(r, s, "adding a container to the metrics history", err) < 0)
		return -1;
	struct known nk = { .created_at = c->created_at,
			    .series = sqlite3_last_insert_rowid(dome_metrics_db(r->m)) };
	strlcpy(nk.name, c->name, sizeof nk.name);
	if (!known_add(r, &nk))
		return dome_fail(err, ENOMEM, "adding a container to the metrics history");
	return nk.series;
}

/* A counter's rate per second; absent when it went back (a new run). */
static bool rate(uint64_t now, uint64_t prev, int64_t dt_ms, int64_t *out)
{
	if (now < prev || dt_ms <= 0)
		return false;
	*out = (int64_t)((now - prev) * 1000 / (uint64_t)dt_ms);
	return true;
}

static void bind_opt(sqlite3_stmt *s, int i, bool present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static int record_container(struct dome_recorder *r, const struct dome_container *c,
			    int64_t t_ms, int64_t t, struct dome_error *err)
{
	struct dome_container_stats cs;
	struct dome_error serr;
	/* A container whose cgroup went away since the inventory was read
	 * (it stopped) is skipped, not a failure of the round. */
	if (dome_container_stats(r->ctx, c, &cs, &serr) < 0)
		return 0;
	int64_t series = series_for(r, c, t, err);
	if (series < 0)
		return -1;
	struct known *k = known_find(r, c->name, c->created_at);
	int64_t dt = t_ms - k->t_ms;
	bool same_run = k->t_ms > 0 && k->run == c->started_at && dt > 0;
	int64_t cpu = 0, rx = 0, tx = 0, rd = 0, wr = 0;
	bool rates = same_run && rate(cs.cg.cpu_usec, k->cpu_usec, dt, &cpu) &&
		     rate(cs.cg.io_read_bytes, k->rd, dt, &rd) &&
		     rate(cs.cg.io_write_bytes, k->wr, dt, &wr);
	bool net = cs.net.present;
	/* the container's rx is what its host end sends */
	bool net_rates = rates && net && k->has_net && rate(cs.net.tx_bytes, k->rx, dt, &rx) &&
			 rate(cs.net.rx_bytes, k->tx, dt, &tx);
	struct sample x = { 0 };
	put(&x, true, series);
	put(&x, true, t);
	put(&x, true, strcmp(c->state, "frozen") == 0 ? 2 : 1);
	put(&x, rates, cpu);
	put(&x, true, (int64_t)cs.cg.memory_current);
	put(&x, cs.cg.memory_limit != DOME_UNLIMITED, (int64_t)cs.cg.memory_limit);
	put(&x, true, (int64_t)cs.cg.memory_cache);
	put(&x, true, (int64_t)cs.cg.swap_current);
	put(&x, true, (int64_t)cs.cg.pids_current);
	put(&x, true, (int64_t)cs.cg.oom_kills);
	put(&x, net_rates, rx);
	put(&x, net_rates, tx);
	put(&x, rates, rd);
	put(&x, rates, wr);
	sqlite3_stmt *s = stmt(r, S_RAW);
	bind_sample(s, &x);
	if (run_stmt(r, s, "storing a sample", err) < 0)
		return -1;
	r->rows_raw++;
	if (fold_both(r, S_MINUTE, S_HOUR, &x, err) < 0)
		return -1;
	s = stmt(r, S_CURRENT);
	sqlite3_bind_int64(s, 1, series);
	sqlite3_bind_int64(s, 2, t_ms);
	sqlite3_bind_int64(s, 3, c->started_at);
	sqlite3_bind_int64(s, 4, (int64_t)cs.cg.cpu_usec);
	bind_opt(s, 5, net, (int64_t)cs.net.tx_bytes);
	bind_opt(s, 6, net, (int64_t)cs.net.rx_bytes);
	sqlite3_bind_int64(s, 7, (int64_t)cs.cg.io_read_bytes);
	sqlite3_bind_int64(s, 8, (int64_t)cs.cg.io_write_bytes);
	if (run_stmt(r, s, "storing the last counters", err) < 0)
		return -1;
	k->t_ms = t_ms;
	k->run = c->started_at;
	k->cpu_usec = cs.cg.cpu_usec;
	k->has_net = net;
	k->rx = cs.net.tx_bytes;
	k->tx = cs.net.rx_bytes;
	k->rd = cs.cg.io_read_bytes;
	k->wr = cs.cg.io_write_bytes;
	return 1;
}

static int record_host(struct dome_recorder *r, int64_t t, size_t containers,
		       struct dome_error *err)
{
	bool had = r->host.cpu.total != 0;
	struct dome_error herr;
	dome_host_sample(&r->host, r->ctx->cfg.root, &herr);
	struct sample x = { 0 };
	put(&x, true, t);
	put(&x, true, r->host.ncpu);
	put(&x, had, (int64_t)(r->host.cpu_pct / 100.0 * r->host.ncpu * 1e6));
	put(&x, true, (int64_t)(r->host.load[0] * 1000));
	put(&x, true, (int64_t)r->host.mem_used);
	put(&x, true, (int64_t)r->host.mem_total);
	put(&x, true, (int64_t)r->host.mem_cached);
	put(&x, true, (int64_t)r->host.disk_used);
	put(&x, true, (int64_t)r->host.disk_total);
	put(&x, true, (int64_t)containers);
	sqlite3_stmt *s = stmt(r, S_HOST);
	bind_sample(s, &x);
	if (run_stmt(r, s, "storing the host sample", err) < 0)
		return -1;
	/* the row counts are of container samples (bytes per sample) */
	int64_t minute = r->rows_minute, hour = r->rows_hour;
	int rc = fold_both(r, S_HOST_MINUTE, S_HOST_HOUR, &x, err);
	r->rows_minute = minute;
	r->rows_hour = hour;
	return rc;
}

/* Containers no longer in the inventory: their history stays, marked. */
static int mark_destroyed(struct dome_recorder *r, int64_t t, struct dome_error *err)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->nknown; i++) {
		struct known *k = &r->known[i];
		if (!k->seen) {
			sqlite3_stmt *s = stmt(r, S_SERIES_GONE);
			sqlite3_bind_int64(s, 1, k->series);
			sqlite3_bind_int64(s, 2, t);
			if (run_stmt(r, s, "marking a destroyed container", err) < 0)
				return -1;
			continue;
		}
		k->seen = false;
		r->known[kept++] = *k;
	}
	r->nknown = kept; /* still sorted */
	return 0;
}

static int64_t prune_one(struct dome_recorder *r, int which, int64_t series, int64_t cutoff,
			 struct dome_error *err)
{
	if (run_stmt(r, stmt_at(r, which, series, cutoff), "pruning the metrics history", err) < 0)
		return -1;
	return sqlite3_changes(dome_metrics_db(r->m));
}

/* Retention, once a minute (of sample time): per series, so each delete is
 * a range of the primary key, never a scan of the table. */
static int prune(struct dome_recorder *r, int64_t t, struct dome_error *err)
{
	const struct dome_config *c = &r->ctx->cfg;
	int64_t cut[3] = { t - c->metrics_raw_keep, t - c->metrics_minute_keep,
			   t - c->metrics_hour_keep };
	static const int per_series[3] = { S_PRUNE_RAW, S_PRUNE_MINUTE, S_PRUNE_HOUR };
	static const int host[3] = { S_PRUNE_HOST_RAW, S_PRUNE_HOST_MINUTE, S_PRUNE_HOST_HOUR };
	int64_t gone[3] = { 0, 0, 0 };
	sqlite3_stmt *all = stmt(r, S_SERIES_ALL);
	int rc;
	while ((rc = sqlite3_step(all)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(all, 0);
		for (int i = 0; i < 3; i++) {
			int64_t n = prune_one(r, per_series[i], id, cut[i], err);
			if (n < 0) {
				sqlite3_reset(all);
				return -1;
			}
			gone[i] += n;
		}
	}
	sqlite3_reset(all);
	if (rc != SQLITE_DONE)
		return dome_metrics_fail(r->m, err, "pruning the metrics history");
	for (int i = 0; i < 3; i++)
		if (prune_one(r, host[i], -1, cut[i], err) < 0)
			return -1;
	r->rows_raw -= gone[0];
	r->rows_minute -= gone[1];
	r->rows_hour -= gone[2];
	return 0;
}

static int meta_add(struct dome_recorder *r, const char *key, int64_t v, bool set,
		    struct dome_error *err)
{
	sqlite3_stmt *s = stmt(r, set ? S_META_SET : S_META_ADD);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, v);
	return run_stmt(r, s, "counting the metrics history", err);
}

static int write_textfile(struct dome_recorder *r, struct dome_error *err);

int dome_recorder_sample(struct dome_recorder *r, int64_t t_ms, size_t *containers,
			 struct dome_error *err)
{
	*containers = 0;
	int64_t t = t_ms / 1000;
	if (t <= r->last_t)
		return dome_fail(err, 0, "the clock is at %" PRId64 ", not after the last sample "
				 "(%" PRId64 "); waiting for it", t, r->last_t);
	__cleanup_free struct dome_container *list = NULL;
	size_t n;
	if (dome_inv_list(r->ctx->store, &list, &n, err) < 0)
		return -1;
	if (dome_metrics_exec(r->m, "BEGIN IMMEDIATE", "starting a sample round", err) < 0)
		return -1;
	r->rows_raw = r->rows_minute = r->rows_hour = 0;
	size_t sampled = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dome_container *c = &list[i];
		struct known *k = known_find(r, c->name, c->created_at);
		if (k)
			k->seen = true;
		if (strcmp(c->state, "running") && strcmp(c->state, "frozen")) {
			if (k)
				k->t_ms = 0; /* the next run starts its counters over */
			continue;
		}
		int rc = record_container(r, c, t_ms, t, err);
		if (rc < 0)
			goto fail;
		sampled += (size_t)rc;
		if (!k && (k = known_find(r, c->name, c->created_at)))
			k->seen = true;
	}
	if (record_host(r, t, sampled, err) < 0 || mark_destroyed(r, t, err) < 0)
		goto fail;
	if (t / 60 != r->pruned_minute) {
		if (prune(r, t, err) < 0)
			goto fail;
		r->pruned_minute = t / 60;
	}
	if (meta_add(r, "raw_rows", r->rows_raw, false, err) < 0 ||
	    meta_add(r, "minute_rows", r->rows_minute, false, err) < 0 ||
	    meta_add(r, "hour_rows", r->rows_hour, false, err) < 0 ||
	    meta_add(r, "last_sample", t, true, err) < 0 ||
	    meta_add(r, "interval", (int64_t)r->ctx->cfg.metrics_interval, true, err) < 0)
		goto fail;
	if (dome_metrics_exec(r->m, "COMMIT", "saving a sample round", err) < 0)
		goto fail;
	r->last_t = t;
	*containers = sampled;
	if (r->ctx->cfg.metrics_textfile[0] && write_textfile(r, err) < 0)
		return -1;
	return 0;
fail:
	sqlite3_exec(dome_metrics_db(r->m), "ROLLBACK", NULL, NULL, NULL);
	/* What is remembered must match what is stored: read it again. */
	r->nknown = 0;
	struct dome_error lerr;
	load_known(r, &lerr);
	return -1;
}

/* ---- the textfile export: temp file and rename in the same directory,
 * so node_exporter never reads half of it ---- */

static int write_textfile(struct dome_recorder *r, struct dome_error *err)
{
	const char *path = r->ctx->cfg.metrics_textfile;
	__cleanup_free char *text = NULL;
	if (dome_metrics_prometheus(r->m, r->host.hostname, &text, err) < 0)
		return -1;
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dirlen = (int)(slash - path);
	/* node_exporter reads only *.prom: the temp name is not one */
	if ((size_t)snprintf(tmp, sizeof tmp, "%.*s/.%s.%ld.tmp", dirlen, path, slash + 1,
			     (long)getpid()) >= sizeof tmp)
		return dome_invalid(err, "[metrics] textfile %s is too long", path);
	__cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return dome_fail(err, errno, "cannot write the textfile export %s", tmp);
	size_t len = strlen(text), at = 0;
	while (at < len) {
		ssize_t w = write(fd, text + at, len - at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			unlink(tmp);
			return dome_fail(err, e, "cannot write the textfile export %s", tmp);
		}
		at += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return dome_fail(err, e, "cannot put the textfile export in place at %s", path);
	}
	return 0;
}
