#include "host.h"
#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Read a small /proc file whole; returns bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t at = 0;
	while (at + 1 < len) {
		ssize_t n = read(fd, buf + at, len - 1 - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	buf[at] = '\0';
	return (ssize_t)at;
}

static void read_distro(char *out, size_t len)
{
	char buf[4096];
	strlcpy(out, "Linux", len);
	if (read_small("/etc/os-release", buf, sizeof buf) < 0 &&
	    read_small("/usr/lib/os-release", buf, sizeof buf) < 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *v = line + 12;
		size_t n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (*v)
			strlcpy(out, v, len);
		return;
	}
}

/* The layout as the cgroup driver sees it, so the header never disagrees
 * with what the engine does. */
static const char *cgroup_layout(void)
{
	enum dome_cgroup_layout layout;
	struct dome_error err = { 0 };
	if (dome_cgroup_detect(&layout, &err) < 0)
		return "?";
	return dome_cgroup_layout_name(layout);
}

void dome_host_identity(struct dome_host *h)
{
	if (gethostname(h->hostname, sizeof h->hostname) < 0)
		strlcpy(h->hostname, "unknown", sizeof h->hostname);
	h->hostname[sizeof h->hostname - 1] = '\0';
	read_distro(h->distro, sizeof h->distro);
	struct utsname u;
	if (uname(&u) == 0)
		strlcpy(h->kernel, u.release, sizeof h->kernel);
	strlcpy(h->cgroup_layout, cgroup_layout(), sizeof h->cgroup_layout);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	h->ncpu = n > 0 ? (int)n : 1;
}

int dome_cpu_parse(const char *text, struct dome_cpu_sample *out)
{
	unsigned long long v[10] = { 0 };
	if (strncmp(text, "cpu ", 4) != 0)
		return -1;
	int n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		       &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	if (n < 4)
		return -1;
	/* user nice system idle iowait irq softirq steal guest guest_nice;
	 * guest time is already counted in user, so it is left out. */
	uint64_t idle = v[3] + v[4];
	uint64_t total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	out->total = total;
	out->busy = total - idle;
	return 0;
}

double dome_cpu_percent(const struct dome_cpu_sample *prev, const struct dome_cpu_sample *now)
{
	if (now->total <= prev->total || now->busy < prev->busy)
		return 0;
	double pct = 100.0 * (double)(now->busy - prev->busy) / (double)(now->total - prev->total);
	return pct > 100 ? 100 : pct;
}

static uint64_t meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	return strtoull(p + strlen(key), NULL, 10);
}

static void sample_memory(struct dome_host *h)
{
	char buf[8192];
	if (read_small("/proc/meminfo", buf, sizeof buf) < 0)
		return;
	uint64_t total = meminfo_kb(buf, "MemTotal:");
	uint64_t avail = meminfo_kb(buf, "MemAvailable:");
	uint64_t fr = meminfo_kb(buf, "MemFree:");
	uint64_t buffers = meminfo_kb(buf, "Buffers:");
	uint64_t cached = meminfo_kb(buf, "\nCached:") + meminfo_kb(buf, "SReclaimable:");
	h->mem_total = total * 1024;
	h->mem_cached = (cached + buffers) * 1024;
	/* "used" as free(1) shows it: what is neither free nor reclaimable. */
	uint64_t used = avail && avail <= total ? total - avail
						: total - fr - buffers - cached;
	h->mem_used = used * 1024;
}

int dome_host_sample(struct dome_host *h, const char *root, struct dome_error *err)
{
	char buf[4096];
	if (read_small("/proc/uptime", buf, sizeof buf) < 0)
		return dome_fail(err, errno, "cannot read /proc/uptime; is /proc mounted?");
	h->uptime_s = strtod(buf, NULL);
	if (read_small("/proc/loadavg", buf, sizeof buf) > 0)
		sscanf(buf, "%lf %lf %lf", &h->load[0], &h->load[1], &h->load[2]);
	struct dome_cpu_sample now;
	if (read_small("/proc/stat", buf, sizeof buf) > 0 && dome_cpu_parse(buf, &now) == 0) {
		h->cpu_pct = h->cpu.total ? dome_cpu_percent(&h->cpu, &now) : 0;
		h->cpu = now;
	}
	sample_memory(h);
	struct statvfs vfs;
	if (root && statvfs(root, &vfs) == 0) {
		h->disk_total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		h->disk_used = (uint64_t)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
	}
	return 0;
}
