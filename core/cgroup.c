/* cgroups, the front door: layout detection, the handle, driver selection,
 * the operations that are the same for every hierarchy (attach, pids,
 * destroy, list) and the file helpers both drivers use.
 *
 * Where things live:
 *   v2      /sys/fs/cgroup/<prefix>/<name>, every controller there.
 *   v1      /sys/fs/cgroup/<controller>/<prefix>/<name> for each of the
 *           controllers dome uses (cpu, cpuacct, cpuset, memory, pids,
 *           blkio, freezer, devices); co-mounted ones (cpu,cpuacct) are
 *           one hierarchy.
 *   hybrid  the v1 dirs, plus /sys/fs/cgroup/unified/<prefix>/<name>. Limits,
 *           stats and freezing go through v1 (the controllers are bound
 *           there, and one freezer keeps freezer.state and the kill loop
 *           consistent); the unified dir is made too because every non-root
 *           cgroup2 dir has cgroup.kill (kernel >= 5.14) whatever controllers
 *           it has, which kills everything atomically, racing no fork. A
 *           tmpfs with a cgroup2 "unified" mount and no v1 controller at all
 *           (cgroup_no_v1=all under systemd's hybrid mode) is treated as v2
 *           rooted at /sys/fs/cgroup/unified. */
#include "cgroup_driver.h"
#include "cleanup.h"
#include "fsutil.h"
#include "owner.h"
#include "validate.h"

#include <string.h> /* strlcpy via libbsd-overlay */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

/* Deep enough for any tree a container's systemd makes
 * (system.slice/system-getty.slice/x.service is three); deeper trees are
 * left to the rmdir's EBUSY. */
#define CG_MAX_DEPTH 16

static const char *const ctrl_names[CG_NCTRL] = {
	"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "freezer", "devices",
};

