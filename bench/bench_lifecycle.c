/* Benchmark of the container lifecycle (make bench; never part of make check).
 *
 *   bench/bench_lifecycle [CYCLES]      (default 50; needs root)
 *
 * Times create -> start -> stop -> destroy of a busybox container (overlay,
 * every namespace, memory/cpus/pids limits, network mode "none": a new network
 * namespace with only lo) CYCLES times:
 *   - through the library (core/container.h), in this process;
 *   - through the dome binary, fork+execve per step, as a user runs it;
 *   - with LXC (lxc-copy -s, lxc-start -d, lxc-stop -k, lxc-destroy) when its
 *     tools are installed, on a container of the same shape;
 * then the same with networking (dome's default mode "bridge": a veth on a
 * private test bridge, an address leased, /etc/hosts written; LXC: a veth
 * on the same bridge with a static address), the polite stop (the image's
 * stop signal) for dome and LXC, the bare
 * cost of clone + overlay + proc + pivot_root + exec, and the PSS of dome's
 * monitor (and of LXC's, for comparison).
 *
 * Everything lives in a private state root (mktemp), cgroup prefix, LXC path,
 * bridge (dbbPID, on 10.253.X.0/24; no route leaves it) and container names
 * carrying this pid; all of it is removed at the end, also after a failure
 * or SIGINT/SIGTERM. Installs nothing.
 *
 * The monitor is the dome binary re-executed: DOME_EXE names it (default: the
 * `dome` beside the directory holding this program, i.e. the build dir).
 *
 * Targets (issue 3): dome's start and kill-stop each at most half of LXC's
 * median, start within 5x of the bare clone+mounts+exec, monitor PSS under
 * 1 MiB. Exits 1 when one is missed. */
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "inventory.h"
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The same shape for dome and LXC. */
#define LIMIT_MEMORY   (64ULL << 20)
#define LIMIT_CPU_MILLI 1000          /* one core */
#define LIMIT_PIDS     64
#define POLITE_CYCLES_MAX 10          /* a polite stop takes a busybox init's shutdown */

enum step { CREATE, START, STOP, DESTROY, NSTEPS };
static const char *const step_names[NSTEPS] = { "create", "start", "stop -k", "destroy" };

struct series {
	double *v;  /* ms */
	size_t n;
};

struct bench {
	int cycles;
	char root[PATH_MAX];        /* private state root */
	char config[PATH_MAX];      /* private dome.conf in it */
	char lxcpath[PATH_MAX];     /* LXC's -P */
	char log[PATH_MAX];         /* output of the programs run */
	char exe[PATH_MAX];         /* the dome binary */
	char prefix[64];            /* cgroup prefix */
	char bridge[16];            /* private bridge of the networked series */
	int subnet;                 /* its subnet: 10.253.<subnet>.0/24 */
	struct dome_ctx *ctx;
	bool lxc_template;          /* the LXC template exists (to destroy) */
};

static int failures;

/* ------------------------------------------------------------ statistics */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void series_add(struct series *s, double v)
{
	s->v[s->n++] = v;
}

/* Nearest-rank quantile of a sorted copy. */
static double quantile(const struct series *s, double q)
{
	if (s->n == 0)
		return 0;
	double *c = malloc(s->n * sizeof *c);
	if (!c)
		return 0;
	memcpy(c, s->v, s->n * sizeof *c);
	qsort(c, s->n, sizeof *c, cmp_double);
	double r = c[(size_t)(q * (double)(s->n - 1) + 0.5)];
	free(c);
	return r;
}

static double median(const struct series *s)
{
	return quantile(s, 0.5);
}

/* "median (p10-p90)" in a fixed width, or "-" when not measured. */
static void fmt_stat(char *out, size_t len, const struct series *s)
{
	if (s->n == 0)
		snprintf(out, len, "%s", "-");
	else
		snprintf(out, len, "%7.2f (%6.2f-%6.2f)", median(s), quantile(s, 0.1),
			 quantile(s, 0.9));
}

/* ------------------------------------------------------------- programs */

/* fork+execve (PATH lookup, no shell); output appended to the bench log.
 * Returns the wait status, or -1 when the program could not be run. */
