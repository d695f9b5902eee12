/* Do a container's limits fit this host? A cpus figure above the host's
 * CPUs, a cpuset naming CPUs the host does not have and an io limit on a
 * device it does not have (or on a partition: the kernel limits whole
 * disks) are valid values that the kernel then refuses at every start.
 * Checked when they are set: refused for a running container (applied live,
 * they would fail now), a warning for a stopped one (the host may get the
 * device or CPUs before its next start). */
#ifndef DOME_HOSTFIT_H
#define DOME_HOSTFIT_H

#include "error.h"
#include "inventory.h"

/* 0 when every limit of `after` that differs from `before` (all of them
 * when before is NULL) fits the host; -1 with a message naming the first
 * that does not. */
int dome_limits_fit_host(const struct dome_limits *before, const struct dome_limits *after,
			 struct dome_error *err);

/* The CPUs the host has online ("0-3"), for messages; "" if unknown. */
void dome_host_cpus(char *out, size_t len);

#endif
