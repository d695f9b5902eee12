#include "testutil.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#include "audit.h"
#include "inventory.h"

static struct dome_ctx *open_root(const char *root, bool ro)
{
	struct dome_open_opts o = { .root = root, .readonly = ro, .config_path = "/dev/null" };
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		fail_msg("dome_open: %s", err.msg);
	return ctx;
}

struct op {
	bool fail;
	int calls;
};

static int apply_op(struct dome_ctx *ctx, struct dome_change *ch, void *arg, struct dome_error *err)
{
	(void)ctx;
	struct op *op = arg;
	op->calls++;
	ch->before = json_pack("{s:s}", "memory", "256M");
	if (op->fail)
		return dome_fail(err, EINVAL, "writing memory.max");
	ch->after = json_pack("{s:s}", "memory", "512M");
	return 0;
}

static json_t *history(struct dome_ctx *ctx, const struct dome_history_filter *f)
{
	json_t *rows;
	struct dome_error err;
	assert_int_equal(dome_audit_history(ctx, f, &rows, &err), 0);
	return rows;
}

static void test_change_is_recorded_with_actor(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	setenv("SUDO_USER", "alice", 1);
	setenv("SSH_CONNECTION", "192.0.2.7 50000 192.0.2.1 22", 1);
	struct dome_ctx *ctx = open_root(root, false);
	unsetenv("SUDO_USER");
	unsetenv("SSH_CONNECTION");
	snprintf(ctx->reason, sizeof ctx->reason, "ticket OPS-42");
	struct op op = { 0 };
	struct dome_change ch = { .action = "set", .target = "web",
				  .params = json_pack("{s:s}", "memory", "512M") };
	struct dome_error err;
	assert_int_equal(dome_mutate(ctx, &ch, apply_op, &op, &err), 0);
	assert_int_equal(op.calls, 1);

	struct dome_history_filter f = { .limit = 50 };
	json_t *rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 1);
	json_t *r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r, "action")), "set");
	assert_string_equal(json_string_value(json_object_get(r, "target")), "web");
	assert_string_equal(json_string_value(json_object_get(r, "result")), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "sudo_user")), "alice");
	assert_string_equal(json_string_value(json_object_get(r, "ssh_client")), "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "ticket OPS-42");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "before"), "memory")), "256M");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "after"), "memory")), "512M");
	assert_true(json_integer_value(json_object_get(r, "ended_at")) >=
		    json_integer_value(json_object_get(r, "started_at")));
	json_decref(rows);

	/* Filters: by actor (sudo user) and by action. */
	f.actor = "alice";
	rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 1);
	json_decref(rows);
	f.actor = "bob";
	rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	dome_close(ctx);
	testutil_rmroot(root);
}

static void test_failed_change_is_recorded_failed(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	struct op op = { .fail = true };
	struct dome_change ch = { .action = "set", .target = "web" };
	struct dome_error err;
	assert_int_equal(dome_mutate(ctx, &ch, apply_op, &op, &err), -1);
	assert_non_null(strstr(err.msg, "memory.max"));
	struct dome_history_filter f = { .failed_only = true };
	json_t *rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 1);
	json_t *r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r, "result")), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "memory.max"));
	json_decref(rows);
	dome_close(ctx);
	testutil_rmroot(root);
}

static void test_readonly_refuses_before_acting(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	dome_close(open_root(root, false)); /* create the database */
	struct dome_ctx *ctx = open_root(root, true);
	struct op op = { 0 };
	struct dome_change ch = { .action = "stop", .target = "web" };
	struct dome_error err;
	assert_int_equal(dome_mutate(ctx, &ch, apply_op, &op, &err), -1);
	assert_int_equal(op.calls, 0);
	assert_non_null(strstr(err.msg, "read-only"));
	dome_close(ctx);
	ctx = open_root(root, false);
	struct dome_history_filter f = { 0 };
	json_t *rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	dome_close(ctx);
	testutil_rmroot(root);
}

static void test_reason_required(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	ctx->cfg.require_reason = true;
	struct op op = { 0 };
	struct dome_change ch = { .action = "stop", .target = "web" };
	struct dome_error err;
	assert_int_equal(dome_mutate(ctx, &ch, apply_op, &op, &err), -1);
	assert_int_equal(err.status, DOME_E_USAGE);
	assert_int_equal(op.calls, 0);
	assert_non_null(strstr(err.msg, "--reason"));
	dome_close(ctx);
	testutil_rmroot(root);
}

