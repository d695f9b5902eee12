#include "audit.h"
#include "cleanup.h"
#include "proc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sha256.h>

int dome_check_writable(const struct dome_ctx *ctx, struct dome_error *err)
{
	if (ctx->readonly || dome_store_readonly(ctx->store))
		return dome_fail(err, EROFS, "dome is read-only in this session (%s)",
				 geteuid() != 0 ? "only root may change containers"
						: "started with --readonly");
	return 0;
}

static const char SQL_INTENT[] =
	"INSERT INTO changes (started_at, uid, user, sudo_user, login_uid, ssh_client, tty, host, "
	"actor_pid, actor_start, action, target, params, reason, rollback_of, result) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'pending')";

/* Insert the intent row inside the caller's write transaction. */
static int insert_intent(struct dome_ctx *ctx, struct dome_change *ch, struct dome_error *err)
{
	const struct dome_actor *a = &ctx->actor;
	__cleanup_free char *params =
		ch->params ? json_dumps(ch->params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_INTENT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, dome_now_ms());
	sqlite3_bind_int64(s, 2, a->uid);
	sqlite3_bind_text(s, 3, a->user, -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 4, a->sudo_user[0] ? a->sudo_user : NULL);
	dome_bind_int64_or_null(s, 5, a->login_uid >= 0, a->login_uid);
	dome_bind_text_or_null(s, 6, a->ssh_client[0] ? a->ssh_client : NULL);
	dome_bind_text_or_null(s, 7, a->tty[0] ? a->tty : NULL);
	sqlite3_bind_text(s, 8, a->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, a->pid);
	sqlite3_bind_int64(s, 10, a->pid_start);
	sqlite3_bind_text(s, 11, ch->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, ch->target, -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 13, params ? params : "{}");
	dome_bind_text_or_null(s, 14, ctx->reason[0] ? ctx->reason : NULL);
	dome_bind_int64_or_null(s, 15, ch->rollback_of != 0, ch->rollback_of);
	if (dome_store_exec_stmt(ctx->store, s, "recording the change", err) < 0)
		return -1;
	ch->id = sqlite3_last_insert_rowid(dome_store_db(ctx->store));
	return 0;
}

static int write_intent(struct dome_ctx *ctx, struct dome_change *ch, struct dome_error *err)
{
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (insert_intent(ctx, ch, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	return dome_store_commit(ctx->store, err);
}

/* The chained content of a record: every column but hash, in a fixed order,
 * each as "<type><length>:<bytes>" so no two rows can encode alike. */
#define HASHED_COLUMNS                                                                       \
	"id, seq, started_at, ended_at, uid, user, sudo_user, login_uid, ssh_client, tty, host, " \
	"actor_pid, actor_start, action, target, params, before, after, result, error, reason, "  \
	"rollback_of, prev_hash"
#define NHASHED 23

/* Decimal digits of v at p (no terminator); returns the length. Hand-rolled:
 * verify hashes every record, and snprintf dominated its time. */
static size_t put_decimal(char *p, int64_t v)
{
	char rev[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		p[len++] = '-';
	while (n)
		p[len++] = rev[--n];
	return len;
}

static void hash_row(sqlite3_stmt *s, int first_col, char out[65])
{
	SHA256_CTX h;
	SHA256Init(&h);
	for (int i = first_col; i < first_col + NHASHED; i++) {
		char head[32];
		size_t n = 0;
		int type = sqlite3_column_type(s, i);
		if (type == SQLITE_NULL) {
			SHA256Update(&h, (const uint8_t *)"n;", 2);
			continue;
		}
		if (type == SQLITE_INTEGER) {
			head[n++] = 'i';
			n += put_decimal(head + n, (int64_t)sqlite3_column_int64(s, i));
			head[n++] = ';';
			SHA256Update(&h, (const uint8_t *)head, n);
			continue;
		}
		const unsigned char *t = sqlite3_column_text(s, i);
		int len = sqlite3_column_bytes(s, i);
		head[n++] = 't';
		n += put_decimal(head + n, len);
		head[n++] = ':';
		SHA256Update(&h, (const uint8_t *)head, n);
		SHA256Update(&h, t, (size_t)len);
	}
	uint8_t digest[SHA256_DIGEST_LENGTH];
	SHA256Final(digest, &h);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

static const char SQL_TAIL[] =
	"SELECT seq, hash FROM changes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";
/* Only a pending record: two dome processes starting at once may both close
 * the same interrupted record; the second must not chain it again (that
 * would move it to a new position and leave a gap in the chain). */
static const char SQL_COMPLETE[] =
	"UPDATE changes SET ended_at = ?2, result = ?3, error = ?4, before = ?5, after = ?6, "
	"seq = ?7, prev_hash = ?8 WHERE id = ?1 AND result = 'pending'";
static const char SQL_ROW_FOR_HASH[] = "SELECT " HASHED_COLUMNS " FROM changes WHERE id = ?1";
static const char SQL_SET_HASH[] = "UPDATE changes SET hash = ?2 WHERE id = ?1";

/* Complete a pending record and append it to the chain, inside the caller's
 * write transaction (so the tail read and the append are atomic). */
static int chain_record(struct dome_store *st, int64_t id, const char *result,
			const char *error, const char *before, const char *after,
			struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_TAIL, err);
	if (!s)
		return -1;
	int64_t seq = 1;
	char prev[65] = "";
	if (sqlite3_step(s) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0) + 1;
		const unsigned char *h = sqlite3_column_text(s, 1);
		snprintf(prev, sizeof prev, "%s", h ? (const char *)h : "");
	}
	sqlite3_reset(s);

	if (!(s = dome_store_stmt(st, SQL_COMPLETE, err)))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, dome_now_ms());
	sqlite3_bind_text(s, 3, result, -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 4, error);
	dome_bind_text_or_null(s, 5, before);
	dome_bind_text_or_null(s, 6, after);
	sqlite3_bind_int64(s, 7, seq);
	dome_bind_text_or_null(s, 8, prev[0] ? prev : NULL);
	if (dome_store_exec_stmt(st, s, "completing the change record", err) < 0)
		return -1;

	if (!(s = dome_store_stmt(st, SQL_ROW_FOR_HASH, err)))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	char hash[65];
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		dome_store_fail(st, err, "reading the change record back");
		return -1;
	}
	hash_row(s, 0, hash);
	sqlite3_reset(s);

	if (!(s = dome_store_stmt(st, SQL_SET_HASH, err)))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	return dome_store_exec_stmt(st, s, "sealing the change record", err);
}

