/* Benchmark of a system container's boot and stop, dome against LXC, on the
 * same root filesystem (make bench; never part of make check).
 *
 *   bench/bench_boot [TARBALL] [RUNS]     (needs root and Debian's lxc)
 *
 * TARBALL is a Debian rootfs with systemd as /sbin/init (default: the one
 * tests/integration/test_systemd.sh caches, /var/cache/dome/
 * test-systemd-bookworm-busybox.tar: `dome image debian`'s output). It is
 * imported into a private state root once; dome's container and LXC's both
 * use that image directory as the lower layer of an overlay (LXC:
 * lxc.rootfs.path = overlay:IMAGE:UPPER, lxc.include common.conf,
 * lxc.signal.halt SIGRTMIN+3), network "none" / lxc.net.0.type = empty.
 * RUNS times (default 5) for each:
 *   boot    from the start command to `systemctl is-system-running` saying
 *           "running" (polled every 5 ms through dome exec / lxc-attach);
 *   memory  the container's cgroup memory use 3 s after that (v2
 *           memory.current, v1 memory.usage_in_bytes);
 *   stop    `dome stop` / `lxc-stop` (the halt signal, then the wait).
 * A fresh container each run (its upper layer empty), destroyed after.
 *
 * Everything lives in a private state root, LXC path and cgroup prefix
 * carrying this pid, removed at the end, also after SIGINT/SIGTERM.
 * Installs nothing: without lxc-start it says to install lxc and exits 2.
 *
 * Targets (issue 20): dome's median boot at most 0.5x LXC's, its stop at
 * most LXC's. Exits 1 when one is missed. */
#include "cgroup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_TARBALL "/var/cache/dome/test-systemd-bookworm-busybox.tar"
#define BOOT_TIMEOUT_MS 120000.0

struct bench {
	char root[PATH_MAX];     /* private state root */
	char lxcpath[PATH_MAX];
	char log[PATH_MAX];
	char exe[PATH_MAX];
	char image[PATH_MAX];    /* the imported image's directory */
	char prefix[64];
};

static int failures;

