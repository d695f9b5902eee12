/* The container lifecycle API. Each public function validates its input,
 * then runs its work as an `apply` callback through dome_mutate(), which
 * refuses read-only callers and writes the audit record. The callbacks take
 * the container's lock for the whole operation. */
#include "container.h"
#include "audit.h"
#include "cleanup.h"
#include "owner.h"
#include "fault.h"
#include "fsutil.h"
#include "hostfit.h"
#include "image.h"
#include "poweroff.h"
#include "proc.h"
#include "runtime.h"

#include <errno.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif


int dome_container_log_path(struct dome_ctx *ctx, const char *name, char *out, size_t len)
{
	return dome_path(ctx, out, len, "containers/%s/console.log", name);
}

/* Load a container under its lock; the lock fd is returned in *lock. */
static int load_locked(struct dome_ctx *ctx, const char *name, struct dome_container *c, int *lock,
		       struct dome_change *ch, struct dome_error *err)
{
	*lock = dome_lock_container(ctx, name, err);
	if (*lock < 0)
		return -1;
	if (dome_inv_get(ctx->store, name, c, err) < 0)
		return -1;
	/* A recorded run whose init is gone is recorded stopped before acting,
	 * here under the lock, with the exit status its monitor publishes. */
	if ((strcmp(c->state, "running") == 0 || strcmp(c->state, "frozen") == 0 ||
	     strcmp(c->state, "stopping") == 0 || strcmp(c->state, "starting") == 0) &&
	    !dome_runtime_alive(c) && dome_runtime_settle(ctx, c, err) < 0)
		return -1;
	if (ch)
		ch->before = dome_container_json(c);
	return 0;
}

static bool is_running(const struct dome_container *c)
{
	return strcmp(c->state, "running") == 0 || strcmp(c->state, "frozen") == 0;
}

/* ----------------------------------------------------------------- create */

static int validate_spec(struct dome_ctx *ctx, const struct dome_create_spec *spec,
			 struct dome_error *err)
{
	if (dome_validate_name("container", spec->name, err) < 0)
		return -1;
	if (spec->image && dome_validate_name("image", spec->image, err) < 0)
		return -1;
	const char *mode = spec->net_mode ? spec->net_mode : "bridge";
	if (strcmp(mode, "bridge") && strcmp(mode, "none") && strcmp(mode, "host"))
		return dome_invalid(err, "network mode '%s' is not bridge, none or host", mode);
	if (spec->ipv4) {
		uint32_t a;
		if (strcmp(mode, "bridge") != 0)
			return dome_invalid(err, "--ip needs the bridge network mode");
		struct dome_subnet sn;
		if (dome_ipv4_parse(spec->ipv4, &a, err) < 0 ||
		    dome_subnet_parse(ctx->cfg.subnet, &sn, err) < 0)
			return -1;
		if (a < sn.first || a > sn.last)
			return dome_invalid(err, "address %s is outside the containers' range of %s "
					    "(the network, gateway and broadcast addresses are reserved)",
					    spec->ipv4, ctx->cfg.subnet);
	}
	const struct dome_limits *l = &spec->limits;
	if (l->memory_swap != DOME_UNLIMITED && (l->memory == DOME_UNLIMITED || l->memory_swap < l->memory))
		return dome_invalid(err, "memory+swap must be at least the memory limit (and needs one)");
	if (l->memory != DOME_UNLIMITED && l->memory < 4ULL << 20)
		return dome_invalid(err, "a memory limit below 4M leaves init no room to run");
	if (spec->autostart_delay < 0 || spec->autostart_delay > 3600)
		return dome_invalid(err, "autostart delay must be 0 to 3600 seconds");
	struct dome_restart_policy p = spec->restart;
	dome_restart_policy_fill(&p);
	return dome_restart_policy_check(&p, err);
}