static int run(const struct bench *b, char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (null >= 0)
			dup2(null, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static bool run_ok(const struct bench *b, char *const argv[])
{
	int st = run(b, argv);
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Time one program; < 0 when it failed. */
static double run_timed(const struct bench *b, char *const argv[])
{
	double t = bench_now_ms();
	if (!run_ok(b, argv)) {
		fprintf(stderr, "bench: `%s %s` failed; see %s\n", argv[0], argv[1] ? argv[1] : "",
			b->log);
		return -1;
	}
	return bench_now_ms() - t;
}

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], p[PATH_MAX];
	for (const char *s = path ? path : "/usr/bin:/bin"; *s;) {
		size_t n = strcspn(s, ":");
		snprintf(dir, sizeof dir, "%.*s", (int)n, s);
		dome_pathf(p, sizeof p, "%s/%s", dir, name);
		if (n > 0 && access(p, X_OK) == 0)
			return true;
		s += n + (s[n] == ':');
	}
	return false;
}

/* ------------------------------------------------------------ memory */

/* PSS and RSS of a process in KiB; false when it cannot be read. */
static bool proc_pss(pid_t pid, long *pss_kib, long *rss_kib)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	*pss_kib = *rss_kib = -1;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "Pss: %ld kB", pss_kib);
		sscanf(line, "Rss: %ld kB", rss_kib);
	}
	fclose(f);
	return *pss_kib >= 0;
}

/* True when the process maps the AddressSanitizer runtime. */
static bool proc_has_asan(pid_t pid)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "libasan") != NULL;
	fclose(f);
	return found;
}

/* start returns once init runs; the monitor may still be exec'ing itself
 * (until then it is a copy of this process). Wait until it is the monitor
 * program asleep in poll(), untimed, so its steady memory is what we read. */
static void monitor_settle(pid_t pid)
{
	char path[64], buf[512];
	for (int i = 0; i < 2000; i++) {
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
		bool exec_done = dome_read_small(path, buf, sizeof buf) > 0 &&
				 strcmp(buf, "dome-monitor") == 0;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		const char *st = dome_read_small(path, buf, sizeof buf) > 0 ? strrchr(buf, ')') : NULL;
		if (exec_done && st && st[1] == ' ' && st[2] == 'S')
			break;
		usleep(1000);
	}
	usleep(20 * 1000); /* and a moment in poll() */
}