static void test_chain_verifies_and_names_tampered_row(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	struct dome_error err;
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		struct op op = { .fail = i == 2 };
		struct dome_change ch = { .action = "set", .target = "web" };
		dome_mutate(ctx, &ch, apply_op, &op, &err);
		ids[i] = ch.id;
	}
	int64_t checked, bad;
	char why[256];
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(checked, 5);
	assert_int_equal(bad, 0);

	/* Edit one row behind dome's back, as sqlite3 would. */
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE changes SET target = 'db' WHERE id = %lld", (long long)ids[3]);
	assert_int_equal(sqlite3_exec(dome_store_db(ctx->store), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, ids[3]);
	assert_non_null(strstr(why, "changed"));
	snprintf(sql, sizeof sql, "UPDATE changes SET target = 'web' WHERE id = %lld", (long long)ids[3]);
	sqlite3_exec(dome_store_db(ctx->store), sql, NULL, NULL, NULL);

	/* Delete a row: the next one no longer links. */
	snprintf(sql, sizeof sql, "DELETE FROM changes WHERE id = %lld", (long long)ids[1]);
	assert_int_equal(sqlite3_exec(dome_store_db(ctx->store), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, ids[2]);
	dome_close(ctx);
	testutil_rmroot(root);
}

/* A long chain is verified in parallel batches; the answer must still be the
 * first bad record in chain order, not whichever batch finished first. */
static void test_verify_names_first_tampered_row_in_long_chain(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	struct dome_error err;
	assert_int_equal(dome_store_begin(ctx->store, &err), 0);
	for (int i = 0; i < 5000; i++) {
		char target[16];
		snprintf(target, sizeof target, "c%d", i % 37);
		struct dome_change ch = { .action = "set", .target = target,
					  .params = json_pack("{s:i}", "pids", i),
					  .before = json_pack("{s:s}", "memory", "256M"),
					  .after = json_pack("{s:s}", "memory", "512M") };
		assert_int_equal(dome_audit_record_in_tx(ctx, &ch, i % 100 == 99 ? "failed" : "ok",
							 i % 100 == 99 ? "busy" : NULL, &err), 0);
	}
	assert_int_equal(dome_store_commit(ctx->store, &err), 0);
	int64_t checked, bad;
	char why[256];
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(checked, 5000);
	assert_int_equal(bad, 0);

	sqlite3 *db = dome_store_db(ctx->store);
	/* A later record tampered too: it must not be the one named. */
	assert_int_equal(sqlite3_exec(db, "UPDATE changes SET after = '{\"memory\":\"1G\"}' "
				      "WHERE id IN (4321, 4990)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, 4321);
	assert_int_equal(checked, 4321);
	assert_non_null(strstr(why, "record 4321 was changed"));

	/* An earlier broken link wins over the later content change. */
	assert_int_equal(sqlite3_exec(db, "UPDATE changes SET prev_hash = 'x' WHERE id = 1500",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, 1500);
	assert_non_null(strstr(why, "record 1500 does not link"));

	/* A record removed: the next one is named, by position. */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM changes WHERE id = 700", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, 701);
	assert_int_equal(checked, 700);
	assert_non_null(strstr(why, "position 701 but 700"));
	dome_close(ctx);
	testutil_rmroot(root);
}

static int apply_and_die(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			 struct dome_error *err)
{
	(void)ctx; (void)ch; (void)arg; (void)err;
	_exit(9); /* as if killed between intent and completion */
}

static void test_interrupted_change_shows_after_next_start(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	dome_close(open_root(root, false));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dome_ctx *ctx = open_root(root, false);
		struct dome_change ch = { .action = "start", .target = "web" };
		struct dome_error err;
		dome_mutate(ctx, &ch, apply_and_die, NULL, &err);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 9);
	struct dome_ctx *ctx = open_root(root, false);
	struct dome_history_filter f = { 0 };
	json_t *rows = history(ctx, &f);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "result")),
			    "interrupted");
	json_decref(rows);
	int64_t checked, bad;
	char why[256];
	struct dome_error err;
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(bad, 0);
	dome_close(ctx);
	testutil_rmroot(root);
}

/* A pending record dome never wrote (inserted by hand, its process long
 * gone) is named by verify and not completed into the chain by the next
 * start; one dome wrote is, as before. */
static void test_forged_pending_record_is_not_chained(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	struct dome_error err;
	struct op op = { 0 };
	struct dome_change ch = { .action = "set", .target = "web" };
	assert_int_equal(dome_mutate(ctx, &ch, apply_op, &op, &err), 0);
	sqlite3 *db = dome_store_db(ctx->store);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO changes (started_at, uid, user, host, "
				      "actor_pid, actor_start, action, target) VALUES (0, 0, 'root', "
				      "'h', 8388608, 1, 'destroy', 'web')", NULL, NULL, NULL), SQLITE_OK);
	int64_t forged = sqlite3_last_insert_rowid(db);
	int64_t checked, bad;
	char why[256];
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, forged);
	assert_non_null(strstr(why, "not written by dome"));
	assert_int_equal(dome_audit_close_interrupted(ctx, &err), 0);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT result, seq FROM changes WHERE id = ?1", -1,
					    &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, forged);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "pending");
	assert_int_equal(sqlite3_column_type(s, 1), SQLITE_NULL);
	sqlite3_finalize(s);
	/* Its hash made as dome's would be, it is dome's to close. */
	char hash[65];
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, seq, started_at, ended_at, uid, user, "
					    "sudo_user, login_uid, ssh_client, tty, host, actor_pid, "
					    "actor_start, action, target, params, before, after, result, "
					    "error, reason, rollback_of, prev_hash FROM changes WHERE id = ?1",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, forged);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(dome_hash_row(s, 0, 23, hash), 0);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE changes SET hash = ?2 WHERE id = ?1", -1, &s,
					    NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, forged);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	assert_int_equal(dome_audit_close_interrupted(ctx, &err), 0);
	assert_int_equal(dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(checked, 2);
	dome_close(ctx);
	testutil_rmroot(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_is_recorded_with_actor),
		cmocka_unit_test(test_failed_change_is_recorded_failed),
		cmocka_unit_test(test_readonly_refuses_before_acting),
		cmocka_unit_test(test_reason_required),
		cmocka_unit_test(test_chain_verifies_and_names_tampered_row),
		cmocka_unit_test(test_verify_names_first_tampered_row_in_long_chain),
		cmocka_unit_test(test_interrupted_change_shows_after_next_start),
		cmocka_unit_test(test_forged_pending_record_is_not_chained),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
