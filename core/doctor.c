/* dome doctor (see doctor.h): one scan of what dome may have left, each
 * finding repaired as its own audited change under the container's lock. */
#include "doctor.h"
#include "audit.h"
#include "cgroup.h"
#include "owner.h"
#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "nat.h"
#include "net.h"
#include "proc.h"
#include "runtime.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

struct scan {
	struct dome_ctx *ctx;
	bool dry_run;
	struct dome_container *rows;
	size_t nrows;
	struct dome_doctor_item *items;
	size_t nitems, cap;
};

typedef int (*repair_fn)(struct scan *s, const struct dome_doctor_item *it, const void *data,
			 struct dome_error *err);

const char *dome_doctor_outcome_name(enum dome_doctor_outcome o)
{
	switch (o) {
	case DOME_DOCTOR_FOUND: return "found";
	case DOME_DOCTOR_REPAIRED: return "repaired";
	case DOME_DOCTOR_FAILED: return "failed";
	case DOME_DOCTOR_SKIPPED: return "skipped";
	}
	return "?";
}

json_t *dome_doctor_item_json(const struct dome_doctor_item *it)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", it->kind, "name", it->name, "what",
			 it->what, "outcome", dome_doctor_outcome_name(it->outcome), "note", it->note);
}

static bool is_running(const struct dome_container *c)
{
	return strcmp(c->state, "stopped") != 0 && dome_runtime_alive(c);
}

static const struct dome_container *row_named(const struct scan *s, const char *name)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].name, name) == 0)
			return &s->rows[i];
	return NULL;
}

static bool running_named(const struct scan *s, const char *name)
{
	const struct dome_container *c = row_named(s, name);
	return c && is_running(c);
}

/* Under the lock, the scan's view may be stale: read the row again. */
static int still_not_running(struct scan *s, const char *name, struct dome_error *err)
{
	struct dome_container now;
	int found = dome_inv_find(s->ctx->store, name, &now, err);
	if (found < 0)
		return -1;
	if (found && is_running(&now))
		return dome_fail(err, 0, "container '%s' started meanwhile; left alone", name);
	return 0;
}

static struct dome_doctor_item *add_item(struct scan *s, const char *kind, const char *name,
					 const char *what)
{
	if (s->nitems == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct dome_doctor_item *grown = reallocarray(s->items, cap, sizeof *grown);
		if (!grown)
			return NULL;
		s->items = grown;
		s->cap = cap;
	}
	struct dome_doctor_item *it = &s->items[s->nitems++];
	memset(it, 0, sizeof *it);
	strlcpy(it->kind, kind, sizeof it->kind);
	strlcpy(it->name, name, sizeof it->name);
	strlcpy(it->what, what, sizeof it->what);
	return it;
}

struct repair_arg {
	struct scan *s;
	const struct dome_doctor_item *it;
	repair_fn fn;
	const void *data;
};

static int apply_repair(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	(void)ctx;
	struct repair_arg *a = arg;
	if (a->fn(a->s, a->it, a->data, err) < 0)
		return -1;
	ch->after = json_pack("{s:s, s:s}", "repaired", a->it->kind, "what", a->it->what);
	return 0;
}

/* Record a finding and, unless this is a dry run, repair it: under the lock
 * of `lock_name` (a container name, or NULL for nothing to lock), as one
 * audited change. */
static int found(struct scan *s, const char *kind, const char *name, const char *what,
		 const char *lock_name, repair_fn fn, const void *data, struct dome_error *err)
{
	struct dome_doctor_item *it = add_item(s, kind, name, what);
	if (!it)
		return dome_fail(err, ENOMEM, "listing leftovers");
	if (s->dry_run) {
		it->outcome = DOME_DOCTOR_FOUND;
		return 0;
	}
	struct dome_error e = { 0 };
	int lock = -1;
	if (lock_name && (lock = dome_lock_container_within(s->ctx, lock_name, 0, &e)) < 0) {
		it->outcome = e.errnum == EWOULDBLOCK ? DOME_DOCTOR_SKIPPED : DOME_DOCTOR_FAILED;
		strlcpy(it->note, e.msg, sizeof it->note);
		return 0;
	}
	struct repair_arg a = { s, it, fn, data };
	struct dome_change ch = { .action = "doctor", .target = name };
	ch.params = json_pack("{s:s, s:s}", "repair", kind, "what", what);
	int rc = dome_mutate(s->ctx, &ch, apply_repair, &a, &e);
	dome_unlock_container(lock);
	it = &s->items[s->nitems - 1]; /* fn never adds items, but stay safe */
	it->outcome = rc < 0 ? DOME_DOCTOR_FAILED : DOME_DOCTOR_REPAIRED;
	if (rc < 0)
		strlcpy(it->note, e.msg, sizeof it->note);
	return 0;
}