const char *dome_cg_ctrl_name(unsigned ctrl)
{
	for (unsigned i = 0; i < CG_NCTRL; i++)
		if (ctrl == 1u << i)
			return ctrl_names[i];
	return "";
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;
	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* Any v1 controller hierarchy dome uses mounted under /sys/fs/cgroup. */
static bool have_v1_controllers(void)
{
	char path[PATH_MAX];
	for (unsigned i = 0; i < CG_NCTRL; i++) {
		snprintf(path, sizeof path, DOME_CGROUP_ROOT "/%s", ctrl_names[i]);
		if (is_fs(path, CGROUP_SUPER_MAGIC))
			return true;
	}
	return false;
}

/* The cgroup2 mount point for the layout, "" when there is none. */
static const char *v2_root(enum dome_cgroup_layout layout)
{
	if (layout == DOME_CGROUP_V1)
		return "";
	return is_fs(DOME_CGROUP_ROOT, CGROUP2_SUPER_MAGIC) ? DOME_CGROUP_ROOT
							     : DOME_CGROUP_UNIFIED;
}

int dome_cgroup_detect(enum dome_cgroup_layout *layout, struct dome_error *err)
{
	struct statfs s;
	if (statfs(DOME_CGROUP_ROOT, &s) < 0)
		return dome_fail(err, errno, "cannot look at " DOME_CGROUP_ROOT);
	if ((long)s.f_type == CGROUP2_SUPER_MAGIC) {
		*layout = DOME_CGROUP_V2;
		return 0;
	}
	bool unified = is_fs(DOME_CGROUP_UNIFIED, CGROUP2_SUPER_MAGIC);
	if (have_v1_controllers()) {
		*layout = unified ? DOME_CGROUP_HYBRID : DOME_CGROUP_V1;
		return 0;
	}
	if (unified) {
		*layout = DOME_CGROUP_V2;
		return 0;
	}
	return dome_fail(err, 0,
			 DOME_CGROUP_ROOT " has neither cgroup2 nor cgroup v1 controllers mounted");
}

const char *dome_cgroup_layout_name(enum dome_cgroup_layout layout)
{
	switch (layout) {
	case DOME_CGROUP_V1: return "v1";
	case DOME_CGROUP_V2: return "v2";
	case DOME_CGROUP_HYBRID: return "hybrid";
	}
	return "unknown";
}

/* The v1 hierarchies: each controller's mount, co-mounted ones merged (on
 * many systems cpu and cpuacct are symlinks to one cpu,cpuacct mount). */
/* The host's cgroup mounts, looked at once per process: they do not change
 * under a running dome, and the console opens a cgroup per running
 * container per refresh (statfs and realpath of every controller each time
 * cost more than reading the figures). */
static struct {
	bool known;
	enum dome_cgroup_layout layout;
	size_t nmount;
	char mount[CG_NHIER][PATH_MAX];
	unsigned ctrls[CG_NHIER];
} host;

static int host_mounts(struct dome_error *err)
{
	if (host.known)
		return 0;
	if (dome_cgroup_detect(&host.layout, err) < 0)
		return -1;
	char path[PATH_MAX], real[PATH_MAX];
	for (unsigned i = 0; host.layout != DOME_CGROUP_V2 && i < CG_NCTRL; i++) {
		snprintf(path, sizeof path, DOME_CGROUP_ROOT "/%s", ctrl_names[i]);
		if (!is_fs(path, CGROUP_SUPER_MAGIC) || !realpath(path, real))
			continue;
		size_t h = 0;
		while (h < host.nmount && strcmp(host.mount[h], real) != 0)
			h++;
		if (h == host.nmount)
			strlcpy(host.mount[host.nmount++], real, sizeof host.mount[h]);
		host.ctrls[h] |= 1u << i;
	}
	/* The named systemd hierarchy, where systemd (the host's and a
	 * container's) tracks services on v1 and hybrid: a container's own dir
	 * there is what its systemd is given (dome_cgroup_ns_mounts). */
	if (host.layout != DOME_CGROUP_V2 && is_fs(DOME_CGROUP_ROOT "/systemd", CGROUP_SUPER_MAGIC) &&
	    realpath(DOME_CGROUP_ROOT "/systemd", real)) {
		strlcpy(host.mount[host.nmount], real, sizeof host.mount[0]);
		host.ctrls[host.nmount++] = 0;
	}
	host.known = true;
	return 0;
}

static void find_v1_hierarchies(struct dome_cgroup *cg)
{
	for (size_t h = 0; h < host.nmount; h++) {
		struct dome_cg_hier *hi = &cg->hier[cg->nhier];
		if (strlen(host.mount[h]) >= sizeof hi->mount ||
		    snprintf(hi->dir, sizeof hi->dir, "%s/%s/%s", host.mount[h], cg->prefix,
			     cg->name) >= (int)sizeof hi->dir)
			continue; /* a mount path that long: not one dome can use */
		strlcpy(hi->mount, host.mount[h], sizeof hi->mount);
		hi->ctrls = host.ctrls[h];
		cg->nhier++;
	}
}

static struct dome_cgroup *cgroup_new(const char *prefix, const char *name,
				      struct dome_error *err)
{
	if (dome_validate_name("cgroup prefix", prefix, err) < 0 ||
	    dome_validate_name("container", name, err) < 0 || host_mounts(err) < 0)
		return NULL;
	enum dome_cgroup_layout layout = host.layout;
	struct dome_cgroup *cg = calloc(1, sizeof *cg);
	if (!cg) {
		dome_fail(err, errno, "cannot allocate a cgroup handle");
		return NULL;
	}
	cg->layout = layout;
	strlcpy(cg->prefix, prefix, sizeof cg->prefix);
	strlcpy(cg->name, name, sizeof cg->name);
	const char *root = v2_root(layout);
	if (root[0])
		snprintf(cg->unified, sizeof cg->unified, "%s/%s/%s", root, prefix, name);
	if (layout == DOME_CGROUP_V2) {
		cg->unified_limits = true;
		cg->drv = &dome_cgroup_v2_driver;
	} else {
		find_v1_hierarchies(cg);
		cg->drv = &dome_cgroup_v1_driver;
		if (cg->nhier == 0) {
			free(cg);
			dome_fail(err, 0, "no cgroup v1 controller is mounted under " DOME_CGROUP_ROOT);
			return NULL;
		}
	}
	return cg;
}

void dome_cgroup_free(struct dome_cgroup *cg)
{
	free(cg);
}

static int create_parts(struct dome_cgroup *cg, unsigned parts, bool adopt_existing,
			struct dome_error *err)
{
	if (cg->drv->create(cg, parts, adopt_existing, err) < 0) {
		dome_error_prefix(err, "creating the cgroup of '%s'", cg->name);
		return -1;
	}
	return 0;
}

static struct dome_cgroup *create_new(const char *prefix, const char *name, unsigned parts,
				      bool adopt_existing, struct dome_error *err)
{
	struct dome_cgroup *cg = cgroup_new(prefix, name, err);
	if (cg && create_parts(cg, parts, adopt_existing, err) < 0) {
		free(cg);
		return NULL;
	}
	return cg;
}

struct dome_cgroup *dome_cgroup_create(const char *prefix, const char *name,
				       bool adopt_existing, struct dome_error *err)
{
	return create_new(prefix, name, DOME_CG_PART_CLONE | DOME_CG_PART_REST, adopt_existing,
			  err);
}

struct dome_cgroup *dome_cgroup_create_clone_part(const char *prefix, const char *name,
						  bool adopt_existing, struct dome_error *err)
{
	return create_new(prefix, name, DOME_CG_PART_CLONE, adopt_existing, err);
}

int dome_cgroup_create_rest(struct dome_cgroup *cg, bool adopt_existing, struct dome_error *err)
{
	return create_parts(cg, DOME_CG_PART_REST, adopt_existing, err);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

struct dome_cgroup *dome_cgroup_open(const char *prefix, const char *name,
				     struct dome_error *err)
{
	struct dome_cgroup *cg = cgroup_new(prefix, name, err);
	if (!cg)
		return NULL;
	/* One surviving dir is enough to open: destroy and doctor must be able
	 * to finish a half-removed cgroup. */
	bool any = cg->unified[0] && is_dir(cg->unified);
	for (size_t i = 0; i < cg->nhier && !any; i++)
		any = is_dir(cg->hier[i].dir);
	if (!any) {
		dome_fail(err, ENOENT, "container '%s' has no cgroup %s/%s (%s layout)", name,
			  prefix, name, dome_cgroup_layout_name(cg->layout));
		free(cg);
		return NULL;
	}
	return cg;
}

int dome_cgroup_apply_limits(struct dome_cgroup *cg, const struct dome_limits *limits,
			     struct dome_error *err)
{
	if (dome_cg_limits_check(limits, err) < 0)
		return -1;
	if (cg->drv->apply_limits(cg, limits, err) < 0) {
		dome_error_prefix(err, "setting the limits of '%s'", cg->name);
		return -1;
	}
	return 0;
}

int dome_cgroup_attach(struct dome_cgroup *cg, pid_t pid, struct dome_error *err)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%d", (int)pid);
	for (size_t i = 0; i < cg->nhier; i++)
		if (dome_cg_write(cg->hier[i].dir, "cgroup.procs", buf, err) < 0)
			goto fail;
	if (cg->unified[0] && dome_cg_write(cg->unified, "cgroup.procs", buf, err) < 0)
		goto fail;
	return 0;
fail:
	dome_error_prefix(err, "moving pid %d into the cgroup of '%s'", (int)pid, cg->name);
	return -1;
}

int dome_cgroup_attach_self(struct dome_cgroup *cg, bool in_unified, struct dome_error *err)
{
	for (size_t i = 0; i < cg->nhier; i++)
		if (dome_cg_write(cg->hier[i].dir, "tasks", "0", err) < 0)
			goto fail;
	if (cg->unified[0] && !in_unified && dome_cg_write(cg->unified, "cgroup.procs", "0", err) < 0) {
		/* A cgroup2 dir whose init (systemd) moved itself into a child
		 * and enabled controllers for its children takes no process
		 * (no internal processes): a leaf of dome's own under it then
		 * does, as LXC's attach uses one. */
		char leaf[PATH_MAX];
		bool made;
		if (err->errnum != EBUSY ||
		    dome_pathf(leaf, sizeof leaf, "%s/" DOME_CG_EXEC_LEAF, cg->unified) < 0 ||
		    dome_cg_mkdir(leaf, &made, err) < 0 || dome_cg_write(leaf, "cgroup.procs", "0", err) < 0)
			goto fail;
	}
	return 0;
fail:
	dome_error_prefix(err, "moving into the cgroup of '%s'", cg->name);
	return -1;
}

int dome_cgroup_unified_fd(struct dome_cgroup *cg)
{
	return cg->unified[0] ? open(cg->unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

int dome_cgroup_freeze(struct dome_cgroup *cg, bool frozen, struct dome_error *err)
{
	if (cg->drv->freeze(cg, frozen, err) < 0) {
		dome_error_prefix(err, "%s '%s'", frozen ? "freezing" : "thawing", cg->name);
		return -1;
	}
	return 0;
}

int dome_cgroup_is_frozen(struct dome_cgroup *cg, bool *frozen, struct dome_error *err)
{
	return cg->drv->is_frozen(cg, frozen, err);
}

int dome_cgroup_kill_all(struct dome_cgroup *cg, struct dome_error *err)
{
	if (cg->drv->kill_all(cg, err) < 0) {
		dome_error_prefix(err, "killing the processes of '%s'", cg->name);
		return -1;
	}
	return 0;
}

/* The dir whose cgroup.procs is the container's process list: the cgroup2
 * one when there is one (kill works there), else the freezer's. */
static const char *procs_dir(const struct dome_cgroup *cg)
{
	if (cg->unified[0])
		return cg->unified;
	for (size_t i = 0; i < cg->nhier; i++)
		if (cg->hier[i].ctrls & CG_FREEZER)
			return cg->hier[i].dir;
	return cg->hier[0].dir;
}

/* Visit `dir` and every cgroup dir under it (CG_MAX_DEPTH down at most),
 * each before the dirs under it: visit(path, rel) with `rel` its path under
 * `dir` ("" for `dir`, "/system.slice/x.service" under it). A visit that
 * returns non-zero ends the walk with that value. One walk for every reader
 * of a subtree (a system container's init makes cgroups of its own). */
typedef int (*cg_visit_fn)(const char *path, const char *rel, void *data);
static int cg_walk_at(const char *path, const char *rel, int depth, cg_visit_fn visit, void *data)
{
	int r = visit(path, rel, data);
	if (r || depth >= CG_MAX_DEPTH)
		return r;
	__cleanup_closedir DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char sub[PATH_MAX], subrel[PATH_MAX];
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub ||
		    snprintf(subrel, sizeof subrel, "%s/%s", rel, de->d_name) >= (int)sizeof subrel)
			continue;
		if ((r = cg_walk_at(sub, subrel, depth + 1, visit, data)))
			return r;
	}
	return 0;
}

static int cg_walk(const char *dir, cg_visit_fn visit, void *data)
{
	return cg_walk_at(dir, "", 0, visit, data);
}

struct each_pid {
	int (*each)(pid_t pid, const char *rel, void *data);
	void *data;
	struct dome_error *err;
};

static int visit_pids(const char *path, const char *rel, void *data)
{
	struct each_pid *e = data;
	__cleanup_free pid_t *here = NULL;
	size_t k;
	if (dome_cg_read_pids(path, &here, &k, e->err) < 0)
		/* a cgroup under the container's may go while it is read */
		return rel[0] && e->err->errnum == ENOENT ? 0 : -1;
	for (size_t i = 0; i < k; i++)
		if (e->each(here[i], rel, e->data) < 0)
			return -1;
	return 0;
}

int dome_cgroup_each_pid(struct dome_cgroup *cg, int (*each)(pid_t pid, const char *rel, void *data),
			 void *data, struct dome_error *err)
{
	struct each_pid e = { each, data, err };
	return cg_walk(procs_dir(cg), visit_pids, &e) < 0 ? -1 : 0;
}

struct pid_list {
	pid_t *pids;
	size_t n, cap;
	struct dome_error *err;
};

static int add_pid(pid_t pid, const char *rel, void *data)
{
	(void)rel;
	struct pid_list *l = data;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		pid_t *p = reallocarray(l->pids, cap, sizeof *p);
		if (!p)
			return dome_fail(l->err, errno, "cannot list a container's processes");
		l->pids = p;
		l->cap = cap;
	}
	l->pids[l->n++] = pid;
	return 0;
}

