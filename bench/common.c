/* Helpers shared by the benchmark programs: see common.h. */
#include "common.h"
#include "fsutil.h"
#include "container.h"
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t bench_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

void bench_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int bench_run_quiet(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bench_find_dome_exe(const char *who, char *exe, size_t len)
{
	const char *env = getenv("DOME_EXE");
	if (env && env[0]) {
		snprintf(exe, len, "%s", env);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0)
			return -1;
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		dome_pathf(exe, len, "%s/../dome", self);
		if (access(exe, X_OK) < 0)
			dome_pathf(exe, len, "%s/../../dome", self);
	}
	if (access(exe, X_OK) < 0) {
		fprintf(stderr, "%s: no dome binary at %s; set DOME_EXE\n", who, exe);
		return -1;
	}
	return 0;
}

void bench_remove_state(struct dome_ctx *ctx, const char *prefix, const char *root)
{
	struct dome_error err = { 0 };
	if (ctx) {
		struct dome_container *list = NULL;
		size_t n = 0;
		if (dome_inv_list(ctx->store, &list, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				dome_container_destroy(ctx, list[i].name, true, &err);
		free(list);
		dome_cgroup_remove_prefix(prefix, &err);
		dome_close(ctx);
	}
	if (root && root[0])
		dome_rm_rf(root, &err);
}
