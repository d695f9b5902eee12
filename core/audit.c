#include "audit.h"
#include "cleanup.h"
#include "fsutil.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sha256.h>

int dome_check_writable(const struct dome_ctx *ctx, struct dome_error *err)
{
	if (ctx->readonly || dome_store_readonly(ctx->store))
		return dome_fail(err, EROFS, "dome is read-only in this session (%s)",
				 geteuid() != 0 ? "only root may change containers"
						: "started with --readonly");
	return 0;
}

json_t *dome_kv_params(char *const *kv, size_t n, struct dome_error *err)
{
	if (n == 0) {
		dome_invalid(err, "nothing to change; give KEY=VALUE");
		return NULL;
	}
	json_t *params = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[32];
		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof key) {
			json_decref(params);
			dome_invalid(err, "'%.60s' is not KEY=VALUE", kv[i]);
			return NULL;
		}
		snprintf(key, sizeof key, "%.*s", (int)(eq - kv[i]), kv[i]);
		json_object_set_new(params, key, json_string(eq + 1));
	}
	return params;
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

/* The chained content of a record: every column but hash, in a fixed order,
 * each as "<type><length>:<bytes>" so no two rows can encode alike. */
#define HASHED_COLUMNS                                                                       \
	"id, seq, started_at, ended_at, uid, user, sudo_user, login_uid, ssh_client, tty, host, " \
	"actor_pid, actor_start, action, target, params, before, after, result, error, reason, "  \
	"rollback_of, prev_hash"
#define NHASHED 23

/* Decimal digits of v at p (no terminator); returns the length. Hand-rolled:
 * verify encodes every record, and snprintf dominated its time. */
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

/* A growable byte buffer. */
struct bytes {
	uint8_t *data;
	size_t len, cap;
};