int dome_cgroup_pids(struct dome_cgroup *cg, pid_t **pids, size_t *n, struct dome_error *err)
{
	/* A system container's init puts its services in cgroups of their
	 * own under the container's: all of them are the container's. */
	struct pid_list l = { .err = err };
	if (dome_cgroup_each_pid(cg, add_pid, &l, err) < 0) {
		free(l.pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	*pids = l.pids;
	*n = l.n;
	return 0;
}

int dome_cgroup_destroy(struct dome_cgroup *cg, struct dome_error *err)
{
	int rc = 0;
	struct dome_error e2;
	for (size_t i = 0; i < cg->nhier; i++)
		if (dome_cg_rmdir(cg->hier[i].dir, rc ? &e2 : err) < 0)
			rc = -1;
	if (cg->unified[0] && dome_cg_rmdir(cg->unified, rc ? &e2 : err) < 0)
		rc = -1;
	if (rc < 0)
		dome_error_prefix(err, "removing the cgroup of '%s'", cg->name);
	return rc;
}

static struct dome_cgroup_ns_mount *ns_add(struct dome_cgroup_ns_mount *out, size_t max,
					    size_t *n, const char *dir)
{
	if (*n >= max || strlen(dir) >= sizeof out->dir)
		return NULL;
	struct dome_cgroup_ns_mount *m = &out[(*n)++];
	memset(m, 0, sizeof *m);
	strlcpy(m->dir, dir, sizeof m->dir);
	return m;
}

size_t dome_cgroup_ns_mounts(const struct dome_cgroup *cg, struct dome_cgroup_ns_mount *out,
			     size_t max)
{
	size_t n = 0;
	struct dome_cgroup_ns_mount *m;
	if (cg->layout == DOME_CGROUP_V2) {
		if ((m = ns_add(out, max, &n, ""))) {
			strlcpy(m->fstype, "cgroup2", sizeof m->fstype);
			m->writable = true;
		}
		return n;
	}
	for (size_t i = 0; i < cg->nhier; i++) {
		const char *base = strrchr(cg->hier[i].mount, '/');
		if (!base || !(m = ns_add(out, max, &n, base + 1)))
			continue;
		strlcpy(m->fstype, "cgroup", sizeof m->fstype);
		if (cg->hier[i].ctrls == 0) {
			strlcpy(m->opts, CG_NAMED_SYSTEMD, sizeof m->opts);
			m->writable = true;
			continue;
		}
		for (unsigned c = 0; c < CG_NCTRL; c++) {
			if (!(cg->hier[i].ctrls & (1u << c)))
				continue;
			if (m->opts[0])
				strlcat(m->opts, ",", sizeof m->opts);
			strlcat(m->opts, ctrl_names[c], sizeof m->opts);
		}
	}
	if (cg->unified[0] && (m = ns_add(out, max, &n, "unified"))) {
		strlcpy(m->fstype, "cgroup2", sizeof m->fstype);
		m->writable = true;
	}
	/* The host's links to co-mounted hierarchies, when they point at one
	 * listed above. */
	for (unsigned c = 0; c < CG_NCTRL; c++) {
		char path[PATH_MAX], target[64];
		snprintf(path, sizeof path, DOME_CGROUP_ROOT "/%s", ctrl_names[c]);
		ssize_t len = readlink(path, target, sizeof target - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		bool listed = false;
		for (size_t i = 0; i < n && !listed; i++)
			listed = out[i].fstype[0] && strcmp(out[i].dir, target) == 0;
		if (listed && (m = ns_add(out, max, &n, ctrl_names[c])))
			strlcpy(m->link, target, sizeof m->link);
	}
	return n;
}

int dome_cgroup_stats(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
		      struct dome_error *err)
{
	memset(out, 0, sizeof *out);
	out->memory_limit = DOME_UNLIMITED;
	if (cg->drv->stats(cg, out, err) < 0) {
		dome_error_prefix(err, "reading the cgroup figures of '%s'", cg->name);
		return -1;
	}
	return 0;
}

int dome_cgroup_stats_brief(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			    struct dome_error *err)
{
	memset(out, 0, sizeof *out);
	out->memory_limit = DOME_UNLIMITED;
	if (cg->drv->stats_brief(cg, out, err) < 0) {
		dome_error_prefix(err, "reading the cgroup figures of '%s'", cg->name);
		return -1;
	}
	return 0;
}

/* ---- listing (doctor) ---- */

static int add_unique(char ***names, size_t *n, size_t *cap, const char *name,
		      struct dome_error *err)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **nn = reallocarray(*names, ncap, sizeof *nn);
		if (!nn)
			return dome_fail(err, errno, "cannot list cgroups");
		*names = nn;
		*cap = ncap;
	}
	if (!((*names)[*n] = strdup(name)))
		return dome_fail(err, errno, "cannot list cgroups");
	(*n)++;
	return 0;
}

static int list_dir(const char *dir, char ***names, size_t *n, size_t *cap,
		    struct dome_error *err)
{
	__cleanup_closedir DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot list %s", dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
		    add_unique(names, n, cap, de->d_name, err) < 0)
			return -1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int dome_cgroup_list(const char *prefix, char ***names, size_t *n, struct dome_error *err)
{
	*names = NULL;
	*n = 0;
	/* A placeholder name gives the mount points; the union over every
	 * hierarchy also finds a cgroup that survives in only one of them. */
	struct dome_cgroup *cg = cgroup_new(prefix, "x", err);
	if (!cg)
		return -1;
	char dir[PATH_MAX];
	size_t cap = 0;
	int rc = 0;
	for (size_t i = 0; i < cg->nhier && rc == 0; i++) {
		snprintf(dir, sizeof dir, "%s/%s", cg->hier[i].mount, prefix);
		rc = list_dir(dir, names, n, &cap, err);
	}
	if (rc == 0 && cg->unified[0]) {
		snprintf(dir, sizeof dir, "%s/%s", v2_root(cg->layout), prefix);
		rc = list_dir(dir, names, n, &cap, err);
	}
	free(cg);
	if (rc < 0) {
		free_names(*names, *n);
		*names = NULL;
		*n = 0;
		return -1;
	}
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_str);
	return 0;
}