static int apply_create(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	const struct dome_create_spec *spec = arg;
	__cleanup_lock int lock = dome_lock_container(ctx, spec->name, err);
	if (lock < 0)
		return -1;
	struct dome_container c = { 0 };
	strlcpy(c.name, spec->name, sizeof c.name);
	strlcpy(c.image, spec->image ? spec->image : ctx->cfg.default_image, sizeof c.image);
	strlcpy(c.net_mode, spec->net_mode ? spec->net_mode : "bridge", sizeof c.net_mode);
	if (spec->ipv4)
		strlcpy(c.ipv4_static, spec->ipv4, sizeof c.ipv4_static);
	c.limits = spec->limits;
	c.autostart = spec->autostart;
	c.autostart_order = spec->autostart_order;
	c.autostart_delay = spec->autostart_delay;
	c.no_new_privs = spec->no_new_privs;
	c.restart = spec->restart;
	c.created_at = dome_now_ms();

	char dir[PATH_MAX], sub[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "containers/%s", c.name) < 0)
		return dome_invalid(err, "state root too long");
	if (access(dir, F_OK) == 0)
		return dome_fail(err, EEXIST, "the directory %s exists already; `dome doctor` "
				 "finds leftovers", dir);
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (dome_inv_insert(ctx->store, &c, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	/* Private (rootperm.h); the layers inside keep the modes the
	 * container sees. */
	if (mkdir(dir, 0700) < 0) {
		dome_fail(err, errno, "cannot create %s", dir);
		dome_store_rollback(ctx->store);
		return -1;
	}
	static const char *const subs[] = { "upper", "work", "rootfs" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(subs); i++) {
		if (dome_path(ctx, sub, sizeof sub, "containers/%s/%s", c.name, subs[i]) < 0 ||
		    dome_mkdir_p(sub, 0755, err) < 0) {
			struct dome_error ignored;
			dome_store_rollback(ctx->store);
			dome_rm_rf(dir, &ignored);
			return -1;
		}
	}
	dome_fault_point("create.after-dirs");
	if (dome_store_commit(ctx->store, err) < 0) {
		struct dome_error ignored;
		dome_rm_rf(dir, &ignored);
		return -1;
	}
	dome_fault_point("create.after-commit");
	ch->after = dome_container_json(&c);
	return 0;
}

int dome_container_create(struct dome_ctx *ctx, const struct dome_create_spec *spec,
			  struct dome_error *err)
{
	if (validate_spec(ctx, spec, err) < 0 || dome_check_writable(ctx, err) < 0)
		return -1;
	/* The image first (the built-in one is made on first use, as its own
	 * audited change), so the create record is about the container only. */
	struct dome_image img;
	if (dome_image_get(ctx, spec->image ? spec->image : ctx->cfg.default_image, &img, err) < 0)
		return -1;
	struct dome_change ch = { .action = "create", .target = spec->name };
	ch.params = json_pack("{s:s, s:s, s:o, s:b}", "image", img.name, "net_mode",
			      spec->net_mode ? spec->net_mode : "bridge", "limits",
			      dome_limits_json(&spec->limits), "autostart", spec->autostart);
	if (dome_mutate(ctx, &ch, apply_create, (void *)spec, err) < 0)
		return -1;
	return spec->start ? dome_container_start(ctx, spec->name, err) : 0;
}

/* ------------------------------------------------------------ start / stop */

struct start_arg {
	const char *name;
	bool restart; /* stop it first when it runs */
	int (*check)(struct dome_ctx *ctx, const struct dome_container *c, void *data,
		     struct dome_error *err);
	void *data;
};

static int apply_start(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
		       struct dome_error *err)
{
	const struct start_arg *a = arg;
	struct dome_container c;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->name, &c, &lock, ch, err) < 0)
		return -1;
	if (a->restart) {
		if (is_running(&c) && dome_runtime_stop(ctx, &c, -1, false, err) < 0)
			return -1;
	} else if (strcmp(c.state, "stopped") != 0 && strcmp(c.state, "error") != 0) {
		return dome_fail(err, 0, "container '%s' is %s already", a->name, c.state);
	}
	if (a->check && a->check(ctx, &c, a->data, err) < 0)
		return -1;
	/* Any start overtakes a restart its policy's monitor waits to make. */
	c.restart_next_at = 0;
	if (dome_runtime_start(ctx, &c, err) < 0)
		return -1;
	ch->after = dome_container_json(&c);
	return 0;
}

static int start_or_restart(struct dome_ctx *ctx, const char *name, bool restart,
			    struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	struct start_arg a = { name, restart, NULL, NULL };
	struct dome_change ch = { .action = restart ? "restart" : "start", .target = name };
	return dome_mutate(ctx, &ch, apply_start, &a, err);
}

int dome_container_start(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	return start_or_restart(ctx, name, false, err);
}

int dome_container_start_checked(struct dome_ctx *ctx, const char *name,
				 int (*check)(struct dome_ctx *ctx, const struct dome_container *c,
					      void *data, struct dome_error *err),
				 void *data, struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	struct start_arg a = { name, false, check, data };
	struct dome_change ch = { .action = "start", .target = name };
	return dome_mutate(ctx, &ch, apply_start, &a, err);
}

struct stop_arg {
	const char *name;
	int timeout;
	bool kill;
};

static int apply_stop(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
		      struct dome_error *err)
{
	const struct stop_arg *a = arg;
	struct dome_container c;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->name, &c, &lock, ch, err) < 0)
		return -1;
	/* Its monitor waits to restart it (restart policy): the stop is of
	 * that restart; the monitor finds restart_next_at cleared and leaves. */
	if (!is_running(&c) && c.restart_next_at != 0) {
		c.restart_next_at = 0;
		if (dome_inv_update_runtime(ctx->store, &c, err) < 0)
			return -1;
		ch->after = dome_container_json(&c);
		return 0;
	}
	if (!is_running(&c) && strcmp(c.state, "stopping") != 0)
		return dome_fail(err, 0, "container '%s' is not running (it is %s)", a->name, c.state);
	if (dome_runtime_stop(ctx, &c, a->timeout, a->kill, err) < 0)
		return -1;
	ch->after = dome_container_json(&c);
	return 0;
}

int dome_container_stop(struct dome_ctx *ctx, const char *name, int timeout_s, bool kill,
			struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	if (timeout_s > 3600)
		return dome_invalid(err, "stop timeout must be at most 3600 seconds");
	struct stop_arg a = { name, timeout_s, kill };
	struct dome_change ch = { .action = "stop", .target = name,
				  .params = json_pack("{s:i, s:b}", "timeout", timeout_s, "kill", kill),
				  .on_full_disk = true };
	return dome_mutate(ctx, &ch, apply_stop, &a, err);
}

int dome_container_restart(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	return start_or_restart(ctx, name, true, err);
}

/* ----------------------------------------------------------------- freeze */

struct freeze_arg {
	const char *name;
	bool frozen;
};