/* Complete and chain a record in its own write transaction. */
static int complete_record(struct dome_store *st, int64_t id, const char *result,
			   const char *error, const char *before, const char *after,
			   struct dome_error *err)
{
	if (dome_store_begin(st, err) < 0)
		return -1;
	if (chain_record(st, id, result, error, before, after, err) < 0) {
		dome_store_rollback(st);
		return -1;
	}
	return dome_store_commit(st, err);
}

static char *dump_or_null(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

static void change_release(struct dome_change *ch)
{
	json_decref(ch->params);
	json_decref(ch->before);
	json_decref(ch->after);
	ch->params = ch->before = ch->after = NULL;
}

int dome_mutate(struct dome_ctx *ctx, struct dome_change *ch, dome_apply_fn apply, void *arg,
		struct dome_error *err)
{
	int rc = -1;
	__cleanup_free char *before = NULL;
	__cleanup_free char *after = NULL;
	if (dome_check_writable(ctx, err) < 0)
		goto out;
	if (ctx->cfg.require_reason && ctx->reason[0] == '\0') {
		dome_invalid(err, "a reason is required for every change on this host "
				  "(require_reason = yes); give one with --reason TEXT");
		goto out;
	}
	if (write_intent(ctx, ch, err) < 0)
		goto out;

	struct dome_error op_err;
	dome_error_clear(&op_err);
	rc = apply(ctx, ch, arg, &op_err);

	before = dump_or_null(ch->before);
	after = dump_or_null(ch->after);
	struct dome_error rec_err;
	if (complete_record(ctx->store, ch->id, rc == 0 ? "ok" : "failed",
			    rc == 0 ? NULL : op_err.msg, before, after, &rec_err) < 0) {
		/* The operation happened (or failed) but its record could not be
		 * completed: say both, and the next start marks it interrupted. */
		if (rc == 0) {
			*err = rec_err;
			dome_error_prefix(err, "%s %s was done, but its audit record %" PRId64
					  " could not be completed", ch->action, ch->target, ch->id);
			rc = -1;
			goto out;
		}
	}
	if (rc < 0)
		*err = op_err;
out:
	change_release(ch);
	return rc;
}

int dome_audit_record_in_tx(struct dome_ctx *ctx, struct dome_change *ch, const char *result,
			    const char *error, struct dome_error *err)
{
	int rc = -1;
	__cleanup_free char *before = NULL;
	__cleanup_free char *after = NULL;
	if (dome_check_writable(ctx, err) < 0)
		goto out;
	if (sqlite3_get_autocommit(dome_store_db(ctx->store))) {
		dome_fail(err, 0, "internal: dome_audit_record_in_tx needs an open write transaction");
		goto out;
	}
	if (strcmp(result, "ok") != 0 && strcmp(result, "failed") != 0) {
		dome_invalid(err, "a recorded change is 'ok' or 'failed', not '%s'", result);
		goto out;
	}
	before = dump_or_null(ch->before);
	after = dump_or_null(ch->after);
	if (insert_intent(ctx, ch, err) < 0)
		goto out;
	rc = chain_record(ctx->store, ch->id, result, error, before, after, err);
out:
	change_release(ch);
	return rc;
}

static const char SQL_PENDING[] =
	"SELECT id, actor_pid, actor_start FROM changes WHERE result = 'pending'";

int dome_audit_close_interrupted(struct dome_ctx *ctx, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_PENDING, err);
	if (!s)
		return -1;
	int64_t dead[64];
	size_t ndead = 0;
	while (sqlite3_step(s) == SQLITE_ROW && ndead < DOME_ARRAY_SIZE(dead)) {
		pid_t pid = (pid_t)sqlite3_column_int64(s, 1);
		int64_t start = sqlite3_column_int64(s, 2);
		if (!dome_proc_alive(pid, start))
			dead[ndead++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < ndead; i++) {
		if (complete_record(ctx->store, dead[i], "interrupted",
				    "the process making this change ended before it finished", NULL,
				    NULL, err) < 0)
			return -1;
	}
	return 0;
}

static const char SQL_CHAIN[] =
	"SELECT hash, " HASHED_COLUMNS " FROM changes WHERE seq IS NOT NULL ORDER BY seq";

int dome_audit_verify(struct dome_ctx *ctx, int64_t *checked, int64_t *bad_id, char *why,
		      size_t whylen, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_CHAIN, err);
	if (!s)
		return -1;
	char prev[65] = "";
	int64_t n = 0, expect_seq = 1;
	*bad_id = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 1);
		int64_t seq = sqlite3_column_int64(s, 2);
		const unsigned char *stored = sqlite3_column_text(s, 0);
		const unsigned char *prev_col = sqlite3_column_text(s, NHASHED);
		char h[65];
		n++;
		if (seq != expect_seq) {
			snprintf(why, whylen, "record %" PRId64 " has position %" PRId64 " but %" PRId64
				 " was expected: a record before it was removed", id, seq, expect_seq);
			*bad_id = id;
			break;
		}
		if (strcmp(prev_col ? (const char *)prev_col : "", prev) != 0) {
			snprintf(why, whylen, "record %" PRId64 " does not link to the record before it",
				 id);
			*bad_id = id;
			break;
		}
		hash_row(s, 1, h);
		if (!stored || strcmp((const char *)stored, h) != 0) {
			snprintf(why, whylen, "record %" PRId64 " was changed after it was written "
				 "(its content does not match its hash)", id);
			*bad_id = id;
			break;
		}
		memcpy(prev, h, sizeof prev);
		expect_seq++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return dome_store_fail(ctx->store, err, "reading the history");
	}
	sqlite3_reset(s);
	*checked = n;
	return 0;
}