static int bytes_reserve(struct bytes *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append a row's chained content (ncols columns from first_col) to b: the
 * exact bytes its SHA-256 is taken over. -1 when out of memory. */
static int encode_row(sqlite3_stmt *s, int first_col, int ncols, struct bytes *b)
{
	for (int i = first_col; i < first_col + ncols; i++) {
		int type = sqlite3_column_type(s, i);
		const unsigned char *t = NULL;
		size_t len = 0;
		if (type != SQLITE_NULL && type != SQLITE_INTEGER) {
			t = sqlite3_column_text(s, i);
			len = (size_t)sqlite3_column_bytes(s, i);
		}
		if (bytes_reserve(b, 32 + len) < 0)
			return -1;
		char *p = (char *)b->data + b->len;
		size_t n = 0;
		if (type == SQLITE_NULL) {
			p[n++] = 'n';
			p[n++] = ';';
		} else if (type == SQLITE_INTEGER) {
			p[n++] = 'i';
			n += put_decimal(p + n, (int64_t)sqlite3_column_int64(s, i));
			p[n++] = ';';
		} else {
			p[n++] = 't';
			n += put_decimal(p + n, (int64_t)len);
			p[n++] = ':';
			if (len)
				memcpy(p + n, t, len);
			n += len;
		}
		b->len += n;
	}
	return 0;
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	SHA256_CTX h;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	SHA256Init(&h);
	SHA256Update(&h, data, len);
	SHA256Final(digest, &h);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

int dome_hash_row(sqlite3_stmt *s, int first_col, int ncols, char out[65])
{
	struct bytes b = { 0 };
	if (encode_row(s, first_col, ncols, &b) < 0) {
		free(b.data);
		return -1;
	}
	sha256_hex(b.data, b.len, out);
	free(b.data);
	return 0;
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

/* A record's place in the chain: its position and its hash. */
struct chain_pos {
	int64_t seq;
	char hash[65];
};

static const char SQL_HASH_AT[] = "SELECT id, hash FROM changes WHERE seq = ?1";
static const struct dome_chain changes_chain = {
	.sql_tail = SQL_TAIL, .sql_row = SQL_ROW_FOR_HASH, .sql_seal = SQL_SET_HASH,
	.sql_at = SQL_HASH_AT, .ncols = NHASHED, .noun = "record", .head_file = "history.head",
};

/* A pending record carries a hash of its own: that of its content as written
 * (the chained columns, seq and the completion still NULL), so a record
 * inserted or edited by hand while pending is told from dome's and is never
 * completed into the chain (dome-history(7)). The seal replaces it when the
 * record is chained. */
static int write_intent(struct dome_ctx *ctx, struct dome_change *ch, struct dome_error *err)
{
	char hash[65];
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (insert_intent(ctx, ch, err) < 0 ||
	    dome_chain_seal(ctx->store, &changes_chain, ch->id, hash, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	return dome_store_commit(ctx->store, err);
}

static const char SQL_PENDING_ROW[] =
	"SELECT hash, " HASHED_COLUMNS " FROM changes WHERE id = ?1 AND seq IS NULL AND "
	"result = 'pending'";

enum pending { PENDING_GONE, PENDING_FORGED, PENDING_HOLDS };

/* Whether record ID is pending as dome wrote it (its stored hash is its
 * content's), pending but not dome's, or no longer pending (another dome
 * completed it meanwhile). -1 when it could not be read. */
static int pending_state(struct dome_store *st, int64_t id, enum pending *state,
			 struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_PENDING_ROW, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	*state = PENDING_GONE;
	if (rc == SQLITE_ROW) {
		const char *stored = (const char *)sqlite3_column_text(s, 0);
		char h[65];
		if (dome_hash_row(s, 1, NHASHED, h) < 0) {
			sqlite3_reset(s);
			return dome_fail(err, ENOMEM, "checking change record %" PRId64, id);
		}
		*state = stored && strcmp(stored, h) == 0 ? PENDING_HOLDS : PENDING_FORGED;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(st, err, "reading a pending change record");
	return 0;
}

int dome_chain_next(struct dome_store *st, const struct dome_chain *c, int64_t *seq,
		    char prev[65], struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, c->sql_tail, err);
	if (!s)
		return -1;
	*seq = 1;
	prev[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0) + 1;
		const unsigned char *h = sqlite3_column_text(s, 1);
		snprintf(prev, 65, "%s", h ? (const char *)h : "");
	}
	sqlite3_reset(s);
	return 0;
}

int dome_chain_seal(struct dome_store *st, const struct dome_chain *c, int64_t id,
		    char hash[65], struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, c->sql_row, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return dome_store_fail(st, err, "reading the entry back to seal it");
	}
	int rc = dome_hash_row(s, 0, c->ncols, hash);
	sqlite3_reset(s);
	if (rc < 0)
		return dome_fail(err, ENOMEM, "sealing the %s", c->noun);
	if (!(s = dome_store_stmt(st, c->sql_seal, err)))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	return dome_store_exec_stmt(st, s, "sealing the entry", err);
}

/* The head is written after the commit, so it may lag the chain by the
 * entry of a crashed process (verify accepts a head behind the chain, never
 * ahead), and best effort: a failed write loses nothing the chain does not
 * have. The commit is synced first: after a power cut the head must not
 * name an entry the disk never got. Written in place under an exclusive flock (readers take a shared
 * one, so none sees half a line): a write-to-temp-and-rename cost ~0.2 ms
 * per change on ext4, whose rename over an existing file starts writeback
 * of the new one. The line only grows (positions only grow), so a shorter
 * file is cut only after an edit by hand. */
static void put_head(const struct dome_ctx *ctx, const struct dome_chain *c, int64_t seq,
		     const char *hash)
{
	char path[PATH_MAX], line[96];
	if (dome_path(ctx, path, sizeof path, "%s", c->head_file) < 0)
		return;
	int n = snprintf(line, sizeof line, "%" PRId64 " %s\n", seq, hash);
	__cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	struct stat sb;
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || pwrite(fd, line, (size_t)n, 0) != n ||
	    fstat(fd, &sb) < 0)
		return;
	if (sb.st_size > n && ftruncate(fd, n) < 0)
		return;
}

void dome_chain_write_head(struct dome_ctx *ctx, const struct dome_chain *c, int64_t seq,
			   const char *hash)
{
	dome_store_sync(ctx->store);
	put_head(ctx, c, seq, hash);
	if (ctx->pending_chain && ctx->pending_chain != c)
		put_head(ctx, ctx->pending_chain, ctx->pending_seq, ctx->pending_hash);
	ctx->pending_chain = NULL;
}

void dome_chain_note_head(struct dome_ctx *ctx, const struct dome_chain *c, int64_t seq,
			  const char *hash)
{
	if (ctx->pending_chain && ctx->pending_chain != c)
		dome_chain_flush_heads(ctx); /* one pending head at a time */
	ctx->pending_chain = c;
	ctx->pending_seq = seq;
	strlcpy(ctx->pending_hash, hash, sizeof ctx->pending_hash);
}

void dome_chain_flush_heads(struct dome_ctx *ctx)
{
	if (ctx->pending_chain)
		dome_chain_write_head(ctx, ctx->pending_chain, ctx->pending_seq, ctx->pending_hash);
}

/* The head file's line, read under a shared flock; -1 when there is none. */
static ssize_t read_head(const char *path, char *line, size_t len)
{
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || flock(fd, LOCK_SH) < 0)
		return -1;
	ssize_t n = pread(fd, line, len - 1, 0);
	if (n < 0)
		return -1;
	line[n] = '\0';
	return n;
}

/* Complete a pending record and append it to the chain, inside the caller's
 * write transaction (so the tail read and the append are atomic). */
static int chain_record(struct dome_store *st, int64_t id, const char *result,
			const char *error, const char *before, const char *after,
			struct chain_pos *pos, struct dome_error *err)
{
	int64_t seq;
	char prev[65];
	enum pending state;
	pos->seq = 0;
	if (pending_state(st, id, &state, err) < 0)
		return -1;
	if (state == PENDING_GONE)
		return 0; /* completed by another dome meanwhile */
	if (state == PENDING_FORGED)
		return dome_fail(err, 0, "change record %" PRId64 " was edited, or inserted, while "
				 "pending, by something other than dome (its content does not match "
				 "its hash); it is left pending, out of the chain, for `dome history "
				 "verify` to report", id);
	if (dome_chain_next(st, &changes_chain, &seq, prev, err) < 0)
		return -1;
	sqlite3_stmt *s = dome_store_stmt(st, SQL_COMPLETE, err);
	if (!s)
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

	if (dome_chain_seal(st, &changes_chain, id, pos->hash, err) < 0)
		return -1;
	pos->seq = seq;
	return 0;
}

/* Complete and chain a record in its own write transaction, then move the
 * head file to it. */
static int complete_record(struct dome_ctx *ctx, int64_t id, const char *result,
			   const char *error, const char *before, const char *after,
			   struct dome_error *err)
{
	struct chain_pos pos;
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (chain_record(ctx->store, id, result, error, before, after, &pos, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	if (dome_store_commit(ctx->store, err) < 0)
		return -1;
	if (pos.seq)
		dome_chain_write_head(ctx, &changes_chain, pos.seq, pos.hash);
	return 0;
}

/* The whole record of a change whose intent could not be written before it
 * ran (a full disk, on_full_disk): intent, completion and seal in one
 * write transaction, after the work. Its started_at is then. */
static int record_afterwards(struct dome_ctx *ctx, struct dome_change *ch, const char *result,
			     const char *error, const char *before, const char *after,
			     struct dome_error *err)
{
	struct chain_pos pos;
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (insert_intent(ctx, ch, err) < 0 ||
	    dome_chain_seal(ctx->store, &changes_chain, ch->id, pos.hash, err) < 0 ||
	    chain_record(ctx->store, ch->id, result, error, before, after, &pos, err) < 0) {
		dome_store_rollback(ctx->store);
		ch->id = 0;
		return -1;
	}
	if (dome_store_commit(ctx->store, err) < 0) {
		ch->id = 0;
		return -1;
	}
	dome_chain_write_head(ctx, &changes_chain, pos.seq, pos.hash);
	return 0;
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
	bool unrecorded = false;
	if (write_intent(ctx, ch, err) < 0) {
		if (!ch->on_full_disk || err->errnum != ENOSPC)
			goto out;
		/* The room kept for this, then without a record if even that
		 * is gone (taken by what fills the disk). */
		if (!dome_release_reserve(ctx) || write_intent(ctx, ch, err) < 0) {
			unrecorded = true;
			ch->id = 0;
		}
	}

	struct dome_error op_err;
	dome_error_clear(&op_err);
	rc = apply(ctx, ch, arg, &op_err);

	before = dump_or_null(ch->before);
	after = dump_or_null(ch->after);
	struct dome_error rec_err;
	if (unrecorded) {
		if (record_afterwards(ctx, ch, rc == 0 ? "ok" : "failed",
				      rc == 0 ? NULL : op_err.msg, before, after, &rec_err) < 0)
			dome_note_unrecorded(ctx, "%s %s (%s) has no audit record: %s", ch->action,
					     ch->target, rc == 0 ? "done" : "failed", rec_err.msg);
	} else if (complete_record(ctx, ch->id, rc == 0 ? "ok" : "failed",
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
	struct chain_pos pos;
	if (insert_intent(ctx, ch, err) < 0 ||
	    dome_chain_seal(ctx->store, &changes_chain, ch->id, pos.hash, err) < 0)
		goto out; /* the head file catches up at the next change */
	/* the head file catches up at the next change */
	rc = chain_record(ctx->store, ch->id, result, error, before, after, &pos, err);
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
		int64_t id = sqlite3_column_int64(s, 0);
		enum pending state;
		if (dome_proc_alive(pid, start))
			continue;
		/* One not written by dome stays as it is, for verify to report:
		 * chained, it would pass for dome's, and refusing here would stop
		 * every dome. */
		if (pending_state(ctx->store, id, &state, err) < 0) {
			sqlite3_reset(s);
			return -1;
		}
		if (state == PENDING_HOLDS)
			dead[ndead++] = id;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < ndead; i++) {
		if (complete_record(ctx, dead[i], "interrupted",
				    "the process making this change ended before it finished", NULL,
				    NULL, err) < 0)
			return -1;
	}
	return 0;
}

static const char SQL_CHAIN[] =
	"SELECT hash, " HASHED_COLUMNS " FROM changes WHERE seq IS NOT NULL ORDER BY seq";

/* Verifying a long chain is mostly SHA-256 (libmd, ~3 us a record), so it
 * is spread over threads: the calling thread reads the records in chain
 * order, checks the linkage (seq contiguous, prev_hash equal to the previous
 * record's stored hash) as it goes, and hands batches of encoded records to
 * workers that hash them and compare with the stored hashes. Each failure is
 * kept by its position in the chain and the lowest one is reported, so the
 * answer is the same as walking the chain one record at a time: linkage
 * only needs stored hashes, and a record whose stored hash is not its
 * content's fails on its own position, before any record after it. */
#define VERIFY_BATCH 1024
#define VERIFY_MAX_WORKERS 8

struct verify_rec {
	int64_t id;
	size_t off, len;     /* its encoded content in the batch's bytes */
	char stored[65];     /* "" when the stored hash is missing or malformed */
};

struct verify_batch {
	int64_t first_pos;   /* chain position (0-based) of recs[0] */
	size_t n;
	struct verify_rec recs[VERIFY_BATCH];
	struct bytes content;
	struct verify_batch *next;
};

struct verify_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;   /* a batch was queued, or the reader is done */
	pthread_cond_t space;  /* a batch was returned to the free list */
	struct verify_batch *queue, *queue_tail, *free;
	bool done;
	int64_t bad_pos;       /* lowest position whose content does not match; INT64_MAX */
	int64_t bad_id;
};

/* Position (in the chain) of the first record in b whose hash does not
 * match, or INT64_MAX. */
static int64_t hash_batch(const struct verify_batch *b, int64_t *bad_id)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct verify_rec *r = &b->recs[i];
		char h[65];
		sha256_hex(b->content.data + r->off, r->len, h);
		if (strcmp(r->stored, h) != 0) {
			*bad_id = r->id;
			return b->first_pos + (int64_t)i;
		}
	}
	return INT64_MAX;
}

/* Record a hashed batch's outcome and put it back on the free list. */
static void batch_done(struct verify_pool *p, struct verify_batch *b, int64_t pos, int64_t id)
{
	pthread_mutex_lock(&p->lock);
	if (pos < p->bad_pos) {
		p->bad_pos = pos;
		p->bad_id = id;
	}
	b->next = p->free;
	p->free = b;
	pthread_cond_signal(&p->space);
	pthread_mutex_unlock(&p->lock);
}

static void *verify_worker(void *arg)
{
	struct verify_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->queue && !p->done)
			pthread_cond_wait(&p->work, &p->lock);
		struct verify_batch *b = p->queue;
		if (!b) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		p->queue = b->next;
		/* A batch wholly after a known failure cannot change the answer. */
		bool needed = b->first_pos < p->bad_pos;
		pthread_mutex_unlock(&p->lock);
		int64_t id = 0;
		int64_t pos = needed ? hash_batch(b, &id) : INT64_MAX;
		batch_done(p, b, pos, id);
	}
}