/* fork+execve (PATH lookup, no shell), output into `out` (NULL: the log). */
static int run_capture(const struct bench *b, char *const argv[], char *out, size_t len)
{
	int p[2] = { -1, -1 };
	if (out && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 2);
		dup2(out ? p[1] : fd, 1);
		if (null >= 0)
			dup2(null, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	size_t got = 0;
	if (out) {
		close(p[1]);
		for (ssize_t n; got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) != 0;)
			if (n > 0)
				got += (size_t)n;
			else if (errno != EINTR)
				break;
		out[got] = '\0';
		close(p[0]);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool run_ok(const struct bench *b, char *const argv[])
{
	return run_capture(b, argv, NULL, 0) == 0;
}

static bool have_program(const char *name)
{
	char p[PATH_MAX];
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (snprintf(p, sizeof p, "%s/%s", dirs[i], name) < (int)sizeof p && access(p, X_OK) == 0)
			return true;
	return false;
}

/* ms from now until `probe` prints "running", or < 0 after the timeout. */
static double wait_running(const struct bench *b, char *const probe[], double t0)
{
	char out[128];
	while (!bench_interrupted && bench_now_ms() - t0 < BOOT_TIMEOUT_MS) {
		if (run_capture(b, probe, out, sizeof out) == 0 && strncmp(out, "running", 7) == 0)
			return bench_now_ms() - t0;
		usleep(5000);
	}
	return -1;
}

static uint64_t read_u64(const char *path)
{
	char buf[64];
	return dome_read_small(path, buf, sizeof buf) > 0 ? strtoull(buf, NULL, 10) : 0;
}

/* The memory use of the cgroup at `rel` under the memory hierarchy. */
static uint64_t cgroup_memory(const char *rel)
{
	char path[PATH_MAX];
	enum dome_cgroup_layout layout;
	struct dome_error err;
	if (dome_cgroup_detect(&layout, &err) < 0)
		return 0;
	if (layout == DOME_CGROUP_V2)
		snprintf(path, sizeof path, "/sys/fs/cgroup/%s/memory.current", rel);
	else
		snprintf(path, sizeof path, "/sys/fs/cgroup/memory/%s/memory.usage_in_bytes", rel);
	return read_u64(path);
}

struct run_result {
	double boot, stop;
	uint64_t memory;
};

static int dome_run(struct bench *b, int i, struct run_result *r)
{
	char name[64], rel[128];
	snprintf(name, sizeof name, "bb%d-%d", (int)getpid() % 100000, i);
	snprintf(rel, sizeof rel, "%s/%s", b->prefix, name);
	char *const create[] = { b->exe, "create", name, "--image", "bb", "--net", "none", NULL };
	char *const start[] = { b->exe, "start", name, NULL };
	char *const probe[] = { b->exe, "exec", name, "--", "systemctl", "is-system-running", NULL };
	char *const stop[] = { b->exe, "stop", name, "--timeout", "60", NULL };
	char *const destroy[] = { b->exe, "destroy", "--force", name, NULL };
	if (!run_ok(b, create))
		return -1;
	double t0 = bench_now_ms();
	int rc = run_ok(b, start) ? 0 : -1;
	if (rc == 0 && (r->boot = wait_running(b, probe, t0)) < 0)
		rc = -1;
	if (rc == 0) {
		sleep(3);
		r->memory = cgroup_memory(rel);
		double t1 = bench_now_ms();
		rc = run_ok(b, stop) ? 0 : -1;
		r->stop = bench_now_ms() - t1;
	}
	run_ok(b, destroy);
	return rc;
}

static int lxc_run(struct bench *b, int i, struct run_result *r)
{
	char name[64], dir[PATH_MAX], upper[PATH_MAX], conf[PATH_MAX], text[2 * PATH_MAX + 512], rel[128];
	snprintf(name, sizeof name, "lb%d-%d", (int)getpid() % 100000, i);
	snprintf(rel, sizeof rel, "lxc.payload.%s", name);
	if (dome_pathf(dir, sizeof dir, "%s/%s", b->lxcpath, name) < 0 ||
	    dome_pathf(upper, sizeof upper, "%s/delta", dir) < 0 ||
	    dome_pathf(conf, sizeof conf, "%s/config", dir) < 0)
		return -1;
	struct dome_error err;
	if (dome_mkdir_p(upper, 0755, &err) < 0)
		return -1;
	snprintf(text, sizeof text,
		 "lxc.include = /usr/share/lxc/config/common.conf\n"
		 "lxc.arch = linux64\n"
		 "lxc.rootfs.path = overlay:%s:%s\n"
		 "lxc.uts.name = %s\n"
		 "lxc.net.0.type = empty\n"
		 "lxc.signal.halt = SIGRTMIN+3\n"
		 "lxc.tty.max = 0\n",
		 b->image, upper, name);
	if (dome_write_file(conf, text, strlen(text), 0644, &err) < 0)
		return -1;
	char *p = b->lxcpath;
	char *const start[] = { "lxc-start", "-P", p, "-n", name, "-d", NULL };
	char *const probe[] = { "lxc-attach", "-P", p, "-n", name, "--", "systemctl",
				"is-system-running", NULL };
	char *const stop[] = { "lxc-stop", "-P", p, "-n", name, "-t", "60", NULL };
	char *const kill[] = { "lxc-stop", "-P", p, "-n", name, "-k", NULL };
	double t0 = bench_now_ms();
	int rc = run_ok(b, start) ? 0 : -1;
	if (rc == 0 && (r->boot = wait_running(b, probe, t0)) < 0)
		rc = -1;
	if (rc == 0) {
		sleep(3);
		r->memory = cgroup_memory(rel);
		double t1 = bench_now_ms();
		rc = run_ok(b, stop) ? 0 : -1;
		r->stop = bench_now_ms() - t1;
	}
	if (rc < 0)
		run_ok(b, kill);
	struct dome_error ignored;
	dome_rm_rf(dir, &ignored);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct figures {
	double boot, stop, memory_mib;
};

static int series(struct bench *b, bool lxc, int runs, struct figures *f)
{
	double boot[runs], stop[runs], mem[runs];
	for (int i = 0; i < runs; i++) {
		struct run_result r = { 0 };
		if (bench_interrupted || (lxc ? lxc_run(b, i, &r) : dome_run(b, i, &r)) < 0) {
			fprintf(stderr, "bench: %s run %d failed; see %s\n", lxc ? "LXC" : "dome", i, b->log);
			return -1;
		}
		boot[i] = r.boot;
		stop[i] = r.stop;
		mem[i] = (double)r.memory / (1024.0 * 1024.0);
		printf("  %-4s run %d: boot %7.1f ms  stop %7.1f ms  memory %6.1f MiB\n",
		       lxc ? "LXC" : "dome", i + 1, r.boot, r.stop, mem[i]);
		fflush(stdout);
	}
	f->boot = median(boot, runs);
	f->stop = median(stop, runs);
	f->memory_mib = median(mem, runs);
	return 0;
}

static void check(const char *what, double ratio, double limit)
{
	bool met = ratio <= limit;
	printf("%-34s %6.2fx LXC   (target <= %.1fx)  %s\n", what, ratio, limit, met ? "met" : "MISSED");
	failures += !met;
}

static void cleanup(struct bench *b)
{
	struct dome_error ignored;
	dome_rm_rf(b->lxcpath, &ignored);
	dome_rm_rf(b->root, &ignored);
	dome_cgroup_remove_prefix(b->prefix, &ignored);
}

int main(int argc, char **argv)
{
	const char *tarball = argc > 1 ? argv[1] : DEFAULT_TARBALL;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (runs < 1 || runs > 100) {
		fprintf(stderr, "usage: bench_boot [TARBALL] [RUNS 1..100]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_boot: needs root\n");
		return 2;
	}
	if (!have_program("lxc-start") || !have_program("lxc-attach")) {
		fprintf(stderr, "bench_boot: LXC is the comparison: apt-get install lxc "
			"(bench/README.md)\n");
		return 2;
	}
	if (access(tarball, R_OK) < 0) {
		fprintf(stderr, "bench_boot: no rootfs tarball %s (make check builds it: "
			"tests/integration/test_systemd.sh)\n", tarball);
		return 2;
	}
	struct bench b = { 0 };
	if (bench_find_dome_exe("bench_boot", b.exe, sizeof b.exe) < 0)
		return 2;
	snprintf(b.root, sizeof b.root, "/tmp/dome-bench-boot-XXXXXX");
	if (!mkdtemp(b.root)) {
		perror("bench_boot: mkdtemp");
		return 2;
	}
	bench_catch_signals();
	snprintf(b.prefix, sizeof b.prefix, "dome-bb-%d", (int)getpid());
	dome_pathf(b.lxcpath, sizeof b.lxcpath, "%s/lxc", b.root);
	dome_pathf(b.log, sizeof b.log, "%s.log", b.root);
	dome_pathf(b.image, sizeof b.image, "%s/state/images/bb", b.root);
	char state[PATH_MAX], conf[PATH_MAX];
	dome_pathf(state, sizeof state, "%s/state", b.root);
	dome_pathf(conf, sizeof conf, "%s/dome.conf", b.root);
	struct dome_error err;
	dome_write_file(conf, "", 0, 0644, &err);
	setenv("DOME_ROOT", state, 1);
	setenv("DOME_CONFIG", conf, 1);
	setenv("DOME_CGROUP_PREFIX", b.prefix, 1);
	setenv("DOME_EXE", b.exe, 1);
	mkdir(b.lxcpath, 0755);

	int rc = 2;
	char *const import[] = { b.exe, "image", "import", "bb", (char *)tarball, NULL };
	struct figures d, l;
	printf("bench_boot: Debian with systemd from %s, %d runs each (log %s)\n", tarball, runs, b.log);
	if (!run_ok(&b, import)) {
		fprintf(stderr, "bench_boot: importing %s failed; see %s\n", tarball, b.log);
	} else if (series(&b, false, runs, &d) == 0 && series(&b, true, runs, &l) == 0) {
		printf("\n%-34s %10s %10s\n", "median", "dome", "LXC");
		printf("%-34s %7.1f ms %7.1f ms\n", "boot to running", d.boot, l.boot);
		printf("%-34s %7.1f ms %7.1f ms\n", "stop", d.stop, l.stop);
		printf("%-34s %6.1f MiB %6.1f MiB\n\n", "idle memory (cgroup)", d.memory_mib, l.memory_mib);
		check("boot to running", d.boot / l.boot, 0.5);
		check("stop", d.stop / l.stop, 1.0);
		printf("%-34s %6.2fx LXC   (reported)\n", "idle memory", d.memory_mib / l.memory_mib);
		rc = failures ? 1 : 0;
	}
	cleanup(&b);
	return rc;
}