/* Every history page reads these columns, newest first. The walk follows one
 * index in id order and stops after a page, so a page costs about the same on
 * a million records as on ten; which index drives it is chosen from the
 * filters (history_sql). The other filters are checked on each row walked:
 * each is a bound parameter that is NULL (or 0) when unused. The indexes are
 * named (INDEXED BY) so the plan does not depend on statistics. */
#define HISTORY_SELECT                                                                        \
	"SELECT id, started_at, ended_at, uid, user, sudo_user, login_uid, ssh_client, tty, "  \
	"host, action, target, params, before, after, result, error, reason, rollback_of, hash " \
	"FROM changes "
#define HISTORY_FILTERS                                                                    \
	" (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR user = ?2 OR sudo_user = ?2) "     \
	"AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR started_at >= ?4) "            \
	"AND (?5 IS NULL OR started_at < ?5) "                                              \
	"AND (?6 = 0 OR result IN ('failed','interrupted')) AND (?7 IS NULL OR id < ?7) "
#define HISTORY_PAGE "ORDER BY id DESC LIMIT ?8"

static const char SQL_HISTORY_BY_ID[] =
	HISTORY_SELECT "NOT INDEXED WHERE" HISTORY_FILTERS HISTORY_PAGE;
static const char SQL_HISTORY_BY_TARGET[] =
	HISTORY_SELECT "INDEXED BY changes_target WHERE target = ?1 AND" HISTORY_FILTERS
	HISTORY_PAGE;
static const char SQL_HISTORY_BY_ACTION[] =
	HISTORY_SELECT "INDEXED BY changes_action WHERE action = ?3 AND" HISTORY_FILTERS
	HISTORY_PAGE;
/* The user or the user behind sudo: two index walks merged in id order. */
static const char SQL_HISTORY_BY_ACTOR[] =
	HISTORY_SELECT "INDEXED BY changes_user WHERE user = ?2 AND" HISTORY_FILTERS
	"UNION ALL " HISTORY_SELECT "INDEXED BY changes_sudo_user WHERE sudo_user = ?2 AND "
	"user <> ?2 AND" HISTORY_FILTERS HISTORY_PAGE;
