#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"

static void test_defaults(void **state)
{
	(void)state;
	struct dome_config c;
	dome_config_defaults(&c);
	assert_string_equal(c.root, "/var/lib/dome");
	assert_string_equal(c.runtime_dir, "/run/dome");
	/* none: the state root's own default, settled once its inventory is open */
	assert_string_equal(c.cgroup_prefix, "");
	assert_string_equal(c.bridge, "dome0");
	assert_false(c.nat);
}

static void test_shipped_file_parses(void **state)
{
	(void)state;
	/* The installed default file must be valid and say what the defaults are. */
	char path[4096];
	const char *src = getenv("DOME_SRCDIR");
	snprintf(path, sizeof path, "%s/data/dome.conf", src ? src : ".");
	struct dome_config c, d;
	struct dome_error err;
	dome_config_defaults(&c);
	dome_config_defaults(&d);
	assert_int_equal(dome_config_load(&c, path, true, &err), 0);
	assert_memory_equal(&c, &d, sizeof c);
}

static void test_values(void **state)
{
	(void)state;
	struct dome_config c;
	struct dome_error err;
	dome_config_defaults(&c);
	assert_int_equal(dome_config_parse_string(&c,
		"[paths]\nroot = /srv/dome\n[network]\nbridge = br-test\nsubnet = 10.1.2.0/29\n"
		"nat = yes\n[container]\nconsole_log_max = 2M\n[console]\nrefresh = 0.5\n",
		"test.conf", &err), 0);
	assert_string_equal(c.root, "/srv/dome");
	assert_string_equal(c.runtime_dir, "/srv/dome/run");
	assert_string_equal(c.bridge, "br-test");
	assert_string_equal(c.subnet, "10.1.2.0/29");
	assert_true(c.nat);
	assert_true(c.console_log_max == 2 * 1024 * 1024);
	assert_int_equal(c.refresh_ms, 500);
}

static void expect_error(const char *text, const char *line_part, const char *key_part)
{
	struct dome_config c, before;
	struct dome_error err;
	dome_config_defaults(&c);
	before = c;
	assert_int_equal(dome_config_parse_string(&c, text, "bad.conf", &err), -1);
	assert_int_equal(err.status, DOME_E_USAGE);
	assert_non_null(strstr(err.msg, "bad.conf"));
	assert_non_null(strstr(err.msg, line_part));
	if (key_part)
		assert_non_null(strstr(err.msg, key_part));
	assert_memory_equal(&c, &before, sizeof c); /* nothing changed */
}

static void test_errors_name_file_line_key(void **state)
{
	(void)state;
	expect_error("[network]\nbridge = dome0\ncolour = red\n", "line 3", "'colour'");
	expect_error("[nosuch]\nkey = 1\n", "line 2", "[nosuch]");
	expect_error("[network]\nsubnet = 10.0.0.1/24\n", "line 2", "'subnet'");
	expect_error("[network]\nsubnet = 300.0.0.0/24\n", "line 2", "'subnet'");
	expect_error("[network]\nbridge = this-is-way-too-long-for-linux\n", "line 2", "'bridge'");
	expect_error("[network]\nnat = perhaps\n", "line 2", "'nat'");
	expect_error("[container]\nconsole_log_max = -1\n", "line 2", "console_log_max");
	expect_error("[container]\nstop_timeout = 1e9\n", "line 2", "stop_timeout");
	expect_error("[cgroup]\nprefix = ../../etc\n", "line 2", "prefix");
	expect_error("[paths]\nroot = relative/path\n", "line 2", "root");
	expect_error("[paths]\nroot = /var/../etc\n", "line 2", "root");
	expect_error("garbage line without equals\n", "line 1", NULL);
	expect_error("[network]\nnameservers = 1.1.1.1 $(reboot)\n", "line 2", "nameservers");
}

static void test_env_overrides(void **state)
{
	(void)state;
	struct dome_config c;
	struct dome_error err;
	dome_config_defaults(&c);
	setenv("DOME_ROOT", "/tmp/dome-env-root", 1);
	setenv("DOME_CGROUP_PREFIX", "dome-test", 1);
	setenv("DOME_BRIDGE", "dmtest0", 1);
	assert_int_equal(dome_config_apply_env(&c, &err), 0);
	assert_string_equal(c.root, "/tmp/dome-env-root");
	assert_string_equal(c.runtime_dir, "/tmp/dome-env-root/run");
	assert_string_equal(c.cgroup_prefix, "dome-test");
	assert_string_equal(c.bridge, "dmtest0");
	setenv("DOME_CGROUP_PREFIX", "a;b", 1);
	assert_int_equal(dome_config_apply_env(&c, &err), -1);
	assert_non_null(strstr(err.msg, "environment"));
	unsetenv("DOME_ROOT");
	unsetenv("DOME_CGROUP_PREFIX");
	unsetenv("DOME_BRIDGE");
}

static void test_missing_file(void **state)
{
	(void)state;
	struct dome_config c;
	struct dome_error err;
	dome_config_defaults(&c);
	assert_int_equal(dome_config_load(&c, "/nonexistent/dome.conf", false, &err), 0);
	assert_int_equal(dome_config_load(&c, "/nonexistent/dome.conf", true, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/dome.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped_file_parses),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