/* A batch to fill, waiting for one to come back when all are in flight;
 * NULL once a failure is known (nothing read after it matters). */
static struct verify_batch *take_batch(struct verify_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (!p->free && p->bad_pos == INT64_MAX)
		pthread_cond_wait(&p->space, &p->lock);
	struct verify_batch *b = p->bad_pos == INT64_MAX ? p->free : NULL;
	if (b)
		p->free = b->next;
	pthread_mutex_unlock(&p->lock);
	if (b) {
		b->n = 0;
		b->content.len = 0;
		b->next = NULL;
	}
	return b;
}

/* Hand a filled batch to the workers, or hash it here when there are none. */
static void submit_batch(struct verify_pool *p, struct verify_batch *b, int nworkers)
{
	if (nworkers == 0) {
		int64_t id = 0;
		int64_t pos = hash_batch(b, &id);
		batch_done(p, b, pos, id);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->queue)
		p->queue_tail->next = b;
	else
		p->queue = b;
	p->queue_tail = b;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

struct verify_walk {
	int64_t n;           /* records read */
	int64_t link_pos;    /* position of the first linkage failure, or INT64_MAX */
	int64_t link_id;
	char why[256];
	bool nomem;
};

/* Check one record's place in the chain; false (with why) when it has none. */
static bool links(sqlite3_stmt *s, const char *prev, int64_t pos, struct verify_walk *w)
{
	int64_t id = sqlite3_column_int64(s, 1);
	int64_t seq = sqlite3_column_int64(s, 2);
	const unsigned char *prev_col = sqlite3_column_text(s, NHASHED);
	if (seq != pos + 1)
		snprintf(w->why, sizeof w->why, "record %" PRId64 " has position %" PRId64 " but %"
			 PRId64 " was expected: a record before it was removed", id, seq, pos + 1);
	else if (strcmp(prev_col ? (const char *)prev_col : "", prev) != 0)
		snprintf(w->why, sizeof w->why, "record %" PRId64 " does not link to the record "
			 "before it", id);
	else
		return true;
	w->link_pos = pos;
	w->link_id = id;
	return false;
}

/* Add the current row to the batch; false when out of memory. */
static bool add_record(sqlite3_stmt *s, struct verify_batch *b, char prev[65])
{
	struct verify_rec *r = &b->recs[b->n];
	const unsigned char *stored = sqlite3_column_text(s, 0);
	r->id = sqlite3_column_int64(s, 1);
	r->off = b->content.len;
	if (encode_row(s, 1, NHASHED, &b->content) < 0)
		return false;
	r->len = b->content.len - r->off;
	bool wellformed = stored && strlen((const char *)stored) == 64;
	memcpy(r->stored, wellformed ? (const char *)stored : "", wellformed ? 65 : 1);
	/* The next record links to this one's stored hash; a malformed one
	 * fails on its own position first. */
	memcpy(prev, r->stored, 65);
	b->n++;
	return true;
}

/* Read the chain in order, checking linkage and feeding the workers. */
static int walk_chain(sqlite3_stmt *s, struct verify_pool *p, int nworkers, struct verify_walk *w)
{
	char prev[65] = "";
	struct verify_batch *b = NULL;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!b) {
			if (!(b = take_batch(p)))
				break;
			b->first_pos = w->n;
		}
		if (!links(s, prev, w->n, w)) {
			w->n++;
			break;
		}
		if (!add_record(s, b, prev)) {
			w->nomem = true;
			break;
		}
		w->n++;
		if (b->n == VERIFY_BATCH) {
			submit_batch(p, b, nworkers);
			b = NULL;
		}
	}
	if (b) {
		if (b->n && !w->nomem)
			submit_batch(p, b, nworkers);
		else
			batch_done(p, b, INT64_MAX, 0);
	}
	return rc;
}