/* LXC's monitor is the process named "[lxc monitor] LXCPATH NAME". */
static pid_t find_lxc_monitor(const struct bench *b, const char *name)
{
	char want[PATH_MAX + 96];
	snprintf(want, sizeof want, "[lxc monitor] %s %s", b->lxcpath, name);
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	pid_t found = 0;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[300], cmd[sizeof want];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		ssize_t n = dome_read_small(path, cmd, sizeof cmd);
		if (n > 0 && strcmp(cmd, want) == 0)
			found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------------------- dome */

static void limits(struct dome_limits *l)
{
	dome_limits_init(l);
	l->memory = LIMIT_MEMORY;
	l->cpu_millis = LIMIT_CPU_MILLI;
	l->pids = LIMIT_PIDS;
}

static void dome_name(char *out, size_t len, const char *kind, int i)
{
	snprintf(out, len, "b%d-%s%d", (int)getpid(), kind, i);
}

struct dome_cycle {
	double t[NSTEPS];
	long monitor_pss, monitor_rss;   /* KiB, -1 when not read */
	bool monitor_asan;
};

/* The monitor's PSS as a host with many containers sees it: PSS divides a
 * shared page among the processes mapping it, so one monitor alone carries
 * all of its libraries' pages, and each of N carries 1/N of them plus its
 * own private memory. Starts `n` containers, reads every monitor, removes
 * them again. */
#define PSS_AMONG 10
static int monitors_among(struct bench *b, int n, struct series *out)
{
	struct dome_error err;
	char names[PSS_AMONG][64];
	int made = 0, rc = 0;
	for (; made < n && made < PSS_AMONG && !bench_interrupted; made++) {
		dome_name(names[made], sizeof names[made], "pss", made);
		struct dome_create_spec spec = { .name = names[made], .image = "busybox",
						 .net_mode = "none", .start = true };
		limits(&spec.limits);
		if (dome_container_create(b->ctx, &spec, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			rc = -1;
			break;
		}
	}
	for (int i = 0; i < made && rc == 0; i++) {
		struct dome_container c;
		long pss, rss;
		if (dome_inv_find(b->ctx->store, names[i], &c, &err) == 1 && c.monitor_pid > 0) {
			monitor_settle((pid_t)c.monitor_pid);
			if (proc_pss((pid_t)c.monitor_pid, &pss, &rss))
				series_add(out, (double)pss);
		}
	}
	for (int i = 0; i < made; i++)
		dome_container_destroy(b->ctx, names[i], true, &err);
	return rc;
}

/* One cycle through the library; stop is kill or polite. */
static int dome_lib_cycle(struct bench *b, const char *name, const char *net, bool kill,
			  struct dome_cycle *out)
{
	struct dome_error err;
	struct dome_create_spec spec = { .name = name, .image = "busybox", .net_mode = net };
	limits(&spec.limits);
	double t0 = bench_now_ms();
	if (dome_container_create(b->ctx, &spec, &err) < 0)
		goto fail;
	double t1 = bench_now_ms();
	if (dome_container_start(b->ctx, name, &err) < 0)
		goto fail;
	double t2 = bench_now_ms();

	struct dome_container c;
	out->monitor_pss = out->monitor_rss = -1;
	if (dome_inv_find(b->ctx->store, name, &c, &err) == 1 && c.monitor_pid > 0) {
		monitor_settle((pid_t)c.monitor_pid);
		proc_pss((pid_t)c.monitor_pid, &out->monitor_pss, &out->monitor_rss);
		out->monitor_asan = proc_has_asan((pid_t)c.monitor_pid);
	}

	double t3 = bench_now_ms();
	if (dome_container_stop(b->ctx, name, kill ? 0 : 30, kill, &err) < 0)
		goto fail;
	double t4 = bench_now_ms();
	if (dome_container_destroy(b->ctx, name, false, &err) < 0)
		goto fail;
	double t5 = bench_now_ms();
	out->t[CREATE] = t1 - t0;
	out->t[START] = t2 - t1;
	out->t[STOP] = t4 - t3;
	out->t[DESTROY] = t5 - t4;
	return 0;
fail:
	fprintf(stderr, "bench: dome %s: %s\n", name, err.msg);
	return -1;
}

/* One cycle through the dome binary, as a user types it. */
static int dome_cli_cycle(struct bench *b, const char *name, const char *net,
			  struct dome_cycle *out)
{
	char mem[32], cpus[16], pids[16];
	snprintf(mem, sizeof mem, "%lluM", (unsigned long long)(LIMIT_MEMORY >> 20));
	snprintf(cpus, sizeof cpus, "%d", LIMIT_CPU_MILLI / 1000);
	snprintf(pids, sizeof pids, "%d", LIMIT_PIDS);
	char *n = (char *)name, *r = b->root, *c = b->config, *x = b->exe, *nm = (char *)net;
	char *const create[] = { x, "--root", r, "--config", c, "create", n, "--image", "busybox",
				 "--net", nm, "--memory", mem, "--cpus", cpus, "--pids", pids,
				 NULL };
	char *const start[] = { x, "--root", r, "--config", c, "start", n, NULL };
	char *const stop[] = { x, "--root", r, "--config", c, "stop", "--kill", n, NULL };
	char *const destroy[] = { x, "--root", r, "--config", c, "destroy", n, NULL };
	char *const *argv[NSTEPS] = { create, start, stop, destroy };
	for (int s = 0; s < NSTEPS; s++)
		if ((out->t[s] = run_timed(b, argv[s])) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------- LXC */

/* The templates: busybox, the same limits; "tmpl" with no network but lo
 * (type empty, like dome's "none"), "tmplnet" with a veth on the bench's
 * bridge and a static address (like dome's "bridge"; the bridge exists by
 * then: dome's networked cycles made it). Written for the host's cgroup
 * layout. */
static int lxc_template(struct bench *b, const char *name, bool net)
{
	char conf[PATH_MAX], netconf[256];
	dome_pathf(conf, sizeof conf, "%s/%s.conf", b->lxcpath, name);
	if (net)
		snprintf(netconf, sizeof netconf,
			 "lxc.net.0.type = veth\nlxc.net.0.link = %s\nlxc.net.0.flags = up\n"
			 "lxc.net.0.ipv4.address = 10.253.%d.200/24\n"
			 "lxc.net.0.ipv4.gateway = 10.253.%d.1\n", b->bridge, b->subnet, b->subnet);
	else
		snprintf(netconf, sizeof netconf, "lxc.net.0.type = empty\n");
	enum dome_cgroup_layout layout;
	struct dome_error err;
	if (dome_cgroup_detect(&layout, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return -1;
	}
	char text[1024];
	if (layout == DOME_CGROUP_V2)
		snprintf(text, sizeof text,
			 "%s"
			 "lxc.cgroup2.memory.max = %llu\n"
			 "lxc.cgroup2.cpu.max = %d 100000\n"
			 "lxc.cgroup2.pids.max = %d\n",
			 netconf, (unsigned long long)LIMIT_MEMORY, LIMIT_CPU_MILLI * 100, LIMIT_PIDS);
	else
		snprintf(text, sizeof text,
			 "%s"
			 "lxc.cgroup.memory.limit_in_bytes = %llu\n"
			 "lxc.cgroup.cpu.cfs_period_us = 100000\n"
			 "lxc.cgroup.cpu.cfs_quota_us = %d\n"
			 "lxc.cgroup.pids.max = %d\n",
			 netconf, (unsigned long long)LIMIT_MEMORY, LIMIT_CPU_MILLI * 100, LIMIT_PIDS);
	if (dome_write_file(conf, text, strlen(text), 0644, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return -1;
	}
	char *const argv[] = { "lxc-create", "-P", b->lxcpath, "-n", (char *)name, "-t", "busybox",
			       "-f", conf, NULL };
	b->lxc_template = true;
	if (!run_ok(b, argv)) {
		fprintf(stderr, "bench: lxc-create -t busybox failed; see %s\n", b->log);
		return -1;
	}
	return 0;
}

static int lxc_prepare(struct bench *b)
{
	return lxc_template(b, "tmpl", false) < 0 || lxc_template(b, "tmplnet", true) < 0 ? -1 : 0;
}

static int lxc_cycle(struct bench *b, const char *name, bool net, bool kill,
		     struct dome_cycle *out)
{
	char *n = (char *)name, *p = b->lxcpath, *t = net ? "tmplnet" : "tmpl";
	char *const copy[] = { "lxc-copy", "-P", p, "-n", t, "-N", n, "-s", NULL };
	char *const start[] = { "lxc-start", "-P", p, "-n", n, "-d", NULL };
	char *const stop_k[] = { "lxc-stop", "-P", p, "-n", n, "-k", NULL };
	char *const stop[] = { "lxc-stop", "-P", p, "-n", n, "-t", "30", NULL };
	char *const destroy[] = { "lxc-destroy", "-P", p, "-n", n, NULL };
	char *const *argv[NSTEPS] = { copy, start, kill ? stop_k : stop, destroy };
	out->monitor_pss = out->monitor_rss = -1;
	for (int s = 0; s < NSTEPS; s++) {
		if ((out->t[s] = run_timed(b, argv[s])) < 0)
			return -1;
		if (s == START) {
			pid_t m = find_lxc_monitor(b, name);
			if (m > 0)
				proc_pss(m, &out->monitor_pss, &out->monitor_rss);
		}
	}
	return 0;
}

/* ------------------------------------------------------- bare baseline */

struct bare_args {
	const char *lower, *upper, *work, *rootfs;
	int err_fd;
};

static int bare_child(void *arg)
{
	const struct bare_args *a = arg;
	char opts[PATH_MAX * 3 + 64], path[PATH_MAX];
	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", a->lower, a->upper,
		 a->work);
	snprintf(path, sizeof path, "%s/proc", a->rootfs);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("overlay", a->rootfs, "overlay", 0, opts) < 0 ||
	    mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    chdir(a->rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		_exit(126);
	char *const argv[] = { "/bin/true", NULL };
	char *const envp[] = { NULL };
	execve("/bin/true", argv, envp);
	(void)write(a->err_fd, "x", 1);
	_exit(127);
}

/* clone into new PID, mount, UTS, IPC and network namespaces, overlay of the
 * same image, proc, pivot_root, exec busybox true: timed to the exec, as
 * dome's start returns once init is exec'd. */
static double bare_once(struct bench *b, const char *lower, int i)
{
	char dir[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], rootfs[PATH_MAX];
	struct dome_error err;
	if (dome_pathf(dir, sizeof dir, "%s/bare/%d", b->root, i) < 0 ||
	    dome_pathf(upper, sizeof upper, "%s/upper", dir) < 0 ||
	    dome_pathf(work, sizeof work, "%s/work", dir) < 0 ||
	    dome_pathf(rootfs, sizeof rootfs, "%s/rootfs", dir) < 0 || dome_mkdir_p(upper, 0755, &err) < 0 || dome_mkdir_p(work, 0755, &err) < 0 ||
	    dome_mkdir_p(rootfs, 0755, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	struct bare_args a = { lower, upper, work, rootfs, p[1] };
	static char stack[256 * 1024] __attribute__((aligned(16)));
	double t = bench_now_ms();
	pid_t pid = clone(bare_child, stack + sizeof stack,
			  CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
			  SIGCHLD, &a);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	char c;
	ssize_t n = read(p[0], &c, 1); /* EOF: exec'd */
	t = bench_now_ms() - t;
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: the bare clone+mounts+exec failed (status %d)\n", status);
		return -1;
	}
	dome_rm_rf(dir, &err);
	return t;
}

/* ------------------------------------------------------------ cleanup */

/* Whatever this run left: dome containers, LXC containers, cgroups, files. */
static void cleanup(struct bench *b)
{
	struct dome_error err;
	if (b->ctx) {
		struct dome_container *list = NULL;
		size_t n = 0;
		if (dome_inv_list(b->ctx->store, &list, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				if (dome_container_destroy(b->ctx, list[i].name, true, &err) < 0)
					fprintf(stderr, "bench: cleanup: %s\n", err.msg);
		free(list);
		dome_close(b->ctx);
		b->ctx = NULL;
	}
	if (b->prefix[0] && dome_cgroup_remove_prefix(b->prefix, &err) < 0)
		fprintf(stderr, "bench: cleanup: %s\n", err.msg);
	if (b->lxcpath[0] && b->lxc_template) {
		DIR *d = opendir(b->lxcpath);
		for (struct dirent *e; d && (e = readdir(d));) {
			char cfg[PATH_MAX];
			dome_pathf(cfg, sizeof cfg, "%s/%s/config", b->lxcpath, e->d_name);
			if (e->d_name[0] == '.' || access(cfg, F_OK) < 0 ||
			    strncmp(e->d_name, "tmpl", 4) == 0)
				continue;
			char *const argv[] = { "lxc-destroy", "-f", "-P", b->lxcpath, "-n", e->d_name,
					       NULL };
			run(b, argv);
		}
		if (d)
			closedir(d);
		char *const argv[] = { "lxc-destroy", "-f", "-P", b->lxcpath, "-n", "tmpl", NULL };
		char *const argv_net[] = { "lxc-destroy", "-f", "-P", b->lxcpath, "-n", "tmplnet",
					   NULL };
		run(b, argv);
		run(b, argv_net);
	}
	/* The bench's own bridge (dome makes it, never removes it). */
	char *const del_bridge[] = { "ip", "link", "del", b->bridge, NULL };
	if (b->bridge[0]) {
		char path[PATH_MAX];
		dome_pathf(path, sizeof path, "/sys/class/net/%s", b->bridge);
		if (access(path, F_OK) == 0 && !run_ok(b, del_bridge))
			fprintf(stderr, "bench: cleanup: cannot remove bridge %s\n", b->bridge);
	}
	if (b->root[0] && dome_rm_rf(b->root, &err) < 0)
		fprintf(stderr, "bench: cleanup: %s\n", err.msg);
}

/* -------------------------------------------------------------- report */

static void check(const char *what, double value, double limit, const char *unit)
{
	bool ok = value <= limit;
	if (!ok)
		failures++;
	printf("  %-44s %9.2f %-4s target <= %8.2f %-4s %s\n", what, value, unit, limit, unit,
	       ok ? "ok" : "MISSED");
}

static void print_table(struct series dlib[NSTEPS], struct series dcli[NSTEPS],
			struct series lxc[NSTEPS])
{
	printf("\n  ms per step: median (p10-p90)\n");
	printf("  %-8s %-24s %-24s %-24s %8s %8s\n", "step", "dome (library)", "dome (CLI)", "LXC",
	       "lib/LXC", "CLI/LXC");
	for (int s = 0; s < NSTEPS; s++) {
		char a[48], c[48], l[48], r1[16] = "-", r2[16] = "-";
		fmt_stat(a, sizeof a, &dlib[s]);
		fmt_stat(c, sizeof c, &dcli[s]);
		fmt_stat(l, sizeof l, &lxc[s]);
		if (lxc[s].n && median(&lxc[s]) > 0) {
			snprintf(r1, sizeof r1, "%.2f", median(&dlib[s]) / median(&lxc[s]));
			if (dcli[s].n)
				snprintf(r2, sizeof r2, "%.2f", median(&dcli[s]) / median(&lxc[s]));
		}
		printf("  %-8s %-24s %-24s %-24s %8s %8s\n", step_names[s], a, c, l, r1, r2);
	}
}

/* ---------------------------------------------------------------- main */

static int setup(struct bench *b)
{
	snprintf(b->root, sizeof b->root, "/tmp/dome-bench.XXXXXX");
	if (!mkdtemp(b->root)) {
		b->root[0] = '\0';
		fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	snprintf(b->prefix, sizeof b->prefix, "dome-bench-%d", (int)getpid());
	/* The root is a short mkdtemp name: these always fit. */
	dome_pathf(b->config, sizeof b->config, "%s/dome.conf", b->root);
	dome_pathf(b->log, sizeof b->log, "%s/programs.log", b->root);
	dome_pathf(b->lxcpath, sizeof b->lxcpath, "%s/lxc", b->root);
	/* The networked series uses this private bridge and subnet, never the
	 * default dome0. */
	snprintf(b->bridge, sizeof b->bridge, "dbb%d", (int)getpid() % 100000);
	b->subnet = (int)getpid() % 250 + 1;
	char text[512];
	snprintf(text, sizeof text,
		 "[cgroup]\nprefix = %s\n[network]\nbridge = %s\nsubnet = 10.253.%d.0/24\n",
		 b->prefix, b->bridge, b->subnet);
	struct dome_error err;
	if (dome_write_file(b->config, text, strlen(text), 0644, &err) < 0 ||
	    dome_mkdir_p(b->lxcpath, 0755, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return -1;
	}
	struct dome_open_opts o = { .root = b->root, .config_path = b->config };
	b->ctx = dome_open(&o, &err);
	if (!b->ctx) {
		fprintf(stderr, "bench: dome_open: %s\n", err.msg);
		return -1;
	}
	/* The monitor re-reads these from the environment (runtime.c). */
	setenv("DOME_EXE", b->exe, 1);
	setenv("DOME_CONFIG", b->config, 1);
	return 0;
}

static bool built_with_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

static void warn_asan(void)
{
	printf("WARNING: this build uses AddressSanitizer: times and memory are inflated and\n"
	       "         not representative. Measure from a plain build:\n"
	       "           mkdir /tmp/build-bench && cd /tmp/build-bench &&\n"
	       "           /path/to/dome/configure && make -j2 && make bench\n");
}

/* Library then CLI cycles in network mode `net`; with "none" also the
 * monitor's memory and the polite stop. */
static int run_dome(struct bench *b, const char *net, struct series lib[NSTEPS],
		    struct series cli[NSTEPS], struct series *polite, struct series *pss,
		    struct series *rss, bool *asan)
{
	char name[64];
	bool plain = strcmp(net, "none") == 0;
	for (int i = 0; i < b->cycles && !bench_interrupted; i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, plain ? "l" : "ln", i);
		if (dome_lib_cycle(b, name, net, true, &c) < 0)
			return -1;
		for (int s = 0; s < NSTEPS; s++)
			series_add(&lib[s], c.t[s]);
		if (plain && c.monitor_pss >= 0) {
			series_add(pss, (double)c.monitor_pss);
			series_add(rss, (double)c.monitor_rss);
		}
		*asan |= c.monitor_asan;
	}
	for (int i = 0; i < b->cycles && !bench_interrupted; i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, plain ? "c" : "cn", i);
		if (dome_cli_cycle(b, name, net, &c) < 0)
			return -1;
		for (int s = 0; s < NSTEPS; s++)
			series_add(&cli[s], c.t[s]);
	}
	for (int i = 0; plain && i < b->cycles && i < POLITE_CYCLES_MAX && !bench_interrupted;
	     i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, "p", i);
		if (dome_lib_cycle(b, name, net, false, &c) < 0)
			return -1;
		series_add(polite, c.t[STOP]);
	}
	return bench_interrupted ? -1 : 0;
}

/* LXC's cycles without and with networking, then its polite stop. */
static int run_lxc(struct bench *b, struct series lxc[NSTEPS], struct series lxcnet[NSTEPS],
		   struct series *polite, struct series *pss)
{
	if (lxc_prepare(b) < 0)
		return -1;
	char name[64];
	for (int i = 0; i < b->cycles && !bench_interrupted; i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, "x", i);
		if (lxc_cycle(b, name, false, true, &c) < 0)
			return -1;
		for (int s = 0; s < NSTEPS; s++)
			series_add(&lxc[s], c.t[s]);
		if (c.monitor_pss >= 0)
			series_add(pss, (double)c.monitor_pss);
	}
	for (int i = 0; i < b->cycles && !bench_interrupted; i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, "xn", i);
		if (lxc_cycle(b, name, true, true, &c) < 0)
			return -1;
		for (int s = 0; s < NSTEPS; s++)
			series_add(&lxcnet[s], c.t[s]);
	}
	for (int i = 0; i < b->cycles && i < POLITE_CYCLES_MAX && !bench_interrupted; i++) {
		struct dome_cycle c = { 0 };
		dome_name(name, sizeof name, "y", i);
		if (lxc_cycle(b, name, false, false, &c) < 0)
			return -1;
		series_add(polite, c.t[STOP]);
	}
	return bench_interrupted ? -1 : 0;
}

static int run_bare(struct bench *b, struct series *bare)
{
	char lower[PATH_MAX];
	dome_pathf(lower, sizeof lower, "%s/images/busybox", b->root);
	for (int i = 0; i < b->cycles && !bench_interrupted; i++) {
		double t = bare_once(b, lower, i);
		if (t < 0)
			return -1;
		series_add(bare, t);
	}
	return bench_interrupted ? -1 : 0;
}

static struct series new_series(int n)
{
	struct series s = { calloc((size_t)n + 1, sizeof(double)), 0 };
	return s;
}

int main(int argc, char **argv)
{
	struct bench b = { .cycles = argc > 1 ? atoi(argv[1]) : 50 };
	if (b.cycles < 1 || b.cycles > 10000) {
		fprintf(stderr, "usage: %s [CYCLES]   (1..10000, default 50)\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_lifecycle: needs root (containers, cgroups, mounts)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_catch_signals();

	if (built_with_asan())
		warn_asan();
	if (bench_find_dome_exe("bench", b.exe, sizeof b.exe) < 0)
		return 1;

	struct series lib[NSTEPS], cli[NSTEPS], lxc[NSTEPS];
	struct series libnet[NSTEPS], clinet[NSTEPS], lxcnet[NSTEPS];
	for (int s = 0; s < NSTEPS; s++) {
		lib[s] = new_series(b.cycles);
		cli[s] = new_series(b.cycles);
		lxc[s] = new_series(b.cycles);
		libnet[s] = new_series(b.cycles);
		clinet[s] = new_series(b.cycles);
		lxcnet[s] = new_series(b.cycles);
	}
	struct series dpolite = new_series(b.cycles), xpolite = new_series(b.cycles),
		      pss = new_series(b.cycles), rss = new_series(b.cycles),
		      xpss = new_series(b.cycles), bare = new_series(b.cycles),
		      pss_among = new_series(PSS_AMONG);
	bool asan = false;
	int rc = 1;
	if (setup(&b) < 0)
		goto out;
	printf("lifecycle: %d cycles of create -> start -> stop -> destroy, busybox, overlay,\n"
	       "all namespaces (network: lo only), memory %lluM, cpus %d, pids %d; dome %s\n",
	       b.cycles, (unsigned long long)(LIMIT_MEMORY >> 20), LIMIT_CPU_MILLI / 1000,
	       LIMIT_PIDS, b.exe);
	if (run_dome(&b, "none", lib, cli, &dpolite, &pss, &rss, &asan) < 0 ||
	    run_dome(&b, "bridge", libnet, clinet, NULL, NULL, NULL, &asan) < 0)
		goto out;
	if (asan && !built_with_asan())
		warn_asan();
	if (run_bare(&b, &bare) < 0)
		goto out;
	if (monitors_among(&b, PSS_AMONG, &pss_among) < 0)
		goto out;

	const char *lxc_missing = NULL;
	if (!have_program("lxc-create") || !have_program("lxc-copy"))
		lxc_missing = "LXC's tools are not installed (Debian: apt-get install lxc)";
	else if (run_lxc(&b, lxc, lxcnet, &xpolite, &xpss) < 0)
		lxc_missing = bench_interrupted ? "interrupted"
						  : "the LXC cycle failed (reason above)";
	if (bench_interrupted)
		goto out;
	if (lxc_missing)
		printf("\n  LXC: not measured: %s\n", lxc_missing);

	printf("\n  network: lo only (dome --net none, LXC type empty)");
	print_table(lib, cli, lxc);
	printf("\n  network: a veth on bridge %s, an IPv4 address and a default route\n"
	       "  (dome --net bridge: leased, /etc/hosts of the siblings; LXC: type veth, static)",
	       b.bridge);
	print_table(libnet, clinet, lxcnet);
	printf("\n");
	char a[48], l[48];
	fmt_stat(a, sizeof a, &dpolite);
	fmt_stat(l, sizeof l, &xpolite);
	printf("  %-8s %-24s %-24s %-24s\n", "stop", a, "", l);
	printf("  (stop: polite, the image's stop signal then wait; %zu cycles)\n", dpolite.n);
	fmt_stat(a, sizeof a, &bare);
	printf("  %-8s %-24s   clone(PID|NS|UTS|IPC|NET) + overlay + proc + pivot_root + exec\n",
	       "bare", a);
	char xp[32] = "-";
	if (xpss.n)
		snprintf(xp, sizeof xp, "%.0f", median(&xpss));
	printf("  monitor PSS KiB: dome %.0f alone (RSS %.0f), %.0f each of %d running; LXC %s alone\n",
	       median(&pss), median(&rss), median(&pss_among), PSS_AMONG, xp);

	printf("\n  targets\n");
	if (lxc[START].n) {
		/* Both sides run as programs, as a user runs them: the CLI column
		 * is the like-for-like comparison. */
		check("dome start (CLI) / LXC start", median(&cli[START]) / median(&lxc[START]), 0.5,
		      "x");
		check("dome stop -k (CLI) / LXC stop -k", median(&cli[STOP]) / median(&lxc[STOP]),
		      0.5, "x");
		check("with network: dome start (CLI) / LXC start",
		      median(&clinet[START]) / median(&lxcnet[START]), 0.5, "x");
		check("with network: dome stop -k (CLI) / LXC stop -k",
		      median(&clinet[STOP]) / median(&lxcnet[STOP]), 0.5, "x");
	} else {
		printf("  %-44s not measured (no LXC)\n", "start and stop against LXC");
	}
	check("dome start (library) / bare", median(&lib[START]) / median(&bare), 5, "x");
	check("dome monitor PSS, each of 10 running", median(&pss_among) / 1024, 1, "MiB");
	rc = failures ? 1 : 0;
out:
	if (bench_interrupted)
		fprintf(stderr, "bench: interrupted; cleaning up\n");
	cleanup(&b);
	for (int s = 0; s < NSTEPS; s++) {
		free(lib[s].v);
		free(cli[s].v);
		free(lxc[s].v);
		free(libnet[s].v);
		free(clinet[s].v);
		free(lxcnet[s].v);
	}
	free(dpolite.v);
	free(xpolite.v);
	free(pss.v);
	free(pss_among.v);
	free(rss.v);
	free(xpss.v);
	free(bare.v);
	return bench_interrupted ? 1 : rc;
}
