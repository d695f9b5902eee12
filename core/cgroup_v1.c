/* The cgroup v1 driver, also used for the hybrid layout (see core/cgroup.c
 * for why hybrid does limits, stats and freezing here and only kills
 * through the unified dir). */
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
/* v1 reports "no limit" as PAGE_COUNTER_MAX pages in bytes, about 2^63. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

static const char *dir_of(const struct dome_cgroup *cg, unsigned ctrl)
{
	for (size_t i = 0; i < cg->nhier; i++)
		if (cg->hier[i].ctrls & ctrl)
			return cg->hier[i].dir;
	return NULL;
}

/* A new cpuset cgroup starts with empty cpus and mems, and a process
 * cannot join it until both are set: copy them from the parent. Values an
 * admin set on the prefix level are kept. */
static int cpuset_inherit(const char *dir, const char *parent, struct dome_error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char cur[256], val[256];
	for (size_t i = 0; i < DOME_ARRAY_SIZE(files); i++) {
		if (dome_cg_read(dir, files[i], cur, sizeof cur, err) < 0)
			return -1;
		if (cur[0])
			continue;
		if (dome_cg_read(parent, files[i], val, sizeof val, err) < 0 ||
		    dome_cg_write(dir, files[i], val, err) < 0)
			return -1;
	}
	return 0;
}

static void parent_of(const char *dir, char *out, size_t len)
{
	strlcpy(out, dir, len);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
}

/* mkdir <parent of dir> and dir; records what this call made in `made`. */
static int make_pair(const char *dir, bool cpuset, bool adopt, bool made[2],
		     struct dome_error *err)
{
	char prefix_dir[PATH_MAX], root[PATH_MAX];
	parent_of(dir, prefix_dir, sizeof prefix_dir);
	parent_of(prefix_dir, root, sizeof root);
	if (dome_cg_mkdir(prefix_dir, &made[0], err) < 0)
		return -1;
	if (cpuset && cpuset_inherit(prefix_dir, root, err) < 0)
		return -1;
	if (dome_cg_mkdir(dir, &made[1], err) < 0)
		return -1;
	if (!made[1] && !adopt) {
		dome_fail(err, EEXIST, "cgroup %s exists already", dir);
		dome_error_hint(err, "a leftover of an earlier run? 'dome doctor' finds them");
		return -1;
	}
	if (cpuset && cpuset_inherit(dir, prefix_dir, err) < 0)
		return -1;
	return 0;
}

static void unmake_pair(const char *dir, const bool made[2])
{
	char prefix_dir[PATH_MAX];
	parent_of(dir, prefix_dir, sizeof prefix_dir);
	if (made[1])
		rmdir(dir);
	if (made[0])
		rmdir(prefix_dir); /* fails harmlessly if another container moved in */
}

/* The dirs in every v1 hierarchy, with the device rules; undone on failure. */
static int make_v1_dirs(struct dome_cgroup *cg, bool adopt, struct dome_error *err)
{
	bool made[CG_NHIER][2] = { { false } };
	size_t i;
	for (i = 0; i < cg->nhier; i++)
		if (make_pair(cg->hier[i].dir, cg->hier[i].ctrls & CG_CPUSET, adopt, made[i],
			      err) < 0)
			goto undo;
	const char *devices = dir_of(cg, CG_DEVICES);
	if (!devices || dome_cg_v1_restrict_devices(devices, err) == 0)
		return 0;
undo:
	for (size_t j = 0; j < cg->nhier && j <= i; j++)
		unmake_pair(cg->hier[j].dir, made[j]);
	return -1;
}

static int v1_create(struct dome_cgroup *cg, unsigned parts, bool adopt, struct dome_error *err)
{
	bool made_unified[2] = { false, false };
	if ((parts & DOME_CG_PART_CLONE) && cg->unified[0] &&
	    make_pair(cg->unified, false, adopt, made_unified, err) < 0)
		return -1;
	if ((parts & DOME_CG_PART_REST) && make_v1_dirs(cg, adopt, err) < 0) {
		if (cg->unified[0])
			unmake_pair(cg->unified, made_unified);
		return -1;
	}
	return 0;
}

