/* The cgroup v2 driver: one dir, <root>/<prefix>/<name>, every controller. */
#include "cgroup_driver.h"
#include "cleanup.h"
#include "validate.h"

#include <string.h> /* strlcpy via libbsd-overlay */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FREEZE_TIMEOUT_MS 5000
#define KILL_TIMEOUT_MS 5000

static const char *const wanted_controllers[] = { "cpu", "cpuset", "memory", "pids", "io" };

static void parent_of(const char *dir, char *out, size_t len)
{
	strlcpy(out, dir, len);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
			return true;
	return false;
}

/* Turn on, for the children of `dir`, the controllers dome uses that `dir`
 * has. A cgroup with processes of its own cannot do that (the kernel's
 * no-internal-process rule), so dome's container cgroups sit one level
 * below <prefix>, which never holds a process. */
static int enable_controllers(const char *dir, struct dome_error *err)
{
	char avail[512], on[512], buf[32];
	if (dome_cg_read(dir, "cgroup.controllers", avail, sizeof avail, err) < 0 ||
	    dome_cg_read(dir, "cgroup.subtree_control", on, sizeof on, err) < 0)
		return -1;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(wanted_controllers); i++) {
		const char *c = wanted_controllers[i];
		if (!has_word(avail, c) || has_word(on, c))
			continue;
		snprintf(buf, sizeof buf, "+%s", c);
		if (dome_cg_write(dir, "cgroup.subtree_control", buf, err) < 0) {
			dome_error_hint(err, "is %s a cgroup with processes of its own?", dir);
			return -1;
		}
	}
	return 0;
}

/* Everything is in the one cgroup2 dir, which a clone needs: all of it is
 * DOME_CG_PART_CLONE. */
static int v2_create(struct dome_cgroup *cg, unsigned parts, bool adopt, struct dome_error *err)
{
	if (!(parts & DOME_CG_PART_CLONE))
		return 0;
	char prefix_dir[PATH_MAX], root[PATH_MAX];
	parent_of(cg->unified, prefix_dir, sizeof prefix_dir);
	parent_of(prefix_dir, root, sizeof root);
	bool made_prefix, made;
	if (enable_controllers(root, err) < 0 ||
	    dome_cg_mkdir(prefix_dir, &made_prefix, err) < 0)
		return -1;
	if (enable_controllers(prefix_dir, err) < 0 || dome_cg_mkdir(cg->unified, &made, err) < 0)
		goto undo_prefix;
	if (!made && !adopt) {
		dome_fail(err, EEXIST, "cgroup %s exists already", cg->unified);
		dome_error_hint(err, "a leftover of an earlier run? 'dome doctor' finds them");
		return -1;
	}
	/* Before any process joins: init never runs with every device open. */
	if (dome_cg_v2_restrict_devices(cg->unified, err) < 0) {
		if (made)
			rmdir(cg->unified);
		goto undo_prefix;
	}
	return 0;
undo_prefix:
	if (made_prefix)
		rmdir(prefix_dir);
	return -1;
}

/* Queue `file` = `value`; a file that is missing because its controller is
 * off is fine when the value is the unlimited default anyway. */
static int add(struct dome_cg_txn *t, const struct dome_cgroup *cg, const char *file,
	       const char *value, bool is_default, const char *controller,
	       struct dome_error *err)
{
	if (!dome_cg_has(cg->unified, file)) {
		if (is_default)
			return 0;
		dome_fail(err, ENOENT, "%s/%s is missing", cg->unified, file);
		dome_error_hint(err, "the %s controller is not enabled for it (see "
				"cgroup.subtree_control of its parent)", controller);
		return -1;
	}
	return dome_cg_txn_add(t, cg->unified, file, value, err);
}

static void fmt_max(char *out, size_t len, uint64_t v)
{
	if (v == UINT64_MAX)
		strlcpy(out, "max", len);
	else
		snprintf(out, len, "%" PRIu64, v);
}

static void fmt_io_line(char *out, size_t len, const struct dome_cg_io_figure *f,
			const uint64_t v[4])
{
	char fig[4][24];
	for (int k = 0; k < 4; k++)
		fmt_max(fig[k], sizeof fig[k], v[k] ? v[k] : UINT64_MAX);
	snprintf(out, len, "%u:%u rbps=%s wbps=%s riops=%s wiops=%s", f->major, f->minor, fig[0],
		 fig[1], fig[2], fig[3]);
}

