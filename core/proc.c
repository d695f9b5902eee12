#include "proc.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Fields 3 (state) and 22 (start time) of /proc/PID/stat. */
static int read_stat(pid_t pid, char *state, int64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errno = ESRCH;
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		errno = ESRCH;
		return -1;
	}
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and ')': skip to the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	p += 2; /* now at field 3 (state) */
	*state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p) {
			errno = EINVAL;
			return -1;
		}
		p++;
	}
	*start = strtoll(p, NULL, 10);
	return 0;
}

int dome_proc_start_time(pid_t pid, int64_t *start)
{
	char state;
	return read_stat(pid, &state, start);
}

bool dome_proc_alive(pid_t pid, int64_t start)
{
	int64_t now;
	char state;
	if (pid <= 0 || read_stat(pid, &state, &now) < 0)
		return false;
	/* A zombie has ended: it only waits for its parent (for an orphaned
	 * init whose monitor died, the host's pid 1) to collect it. */
	return now == start && state != 'Z' && state != 'X';
}

double dome_uptime_seconds(void)
{
	FILE *f = fopen("/proc/uptime", "re");
	double up = 0;
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up;
}

/* The hex mask after `key` ("SigCgt:") in a /proc/PID/status text. */
static unsigned long long status_mask(const char *status, const char *key)
{
	const char *p = strstr(status, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

bool dome_proc_takes_signal(pid_t pid, int sig)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (dome_read_small(path, buf, sizeof buf) <= 0)
		return false;
	unsigned long long bit = 1ULL << (sig - 1);
	if ((status_mask(buf, "SigCgt:") | status_mask(buf, "SigBlk:")) & bit)
		return true;
	/* The syscall it sleeps in: its number first ("running" otherwise). */
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	if (dome_read_small(path, buf, sizeof buf) <= 0)
		return false;
	char *end;
	long nr = strtol(buf, &end, 10);
	return end != buf && nr == SYS_rt_sigtimedwait;
}