static int missing(const char *what, const char *ctrl, struct dome_error *err)
{
	return dome_fail(err, ENOENT, "cannot set %s: the %s controller is not mounted", what,
			 ctrl);
}

static void fmt_u64_or(char *out, size_t len, uint64_t v, const char *unlimited)
{
	if (v == DOME_UNLIMITED)
		strlcpy(out, unlimited, len);
	else
		snprintf(out, len, "%" PRIu64, v);
}

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes must keep
 * memsw >= memory at every step: raise memsw before memory when memory
 * goes above the current memsw, otherwise lower memory first. */
static int add_memory(struct dome_cg_txn *t, const char *dir, const struct dome_limits *l,
		      struct dome_error *err)
{
	char mem[32], memsw[32];
	fmt_u64_or(mem, sizeof mem, l->memory, "-1");
	fmt_u64_or(memsw, sizeof memsw, l->memory_swap, "-1");
	if (!dome_cg_has(dir, "memory.memsw.limit_in_bytes")) {
		if (l->memory_swap != DOME_UNLIMITED) {
			dome_fail(err, ENOENT, "cannot set a memory+swap limit: %s has no "
				  "memory.memsw.limit_in_bytes", dir);
			dome_error_hint(err, "boot the kernel with swapaccount=1");
			return -1;
		}
		return dome_cg_txn_add(t, dir, "memory.limit_in_bytes", mem, err);
	}
	uint64_t cur_memsw;
	if (dome_cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur_memsw, err) < 0)
		return -1;
	if (l->memory > cur_memsw)
		return dome_cg_txn_add(t, dir, "memory.memsw.limit_in_bytes", memsw, err) ||
		       dome_cg_txn_add(t, dir, "memory.limit_in_bytes", mem, err) ? -1 : 0;
	return dome_cg_txn_add(t, dir, "memory.limit_in_bytes", mem, err) ||
	       dome_cg_txn_add(t, dir, "memory.memsw.limit_in_bytes", memsw, err) ? -1 : 0;
}

static int add_cpu(struct dome_cg_txn *t, const char *dir, const struct dome_limits *l,
		   struct dome_error *err)
{
	char shares[32], period[32], quota[32];
	snprintf(shares, sizeof shares, "%" PRIu64, dome_cg_weight_to_shares(l->cpu_weight));
	snprintf(period, sizeof period, "%u", DOME_CPU_PERIOD_US);
	if (l->cpu_millis)
		snprintf(quota, sizeof quota, "%" PRIu64, dome_cg_quota_us(l->cpu_millis));
	else
		strlcpy(quota, "-1", sizeof quota);
	/* The period first: the quota is checked against it. */
	if (dome_cg_txn_add(t, dir, "cpu.shares", shares, err) < 0 ||
	    dome_cg_txn_add(t, dir, "cpu.cfs_period_us", period, err) < 0 ||
	    dome_cg_txn_add(t, dir, "cpu.cfs_quota_us", quota, err) < 0)
		return -1;
	return 0;
}