/* ---- the owner's mark on <prefix> ---- */

#define OWNER_XATTR "trusted.dome.owner"

/* The <prefix> dirs, the one read for the mark first. */
static size_t prefix_dirs(const struct dome_cgroup *cg, char dirs[][PATH_MAX])
{
	size_t n = 0;
	if (cg->unified[0])
		snprintf(dirs[n++], PATH_MAX, "%s/%s", v2_root(cg->layout), cg->prefix);
	for (size_t i = 0; i < cg->nhier; i++)
		snprintf(dirs[n++], PATH_MAX, "%s/%s", cg->hier[i].mount, cg->prefix);
	return n;
}

/* The mark of DIR: DOME_CG_PREFIX_*, or -1 with ERR. */
static int read_mark(const char *dir, char *mark, size_t len, struct dome_error *err)
{
	ssize_t n = getxattr(dir, OWNER_XATTR, mark, len - 1);
	if (n >= 0) {
		mark[n] = '\0';
		return DOME_CG_PREFIX_MARKED;
	}
	mark[0] = '\0';
	if (errno == ENOENT)
		return DOME_CG_PREFIX_ABSENT;
	if (errno == ENODATA)
		return DOME_CG_PREFIX_UNMARKED;
	return dome_fail(err, errno, "cannot read the owner of %s (%s)", dir, OWNER_XATTR);
}

