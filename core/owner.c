/* Which state root owns a kernel object (see owner.h). */
#include "owner.h"
#include "cgroup.h"
#include "cleanup.h"
#include "inventory.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ------------------------------------------------------- the root's id */

static const char SQL_ROOT_GET[] = "SELECT value FROM settings WHERE section = 'root' AND name = ?1";
static const char SQL_ROOT_PUT[] =
	"INSERT OR IGNORE INTO settings (section, name, value, changed_at) VALUES ('root', ?1, ?2, ?3)";
static const char SQL_HAS_CONTAINERS[] = "SELECT EXISTS (SELECT 1 FROM containers)";

static int root_get(struct dome_ctx *ctx, const char *name, char *out, size_t len,
		    struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_ROOT_GET, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	out[0] = '\0';
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		strlcpy(out, (const char *)sqlite3_column_text(s, 0), len);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the state root's id");
	return 0;
}

static int root_put(struct dome_ctx *ctx, const char *name, const char *value,
		    struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_ROOT_PUT, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, dome_now_ms());
	return dome_store_exec_stmt(ctx->store, s, "recording the state root's id", err);
}

static int has_containers(struct dome_ctx *ctx, bool *any, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_HAS_CONTAINERS, err);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	*any = rc == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return dome_store_fail(ctx->store, err, "counting the containers");
	return 0;
}

