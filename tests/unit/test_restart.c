/* The restart policy's settings and decision (core/restart.h), without a
 * kernel: what `dome set` accepts and refuses, that a refused value leaves
 * the policy as it was, the doubling capped backoff, and which ends each
 * policy restarts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>
#include "restart.h"

static void test_defaults(void **state)
{
	(void)state;
	struct dome_restart_policy p;
	memset(&p, 0, sizeof p);
	dome_restart_policy_fill(&p); /* a zeroed spec gets the defaults */
	assert_int_equal(p.mode, DOME_RESTART_NO);
	assert_int_equal(p.max, 5);
	assert_int_equal(p.window_s, 600);
	assert_int_equal(p.backoff_ms, 100);
	assert_int_equal(p.backoff_max_ms, 60000);
	p.max = 0; /* one set is left alone */
	p.mode = DOME_RESTART_ALWAYS;
	dome_restart_policy_fill(&p);
	assert_int_equal(p.max, 0);
}

static void test_settings_good(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_restart_policy p;
	dome_restart_policy_init(&p);
	assert_int_equal(dome_restart_setting(&p, "restart", "on-failure", &err), 1);
	assert_int_equal(p.mode, DOME_RESTART_ON_FAILURE);
	assert_int_equal(dome_restart_setting(&p, "restart", "always", &err), 1);
	assert_int_equal(p.mode, DOME_RESTART_ALWAYS);
	assert_int_equal(dome_restart_setting(&p, "restart_max", "0", &err), 1);
	assert_int_equal(p.max, 0);
	assert_int_equal(dome_restart_setting(&p, "restart_window", "1h", &err), 1);
	assert_int_equal(p.window_s, 3600);
	assert_int_equal(dome_restart_setting(&p, "restart_backoff", "250ms", &err), 1);
	assert_int_equal(p.backoff_ms, 250);
	assert_int_equal(dome_restart_setting(&p, "restart_backoff", "2s", &err), 1);
	assert_int_equal(p.backoff_ms, 2000);
	assert_int_equal(dome_restart_setting(&p, "restart_backoff_max", "90000", &err), 1);
	assert_int_equal(p.backoff_max_ms, 90000);
	assert_int_equal(dome_restart_policy_check(&p, &err), 0);
	assert_int_equal(dome_restart_setting(&p, "memory", "1G", &err), 0); /* not one of them */
}

static void test_settings_bad(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_restart_policy p, before;
	dome_restart_policy_init(&p);
	before = p;
	const char *bad[][2] = {
		{ "restart", "sometimes" }, { "restart", "" },         { "restart", "On-Failure" },
		{ "restart_max", "-1" },    { "restart_max", "1001" }, { "restart_max", "5x" },
		{ "restart_window", "0" },  { "restart_window", "8d" }, { "restart_window", "-5m" },
		{ "restart_backoff", "0" }, { "restart_backoff", "2h" }, { "restart_backoff", "1.5s" },
		{ "restart_backoff_max", "" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dome_restart_setting(&p, bad[i][0], bad[i][1], &err), -1);
		assert_int_equal(err.status, DOME_E_USAGE);
		assert_memory_equal(&p, &before, sizeof p);
	}
	assert_int_equal(dome_restart_setting(&p, "restart", "unhealthy", &err), -1);
	assert_non_null(strstr(err.msg, "health checks"));
	p.backoff_ms = 5000;
	p.backoff_max_ms = 1000;
	assert_int_equal(dome_restart_policy_check(&p, &err), -1);
}

static void test_backoff(void **state)
{
	(void)state;
	struct dome_restart_policy p;
	dome_restart_policy_init(&p);
	assert_int_equal(dome_restart_delay_ms(&p, 1), 100);
	assert_int_equal(dome_restart_delay_ms(&p, 2), 200);
	assert_int_equal(dome_restart_delay_ms(&p, 3), 400);
	assert_int_equal(dome_restart_delay_ms(&p, 10), 51200);
	assert_int_equal(dome_restart_delay_ms(&p, 11), 60000);
	assert_int_equal(dome_restart_delay_ms(&p, 1000), 60000);
}

static void test_wanted(void **state)
{
	(void)state;
	struct dome_restart_policy p;
	dome_restart_policy_init(&p);
	int exit0 = 0, exit3 = 3 << 8, killed = SIGKILL;
	assert_true(WIFEXITED(exit0) && WIFEXITED(exit3) && WIFSIGNALED(killed));
	assert_false(dome_restart_wanted(&p, killed));
	p.mode = DOME_RESTART_ON_FAILURE;
	assert_false(dome_restart_wanted(&p, exit0));
	assert_true(dome_restart_wanted(&p, exit3));
	assert_true(dome_restart_wanted(&p, killed));
	assert_true(dome_restart_wanted(&p, -1));
	p.mode = DOME_RESTART_ALWAYS;
	assert_true(dome_restart_wanted(&p, exit0));
	assert_true(dome_restart_wanted(&p, killed));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_settings_good),
		cmocka_unit_test(test_settings_bad), cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_wanted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