/* ------------------------------------------------------------- mounts */

static int repair_mount(struct scan *s, const struct dome_doctor_item *it, const void *data,
			struct dome_error *err)
{
	(void)data;
	if (still_not_running(s, it->name, err) < 0)
		return -1;
	if (umount2(it->what, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return dome_fail(err, errno, "cannot unmount %s", it->what);
	return 0;
}

static int scan_mounts(struct scan *s, struct dome_error *err)
{
	char base[PATH_MAX];
	if (dome_path(s->ctx, base, sizeof base, "containers/") < 0)
		return dome_invalid(err, "state root too long");
	__cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return dome_fail(err, errno, "cannot read /proc/self/mountinfo");
	/* Deepest first, so nested mounts come off before their parents. */
	char **points = NULL;
	size_t np = 0;
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 1; field && i < 5; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field || strncmp(field, base, strlen(base)) != 0)
			continue;
		char **grown = reallocarray(points, np + 1, sizeof *points);
		if (!grown || !(grown[np] = strdup(field))) {
			free(grown ? grown : points);
			return dome_fail(err, ENOMEM, "reading the mount table");
		}
		points = grown;
		np++;
	}
	int rc = 0;
	for (size_t k = np; k-- > 0;) {
		const char *rel = points[k] + strlen(base);
		char name[64];
		size_t len = strcspn(rel, "/");
		if (rc == 0 && len > 0 && len < sizeof name) {
			memcpy(name, rel, len);
			name[len] = '\0';
			struct dome_error ignored;
			if (dome_validate_name("container", name, &ignored) == 0 &&
			    !running_named(s, name))
				rc = found(s, "mount", name, points[k], name, repair_mount, NULL, err);
		}
		free(points[k]);
	}
	free(points);
	return rc;
}

/* ------------------------------------------------------------- cgroups */

static int repair_cgroup(struct scan *s, const struct dome_doctor_item *it, const void *data,
			 struct dome_error *err)
{
	(void)data;
	if (still_not_running(s, it->name, err) < 0)
		return -1;
	/* Adopt what is there (in any hierarchy) so every part goes. */
	struct dome_cgroup *cg = dome_own_cgroup_create(s->ctx, it->name, false, err);
	if (!cg)
		return -1;
	struct dome_error ignored;
	dome_cgroup_kill_all(cg, &ignored);
	int rc = dome_cgroup_destroy(cg, err);
	dome_cgroup_free(cg);
	return rc;
}

/* Another root's prefix (or one doctor cannot claim) is a finding left
 * alone: its cgroups are not this root's to judge. */