/* io.max: one line per device, "max" for no limit. */
static int add_io(struct dome_cg_txn *t, const struct dome_cgroup *cg,
		  const struct dome_limits *l, struct dome_error *err)
{
	if (!dome_cg_has(cg->unified, "io.max")) {
		if (l->nio == 0)
			return 0;
		return add(t, cg, "io.max", "", false, "io", err);
	}
	char text[2048];
	if (dome_cg_read(cg->unified, "io.max", text, sizeof text, err) < 0)
		return -1;
	struct dome_cg_io_figure f[2 * DOME_IO_DEVICES_MAX];
	size_t n = 0;
	dome_cg_io_parse_v2(text, f, &n, DOME_ARRAY_SIZE(f));
	dome_cg_io_want(l, f, &n, DOME_ARRAY_SIZE(f));
	for (size_t i = 0; i < n; i++) {
		if (!memcmp(f[i].now, f[i].want, sizeof f[i].now))
			continue;
		char value[160], undo[160];
		fmt_io_line(value, sizeof value, &f[i], f[i].want);
		fmt_io_line(undo, sizeof undo, &f[i], f[i].now);
		if (dome_cg_txn_add_undo(t, cg->unified, "io.max", value, undo, err) < 0)
			return -1;
	}
	return 0;
}

static int v2_apply_limits(struct dome_cgroup *cg, const struct dome_limits *l,
			   struct dome_error *err)
{
	struct dome_cg_txn t = { .n = 0 };
	char mem[32], swap[32], weight[16], cpumax[48], pids[32], cpus[256];
	fmt_max(mem, sizeof mem, l->memory);
	fmt_max(swap, sizeof swap, dome_cg_swap_only(l));
	snprintf(weight, sizeof weight, "%" PRIu32, l->cpu_weight ? l->cpu_weight : 100);
	if (l->cpu_millis)
		snprintf(cpumax, sizeof cpumax, "%" PRIu64 " %u", dome_cg_quota_us(l->cpu_millis),
			 DOME_CPU_PERIOD_US);
	else
		snprintf(cpumax, sizeof cpumax, "max %u", DOME_CPU_PERIOD_US);
	fmt_max(pids, sizeof pids, l->pids ? l->pids : UINT64_MAX);
	cpus[0] = '\0'; /* empty: the parent's CPUs */
	if (l->cpuset[0] && dome_parse_cpuset(l->cpuset, cpus, sizeof cpus, err) < 0)
		return -1;
	/* v2 has no ordering rule between memory.max and memory.swap.max. The
	 * cpuset goes last: the value most likely refused. */
	if (add(&t, cg, "memory.max", mem, l->memory == DOME_UNLIMITED, "memory", err) < 0 ||
	    add(&t, cg, "memory.swap.max", swap, l->memory_swap == DOME_UNLIMITED, "memory",
		err) < 0 ||
	    add(&t, cg, "cpu.weight", weight, l->cpu_weight == 0, "cpu", err) < 0 ||
	    add(&t, cg, "cpu.max", cpumax, l->cpu_millis == 0, "cpu", err) < 0 ||
	    add(&t, cg, "pids.max", pids, l->pids == 0, "pids", err) < 0 ||
	    add_io(&t, cg, l, err) < 0 ||
	    add(&t, cg, "cpuset.cpus", cpus, !l->cpuset[0], "cpuset", err) < 0)
		return -1;
	return dome_cg_txn_commit(&t, err);
}

/* ---- freeze ---- */

static bool events_frozen_is(const char *dir, char want)
{
	char buf[256];
	struct dome_error e;
	if (dome_cg_read(dir, "cgroup.events", buf, sizeof buf, &e) < 0)
		return false;
	const char *p = strstr(buf, "frozen ");
	return p && p[7] == want;
}

static bool events_frozen(const char *dir) { return events_frozen_is(dir, '1'); }
static bool events_thawed(const char *dir) { return events_frozen_is(dir, '0'); }

