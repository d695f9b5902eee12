#include "hostfit.h"
#include "fsutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPU_MAX 8192

void dome_host_cpus(char *out, size_t len)
{
	char buf[1024];
	out[0] = '\0';
	if (dome_read_small("/sys/devices/system/cpu/online", buf, sizeof buf) <= 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	strlcpy(out, buf, len);
}

/* Mark the CPUs of a list such as "0-3,8" (dome_parse_cpuset's form); the
 * count of CPUs named, or -1 when a number is past CPU_MAX. */
static int cpu_list(const char *s, bool *set)
{
	int count = 0;
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return count;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
		}
		if (a >= CPU_MAX || b >= CPU_MAX)
			return -1;
		for (unsigned long i = a; i <= b; i++, count++)
			set[i] = true;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			break;
	}
	return count;
}

static int check_cpus(uint32_t millis, const char *online, struct dome_error *err)
{
	bool set[CPU_MAX] = { false };
	int n = cpu_list(online, set);
	if (n <= 0)
		return 0; /* unknown: the kernel will say */
	if (millis > (uint32_t)n * 1000)
		return dome_invalid(err, "cpus=%.3g is more than the %d CPUs this host has", millis / 1000.0, n);
	return 0;
}

static int check_cpuset(const char *want, const char *online, struct dome_error *err)
{
	bool have[CPU_MAX] = { false }, asked[CPU_MAX] = { false };
	if (cpu_list(online, have) <= 0)
		return 0;
	if (cpu_list(want, asked) < 0)
		return dome_invalid(err, "cpuset=%s names CPUs this host does not have (it has %s)", want,
				    online);
	for (int i = 0; i < CPU_MAX; i++)
		if (asked[i] && !have[i])
			return dome_invalid(err, "cpuset=%s names CPU %d, which this host does not have "
					    "(it has %s)", want, i, online);
	return 0;
}

static int check_io_device(unsigned ma, unsigned mi, struct dome_error *err)
{
	char path[96];
	struct stat sb;
	snprintf(path, sizeof path, "/sys/dev/block/%u:%u", ma, mi);
	if (stat(path, &sb) < 0)
		return dome_invalid(err, "io: this host has no block device %u:%u (lsblk lists them)", ma, mi);
	snprintf(path, sizeof path, "/sys/dev/block/%u:%u/partition", ma, mi);
	if (access(path, F_OK) == 0)
		return dome_invalid(err, "io: %u:%u is a partition; the kernel limits whole disks, so "
				    "limit the disk it is on", ma, mi);
	return 0;
}

static bool io_same(const struct dome_limits *before, const struct dome_io_limit *d)
{
	for (size_t i = 0; before && i < before->nio; i++)
		if (before->io[i].major == d->major && before->io[i].minor == d->minor &&
		    before->io[i].rbps == d->rbps && before->io[i].wbps == d->wbps &&
		    before->io[i].riops == d->riops && before->io[i].wiops == d->wiops)
			return true;
	return false;
}

int dome_limits_fit_host(const struct dome_limits *before, const struct dome_limits *after,
			 struct dome_error *err)
{
	char online[1024];
	dome_host_cpus(online, sizeof online);
	if (after->cpu_millis && (!before || before->cpu_millis != after->cpu_millis) &&
	    check_cpus(after->cpu_millis, online, err) < 0)
		return -1;
	if (after->cpuset[0] && (!before || strcmp(before->cpuset, after->cpuset) != 0) &&
	    check_cpuset(after->cpuset, online, err) < 0)
		return -1;
	for (size_t i = 0; i < after->nio; i++)
		if (!io_same(before, &after->io[i]) &&
		    check_io_device(after->io[i].major, after->io[i].minor, err) < 0)
			return -1;
	return 0;
}