/* One line per device and figure: "MAJ:MIN VALUE", 0 removes the limit. */
static int add_blkio(struct dome_cg_txn *t, const char *dir, const struct dome_limits *l,
		     struct dome_error *err)
{
	static const char *const files[] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	struct dome_cg_io_figure f[2 * DOME_IO_DEVICES_MAX];
	size_t n = 0;
	for (int k = 0; k < 4; k++) {
		char text[1024];
		if (dome_cg_read(dir, files[k], text, sizeof text, err) < 0)
			return -1;
		dome_cg_io_parse_v1(text, k, f, &n, DOME_ARRAY_SIZE(f));
	}
	dome_cg_io_want(l, f, &n, DOME_ARRAY_SIZE(f));
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 4; k++) {
			if (f[i].now[k] == f[i].want[k])
				continue;
			char value[64], undo[64];
			snprintf(value, sizeof value, "%u:%u %" PRIu64, f[i].major, f[i].minor, f[i].want[k]);
			snprintf(undo, sizeof undo, "%u:%u %" PRIu64, f[i].major, f[i].minor, f[i].now[k]);
			if (dome_cg_txn_add_undo(t, dir, files[k], value, undo, err) < 0)
				return -1;
		}
	return 0;
}

static int v1_apply_limits(struct dome_cgroup *cg, const struct dome_limits *l,
			   struct dome_error *err)
{
	struct dome_cg_txn t = { .n = 0 };
	const char *dir;
	if ((dir = dir_of(cg, CG_MEMORY))) {
		if (add_memory(&t, dir, l, err) < 0)
			return -1;
	} else if (l->memory != DOME_UNLIMITED || l->memory_swap != DOME_UNLIMITED) {
		return missing("a memory limit", "memory", err);
	}
	if ((dir = dir_of(cg, CG_CPU))) {
		if (add_cpu(&t, dir, l, err) < 0)
			return -1;
	} else if (l->cpu_weight || l->cpu_millis) {
		return missing("a cpu weight or quota", "cpu", err);
	}
	if ((dir = dir_of(cg, CG_PIDS))) {
		char pids[32];
		fmt_u64_or(pids, sizeof pids, l->pids ? l->pids : DOME_UNLIMITED, "max");
		if (dome_cg_txn_add(&t, dir, "pids.max", pids, err) < 0)
			return -1;
	} else if (l->pids) {
		return missing("a pids limit", "pids", err);
	}
	if ((dir = dir_of(cg, CG_BLKIO))) {
		if (add_blkio(&t, dir, l, err) < 0)
			return -1;
	} else if (l->nio) {
		return missing("an I/O limit", "blkio", err);
	}
	/* The cpuset last: it is the value most likely refused (CPUs that are
	 * not there), and everything before it is then restored. */
	if ((dir = dir_of(cg, CG_CPUSET))) {
		char cpus[256], parent[PATH_MAX];
		if (l->cpuset[0]) {
			if (dome_parse_cpuset(l->cpuset, cpus, sizeof cpus, err) < 0)
				return -1;
		} else {
			parent_of(dir, parent, sizeof parent);
			if (dome_cg_read(parent, "cpuset.cpus", cpus, sizeof cpus, err) < 0)
				return -1;
		}
		if (dome_cg_txn_add(&t, dir, "cpuset.cpus", cpus, err) < 0)
			return -1;
	} else if (l->cpuset[0]) {
		return missing("a cpuset", "cpuset", err);
	}
	return dome_cg_txn_commit(&t, err);
}

/* ---- freezer ---- */

static bool state_is(const char *dir, const char *want)
{
	char buf[32];
	struct dome_error e;
	return dome_cg_read(dir, "freezer.state", buf, sizeof buf, &e) == 0 &&
	       strcmp(buf, want) == 0;
}

static bool is_frozen_dir(const char *dir) { return state_is(dir, "FROZEN"); }
static bool is_thawed_dir(const char *dir) { return state_is(dir, "THAWED"); }

static int freezer_set(const char *dir, bool frozen, struct dome_error *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	/* Writing FROZEN again while the state is FREEZING catches processes
	 * forked in between (runc does the same); 20 rounds of 250 ms. */
	for (int round = 0; round < FREEZE_TIMEOUT_MS / 250; round++) {
		if (dome_cg_write(dir, "freezer.state", want, err) < 0)
			return -1;
		if (dome_cg_wait(frozen ? is_frozen_dir : is_thawed_dir, dir, 250) == 0)
			return 0;
	}
	if (frozen) {
		struct dome_error e2;
		dome_cg_write(dir, "freezer.state", "THAWED", &e2);
		dome_fail(err, ETIMEDOUT, "%s/freezer.state did not reach FROZEN", dir);
		dome_error_hint(err, "a process may be stuck in the kernel; it was thawed again");
		return -1;
	}
	return dome_fail(err, ETIMEDOUT, "%s/freezer.state did not reach THAWED", dir);
}

