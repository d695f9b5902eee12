/* Process identity: a pid alone is not an identity, so dome stores a pid
 * together with its start time (/proc/PID/stat field 22, clock ticks since
 * boot) and checks both before trusting or signalling a stored pid. */
#ifndef DOME_PROC_H
#define DOME_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of `pid`; -1 with errno (ESRCH) when there is no such process. */
int dome_proc_start_time(pid_t pid, int64_t *start);

/* True when `pid` runs (a zombie does not) and started at `start` (the same
 * process). */
bool dome_proc_alive(pid_t pid, int64_t start);

/* True when `pid` would take signal `sig` rather than drop it, as pid 1 of
 * a PID namespace drops a signal it neither handles nor blocks: it has a
 * handler, or blocks it (it stays pending), or `pid` is in
 * rt_sigtimedwait, which unblocks the set it waits for while it waits (so
 * SigBlk then shows none of it): busybox init waits for its signals so. */
bool dome_proc_takes_signal(pid_t pid, int sig);

/* Seconds since boot. */
double dome_uptime_seconds(void);

#endif
