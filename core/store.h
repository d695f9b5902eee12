/* The inventory store: one SQLite database at <root>/dome.db in WAL mode with
 * a busy timeout and foreign keys on. The schema is versioned with
 * PRAGMA user_version; forward migrations are the SQL files in data/schema,
 * compiled in. Statements are prepared once per store and always bound. */
#ifndef DOME_STORE_H
#define DOME_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "error.h"

struct dome_migration {
	int version;
	const char *file;
	const char *sql;
};
extern const struct dome_migration dome_migrations[];
extern const int dome_migration_count;

struct dome_store;

/* How long a writer waits for another writer before giving up. */
#define DOME_BUSY_TIMEOUT_MS 5000

/* Open (and when writable, create and migrate) the database. Read-only opens
 * with SQLITE_OPEN_READONLY: the store itself then cannot write. A file that
 * is not a dome database is an error naming it; it is never re-created. A
 * file with no schema at all (zero bytes, or no tables) is given one unless
 * no_init says why not: then it is an error, "is empty", with that reason. */
struct dome_store *dome_store_open(const char *path, bool readonly, const char *no_init,
				   struct dome_error *err);
void dome_store_close(struct dome_store *st);
static inline void dome_store_closep(struct dome_store **st)
{
	if (*st)
		dome_store_close(*st);
}
#define __cleanup_store __attribute__((cleanup(dome_store_closep)))

bool dome_store_readonly(const struct dome_store *st);
const char *dome_store_path(const struct dome_store *st);

/* SQLite's own check of the file (every page, every b-tree): 0 with why ""
 * when it holds, 0 with what is damaged in why when not, -1 when it could
 * not be run. Verifying the history's hashes means nothing on a file that
 * fails it. */
int dome_store_check(struct dome_store *st, char *why, size_t whylen, struct dome_error *err);
sqlite3 *dome_store_db(struct dome_store *st);
int dome_store_schema_version(struct dome_store *st);

/* The cached prepared statement for `sql` (a string with static storage:
 * its address is the cache key), reset and with bindings cleared. */
sqlite3_stmt *dome_store_stmt(struct dome_store *st, const char *sql, struct dome_error *err);

/* Write transactions take the write lock at once (BEGIN IMMEDIATE), so a
 * busy database fails here, before anything was changed. */
int dome_store_begin(struct dome_store *st, struct dome_error *err);
int dome_store_commit(struct dome_store *st, struct dome_error *err);
void dome_store_rollback(struct dome_store *st);
/* Put every committed change on disk now (the WAL synced): commits are not
 * synced one by one. Best effort. */
void dome_store_sync(struct dome_store *st);

/* Fill `err` from the database's last error, with context. */
int dome_store_fail(struct dome_store *st, struct dome_error *err, const char *what);

/* Run a statement to completion (for INSERT/UPDATE/DELETE). */
int dome_store_exec_stmt(struct dome_store *st, sqlite3_stmt *stmt, const char *what,
			 struct dome_error *err);

/* Binding helpers: NULL when the value is "absent". */
void dome_bind_text_or_null(sqlite3_stmt *s, int i, const char *v);
void dome_bind_int64_or_null(sqlite3_stmt *s, int i, bool present, int64_t v);

int64_t dome_now_ms(void);

#endif