static int v1_freeze(struct dome_cgroup *cg, bool frozen, struct dome_error *err)
{
	const char *dir = dir_of(cg, CG_FREEZER);
	if (!dir)
		return missing(frozen ? "the frozen state" : "the thawed state", "freezer", err);
	return freezer_set(dir, frozen, err);
}

static int v1_is_frozen(struct dome_cgroup *cg, bool *frozen, struct dome_error *err)
{
	const char *dir = dir_of(cg, CG_FREEZER);
	*frozen = false;
	if (!dir)
		return 0;
	char buf[32];
	if (dome_cg_read(dir, "freezer.state", buf, sizeof buf, err) < 0)
		return -1;
	*frozen = strcmp(buf, "FROZEN") == 0;
	return 0;
}

/* ---- kill ---- */

static bool all_empty(const struct dome_cgroup *cg)
{
	for (size_t i = 0; i < cg->nhier; i++)
		if (!dome_cg_empty(cg->hier[i].dir))
			return false;
	return !cg->unified[0] || dome_cg_empty(cg->unified);
}

static void kill_listed(const char *dir)
{
	__cleanup_free pid_t *pids = NULL;
	size_t n;
	struct dome_error e;
	if (dome_cg_read_pids(dir, &pids, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

/* Wait for every hierarchy to empty, up to `ms`. */
/* Killed processes leave within a millisecond or so: look again soon, then
 * back off (0.1 ms doubling to 10 ms) up to `ms` in all. */
static int wait_all_empty(const struct dome_cgroup *cg, int ms)
{
	long waited_us = 0;
	for (long step_us = 100;; step_us = step_us < 10000 ? step_us * 2 : 10000) {
		if (all_empty(cg))
			return 0;
		if (waited_us >= ms * 1000L)
			return -1;
		usleep((useconds_t)step_us);
		waited_us += step_us;
	}
}

static int v1_kill_all(struct dome_cgroup *cg, struct dome_error *err)
{
	const char *freezer = dir_of(cg, CG_FREEZER);
	if (cg->unified[0] && dome_cg_has(cg->unified, "cgroup.kill")) {
		if (dome_cg_write(cg->unified, "cgroup.kill", "1", err) < 0)
			return -1;
		/* A process frozen by the v1 freezer only dies once thawed. */
		if (freezer && !is_thawed_dir(freezer) && freezer_set(freezer, false, err) < 0)
			return -1;
	} else {
		/* No atomic kill: freeze so nothing forks between reading the list
		 * and the signals, kill each, thaw so the signals land; repeat. */
		for (int round = 0; round < 10 && !all_empty(cg); round++) {
			struct dome_error e2;
			bool froze = freezer && freezer_set(freezer, true, &e2) == 0;
			for (size_t i = 0; i < cg->nhier; i++)
				kill_listed(cg->hier[i].dir);
			if (freezer && (froze || !is_thawed_dir(freezer)) &&
			    freezer_set(freezer, false, err) < 0)
				return -1;
			if (wait_all_empty(cg, 200) == 0)
				return 0;
		}
	}
	/* Also for processes that are only in some hierarchies. */
	for (size_t i = 0; i < cg->nhier; i++)
		kill_listed(cg->hier[i].dir);
	if (wait_all_empty(cg, KILL_TIMEOUT_MS) < 0)
		return dome_fail(err, ETIMEDOUT, "processes are still in cgroup %s/%s after "
				 "SIGKILL", cg->prefix, cg->name);
	return 0;
}

/* ---- stats ---- */

/* blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines per device and a
 * "Total N" line; sum the reads and writes over the devices. */
static int read_blkio(const char *dir, uint64_t *rd, uint64_t *wr, struct dome_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/blkio.throttle.io_service_bytes", dir);
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot open %s", path);
	char dev[32], op[16];
	unsigned long long v;
	char line[128];
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%31s %15s %llu", dev, op, &v) == 3) {
			if (strcmp(op, "Read") == 0)
				*rd += v;
			else if (strcmp(op, "Write") == 0)
				*wr += v;
		}
	return 0;
}

static int memory_stats(const char *dir, struct dome_cgroup_stats *out, struct dome_error *err)
{
	uint64_t v;
	if (dome_cg_read_u64(dir, "memory.usage_in_bytes", &out->memory_current, err) < 0 ||
	    dome_cg_read_u64(dir, "memory.limit_in_bytes", &v, err) < 0)
		return -1;
	out->memory_limit = v >= V1_UNLIMITED_FLOOR ? DOME_UNLIMITED : v;
	if (dome_cg_read_keyed(dir, "memory.stat", "total_cache", &out->memory_cache, err) < 0 ||
	    dome_cg_read_keyed(dir, "memory.oom_control", "oom_kill", &out->oom_kills, err) < 0)
		return -1;
	if (dome_cg_has(dir, "memory.memsw.usage_in_bytes")) {
		if (dome_cg_read_u64(dir, "memory.memsw.usage_in_bytes", &v, err) < 0)
			return -1;
		out->swap_current = v > out->memory_current ? v - out->memory_current : 0;
	}
	return 0;
}

/* CPU time from cpuacct, for both the full and the brief figures. */
static int read_cpu_usec(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			 struct dome_error *err)
{
	const char *dir = dir_of(cg, CG_CPUACCT);
	uint64_t v;
	if (dir && dome_cg_read_u64(dir, "cpuacct.usage", &v, err) < 0)
		return -1;
	if (dir)
		out->cpu_usec = v / 1000;
	return 0;
}

static int v1_stats(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
		    struct dome_error *err)
{
	const char *dir;
	uint64_t v;
	if (read_cpu_usec(cg, out, err) < 0)
		return -1;
	if ((dir = dir_of(cg, CG_MEMORY)) && memory_stats(dir, out, err) < 0)
		return -1;
	if ((dir = dir_of(cg, CG_PIDS))) {
		if (dome_cg_read_u64(dir, "pids.current", &out->pids_current, err) < 0 ||
		    dome_cg_read_u64(dir, "pids.max", &v, err) < 0)
			return -1;
		out->pids_limit = v == UINT64_MAX ? 0 : v;
	}
	if ((dir = dir_of(cg, CG_BLKIO)) &&
	    read_blkio(dir, &out->io_read_bytes, &out->io_write_bytes, err) < 0)
		return -1;
	return v1_is_frozen(cg, &out->frozen, err);
}

static int v1_stats_brief(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			  struct dome_error *err)
{
	const char *dir;
	if (read_cpu_usec(cg, out, err) < 0)
		return -1;
	if ((dir = dir_of(cg, CG_MEMORY)) &&
	    dome_cg_read_u64(dir, "memory.usage_in_bytes", &out->memory_current, err) < 0)
		return -1;
	if ((dir = dir_of(cg, CG_PIDS)) &&
	    dome_cg_read_u64(dir, "pids.current", &out->pids_current, err) < 0)
		return -1;
	return 0;
}

const struct dome_cgroup_driver dome_cgroup_v1_driver = {
	.name = "v1",
	.create = v1_create,
	.apply_limits = v1_apply_limits,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.kill_all = v1_kill_all,
	.stats = v1_stats,
	.stats_brief = v1_stats_brief,
};
