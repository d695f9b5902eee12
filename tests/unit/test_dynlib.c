/* dome_dynlib_load (core/dynlib.h), the loader behind libarchive and
 * libnftables: a library that is there, one that is not, a missing symbol. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>
#include "cleanup.h"
#include "dynlib.h"

static struct {
	__typeof__(getpid) *getpid;
	__typeof__(strlen) *strlen;
} libc;

static void test_loads_and_fills(void **state)
{
	(void)state;
	static struct dome_dynlib lib = DOME_DYNLIB_INIT("libc.so.6");
	const struct dome_dynsym syms[] = { { "getpid", (void **)&libc.getpid },
					    { "strlen", (void **)&libc.strlen } };
	assert_int_equal(dome_dynlib_load(&lib, syms, DOME_ARRAY_SIZE(syms)), 0);
	assert_int_equal(libc.getpid(), getpid());
	assert_int_equal(libc.strlen("dome"), 4);
}

static void test_missing_library(void **state)
{
	(void)state;
	static struct dome_dynlib lib = DOME_DYNLIB_INIT("libdome-nosuch.so.9");
	void *slot = NULL;
	const struct dome_dynsym syms[] = { { "f", &slot } };
	assert_int_equal(dome_dynlib_load(&lib, syms, 1), -1);
	assert_non_null(strstr(lib.error, "libdome-nosuch.so.9"));
	/* Tried once: a later call gives the same answer. */
	assert_int_equal(dome_dynlib_load(&lib, syms, 1), -1);
}

static void test_missing_symbol(void **state)
{
	(void)state;
	static struct dome_dynlib lib = DOME_DYNLIB_INIT("libc.so.6");
	void *a = NULL, *b = NULL;
	const struct dome_dynsym syms[] = { { "getpid", &a }, { "dome_no_such_function", &b } };
	assert_int_equal(dome_dynlib_load(&lib, syms, 2), -1);
	assert_string_equal(lib.error, "libc.so.6 has no dome_no_such_function");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_and_fills),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_symbol),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
