/* Shared helpers for the unit tests: a private state root per test. */
#ifndef DOME_TESTUTIL_H
#define DOME_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>

static inline int testutil_rm_entry(const char *path, const struct stat *sb, int flag,
				    struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static inline char *testutil_mkroot(void)
{
	char tmpl[] = "/tmp/dome-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

static inline void testutil_rmroot(char *root)
{
	if (root) {
		nftw(root, testutil_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(root);
	}
}

#endif
