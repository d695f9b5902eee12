#include "limit_events.h"
#include "cgroup.h"
#include "cgroup_events.h"
#include "cleanup.h"
#include "dome.h"
#include "report.h"
#include "store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The kinds recorded, each with its own rate limit. */
enum { HIT_PIDS, HIT_MEM_HIGH, HIT_MEM_MAX, OOM_KILL, NKINDS };

struct dome_limit_watch {
	char root[4096], name[64];
	struct dome_cgroup *cg;
	struct dome_cgroup_watch files;
	uint64_t seen[NKINDS];      /* the kernel's counts at the last read */
	uint64_t recorded[NKINDS];  /* the counts the events recorded so far cover */
	int64_t last_ms[NKINDS];    /* when each kind was last recorded */
	uint64_t ooms;              /* OOM events seen */
	int recheck;                /* reads left at RECHECK_MS after an OOM event */
};

/* An OOM event is notified before its kill is done (v1 signals the eventfd
 * first): the count is read again shortly after, a few times. */
#define RECHECK_MS 100
#define RECHECKS 5

static uint64_t count_of(const struct dome_cgroup_events *e, int kind)
{
	switch (kind) {
	case HIT_PIDS: return e->pids_max;
	case HIT_MEM_HIGH: return e->mem_high;
	case HIT_MEM_MAX: return e->mem_max;
	default: return e->oom_kill;
	}
}

struct dome_limit_watch *dome_limit_watch_open(const char *root, const char *prefix,
					       const char *name)
{
	struct dome_error err;
	struct dome_limit_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	strlcpy(w->root, root, sizeof w->root);
	strlcpy(w->name, name, sizeof w->name);
	w->cg = dome_cgroup_open(prefix, name, &err);
	if (!w->cg || dome_cgroup_watch_open(w->cg, &w->files, &err) < 0) {
		dome_cgroup_free(w->cg);
		free(w);
		return NULL;
	}
	/* Counts from before the watch (a hit while init set up) are
	 * recorded with the first hit after it. */
	return w;
}

size_t dome_limit_watch_fds(const struct dome_limit_watch *w, struct pollfd *out)
{
	return w ? dome_cgroup_watch_fds(&w->files, out) : 0;
}

int dome_limit_watch_timeout(const struct dome_limit_watch *w)
{
	if (!w)
		return -1;
	int64_t now = dome_now_ms(), due = -1;
	for (int k = 0; k < NKINDS; k++) {
		if (w->seen[k] <= w->recorded[k])
			continue;
		int64_t left = w->last_ms[k] + DOME_LIMIT_EVENT_GAP_MS - now;
		if (left < 0)
			left = 0;
		if (due < 0 || left < due)
			due = left;
	}
	if (w->files.pids_unnotified && (due < 0 || due > DOME_CG_WATCH_POLL_MS))
		due = DOME_CG_WATCH_POLL_MS;
	if (w->recheck > 0 && (due < 0 || due > RECHECK_MS))
		due = RECHECK_MS;
	return (int)due;
}

/* Record the held counts of every kind due (all of them when `all`). One
 * database session for the lot; the monitor holds none between records. */
static void record_due(struct dome_limit_watch *w, bool all)
{
	int64_t now = dome_now_ms();
	bool due[NKINDS] = { false }, any = false;
	for (int k = 0; k < NKINDS; k++) {
		due[k] = w->seen[k] > w->recorded[k] &&
			 (all || now - w->last_ms[k] >= DOME_LIMIT_EVENT_GAP_MS);
		any = any || due[k];
	}
	if (!any)
		return;
	struct dome_error err;
	struct dome_cgroup_stats st;
	memset(&st, 0, sizeof st);
	st.memory_limit = DOME_UNLIMITED;
	if (dome_cgroup_stats(w->cg, &st, &err) < 0) {
		st.pids_limit = 0;
		st.memory_limit = DOME_UNLIMITED;
	}
	struct dome_open_opts o = { .root = w->root };
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		return; /* held: the next wake, or the run's end, tries again */
	static const char *const limit_names[] = { "pids.max", "memory.high", "memory.max" };
	for (int k = 0; k < NKINDS; k++) {
		if (!due[k])
			continue;
		json_int_t count = (json_int_t)(w->seen[k] - w->recorded[k]);
		json_t *detail;
		if (k == OOM_KILL)
			detail = json_pack("{s:I}", "count", count);
		else
			detail = json_pack("{s:s, s:I}", "limit", limit_names[k], "count", count);
		if (k == HIT_PIDS && st.pids_limit)
			json_object_set_new(detail, "value", json_integer((json_int_t)st.pids_limit));
		if ((k == HIT_MEM_MAX || k == OOM_KILL) && st.memory_limit != DOME_UNLIMITED)
			json_object_set_new(detail, k == OOM_KILL ? "memory_max" : "value",
					    json_integer((json_int_t)st.memory_limit));
		if (dome_event_record(ctx, w->name, k == OOM_KILL ? "oom_kill" : "limit_hit", detail,
				      &err) == 0) {
			w->recorded[k] = w->seen[k];
			w->last_ms[k] = now;
		}
	}
	dome_close(ctx);
}

void dome_limit_watch_wake(struct dome_limit_watch *w)
{
	if (!w)
		return;
	struct dome_cgroup_events e;
	dome_cgroup_watch_read(&w->files, &e);
	if (w->recheck > 0)
		w->recheck--;
	if (e.oom > w->ooms) {
		w->ooms = e.oom;
		w->recheck = RECHECKS;
	}
	for (int k = 0; k < NKINDS; k++)
		if (count_of(&e, k) > w->seen[k])
			w->seen[k] = count_of(&e, k);
	record_due(w, false);
}

void dome_limit_watch_end(struct dome_limit_watch *w)
{
	if (!w)
		return;
	struct dome_cgroup_events e;
	dome_cgroup_watch_read(&w->files, &e);
	for (int k = 0; k < NKINDS; k++)
		if (count_of(&e, k) > w->seen[k])
			w->seen[k] = count_of(&e, k);
	record_due(w, true);
	dome_cgroup_watch_close(&w->files);
	dome_cgroup_free(w->cg);
	free(w);
}