static int apply_freeze(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	const struct freeze_arg *a = arg;
	struct dome_container c;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->name, &c, &lock, ch, err) < 0)
		return -1;
	const char *want = a->frozen ? "running" : "frozen";
	if (strcmp(c.state, want) != 0)
		return dome_fail(err, 0, "container '%s' is %s, not %s", a->name, c.state, want);
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c.name, err);
	if (!cg)
		return -1;
	int rc = dome_cgroup_freeze(cg, a->frozen, err);
	dome_cgroup_free(cg);
	if (rc < 0)
		return -1;
	snprintf(c.state, sizeof c.state, "%s", a->frozen ? "frozen" : "running");
	if (dome_inv_update_runtime(ctx->store, &c, err) < 0)
		return -1;
	ch->after = dome_container_json(&c);
	return 0;
}

int dome_container_freeze(struct dome_ctx *ctx, const char *name, bool frozen,
			  struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	struct freeze_arg a = { name, frozen };
	struct dome_change ch = { .action = frozen ? "freeze" : "unfreeze", .target = name };
	return dome_mutate(ctx, &ch, apply_freeze, &a, err);
}

/* ---------------------------------------------------------------- destroy */

struct destroy_arg {
	const char *name;
	bool force;
};

static int apply_destroy(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			 struct dome_error *err)
{
	const struct destroy_arg *a = arg;
	struct dome_container c;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->name, &c, &lock, ch, err) < 0)
		return -1;
	if (is_running(&c)) {
		if (!a->force)
			return dome_fail(err, 0, "container '%s' is %s; stop it first or use --force",
					 a->name, c.state);
		if (dome_runtime_stop(ctx, &c, 0, true, err) < 0)
			return -1;
	}
	char dir[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "containers/%s", c.name) < 0)
		return dome_invalid(err, "state root too long");
	/* Files first, then the row: a failure in between leaves a row that
	 * can be destroyed again, never files nothing points at. */
	if (dome_rm_rf(dir, err) < 0)
		return -1;
	dome_fault_point("destroy.after-files");
	return dome_inv_delete(ctx->store, c.id, err);
}

int dome_container_destroy(struct dome_ctx *ctx, const char *name, bool force,
			   struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	struct destroy_arg a = { name, force };
	struct dome_change ch = { .action = "destroy", .target = name,
				  .params = json_pack("{s:b}", "force", force) };
	return dome_mutate(ctx, &ch, apply_destroy, &a, err);
}

/* ------------------------------------------------------------------ clone */

struct clone_arg {
	const char *src, *dst;
};

/* Copy the upper layer; a running source is frozen for the copy so the
 * files are consistent, and thawed after, also when the copy fails. */
static int copy_upper(struct dome_ctx *ctx, const struct dome_container *src, const char *to,
		      struct dome_error *err)
{
	char from[PATH_MAX];
	if (dome_path(ctx, from, sizeof from, "containers/%s/upper", src->name) < 0)
		return dome_invalid(err, "state root too long");
	struct dome_cgroup *cg = NULL;
	if (strcmp(src->state, "running") == 0) {
		cg = dome_own_cgroup_open(ctx, src->name, err);
		if (!cg || dome_cgroup_freeze(cg, true, err) < 0) {
			dome_cgroup_free(cg);
			return -1;
		}
	}
	int rc = dome_tree_copy(from, to, err);
	if (cg) {
		struct dome_error thaw_err;
		if (dome_cgroup_freeze(cg, false, &thaw_err) < 0 && rc == 0) {
			*err = thaw_err;
			rc = -1;
		}
		dome_cgroup_free(cg);
	}
	return rc;
}

static int apply_clone(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
		       struct dome_error *err)
{
	const struct clone_arg *a = arg;
	struct dome_container src, existing;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->src, &src, &lock, NULL, err) < 0)
		return -1;
	__cleanup_lock int dst_lock = dome_lock_container(ctx, a->dst, err);
	if (dst_lock < 0)
		return -1;
	int found = dome_inv_find(ctx->store, a->dst, &existing, err);
	if (found != 0)
		return found < 0 ? -1 : dome_fail(err, 0, "a container named '%s' exists already", a->dst);
	char dir[PATH_MAX], sub[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "containers/%s", a->dst) < 0)
		return dome_invalid(err, "state root too long");
	if (access(dir, F_OK) == 0)
		return dome_fail(err, EEXIST, "the directory %s exists already; `dome doctor` finds leftovers",
				 dir);
	if (mkdir(dir, 0700) < 0) /* private: rootperm.h */
		return dome_fail(err, errno, "cannot create %s", dir);
	struct dome_container c = src;
	strlcpy(c.name, a->dst, sizeof c.name);
	strlcpy(c.state, "stopped", sizeof c.state);
	c.ipv4_static[0] = c.ipv4[0] = '\0'; /* one address per container */
	c.autostart = false;
	c.pid = c.pid_start = c.monitor_pid = c.monitor_start = 0;
	c.started_at = c.stopped_at = 0;
	c.has_exit = false;
	c.oom_kills = 0;
	c.created_at = dome_now_ms();
	struct dome_error ignored;
	if (dome_path(ctx, sub, sizeof sub, "containers/%s/upper", a->dst) < 0 ||
	    copy_upper(ctx, &src, sub, err) < 0)
		goto fail;
	dome_runtime_drop_machine_id(sub);
	static const char *const subs[] = { "work", "rootfs" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(subs); i++)
		if (dome_path(ctx, sub, sizeof sub, "containers/%s/%s", a->dst, subs[i]) < 0 ||
		    dome_mkdir_p(sub, 0755, err) < 0)
			goto fail;
	if (dome_inv_insert(ctx->store, &c, err) < 0)
		goto fail;
	ch->after = dome_container_json(&c);
	return 0;
fail:
	dome_rm_rf(dir, &ignored);
	return -1;
}

