/* A container's processes as a tree: the console's Processes tab and
 * `dome ps` show what a system container's init runs, each process under
 * its parent, with the cgroup its init put it in (systemd's unit). */
#ifndef DOME_PTREE_H
#define DOME_PTREE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct dome_ctx;

struct dome_proc {
	pid_t pid;
	pid_t ppid;
	unsigned depth;     /* 0: its parent is not in the container (its init) */
	char cgroup[256];   /* under the container's cgroup: "" for its own,
			     * "/system.slice/web.service" for a unit's */
	char cmd[512];      /* the command line, NULs as spaces; "[comm]" for a
			     * process with none (a zombie), as ps shows it */
};

struct dome_ptree {
	struct dome_proc *procs; /* parents before their children, siblings by pid */
	size_t n;
};

/* Every process of running container `name` (its cgroup and those under
 * it), ordered as a tree. A process that exits while it is read is left
 * out. A stopped container has none (n = 0). */
int dome_container_ptree(struct dome_ctx *ctx, const char *name, struct dome_ptree *out,
			 struct dome_error *err);
void dome_ptree_free(struct dome_ptree *t);

/* The tree order of `n` processes whose pid, ppid are set (depth is
 * filled in): each parent before its children, siblings and roots by pid.
 * Exposed for the unit test. */
int dome_ptree_order(struct dome_proc *procs, size_t n, struct dome_error *err);

#endif