int dome_cgroup_prefix_mark(const char *prefix, char *mark, size_t len, struct dome_error *err)
{
	struct dome_cgroup *cg = cgroup_new(prefix, "x", err);
	if (!cg)
		return -1;
	char dirs[CG_NHIER + 1][PATH_MAX]; /* each hierarchy and cgroup2 */
	prefix_dirs(cg, dirs);
	free(cg);
	return read_mark(dirs[0], mark, len, err);
}

int dome_cgroup_mark_prefix(const char *prefix, const char *mark, char *other, size_t len,
			    struct dome_error *err)
{
	struct dome_cgroup *cg = cgroup_new(prefix, "x", err);
	if (!cg)
		return -1;
	char dirs[CG_NHIER + 1][PATH_MAX]; /* each hierarchy and cgroup2 */
	size_t n = prefix_dirs(cg, dirs);
	free(cg);
	for (size_t i = 0; i < n; i++) {
		bool made;
		if (dome_cg_mkdir(dirs[i], &made, err) < 0)
			return -1;
		if (setxattr(dirs[i], OWNER_XATTR, mark, strlen(mark), XATTR_CREATE) == 0)
			continue;
		if (errno != EEXIST)
			return dome_fail(err, errno, "cannot mark %s as this state root's (%s)",
					 dirs[i], OWNER_XATTR);
		if (read_mark(dirs[i], other, len, err) < 0)
			return -1;
		if (!dome_owner_mark_same(other, mark))
			return 1;
	}
	return 0;
}