int dome_container_clone(struct dome_ctx *ctx, const char *src, const char *dst,
			 struct dome_error *err)
{
	if (dome_validate_name("container", src, err) < 0 ||
	    dome_validate_name("container", dst, err) < 0)
		return -1;
	struct clone_arg a = { src, dst };
	struct dome_change ch = { .action = "clone", .target = dst,
				  .params = json_pack("{s:s}", "source", src) };
	return dome_mutate(ctx, &ch, apply_clone, &a, err);
}

bool dome_container_less_isolated(const struct dome_container *c, char *why, size_t len)
{
	why[0] = '\0';
	if (strcmp(c->net_mode, "host") == 0)
		snprintf(why, len, "net_mode=host (the container shares the host's network: its "
			 "interfaces, ports and abstract sockets)");
	return why[0] != '\0';
}

/* -------------------------------------------------------------------- set */

/* io=DEV:rbps=10M,wbps=5M,riops=200,wiops=100 or io=DEV:max (no limit on
 * DEV); DEV is MAJ:MIN or a block device path such as /dev/vda. Figures not
 * named keep their value; "max" unsets one. */
static int parse_io(struct dome_limits *l, const char *v, struct dome_error *err)
{
	static const char forms[] = "write io=DEVICE:rbps=10M,wbps=5M,riops=200,wiops=100 or "
				    "io=DEVICE:max, DEVICE being MAJ:MIN or /dev/NAME";
	unsigned ma, mi;
	const char *rest;
	if (v[0] == '/') {
		const char *colon = strchr(v, ':');
		char path[PATH_MAX];
		struct stat sb;
		if (!colon || (size_t)(colon - v) >= sizeof path)
			return dome_invalid(err, "io '%.60s': %s", v, forms);
		memcpy(path, v, (size_t)(colon - v));
		path[colon - v] = '\0';
		if (stat(path, &sb) < 0 || !S_ISBLK(sb.st_mode))
			return dome_invalid(err, "io: %s is not a block device", path);
		ma = major(sb.st_rdev);
		mi = minor(sb.st_rdev);
		rest = colon + 1;
	} else {
		int used = 0;
		if (sscanf(v, "%4u:%7u:%n", &ma, &mi, &used) != 2 || used == 0 || !isdigit((unsigned char)v[0]))
			return dome_invalid(err, "io '%.60s': %s", v, forms);
		rest = v + used;
	}
	if (ma > 4095 || mi > 1048575)
		return dome_invalid(err, "io: device %u:%u does not exist", ma, mi);
	size_t i = 0;
	while (i < l->nio && !(l->io[i].major == ma && l->io[i].minor == mi))
		i++;
	if (!strcmp(rest, "max")) {
		if (i < l->nio)
			l->io[i] = l->io[--l->nio];
		return 0;
	}
	struct dome_io_limit d = { ma, mi, 0, 0, 0, 0 };
	if (i < l->nio)
		d = l->io[i];
	else if (l->nio == DOME_IO_DEVICES_MAX)
		return dome_invalid(err, "io: at most %d devices can be limited", DOME_IO_DEVICES_MAX);
	char list[256], *save = NULL;
	if (strlcpy(list, rest, sizeof list) >= sizeof list || !list[0])
		return dome_invalid(err, "io '%.60s': %s", v, forms);
	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return dome_invalid(err, "io '%.60s': %s", v, forms);
		*eq++ = '\0';
		uint64_t *field = !strcmp(item, "rbps") ? &d.rbps : !strcmp(item, "wbps") ? &d.wbps
				: !strcmp(item, "riops") ? &d.riops : !strcmp(item, "wiops") ? &d.wiops : NULL;
		if (!field)
			return dome_invalid(err, "io: unknown figure '%s'; %s", item, forms);
		uint64_t n;
		if (!strcmp(eq, "max") || !strcmp(eq, "unlimited"))
			n = 0;
		else if (field == &d.rbps || field == &d.wbps ? dome_parse_size(item, eq, false, &n, err) < 0
				: dome_parse_uint(item, eq, 1, UINT64_C(1) << 40, &n, err) < 0)
			return -1;
		*field = n;
	}
	if (i == l->nio)
		l->nio++;
	l->io[i] = d;
	return 0;
}

/* Parse one "key=value" into the container; bad input changes nothing the
 * caller keeps (it works on a copy). */
