#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "validate.h"
#include "owner.h"

static void test_names_good(void **state)
{
	(void)state;
	struct dome_error err;
	const char *good[] = { "web", "a", "0", "db-1", "x9-y8-z7",
			       "a23456789012345678901234567890123456789012345678901234567890123" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(dome_validate_name("container", good[i], &err), 0);
}

static void test_names_hostile(void **state)
{
	(void)state;
	struct dome_error err;
	const char *bad[] = { "", "..", "/", "a/b", "a;b", "$(id)", "-lead", "trail-", "Web",
			      "a b", "caf\xc3\xa9", "a\nb", "a.b", "../etc",
			      "a234567890123456789012345678901234567890123456789012345678901234" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dome_validate_name("container", bad[i], &err), -1);
		assert_int_equal(err.status, DOME_E_USAGE);
		assert_non_null(strstr(err.msg, "container name"));
	}
	assert_int_equal(dome_validate_name("container", NULL, &err), -1);
}

static void test_host_ifname_fits(void **state)
{
	(void)state;
	char a[16], b[16];
	/* dm + 6 digits of the root id + "-" + the row id in base 36 */
	dome_host_ifname("3fa2c1d0", 1, a);
	assert_string_equal(a, "dm3fa2c1-1");
	dome_host_ifname("3fa2c1d0", 36, a);
	assert_string_equal(a, "dm3fa2c1-10");
	/* the same row of another root: another name */
	dome_host_ifname("77aa01ff", 36, b);
	assert_string_not_equal(a, b);
	/* the largest row ids still fit IFNAMSIZ - 1 */
	dome_host_ifname("3fa2c1d0", 2176782335LL, a); /* 36^6 - 1 */
	assert_string_equal(a, "dm3fa2c1-zzzzzz");
	dome_host_ifname("3fa2c1d0", INT64_MAX, a);
	assert_true(strlen(a) <= 15);
}

static void test_owner_marks(void **state)
{
	(void)state;
	/* the first two words name the owner; the path after is a hint */
	assert_true(dome_owner_mark_same("dome 3fa2c1d0 /var/lib/dome", "dome 3fa2c1d0 /srv/moved"));
	assert_true(dome_owner_mark_same("dome 3fa2c1d0 web", "dome 3fa2c1d0"));
	assert_false(dome_owner_mark_same("dome 3fa2c1d0 /x", "dome 3fa2c1d1 /x"));
	assert_false(dome_owner_mark_same("dome 3fa2c1 /x", "dome 3fa2c1d0 /x"));
	assert_false(dome_owner_mark_same("", ""));
	char who[128];
	dome_mark_describe("dome 3fa2c1d0 /var/lib/dome", who, sizeof who);
	assert_string_equal(who, "the dome state root /var/lib/dome (id 3fa2c1d0)");
}

