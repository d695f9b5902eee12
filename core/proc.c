#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dome_proc_start_time(pid_t pid, int64_t *start)
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

bool dome_proc_alive(pid_t pid, int64_t start)
{
	int64_t now;
	if (pid <= 0 || dome_proc_start_time(pid, &now) < 0)
		return false;
	return now == start;
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