int dome_cgroup_remove_prefix(const char *prefix, struct dome_error *err)
{
	struct dome_cgroup *cg = cgroup_new(prefix, "x", err);
	if (!cg)
		return -1;
	char dir[PATH_MAX];
	int rc = 0;
	for (size_t i = 0; i <= cg->nhier; i++) {
		if (i < cg->nhier)
			snprintf(dir, sizeof dir, "%s/%s", cg->hier[i].mount, prefix);
		else if (cg->unified[0])
			snprintf(dir, sizeof dir, "%s/%s", v2_root(cg->layout), prefix);
		else
			break;
		if (rmdir(dir) < 0 && errno != ENOENT && rc == 0)
			rc = dome_fail(err, errno, "cannot remove %s%s", dir,
				       errno == EBUSY ? " (containers are still in it)" : "");
	}
	free(cg);
	return rc;
}

/* ---- conversions ---- */

uint64_t dome_cg_weight_to_shares(uint32_t weight)
{
	if (weight == 0)
		return 1024;
	if (weight > 10000)
		weight = 10000;
	return 2 + ((uint64_t)(weight - 1) * 262142) / 9999;
}

uint32_t dome_cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	/* Ceiling division: the inverse of the floor in weight_to_shares. */
	return (uint32_t)(1 + ((shares - 2) * 9999 + 262141) / 262142);
}

uint64_t dome_cg_quota_us(uint32_t cpu_millis)
{
	return (uint64_t)cpu_millis * DOME_CPU_PERIOD_US / 1000;
}

uint64_t dome_cg_swap_only(const struct dome_limits *l)
{
	if (l->memory_swap == DOME_UNLIMITED)
		return UINT64_MAX;
	if (l->memory == DOME_UNLIMITED || l->memory_swap < l->memory)
		return 0; /* refused by dome_cg_limits_check before any write */
	return l->memory_swap - l->memory;
}