static void test_sizes_good(void **state)
{
	(void)state;
	struct dome_error err;
	struct { const char *in; uint64_t out; } cases[] = {
		{ "0", 0 }, { "1024", 1024 }, { "512M", 512ULL << 20 }, { "512m", 512ULL << 20 },
		{ "1.5G", 3ULL << 29 }, { "64K", 65536 }, { "2GiB", 2ULL << 30 }, { "1T", 1ULL << 40 },
		{ "0.5K", 512 }, { "10B", 10 }, { "15E", 15ULL << 60 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t v = 1;
		assert_int_equal(dome_parse_size("memory", cases[i].in, false, &v, &err), 0);
		assert_true(v == cases[i].out);
	}
	uint64_t v;
	assert_int_equal(dome_parse_size("memory", "max", true, &v, &err), 0);
	assert_true(v == DOME_UNLIMITED);
	assert_int_equal(dome_parse_size("memory", "unlimited", true, &v, &err), 0);
	assert_true(v == DOME_UNLIMITED);
}

static void test_sizes_hostile(void **state)
{
	(void)state;
	struct dome_error err;
	const char *bad[] = { "", "-1", "1e99", "0x10", "abc", "12Q", "1.", ".5G", "1..5G",
			      " 12", "12 ", "+5", "1.2345G", "16E", "99999999999999999999",
			      "18446744073709551615K", "1.5", "5MM", "M", "1,5G", "NaN", "inf" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 42;
		assert_int_equal(dome_parse_size("memory", bad[i], true, &v, &err), -1);
		assert_int_equal(err.status, DOME_E_USAGE);
		assert_true(v == 42); /* nothing written on error */
	}
	uint64_t v;
	assert_int_equal(dome_parse_size("memory", "max", false, &v, &err), -1);
}

static void test_cpus(void **state)
{
	(void)state;
	struct dome_error err;
	uint32_t m;
	assert_int_equal(dome_parse_cpus("1.5", false, &m, &err), 0);
	assert_int_equal(m, 1500);
	assert_int_equal(dome_parse_cpus("0.25", false, &m, &err), 0);
	assert_int_equal(m, 250);
	assert_int_equal(dome_parse_cpus("2", false, &m, &err), 0);
	assert_int_equal(m, 2000);
	assert_int_equal(dome_parse_cpus("max", true, &m, &err), 0);
	assert_int_equal(m, 0);
	const char *bad[] = { "", "0", "0.001", "-1", "1e3", "1.2345", "abc", "0x1", "1025",
			      "99999999999999999999", "max" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dome_parse_cpus(bad[i], false, &m, &err), -1);
}

static void test_cpusets(void **state)
{
	(void)state;
	struct dome_error err;
	char out[64];
	assert_int_equal(dome_parse_cpuset("0-1,3", out, sizeof out, &err), 0);
	assert_string_equal(out, "0-1,3");
	assert_int_equal(dome_parse_cpuset("0", out, sizeof out, &err), 0);
	assert_string_equal(out, "0");
	assert_int_equal(dome_parse_cpuset("2-2", out, sizeof out, &err), 0);
	assert_string_equal(out, "2");
	const char *bad[] = { "", "-1", "1-", "3-1", "1,1", "2,1", "0-3,2", "a", "1;2", "1,,2",
			      "1024", "0-99999999999", "01", " 1", "1 ", "1,", ",1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dome_parse_cpuset(bad[i], out, sizeof out, &err), -1);
}

static void test_uint_and_bool(void **state)
{
	(void)state;
	struct dome_error err;
	uint64_t v;
	assert_int_equal(dome_parse_uint("pids", "100", 1, 1000, &v, &err), 0);
	assert_true(v == 100);
	assert_int_equal(dome_parse_uint("pids", "0", 1, 1000, &v, &err), -1);
	assert_int_equal(dome_parse_uint("pids", "1001", 1, 1000, &v, &err), -1);
	assert_int_equal(dome_parse_uint("pids", "-5", 1, 1000, &v, &err), -1);
	assert_int_equal(dome_parse_uint("pids", "99999999999999999999999", 1, 1000, &v, &err), -1);
	bool b;
	assert_int_equal(dome_parse_bool("nat", "yes", &b, &err), 0);
	assert_true(b);
	assert_int_equal(dome_parse_bool("nat", "Off", &b, &err), 0);
	assert_false(b);
	assert_int_equal(dome_parse_bool("nat", "maybe", &b, &err), -1);
}

static void test_format_size(void **state)
{
	(void)state;
	char buf[32];
	dome_format_size(512ULL << 20, buf, sizeof buf);
	assert_string_equal(buf, "512M");
	dome_format_size(3ULL << 29, buf, sizeof buf);
	assert_string_equal(buf, "1.5G");
	dome_format_size(DOME_UNLIMITED, buf, sizeof buf);
	assert_string_equal(buf, "unlimited");
	dome_format_size(100, buf, sizeof buf);
	assert_string_equal(buf, "100B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_good),
		cmocka_unit_test(test_names_hostile),
		cmocka_unit_test(test_host_ifname_fits),
		cmocka_unit_test(test_owner_marks),
		cmocka_unit_test(test_sizes_good),
		cmocka_unit_test(test_sizes_hostile),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_cpusets),
		cmocka_unit_test(test_uint_and_bool),
		cmocka_unit_test(test_format_size),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