static const char SQL_SEQ_OF[] = "SELECT seq FROM changes WHERE hash = ?1 AND seq IS NOT NULL";

int dome_audit_head(struct dome_ctx *ctx, int64_t *seq, char hash[65], struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_TAIL, err);
	if (!s)
		return -1;
	*seq = 0;
	hash[0] = '\0';
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);
		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, 65, "%s", h ? (const char *)h : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the history's head");
	return 0;
}

int dome_audit_find_hash(struct dome_ctx *ctx, const char *hash, int64_t *seq,
			 struct dome_error *err)
{
	if (strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
		return dome_invalid(err, "'%.80s' is not a record hash (64 hex digits, as "
				    "`dome history verify` prints)", hash);
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_SEQ_OF, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "looking for a record's hash");
	return 0;
}

int dome_chain_check_head(struct dome_ctx *ctx, const struct dome_chain *h, int64_t tail,
			  int64_t *bad_id, char *why, size_t whylen, struct dome_error *err)
{
	char path[PATH_MAX], line[128], hash[65];
	int64_t seq;
	if (dome_path(ctx, path, sizeof path, "%s", h->head_file) < 0 ||
	    read_head(path, line, sizeof line) < 0)
		return 0; /* none yet (nothing written since it was introduced) */
	if (sscanf(line, "%" SCNd64 " %64[0-9a-f]", &seq, hash) != 2 || strlen(hash) != 64) {
		*bad_id = -1;
		snprintf(why, whylen, "%s is not \"POSITION HASH\": it was edited", path);
		return 0;
	}
	if (seq > tail) {
		*bad_id = -1;
		snprintf(why, whylen, "the %s chain ends at position %" PRId64 " but %s records "
			 "position %" PRId64 " (hash %.12s...) as written: the newest %" PRId64
			 " %s%s removed", h->noun, tail, path, seq, hash, seq - tail, h->noun,
			 seq - tail == 1 ? " was" : "s were");
		return 0;
	}
	sqlite3_stmt *s = dome_store_stmt(ctx->store, h->sql_at, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *have = (const char *)sqlite3_column_text(s, 1);
		if (!have || strcmp(have, hash) != 0) {
			*bad_id = sqlite3_column_int64(s, 0);
			snprintf(why, whylen, "%s %" PRId64 " at position %" PRId64 " is not the one "
				 "%s saw written there: the chain was rewritten from it on", h->noun,
				 *bad_id, seq, path);
		}
	}
	sqlite3_reset(s);
	return 0;
}

