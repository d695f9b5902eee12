/* core/hostfit.h against this host's own CPUs and block devices, and the
 * keyed counters of core/cgroup_events.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroup_events.h"
#include "hostfit.h"

static void test_cpus_and_cpuset(void **state)
{
	(void)state;
	long n = sysconf(_SC_NPROCESSORS_CONF);
	struct dome_limits l;
	struct dome_error err;
	dome_limits_init(&l);
	l.cpu_millis = 1000;
	snprintf(l.cpuset, sizeof l.cpuset, "0");
	assert_int_equal(dome_limits_fit_host(NULL, &l, &err), 0);
	l.cpu_millis = (uint32_t)(n + 1) * 1000;
	assert_int_equal(dome_limits_fit_host(NULL, &l, &err), -1);
	assert_non_null(strstr(err.msg, "CPUs this host has"));
	/* only what changes is judged: the stored figure stays acceptable */
	struct dome_limits before = l;
	snprintf(l.cpuset, sizeof l.cpuset, "0");
	assert_int_equal(dome_limits_fit_host(&before, &l, &err), 0);
	l.cpu_millis = 0;
	snprintf(l.cpuset, sizeof l.cpuset, "0,8000");
	assert_int_equal(dome_limits_fit_host(NULL, &l, &err), -1);
	assert_non_null(strstr(err.msg, "CPU 8000"));
	snprintf(l.cpuset, sizeof l.cpuset, "0-99999");
	assert_int_equal(dome_limits_fit_host(NULL, &l, &err), -1);
}

static void test_io_devices(void **state)
{
	(void)state;
	struct dome_limits l;
	struct dome_error err;
	dome_limits_init(&l);
	l.nio = 1;
	l.io[0] = (struct dome_io_limit){ .major = 4000, .minor = 4000, .rbps = 1 << 20 };
	assert_int_equal(dome_limits_fit_host(NULL, &l, &err), -1);
	assert_non_null(strstr(err.msg, "no block device 4000:4000"));
	/* a device of this host: the first whole disk in /sys/block */
	char dev[32] = "";
	FILE *f = fopen("/sys/block/loop0/dev", "r");
	if (!f)
		f = fopen("/sys/dev/block/1:0/dev", "r");
	if (f) {
		unsigned ma, mi;
		if (fscanf(f, "%u:%u", &ma, &mi) == 2) {
			l.io[0].major = ma;
			l.io[0].minor = mi;
			snprintf(dev, sizeof dev, "%u:%u", ma, mi);
		}
		fclose(f);
	}
	if (dev[0])
		assert_int_equal(dome_limits_fit_host(NULL, &l, &err), 0);
}

static void test_keyed_counters(void **state)
{
	(void)state;
	static const char events[] = "low 0\nhigh 7\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n";
	assert_int_equal(dome_cg_keyed_value(events, "high"), 7);
	assert_int_equal(dome_cg_keyed_value(events, "max"), 12);
	assert_int_equal(dome_cg_keyed_value(events, "oom"), 2);
	assert_int_equal(dome_cg_keyed_value(events, "oom_kill"), 1);
	assert_int_equal(dome_cg_keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3);
	assert_int_equal(dome_cg_keyed_value("max 5", "max"), 5);
	assert_int_equal(dome_cg_keyed_value("", "max"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpus_and_cpuset),
		cmocka_unit_test(test_io_devices),
		cmocka_unit_test(test_keyed_counters),
	};
	return cmocka_run_group_tests_name("hostfit", tests, NULL, NULL);
}
