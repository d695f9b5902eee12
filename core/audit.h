/* The one path every mutation takes (CLI and console alike).
 *
 *   dome_mutate(ctx, &change, apply, arg, err)
 *
 * 1. refuses in read-only mode, and when a reason is required but missing,
 *    before touching anything;
 * 2. writes the intent (result 'pending') and commits it, so a crash during
 *    the operation leaves a record that the next start marks 'interrupted';
 * 3. runs `apply`, which does the work and records the state before and after
 *    (JSON) in the change;
 * 4. completes the record (ok / failed with the error), appends it to the hash
 *    chain, and commits.
 *
 * A change marked on_full_disk whose intent cannot be written for want of
 * space skips step 2: it runs, and is recorded whole afterwards when there
 * is room by then, else noted in ctx->unrecorded.
 *
 * Core functions that change anything are written as an `apply` callback and
 * exported only through a wrapper that calls dome_mutate. */
#ifndef DOME_AUDIT_H
#define DOME_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>
#include "dome.h"

struct dome_change {
	const char *action;   /* create, start, stop, set, destroy, ... */
	const char *target;   /* container or image name, or "network" */
	json_t *params;       /* what was asked (owned by the change) */
	json_t *before;       /* set by apply: state before (owned) */
	json_t *after;        /* set by apply: state after (owned) */
	int64_t rollback_of;  /* id of the change this one reverts, or 0 */
	int64_t id;           /* filled in by dome_mutate; 0 when not recorded */
	/* Runs even when the disk is too full to write its intent (stop: the
	 * container filling the disk must be stoppable). It is then recorded
	 * after the work if it can be, and ctx->unrecorded says if not. */
	bool on_full_disk;
};

/* The params of a KEY=VALUE change, {"KEY": "VALUE", ...}; a malformed item
 * (no '=', an empty or over-long key) is bad input and gives NULL. */
json_t *dome_kv_params(char *const *kv, size_t n, struct dome_error *err);

typedef int (*dome_apply_fn)(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			     struct dome_error *err);

/* Refuse a change up front: read-only, or a required reason missing. */
int dome_check_writable(const struct dome_ctx *ctx, struct dome_error *err);

int dome_mutate(struct dome_ctx *ctx, struct dome_change *ch, dome_apply_fn apply, void *arg,
		struct dome_error *err);

/* Bulk path for benchmarks and imports: record one finished change (result
 * "ok" or "failed") inside the caller's write transaction
 * (dome_store_begin ... dome_store_commit), inserted and chained exactly as
 * dome_mutate does. Not for operations: nothing is committed before the
 * work, so a crash would leave no trace. Releases the change's JSON. */
int dome_audit_record_in_tx(struct dome_ctx *ctx, struct dome_change *ch, const char *result,
			    const char *error, struct dome_error *err);

/* Internal to core (audit and events): SHA-256, in hex, of ncols columns
 * of the current row of s from first_col, encoded as dome-history(7) says.
 * -1 when out of memory. */
int dome_hash_row(sqlite3_stmt *s, int first_col, int ncols, char out[65]);

/* Internal to core: a hash chain (the changes, the events). Its SQL are
 * static strings (statements are cached by address):
 *   sql_tail  "seq, hash" of the newest chained entry
 *   sql_row   the ncols hashed columns of the entry with id ?1
 *   sql_seal  sets hash = ?2 of the entry with id ?1
 *   sql_at    "id, hash" of the entry at position ?1
 * Its head is also kept in <root>/head_file ("SEQ HASH"), written after
 * each commit (best effort) and checked by verify: a head ahead of the chain
 * means entries were removed from its end, another hash at its position
 * that the chain was rewritten. */
struct dome_chain {
	const char *sql_tail, *sql_row, *sql_seal, *sql_at;
	int ncols;
	const char *noun;       /* "record", "event" */
	const char *head_file;  /* "history.head" */
};

/* The position the next entry takes and the hash it links to ("" first). */
int dome_chain_next(struct dome_store *st, const struct dome_chain *c, int64_t *seq,
		    char prev[65], struct dome_error *err);
/* Hash entry ID's chained columns (read back as stored) and store it. */
int dome_chain_seal(struct dome_store *st, const struct dome_chain *c, int64_t id,
		    char hash[65], struct dome_error *err);
/* Move a chain's head file to (seq, hash), after syncing the store, and any
 * head noted before it with it. */
void dome_chain_write_head(struct dome_ctx *ctx, const struct dome_chain *c, int64_t seq,
			   const char *hash);
/* Note a head to write at the next sync: the change record that follows
 * (its dome_chain_write_head), dome_chain_flush_heads, or dome_close. One
 * sync then covers both chains: a change that records an event costs one. */
void dome_chain_note_head(struct dome_ctx *ctx, const struct dome_chain *c, int64_t seq,
			  const char *hash);
void dome_chain_flush_heads(struct dome_ctx *ctx);
/* After the chain itself held up to position `tail`. *bad_id: -1 when
 * entries are missing from its end, the id of the entry that differs. */
int dome_chain_check_head(struct dome_ctx *ctx, const struct dome_chain *c, int64_t tail,
			  int64_t *bad_id, char *why, size_t whylen, struct dome_error *err);

/* Complete, as 'interrupted', every pending record whose process is gone. */
int dome_audit_close_interrupted(struct dome_ctx *ctx, struct dome_error *err);

/* Walk the hash chain, then check that it reaches the head recorded in
 * <root>/history.head at every change (so removing the newest records is
 * seen too). Returns 0 and *bad_id = 0 when it holds; 0 and the id of the
 * first record that does not match otherwise, or -1 when records are
 * missing from the end (with why in `why`). */
int dome_audit_verify(struct dome_ctx *ctx, int64_t *checked, int64_t *bad_id, char *why,
		      size_t whylen, struct dome_error *err);

/* The chain's newest record: its position and hash (0 and "" when empty).
 * Kept off the host, the hash later proves with dome_audit_find_hash that
 * nothing up to it was changed, even by someone who rewrote the head file. */
int dome_audit_head(struct dome_ctx *ctx, int64_t *seq, char hash[65], struct dome_error *err);

/* The position of the chained record with HASH, 0 when there is none. */
int dome_audit_find_hash(struct dome_ctx *ctx, const char *hash, int64_t *seq,
			 struct dome_error *err);

struct dome_history_filter {
	const char *target;
	const char *actor;    /* user or sudo user */
	const char *action;
	int64_t since_ms, until_ms; /* 0 = open */
	bool failed_only;
	int64_t before_id;    /* page: rows with id < before_id; 0 = newest */
	int limit;
};

/* History rows newest first as a JSON array of records, each an object with
 * the `changes` columns: id, started_at, ended_at, uid, user, sudo_user,
 * login_uid, ssh_client, tty, host, action, target, params, before, after,
 * result, error, reason, rollback_of, hash (params/before/after as JSON). */
int dome_audit_history(struct dome_ctx *ctx, const struct dome_history_filter *f, json_t **out,
		       struct dome_error *err);

/* Column i of a row as JSON: null, integer or string; `embedded` columns
 * hold JSON text and are parsed (kept as a string if they do not parse). */
json_t *dome_column_json(sqlite3_stmt *s, int i, bool embedded);

#endif
