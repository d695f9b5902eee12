/* The monitor's watch on its container's limits (core/cgroup_events.h):
 * a limit reached (pids.max, memory.high, memory.max) is recorded as a
 * limit_hit event and an OOM kill as an oom_kill event when it happens, not
 * when the run ends. Rate-limited: each kind is recorded at most once per
 * DOME_LIMIT_EVENT_GAP_MS, with the count of hits since its last record, so
 * a fork bomb is one row every few seconds, not a row per refused fork. */
#ifndef DOME_LIMIT_EVENTS_H
#define DOME_LIMIT_EVENTS_H

#include <poll.h>
#include <stddef.h>

#define DOME_LIMIT_EVENT_GAP_MS 10000

struct dome_limit_watch;

/* Watch the cgroup of container NAME (state root ROOT, cgroup PREFIX).
 * NULL when there is nothing to watch (the run goes on unwatched). */
struct dome_limit_watch *dome_limit_watch_open(const char *root, const char *prefix,
					       const char *name);
/* The descriptors to add to the caller's poll (at most 3). */
size_t dome_limit_watch_fds(const struct dome_limit_watch *w, struct pollfd *out);
/* How long the caller may wait before a held record is due; -1: none. */
int dome_limit_watch_timeout(const struct dome_limit_watch *w);
/* A descriptor fired or the timeout passed: read the counts and record
 * what is due. */
void dome_limit_watch_wake(struct dome_limit_watch *w);
/* The run is over: record everything held, then stop watching. */
void dome_limit_watch_end(struct dome_limit_watch *w);

#endif