static int parse_setting(struct dome_container *c, const char *kv, struct dome_error *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return dome_invalid(err, "'%.60s' is not KEY=VALUE", kv);
	char key[32];
	size_t klen = (size_t)(eq - kv);
	if (klen >= sizeof key)
		return dome_invalid(err, "unknown setting '%.*s'", (int)klen, kv);
	memcpy(key, kv, klen);
	key[klen] = '\0';
	const char *v = eq + 1;
	uint64_t n;
	struct dome_limits *l = &c->limits;
	if (!strcmp(key, "memory"))
		return dome_parse_size("memory", v, true, &l->memory, err);
	if (!strcmp(key, "memory_swap") || !strcmp(key, "swap"))
		return dome_parse_size("memory+swap", v, true, &l->memory_swap, err);
	if (!strcmp(key, "cpus"))
		return dome_parse_cpus(v, true, &l->cpu_millis, err);
	if (!strcmp(key, "cpu_weight")) {
		if (!strcmp(v, "max") || !strcmp(v, "unlimited") || !strcmp(v, "default")) {
			l->cpu_weight = 0;
			return 0;
		}
		if (dome_parse_uint("cpu_weight", v, 1, 10000, &n, err) < 0)
			return -1;
		l->cpu_weight = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "cpuset")) {
		if (!strcmp(v, "") || !strcmp(v, "all")) {
			l->cpuset[0] = '\0';
			return 0;
		}
		return dome_parse_cpuset(v, l->cpuset, sizeof l->cpuset, err);
	}
	if (!strcmp(key, "pids")) {
		if (!strcmp(v, "max") || !strcmp(v, "unlimited")) {
			l->pids = 0;
			return 0;
		}
		return dome_parse_uint("pids", v, 1, 4194304, &l->pids, err);
	}
	if (!strcmp(key, "io"))
		return parse_io(l, v, err);
	if (!strcmp(key, "autostart"))
		return dome_parse_bool("autostart", v, &c->autostart, err);
	if (!strcmp(key, "no_new_privs")) /* from the next start (exec: at once) */
		return dome_parse_bool("no_new_privs", v, &c->no_new_privs, err);
	if (!strcmp(key, "autostart_order")) {
		if (dome_parse_uint("autostart_order", v, 0, 1000000, &n, err) < 0)
			return -1;
		c->autostart_order = (int)n;
		return 0;
	}
	if (!strcmp(key, "autostart_delay")) {
		if (dome_parse_uint("autostart_delay", v, 0, 3600, &n, err) < 0)
			return -1;
		c->autostart_delay = (int)n;
		return 0;
	}
	int known = dome_restart_setting(&c->restart, key, v, err);
	if (known != 0)
		return known < 0 ? -1 : 0;
	return dome_invalid(err, "unknown setting '%s'; settings are memory, memory_swap, cpus, "
			    "cpu_weight, cpuset, pids, io, autostart, autostart_order, autostart_delay, "
			    "no_new_privs, restart, restart_max, restart_window, restart_backoff, "
			    "restart_backoff_max", key);
}

struct set_arg {
	const char *name;
	char *const *kv;
	size_t n;
};

/* The container with the settings applied, checked as a whole (memory+swap
 * against memory needs both the stored and the new values). */
static int settings_merge(const struct dome_container *c, char *const *kv, size_t n,
			  struct dome_container *want, struct dome_error *err)
{
	*want = *c;
	for (size_t i = 0; i < n; i++)
		if (parse_setting(want, kv[i], err) < 0)
			return -1;
	const struct dome_limits *l = &want->limits;
	if (l->memory_swap != DOME_UNLIMITED && (l->memory == DOME_UNLIMITED || l->memory_swap < l->memory))
		return dome_invalid(err, "memory+swap (%llu) must be at least the memory limit",
				    (unsigned long long)l->memory_swap);
	if (l->memory != DOME_UNLIMITED && l->memory < 4ULL << 20)
		return dome_invalid(err, "a memory limit below 4M leaves init no room to run");
	return dome_restart_policy_check(&want->restart, err);
}

static int apply_set(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
		     struct dome_error *err)
{
	const struct set_arg *a = arg;
	struct dome_container c;
	__cleanup_lock int lock = -1;
	if (load_locked(ctx, a->name, &c, &lock, ch, err) < 0)
		return -1;
	struct dome_container want;
	if (settings_merge(&c, a->kv, a->n, &want, err) < 0)
		return -1;
	/* Live first: if the kernel refuses, the driver restores what it wrote
	 * and nothing is stored; the stored settings never claim a limit the
	 * running container does not have. */
	if (is_running(&c)) {
		/* What the host cannot give is refused by name, not by the
		 * kernel's EINVAL (core/hostfit.h); a stopped container gets a
		 * warning from the caller (dome_container_fit_host). */
		if (dome_limits_fit_host(&c.limits, &want.limits, err) < 0)
			return -1;
		struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c.name, err);
		if (!cg)
			return -1;
		int rc = dome_cgroup_apply_limits(cg, &want.limits, err);
		dome_cgroup_free(cg);
		if (rc < 0)
			return -1;
		dome_fault_point("set.after-live");
	}
	if (dome_inv_update_settings(ctx->store, &want, err) < 0) {
		if (is_running(&c)) { /* put the old limits back */
			struct dome_error ignored;
			struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c.name, &ignored);
			if (cg) {
				dome_cgroup_apply_limits(cg, &c.limits, &ignored);
				dome_cgroup_free(cg);
			}
		}
		return -1;
	}
	ch->after = dome_container_json(&want);
	return 0;
}

int dome_container_set(struct dome_ctx *ctx, const char *name, char *const *assignments,
		       size_t n, struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	/* Validate everything before anything is recorded or touched. */
	json_t *params = dome_kv_params(assignments, n, err);
	if (!params)
		return -1;
	struct dome_container scratch = { 0 };
	dome_limits_init(&scratch.limits);
	for (size_t i = 0; i < n; i++) {
		if (parse_setting(&scratch, assignments[i], err) < 0) {
			json_decref(params);
			return -1;
		}
	}
	/* The whole-settings checks against the stored row too (apply repeats
	 * them under the lock), so a refused set leaves no audit record. */
	struct dome_container cur, merged;
	if (dome_inv_find(ctx->store, name, &cur, err) == 1 &&
	    (settings_merge(&cur, assignments, n, &merged, err) < 0 ||
	     (is_running(&cur) && dome_limits_fit_host(&cur.limits, &merged.limits, err) < 0))) {
		json_decref(params);
		return -1;
	}
	struct set_arg a = { name, assignments, n };
	struct dome_change ch = { .action = "set", .target = name, .params = params };
	return dome_mutate(ctx, &ch, apply_set, &a, err);
}

int dome_container_fit_host(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	struct dome_container c;
	if (dome_inv_get(ctx->store, name, &c, err) < 0)
		return -1;
	return dome_limits_fit_host(NULL, &c.limits, err);
}

