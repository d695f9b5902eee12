/* A running container's limit hits and OOM kills, as the kernel counts them,
 * watched without polling: the files the kernel notifies on change
 * (cgroup2 memory.events and pids.events, v1 pids.events: poll() wakes with
 * POLLPRI) and, on v1 memory, an eventfd registered for memory.oom_control
 * through cgroup.event_control. The container's monitor waits on them and
 * records what changed (core/runtime.c). v1 has no count of memory.max hits
 * that the kernel notifies: there, only OOM events and kills are seen; and
 * the kernel does not notify on v1's pids.events, which is read on a timer. */
#ifndef DOME_CGROUP_EVENTS_H
#define DOME_CGROUP_EVENTS_H

#include <poll.h>
#include <stdint.h>
#include "cgroup.h"

/* Counts since the cgroup was made (each run has a fresh one). */
struct dome_cgroup_events {
	uint64_t pids_max;   /* forks refused at pids.max */
	uint64_t mem_high;   /* times over memory.high (throttled; v2) */
	uint64_t mem_max;    /* times at memory.max (reclaim, then OOM; v2) */
	uint64_t oom;        /* OOM events (the limit could not be kept) */
	uint64_t oom_kill;   /* processes the OOM killer killed */
};

#define DOME_CG_WATCH_FDS 3

struct dome_cgroup_watch {
	int memory_events;   /* cgroup2 memory.events, or -1 */
	int pids_events;     /* pids.events (cgroup2 or v1), or -1 */
	int oom_eventfd;     /* v1: eventfd for memory.oom_control, or -1 */
	int oom_control;     /* v1: memory.oom_control, or -1 */
	uint64_t v1_ooms;    /* v1: OOM events counted from the eventfd */
	bool pids_unnotified; /* v1 pids.events: the kernel does not notify on
			       * it (seen on 6.x), so it is read on a timer */
};

/* How often an unnotified pids.events is read. */
#define DOME_CG_WATCH_POLL_MS 5000

/* Open what this cgroup offers; a file the kernel lacks is left -1 (not an
 * error: the watch covers less). -1 only when nothing could be watched. */
int dome_cgroup_watch_open(struct dome_cgroup *cg, struct dome_cgroup_watch *w,
			   struct dome_error *err);
void dome_cgroup_watch_close(struct dome_cgroup_watch *w);

/* The descriptors to poll (up to DOME_CG_WATCH_FDS), with their events. */
size_t dome_cgroup_watch_fds(const struct dome_cgroup_watch *w, struct pollfd *out);

/* Read the counts now; this also takes the notification that woke the
 * caller (it re-arms the files and drains the eventfd). */
void dome_cgroup_watch_read(struct dome_cgroup_watch *w, struct dome_cgroup_events *out);

/* A keyed figure ("max 12") from text such as memory.events; 0 if absent. */
uint64_t dome_cg_keyed_value(const char *text, const char *key);

#endif
