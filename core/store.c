#include "store.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/stat.h>

#define STMT_CACHE_MAX 96

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

/* The write-ahead log outlives each run. Every dome is a short process, and
 * SQLite's default, checkpointing and deleting the WAL when the last
 * connection closes, cost each run that changes something ~1.5 ms: fsyncs of
 * the WAL, the database and its directory, an unlink, and a new WAL whose
 * header is synced at the next write. So the WAL persists and a close
 * checkpoints only once it holds WAL_KEEP_FRAMES pages, truncating it to
 * nothing. Below that, the first open of each run rebuilds the WAL's index
 * by reading all of it (a few microseconds a page; the index does not
 * survive the last close, and with it the note of what was checkpointed, so
 * only a truncated WAL starts small again). Commits are not synced
 * (synchronous=NORMAL): what must be on disk before something else is, the
 * history's head (audit.c), asks for it with dome_store_sync. */
#define WAL_KEEP_FRAMES 64
/* What SQLite's own automatic checkpoint would use (our WAL hook replaces it). */
#define WAL_AUTOCHECKPOINT_FRAMES 1000

struct dome_store {
	sqlite3 *db;
	bool readonly;
	const char *no_init;    /* why a file with no schema may not get one, or NULL */
	int wal_frames;         /* pages in the WAL after our last commit */
	char path[4096];
	size_t nstmts;
	struct cached_stmt stmts[STMT_CACHE_MAX];
};

int64_t dome_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dome_store_fail(struct dome_store *st, struct dome_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	const char *msg = sqlite3_errmsg(st->db);
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return dome_fail(err, 0,
				 "%s: the inventory %s is locked by another dome for more than %d s; "
				 "retry when that operation has finished",
				 what, st->path, DOME_BUSY_TIMEOUT_MS / 1000);
	case SQLITE_READONLY:
		return dome_fail(err, 0, "%s: the inventory %s is open read-only", what, st->path);
	case SQLITE_IOERR:
		/* A write that hit a full disk is often reported as an I/O
		 * error (the WAL or its index could not grow). */
		if (sqlite3_system_errno(st->db) != ENOSPC)
			return dome_fail(err, 0, "%s: %s (%s)", what, msg, st->path);
		/* fall through */
	case SQLITE_FULL:
		return dome_fail(err, ENOSPC, "%s: the disk holding %s is full; free space and retry",
				 what, st->path);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return dome_fail(err, 0,
				 "%s: the inventory %s is damaged (%s); restore it from a backup or "
				 "move it aside — dome will not overwrite it (RECOVERY in dome(1))",
				 what, st->path, msg);
	default:
		return dome_fail(err, 0, "%s: %s (%s)", what, msg, st->path);
	}
}

static int exec_sql(struct dome_store *st, const char *sql, const char *what,
		    struct dome_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dome_store_fail(st, err, what);
	return 0;
}