static int v2_freeze(struct dome_cgroup *cg, bool frozen, struct dome_error *err)
{
	if (dome_cg_write(cg->unified, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	if (dome_cg_wait(frozen ? events_frozen : events_thawed, cg->unified,
			 FREEZE_TIMEOUT_MS) == 0)
		return 0;
	if (frozen) {
		struct dome_error e2;
		dome_cg_write(cg->unified, "cgroup.freeze", "0", &e2);
	}
	dome_fail(err, ETIMEDOUT, "%s/cgroup.events did not report \"frozen %d\"", cg->unified,
		  frozen);
	if (frozen)
		dome_error_hint(err, "a process may be stuck in the kernel; it was thawed again");
	return -1;
}

static int v2_is_frozen(struct dome_cgroup *cg, bool *frozen, struct dome_error *err)
{
	uint64_t v;
	if (dome_cg_read_keyed(cg->unified, "cgroup.events", "frozen", &v, err) < 0)
		return -1;
	*frozen = v == 1;
	return 0;
}

/* ---- kill ---- */

static int kill_each(struct dome_cgroup *cg, struct dome_error *err)
{
	/* Kernels before 5.14 have no cgroup.kill: freeze so nothing forks
	 * between reading the list and the signals, kill each, thaw. */
	for (int round = 0; round < 10 && !dome_cg_empty(cg->unified); round++) {
		struct dome_error e2;
		bool froze = v2_freeze(cg, true, &e2) == 0;
		__cleanup_free pid_t *pids = NULL;
		size_t n;
		if (dome_cg_read_pids(cg->unified, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (froze && v2_freeze(cg, false, err) < 0)
			return -1;
		if (dome_cg_wait(dome_cg_empty, cg->unified, 200) == 0)
			return 0;
	}
	return 0;
}

static int v2_kill_all(struct dome_cgroup *cg, struct dome_error *err)
{
	if (dome_cg_has(cg->unified, "cgroup.kill")) {
		if (dome_cg_write(cg->unified, "cgroup.kill", "1", err) < 0)
			return -1;
	} else if (kill_each(cg, err) < 0) {
		return -1;
	}
	if (dome_cg_wait(dome_cg_empty, cg->unified, KILL_TIMEOUT_MS) < 0)
		return dome_fail(err, ETIMEDOUT, "processes are still in %s after SIGKILL",
				 cg->unified);
	return 0;
}

/* ---- stats ---- */

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device. */
static int read_io(const char *dir, uint64_t *rd, uint64_t *wr, struct dome_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/io.stat", dir);
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot open %s", path);
	char line[512];
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		const char *p;
		if ((p = strstr(line, " rbytes=")) && sscanf(p + 8, "%llu", &v) == 1)
			*rd += v;
		if ((p = strstr(line, " wbytes=")) && sscanf(p + 8, "%llu", &v) == 1)
			*wr += v;
	}
	return 0;
}

/* Read `file` when it is there (its controller may be off). */
static int opt_u64(const char *dir, const char *file, uint64_t *out, struct dome_error *err)
{
	return dome_cg_has(dir, file) ? dome_cg_read_u64(dir, file, out, err) : 0;
}

static int opt_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
		     struct dome_error *err)
{
	return dome_cg_has(dir, file) ? dome_cg_read_keyed(dir, file, key, out, err) : 0;
}

static int v2_stats(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
		    struct dome_error *err)
{
	const char *d = cg->unified;
	uint64_t pids_max = UINT64_MAX;
	if (dome_cg_read_keyed(d, "cpu.stat", "usage_usec", &out->cpu_usec, err) < 0 ||
	    opt_u64(d, "memory.current", &out->memory_current, err) < 0 ||
	    opt_u64(d, "memory.max", &out->memory_limit, err) < 0 ||
	    opt_keyed(d, "memory.stat", "file", &out->memory_cache, err) < 0 ||
	    opt_keyed(d, "memory.events", "oom_kill", &out->oom_kills, err) < 0 ||
	    opt_u64(d, "memory.swap.current", &out->swap_current, err) < 0 ||
	    opt_u64(d, "pids.current", &out->pids_current, err) < 0 ||
	    opt_u64(d, "pids.max", &pids_max, err) < 0 ||
	    read_io(d, &out->io_read_bytes, &out->io_write_bytes, err) < 0)
		return -1;
	out->pids_limit = pids_max == UINT64_MAX ? 0 : pids_max;
	return v2_is_frozen(cg, &out->frozen, err);
}

static int v2_stats_brief(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			  struct dome_error *err)
{
	const char *d = cg->unified;
	if (dome_cg_read_keyed(d, "cpu.stat", "usage_usec", &out->cpu_usec, err) < 0 ||
	    opt_u64(d, "memory.current", &out->memory_current, err) < 0 ||
	    opt_u64(d, "pids.current", &out->pids_current, err) < 0)
		return -1;
	return 0;
}

const struct dome_cgroup_driver dome_cgroup_v2_driver = {
	.name = "v2",
	.create = v2_create,
	.apply_limits = v2_apply_limits,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.kill_all = v2_kill_all,
	.stats = v2_stats,
	.stats_brief = v2_stats_brief,
};
