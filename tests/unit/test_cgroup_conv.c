/* The value conversions between dome's limits and the cgroup files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "cgroup_driver.h"

static void test_weight_to_shares_ends(void **state)
{
	(void)state;
	/* The two scales' ends meet: 1 -> 2 and 10000 -> 262144. */
	assert_int_equal(dome_cg_weight_to_shares(1), 2);
	assert_int_equal(dome_cg_weight_to_shares(10000), 262144);
	/* 2 + 99 * 262142 / 9999 = 2597.5..., floored (runc and crun agree). */
	assert_int_equal(dome_cg_weight_to_shares(100), 2597);
	/* Unset is the kernel's default share, not the mapped default weight. */
	assert_int_equal(dome_cg_weight_to_shares(0), 1024);
	assert_int_equal(dome_cg_weight_to_shares(20000), 262144);
}

static void test_weight_round_trip(void **state)
{
	(void)state;
	uint64_t prev = 0;
	for (uint32_t w = 1; w <= 10000; w++) {
		uint64_t s = dome_cg_weight_to_shares(w);
		assert_true(s > prev); /* strictly increasing: no two weights collide */
		assert_true(s >= 2 && s <= 262144);
		assert_int_equal(dome_cg_shares_to_weight(s), w);
		prev = s;
	}
}

static void test_shares_to_weight(void **state)
{
	(void)state;
	assert_int_equal(dome_cg_shares_to_weight(2), 1);
	assert_int_equal(dome_cg_shares_to_weight(262144), 10000);
	/* The v1 default share 1024 reads back as weight 40. */
	assert_int_equal(dome_cg_shares_to_weight(1024), 40);
	/* Out-of-range values from a hand-edited file are clamped. */
	assert_int_equal(dome_cg_shares_to_weight(0), 1);
	assert_int_equal(dome_cg_shares_to_weight(1000000), 10000);
	/* Every share maps into 1..10000 and never decreases. */
	uint32_t prev = 1;
	for (uint64_t s = 2; s <= 262144; s += 7) {
		uint32_t w = dome_cg_shares_to_weight(s);
		assert_true(w >= prev && w <= 10000);
		prev = w;
	}
}

static void test_quota(void **state)
{
	(void)state;
	assert_int_equal(dome_cg_quota_us(1000), 100000); /* one CPU: the whole period */
	assert_int_equal(dome_cg_quota_us(500), 50000);
	assert_int_equal(dome_cg_quota_us(2500), 250000);
	assert_int_equal(dome_cg_quota_us(10), 1000);     /* the kernel's 1 ms minimum */
	assert_int_equal(dome_cg_quota_us(0), 0);
}

static void test_swap_only(void **state)
{
	(void)state;
	struct dome_limits l;
	dome_limits_init(&l);
	assert_true(dome_cg_swap_only(&l) == UINT64_MAX);
	l.memory = 256ULL << 20;
	assert_true(dome_cg_swap_only(&l) == UINT64_MAX);
	l.memory_swap = 768ULL << 20;
	assert_int_equal(dome_cg_swap_only(&l), 512ULL << 20);
	l.memory_swap = l.memory;
	assert_int_equal(dome_cg_swap_only(&l), 0); /* memory+swap = memory: no swap */
}

static void test_limits_check(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_limits l;
	dome_limits_init(&l);
	assert_int_equal(dome_cg_limits_check(&l, &err), 0);
	l.memory_swap = 1ULL << 30;
	assert_int_equal(dome_cg_limits_check(&l, &err), -1);
	assert_int_equal(err.status, DOME_E_USAGE);
	assert_non_null(strstr(err.msg, "needs a memory limit"));
	l.memory = 2ULL << 30;
	assert_int_equal(dome_cg_limits_check(&l, &err), -1);
	assert_non_null(strstr(err.msg, "must be at least"));
	l.memory_swap = 2ULL << 30;
	assert_int_equal(dome_cg_limits_check(&l, &err), 0);
	l.cpu_weight = 10001;
	assert_int_equal(dome_cg_limits_check(&l, &err), -1);
	l.cpu_weight = 10000;
	strcpy(l.cpuset, "3-1");
	assert_int_equal(dome_cg_limits_check(&l, &err), -1);
	strcpy(l.cpuset, "0-1");
	assert_int_equal(dome_cg_limits_check(&l, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weight_to_shares_ends),
		cmocka_unit_test(test_weight_round_trip),
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_swap_only),
		cmocka_unit_test(test_limits_check),
	};
	return cmocka_run_group_tests_name("cgroup conversions", tests, NULL, NULL);
}
