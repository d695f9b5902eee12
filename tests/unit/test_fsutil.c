/* dome_open_in_root (core/fsutil.h): a path in a container's or an image's
 * root never leads out of it, whatever links the tree holds; and the state
 * root's permissions (core/rootperm.h) are made, found and repaired. Each
 * case is a real tree in a private directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsutil.h"
#include "rootperm.h"
#include "testutil.h"

struct tree {
	char *dir;
	char root[256], host[256];
};

/* dir/host/secret (outside) and dir/root/{etc/hostname,evil links}. */
static int setup(void **state)
{
	static struct tree t;
	t.dir = testutil_mkroot();
	snprintf(t.root, sizeof t.root, "%s/root", t.dir);
	snprintf(t.host, sizeof t.host, "%s/host", t.dir);
	char p[PATH_MAX], target[PATH_MAX];
	assert_int_equal(mkdir(t.root, 0755), 0);
	assert_int_equal(mkdir(t.host, 0755), 0);
	snprintf(p, sizeof p, "%s/secret", t.host);
	assert_int_equal(dome_write_file(p, "host\n", 5, 0644, NULL), 0);
	snprintf(p, sizeof p, "%s/etc", t.root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/etc/secret", t.root);
	assert_int_equal(dome_write_file(p, "mine\n", 5, 0644, NULL), 0);
	/* An absolute link to the host directory, a climbing one, and a
	 * directory link the way an image's etc could be. */
	snprintf(p, sizeof p, "%s/abs", t.root);
	assert_int_equal(symlink(t.host, p), 0);
	snprintf(p, sizeof p, "%s/climb", t.root);
	snprintf(target, sizeof target, "../../../../../../../..%s/secret", t.host);
	assert_int_equal(symlink(target, p), 0);
	snprintf(p, sizeof p, "%s/hostetc", t.root);
	assert_int_equal(symlink(t.host, p), 0);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	testutil_rmroot(t->dir);
	return 0;
}

static void read_back(int fd, const char *want)
{
	char buf[16] = "";
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf - 1), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	close(fd);
}

static void test_plain_path_opens(void **state)
{
	struct tree *t = *state;
	read_back(dome_open_in_root(t->root, "etc/secret", O_RDONLY, 0), "mine\n");
	read_back(dome_open_in_root(t->root, "/etc/secret", O_RDONLY, 0), "mine\n");
}

static void test_links_stay_inside(void **state)
{
	struct tree *t = *state;
	char rel[PATH_MAX];
	/* abs -> <host>: inside the root that is <root><host>, which is not there. */
	assert_int_equal(dome_open_in_root(t->root, "abs/secret", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	/* ../.. climbs stop at the root. */
	assert_int_equal(dome_open_in_root(t->root, "climb", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dome_open_in_root(t->root, "../host/secret", O_RDONLY, 0), -1);
	/* A link that names a path inside the root (as the container sees it) works. */
	snprintf(rel, sizeof rel, "%s/inlink", t->root);
	assert_int_equal(symlink("/etc/secret", rel), 0);
	read_back(dome_open_in_root(t->root, "inlink", O_RDONLY, 0), "mine\n");
}

static void test_create_through_link_stays_inside(void **state)
{
	struct tree *t = *state;
	/* What bind_names does with etc/hosts, when etc leads to the host. */
	int fd = dome_open_in_root(t->root, "hostetc/hosts", O_CREAT | O_WRONLY, 0644);
	assert_int_equal(fd, -1);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/hosts", t->host);
	assert_int_equal(access(p, F_OK), -1);
}

static void test_rootperm(void **state)
{
	struct tree *t = *state;
	struct dome_rootperm_issue is[DOME_ROOTPERM_MAX];
	char p[PATH_MAX];
	assert_int_equal(chmod(t->root, 0711), 0);
	assert_int_equal(dome_rootperm_make(t->root, NULL), 0);
	struct stat st;
	snprintf(p, sizeof p, "%s/containers", t->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(dome_rootperm_check(t->root, is, DOME_ROOTPERM_MAX), 0);
	assert_int_equal(chmod(p, 0755), 0);
	snprintf(p, sizeof p, "%s/images", t->root);
	assert_int_equal(chmod(p, 0750), 0);
	assert_int_equal(dome_rootperm_check(t->root, is, DOME_ROOTPERM_MAX), 2);
	assert_true(is[0].repairable && is[1].repairable);
	assert_non_null(strstr(is[0].what, "0755"));
	for (int i = 0; i < 2; i++)
		assert_int_equal(dome_rootperm_repair(&is[i], NULL), 0);
	assert_int_equal(dome_rootperm_check(t->root, is, DOME_ROOTPERM_MAX), 0);
	/* A root writable by others is found too. */
	assert_int_equal(chmod(t->root, 0777), 0);
	assert_int_equal(dome_rootperm_check(t->root, is, DOME_ROOTPERM_MAX), 1);
	assert_int_equal(dome_rootperm_repair(&is[0], NULL), 0);
	assert_int_equal(stat(t->root, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_path_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_stay_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_through_link_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rootperm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
