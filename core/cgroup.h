/* cgroups: one front door, one driver per hierarchy version.
 *
 * Layouts (detected with statfs on /sys/fs/cgroup):
 *   v2      /sys/fs/cgroup is cgroup2: every controller there.
 *   v1      /sys/fs/cgroup is a tmpfs of v1 controller mounts, no cgroup2.
 *   hybrid  v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified
 *           (this is what crun refuses; dome supports it).
 *
 * A container's cgroup is <prefix>/<name> in each hierarchy it uses. Limits
 * are written before the payload runs; a limit change is all-or-nothing: if
 * the kernel refuses one value, the values already written are restored. */
#ifndef DOME_CGROUP_H
#define DOME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "inventory.h"

enum dome_cgroup_layout {
	DOME_CGROUP_V1,
	DOME_CGROUP_V2,
	DOME_CGROUP_HYBRID,
};

int dome_cgroup_detect(enum dome_cgroup_layout *layout, struct dome_error *err);
const char *dome_cgroup_layout_name(enum dome_cgroup_layout layout); /* "v1" "v2" "hybrid" */

struct dome_cgroup;

/* Make <prefix>/<name> (and <prefix> when missing) in every hierarchy dome
 * uses, with cpuset.cpus/mems copied from the parent on v1. Fails if it
 * exists already, unless `adopt_existing`. */
struct dome_cgroup *dome_cgroup_create(const char *prefix, const char *name,
				       bool adopt_existing, struct dome_error *err);
/* A start makes its cgroup in two steps, so that init can be cloned into it
 * (clone3 CLONE_INTO_CGROUP needs the cgroup2 dir) and build its root while
 * the v1 dirs and the limits are still being written; it joins those
 * itself (dome_cgroup_attach_self) before anything of the image runs.
 * dome_cgroup_create_clone_part makes the cgroup2 dir (all of it on v2,
 * devices restricted; nothing on a pure v1 host), dome_cgroup_create_rest the
 * v1 dirs with their device rules. Either undoes its own part on failure. */
enum dome_cgroup_part {
	DOME_CG_PART_CLONE = 1u,
	DOME_CG_PART_REST = 2u,
};
struct dome_cgroup *dome_cgroup_create_clone_part(const char *prefix, const char *name,
						  bool adopt_existing, struct dome_error *err);
int dome_cgroup_create_rest(struct dome_cgroup *cg, bool adopt_existing, struct dome_error *err);
/* An existing container cgroup; NULL with an error when it is not there. */
struct dome_cgroup *dome_cgroup_open(const char *prefix, const char *name,
				     struct dome_error *err);
void dome_cgroup_free(struct dome_cgroup *cg);

/* Write every limit (unset ones to the kernel's "unlimited"). */
int dome_cgroup_apply_limits(struct dome_cgroup *cg, const struct dome_limits *limits,
			     struct dome_error *err);
/* Move `pid` into the container's cgroup in every hierarchy. */
int dome_cgroup_attach(struct dome_cgroup *cg, pid_t pid, struct dome_error *err);
/* Move the calling process, which must be single-threaded, into the cgroup:
 * "0" into each v1 hierarchy's `tasks`, and into the cgroup2 dir's
 * cgroup.procs unless `in_unified` (it was cloned there already with
 * CLONE_INTO_CGROUP). Why not dome_cgroup_attach: a move by pid, or of a
 * whole thread group, takes the kernel's global cgroup_threadgroup_rwsem for
 * writing, which waits for an RCU grace period (10-20 ms here, most of a
 * container start; see bench/README.md); a thread moving only itself skips
 * that lock (kernel >= 5.17, "cgroup: Optimize single thread migration"). */
int dome_cgroup_attach_self(struct dome_cgroup *cg, bool in_unified, struct dome_error *err);
/* The cgroup2 dir, opened for clone3(CLONE_INTO_CGROUP); -1 when there is
 * none or it cannot be opened (the caller then moves the child itself). */
int dome_cgroup_unified_fd(struct dome_cgroup *cg);
/* Freeze or thaw; returns once the kernel reports it done. */
int dome_cgroup_freeze(struct dome_cgroup *cg, bool frozen, struct dome_error *err);
int dome_cgroup_is_frozen(struct dome_cgroup *cg, bool *frozen, struct dome_error *err);
/* SIGKILL every process (v2: cgroup.kill; v1: freeze, kill each, thaw). */
int dome_cgroup_kill_all(struct dome_cgroup *cg, struct dome_error *err);
/* The pids in the cgroup and in every cgroup under it (cgroup.procs),
 * malloc'd. */