/* ------------------------------------------- apply paths for other actions */

int dome_container_apply_set(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			     char *const *assignments, size_t n, struct dome_error *err)
{
	struct set_arg a = { name, assignments, n };
	return apply_set(ctx, ch, &a, err);
}

int dome_container_apply_freeze(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
				bool frozen, struct dome_error *err)
{
	struct freeze_arg a = { name, frozen };
	return apply_freeze(ctx, ch, &a, err);
}

int dome_container_apply_start(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			       struct dome_error *err)
{
	struct start_arg a = { name, false, NULL, NULL };
	return apply_start(ctx, ch, &a, err);
}

/* A polite stop with the configured timeout. */
int dome_container_apply_stop(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			      struct dome_error *err)
{
	struct stop_arg a = { name, -1, false };
	return apply_stop(ctx, ch, &a, err);
}

/* ------------------------------------------------------------------ exec */

/* LANG=... from the container's /etc/default/locale (read after entering
 * its root), when it sets one of plain characters; else nothing. */
static void container_lang(char *out, size_t len)
{
	out[0] = '\0';
	__cleanup_fclose FILE *f = fopen("/etc/default/locale", "re");
	char line[128];
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *v = line + 5;
		if (strncmp(line, "LANG=", 5) != 0)
			continue;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = '\0';
		}
		bool plain = v[0] != '\0';
		for (const char *p = v; *p; p++)
			plain &= isalnum((unsigned char)*p) || strchr("._-@", *p) != NULL;
		if (plain && strlen(v) < 64)
			snprintf(out, len, "LANG=%s", v);
	}
}

/* Inside every namespace of the container: drop capabilities and run argv,
 * searching PATH for a bare command name, under init's reboot(2) filter
 * (poweroff.h), whose listener goes to the waiting process on `notify`.
 * Reports a failure on `report`.
 * A login shell (`login`: argv is the image's shell alone) gets "-NAME" as
 * its argv[0], root's home as its directory and the container's LANG. */
static __attribute__((noreturn)) void exec_inside(char *const argv[], bool no_new_privs,
						   const char *term, bool login, int report, int notify)
{
	/* Installed while every capability is still there, as for init. */
	int listener = dome_poweroff_listen();
	if (listener >= 0) {
		dome_fd_send(notify, listener);
		close(listener);
	}
	close(notify);
	static const char path_dirs[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char termvar[64] = "TERM=xterm", lang[80] = "", shellvar[PATH_MAX + 8] = "";
	if (!term)
		term = getenv("TERM");
	if (term && strlen(term) < 40 && !strchr(term, '/'))
		snprintf(termvar, sizeof termvar, "TERM=%s", term);
	if (login) {
		container_lang(lang, sizeof lang);
		snprintf(shellvar, sizeof shellvar, "SHELL=%s", argv[0]);
	}
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 termvar, "HOME=/root", "container=dome", "USER=root", "LOGNAME=root",
			 lang[0] ? lang : NULL, NULL, NULL };
	if (shellvar[0])
		envp[lang[0] ? 7 : 6] = shellvar;
	char argv0[PATH_MAX + 2];
	char *const *run = argv;
	char *login_argv[] = { argv0, NULL };
	if (login) {
		const char *base = strrchr(argv[0], '/');
		snprintf(argv0, sizeof argv0, "-%s", base ? base + 1 : argv[0]);
		run = login_argv;
	}
	int32_t e[2] = { 3, 0 };
	/* Nothing of the caller's but stdio goes in: every other inherited
	 * descriptor closes at exec (the report pipe is close-on-exec already). */
	if (chdir("/") < 0 || (login && chdir("/root") < 0 && chdir("/") < 0) ||
	    dome_runtime_drop_caps() < 0 ||
	    (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ||
	    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		e[0] = 2;
		e[1] = errno;
	} else if (strchr(argv[0], '/')) {
		execve(argv[0], run, envp);
		e[1] = errno;
	} else {
		e[1] = ENOENT;
		char dirs[sizeof path_dirs], *save = NULL;
		memcpy(dirs, path_dirs, sizeof dirs);
		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char full[PATH_MAX];
			if (dome_pathf(full, sizeof full, "%s/%s", d, argv[0]) < 0)
				continue;
			execve(full, run, envp);
			if (errno != ENOENT)
				e[1] = errno;
		}
	}
	if (write(report, e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* In the container's mount namespace and root: a pty of its own devpts,
 * master and slave (-1 on failure, errno set). */
static int open_container_pty(int *slave)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	if (master < 0)
		return -1;
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0 ||
	    (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		int e = errno;
		close(master);
		errno = e;
		return -1;
	}
	return master;
}

/* The inner process on the pty: its own session, the slave its controlling
 * terminal and stdio. */
static int take_terminal(int slave)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
	    dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return -1;
	if (slave > 2)
		close(slave);
	return 0;
}

/* Until `inner` is gone: answer its reboot(2) calls as init's monitor
 * would (poweroff.h). A shutdown request goes to the monitor, which ends the
 * run; the caller stays in reboot(2) until the run's end takes it. */
static void serve_exec_reboot(pid_t inner, int listener, int monitor_fd)
{
	if (listener < 0)
		return;
	int inner_fd = (int)syscall(SYS_pidfd_open, inner, 0);
	struct pollfd p[2] = { { .fd = inner_fd, .events = POLLIN },
			       { .fd = listener, .events = POLLIN } };
	while (inner_fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & (POLLHUP | POLLERR))
			break;
		if (p[1].revents & POLLIN) {
			enum dome_poweroff_ask ask = dome_poweroff_take(listener);
			if (ask != DOME_ASK_NONE && monitor_fd >= 0)
				dome_poweroff_forward(monitor_fd, ask);
		}
	}
	if (inner_fd >= 0)
		close(inner_fd);
	close(listener);
}