int dome_store_schema_version(struct dome_store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* How many tables, indexes... the file holds; -1 when it cannot be read. */
static int count_schema(struct dome_store *st)
{
	sqlite3_stmt *s;
	int n = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static int migrate(struct dome_store *st, struct dome_error *err)
{
	int have = dome_store_schema_version(st);
	if (have < 0)
		return dome_store_fail(st, err, "reading the schema version");
	if (have > dome_migration_count)
		return dome_fail(err, 0,
				 "the inventory %s has schema version %d, newer than this dome knows (%d); "
				 "use the dome that wrote it",
				 st->path, have, dome_migration_count);
	if (have == dome_migration_count)
		return 0;
	if (st->readonly)
		return dome_fail(err, 0,
				 "the inventory %s needs an upgrade (schema %d to %d) and this run is "
				 "read-only; run any dome command as root once",
				 st->path, have, dome_migration_count);
	for (int i = have; i < dome_migration_count; i++) {
		const struct dome_migration *m = &dome_migrations[i];
		char pragma[64];
		if (dome_store_begin(st, err) < 0)
			return -1;
		/* Read again under the write lock: another dome opening the same
		 * new database at the same moment may have applied it already. */
		if (dome_store_schema_version(st) >= m->version) {
			if (dome_store_commit(st, err) < 0)
				return -1;
			continue;
		}
		/* lint-ok: an integer of ours; PRAGMA takes no bound parameters */
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
		if (exec_sql(st, m->sql, m->file, err) < 0 ||
		    exec_sql(st, pragma, "setting the schema version", err) < 0) {
			dome_store_rollback(st);
			dome_error_prefix(err, "migrating the inventory to schema %d", m->version);
			return -1;
		}
		if (dome_store_commit(st, err) < 0)
			return -1;
	}
	return 0;
}

/* sqlite3_wal_hook: after each commit, with the WAL's size in pages. */
static int note_wal_size(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct dome_store *st = arg;
	st->wal_frames = frames;
	if (frames >= WAL_AUTOCHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* A reader that is not root (the dome group) opens the WAL and its index
 * read-only, so both must exist and be readable to it: SQLite makes them
 * with the database's owner and mode, but a group given to dome.db later
 * (or a mode changed by hand) does not follow, and the reader then fails.
 * Each writable run gives them the database's group and mode again. Best
 * effort: a file that cannot be fixed only keeps readers out. */
static void share_like_database(const char *path)
{
	struct stat db, sb;
	if (stat(path, &db) < 0)
		return;
	static const char *const suffixes[] = { "-wal", "-shm" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(suffixes); i++) {
		char side[4200];
		if ((size_t)snprintf(side, sizeof side, "%s%s", path, suffixes[i]) >= sizeof side)
			return;
		/* By path, never through a descriptor of our own: closing one
		 * would drop every fcntl lock this process holds on the file,
		 * SQLite's on the index included, and another dome would then
		 * take it for unused and truncate it under our mapping. */
		if (lstat(side, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (sb.st_uid != db.st_uid || sb.st_gid != db.st_gid)
			(void)!lchown(side, db.st_uid, db.st_gid);
		if ((sb.st_mode & 07777) != (db.st_mode & 0666))
			(void)!chmod(side, db.st_mode & 0666);
	}
}

/* Why a read-only open failed, when it is the WAL gone: SQLite removes it
 * when the last connection closes, unless told to keep it as dome does, so
 * a sqlite3 run as root can take it away, and a reader cannot make it. */
static void explain_missing_wal(const char *path, struct dome_error *err)
{
	char wal[4200];
	struct stat sb;
	if ((size_t)snprintf(wal, sizeof wal, "%s-wal", path) >= sizeof wal ||
	    stat(wal, &sb) == 0 || errno != ENOENT)
		return;
	dome_fail(err, 0, "cannot read the inventory %s: its write-ahead log %s is missing (a "
		  "program that closed the database last, such as sqlite3 run as root, removed "
		  "it) and a read-only dome cannot make it; any dome command run as root once "
		  "(e.g. `sudo dome ls`) puts it back", path, wal);
}

struct dome_store *dome_store_open(const char *path, bool readonly, const char *no_init,
				   struct dome_error *err)
{
	struct dome_store *st = calloc(1, sizeof *st);
	if (st == NULL) {
		dome_fail(err, ENOMEM, "opening the inventory");
		return NULL;
	}
	__cleanup_store struct dome_store *guard = st;
	snprintf(st->path, sizeof st->path, "%s", path);
	st->readonly = readonly;
	st->no_init = no_init;

	if (readonly) {
		struct stat sb;
		if (stat(path, &sb) < 0) {
			dome_fail(err, errno,
				  "cannot open the inventory %s read-only; run dome as root once to create it",
				  path);
			return NULL;
		}
	}
	int flags = readonly ? SQLITE_OPEN_READONLY
			     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (st->db == NULL) {
			dome_fail(err, ENOMEM, "opening the inventory %s", path);
			return NULL;
		}
		dome_store_fail(st, err, "opening the inventory");
		return NULL;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, DOME_BUSY_TIMEOUT_MS);
	/* A damaged file shows up at the first read; read before any write so it
	 * is reported, never silently replaced. */
	if (exec_sql(st, "SELECT count(*) FROM sqlite_master", "reading the inventory", err) < 0) {
		if (readonly && (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY)
			explain_missing_wal(path, err);
		return NULL;
	}
	/* Before anything is written (the switch to WAL writes the header). */
	if (st->no_init && dome_store_schema_version(st) == 0 && count_schema(st) == 0) {
		dome_fail(err, 0, "the inventory %s is empty (it holds no tables); %s", path,
			  st->no_init);
		return NULL;
	}
	if (!readonly) {
		if (exec_sql(st, "PRAGMA journal_mode=WAL", "enabling WAL", err) < 0)
			return NULL;
		if (exec_sql(st, "PRAGMA synchronous=NORMAL", "setting synchronous", err) < 0)
			return NULL;
		int on = 1;
		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_wal_hook(st->db, note_wal_size, st);
	}
	if (exec_sql(st, "PRAGMA foreign_keys=ON", "enabling foreign keys", err) < 0)
		return NULL;
	if (migrate(st, err) < 0)
		return NULL;
	if (!readonly)
		share_like_database(path);
	return move_ptr(guard);
}

void dome_store_close(struct dome_store *st)
{
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	/* Best effort: a reader in the way only delays it to a later close. */
	if (!st->readonly && st->wal_frames >= WAL_KEEP_FRAMES)
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(st->db);
	free(st);
}

/* quick_check, not integrity_check: it reads every page and checks every
 * b-tree (what random damage to pages breaks) without matching each index
 * entry to its row, which would cost as much again on a long history. */
int dome_store_check(struct dome_store *st, char *why, size_t whylen, struct dome_error *err)
{
	sqlite3_stmt *s;
	why[0] = '\0';
	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(4)", -1, &s, NULL) != SQLITE_OK)
		return dome_store_fail(st, err, "checking the inventory");
	int rc;
	size_t used = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);
		if (!line || strcmp(line, "ok") == 0)
			continue;
		int n = snprintf(why + used, whylen - used, "%s%s", used ? "; " : "", line);
		if (n > 0)
			used = (size_t)n >= whylen - used ? whylen - 1 : used + (size_t)n;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	/* Damage bad enough that the check itself cannot read its way. */
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(st->db));
		return 0;
	}
	return dome_store_fail(st, err, "checking the inventory");
}

const char *dome_store_path(const struct dome_store *st) { return st->path; }

bool dome_store_readonly(const struct dome_store *st) { return st->readonly; }
sqlite3 *dome_store_db(struct dome_store *st) { return st->db; }

sqlite3_stmt *dome_store_stmt(struct dome_store *st, const char *sql, struct dome_error *err)
{
	for (size_t i = 0; i < st->nstmts; i++) {
		if (st->stmts[i].sql == sql) {
			sqlite3_stmt *s = st->stmts[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (st->nstmts == STMT_CACHE_MAX) {
		dome_fail(err, 0, "internal: statement cache full (raise STMT_CACHE_MAX)");
		return NULL;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		dome_store_fail(st, err, "preparing a query");
		return NULL;
	}
	st->stmts[st->nstmts++] = (struct cached_stmt){ sql, s };
	return s;
}

int dome_store_begin(struct dome_store *st, struct dome_error *err)
{
	return exec_sql(st, "BEGIN IMMEDIATE", "starting a write to the inventory", err);
}

int dome_store_commit(struct dome_store *st, struct dome_error *err)
{
	if (exec_sql(st, "COMMIT", "saving to the inventory", err) < 0) {
		dome_store_rollback(st);
		return -1;
	}
	return 0;
}

void dome_store_sync(struct dome_store *st)
{
	sqlite3_file *wal = NULL;
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
	    wal && wal->pMethods)
		wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
}

void dome_store_rollback(struct dome_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int dome_store_exec_stmt(struct dome_store *st, sqlite3_stmt *stmt, const char *what,
			 struct dome_error *err)
{
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dome_store_fail(st, err, what);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

void dome_bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void dome_bind_int64_or_null(sqlite3_stmt *s, int i, bool present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}