int dome_cgroup_pids(struct dome_cgroup *cg, pid_t **pids, size_t *n, struct dome_error *err);
/* Call each(pid, rel) for every process in the cgroup and in the cgroups
 * under it, `rel` being the cgroup's path under the container's ("" for the
 * container's own, "/system.slice/web.service"); each returns -1 (with the
 * error set) to stop. */
int dome_cgroup_each_pid(struct dome_cgroup *cg, int (*each)(pid_t pid, const char *rel, void *data),
			 void *data, struct dome_error *err);
/* Remove the cgroup dirs (retrying while the kernel says EBUSY). */
int dome_cgroup_destroy(struct dome_cgroup *cg, struct dome_error *err);

/* A container's /sys/fs/cgroup, as the host lays it out, seen from its
 * cgroup namespace (rooted at the container's own cgroup), for an init such
 * as systemd (systemd.io/CONTAINER_INTERFACE): on v2 the cgroup2 subtree at
 * /sys/fs/cgroup itself; on v1 and hybrid a tmpfs holding each v1
 * hierarchy dome uses (read-only: the limits are dome's), the named systemd
 * one and, on hybrid, the cgroup2 "unified" one (writable: delegated, the
 * container's systemd makes its slices there), and the host's links
 * between them (cpu -> cpu,cpuacct). Only hierarchies the container has a
 * dir of its own in are listed: a mount of any other would show the host's
 * whole tree. */
struct dome_cgroup_ns_mount {
	char dir[64];      /* under /sys/fs/cgroup; "" is /sys/fs/cgroup itself */
	char fstype[8];    /* "cgroup", "cgroup2"; "" for a symlink */
	char opts[96];     /* cgroup: the controllers, or name=systemd */
	char link[64];     /* the symlink's target */
	bool writable;
};
#define DOME_CG_NS_MOUNTS_MAX 24
size_t dome_cgroup_ns_mounts(const struct dome_cgroup *cg, struct dome_cgroup_ns_mount *out,
			     size_t max);

struct dome_cgroup_stats {
	uint64_t cpu_usec;        /* CPU time used, microseconds */
	uint64_t memory_current;  /* bytes */
	uint64_t memory_limit;    /* bytes, DOME_UNLIMITED when none */
	uint64_t memory_cache;    /* page cache bytes */
	uint64_t swap_current;    /* bytes */
	uint64_t pids_current;
	uint64_t pids_limit;      /* 0 when none */
	uint64_t io_read_bytes, io_write_bytes;
	uint64_t oom_kills;
	bool frozen;
};

/* Read straight from cgroup files: no process is spawned. */
int dome_cgroup_stats(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
		      struct dome_error *err);

/* Only what a table row shows: cpu_usec, memory_current, pids_current (the
 * rest zero, memory_limit DOME_UNLIMITED): three reads instead of a dozen,
 * for a console refreshing hundreds of containers every second. */
int dome_cgroup_stats_brief(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			    struct dome_error *err);

/* Names of container cgroups under <prefix> (for doctor). malloc'd array of
 * malloc'd strings. */
int dome_cgroup_list(const char *prefix, char ***names, size_t *n, struct dome_error *err);
/* Whose <prefix> is (core/owner.h decides): a mark, the extended attribute
 * trusted.dome.owner, on the <prefix> dir of every hierarchy. trusted.*
 * because only a process with CAP_SYS_ADMIN on the host can set it: a
 * container given its own cgroup cannot forge another root's mark. */
enum dome_cgroup_mark {
	DOME_CG_PREFIX_ABSENT,    /* no <prefix> dir */
	DOME_CG_PREFIX_UNMARKED,  /* made by an older dome, or by hand */
	DOME_CG_PREFIX_MARKED,
};
/* The mark as one dir carries it (the cgroup2 dir when there is one, else
 * the first v1 hierarchy's): one getxattr, for every start. -1 on error. */
int dome_cgroup_prefix_mark(const char *prefix, char *mark, size_t len, struct dome_error *err);
/* Make <prefix> in every hierarchy and give each dir without a mark `mark`
 * (atomically: XATTR_CREATE, so two domes marking at once cannot both
 * win). 0 when every dir carries `mark` now; 1 when one carries another
 * (copied to `other`); -1 on error. */
int dome_cgroup_mark_prefix(const char *prefix, const char *mark, char *other, size_t len,
			    struct dome_error *err);

/* Remove the <prefix> dirs themselves once no container cgroup is left in
 * them (doctor, test teardown); a missing dir is fine. */
int dome_cgroup_remove_prefix(const char *prefix, struct dome_error *err);

#endif