/* Records outside the chain: only pending ones, each with the hash dome
 * gave its intent. Anything else there was put or edited by hand. */
static const char SQL_UNCHAINED[] =
	"SELECT hash, " HASHED_COLUMNS " FROM changes WHERE seq IS NULL ORDER BY id";

static int check_unchained(struct dome_store *st, int64_t *bad_id, char *why, size_t whylen,
			   struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_UNCHAINED, err);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *stored = (const char *)sqlite3_column_text(s, 0);
		const char *result = (const char *)sqlite3_column_text(s, 19);
		int64_t id = sqlite3_column_int64(s, 1);
		char h[65];
		if (dome_hash_row(s, 1, NHASHED, h) < 0) {
			sqlite3_reset(s);
			return dome_fail(err, ENOMEM, "verifying the history");
		}
		if (result && strcmp(result, "pending") == 0 && stored && strcmp(stored, h) == 0)
			continue;
		*bad_id = id;
		snprintf(why, whylen, "record %" PRId64 " (%s, not in the chain) was not written by "
			 "dome: %s", id, result ? result : "no result",
			 result && strcmp(result, "pending") == 0
				 ? "its content does not match its hash (inserted or edited by hand)"
				 : "dome chains every record it completes");
		break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(st, err, "reading the pending records");
	return 0;
}

