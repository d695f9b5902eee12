#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include "inventory.h"
#include "store.h"

static struct dome_store *open_in(const char *root, bool ro, struct dome_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/dome.db", root);
	return dome_store_open(path, ro, NULL, err);
}

static void add_image(struct dome_store *st, const char *name)
{
	struct dome_image img = { 0 };
	struct dome_error err;
	snprintf(img.name, sizeof img.name, "%s", name);
	snprintf(img.path, sizeof img.path, "/images/%s", name);
	snprintf(img.init_cmd, sizeof img.init_cmd, "/sbin/init");
	snprintf(img.shell, sizeof img.shell, "/bin/sh");
	img.stop_signal = 12;
	img.created_at = dome_now_ms();
	assert_int_equal(dome_image_insert(st, &img, &err), 0);
}

static void test_new_database(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_error err;
	struct dome_store *st = open_in(root, false, &err);
	assert_non_null(st);
	assert_int_equal(dome_store_schema_version(st), dome_migration_count);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(dome_store_db(st), "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(dome_store_db(st), "PRAGMA foreign_keys", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	dome_store_close(st);
	/* Reopening applies nothing twice. */
	st = open_in(root, false, &err);
	assert_non_null(st);
	assert_int_equal(dome_store_schema_version(st), dome_migration_count);
	dome_store_close(st);
	testutil_rmroot(root);
}

static void test_container_rows(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_error err;
	struct dome_store *st = open_in(root, false, &err);
	assert_non_null(st);
	struct dome_container c = { 0 };
	snprintf(c.name, sizeof c.name, "web");
	snprintf(c.image, sizeof c.image, "busybox");
	dome_limits_init(&c.limits);
	c.created_at = dome_now_ms();
	/* No such image: refused by the foreign key, with a clear message. */
	assert_int_equal(dome_inv_insert(st, &c, &err), -1);
	assert_non_null(strstr(err.msg, "no image named 'busybox'"));
	add_image(st, "busybox");
	c.limits.memory = 256ULL << 20;
	c.limits.cpu_millis = 500;
	snprintf(c.limits.cpuset, sizeof c.limits.cpuset, "0-1");
	assert_int_equal(dome_inv_insert(st, &c, &err), 0);
	assert_true(c.id > 0);
	assert_int_equal(dome_inv_insert(st, &c, &err), -1);
	assert_non_null(strstr(err.msg, "exists already"));

	struct dome_container got;
	assert_int_equal(dome_inv_get(st, "web", &got, &err), 0);
	assert_string_equal(got.state, "stopped");
	assert_true(got.limits.memory == 256ULL << 20);
	assert_true(got.limits.memory_swap == DOME_UNLIMITED);
	assert_int_equal(got.limits.cpu_millis, 500);
	assert_string_equal(got.limits.cpuset, "0-1");

	snprintf(got.state, sizeof got.state, "running");
	got.pid = 1234;
	got.pid_start = 99;
	assert_int_equal(dome_inv_update_runtime(st, &got, &err), 0);
	assert_int_equal(dome_inv_get(st, "web", &got, &err), 0);
	assert_string_equal(got.state, "running");
	assert_int_equal(got.pid, 1234);

	assert_int_equal(dome_inv_get(st, "nosuch", &got, &err), -1);
	assert_int_equal(err.status, DOME_E_FAILED);
	assert_non_null(strstr(err.msg, "no container named 'nosuch'"));

	/* An image in use cannot be removed. */
	assert_int_equal(dome_image_delete(st, "busybox", &err), -1);
	struct dome_image img;
	assert_int_equal(dome_image_find(st, "busybox", &img, &err), 1);
	assert_int_equal(img.users, 1);

	struct dome_container *list;
	size_t n;
	assert_int_equal(dome_inv_list(st, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	free(list);
	assert_int_equal(dome_inv_delete(st, got.id, &err), 0);
	assert_int_equal(dome_inv_find(st, "web", &got, &err), 0);
	dome_store_close(st);
	testutil_rmroot(root);
}

static void test_readonly_cannot_write(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_error err;
	struct dome_store *st = open_in(root, false, &err);
	assert_non_null(st);
	dome_store_close(st);
	st = open_in(root, true, &err);
	assert_non_null(st);
	struct dome_image img = { .name = "x", .path = "/x", .init_cmd = "/i", .shell = "/s" };
	assert_int_equal(dome_image_insert(st, &img, &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
	dome_store_close(st);
	testutil_rmroot(root);
}

static void test_corrupt_file_is_reported_not_replaced(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	char path[4096];
	snprintf(path, sizeof path, "%s/dome.db", root);
	const char junk[] = "this is not a database, but someone's precious file.........................";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	struct dome_error err;
	struct dome_store *st = open_in(root, false, &err);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "damaged"));
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 64 * (off_t)sizeof junk); /* untouched */
	testutil_rmroot(root);
}

/* A file with no schema (zero bytes, or a SQLite file with no tables) that
 * must not get one is refused before anything is written to it. */
static void test_empty_file_not_initialised(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	char path[4096], wal[4100];
	snprintf(path, sizeof path, "%s/dome.db", root);
	snprintf(wal, sizeof wal, "%s-wal", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	close(fd);
	struct dome_error err;
	for (int ro = 0; ro < 2; ro++) {
		assert_null(dome_store_open(path, ro, "the root holds containers", &err));
		assert_non_null(strstr(err.msg, "is empty"));
		assert_non_null(strstr(err.msg, path));
		assert_non_null(strstr(err.msg, "the root holds containers"));
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, 0);
		assert_int_equal(access(wal, F_OK), -1);
	}
	/* Allowed, the same file becomes a database. */
	struct dome_store *st = dome_store_open(path, false, NULL, &err);
	assert_non_null(st);
	assert_int_equal(dome_store_schema_version(st), dome_migration_count);
	dome_store_close(st);
	/* And with a schema, it opens whatever no_init says. */
	st = dome_store_open(path, false, "the root holds containers", &err);
	assert_non_null(st);
	dome_store_close(st);
	testutil_rmroot(root);
}

static void test_newer_schema_refused(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_error err;
	struct dome_store *st = open_in(root, false, &err);
	assert_non_null(st);
	assert_int_equal(sqlite3_exec(dome_store_db(st), "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	dome_store_close(st);
	assert_null(open_in(root, false, &err));
	assert_non_null(strstr(err.msg, "newer than this dome"));
	testutil_rmroot(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_database),
		cmocka_unit_test(test_container_rows),
		cmocka_unit_test(test_readonly_cannot_write),
		cmocka_unit_test(test_corrupt_file_is_reported_not_replaced),
		cmocka_unit_test(test_empty_file_not_initialised),
		cmocka_unit_test(test_newer_schema_refused),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
