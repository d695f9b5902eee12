/* dome_ptree_order (core/ptree.h): a container's processes as the
 * Processes tab and `dome ps` show them, each parent before its children,
 * siblings and roots by pid; processes whose parent is outside the
 * container are roots; a loop of reused pids is still listed, flat. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ptree.h"

static void set(struct dome_proc *p, pid_t pid, pid_t ppid)
{
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->ppid = ppid;
	p->depth = 99;
}

/* init 100 (parent outside: 90), journald 120 and a service 110 under it
 * with a worker 130, and an exec'd shell 200 whose parent is outside. */
static void test_tree_order(void **state)
{
	(void)state;
	struct dome_proc p[6];
	set(&p[0], 130, 110);
	set(&p[1], 200, 50);
	set(&p[2], 120, 100);
	set(&p[3], 100, 90);
	set(&p[4], 110, 100);
	set(&p[5], 140, 130);
	struct dome_error err = { 0 };
	assert_int_equal(dome_ptree_order(p, 6, &err), 0);
	const pid_t want_pid[] = { 100, 110, 130, 140, 120, 200 };
	const unsigned want_depth[] = { 0, 1, 2, 3, 1, 0 };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(p[i].pid, want_pid[i]);
		assert_int_equal(p[i].depth, want_depth[i]);
	}
}

/* Pids reused between reads can make a loop with no root: every process
 * is still listed once. */
static void test_loop_listed_flat(void **state)
{
	(void)state;
	struct dome_proc p[4];
	set(&p[0], 10, 11);
	set(&p[1], 11, 10);
	set(&p[2], 5, 1);
	set(&p[3], 12, 12);
	struct dome_error err = { 0 };
	assert_int_equal(dome_ptree_order(p, 4, &err), 0);
	assert_int_equal(p[0].pid, 5);
	assert_int_equal(p[1].pid, 12);
	int seen10 = 0, seen11 = 0;
	for (int i = 2; i < 4; i++) {
		seen10 += p[i].pid == 10;
		seen11 += p[i].pid == 11;
		assert_int_equal(p[i].depth, 0);
	}
	assert_int_equal(seen10, 1);
	assert_int_equal(seen11, 1);
}

static void test_one_and_none(void **state)
{
	(void)state;
	struct dome_proc p[1];
	set(&p[0], 7, 1);
	struct dome_error err = { 0 };
	assert_int_equal(dome_ptree_order(p, 1, &err), 0);
	assert_int_equal(p[0].depth, 0);
	assert_int_equal(dome_ptree_order(NULL, 0, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_order),
		cmocka_unit_test(test_loop_listed_flat),
		cmocka_unit_test(test_one_and_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