int dome_cg_limits_check(const struct dome_limits *l, struct dome_error *err)
{
	if (l->memory_swap != DOME_UNLIMITED) {
		if (l->memory == DOME_UNLIMITED)
			return dome_invalid(err, "a memory+swap limit needs a memory limit too");
		if (l->memory_swap < l->memory)
			return dome_invalid(err, "memory+swap (%" PRIu64 " bytes) must be at least "
					    "memory (%" PRIu64 " bytes)", l->memory_swap, l->memory);
	}
	if (l->cpu_weight > 10000)
		return dome_invalid(err, "cpu weight %" PRIu32 " is out of range 1..10000",
				    l->cpu_weight);
	if (l->cpu_millis != 0 && l->cpu_millis < 10)
		return dome_invalid(err, "cpus %" PRIu32 "m is below the 0.01 CPU the kernel allows",
				    l->cpu_millis);
	if (l->cpuset[0]) {
		char norm[sizeof l->cpuset];
		if (dome_parse_cpuset(l->cpuset, norm, sizeof norm, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- file helpers ---- */

bool dome_cg_has(const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

int dome_cg_read(const char *dir, const char *file, char *buf, size_t len,
		 struct dome_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open %s", path);
	size_t used = 0;
	for (;;) {
		if (used + 1 >= len)
			return dome_fail(err, EFBIG, "cannot read %s", path);
		ssize_t r = read(fd, buf + used, len - 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return dome_fail(err, errno, "cannot read %s", path);
		if (r == 0)
			break;
		used += (size_t)r;
	}
	while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		used--;
	buf[used] = '\0';
	return 0;
}

int dome_cg_write(const char *dir, const char *file, const char *value,
		  struct dome_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	__cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open %s to write \"%s\"", path, value);
	/* An empty value is written as a newline: a zero-length write does
	 * not reach every cgroup file's handler. */
	const char *data = value[0] ? value : "\n";
	size_t len = strlen(data);
	ssize_t w;
	do
		w = write(fd, data, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return dome_fail(err, errno, "the kernel refused \"%s\" for %s", value, path);
	if ((size_t)w != len)
		return dome_fail(err, EIO, "short write of \"%s\" to %s", value, path);
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (strcmp(s, "max") == 0 || strcmp(s, "-1") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return -1;
	*out = v;
	return 0;
}

int dome_cg_read_u64(const char *dir, const char *file, uint64_t *out,
		     struct dome_error *err)
{
	char buf[64];
	if (dome_cg_read(dir, file, buf, sizeof buf, err) < 0)
		return -1;
	if (parse_u64(buf, out) < 0)
		return dome_fail(err, 0, "%s/%s holds \"%s\", not a number", dir, file, buf);
	return 0;
}

int dome_cg_read_keyed(const char *dir, const char *file, const char *key,
		       uint64_t *out, struct dome_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return dome_fail(err, errno, "cannot open %s", path);
	*out = 0;
	char line[256];
	size_t klen = strlen(key);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			if (parse_u64(line + klen + 1, out) < 0)
				return dome_fail(err, 0, "%s: bad value for %s", path, key);
			return 0;
		}
	return 0;
}

int dome_cg_read_pids(const char *dir, pid_t **pids, size_t *n, struct dome_error *err)
{
	*pids = NULL;
	*n = 0;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return dome_fail(err, errno, "cannot open %s", path);
	__cleanup_free pid_t *list = NULL;
	size_t cap = 0, count = 0;
	long v;
	while (fscanf(f, "%ld", &v) == 1) {
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			pid_t *nl = reallocarray(list, cap, sizeof *nl);
			if (!nl)
				return dome_fail(err, errno, "cannot read %s", path);
			list = nl;
		}
		list[count++] = (pid_t)v;
	}
	if (ferror(f))
		return dome_fail(err, errno, "cannot read %s", path);
	*pids = move_ptr(list);
	*n = count;
	return 0;
}

int dome_cg_mkdir(const char *path, bool *made, struct dome_error *err)
{
	*made = false;
	if (mkdir(path, 0755) == 0) {
		*made = true;
		return 0;
	}
	if (errno == EEXIST && is_dir(path))
		return 0;
	return dome_fail(err, errno, "cannot make cgroup %s", path);
}

void dome_cg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}


static int rmdir_retried(const char *path)
{
	/* The kernel answers EBUSY while exiting processes still hold the
	 * cgroup, usually for well under a millisecond once they are killed:
	 * retry soon, then back off (0.2 ms doubling to 10 ms, about 1 s in
	 * all) so a stop does not pay a fixed wait. */
	long waited_us = 0;
	for (long wait_us = 200; waited_us < 1000000; wait_us = wait_us < 10000 ? wait_us * 2 : 10000) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep((useconds_t)wait_us);
		waited_us += wait_us;
	}
	return -1;
}

/* Every cgroup dir under `dir` (not `dir` itself), deepest first. */
static void rmdir_children(const char *dir, int depth)
{
	if (depth >= CG_MAX_DEPTH)
		return;
	__cleanup_closedir DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= (int)sizeof sub)
			continue;
		rmdir_children(sub, depth + 1);
		rmdir_retried(sub);
	}
}

int dome_cg_rmdir(const char *path, struct dome_error *err)
{
	rmdir_children(path, 0);
	if (rmdir_retried(path) == 0)
		return 0;
	int e = errno;
	dome_fail(err, e, "cannot remove cgroup %s", path);
	if (e == EBUSY)
		dome_error_hint(err, "processes are still in it; kill them first");
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dome_cg_wait(bool (*done)(const char *dir), const char *dir, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	long step = 1;
	while (!done(dir)) {
		if (now_ms() >= end)
			return -1;
		dome_cg_sleep_ms(step);
		if (step < 20)
			step *= 2;
	}
	return 0;
}

/* 1: a process is in `path` or under it; 2: none is in the whole subtree
 * (cgroup2 says so in one file); 0: none here, look further down. */
static int visit_empty(const char *path, const char *rel, void *data)
{
	(void)rel;
	(void)data;
	char buf[16], file[PATH_MAX];
	snprintf(file, sizeof file, "%s/cgroup.events", path);
	if (dome_read_small(file, buf, sizeof buf) > 0 && strncmp(buf, "populated ", 10) == 0)
		return buf[10] == '0' ? 2 : 1;
	/* v1: this dir's cgroup.procs (one pid is at least "1" and a newline;
	 * nothing read means empty), then each child's. */
	snprintf(file, sizeof file, "%s/cgroup.procs", path);
	__cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	return read(fd, buf, sizeof buf) != 0;
}

bool dome_cg_empty(const char *dir)
{
	return !is_dir(dir) || cg_walk(dir, visit_empty, NULL) != 1;
}

int dome_cg_txn_add(struct dome_cg_txn *t, const char *dir, const char *file,
		    const char *value, struct dome_error *err)
{
	if (t->n == DOME_ARRAY_SIZE(t->c))
		return dome_fail(err, E2BIG, "too many cgroup writes in one change");
	struct dome_cg_change *c = &t->c[t->n];
	c->dir = dir;
	c->file = file;
	strlcpy(c->value, value, sizeof c->value);
	if (dome_cg_read(dir, file, c->old, sizeof c->old, err) < 0)
		return -1;
	t->n++;
	return 0;
}

int dome_cg_txn_commit(struct dome_cg_txn *t, struct dome_error *err)
{
	for (size_t i = 0; i < t->n; i++) {
		if (dome_cg_write(t->c[i].dir, t->c[i].file, t->c[i].value, err) == 0)
			continue;
		bool restored = true;
		struct dome_error e2;
		for (size_t j = i; j-- > 0;)
			if (dome_cg_write(t->c[j].dir, t->c[j].file, t->c[j].old, &e2) < 0) {
				restored = false;
				dome_error_hint(err, "restoring failed too: %s", e2.msg);
			}
		if (restored && i > 0)
			dome_error_hint(err, "the values written before it were restored");
		else if (restored)
			dome_error_hint(err, "nothing was changed");
		return -1;
	}
	return 0;
}

int dome_cg_txn_add_undo(struct dome_cg_txn *t, const char *dir, const char *file,
			 const char *value, const char *undo, struct dome_error *err)
{
	if (t->n == DOME_ARRAY_SIZE(t->c))
		return dome_fail(err, E2BIG, "too many cgroup writes in one change");
	struct dome_cg_change *c = &t->c[t->n++];
	c->dir = dir;
	c->file = file;
	strlcpy(c->value, value, sizeof c->value);
	strlcpy(c->old, undo, sizeof c->old);
	return 0;
}

static struct dome_cg_io_figure *io_slot(struct dome_cg_io_figure *f, size_t *n, size_t max,
					 unsigned major, unsigned minor)
{
	for (size_t i = 0; i < *n; i++)
		if (f[i].major == major && f[i].minor == minor)
			return &f[i];
	if (*n == max)
		return NULL;
	memset(&f[*n], 0, sizeof f[*n]);
	f[*n].major = major;
	f[*n].minor = minor;
	return &f[(*n)++];
}

void dome_cg_io_parse_v1(const char *text, int which, struct dome_cg_io_figure *f, size_t *n,
			 size_t max)
{
	for (const char *p = text; p && *p;) {
		unsigned ma, mi;
		unsigned long long v;
		struct dome_cg_io_figure *slot;
		if (sscanf(p, "%u:%u %llu", &ma, &mi, &v) == 3 && (slot = io_slot(f, n, max, ma, mi)))
			slot->now[which] = v;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
}

void dome_cg_io_parse_v2(const char *text, struct dome_cg_io_figure *f, size_t *n, size_t max)
{
	static const char *const keys[] = { "rbps=", "wbps=", "riops=", "wiops=" };
	for (const char *p = text; p && *p;) {
		unsigned ma, mi;
		const char *eol = strchr(p, '\n');
		struct dome_cg_io_figure *slot;
		if (sscanf(p, "%u:%u", &ma, &mi) == 2 && (slot = io_slot(f, n, max, ma, mi))) {
			for (int k = 0; k < 4; k++) {
				const char *at = strstr(p, keys[k]);
				if (at && (!eol || at < eol) && strncmp(at + strlen(keys[k]), "max", 3) != 0)
					slot->now[k] = strtoull(at + strlen(keys[k]), NULL, 10);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

void dome_cg_io_want(const struct dome_limits *l, struct dome_cg_io_figure *f, size_t *n,
		     size_t max)
{
	for (size_t i = 0; i < l->nio; i++) {
		const struct dome_io_limit *d = &l->io[i];
		struct dome_cg_io_figure *slot = io_slot(f, n, max, d->major, d->minor);
		if (!slot)
			continue;
		slot->want[0] = d->rbps;
		slot->want[1] = d->wbps;
		slot->want[2] = d->riops;
		slot->want[3] = d->wiops;
	}
}
