#include "settings.h"
#include "audit.h"
#include "cleanup.h"
#include "names.h"
#include "nat.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The settings that may change at run time: all in [network]. */
const char *const dome_net_setting_names[] = { "bridge", "subnet", "nameservers", "nat", NULL };

/* KEY's value in CFG as dome.conf spells it. */
static const char *runtime_value(const struct dome_config *cfg, const char *key)
{
	if (strcmp(key, "bridge") == 0)
		return cfg->bridge;
	if (strcmp(key, "subnet") == 0)
		return cfg->subnet;
	if (strcmp(key, "nat") == 0)
		return cfg->nat ? "yes" : "no";
	return cfg->nameservers;
}

const char *dome_net_setting_value(const struct dome_config *cfg, const char *key)
{
	for (size_t k = 0; dome_net_setting_names[k]; k++)
		if (strcmp(key, dome_net_setting_names[k]) == 0)
			return runtime_value(cfg, key);
	return NULL;
}

/* A key `dome net` may change, validated as dome.conf would validate it. */
static int set_runtime_key(struct dome_config *cfg, const char *key, const char *value,
			   struct dome_error *err)
{
	for (size_t k = 0; dome_net_setting_names[k]; k++)
		if (strcmp(key, dome_net_setting_names[k]) == 0)
			return dome_config_set(cfg, "network", key, value, err);
	return dome_invalid(err, "'%s' cannot be changed here; network settings are bridge, "
			    "subnet, nameservers and nat", key);
}

int dome_net_check_setting(const struct dome_config *cfg, const char *key, const char *value,
			   struct dome_error *err)
{
	struct dome_config scratch = *cfg;
	return set_runtime_key(&scratch, key, value, err);
}

/* Section "root" is the root's identity (owner.c), not a setting. */
static const char SQL_LOAD[] = "SELECT section, name, value FROM settings WHERE section <> 'root'";
static const char SQL_SAVE[] =
	"INSERT INTO settings (section, name, value, changed_at) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT(section, name) DO UPDATE SET value = ?3, changed_at = ?4";

int dome_settings_load(struct dome_ctx *ctx, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LOAD, err);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sec = (const char *)sqlite3_column_text(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *value = (const char *)sqlite3_column_text(s, 2);
		if (dome_config_set(&ctx->cfg, sec, name, value, err) < 0) {
			sqlite3_reset(s);
			dome_error_prefix(err, "the stored setting [%s] %s", sec, name);
			dome_error_hint(err, "change it with `dome net`");
			return -1;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the settings");
	/* The environment still wins over stored settings. */
	return dome_config_apply_env(&ctx->cfg, err);
}

json_t *dome_net_settings_json(const struct dome_config *cfg)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "bridge", cfg->bridge, "subnet", cfg->subnet,
			 "nameservers", cfg->nameservers, "nat", cfg->nat);
}

static int lease_outside(struct dome_ctx *ctx, const struct dome_subnet *to, char *which,
			 size_t len, size_t *count, struct dome_error *err)
{
	__cleanup_free struct dome_lease *leases = NULL;
	size_t n;
	if (dome_net_leases(ctx, &leases, &n, err) < 0)
		return -1;
	*count = n;
	for (size_t i = 0; i < n; i++) {
		if (leases[i].address >= to->first && leases[i].address <= to->last)
			continue;
		char a[16];
		dome_ipv4_format(leases[i].address, a);
		snprintf(which, len, "%s (%s)", a, leases[i].container);
		return 1;
	}
	return 0;
}

/* Checks for a subnet or bridge change against what runs now. */
static int check_network_change(struct dome_ctx *ctx, const struct dome_config *want,
				struct dome_error *err)
{
	const struct dome_config *now = &ctx->cfg;
	struct dome_subnet from, to;
	if (dome_subnet_parse(now->subnet, &from, err) < 0 ||
	    dome_subnet_parse(want->subnet, &to, err) < 0)
		return -1;
	char which[96] = "";
	size_t leases = 0;
	int outside = lease_outside(ctx, &to, which, sizeof which, &leases, err);
	if (outside < 0)
		return -1;
	if (outside)
		return dome_fail(err, 0, "subnet %s would not hold the address %s leased now; stop "
				 "the containers using addresses outside it first", want->subnet, which);
	if (leases && from.gateway != to.gateway)
		return dome_fail(err, 0, "subnet %s moves the gateway while %zu container%s use%s the "
				 "bridge; stop them first", want->subnet, leases, leases == 1 ? "" : "s",
				 leases == 1 ? "s" : "");
	if (leases && strcmp(now->bridge, want->bridge) != 0)
		return dome_fail(err, 0, "%zu container%s attached to bridge %s; stop them before "
				 "moving to %s", leases, leases == 1 ? " is" : "s are", now->bridge,
				 want->bridge);
	char owner[320];
	if (strcmp(now->bridge, want->bridge) != 0 &&
	    dome_net_bridge_owner(ctx, want->bridge, owner, sizeof owner) == DOME_BRIDGE_OTHER)
		return dome_net_refuse_bridge(want->bridge, owner, err);
	return 0;
}

