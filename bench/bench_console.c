/* Benchmark of the console at rest (make bench; not part of make check).
 *
 *   bench/bench_console [ROWS [RUNNING [SECONDS]]]   (default 200 20 60)
 *
 * Fills a private state root (own DOME_ROOT, cgroup prefix) with ROWS
 * containers, RUNNING of them started (--net none: running ones cost real
 * processes and cgroups, so not all 200 run), opens the console in a private
 * tmux server at 120x40 with the default 1 s refresh, lets it settle, and
 * measures over SECONDS: its CPU time (utime+stime of /proc/PID/stat) as a
 * share of one core, its RSS at the start and end of the window, and any
 * process it spawns (its children, looked at 20 times a second, and the CPU
 * time of children it reaped). Prints each figure beside its target (under 1%
 * of one core, under 16 MiB RSS, no RSS growth, no child); exits 1 when one is
 * missed. Needs root and tmux. Everything it made is removed on exit. */
#include "container.h"
#include "cgroup.h"
#include "fsutil.h"
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char root[64], prefix[64], sock[64];
static struct dome_ctx *ctx;
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void cleanup(void)
{
	char *const kill_server[] = { "tmux", "-L", sock, "kill-server", NULL };
	if (sock[0])
		bench_run_quiet(kill_server);
	bench_remove_state(ctx, prefix, root);
	ctx = NULL;
	root[0] = '\0';
}

static int fill(long rows, long running)
{
	struct dome_error err = { 0 };
	struct dome_open_opts o = { .root = root };
	ctx = dome_open(&o, &err);
	if (!ctx) {
		fprintf(stderr, "bench_console: %s\n", err.msg);
		return -1;
	}
	for (long i = 0; i < rows && !interrupted; i++) {
		char name[32];
		snprintf(name, sizeof name, "b%03ld", i);
		struct dome_create_spec spec = { .name = name, .net_mode = "none" };
		dome_limits_init(&spec.limits);
		spec.limits.memory = 64ull << 20;
		spec.start = i < running;
		if (dome_container_create(ctx, &spec, &err) < 0) {
			fprintf(stderr, "bench_console: creating %s: %s\n", name, err.msg);
			return -1;
		}
	}
	return interrupted ? -1 : 0;
}

struct proc_sample {
	unsigned long long cpu_ticks, child_ticks;
	long rss_kib;
};

static int sample(pid_t pid, struct proc_sample *s)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command name, which may hold spaces: from the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long utime, stime, cutime, cstime;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
		   &utime, &stime, &cutime, &cstime) != 4)
		return -1;
	s->cpu_ticks = utime + stime;
	s->child_ticks = cutime + cstime;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	s->rss_kib = -1;
	while (fgets(buf, sizeof buf, f))
		if (sscanf(buf, "VmRSS: %ld", &s->rss_kib) == 1)
			break;
	fclose(f);
	return s->rss_kib < 0 ? -1 : 0;
}

/* How many children `pid` has now (every thread's children file). */
static long count_children(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char cpath[300], buf[4096];
		snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, e->d_name);
		int fd = open(cpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof buf - 1);
		close(fd);
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == ' ';
	}
	closedir(d);
	return n;
}

static pid_t start_console(const char *dome)
{
	char env_root[128], env_prefix[128];
	snprintf(env_root, sizeof env_root, "DOME_ROOT=%s", root);
	snprintf(env_prefix, sizeof env_prefix, "DOME_CGROUP_PREFIX=%s", prefix);
	char *const argv[] = { "tmux", "-L", sock, "new-session", "-d", "-s", "bench", "-x", "120",
			       "-y", "40", "env", "DOME_CONFIG=/dev/null", env_root, env_prefix,
			       "TERM=xterm-256color", "LANG=C.UTF-8", (char *)dome, NULL };
	if (bench_run_quiet(argv) != 0)
		return -1;
	/* tmux runs the command without a shell; env execs dome in place. */
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		char *const lp[] = { "tmux", "-L", sock, "list-panes", "-t", "bench", "-F",
				     "#{pane_pid}", NULL };
		execvp(lp[0], lp);
		_exit(127);
	}
	close(fds[1]);
	char buf[32] = "";
	ssize_t n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

static void sleep_ms(long ms);

