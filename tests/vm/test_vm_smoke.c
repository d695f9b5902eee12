/* The VM harness's own proof (run by `make check-vm`, inside the VM only):
 * the guest is a pure cgroup v2 system where the kernel features dome's
 * integration tests rely on really work: a memory limit ends in an OOM kill,
 * freezing stops a process and thawing resumes it, cgroup.kill empties a
 * subtree, and a network namespace reached through a veth on a bridge
 * answers a ping. On a hybrid or v1 host this test fails by design at the
 * first check (it is not in `make check`). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROOT "/sys/fs/cgroup"
#define MAX_CHILDREN 4

extern char **environ;

/* Everything a test made, so the teardown can remove it even when an
 * assertion jumped out of the test half way. */
static struct {
	char base[128];		/* CGROOT/dome-vmsmoke-PID */
	pid_t children[MAX_CHILDREN];
	char netns[32], bridge[16], veth_host[16];
} made;

static void path_in_base(char *out, size_t size, const char *rel)
{
	int n = snprintf(out, size, "%s/%s", made.base, rel);
	assert_true(n > 0 && (size_t)n < size);
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	buf[n] = '\0';
}

/* The value of `key` in a flat-keyed file (memory.events, cgroup.events). */
static long keyed_value(const char *path, const char *key)
{
	char buf[4096];
	read_file(path, buf, sizeof buf);
	size_t klen = strlen(key);
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtol(line + klen + 1, NULL, 10);
	fail_msg("%s has no key %s:\n%s", path, key, buf);
	return -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Polls `path` until `key` has `want`; false after `timeout_ms`. */
static bool wait_keyed(const char *path, const char *key, long want, long timeout_ms)
{
	for (long waited = 0; waited <= timeout_ms; waited += 10) {
		if (keyed_value(path, key) == want)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* waitpid bounded by `timeout_ms`; the child is SIGKILLed when it runs over. */
static int wait_child(pid_t pid, long timeout_ms)
{
	int status = 0;
	for (long waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		assert_int_equal(r, 0);
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("process %d did not finish within %ld ms", (int)pid, timeout_ms);
	return -1;
}

static void remember_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (made.children[i] == 0) {
			made.children[i] = pid;
			return;
		}
	fail_msg("too many children");
}

static void forget_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (made.children[i] == pid)
			made.children[i] = 0;
}

/* fork; the child joins cgroup `rel` (under the base), tells the parent over
 * a pipe, and runs `body`. Returns in the parent once the child is in. */
static pid_t spawn_in_cgroup(const char *rel, void (*body)(void *), void *arg)
{
	char procs[256];
	int n = snprintf(procs, sizeof procs, "%s/%s/cgroup.procs", made.base, rel);
	assert_true(n > 0 && (size_t)n < sizeof procs);
	int ready[2];
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		if (write_file(procs, "0") < 0)
			_exit(3);
		char c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(3);
		close(ready[1]);
		body(arg);
		_exit(0);
	}
	remember_child(pid);
	close(ready[1]);
	char c;
	ssize_t got = read(ready[0], &c, 1);
	close(ready[0]);
	if (got != 1)
		fail_msg("child could not join cgroup %s", rel);
	return pid;
}

/* fork+execve of argv[0] looked up in PATH; its exit status (bounded).
 * `quiet` sends its output to /dev/null (for checks expected to fail). */
static int run_argv(const char *const argv[], bool quiet)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			if (quiet) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		execvpe(argv[0], (char *const *)argv, environ);
		_exit(127);
	}
	int status = wait_child(pid, 30000);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(const char *const argv[])
{
	return run_argv(argv, false);
}

static void make_cgroup(const char *rel)
{
	char path[256];
	path_in_base(path, sizeof path, rel);
	if (mkdir(path, 0755) < 0)
		fail_msg("cannot create cgroup %s: %s", path, strerror(errno));
}

/* ---- fixture ---- */