static bool valid_id(const char *id)
{
	if (strlen(id) != DOME_ROOT_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Made once per root, like a migration: bookkeeping of the inventory, not
 * a change anyone asked for, so not an audited one. In one write
 * transaction, so two domes opening a new root at once agree on one id. */
static int make_identity(struct dome_ctx *ctx, char *prefix, size_t len, struct dome_error *err)
{
	uint8_t raw[DOME_ROOT_ID_LEN / 2];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return dome_fail(err, errno, "cannot draw a random id for the state root");
	char id[DOME_ROOT_ID_LEN + 1];
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	char have[32];
	bool legacy;
	if (root_get(ctx, "id", have, sizeof have, err) < 0)
		goto fail;
	if (have[0]) { /* another dome made it meanwhile */
		dome_store_rollback(ctx->store);
		strlcpy(ctx->root_id, have, sizeof ctx->root_id);
		return root_get(ctx, "cgroup_prefix", prefix, len, err);
	}
	/* A root with containers ran them under "dome", the one default
	 * before ids: it keeps it, so what runs now is still found. */
	if (has_containers(ctx, &legacy, err) < 0)
		goto fail;
	snprintf(prefix, len, legacy ? "dome" : "dome-%s", id);
	if (root_put(ctx, "id", id, err) < 0 || root_put(ctx, "cgroup_prefix", prefix, err) < 0 ||
	    dome_store_commit(ctx->store, err) < 0)
		goto fail;
	strlcpy(ctx->root_id, id, sizeof ctx->root_id);
	return 0;
fail:
	dome_store_rollback(ctx->store);
	return -1;
}

int dome_root_identity(struct dome_ctx *ctx, struct dome_error *err)
{
	char id[32], prefix[64] = "";
	if (root_get(ctx, "id", id, sizeof id, err) < 0)
		return -1;
	if (id[0] && !valid_id(id))
		return dome_fail(err, 0, "the state root's id '%.32s' in the inventory is not %d hex "
				 "digits; the settings row ('root', 'id') was changed by hand",
				 id, DOME_ROOT_ID_LEN);
	if (id[0]) {
		strlcpy(ctx->root_id, id, sizeof ctx->root_id);
		if (root_get(ctx, "cgroup_prefix", prefix, sizeof prefix, err) < 0)
			return -1;
	} else if (!ctx->readonly) {
		if (make_identity(ctx, prefix, sizeof prefix, err) < 0)
			return -1;
	} else {
		/* An older root read without writing: what that dome used. */
		strlcpy(prefix, "dome", sizeof prefix);
	}
	/* dome.conf and DOME_CGROUP_PREFIX name a prefix; the root's own
	 * default applies only when neither does. */
	if (!ctx->cfg.cgroup_prefix[0]) {
		struct dome_error bad;
		if (dome_validate_name("cgroup prefix", prefix, &bad) < 0)
			return dome_fail(err, 0, "the state root's cgroup prefix '%.63s' in the "
					 "inventory is not valid: %s", prefix, bad.msg);
		strlcpy(ctx->cfg.cgroup_prefix, prefix, sizeof ctx->cfg.cgroup_prefix);
	}
	return 0;
}

/* ---------------------------------------------------------------- marks */

void dome_root_mark(const struct dome_ctx *ctx, char *out, size_t len)
{
	/* A long root is cut: the id is what counts, the path is a hint. */
	if (snprintf(out, len, "dome %s %s", ctx->root_id, ctx->cfg.root) >= (int)len)
		out[len - 1] = '\0';
}

bool dome_owner_mark_same(const char *a, const char *b)
{
	size_t words = 0, i = 0;
	for (; a[i] && a[i] == b[i]; i++)
		if (a[i] == ' ' && ++words == 2)
			return true;
	return words == 1 && i > 0 && (a[i] == '\0' || a[i] == ' ') && (b[i] == '\0' || b[i] == ' ');
}

bool dome_mark_is_ours(const struct dome_ctx *ctx, const char *mark)
{
	if (!ctx->root_id[0])
		return false;
	char mine[16 + DOME_ROOT_ID_LEN];
	snprintf(mine, sizeof mine, "dome %s", ctx->root_id);
	return dome_owner_mark_same(mark, mine);
}

void dome_mark_describe(const char *mark, char *out, size_t len)
{
	char id[16] = "", where[256] = "";
	if (sscanf(mark, "dome %15s %255[^\n]", id, where) >= 1 && where[0])
		snprintf(out, len, "the dome state root %s (id %s)", where, id);
	else if (id[0])
		snprintf(out, len, "the dome state root with id %s", id);
	else
		snprintf(out, len, "something that is not dome (mark '%.60s')", mark);
}

void dome_host_ifname(const char *root_id, int64_t row_id, char out[16])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char id36[16];
	size_t n = 0;
	uint64_t v = row_id > 0 ? (uint64_t)row_id : 0;
	do {
		id36[n++] = digits[v % 36];
		v /= 36;
	} while (v && n < 6); /* 36^6: two billion rows */
	char rev[7];
	for (size_t i = 0; i < n; i++)
		rev[i] = id36[n - 1 - i];
	rev[n] = '\0';
	snprintf(out, 16, "dm%.6s-%s", root_id, rev);
}

void dome_veth_mark(const struct dome_ctx *ctx, const char *name, char *out, size_t len)
{
	snprintf(out, len, "dome %s %s", ctx->root_id, name);
}

/* --------------------------------------------------------------- cgroups */

/* Every cgroup in an unmarked <prefix> that holds a process is a running
 * container of this root (its init is in it), and every one has a name dome
 * gives: then claiming the prefix takes nothing of anyone else's. `who`
 * names the first that is not. */
static int prefix_claimable(struct dome_ctx *ctx, const char *prefix, char *who, size_t len,
			    struct dome_error *err)
{
	char **names = NULL;
	size_t n = 0;
	if (dome_cgroup_list(prefix, &names, &n, err) < 0)
		return -1;
	int rc = 1;
	for (size_t i = 0; i < n && rc == 1; i++) {
		struct dome_error ignored;
		if (dome_validate_name("container", names[i], &ignored) < 0) {
			/* not a name dome gives: someone else's */
			snprintf(who, len, "%s/%s", prefix, names[i]);
			rc = 0;
			break;
		}
		struct dome_cgroup *cg = dome_cgroup_open(prefix, names[i], &ignored);
		pid_t *pids = NULL;
		size_t np = 0;
		if (cg && dome_cgroup_pids(cg, &pids, &np, &ignored) == 0 && np > 0) {
			struct dome_container c;
			bool ours = false;
			if (dome_inv_find(ctx->store, names[i], &c, &ignored) == 1 && c.pid > 0)
				for (size_t k = 0; k < np && !ours; k++)
					ours = pids[k] == (pid_t)c.pid;
			if (!ours) {
				snprintf(who, len, "%s/%s", prefix, names[i]);
				rc = 0;
			}
		}
		free(pids);
		dome_cgroup_free(cg);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int foreign_prefix(const char *prefix, const char *mark, struct dome_error *err)
{
	char owner[320];
	dome_mark_describe(mark, owner, sizeof owner);
	dome_fail(err, EEXIST, "the cgroup prefix '%s' belongs to %s", prefix, owner);
	dome_error_hint(err, "give this state root its own [cgroup] prefix in dome.conf (or "
			"DOME_CGROUP_PREFIX), or leave it unset for the root's own default");
	return -1;
}

int dome_own_cgroup_prefix(struct dome_ctx *ctx, enum dome_own_mode mode, struct dome_error *err)
{
	if (ctx->cgroup_prefix_owned)
		return 0;
	const char *prefix = ctx->cfg.cgroup_prefix;
	char mark[512], mine[512];
	int state = dome_cgroup_prefix_mark(prefix, mark, sizeof mark, err);
	if (state < 0)
		return -1;
	if (state == DOME_CG_PREFIX_MARKED) {
		if (!dome_mark_is_ours(ctx, mark))
			return foreign_prefix(prefix, mark, err);
		ctx->cgroup_prefix_owned = true;
		return 0;
	}
	if (state == DOME_CG_PREFIX_ABSENT && mode != DOME_OWN_CREATE)
		return 0; /* nothing there to use or to claim */
	if (state == DOME_CG_PREFIX_UNMARKED) {
		char who[192];
		int ok = prefix_claimable(ctx, prefix, who, sizeof who, err);
		if (ok < 0)
			return -1;
		if (!ok) {
			dome_fail(err, EEXIST, "the cgroup prefix '%s' is not marked as any state "
				  "root's and holds %s, which is not a running container of this root",
				  prefix, who);
			dome_error_hint(err, "another dome instance uses it: give this state root its own "
					"[cgroup] prefix in dome.conf (or DOME_CGROUP_PREFIX)");
			return -1;
		}
	}
	/* Claimable: a look (a dry run, a read-only run) leaves it unmarked,
	 * and uses it as this root's for the rest of the run. */
	if (mode == DOME_OWN_LOOK || ctx->readonly || !ctx->root_id[0]) {
		if (mode == DOME_OWN_CREATE)
			return dome_fail(err, EROFS, "a read-only run cannot make cgroups");
		ctx->cgroup_prefix_owned = state == DOME_CG_PREFIX_UNMARKED;
		return 0;
	}
	dome_root_mark(ctx, mine, sizeof mine);
	int rc = dome_cgroup_mark_prefix(prefix, mine, mark, sizeof mark, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return foreign_prefix(prefix, mark, err);
	ctx->cgroup_prefix_owned = true;
	return 0;
}

struct dome_cgroup *dome_own_cgroup_open(struct dome_ctx *ctx, const char *name,
					 struct dome_error *err)
{
	if (dome_own_cgroup_prefix(ctx, DOME_OWN_USE, err) < 0)
		return NULL;
	return dome_cgroup_open(ctx->cfg.cgroup_prefix, name, err);
}

struct dome_cgroup *dome_own_cgroup_create(struct dome_ctx *ctx, const char *name,
					   bool clone_part_only, struct dome_error *err)
{
	if (dome_own_cgroup_prefix(ctx, DOME_OWN_CREATE, err) < 0)
		return NULL;
	return clone_part_only
		? dome_cgroup_create_clone_part(ctx->cfg.cgroup_prefix, name, true, err)
		: dome_cgroup_create(ctx->cfg.cgroup_prefix, name, true, err);
}