static int verify_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > VERIFY_MAX_WORKERS ? VERIFY_MAX_WORKERS : (int)n;
}

int dome_audit_verify(struct dome_ctx *ctx, int64_t *checked, int64_t *bad_id, char *why,
		      size_t whylen, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_CHAIN, err);
	if (!s)
		return -1;
	pthread_t threads[VERIFY_MAX_WORKERS];
	struct verify_pool p = { .lock = PTHREAD_MUTEX_INITIALIZER,
				 .work = PTHREAD_COND_INITIALIZER,
				 .space = PTHREAD_COND_INITIALIZER,
				 .bad_pos = INT64_MAX };
	int want = verify_workers(), nworkers = 0;
	/* Enough batches that the reader rarely waits for a worker. */
	size_t nbatches = (size_t)(2 * want + 2);
	__cleanup_free struct verify_batch *batches = calloc(nbatches, sizeof *batches);
	if (!batches)
		return dome_fail(err, ENOMEM, "verifying the history");
	for (size_t i = 0; i < nbatches; i++) {
		batches[i] = (struct verify_batch){ .next = p.free };
		p.free = &batches[i];
	}
	/* Too few threads only makes it slower: hashing falls back to the reader. */
	while (nworkers < want && pthread_create(&threads[nworkers], NULL, verify_worker, &p) == 0)
		nworkers++;

	struct verify_walk w = { .link_pos = INT64_MAX };
	int rc = walk_chain(s, &p, nworkers, &w);
	sqlite3_reset(s);
	pthread_mutex_lock(&p.lock);
	p.done = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.lock);
	for (int i = 0; i < nworkers; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < nbatches; i++)
		free(batches[i].content.data);

	if (w.nomem)
		return dome_fail(err, ENOMEM, "verifying the history");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the history");
	*bad_id = 0;
	*checked = w.n;
	if (p.bad_pos < w.link_pos) {
		*bad_id = p.bad_id;
		*checked = p.bad_pos + 1;
		snprintf(why, whylen, "record %" PRId64 " was changed after it was written "
			 "(its content does not match its hash)", p.bad_id);
	} else if (w.link_pos != INT64_MAX) {
		*bad_id = w.link_id;
		*checked = w.link_pos + 1;
		snprintf(why, whylen, "%s", w.why);
	} else if (dome_chain_check_head(ctx, &changes_chain, w.n, bad_id, why, whylen, err) < 0) {
		return -1;
	} else if (*bad_id == 0) {
		return check_unchained(ctx->store, bad_id, why, whylen, err);
	}
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
