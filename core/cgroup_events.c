#include "cgroup_events.h"
#include "cgroup_driver.h"
#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static const char *v1_dir(const struct dome_cgroup *cg, unsigned ctrl)
{
	for (size_t i = 0; i < cg->nhier; i++)
		if (cg->hier[i].ctrls & ctrl)
			return cg->hier[i].dir;
	return NULL;
}

static int open_in(const char *dir, const char *file)
{
	char path[PATH_MAX];
	if (!dir || dome_pathf(path, sizeof path, "%s/%s", dir, file) < 0)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* v1: ask for an eventfd signal on each OOM event of the memory cgroup. */
static int v1_oom_eventfd(const char *dir, int oom_control)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -1;
	char path[PATH_MAX], line[64];
	int ctl = -1;
	if (dome_pathf(path, sizeof path, "%s/cgroup.event_control", dir) == 0)
		ctl = open(path, O_WRONLY | O_CLOEXEC);
	int n = snprintf(line, sizeof line, "%d %d", efd, oom_control);
	bool ok = ctl >= 0 && write(ctl, line, (size_t)n) == n;
	if (ctl >= 0)
		close(ctl);
	if (!ok) {
		close(efd);
		return -1;
	}
	return efd;
}

int dome_cgroup_watch_open(struct dome_cgroup *cg, struct dome_cgroup_watch *w,
			   struct dome_error *err)
{
	memset(w, 0, sizeof *w);
	w->memory_events = w->pids_events = w->oom_eventfd = w->oom_control = -1;
	const char *unified = cg->unified[0] && (cg->layout == DOME_CGROUP_V2 || cg->unified_limits)
				      ? cg->unified : NULL;
	if (unified) {
		w->memory_events = open_in(unified, "memory.events");
		w->pids_events = open_in(unified, "pids.events");
	}
	if (w->pids_events < 0) {
		w->pids_events = open_in(v1_dir(cg, CG_PIDS), "pids.events");
		w->pids_unnotified = w->pids_events >= 0;
	}
	if (w->memory_events < 0 && v1_dir(cg, CG_MEMORY)) {
		w->oom_control = open_in(v1_dir(cg, CG_MEMORY), "memory.oom_control");
		if (w->oom_control >= 0)
			w->oom_eventfd = v1_oom_eventfd(v1_dir(cg, CG_MEMORY), w->oom_control);
	}
	if (w->memory_events < 0 && w->pids_events < 0 && w->oom_eventfd < 0)
		return dome_fail(err, 0, "cgroup %s/%s has no event file to watch", cg->prefix, cg->name);
	return 0;
}

void dome_cgroup_watch_close(struct dome_cgroup_watch *w)
{
	int *fds[] = { &w->memory_events, &w->pids_events, &w->oom_eventfd, &w->oom_control };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

size_t dome_cgroup_watch_fds(const struct dome_cgroup_watch *w, struct pollfd *out)
{
	size_t n = 0;
	/* kernfs wakes a poller of a changed file with POLLPRI (and POLLERR) */
	if (w->memory_events >= 0)
		out[n++] = (struct pollfd){ .fd = w->memory_events, .events = POLLPRI };
	if (w->pids_events >= 0 && !w->pids_unnotified)
		out[n++] = (struct pollfd){ .fd = w->pids_events, .events = POLLPRI };
	if (w->oom_eventfd >= 0)
		out[n++] = (struct pollfd){ .fd = w->oom_eventfd, .events = POLLIN };
	return n;
}

uint64_t dome_cg_keyed_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

/* Read the whole file through its open descriptor (from the start: a
 * kernfs file's notification is taken by reading it). */
static bool read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = fd >= 0 ? pread(fd, buf, len - 1, 0) : -1;
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

void dome_cgroup_watch_read(struct dome_cgroup_watch *w, struct dome_cgroup_events *out)
{
	char buf[512];
	memset(out, 0, sizeof *out);
	if (read_fd(w->memory_events, buf, sizeof buf)) {
		out->mem_high = dome_cg_keyed_value(buf, "high");
		out->mem_max = dome_cg_keyed_value(buf, "max");
		out->oom = dome_cg_keyed_value(buf, "oom");
		out->oom_kill = dome_cg_keyed_value(buf, "oom_kill");
	}
	if (read_fd(w->pids_events, buf, sizeof buf))
		out->pids_max = dome_cg_keyed_value(buf, "max");
	if (w->oom_eventfd >= 0) {
		uint64_t v;
		if (read(w->oom_eventfd, &v, sizeof v) == (ssize_t)sizeof v)
			w->v1_ooms += v;
		out->oom = w->v1_ooms;
	}
	if (read_fd(w->oom_control, buf, sizeof buf))
		out->oom_kill = dome_cg_keyed_value(buf, "oom_kill");
}
