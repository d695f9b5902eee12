/* Host figures for the console header, read from /proc, /etc/os-release,
 * uname and statvfs: no process is spawned. CPU % is the busy share of all
 * CPUs between two samples, so it needs the previous sample. */
#ifndef DOME_HOST_H
#define DOME_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include "dome.h"

struct dome_cpu_sample {
	uint64_t busy, total;  /* jiffies summed over the "cpu" line */
};

struct dome_host {
	char hostname[256];
	char distro[128];      /* PRETTY_NAME of /etc/os-release, or "Linux" */
	char kernel[128];      /* uname release */
	char cgroup_layout[8]; /* v1 v2 hybrid, or "?" */
	double uptime_s;
	double load[3];
	int ncpu;
	double cpu_pct;        /* 0..100 of the whole host, since the previous sample */
	struct dome_cpu_sample cpu; /* this sample, pass back in next time */
	uint64_t mem_total, mem_used, mem_cached; /* bytes; used excludes cache/buffers */
	uint64_t disk_total, disk_used;           /* bytes, of the state root's filesystem */
	unsigned running, frozen, stopped, other; /* container counts, filled by the caller */
};

/* Read the figures that change rarely (hostname, distro, kernel, cgroup
 * layout) once. */
void dome_host_identity(struct dome_host *h);

/* Refresh the changing figures: uptime, load, CPU % (against the sample
 * already in h->cpu; the first call gives 0), memory, and the disk of `root`.
 * Figures that cannot be read are left 0; returns -1 only when /proc is
 * missing altogether. */
int dome_host_sample(struct dome_host *h, const char *root, struct dome_error *err);

/* CPU % between two samples (0 when nothing elapsed). */
double dome_cpu_percent(const struct dome_cpu_sample *prev, const struct dome_cpu_sample *now);

/* Parse the first "cpu " line of /proc/stat text. */
int dome_cpu_parse(const char *stat_text, struct dome_cpu_sample *out);

#endif