/* The pane's screen with its attributes (-e), so a moved selection shows. */
static ssize_t capture(char *buf, size_t len)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		char *const argv[] = { "tmux", "-L", sock, "capture-pane", "-p", "-e", "-t", "bench",
				       NULL };
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while (got < len - 1 && (n = read(fds[0], buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	buf[got] = '\0';
	return (ssize_t)got;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Key press to screen: send j or k (the selection moves) and capture until
 * the screen differs. Includes tmux's own round trip (a capture costs a few
 * ms), so the figure is an upper bound. Median of `n`, in ms; -1 if none. */
static double key_latency(int n)
{
	static char before[1 << 17], after[1 << 17];
	double lat[64];
	int got = 0;
	for (int i = 0; i < n && i < 64 && !interrupted; i++) {
		if (capture(before, sizeof before) < 0)
			break;
		char *const key[] = { "tmux", "-L", sock, "send-keys", "-t", "bench",
				      i % 2 ? "k" : "j", NULL };
		double t0 = bench_now_ms();
		if (bench_run_quiet(key) != 0)
			break;
		for (;;) {
			if (capture(after, sizeof after) < 0)
				return -1;
			if (strcmp(before, after) != 0) {
				lat[got++] = bench_now_ms() - t0;
				break;
			}
			if (bench_now_ms() - t0 > 2000)
				break; /* no change seen: not counted */
		}
		sleep_ms(150);
	}
	if (got == 0)
		return -1;
	qsort(lat, (size_t)got, sizeof lat[0], cmp_double);
	return lat[got / 2];
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool running_dome(pid_t pid)
{
	char path[64], exe[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	const char *base = strrchr(exe, '/');
	return base && strcmp(base + 1, "dome") == 0;
}

int main(int argc, char **argv)
{
	long rows = argc > 1 ? atol(argv[1]) : 200;
	long running = argc > 2 ? atol(argv[2]) : 20;
	long seconds = argc > 3 ? atol(argv[3]) : 60;
	const char *dome = getenv("DOME") ? getenv("DOME") : "./dome";
	if (geteuid() != 0) {
		fprintf(stderr, "bench_console: needs root (it starts containers)\n");
		return 1;
	}
	char *real = realpath(dome, NULL);
	if (!real) {
		fprintf(stderr, "bench_console: no dome binary at %s (set DOME)\n", dome);
		return 1;
	}
	snprintf(root, sizeof root, "/tmp/dome-bench-console-XXXXXX");
	if (!mkdtemp(root)) {
		perror("bench_console: mkdtemp");
		free(real);
		return 1;
	}
	snprintf(prefix, sizeof prefix, "dome-bench-%d", (int)getpid());
	snprintf(sock, sizeof sock, "dome-bench-%d", (int)getpid());
	setenv("DOME_CONFIG", "/dev/null", 1);
	setenv("DOME_CGROUP_PREFIX", prefix, 1);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	printf("console at rest: %ld containers, %ld running (--net none), 120x40, "
	       "1 s refresh, %ld s\n", rows, running, seconds);
	fflush(stdout);
	if (fill(rows, running) < 0) {
		free(real);
		return 1;
	}
	pid_t pid = start_console(real);
	free(real);
	sleep_ms(5000); /* settle: first refresh, the sparklines' history */
	if (pid <= 0 || !running_dome(pid)) {
		fprintf(stderr, "bench_console: the console did not start in tmux\n");
		return 1;
	}
	struct proc_sample first, last;
	if (sample(pid, &first) < 0) {
		fprintf(stderr, "bench_console: cannot read /proc/%d\n", (int)pid);
		return 1;
	}
	long max_children = 0, max_rss = first.rss_kib;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long tick = 0; tick < seconds * 20 && !interrupted; tick++) {
		sleep_ms(50);
		long c = count_children(pid);
		if (c > max_children)
			max_children = c;
		if (tick % 20 == 19) {
			struct proc_sample s;
			if (sample(pid, &s) == 0 && s.rss_kib > max_rss)
				max_rss = s.rss_kib;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (interrupted || sample(pid, &last) < 0) {
		fprintf(stderr, "bench_console: interrupted, or the console exited\n");
		return 1;
	}
	double key_ms = key_latency(21);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu_pct = 100.0 * (double)(last.cpu_ticks - first.cpu_ticks) /
			 (double)sysconf(_SC_CLK_TCK) / wall;
	long growth = last.rss_kib - first.rss_kib;
	unsigned long long child_ticks = last.child_ticks - first.child_ticks;
	bool ok_cpu = cpu_pct < 1.0, ok_rss = max_rss < 16 * 1024, ok_growth = growth <= 0,
	     ok_kids = max_children == 0 && child_ticks == 0;
	printf("  CPU              %6.2f%% of one core  (target < 1%%)      %s\n", cpu_pct,
	       ok_cpu ? "ok" : "MISSED");
	printf("  RSS              %6.1f MiB (peak)     (target < 16 MiB)   %s\n",
	       (double)max_rss / 1024, ok_rss ? "ok" : "MISSED");
	printf("  RSS growth       %+6ld KiB over %.0f s  (target none)      %s\n", growth, wall,
	       ok_growth ? "ok" : "MISSED");
	printf("  children         %6ld seen, %llu ticks reaped (target none) %s\n", max_children,
	       child_ticks, ok_kids ? "ok" : "MISSED");
	bool ok_key = key_ms >= 0 && key_ms < 30;
	printf("  key press        %6.1f ms (median of 21 j/k, tmux round trip included) "
	       "(target < 30 ms) %s\n", key_ms, ok_key ? "ok" : "MISSED");
	return ok_cpu && ok_rss && ok_growth && ok_kids && ok_key ? 0 : 1;
}
