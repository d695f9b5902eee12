/* A state root's id and its default cgroup prefix (core/owner.h), against
 * real inventories in private state roots. */
#include "testutil.h"
#include "dome.h"
#include "inventory.h"
#include "owner.h"

#include <unistd.h>

static struct dome_ctx *open_ctx(const char *root)
{
	struct dome_open_opts o = { .root = root, .config_path = "/dev/null" };
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		fail_msg("dome_open: %s", err.msg);
	return ctx;
}

static bool is_id(const char *id)
{
	if (strlen(id) != DOME_ROOT_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!strchr("0123456789abcdef", *p))
			return false;
	return true;
}

static void exec_sql(struct dome_ctx *ctx, const char *sql)
{
	struct dome_error err;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, sql, &err);
	if (!s)
		fail_msg("%s: %s", sql, err.msg);
	assert_int_equal(dome_store_exec_stmt(ctx->store, s, "test", &err), 0);
}

static void test_new_root_has_own_id_and_prefix(void **state)
{
	(void)state;
	char *ra = testutil_mkroot(), *rb = testutil_mkroot();
	unsetenv("DOME_CGROUP_PREFIX");
	struct dome_ctx *a = open_ctx(ra), *b = open_ctx(rb);
	assert_true(is_id(a->root_id));
	assert_true(is_id(b->root_id));
	assert_string_not_equal(a->root_id, b->root_id);
	char want[64];
	snprintf(want, sizeof want, "dome-%s", a->root_id);
	assert_string_equal(a->cfg.cgroup_prefix, want);
	assert_string_not_equal(a->cfg.cgroup_prefix, b->cfg.cgroup_prefix);
	/* made once: the next run of the same root has the same */
	char id[DOME_ROOT_ID_LEN + 1];
	strlcpy(id, a->root_id, sizeof id);
	dome_close(a);
	a = open_ctx(ra);
	assert_string_equal(a->root_id, id);
	assert_string_equal(a->cfg.cgroup_prefix, want);
	dome_close(a);
	dome_close(b);
	testutil_rmroot(ra);
	testutil_rmroot(rb);
}

static void test_named_prefix_wins(void **state)
{
	(void)state;
	char *r = testutil_mkroot();
	setenv("DOME_CGROUP_PREFIX", "dome-mine", 1);
	struct dome_ctx *ctx = open_ctx(r);
	unsetenv("DOME_CGROUP_PREFIX");
	assert_true(is_id(ctx->root_id));
	assert_string_equal(ctx->cfg.cgroup_prefix, "dome-mine");
	dome_close(ctx);
	testutil_rmroot(r);
}

/* A root from before ids, with a container: it gets an id and keeps "dome",
 * where what it runs now lives. */
static void test_older_root_keeps_dome(void **state)
{
	(void)state;
	char *r = testutil_mkroot();
	unsetenv("DOME_CGROUP_PREFIX");
	struct dome_ctx *ctx = open_ctx(r);
	struct dome_error err;
	struct dome_image img = { 0 };
	snprintf(img.name, sizeof img.name, "base");
	snprintf(img.path, sizeof img.path, "/images/base");
	snprintf(img.init_cmd, sizeof img.init_cmd, "/sbin/init");
	snprintf(img.shell, sizeof img.shell, "/bin/sh");
	img.created_at = dome_now_ms();
	assert_int_equal(dome_image_insert(ctx->store, &img, &err), 0);
	struct dome_container c = { 0 };
	snprintf(c.name, sizeof c.name, "web");
	snprintf(c.image, sizeof c.image, "base");
	snprintf(c.net_mode, sizeof c.net_mode, "bridge");
	c.created_at = dome_now_ms();
	dome_limits_init(&c.limits);
	assert_int_equal(dome_inv_insert(ctx->store, &c, &err), 0);
	/* what an older dome's inventory has: no id */
	exec_sql(ctx, "DELETE FROM settings WHERE section = 'root'");
	dome_close(ctx);
	ctx = open_ctx(r);
	assert_true(is_id(ctx->root_id));
	assert_string_equal(ctx->cfg.cgroup_prefix, "dome");
	dome_close(ctx);
	testutil_rmroot(r);
}

int main(void)
{
	if (geteuid() != 0) {
		/* a state root's id is made by a run that may write: root's */
		fprintf(stderr, "test_owner needs root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_root_has_own_id_and_prefix),
		cmocka_unit_test(test_named_prefix_wins),
		cmocka_unit_test(test_older_root_keeps_dome),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
