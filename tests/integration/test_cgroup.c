/* The cgroup drivers against the running kernel (needs root). Whatever the
 * layout (hybrid here, pure v2 in the VM harness), the test detects it and
 * checks the files a user would look at. Every cgroup lives under the
 * prefix dome-test-<pid>; the group teardown kills and removes them all,
 * also after a failed assertion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "cgroup_driver.h" /* for the weight conversion the files must show */

static char prefix[64], list_prefix[64];
static enum dome_cgroup_layout layout;

/* ---- where a user would look ---- */

static bool is_cgroup_fs(const char *path, long magic)
{
	struct statfs s;
	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

static const char *v2_mount(void)
{
	return is_cgroup_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? "/sys/fs/cgroup"
								  : "/sys/fs/cgroup/unified";
}

/* The container dir of controller `ctrl` (v1) or the cgroup2 dir (ctrl NULL
 * or on v2), into `out`. */
static const char *dir_for(char out[PATH_MAX], const char *ctrl, const char *name)
{
	if (layout == DOME_CGROUP_V2 || !ctrl)
		snprintf(out, PATH_MAX, "%s/%s/%s", v2_mount(), prefix, name);
	else
		snprintf(out, PATH_MAX, "/sys/fs/cgroup/%s/%s/%s", ctrl, prefix, name);
	return out;
}

static const char *read_file(const char *dir, const char *file)
{
	static char buf[4][512];
	static int next;
	char *out = buf[next++ % 4];
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	size_t n = fread(out, 1, 511, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every dir the container should have in this layout. */
static size_t expected_dirs(const char *name, const char *out[16])
{
	static const char *const ctrls[] = { "cpu", "cpuacct", "cpuset", "memory",
					     "pids", "blkio", "freezer", "devices" };
	static char bufs[9][PATH_MAX];
	size_t n = 0;
	if (layout != DOME_CGROUP_V1)
		out[n++] = dir_for(bufs[8], NULL, name);
	if (layout == DOME_CGROUP_V2)
		return n;
	for (size_t i = 0; i < 8; i++) {
		char mnt[64];
		snprintf(mnt, sizeof mnt, "/sys/fs/cgroup/%s", ctrls[i]);
		if (!is_cgroup_fs(mnt, CGROUP_SUPER_MAGIC))
			continue;
		snprintf(bufs[i], PATH_MAX, "%s/%s/%s", mnt, prefix, name);
		out[n++] = bufs[i];
	}
	return n;
}

/* The file holding the memory+swap limit, or NULL without swap accounting. */
static const char *swap_file(const char *name, char dir[PATH_MAX])
{
	dir_for(dir, "memory", name);
	const char *file = layout == DOME_CGROUP_V2 ? "memory.swap.max"
						    : "memory.memsw.limit_in_bytes";
	return has_file(dir, file) ? file : NULL;
}

/* ---- processes in the cgroup ---- */

/* Fork a child that waits until it is attached, then runs fn(arg). */
static pid_t spawn_in(struct dome_cgroup *cg, void (*fn)(void *), void *arg)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		fn(arg);
		_exit(0); /* _exit: no atexit handlers, no leak checker thread */
	}
	close(p[0]);
	struct dome_error err;
	int rc = dome_cgroup_attach(cg, pid, &err);
	if (rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("attach: %s", err.msg);
	}
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static struct dome_cgroup *make(const char *name)
{
	struct dome_error err;
	struct dome_cgroup *cg = dome_cgroup_create(prefix, name, false, &err);
	if (!cg)
		fail_msg("create %s: %s", name, err.msg);
	return cg;
}

static void kill_and_destroy(struct dome_cgroup *cg)
{
	struct dome_error err;
	if (dome_cgroup_kill_all(cg, &err) < 0)
		fail_msg("kill_all: %s", err.msg);
	if (dome_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	dome_cgroup_free(cg);
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* ---- tests ---- */

static void test_layout(void **state)
{
	(void)state;
	/* What /sys/fs/cgroup is decides the layout, checked independently. */
	if (is_cgroup_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
		assert_int_equal(layout, DOME_CGROUP_V2);
	else if (is_cgroup_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC))
		assert_int_equal(layout, is_cgroup_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)
					 ? DOME_CGROUP_HYBRID : DOME_CGROUP_V1);
	print_message("# cgroup layout: %s\n", dome_cgroup_layout_name(layout));
}

static void test_create_open_destroy(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("life");
	const char *dirs[16];
	size_t n = expected_dirs("life", dirs);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		if (!is_dir(dirs[i]))
			fail_msg("%s was not made", dirs[i]);
	if (layout != DOME_CGROUP_V2) {
		/* v1 cpuset: a new cgroup must inherit CPUs and memory nodes. */
		char d[PATH_MAX];
		dir_for(d, "cpuset", "life");
		assert_string_not_equal(read_file(d, "cpuset.cpus"), "");
		assert_string_not_equal(read_file(d, "cpuset.mems"), "");
	}
	/* A second create is refused unless adopting. */
	assert_null(dome_cgroup_create(prefix, "life", false, &err));
	assert_non_null(strstr(err.msg, "exists already"));
	struct dome_cgroup *again = dome_cgroup_create(prefix, "life", true, &err);
	assert_non_null(again);
	dome_cgroup_free(again);
	struct dome_cgroup *opened = dome_cgroup_open(prefix, "life", &err);
	assert_non_null(opened);
	dome_cgroup_free(opened);
	/* Hostile names never reach the filesystem. */
	assert_null(dome_cgroup_create(prefix, "../x", false, &err));
	assert_int_equal(err.status, DOME_E_USAGE);

	assert_int_equal(dome_cgroup_destroy(cg, &err), 0);
	dome_cgroup_free(cg);
	for (size_t i = 0; i < n; i++)
		if (is_dir(dirs[i]))
			fail_msg("%s is still there after destroy", dirs[i]);
	assert_null(dome_cgroup_open(prefix, "life", &err));
	assert_non_null(strstr(err.msg, "life"));
}

static void test_limits_read_back(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("lim");
	struct dome_limits l;
	dome_limits_init(&l);
	l.memory = 256ULL << 20;
	char swdir[PATH_MAX], mem[PATH_MAX], cpu[PATH_MAX], pids[PATH_MAX], cpus[PATH_MAX];
	const char *swfile = swap_file("lim", swdir);
	if (swfile)
		l.memory_swap = 512ULL << 20;
	l.cpu_weight = 200;
	l.cpu_millis = 500;
	l.pids = 64;
	strcpy(l.cpuset, "0");
	if (dome_cgroup_apply_limits(cg, &l, &err) < 0)
		fail_msg("apply: %s", err.msg);

	dir_for(mem, "memory", "lim");
	dir_for(cpu, "cpu", "lim");
	dir_for(pids, "pids", "lim");
	dir_for(cpus, "cpuset", "lim");
	char want[64];
	if (layout == DOME_CGROUP_V2) {
		assert_string_equal(read_file(mem, "memory.max"), "268435456");
		if (swfile) /* v2 holds swap alone: 512M - 256M */
			assert_string_equal(read_file(swdir, swfile), "268435456");
		assert_string_equal(read_file(cpu, "cpu.weight"), "200");
		assert_string_equal(read_file(cpu, "cpu.max"), "50000 100000");
	} else {
		assert_string_equal(read_file(mem, "memory.limit_in_bytes"), "268435456");
		if (swfile)
			assert_string_equal(read_file(swdir, swfile), "536870912");
		snprintf(want, sizeof want, "%" PRIu64, dome_cg_weight_to_shares(200));
		assert_string_equal(read_file(cpu, "cpu.shares"), want);
		assert_string_equal(read_file(cpu, "cpu.cfs_quota_us"), "50000");
		assert_string_equal(read_file(cpu, "cpu.cfs_period_us"), "100000");
	}
	assert_string_equal(read_file(pids, "pids.max"), "64");
	assert_string_equal(read_file(cpus, "cpuset.cpus"), "0");

	struct dome_cgroup_stats st;
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_int_equal(st.memory_limit, 256ULL << 20);
	assert_int_equal(st.pids_limit, 64);
	assert_false(st.frozen);

	/* Unset limits go back to the kernel's unlimited and defaults. */
	dome_limits_init(&l);
	if (dome_cgroup_apply_limits(cg, &l, &err) < 0)
		fail_msg("apply unset: %s", err.msg);
	assert_string_equal(read_file(pids, "pids.max"), "max");
	if (layout == DOME_CGROUP_V2) {
		assert_string_equal(read_file(mem, "memory.max"), "max");
		assert_string_equal(read_file(cpu, "cpu.weight"), "100");
		assert_string_equal(read_file(cpu, "cpu.max"), "max 100000");
		assert_string_equal(read_file(cpus, "cpuset.cpus"), "");
	} else {
		assert_true(strtoull(read_file(mem, "memory.limit_in_bytes"), NULL, 10) >
			    (1ULL << 62));
		assert_string_equal(read_file(cpu, "cpu.shares"), "1024");
		assert_string_equal(read_file(cpu, "cpu.cfs_quota_us"), "-1");
		char parent[PATH_MAX];
		snprintf(parent, sizeof parent, "/sys/fs/cgroup/cpuset/%s", prefix);
		assert_string_equal(read_file(cpus, "cpuset.cpus"),
				    read_file(parent, "cpuset.cpus"));
	}
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_true(st.memory_limit == DOME_UNLIMITED);
	assert_int_equal(st.pids_limit, 0);
	kill_and_destroy(cg);
}

static void test_refused_value_restores(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("refuse");
	struct dome_limits l;
	dome_limits_init(&l);
	l.memory = 128ULL << 20;
	l.pids = 32;
	l.cpu_millis = 1500;
	assert_int_equal(dome_cgroup_apply_limits(cg, &l, &err), 0);

	l.memory = 64ULL << 20;
	l.pids = 16;
	l.cpu_millis = 250;
	strcpy(l.cpuset, "1000"); /* a CPU this machine does not have */
	assert_int_equal(dome_cgroup_apply_limits(cg, &l, &err), -1);
	print_message("# refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "cpuset.cpus"));
	assert_non_null(strstr(err.msg, "\"1000\""));
	assert_non_null(strstr(err.msg, "restored"));

	char mem[PATH_MAX], cpu[PATH_MAX], pids[PATH_MAX];
	dir_for(mem, "memory", "refuse");
	dir_for(cpu, "cpu", "refuse");
	assert_string_equal(read_file(dir_for(pids, "pids", "refuse"), "pids.max"), "32");
	if (layout == DOME_CGROUP_V2) {
		assert_string_equal(read_file(mem, "memory.max"), "134217728");
		assert_string_equal(read_file(cpu, "cpu.max"), "150000 100000");
	} else {
		assert_string_equal(read_file(mem, "memory.limit_in_bytes"), "134217728");
		assert_string_equal(read_file(cpu, "cpu.cfs_quota_us"), "150000");
	}
	kill_and_destroy(cg);
}

static void touch_a_lot(void *arg)
{
	size_t size = *(size_t *)arg;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(101);
	for (size_t off = 0; off < size; off += 4096)
		p[off] = 1;
	_exit(0);
}

static void test_memory_limit_enforced(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("oom");
	struct dome_limits l;
	dome_limits_init(&l);
	l.memory = 32ULL << 20;
	char swdir[PATH_MAX];
	if (swap_file("oom", swdir))
		l.memory_swap = l.memory; /* no way out through swap */
	assert_int_equal(dome_cgroup_apply_limits(cg, &l, &err), 0);
	size_t size = 256u << 20;
	pid_t pid = spawn_in(cg, touch_a_lot, &size);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	struct dome_cgroup_stats st;
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_true(st.oom_kills >= 1);
	assert_int_equal(st.memory_limit, 32ULL << 20);
	kill_and_destroy(cg);
}

/* Touch 16 MiB, say so through the shared flag, and wait to be killed. */
static void hold_memory(void *arg)
{
	volatile int *done = arg;
	size_t size = 16u << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(101);
	memset(p, 1, size);
	*done = 1;
	for (;;)
		pause();
}

static void test_memory_figures(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("memfig");
	volatile int *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(done != MAP_FAILED);
	spawn_in(cg, hold_memory, (void *)done);
	for (int i = 0; i < 5000 && !*done; i++)
		sleep_ms(1);
	assert_true(*done);
	struct dome_cgroup_stats st;
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	/* Pages touched after joining are charged to the container. */
	assert_true(st.memory_current >= (16u << 20));
	assert_true(st.memory_limit == DOME_UNLIMITED);
	assert_int_equal(st.pids_current, 1);
	kill_and_destroy(cg);
	reap();
	munmap((void *)done, 4096);
}

/* Fork until the kernel says no; the exit status is how many worked. */
static void fork_many(void *arg)
{
	int tries = *(int *)arg, ok = 0;
	for (int i = 0; i < tries; i++) {
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		if (c > 0)
			ok++;
		else if (errno != EAGAIN)
			_exit(102);
	}
	_exit(ok);
}

static void test_pids_limit_enforced(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("pids");
	struct dome_limits l;
	dome_limits_init(&l);
	l.pids = 5;
	assert_int_equal(dome_cgroup_apply_limits(cg, &l, &err), 0);
	int tries = 20;
	pid_t pid = spawn_in(cg, fork_many, &tries);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* The forking process itself is one of the 5. */
	assert_int_equal(WEXITSTATUS(status), 4);
	struct dome_cgroup_stats st;
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_int_equal(st.pids_current, 4); /* the paused grandchildren */
	kill_and_destroy(cg);
}

static void count_forever(void *arg)
{
	volatile uint64_t *counter = arg;
	for (;;)
		(*counter)++;
}

static void test_freeze_and_thaw(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("frz");
	volatile uint64_t *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(counter != MAP_FAILED);
	pid_t pid = spawn_in(cg, count_forever, (void *)counter);
	for (int i = 0; i < 1000 && *counter == 0; i++)
		sleep_ms(1);
	assert_true(*counter > 0);

	if (dome_cgroup_freeze(cg, true, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	bool frozen = false;
	assert_int_equal(dome_cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_true(frozen);
	struct dome_cgroup_stats st;
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_true(st.frozen);
	uint64_t at_freeze = *counter;
	sleep_ms(200);
	assert_int_equal(*counter, at_freeze); /* no progress while frozen */

	if (dome_cgroup_freeze(cg, false, &err) < 0)
		fail_msg("thaw: %s", err.msg);
	assert_int_equal(dome_cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_false(frozen);
	for (int i = 0; i < 1000 && *counter == at_freeze; i++)
		sleep_ms(1);
	assert_true(*counter > at_freeze); /* and progress again after thaw */
	/* The counting shows in the figures as CPU time. */
	assert_int_equal(dome_cgroup_stats(cg, &st, &err), 0);
	assert_true(st.cpu_usec > 0);
	assert_int_equal(st.pids_current, 1);
	assert_false(st.frozen);

	kill_and_destroy(cg);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	munmap((void *)counter, 4096);
}

static void fork_sleepers(void *arg)
{
	int n = *(int *)arg;
	for (int i = 0; i < n; i++)
		if (fork() == 0)
			break;
	for (;;)
		pause();
}

/* kill_all leaves no process, also when the cgroup is frozen (a frozen
 * process only dies once thawed). */
static void kill_all_case(const char *name, bool freeze_first)
{
	struct dome_error err;
	struct dome_cgroup *cg = make(name);
	int n = 5;
	pid_t pid = spawn_in(cg, fork_sleepers, &n);
	pid_t *pids = NULL;
	size_t count = 0;
	for (int i = 0; i < 1000; i++) {
		free(pids);
		assert_int_equal(dome_cgroup_pids(cg, &pids, &count, &err), 0);
		if (count == 6)
			break;
		sleep_ms(1);
	}
	free(pids);
	assert_int_equal(count, 6);
	if (freeze_first && dome_cgroup_freeze(cg, true, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	if (dome_cgroup_kill_all(cg, &err) < 0)
		fail_msg("kill_all: %s", err.msg);
	assert_int_equal(dome_cgroup_pids(cg, &pids, &count, &err), 0);
	free(pids);
	assert_int_equal(count, 0);
	const char *dirs[16];
	size_t nd = expected_dirs(name, dirs);
	for (size_t i = 0; i < nd; i++)
		assert_string_equal(read_file(dirs[i], "cgroup.procs"), "");
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(dome_cgroup_destroy(cg, &err), 0);
	dome_cgroup_free(cg);
	for (size_t i = 0; i < nd; i++)
		assert_false(is_dir(dirs[i]));
}

static void test_kill_all(void **state)
{
	(void)state;
	kill_all_case("kill", false);
}

static void test_kill_all_frozen(void **state)
{
	(void)state;
	kill_all_case("killfrz", true);
}

/* A system container's init moves itself and its services into cgroups it
 * makes under the container's (delegation): they are still the container's
 * processes, kill_all reaches them and destroy removes those cgroups too. */
static void enter_cgroup(void *arg)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.procs", (const char *)arg);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(101);
	close(fd);
	for (;;)
		pause();
}

static void test_delegated_subtree(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_cgroup *cg = make("subtree");
	char top[PATH_MAX], slice[PATH_MAX + 16], service[PATH_MAX + 32];
	dir_for(top, NULL, "subtree");
	snprintf(slice, sizeof slice, "%s/system.slice", top);
	snprintf(service, sizeof service, "%s/x.service", slice);
	assert_int_equal(mkdir(slice, 0755), 0);
	assert_int_equal(mkdir(service, 0755), 0);
	pid_t pid = spawn_in(cg, enter_cgroup, service);
	pid_t *pids = NULL;
	size_t count = 0;
	for (int i = 0; i < 1000; i++) {
		free(pids);
		pids = NULL;
		if (strstr(read_file(service, "cgroup.procs"), "\n"))
			break;
		sleep_ms(1);
	}
	assert_int_equal(dome_cgroup_pids(cg, &pids, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(pids[0], pid);
	free(pids);
	if (dome_cgroup_kill_all(cg, &err) < 0)
		fail_msg("kill_all: %s", err.msg);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (dome_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	dome_cgroup_free(cg);
	assert_false(is_dir(service));
	assert_false(is_dir(top));
}

static void test_list(void **state)
{
	(void)state;
	struct dome_error err;
	/* A prefix of its own, so a cgroup another test left behind after a
	 * failure does not show up here. */
	struct dome_cgroup *b = dome_cgroup_create(list_prefix, "b", false, &err);
	struct dome_cgroup *a = dome_cgroup_create(list_prefix, "a", false, &err);
	assert_non_null(a);
	assert_non_null(b);
	char **names;
	size_t n;
	assert_int_equal(dome_cgroup_list(list_prefix, &names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	kill_and_destroy(a);
	kill_and_destroy(b);
	assert_int_equal(dome_cgroup_list(list_prefix, &names, &n, &err), 0);
	assert_int_equal(n, 0);
	free(names);
	assert_int_equal(dome_cgroup_list("dome-test-none", &names, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* ---- setup and teardown ---- */

static int group_setup(void **state)
{
	(void)state;
	struct dome_error err;
	snprintf(prefix, sizeof prefix, "dome-test-%d", (int)getpid());
	snprintf(list_prefix, sizeof list_prefix, "dome-test-%d-list", (int)getpid());
	if (dome_cgroup_detect(&layout, &err) < 0) {
		fprintf(stderr, "detect: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Kill and remove every cgroup under `pfx`, then `pfx` itself. */
static int clean_prefix(const char *pfx)
{
	struct dome_error err;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	if (dome_cgroup_list(pfx, &names, &n, &err) < 0) {
		fprintf(stderr, "teardown list: %s\n", err.msg);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct dome_cgroup *cg = dome_cgroup_open(pfx, names[i], &err);
		if (cg && (dome_cgroup_kill_all(cg, &err) < 0 || dome_cgroup_destroy(cg, &err) < 0)) {
			fprintf(stderr, "teardown %s: %s\n", names[i], err.msg);
			rc = -1;
		}
		dome_cgroup_free(cg);
		free(names[i]);
	}
	free(names);
	reap();
	if (dome_cgroup_remove_prefix(pfx, &err) < 0) {
		fprintf(stderr, "teardown prefix: %s\n", err.msg);
		rc = -1;
	}
	return rc;
}

/* Runs after the tests, passed or failed: nothing of ours survives. */
static int group_teardown(void **state)
{
	(void)state;
	int rc = clean_prefix(prefix);
	return clean_prefix(list_prefix) < 0 ? -1 : rc;
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_cgroup needs root (it makes cgroups)\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_create_open_destroy),
		cmocka_unit_test(test_limits_read_back),
		cmocka_unit_test(test_refused_value_restores),
		cmocka_unit_test(test_memory_limit_enforced),
		cmocka_unit_test(test_memory_figures),
		cmocka_unit_test(test_pids_limit_enforced),
		cmocka_unit_test(test_freeze_and_thaw),
		cmocka_unit_test(test_kill_all),
		cmocka_unit_test(test_kill_all_frozen),
		cmocka_unit_test(test_delegated_subtree),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests_name("cgroup drivers", tests, group_setup, group_teardown);
}