static int remove_cgroup_dir(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	struct statfs sfs;
	if (statfs(CGROOT, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr, "%s is not cgroup2: this test runs in the VM (make check-vm)\n",
			CGROOT);
		return -1;
	}
	snprintf(made.base, sizeof made.base, CGROOT "/dome-vmsmoke-%d", (int)getpid());
	if (mkdir(made.base, 0755) < 0) {
		fprintf(stderr, "cannot create %s: %s\n", made.base, strerror(errno));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (made.base[0])
		nftw(made.base, remove_cgroup_dir, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* After each test: kill and reap what it started, empty the base cgroup,
 * remove the network objects. */
static int test_teardown(void **state)
{
	(void)state;
	char path[256];
	path_in_base(path, sizeof path, "cgroup.kill");
	write_file(path, "1");
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (made.children[i] > 0) {
			kill(made.children[i], SIGKILL);
			waitpid(made.children[i], NULL, 0);
			made.children[i] = 0;
		}
	path_in_base(path, sizeof path, "cgroup.events");
	wait_keyed(path, "populated", 0, 5000);
	DIR *dir = opendir(made.base);
	if (dir) {
		struct dirent *de;
		while ((de = readdir(dir)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.') {
				char sub[512];
				snprintf(sub, sizeof sub, "%s/%s", made.base, de->d_name);
				nftw(sub, remove_cgroup_dir, 16, FTW_DEPTH | FTW_PHYS);
			}
		closedir(dir);
	}
	if (made.bridge[0])
		run_argv((const char *const[]){ "ip", "link", "del", made.bridge, NULL }, true);
	if (made.veth_host[0])
		run_argv((const char *const[]){ "ip", "link", "del", made.veth_host, NULL }, true);
	if (made.netns[0])
		run_argv((const char *const[]){ "ip", "netns", "del", made.netns, NULL }, true);
	made.bridge[0] = made.veth_host[0] = made.netns[0] = '\0';
	return 0;
}

/* ---- tests ---- */

static void test_root_is_cgroup2(void **state)
{
	(void)state;
	struct statfs sfs;
	assert_int_equal(statfs(CGROOT, &sfs), 0);
	assert_true(sfs.f_type == CGROUP2_SUPER_MAGIC);
	char buf[256];
	read_file("/proc/self/cgroup", buf, sizeof buf);
	/* One line: the process is in the v2 hierarchy and nothing else. */
	assert_true(strncmp(buf, "0::/", 4) == 0);
	char *eol = strchr(buf, '\n');
	assert_non_null(eol);
	assert_string_equal(eol + 1, "");
	read_file(CGROOT "/cgroup.controllers", buf, sizeof buf);
	for (const char *c = "cpu\0memory\0pids\0io\0"; *c; c += strlen(c) + 1)
		if (!strstr(buf, c))
			fail_msg("controller %s is missing from %s: %s", c, CGROOT, buf);
}

static void test_no_v1_hierarchies(void **state)
{
	(void)state;
	/* No cgroup (v1) mount anywhere... */
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	assert_non_null(mi);
	char line[1024];
	while (fgets(line, sizeof line, mi)) {
		const char *sep = strstr(line, " - ");
		if (sep && strncmp(sep + 3, "cgroup ", 7) == 0) {
			fclose(mi);
			fail_msg("a cgroup v1 hierarchy is mounted: %s", line);
		}
	}
	fclose(mi);
	/* ...and the kernel binds no controller to a v1 hierarchy
	 * (/proc/cgroups: name, hierarchy id, cgroups, enabled). */
	FILE *pc = fopen("/proc/cgroups", "re");
	assert_non_null(pc);
	int controllers = 0;
	while (fgets(line, sizeof line, pc)) {
		char name[64];
		int hierarchy;
		if (line[0] == '#' || sscanf(line, "%63s %d", name, &hierarchy) != 2)
			continue;
		controllers++;
		if (hierarchy != 0) {
			fclose(pc);
			fail_msg("controller %s is on v1 hierarchy %d", name, hierarchy);
		}
	}
	fclose(pc);
	assert_true(controllers > 0);
}

static void touch_memory(void *arg)
{
	size_t size = *(size_t *)arg;
	volatile char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		_exit(4);
	for (size_t off = 0; off < size; off += 4096)
		mem[off] = 1;
	_exit(0); /* reached only when the limit did not hold */
}

static void test_memory_max_oom_kill(void **state)
{
	(void)state;
	char path[256];
	path_in_base(path, sizeof path, "cgroup.subtree_control");
	assert_int_equal(write_file(path, "+memory"), 0);
	make_cgroup("mem");
	path_in_base(path, sizeof path, "mem/memory.max");
	assert_int_equal(write_file(path, "33554432"), 0); /* 32 MiB */
	path_in_base(path, sizeof path, "mem/memory.swap.max");
	write_file(path, "0"); /* absent without swap accounting: fine either way */

	size_t size = 256u << 20;
	pid_t pid = spawn_in_cgroup("mem", touch_memory, &size);
	int status = wait_child(pid, 60000);
	forget_child(pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("touching 256 MiB under memory.max=32M should end in SIGKILL; status %#x",
			 status);
	path_in_base(path, sizeof path, "mem/memory.events");
	assert_true(keyed_value(path, "oom_kill") >= 1);
	assert_true(keyed_value(path, "max") >= 1);
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
	make_cgroup("frz");
	volatile uint64_t *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(counter != MAP_FAILED);
	*counter = 0;
	spawn_in_cgroup("frz", count_forever, (void *)counter);
	char freeze[256], events[256];
	path_in_base(freeze, sizeof freeze, "frz/cgroup.freeze");
	path_in_base(events, sizeof events, "frz/cgroup.events");
	for (int i = 0; i < 500 && *counter == 0; i++)
		sleep_ms(10);
	assert_true(*counter > 0);

	assert_int_equal(write_file(freeze, "1"), 0);
	assert_true(wait_keyed(events, "frozen", 1, 10000));
	uint64_t before = *counter;
	sleep_ms(300);
	assert_true(*counter == before);

	assert_int_equal(write_file(freeze, "0"), 0);
	assert_true(wait_keyed(events, "frozen", 0, 10000));
	for (int i = 0; i < 500 && *counter == before; i++)
		sleep_ms(10);
	assert_true(*counter > before);
	munmap((void *)counter, 4096);
}

static void wait_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

static void test_cgroup_kill_nested(void **state)
{
	(void)state;
	make_cgroup("kil");
	make_cgroup("kil/sub");
	pid_t top = spawn_in_cgroup("kil", wait_forever, NULL);
	pid_t nested = spawn_in_cgroup("kil/sub", wait_forever, NULL);
	char path[256];
	path_in_base(path, sizeof path, "kil/cgroup.events");
	assert_int_equal(keyed_value(path, "populated"), 1);

	char kill_file[256];
	path_in_base(kill_file, sizeof kill_file, "kil/cgroup.kill");
	assert_int_equal(write_file(kill_file, "1"), 0);
	pid_t pids[] = { top, nested };
	for (int i = 0; i < 2; i++) {
		int status = wait_child(pids[i], 10000);
		forget_child(pids[i]);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	assert_true(wait_keyed(path, "populated", 0, 5000));
}

static void test_netns_veth_bridge_ping(void **state)
{
	(void)state;
	int pid = (int)getpid();
	snprintf(made.netns, sizeof made.netns, "vsmoke%d", pid);
	snprintf(made.bridge, sizeof made.bridge, "vsb%d", pid);
	snprintf(made.veth_host, sizeof made.veth_host, "vsh%d", pid);
	char peer[16];
	snprintf(peer, sizeof peer, "vsp%d", pid);
	const char *ns = made.netns, *br = made.bridge, *vh = made.veth_host;

	assert_int_equal(run((const char *const[]){ "ip", "netns", "add", ns, NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "link", "add", br, "type", "bridge", NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "link", "add", vh, "type", "veth",
						    "peer", "name", peer, NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "link", "set", peer, "netns", ns, NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "link", "set", vh, "master", br, "up", NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "addr", "add", "10.231.0.1/24", "dev", br, NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "link", "set", br, "up", NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "-n", ns, "addr", "add", "10.231.0.2/24",
						    "dev", peer, NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "-n", ns, "link", "set", peer, "up", NULL }), 0);
	assert_int_equal(run((const char *const[]){ "ip", "-n", ns, "link", "set", "lo", "up", NULL }), 0);
	/* The peer left this namespace... */
	assert_int_not_equal(run_argv((const char *const[]){ "ip", "link", "show", peer, NULL }, true), 0);
	/* ...and answers through the bridge (the bridge's port needs a moment
	 * to forward: a few tries). */
	int rc = -1;
	for (int i = 0; i < 5 && rc != 0; i++)
		rc = run((const char *const[]){ DOME_BUSYBOX, "ping", "-c", "1", "-W", "2",
						"10.231.0.2", NULL });
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_is_cgroup2),
		cmocka_unit_test(test_no_v1_hierarchies),
		cmocka_unit_test_teardown(test_memory_max_oom_kill, test_teardown),
		cmocka_unit_test_teardown(test_freeze_and_thaw, test_teardown),
		cmocka_unit_test_teardown(test_cgroup_kill_nested, test_teardown),
		cmocka_unit_test_teardown(test_netns_veth_bridge_ping, test_teardown),
	};
	return cmocka_run_group_tests_name("vm_smoke", tests, group_setup, group_teardown);
}
