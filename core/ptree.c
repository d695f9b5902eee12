/* A container's processes as a tree (core/ptree.h). Read from the
 * container's cgroups and /proc, no process spawned: the console redraws
 * the Processes tab from it every refresh. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "dome.h"
#include "fsutil.h"
#include "inventory.h"
#include "owner.h"
#include "ptree.h"
#include "runtime.h"
#include "validate.h"

/* A container has at most its pids limit of processes; this bounds a
 * listing whatever the limit (a fork bomb's cgroup is not listed whole). */
#define PTREE_MAX 65536

/* The parent of `pid`: /proc/PID/stat's 4th field, after the comm in
 * parentheses (which may itself hold ") "), so after the last ')'. */
static int read_ppid(pid_t pid, pid_t *ppid)
{
	char path[64], stat[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (dome_read_small(path, stat, sizeof stat) <= 0)
		return -1;
	char *p = strrchr(stat, ')');
	int v;
	if (!p || sscanf(p + 1, " %*c %d", &v) != 1)
		return -1;
	*ppid = v;
	return 0;
}

static int read_cmd(pid_t pid, char *cmd, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	ssize_t n = dome_read_small(path, cmd, len);
	if (n > 0) {
		while (n > 0 && cmd[n - 1] == '\0')
			n--;
		for (ssize_t i = 0; i < n; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[n] = '\0';
		return 0;
	}
	char comm[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (dome_read_small(path, comm, sizeof comm) <= 0)
		return -1;
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(cmd, len, "[%s]", comm);
	return 0;
}

struct collect {
	struct dome_ptree *t;
	size_t cap;
	struct dome_error *err;
};

static int add_proc(pid_t pid, const char *rel, void *data)
{
	struct collect *c = data;
	struct dome_ptree *t = c->t;
	if (t->n >= PTREE_MAX)
		return 0;
	if (t->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct dome_proc *p = reallocarray(t->procs, cap, sizeof *p);
		if (!p)
			return dome_fail(c->err, errno, "cannot list the container's processes");
		t->procs = p;
		c->cap = cap;
	}
	struct dome_proc *p = &t->procs[t->n];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	if (read_ppid(pid, &p->ppid) < 0 || read_cmd(pid, p->cmd, sizeof p->cmd) < 0)
		return 0; /* it exited since cgroup.procs was read */
	snprintf(p->cgroup, sizeof p->cgroup, "%s", rel);
	t->n++;
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct dome_proc *)a)->pid, y = ((const struct dome_proc *)b)->pid;
	return x < y ? -1 : x > y;
}

static size_t index_of(const struct dome_proc *sorted, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid].pid == pid)
			return mid;
		if (sorted[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

int dome_ptree_order(struct dome_proc *procs, size_t n, struct dome_error *err)
{
	if (n < 2) {
		if (n)
			procs[0].depth = 0;
		return 0;
	}
	qsort(procs, n, sizeof *procs, cmp_pid);
	/* Children lists as index chains (first child, next sibling), built
	 * from the highest pid down so each list comes out in pid order. */
	__cleanup_free size_t *first = malloc(n * sizeof *first);
	__cleanup_free size_t *next = malloc(n * sizeof *next);
	__cleanup_free size_t *stack = malloc(n * sizeof *stack);
	__cleanup_free struct dome_proc *out = malloc(n * sizeof *out);
	__cleanup_free bool *root = malloc(n * sizeof *root);
	if (!first || !next || !stack || !out || !root)
		return dome_fail(err, ENOMEM, "cannot order the container's processes");
	for (size_t i = 0; i < n; i++)
		first[i] = next[i] = n;
	for (size_t i = n; i-- > 0;) {
		size_t parent = procs[i].ppid == procs[i].pid ? n : index_of(procs, n, procs[i].ppid);
		root[i] = parent == n;
		if (!root[i]) {
			next[i] = first[parent];
			first[parent] = i;
		}
	}
	/* Depth first from each root in pid order; a parent loop (pids reused
	 * while read) has no root and is appended flat at the end. */
	size_t m = 0;
	__cleanup_free bool *done = calloc(n, sizeof *done);
	if (!done)
		return dome_fail(err, ENOMEM, "cannot order the container's processes");
	for (size_t r = 0; r < n; r++) {
		if (!root[r])
			continue;
		size_t sp = 0;
		stack[sp++] = r;
		procs[r].depth = 0;
		while (sp) {
			size_t i = stack[--sp];
			done[i] = true;
			out[m++] = procs[i];
			/* push the children in reverse so the lowest pid pops first */
			size_t kids = 0;
			for (size_t k = first[i]; k < n; k = next[k])
				kids++;
			size_t at = sp + kids;
			for (size_t k = first[i]; k < n; k = next[k]) {
				procs[k].depth = procs[i].depth + 1;
				stack[--at] = k;
			}
			sp += kids;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i]) {
			procs[i].depth = 0;
			out[m++] = procs[i];
		}
	memcpy(procs, out, n * sizeof *procs);
	return 0;
}

int dome_container_ptree(struct dome_ctx *ctx, const char *name, struct dome_ptree *out,
			 struct dome_error *err)
{
	out->procs = NULL;
	out->n = 0;
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	struct dome_container c;
	if (dome_inv_get(ctx->store, name, &c, err) < 0)
		return -1;
	if (c.pid <= 0 || !dome_runtime_alive(&c))
		return 0;
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, name, err);
	if (!cg)
		return -1;
	struct collect col = { out, 0, err };
	int r = dome_cgroup_each_pid(cg, add_proc, &col, err);
	dome_cgroup_free(cg);
	if (r < 0 || dome_ptree_order(out->procs, out->n, err) < 0) {
		dome_ptree_free(out);
		return -1;
	}
	return 0;
}

void dome_ptree_free(struct dome_ptree *t)
{
	free(t->procs);
	t->procs = NULL;
	t->n = 0;
}