static int save(struct dome_ctx *ctx, const char *name, const char *value, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_SAVE, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, "network", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, dome_now_ms());
	return dome_store_exec_stmt(ctx->store, s, "saving a setting", err);
}

/* Make the kernel's NAT rules match TO (with subnet TSN), coming from FROM
 * (FSN): installed for the new subnet and bridge first, the old bridge's
 * table removed second, so NAT never lapses while it stays on. */
static int sync_nat(const struct dome_ctx *ctx, const struct dome_config *from,
		    const struct dome_subnet *fsn, const struct dome_config *to,
		    const struct dome_subnet *tsn, struct dome_error *err)
{
	bool same_bridge = strcmp(from->bridge, to->bridge) == 0;
	bool same_subnet = fsn->network == tsn->network && fsn->prefix == tsn->prefix;
	char owner[320];
	/* The table is named after the bridge: never the table of a bridge
	 * another root owns (owner.h). */
	if (to->nat && !(from->nat && same_bridge && same_subnet)) {
		if (dome_net_bridge_owner(ctx, to->bridge, owner, sizeof owner) == DOME_BRIDGE_OTHER)
			return dome_net_refuse_bridge(to->bridge, owner, err);
		if (dome_nat_apply(to->bridge, tsn, err) < 0)
			return -1;
	}
	if (from->nat && (!to->nat || !same_bridge) &&
	    dome_net_bridge_owner(ctx, from->bridge, owner, sizeof owner) != DOME_BRIDGE_OTHER)
		return dome_nat_remove(from->bridge, err);
	return 0;
}

/* Rewrite every container's resolv.conf for new nameservers. */
static int refresh_resolvers(struct dome_ctx *ctx, struct dome_error *err)
{
	__cleanup_free struct dome_container *list = NULL;
	size_t n;
	if (dome_inv_list(ctx->store, &list, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (dome_names_prepare(ctx, &list[i], err) < 0)
			return -1;
	return 0;
}

int dome_net_apply_settings(struct dome_ctx *ctx, struct dome_change *ch, char *const *kv,
			    size_t n, struct dome_error *err)
{
	struct dome_config want = ctx->cfg;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[32];
		if (!eq || (size_t)(eq - kv[i]) >= sizeof key)
			return dome_invalid(err, "'%.60s' is not KEY=VALUE", kv[i]);
		snprintf(key, sizeof key, "%.*s", (int)(eq - kv[i]), kv[i]);
		if (set_runtime_key(&want, key, eq + 1, err) < 0)
			return -1;
	}
	ch->before = dome_net_settings_json(&ctx->cfg);
	if (check_network_change(ctx, &want, err) < 0)
		return -1;
	struct dome_subnet from, to;
	if (dome_subnet_parse(ctx->cfg.subnet, &from, err) < 0 ||
	    dome_subnet_parse(want.subnet, &to, err) < 0)
		return -1;
	/* Store first (in one transaction), then apply; if the bridge refuses
	 * its new address, the stored values go back. */
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	for (size_t k = 0; dome_net_setting_names[k]; k++) {
		const char *v = runtime_value(&want, dome_net_setting_names[k]);
		if (strcmp(v, runtime_value(&ctx->cfg, dome_net_setting_names[k])) != 0 &&
		    save(ctx, dome_net_setting_names[k], v, err) < 0) {
			dome_store_rollback(ctx->store);
			return -1;
		}
	}
	bool same_bridge = strcmp(ctx->cfg.bridge, want.bridge) == 0;
	if (same_bridge && dome_net_readdress_bridge(want.bridge, &from, &to, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	if (sync_nat(ctx, &ctx->cfg, &from, &want, &to, err) < 0 ||
	    dome_store_commit(ctx->store, err) < 0) {
		struct dome_error ignored;
		dome_store_rollback(ctx->store);
		sync_nat(ctx, &want, &to, &ctx->cfg, &from, &ignored);
		if (same_bridge)
			dome_net_readdress_bridge(want.bridge, &to, &from, &ignored);
		return -1;
	}
	bool resolvers_changed = strcmp(ctx->cfg.nameservers, want.nameservers) != 0;
	ctx->cfg = want;
	ch->after = dome_net_settings_json(&ctx->cfg);
	return resolvers_changed ? refresh_resolvers(ctx, err) : 0;
}

struct configure_arg {
	char *const *kv;
	size_t n;
};

static int apply_configure(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			   struct dome_error *err)
{
	const struct configure_arg *a = arg;
	return dome_net_apply_settings(ctx, ch, a->kv, a->n, err);
}

int dome_net_configure(struct dome_ctx *ctx, char *const *kv, size_t n, struct dome_error *err)
{
	/* Validate before anything is recorded. */
	json_t *params = dome_kv_params(kv, n, err);
	if (!params)
		return -1;
	struct dome_config scratch = ctx->cfg;
	const char *key;
	json_t *value;
	json_object_foreach(params, key, value) {
		if (set_runtime_key(&scratch, key, json_string_value(value), err) < 0) {
			json_decref(params);
			return -1;
		}
	}
	struct configure_arg a = { kv, n };
	struct dome_change ch = { .action = "net-set", .target = "network", .params = params };
	return dome_mutate(ctx, &ch, apply_configure, &a, err);
}
