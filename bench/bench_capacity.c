/* Capacity benchmark (make bench; not part of make check).
 *
 *   bench/bench_capacity [N] [--bridge]      (default 1000, network none)
 *
 * How many busybox containers one machine holds running, and what each one
 * costs. Starts N containers one after the other through libdome (the
 * engine alone: --net none by default; --bridge puts them on a private
 * bridge with a /22 subnet), and after every 100 measures: the memory the
 * machine has lost (MemAvailable's drop since before the first one), the
 * per-container cost (the PSS of every init and every monitor from
 * /proc/PID/smaps_rollup, the cgroup's memory), how long the starts of that
 * hundred took (does it degrade as the count grows?), the load average and
 * the number of tasks, and the descriptors the benchmark itself holds (a
 * leak per start would show). Then stops all (kill mode) and destroys them,
 * timed. Prints the figures beside the targets (issue 7: 1,000 running on 2
 * cores / 24 GiB); a start that fails ends the ramp and its error, the limit
 * that was hit, is printed. Exits 1 when a target is missed.
 *
 * Private state root, cgroup prefix, bridge and subnet (with the pid);
 * everything is destroyed and removed on exit, also after a failure or
 * SIGINT/SIGTERM/SIGHUP. Needs root. The monitor is the dome-monitor next to
 * DOME_EXE (default: the dome of the build directory). */
#include "container.h"
#include "cgroup.h"
#include "fsutil.h"
#include "common.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP 100
#define TARGET_RUNNING 1000

static char root[64], prefix[64], bridge[16], config[PATH_MAX];
static struct dome_ctx *ctx;