static int scan_cgroups(struct scan *s, struct dome_error *err)
{
	char **names = NULL;
	size_t n = 0;
	struct dome_error why = { 0 };
	if (dome_own_cgroup_prefix(s->ctx, s->dry_run ? DOME_OWN_LOOK : DOME_OWN_USE, &why) < 0) {
		struct dome_doctor_item *it = add_item(s, "cgroup", s->ctx->cfg.cgroup_prefix,
						       s->ctx->cfg.cgroup_prefix);
		if (!it)
			return dome_fail(err, ENOMEM, "listing leftovers");
		it->outcome = DOME_DOCTOR_SKIPPED;
		strlcpy(it->note, why.msg, sizeof it->note);
		return 0;
	}
	if (dome_cgroup_list(s->ctx->cfg.cgroup_prefix, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		/* the list is sorted and may name a cgroup once per hierarchy */
		bool dup = i > 0 && strcmp(names[i], names[i - 1]) == 0;
		struct dome_error ignored;
		if (rc == 0 && !dup && dome_validate_name("container", names[i], &ignored) == 0 &&
		    !running_named(s, names[i])) {
			char what[PATH_MAX];
			snprintf(what, sizeof what, "%s/%s", s->ctx->cfg.cgroup_prefix, names[i]);
			rc = found(s, "cgroup", names[i], what, names[i], repair_cgroup, NULL, err);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- veths */

static void nl_sock_freep(struct nl_sock **p) { if (*p) nl_socket_free(*p); }
static void nl_link_putp(struct rtnl_link **p) { if (*p) rtnl_link_put(*p); }

static int repair_veth(struct scan *s, const struct dome_doctor_item *it, const void *data,
		       struct dome_error *err)
{
	const char *owner = data;
	if (owner && still_not_running(s, owner, err) < 0)
		return -1;
	char again[64];
	if (!dome_net_veth_owner(s->ctx, it->what, again, sizeof again))
		return dome_fail(err, 0, "%s is not this state root's any more; left alone", it->what);
	__attribute__((cleanup(nl_sock_freep))) struct nl_sock *sock = nl_socket_alloc();
	if (!sock || nl_connect(sock, NETLINK_ROUTE) < 0)
		return dome_fail(err, 0, "cannot open a netlink socket to remove %s", it->what);
	__attribute__((cleanup(nl_link_putp))) struct rtnl_link *link = NULL;
	if (rtnl_link_get_kernel(sock, 0, it->what, &link) < 0)
		return 0; /* gone meanwhile */
	const char *kind = rtnl_link_get_type(link);
	if (!kind || strcmp(kind, "veth") != 0)
		return dome_fail(err, 0, "%s is not a veth (kind %s); left alone", it->what,
				 kind ? kind : "unknown");
	int rc = rtnl_link_delete(sock, link);
	if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND)
		return dome_fail(err, 0, "cannot remove %s: %s", it->what, nl_geterror(rc));
	return 0;
}

/* Host veths of this root only: recorded in its inventory (an older dome's
 * dm-NAME too) or marked with its id (owner.h). A dm* of another root, or
 * of an older dome's that this root never recorded, is not listed: doctor
 * cannot tell whose it is. */
static int scan_veths(struct scan *s, struct dome_error *err)
{
	__cleanup_closedir DIR *d = opendir("/sys/class/net");
	if (!d)
		return dome_fail(err, errno, "cannot list /sys/class/net");
	struct dirent *e;
	while ((e = readdir(d))) {
		char name[64];
		if (strncmp(e->d_name, "dm", 2) != 0 ||
		    !dome_net_veth_owner(s->ctx, e->d_name, name, sizeof name))
			continue;
		const struct dome_container *owner = name[0] ? row_named(s, name) : NULL;
		if (owner && is_running(owner) && strcmp(owner->net_mode, "bridge") == 0)
			continue;
		if (found(s, "veth", owner ? owner->name : e->d_name, e->d_name,
			  owner ? owner->name : NULL, repair_veth, owner ? owner->name : NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ nat */

static int repair_nat(struct scan *s, const struct dome_doctor_item *it, const void *data,
		      struct dome_error *err)
{
	(void)it;
	(void)data;
	const struct dome_config *cfg = &s->ctx->cfg;
	if (!cfg->nat)
		return dome_nat_remove(cfg->bridge, err);
	struct dome_subnet sn;
	if (dome_subnet_parse(cfg->subnet, &sn, err) < 0)
		return -1;
	return dome_nat_apply(cfg->bridge, &sn, err);
}

static bool bridged_running(const struct scan *s)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].net_mode, "bridge") == 0 && is_running(&s->rows[i]))
			return true;
	return false;
}

/* dome's table for this bridge against `nat`: left behind after NAT was
 * turned off in dome.conf (nothing ran `dome net nat=no`), or missing while
 * bridged containers run with NAT on (a firewall reload flushed it). A host
 * where nftables cannot be asked (no libnftables) has nothing to repair. */
static int scan_nat(struct scan *s, struct dome_error *err)
{
	(void)err;
	const struct dome_config *cfg = &s->ctx->cfg;
	struct dome_error ignored;
	bool present;
	char owner[320];
	/* The table is named after the bridge: only the bridge's owner may
	 * judge it (owner.h). */
	if (dome_net_bridge_owner(s->ctx, cfg->bridge, owner, sizeof owner) != DOME_BRIDGE_OURS)
		return 0;
	if (dome_nat_present(cfg->bridge, &present, &ignored) < 0)
		return 0;
	char table[32], what[64];
	dome_nat_table(cfg->bridge, table);
	if (!cfg->nat && present) {
		snprintf(what, sizeof what, "table ip %s (nat = no)", table);
		return found(s, "nat", table, what, NULL, repair_nat, NULL, err);
	}
	if (cfg->nat && !present && bridged_running(s)) {
		snprintf(what, sizeof what, "table ip %s missing (nat = yes)", table);
		return found(s, "nat", table, what, NULL, repair_nat, NULL, err);
	}
	return 0;
}

/* --------------------------------------------------------------- leases */

static int repair_lease(struct scan *s, const struct dome_doctor_item *it, const void *data,
			struct dome_error *err)
{
	const struct dome_lease *l = data;
	if (still_not_running(s, it->name, err) < 0)
		return -1;
	return dome_net_release(s->ctx, l->container_id, err);
}

static int scan_leases(struct scan *s, struct dome_error *err)
{
	__cleanup_free struct dome_lease *leases = NULL;
	size_t n = 0;
	if (dome_net_leases(s->ctx, &leases, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (running_named(s, leases[i].container))
			continue;
		char addr[16];
		dome_ipv4_format(leases[i].address, addr);
		if (found(s, "lease", leases[i].container, addr, leases[i].container, repair_lease,
			  &leases[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ----------------------------------------------- container dirs and rows */

static int repair_dir(struct scan *s, const struct dome_doctor_item *it, const void *data,
		      struct dome_error *err)
{
	(void)data;
	struct dome_container now;
	int have = dome_inv_find(s->ctx->store, it->name, &now, err);
	if (have < 0)
		return -1;
	if (have)
		return dome_fail(err, 0, "container '%s' was created meanwhile; left alone", it->name);
	return dome_rm_rf(it->what, err);
}

static int scan_dirs(struct scan *s, struct dome_error *err)
{
	char base[PATH_MAX];
	if (dome_path(s->ctx, base, sizeof base, "containers") < 0)
		return dome_invalid(err, "state root too long");
	__cleanup_closedir DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot list %s", base);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct dome_error ignored;
		/* only names dome could have made */
		if (dome_validate_name("container", e->d_name, &ignored) < 0 ||
		    row_named(s, e->d_name))
			continue;
		char path[PATH_MAX];
		if (dome_pathf(path, sizeof path, "%s/%s", base, e->d_name) < 0)
			continue;
		if (found(s, "dir", e->d_name, path, e->d_name, repair_dir, NULL, err) < 0)
			return -1;
	}
	return 0;
}

static int repair_row(struct scan *s, const struct dome_doctor_item *it, const void *data,
		      struct dome_error *err)
{
	(void)data;
	struct dome_container now;
	if (dome_inv_get(s->ctx->store, it->name, &now, err) < 0)
		return -1;
	if (strcmp(now.state, "stopped") != 0 || access(it->what, F_OK) == 0)
		return dome_fail(err, 0, "container '%s' changed meanwhile; left alone", it->name);
	return dome_inv_delete(s->ctx->store, now.id, err);
}

static int scan_rows(struct scan *s, struct dome_error *err)
{
	for (size_t i = 0; i < s->nrows; i++) {
		const struct dome_container *c = &s->rows[i];
		char path[PATH_MAX];
		if (strcmp(c->state, "stopped") != 0 ||
		    dome_path(s->ctx, path, sizeof path, "containers/%s", c->name) < 0 ||
		    access(path, F_OK) == 0 || errno != ENOENT)
			continue;
		if (found(s, "row", c->name, path, c->name, repair_row, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------ image temp dirs */

static int repair_tempdir(struct scan *s, const struct dome_doctor_item *it, const void *data,
			  struct dome_error *err)
{
	(void)s;
	(void)data;
	return dome_rm_rf(it->what, err);
}

/* ".NAME.PID": the PID that was building it, or 0 when the name is not one. */
static pid_t tempdir_pid(const char *entry, char *image, size_t len)
{
	const char *dot = strrchr(entry, '.');
	if (entry[0] != '.' || !dot || dot == entry || !dot[1])
		return 0;
	for (const char *p = dot + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	size_t n = (size_t)(dot - entry - 1);
	if (n == 0 || n >= len)
		return 0;
	memcpy(image, entry + 1, n);
	image[n] = '\0';
	struct dome_error ignored;
	if (dome_validate_name("image", image, &ignored) < 0)
		return 0;
	long pid = strtol(dot + 1, NULL, 10);
	return pid > 0 && pid < 1 << 22 ? (pid_t)pid : 0;
}

static int scan_tempdirs(struct scan *s, struct dome_error *err)
{
	char base[PATH_MAX];
	if (dome_path(s->ctx, base, sizeof base, "images") < 0)
		return dome_invalid(err, "state root too long");
	__cleanup_closedir DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot list %s", base);
	struct dirent *e;
	while ((e = readdir(d))) {
		char image[64], path[PATH_MAX];
		pid_t pid = tempdir_pid(e->d_name, image, sizeof image);
		/* A live PID (even a reused one) keeps it: never race a build. */
		if (pid == 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (dome_pathf(path, sizeof path, "%s/%s", base, e->d_name) < 0)
			continue;
		if (found(s, "tempdir", image, path, NULL, repair_tempdir, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------ running containers: limits */

static int repair_limits(struct scan *s, const struct dome_doctor_item *it, const void *data,
			 struct dome_error *err)
{
	(void)data;
	struct dome_container now;
	if (dome_inv_get(s->ctx->store, it->name, &now, err) < 0)
		return -1;
	struct dome_cgroup *cg = dome_own_cgroup_open(s->ctx, now.name, err);
	if (!cg)
		return -1;
	int rc = dome_cgroup_apply_limits(cg, &now.limits, err);
	dome_cgroup_free(cg);
	return rc;
}

static int scan_running(struct scan *s, struct dome_error *err)
{
	for (size_t i = 0; i < s->nrows; i++) {
		const struct dome_container *c = &s->rows[i];
		if (!is_running(c))
			continue;
		if (c->monitor_pid && !dome_proc_alive((pid_t)c->monitor_pid, c->monitor_start)) {
			char what[32];
			snprintf(what, sizeof what, "%lld", (long long)c->monitor_pid);
			struct dome_doctor_item *it = add_item(s, "monitor", c->name, what);
			if (!it)
				return dome_fail(err, ENOMEM, "listing leftovers");
			it->outcome = DOME_DOCTOR_SKIPPED;
			snprintf(it->note, sizeof it->note,
				 "its monitor (pid %s) is gone; the container keeps running: "
				 "`dome stop %s` stops it cleanly", what, c->name);
		}
		struct dome_error ignored;
		struct dome_cgroup *cg = dome_own_cgroup_open(s->ctx, c->name, &ignored);
		if (!cg)
			continue;
		struct dome_cgroup_stats st;
		int rc = dome_cgroup_stats(cg, &st, &ignored);
		dome_cgroup_free(cg);
		if (rc < 0)
			continue;
		uint64_t want_pids = c->limits.pids;
		if (st.memory_limit == c->limits.memory && st.pids_limit == want_pids)
			continue;
		char what[128];
		snprintf(what, sizeof what, "memory %llu pids %llu in the cgroup",
			 (unsigned long long)st.memory_limit, (unsigned long long)st.pids_limit);
		if (found(s, "limits", c->name, what, c->name, repair_limits, NULL, err) < 0)
			return -1;
	}
	return 0;
}

int dome_doctor(struct dome_ctx *ctx, bool dry_run, struct dome_doctor_item **items, size_t *n,
		struct dome_error *err)
{
	*items = NULL;
	*n = 0;
	if (!dry_run && dome_check_writable(ctx, err) < 0)
		return -1;
	if (!dry_run && dome_reconcile(ctx, err) < 0)
		return -1;
	struct scan s = { .ctx = ctx, .dry_run = dry_run };
	if (dome_inv_list(ctx->store, &s.rows, &s.nrows, err) < 0)
		return -1;
	int (*const steps[])(struct scan *, struct dome_error *) = {
		scan_running, scan_mounts, scan_cgroups, scan_veths, scan_nat, scan_leases,
		scan_dirs, scan_rows, scan_tempdirs,
	};
	int rc = 0;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(steps) && rc == 0; i++)
		rc = steps[i](&s, err);
	free(s.rows);
	if (rc < 0) {
		free(s.items);
		return -1;
	}
	*items = s.items;
	*n = s.nitems;
	return 0;
}