static int exec_common(struct dome_ctx *ctx, const char *name, char *const argv[],
		       const struct dome_exec_tty *tty, int *status, struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	if (dome_check_writable(ctx, err) < 0)
		return -1; /* a shell inside is a way to change anything */
	struct dome_container c;
	if (dome_inv_get(ctx->store, name, &c, err) < 0)
		return -1;
	if (strcmp(c.state, "running") != 0 || !dome_runtime_alive(&c))
		return dome_fail(err, 0, "container '%s' is not running (it is %s)", name, c.state);
	struct dome_image img = { 0 };
	if (dome_image_find(ctx->store, c.image, &img, err) < 0)
		return -1;
	char *const default_argv[] = { img.shell, NULL };
	bool login = false;
	if (!argv || !argv[0]) {
		if (!img.shell[0])
			return dome_invalid(err, "image '%s' names no shell (its /etc/passwd gives root "
					    "none); give a command, or set one with `dome image set "
					    "%s shell=PATH`", c.image, c.image);
		argv = default_argv;
		login = tty != NULL;
	}

	/* Namespace fds are opened before joining any: after setns(mnt) the
	 * host's /proc/PID paths are out of reach. mnt is joined last. */
	static const char *const kinds[] = { "cgroup", "ipc", "uts", "net", "pid", "mnt" };
	int fds[DOME_ARRAY_SIZE(kinds)];
	for (size_t i = 0; i < DOME_ARRAY_SIZE(kinds); i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%lld/ns/%s", (long long)c.pid, kinds[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int e = errno;
			for (size_t j = 0; j < i; j++)
				close(fds[j]);
			return dome_fail(err, e, "cannot open %s", path);
		}
	}
	/* And init's root: setns(mnt) puts us at the top of the namespace's
	 * mount tree, which is the container's root only when the host itself
	 * is not chrooted (a VM test harness, a rescue shell are). Entering
	 * init's root, as nsenter --root does, is right either way. */
	char rootpath[64];
	snprintf(rootpath, sizeof rootpath, "/proc/%lld/root", (long long)c.pid);
	int rootfd = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		int e = errno;
		for (size_t j = 0; j < DOME_ARRAY_SIZE(kinds); j++)
			close(fds[j]);
		return dome_fail(err, e, "cannot open %s", rootpath);
	}
	/* The monitor the exec's shutdown requests go to; -1 where it is gone
	 * (the request then waits for the run's end, as init's would). */
	int monitor_fd = (int)syscall(SYS_pidfd_open, (pid_t)c.monitor_pid, 0);
	if (monitor_fd >= 0 && !dome_proc_alive((pid_t)c.monitor_pid, c.monitor_start)) {
		close(monitor_fd);
		monitor_fd = -1;
	}
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c.name, err);
	/* The innermost process reports a failed exec through this pipe, so a
	 * command's own exit status 127 is never mistaken for dome's failure.
	 * With a tty, the pty's master comes back on `hand`. */
	int report[2] = { -1, -1 }, hand[2] = { -1, -1 };
	if (cg && (pipe2(report, O_CLOEXEC) < 0 ||
		   (tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hand) < 0))) {
		dome_cgroup_free(cg);
		cg = NULL;
		dome_fail(err, errno, "cannot create a pipe");
	}
	pid_t pid = cg ? fork() : -1;
	if (pid == 0) {
		close(report[0]);
		if (hand[0] >= 0)
			close(hand[0]);
		struct dome_error ignored;
		int failed_step = 0, master = -1, slave = -1;
		/* Moving itself skips the RCU grace period a move by pid costs. */
		if (dome_cgroup_attach_self(cg, false, &ignored) < 0)
			failed_step = 1;
		/* host-mode containers share the host netns: joining it is fine */
		for (size_t i = 0; !failed_step && i < DOME_ARRAY_SIZE(kinds); i++)
			if (setns(fds[i], 0) < 0)
				failed_step = 2;
		if (!failed_step && (fchdir(rootfd) < 0 || chroot(".") < 0))
			failed_step = 2;
		if (!failed_step && tty && (master = open_container_pty(&slave)) < 0)
			failed_step = 4;
		if (!failed_step && tty && dome_fd_send(hand[1], master) < 0)
			failed_step = 4;
		if (failed_step) {
			int32_t e[2] = { failed_step, errno };
			if (write(report[1], e, sizeof e) < 0)
				_exit(126);
			_exit(126);
		}
		if (master >= 0)
			close(master);
		if (hand[1] >= 0)
			close(hand[1]);
		/* setns(pid) applies to children: fork once more to be inside. */
		int notify[2] = { -1, -1 };
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, notify);
		pid_t inner = fork();
		if (inner == 0) {
			if (slave >= 0 && take_terminal(slave) < 0) {
				int32_t e[2] = { 4, errno };
				if (write(report[1], e, sizeof e) < 0)
					_exit(126);
				_exit(126);
			}
			close(notify[0]);
			exec_inside(argv, c.no_new_privs, tty ? tty->term : NULL, login, report[1],
				    notify[1]);
		}
		if (slave >= 0)
			close(slave);
		close(report[1]);
		close(notify[1]);
		int listener = inner > 0 ? dome_fd_recv(notify[0]) : -1;
		close(notify[0]);
		serve_exec_reboot(inner, listener, monitor_fd);
		int ws = 0;
		while (inner > 0 && waitpid(inner, &ws, 0) < 0 && errno == EINTR)
			;
		_exit(inner < 0 ? 126 : WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	}
	int saved = errno;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(kinds); i++)
		close(fds[i]);
	close(rootfd);
	if (monitor_fd >= 0)
		close(monitor_fd);
	dome_cgroup_free(cg);
	if (report[1] >= 0)
		close(report[1]);
	if (hand[1] >= 0)
		close(hand[1]);
	if (pid < 0) {
		if (report[0] >= 0)
			close(report[0]);
		if (hand[0] >= 0)
			close(hand[0]);
		return cg ? dome_fail(err, saved, "cannot fork") : -1;
	}
	if (tty) {
		/* EOF instead of a master: the child failed, and says why on
		 * the report pipe. */
		int master = dome_fd_recv(hand[0]);
		close(hand[0]);
		if (master >= 0) {
			tty->relay(master, tty->data);
			close(master);
		}
	}
	int32_t e[2] = { 0, 0 };
	ssize_t got = read(report[0], e, sizeof e);
	close(report[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (got == (ssize_t)sizeof e) {
		static const char *const steps[] = { "", "joining its cgroup", "joining its namespaces",
						     "running the command", "opening a terminal of its own devpts" };
		if (e[0] == 3)
			return dome_fail(err, e[1], "cannot run %s in container '%s'", argv[0], name);
		return dome_fail(err, e[1], "cannot enter container '%s' while %s", name,
				 steps[e[0] >= 0 && e[0] <= 4 ? e[0] : 0]);
	}
	return 0;
}

int dome_container_exec(struct dome_ctx *ctx, const char *name, char *const argv[], int *status,
			struct dome_error *err)
{
	return exec_common(ctx, name, argv, NULL, status, err);
}

int dome_container_exec_tty(struct dome_ctx *ctx, const char *name, char *const argv[],
			    const struct dome_exec_tty *tty, int *status, struct dome_error *err)
{
	if (!tty || !tty->relay)
		return dome_invalid(err, "a terminal exec needs a relay");
	return exec_common(ctx, name, argv, tty, status, err);
}

/* ----------------------------------------------------------------- stats */

static int container_stats(struct dome_ctx *ctx, const struct dome_container *c,
			   struct dome_container_stats *out, bool brief, struct dome_error *err)
{
	memset(out, 0, sizeof *out);
	out->cg.memory_limit = DOME_UNLIMITED;
	if (c->host_ifname[0])
		strlcpy(out->host_ifname, c->host_ifname, sizeof out->host_ifname);
	else
		dome_host_ifname(ctx->root_id, c->id, out->host_ifname);
	if (!is_running(c))
		return 0;
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c->name, err);
	if (cg) {
		int rc = brief ? dome_cgroup_stats_brief(cg, &out->cg, err)
			       : dome_cgroup_stats(cg, &out->cg, err);
		dome_cgroup_free(cg);
		if (rc < 0)
			return -1;
	}
	if (strcmp(c->net_mode, "bridge") == 0) {
		struct dome_error ignored;
		dome_net_stats(out->host_ifname, &out->net, &ignored);
		if (c->ipv4[0]) /* the lease, read with the inventory row */
			dome_ipv4_parse(c->ipv4, &out->ipv4, &ignored);
	}
	if (c->started_at)
		out->uptime_s = (dome_now_ms() - c->started_at) / 1000;
	return 0;
}