static void cleanup(void)
{
	struct dome_error err = { 0 };
	if (ctx) {
		struct dome_container *list = NULL;
		size_t n = 0;
		if (dome_inv_list(ctx->store, &list, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				if (dome_container_destroy(ctx, list[i].name, true, &err) < 0)
					fprintf(stderr, "bench_capacity: cleanup: %s\n", err.msg);
		free(list);
		dome_close(ctx);
		ctx = NULL;
	}
	if (prefix[0] && dome_cgroup_remove_prefix(prefix, &err) < 0)
		fprintf(stderr, "bench_capacity: cleanup: %s\n", err.msg);
	if (bridge[0] && access("/sys/class/net", F_OK) == 0) {
		char path[64];
		snprintf(path, sizeof path, "/sys/class/net/%s", bridge);
		char *const argv[] = { "ip", "link", "del", bridge, NULL };
		if (access(path, F_OK) == 0 && bench_run_quiet(argv) != 0)
			fprintf(stderr, "bench_capacity: cleanup: cannot delete bridge %s\n", bridge);
	}
	if (root[0] && dome_rm_rf(root, &err) < 0)
		fprintf(stderr, "bench_capacity: cleanup: %s\n", err.msg);
}

/* ------------------------------------------------------------ readings */

/* A "Key: N kB" line of a /proc file, in KiB; -1 when absent. */
static long proc_kib(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t klen = strlen(key);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long pss_kib(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	return proc_kib(path, "Pss");
}

static long read_long_file(const char *path)
{
	char buf[64];
	if (dome_read_small(path, buf, sizeof buf) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

struct checkpoint {
	long running;
	double mem_used_kib;        /* MemAvailable drop since the start */
	double init_pss_kib, mon_pss_kib, cgroup_kib; /* per container, mean */
	double start_med_ms, start_max_ms;
	double load1;
	long tasks, fds;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Every running container's init and monitor PSS and cgroup memory,
 * summed, then divided by the count. */
static int measure(struct checkpoint *cp, long mem_avail0, double *starts, size_t nstarts)
{
	struct dome_error err = { 0 };
	struct dome_container *list = NULL;
	size_t n = 0;
	if (dome_inv_list(ctx->store, &list, &n, &err) < 0) {
		fprintf(stderr, "bench_capacity: %s\n", err.msg);
		return -1;
	}
	double init = 0, mon = 0, cg = 0;
	long running = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].state, "running") != 0)
			continue;
		running++;
		long p = pss_kib((pid_t)list[i].pid), m = pss_kib((pid_t)list[i].monitor_pid);
		init += p > 0 ? (double)p : 0;
		mon += m > 0 ? (double)m : 0;
		struct dome_container_stats st;
		if (dome_container_stats(ctx, &list[i], &st, &err) == 0)
			cg += (double)st.cg.memory_current / 1024;
	}
	free(list);
	cp->running = running;
	cp->mem_used_kib = (double)(mem_avail0 - proc_kib("/proc/meminfo", "MemAvailable"));
	cp->init_pss_kib = running ? init / (double)running : 0;
	cp->mon_pss_kib = running ? mon / (double)running : 0;
	cp->cgroup_kib = running ? cg / (double)running : 0;
	qsort(starts, nstarts, sizeof *starts, cmp_double);
	cp->start_med_ms = nstarts ? starts[nstarts / 2] : 0;
	cp->start_max_ms = nstarts ? starts[nstarts - 1] : 0;
	FILE *f = fopen("/proc/loadavg", "re");
	cp->load1 = -1;
	cp->tasks = -1;
	if (f) {
		if (fscanf(f, "%lf %*f %*f %*d/%ld", &cp->load1, &cp->tasks) != 2)
			cp->load1 = -1;
		fclose(f);
	}
	cp->fds = open_fds();
	return 0;
}

static void print_header(void)
{
	printf("\n  %7s %9s %9s %9s %9s %9s %15s %6s %6s %5s\n", "running", "mem used",
	       "per ctr", "init PSS", "mon PSS", "cgroup", "start ms med/max", "load1", "tasks",
	       "fds");
}

static void print_checkpoint(const struct checkpoint *cp)
{
	printf("  %7ld %6.0f MiB %5.0f KiB %5.0f KiB %5.0f KiB %5.0f KiB %7.1f /%6.1f %6.2f %6ld %5ld\n",
	       cp->running, cp->mem_used_kib / 1024,
	       cp->running ? cp->mem_used_kib / (double)cp->running : 0, cp->init_pss_kib,
	       cp->mon_pss_kib, cp->cgroup_kib, cp->start_med_ms, cp->start_max_ms, cp->load1,
	       cp->tasks, cp->fds);
	fflush(stdout);
}

/* ---------------------------------------------------------------- setup */

static int setup(bool bridged)
{
	snprintf(root, sizeof root, "/tmp/dome-bench-capacity.XXXXXX");
	if (!mkdtemp(root)) {
		root[0] = '\0';
		perror("bench_capacity: mkdtemp");
		return -1;
	}
	int pid = (int)getpid();
	snprintf(prefix, sizeof prefix, "dome-bench-cap-%d", pid);
	/* 10.244.X.0/22: 1021 addresses; the tests use 10.247-10.253. */
	char text[512];
	snprintf(text, sizeof text,
		 "[cgroup]\nprefix = %s\n[network]\nbridge = dbc%d\nsubnet = 10.244.%d.0/22\n",
		 prefix, pid % 100000, pid % 64 * 4);
	if (bridged)
		snprintf(bridge, sizeof bridge, "dbc%d", pid % 100000);
	dome_pathf(config, sizeof config, "%s/dome.conf", root);
	struct dome_error err = { 0 };
	if (dome_write_file(config, text, strlen(text), 0644, &err) < 0) {
		fprintf(stderr, "bench_capacity: %s\n", err.msg);
		return -1;
	}
	/* The monitor re-reads the config from the environment. */
	setenv("DOME_CONFIG", config, 1);
	struct dome_open_opts o = { .root = root, .config_path = config };
	ctx = dome_open(&o, &err);
	if (!ctx) {
		fprintf(stderr, "bench_capacity: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void print_host(void)
{
	long total = proc_kib("/proc/meminfo", "MemTotal");
	printf("host: %ld cores, MemTotal %.1f GiB; limits: pid_max %ld, threads-max %ld, "
	       "pty max %ld, open files %ld\n",
	       sysconf(_SC_NPROCESSORS_ONLN), (double)total / (1024 * 1024),
	       read_long_file("/proc/sys/kernel/pid_max"),
	       read_long_file("/proc/sys/kernel/threads-max"),
	       read_long_file("/proc/sys/kernel/pty/max"), sysconf(_SC_OPEN_MAX));
}

/* ----------------------------------------------------------------- main */

static bool report(const char *what, const char *value, const char *target, bool ok)
{
	printf("  %-40s %-16s %-34s %s\n", what, value, target, ok ? "ok" : "MISSED");
	return ok;
}

int main(int argc, char **argv)
{
	long want = TARGET_RUNNING;
	bool bridged = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bridge") == 0) {
			bridged = true;
		} else if (strcmp(argv[i], "--net") == 0 && i + 1 < argc &&
			   strcmp(argv[i + 1], "none") == 0) {
			i++;
		} else {
			char *end;
			want = strtol(argv[i], &end, 10);
			if (*end || want < 1 || want > 100000) {
				fprintf(stderr, "usage: bench_capacity [N] [--bridge]\n");
				return 2;
			}
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_capacity: needs root (it starts containers)\n");
		return 1;
	}
	char exe[PATH_MAX];
	if (bench_find_dome_exe("bench_capacity", exe, sizeof exe) < 0)
		return 1;
	setenv("DOME_EXE", exe, 1);
	atexit(cleanup);
	bench_catch_signals();
	if (setup(bridged) < 0)
		return 1;

	printf("capacity: %ld busybox containers, network %s%s%s, started one by one through "
	       "libdome (monitor %s-monitor)\n", want, bridged ? "bridge " : "none",
	       bridged ? bridge : "", bridged ? " /22" : "", exe);
	print_host();
	printf("memory: MemAvailable drop since before the first start; per container: "
	       "that / running;\n        init, monitor PSS and cgroup memory: mean over the "
	       "running containers\n");

	struct dome_error err = { 0 };
	/* The busybox image is made by the first create: do it before the
	 * baseline, so the image's files do not count as container memory. */
	struct dome_create_spec warm = { .name = "warm", .net_mode = bridged ? "bridge" : "none" };
	dome_limits_init(&warm.limits);
	if (dome_container_create(ctx, &warm, &err) < 0 ||
	    dome_container_destroy(ctx, "warm", false, &err) < 0) {
		fprintf(stderr, "bench_capacity: first container: %s\n", err.msg);
		return 1;
	}
	long mem_avail0 = proc_kib("/proc/meminfo", "MemAvailable");
	long mem_total = proc_kib("/proc/meminfo", "MemTotal");
	print_header();

	double *starts = calloc(STEP, sizeof *starts);
	struct checkpoint first = { 0 }, last = { 0 };
	size_t nstarts = 0;
	long started = 0;
	char limit[sizeof err.msg + 64] = "";
	double t_ramp = bench_now_ms();
	for (long i = 0; i < want && !bench_interrupted; i++) {
		char name[32];
		snprintf(name, sizeof name, "c%05ld", i);
		struct dome_create_spec spec = { .name = name,
						 .net_mode = bridged ? "bridge" : "none" };
		dome_limits_init(&spec.limits);
		spec.limits.memory = 64ull << 20;
		if (dome_container_create(ctx, &spec, &err) < 0) {
			snprintf(limit, sizeof limit, "create %s: %s", name, err.msg);
			break;
		}
		double t0 = bench_now_ms();
		if (dome_container_start(ctx, name, &err) < 0) {
			snprintf(limit, sizeof limit, "start %s: %s", name, err.msg);
			break;
		}
		starts[nstarts++] = bench_now_ms() - t0;
		started++;
		if (nstarts == STEP || started == want) {
			struct checkpoint cp;
			if (measure(&cp, mem_avail0, starts, nstarts) < 0)
				return 1;
			print_checkpoint(&cp);
			if (!first.running)
				first = cp;
			last = cp;
			nstarts = 0;
		}
	}
	t_ramp = bench_now_ms() - t_ramp;
	if (nstarts && !bench_interrupted) { /* a partial hundred before a failure */
		struct checkpoint cp;
		if (measure(&cp, mem_avail0, starts, nstarts) == 0) {
			print_checkpoint(&cp);
			last = cp;
		}
	}
	free(starts);
	if (limit[0])
		printf("\n  the ramp stopped at %ld: %s\n", started, limit);
	if (bench_interrupted) {
		fprintf(stderr, "bench_capacity: interrupted; cleaning up\n");
		return 1;
	}

	/* Stop all (kill), then destroy all: timed. */
	struct dome_container *list = NULL;
	size_t n = 0;
	if (dome_inv_list(ctx->store, &list, &n, &err) < 0) {
		fprintf(stderr, "bench_capacity: %s\n", err.msg);
		return 1;
	}
	long stop_failed = 0, destroy_failed = 0;
	double t_stop = bench_now_ms();
	for (size_t i = 0; i < n && !bench_interrupted; i++)
		if (strcmp(list[i].state, "running") == 0 &&
		    dome_container_stop(ctx, list[i].name, 0, true, &err) < 0 && stop_failed++ == 0)
			fprintf(stderr, "bench_capacity: stop %s: %s\n", list[i].name, err.msg);
	t_stop = bench_now_ms() - t_stop;
	double t_destroy = bench_now_ms();
	for (size_t i = 0; i < n && !bench_interrupted; i++)
		if (dome_container_destroy(ctx, list[i].name, false, &err) < 0 && destroy_failed++ == 0)
			fprintf(stderr, "bench_capacity: destroy %s: %s\n", list[i].name, err.msg);
	t_destroy = bench_now_ms() - t_destroy;
	free(list);
	if (bench_interrupted) {
		fprintf(stderr, "bench_capacity: interrupted; cleaning up\n");
		return 1;
	}

	printf("\n  ramp: %ld started in %.1f s (create+start, %.1f ms each)\n", started,
	       t_ramp / 1000, started ? t_ramp / (double)started : 0);
	printf("  stop --kill all: %.1f s (%.1f ms each), %ld failed\n", t_stop / 1000,
	       n ? t_stop / (double)n : 0, stop_failed);
	printf("  destroy all: %.1f s (%.1f ms each), %ld failed\n\n", t_destroy / 1000,
	       n ? t_destroy / (double)n : 0, destroy_failed);

	bool ok = true;
	char v[64], t[64];
	snprintf(v, sizeof v, "%ld", last.running);
	snprintf(t, sizeof t, ">= %ld (asked %ld)", want < TARGET_RUNNING ? want : TARGET_RUNNING,
		 want);
	ok &= report("containers running at once", v, t,
		     last.running >= (want < TARGET_RUNNING ? want : TARGET_RUNNING));
	double per = last.running ? last.mem_used_kib / (double)last.running : 0;
	double fit = (double)mem_total * 0.9 / TARGET_RUNNING;
	snprintf(v, sizeof v, "%.2f MiB", per / 1024);
	snprintf(t, sizeof t, "<= %.1f MiB (1000 in 90%% of RAM)", fit / 1024);
	ok &= report("memory per running container", v, t, per > 0 && per <= fit);
	snprintf(v, sizeof v, "%.0f KiB", last.init_pss_kib + last.mon_pss_kib);
	report("  of it init + monitor PSS", v, "(information)", true);
	double extrapolated = per * TARGET_RUNNING / (1024 * 1024);
	snprintf(v, sizeof v, "%.1f GiB", extrapolated);
	snprintf(t, sizeof t, "<= %.1f GiB", (double)mem_total * 0.9 / (1024 * 1024));
	ok &= report("memory for 1000 (extrapolated)", v, t, per > 0 && extrapolated * 1024 * 1024 <= (double)mem_total * 0.9);
	double growth = first.start_med_ms > 0 ? last.start_med_ms / first.start_med_ms : NAN;
	snprintf(v, sizeof v, "x%.2f (%.1f->%.1f ms)", growth, first.start_med_ms, last.start_med_ms);
	ok &= report("start time, last 100 vs first 100", v, "<= x2 (median)", growth <= 2.0);
	snprintf(v, sizeof v, "%+ld", last.fds - first.fds);
	ok &= report("descriptors held by the caller", v, "no growth", last.fds <= first.fds);
	snprintf(v, sizeof v, "%ld / %ld", stop_failed, destroy_failed);
	ok &= report("stop / destroy failures", v, "0 / 0", !stop_failed && !destroy_failed);
	return ok ? 0 : 1;
}