static const char SQL_HISTORY_BY_FAILED[] =
	HISTORY_SELECT "INDEXED BY changes_failed WHERE result IN ('failed','interrupted') AND"
	HISTORY_FILTERS HISTORY_PAGE;
static const char SQL_HISTORY_BY_SINCE[] =
	HISTORY_SELECT "INDEXED BY changes_started WHERE started_at >= ?4 AND" HISTORY_FILTERS
	HISTORY_PAGE;

static const char SQL_FIRST_SINCE[] =
	"SELECT id FROM changes INDEXED BY changes_started WHERE started_at >= ?1 "
	"ORDER BY started_at LIMIT 1";
static const char SQL_LAST_ID[] = "SELECT max(id) FROM changes";

/* How many records a recent --since window may hold and still be read
 * through the time index (then sorted) rather than by walking ids. */
#define HISTORY_NARROW_WINDOW 5000

static int64_t query_int(struct dome_store *st, const char *sql, bool bind, int64_t arg,
			 struct dome_error *err, int64_t missing)
{
	sqlite3_stmt *s = dome_store_stmt(st, sql, err);
	if (!s)
		return -1;
	if (bind)
		sqlite3_bind_int64(s, 1, arg);
	int64_t v = missing;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(st, err, "reading the history");
	return v;
}

/* A --since window is "narrow" when the records from its first one to the
 * newest are few: ids grow with time, so that is (almost exactly) how many
 * it holds. Either plan returns the same rows; this only picks the faster. */
static int since_is_narrow(struct dome_store *st, int64_t since, bool *narrow,
			   struct dome_error *err)
{
	int64_t first = query_int(st, SQL_FIRST_SINCE, true, since, err, INT64_MAX);
	if (first < 0)
		return -1;
	int64_t last = query_int(st, SQL_LAST_ID, false, 0, err, 0);
	if (last < 0)
		return -1;
	*narrow = first == INT64_MAX || last - first < HISTORY_NARROW_WINDOW;
	return 0;
}

static const char *history_sql(struct dome_store *st, const struct dome_history_filter *f,
			       struct dome_error *err)
{
	if (f->target)
		return SQL_HISTORY_BY_TARGET;
	if (f->action)
		return SQL_HISTORY_BY_ACTION;
	if (f->actor)
		return SQL_HISTORY_BY_ACTOR;
	if (f->failed_only)
		return SQL_HISTORY_BY_FAILED;
	if (f->since_ms != 0) {
		bool narrow;
		if (since_is_narrow(st, f->since_ms, &narrow, err) < 0)
			return NULL;
		if (narrow)
			return SQL_HISTORY_BY_SINCE;
	}
	return SQL_HISTORY_BY_ID;
}

json_t *dome_column_json(sqlite3_stmt *s, int i, bool embedded)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	default:
		break;
	}
	const char *text = (const char *)sqlite3_column_text(s, i);
	if (embedded) {
		/* Stored by dome as JSON; shown as text if it no longer parses. */
		json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
		if (j)
			return j;
	}
	return json_string(text);
}

int dome_audit_history(struct dome_ctx *ctx, const struct dome_history_filter *f, json_t **out,
		       struct dome_error *err)
{
	const char *sql = history_sql(ctx->store, f, err);
	if (!sql)
		return -1;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, sql, err);
	if (!s)
		return -1;
	dome_bind_text_or_null(s, 1, f->target);
	dome_bind_text_or_null(s, 2, f->actor);
	dome_bind_text_or_null(s, 3, f->action);
	dome_bind_int64_or_null(s, 4, f->since_ms != 0, f->since_ms);
	dome_bind_int64_or_null(s, 5, f->until_ms != 0, f->until_ms);
	sqlite3_bind_int(s, 6, f->failed_only);
	dome_bind_int64_or_null(s, 7, f->before_id != 0, f->before_id);
	sqlite3_bind_int(s, 8, f->limit > 0 ? f->limit : 50);
	static const char *const names[] = {
		"id", "started_at", "ended_at", "uid", "user", "sudo_user", "login_uid", "ssh_client",
		"tty", "host", "action", "target", "params", "before", "after", "result", "error",
		"reason", "rollback_of", "hash",
	};
	json_t *rows = json_array();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (int i = 0; i < (int)DOME_ARRAY_SIZE(names); i++)
			json_object_set_new(row, names[i], dome_column_json(s, i, i >= 12 && i <= 14));
		json_array_append_new(rows, row);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		return dome_store_fail(ctx->store, err, "reading the history");
	}
	*out = rows;
	return 0;
}