int dome_container_stats(struct dome_ctx *ctx, const struct dome_container *c,
			 struct dome_container_stats *out, struct dome_error *err)
{
	return container_stats(ctx, c, out, false, err);
}

int dome_container_stats_brief(struct dome_ctx *ctx, const struct dome_container *c,
			       struct dome_container_stats *out, struct dome_error *err)
{
	if (container_stats(ctx, c, out, true, err) < 0)
		return -1;
	/* The limit and the state are in the inventory row already. */
	out->cg.memory_limit = c->limits.memory;
	out->cg.frozen = strcmp(c->state, "frozen") == 0;
	return 0;
}

/* ------------------------------------------------------------- reconcile */

/* How long reconcile waits for a container's lock (see below). */
#define RECONCILE_LOCK_WAIT_MS 100

int dome_reconcile(struct dome_ctx *ctx, struct dome_error *err)
{
	if (ctx->readonly)
		return 0;
	__cleanup_free struct dome_container *list = NULL;
	size_t n;
	if (dome_inv_list(ctx->store, &list, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dome_container *c = &list[i];
		if (strcmp(c->state, "stopped") == 0 || dome_runtime_alive(c))
			continue;
		/* A monitor still running is recording this exit itself. */
		if (!dome_runtime_wait_monitor(c, 0))
			continue;
		/* Briefly: the holder may be this run's monitor undoing a start
		 * whose dome died (runtime.c, monitor_record_end), done in
		 * milliseconds; past that, someone is working on it and will
		 * settle it. */
		int lock = dome_lock_container_within(ctx, c->name, RECONCILE_LOCK_WAIT_MS, err);
		if (lock < 0)
			continue;
		struct dome_container now;
		if (dome_inv_find(ctx->store, c->name, &now, err) == 1 &&
		    strcmp(now.state, "stopped") != 0 && !dome_runtime_alive(&now))
			dome_runtime_cleanup(ctx, &now, -1, err);
		dome_unlock_container(lock);
	}
	dome_chain_flush_heads(ctx); /* the exits it recorded */
	return 0;
}
