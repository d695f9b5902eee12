/* dome rollback: plan the undo of one recorded change from its before and
 * after states, refuse what cannot or should not be undone, and apply the
 * rest as a change of its own through the verbs' apply paths. */
#include "rollback.h"
#include "audit.h"
#include "cleanup.h"
#include "container.h"
#include "settings.h"
#include "validate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* What a rollback does to the container. */
enum rb_op { RB_SET, RB_FREEZE, RB_UNFREEZE, RB_START, RB_STOP, RB_NET };

static const char *const op_names[] = {
	[RB_SET] = "set", [RB_FREEZE] = "freeze", [RB_UNFREEZE] = "unfreeze",
	[RB_START] = "start", [RB_STOP] = "stop", [RB_NET] = "net-set",
};

/* The undo of each reversible action. */
static const struct {
	const char *action;
	enum rb_op undo;
} reversible[] = {
	{ "set", RB_SET },        { "freeze", RB_UNFREEZE }, { "unfreeze", RB_FREEZE },
	{ "start", RB_STOP },     { "stop", RB_START },
	{ "net-set", RB_NET },    /* undone by setting the values it replaced */
};

/* Why the others cannot be undone. */
static const struct {
	const char *action;
	const char *why;
} irreversible[] = {
	{ "destroy", "the container's files are gone; restore it from a backup" },
	{ "image-rm", "the image's files are gone; import the image again" },
	{ "create", "undoing it would destroy the container and its files; if that is what "
		    "you want, use dome destroy" },
	{ "clone", "undoing it would destroy the copy and its files; if that is what you want, "
		   "use dome destroy" },
	{ "restart", "it left the container running as before, so there is no earlier state "
		     "to go back to" },
};

/* The settings `dome set` takes, where they sit in a container's JSON, and
 * how their values are written. */
enum setting_kind { K_SIZE, K_CPUS, K_WEIGHT, K_CPUSET, K_PIDS, K_BOOL, K_INT, K_STR };

static const struct setting {
	const char *key;
	const char *in;          /* the object of the JSON it is in, NULL: the top */
	const char *field;       /* its name there, NULL: the key */
	enum setting_kind kind;
} settings[] = {
	{ "memory", "limits", NULL, K_SIZE },       { "memory_swap", "limits", NULL, K_SIZE },
	{ "cpus", "limits", NULL, K_CPUS },         { "cpu_weight", "limits", NULL, K_WEIGHT },
	{ "cpuset", "limits", NULL, K_CPUSET },     { "pids", "limits", NULL, K_PIDS },
	{ "autostart", NULL, NULL, K_BOOL },        { "autostart_order", NULL, NULL, K_INT },
	{ "autostart_delay", NULL, NULL, K_INT },
	/* restart_window in seconds, the backoffs in ms: as `dome set` reads
	 * bare numbers (core/restart.h). */
	{ "restart", "restart", "policy", K_STR },  { "restart_max", "restart", "max", K_INT },
	{ "restart_window", "restart", "window_s", K_INT },
	{ "restart_backoff", "restart", "backoff_ms", K_INT },
	{ "restart_backoff_max", "restart", "backoff_max_ms", K_INT },
};

#define RB_MAX_SETTINGS DOME_ARRAY_SIZE(settings)

struct rb_plan {
	enum rb_op op;
	char target[64];
	char kv[RB_MAX_SETTINGS][320];     /* key=value for dome_container_apply_set */
	char *kvp[RB_MAX_SETTINGS];
	size_t nkv;
	json_t *restores;                  /* {key: value} put back, for the record */
	char what[512];
	char differs[512];
	bool needs_force;                  /* refused for `differs` alone */
};

struct recorded_change {
	int64_t id;
	json_t *action, *target, *params, *before, *after, *result, *error;
};

static void recorded_change_free(struct recorded_change *c)
{
	json_decref(c->action);
	json_decref(c->target);
	json_decref(c->params);
	json_decref(c->before);
	json_decref(c->after);
	json_decref(c->result);
	json_decref(c->error);
}

static const char SQL_CHANGE[] =
	"SELECT action, target, params, before, after, result, error FROM changes WHERE id = ?1";

static int read_change(struct dome_ctx *ctx, int64_t id, struct recorded_change *c,
		       struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_CHANGE, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		c->id = id;
		c->action = dome_column_json(s, 0, false);
		c->target = dome_column_json(s, 1, false);
		c->params = dome_column_json(s, 2, true);
		c->before = dome_column_json(s, 3, true);
		c->after = dome_column_json(s, 4, true);
		c->result = dome_column_json(s, 5, false);
		c->error = dome_column_json(s, 6, false);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return dome_invalid(err, "there is no change %" PRId64 "; dome history lists them", id);
	if (rc != SQLITE_ROW)
		return dome_store_fail(ctx->store, err, "reading the change to roll back");
	return 0;
}

/* ------------------------------------------------------------ values */

static json_t *setting_value(json_t *state, const struct setting *st)
{
	json_t *where = st->in ? json_object_get(state, st->in) : state;
	return json_object_get(where, st->field ? st->field : st->key);
}

static bool same_value(json_t *a, json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal(a, b);
}

static unsigned cpu_millis(json_t *v)
{
	return (unsigned)(json_number_value(v) * 1000.0 + 0.5);
}

/* The word `dome set` takes for "no limit" (null in the JSON). */
static const char *unset_word(enum setting_kind kind)
{
	switch (kind) {
	case K_SIZE: case K_CPUS: case K_PIDS: return "max";
	case K_WEIGHT: return "default";
	case K_CPUSET: return "all";
	case K_BOOL: case K_INT: case K_STR: break;
	}
	return NULL;
}

/* The value as `dome set` takes it; -1 when the recorded value is not one. */
static int setting_arg(const struct setting *st, json_t *v, char *out, size_t len)
{
	if (json_is_null(v)) {
		const char *word = unset_word(st->kind);
		if (!word)
			return -1;
		snprintf(out, len, "%s", word);
		return 0;
	}
	switch (st->kind) {
	case K_CPUS:
		if (!json_is_number(v))
			return -1;
		snprintf(out, len, "%u.%03u", cpu_millis(v) / 1000, cpu_millis(v) % 1000);
		return 0;
	case K_CPUSET: case K_STR:
		if (!json_is_string(v))
			return -1;
		snprintf(out, len, "%s", json_string_value(v));
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			return -1;
		snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
		return 0;
	case K_SIZE: case K_WEIGHT: case K_PIDS: case K_INT:
		break;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return 0;
}

/* The value as a person reads it: 256M, unlimited, 0.5, yes. */
static void setting_text(const struct setting *st, json_t *v, char *out, size_t len)
{
	if (!v) {
		snprintf(out, len, "(not recorded)");
		return;
	}
	if (json_is_null(v)) {
		snprintf(out, len, "%s", st->kind == K_WEIGHT ? "default" :
					 st->kind == K_CPUSET ? "all CPUs" : "unlimited");
		return;
	}
	if (st->kind == K_SIZE && json_is_integer(v)) {
		dome_format_size((uint64_t)json_integer_value(v), out, len);
		return;
	}
	if (st->kind == K_CPUS && json_is_number(v)) {
		unsigned m = cpu_millis(v);
		if (m % 1000 == 0)
			snprintf(out, len, "%u", m / 1000);
		else
			snprintf(out, len, "%g", m / 1000.0);
		return;
	}
	if (setting_arg(st, v, out, len) < 0)
		snprintf(out, len, "?");
}

static void append(char *buf, size_t len, const char *sep, const char *text)
{
	size_t used = strlen(buf);
	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used ? sep : "", text);
}

/* ------------------------------------------------------------ planning */

/* The action whose effect a change had: a rollback had the effect of what it
 * applied (recorded in its params), so it is undone like that. */
static const char *effective_action(const struct recorded_change *c)
{
	const char *action = json_string_value(c->action);
	if (action && strcmp(action, "rollback") == 0)
		return json_string_value(json_object_get(c->params, "applies"));
	return action;
}

static int choose_op(const struct recorded_change *c, enum rb_op *op, struct dome_error *err)
{
	const char *action = json_string_value(c->action);
	const char *effect = effective_action(c);
	for (size_t i = 0; effect && i < DOME_ARRAY_SIZE(irreversible); i++)
		if (strcmp(effect, irreversible[i].action) == 0)
			return dome_fail(err, 0, "%s cannot be rolled back: %s", effect,
					 irreversible[i].why);
	for (size_t i = 0; effect && i < DOME_ARRAY_SIZE(reversible); i++) {
		if (strcmp(effect, reversible[i].action) == 0) {
			*op = reversible[i].undo;
			return 0;
		}
	}
	return dome_fail(err, 0, "change %" PRId64 " (%s) cannot be rolled back: rollback undoes "
			 "set, freeze, unfreeze, start, stop and net-set, and rollbacks of those",
			 c->id, action ? action : "?");
}

static int check_completed(const struct recorded_change *c, struct dome_error *err)
{
	const char *result = json_string_value(c->result);
	const char *action = json_string_value(c->action);
	const char *target = json_string_value(c->target);
	if (result && strcmp(result, "ok") == 0)
		return 0;
	if (result && strcmp(result, "failed") == 0)
		return dome_fail(err, 0, "change %" PRId64 " (%s %s) failed (%s): it changed nothing, "
				 "so there is nothing to roll back", c->id, action, target,
				 json_string_value(c->error) ? json_string_value(c->error) : "no error recorded");
	if (result && strcmp(result, "interrupted") == 0)
		return dome_fail(err, 0, "change %" PRId64 " (%s %s) was interrupted before it "
				 "finished, so what it did is not known and it cannot be rolled back; "
				 "see dome info %s and change what is needed directly",
				 c->id, action, target, target);
	return dome_fail(err, 0, "change %" PRId64 " (%s %s) is still in progress; roll it back "
			 "once it has finished", c->id, action, target);
}

/* Settings: put back every one the change altered, provided each still has
 * the value the change gave it. */
static int plan_set(const struct recorded_change *c, json_t *now, struct rb_plan *p,
		    struct dome_error *err)
{
	/* A limit rollback does not know how to write is refused, not skipped. */
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(c->after, "limits"), key, v) {
		bool known = false;
		for (size_t i = 0; i < RB_MAX_SETTINGS; i++)
			known = known || strcmp(settings[i].key, key) == 0;
		if (!known && !same_value(json_object_get(json_object_get(c->before, "limits"), key), v))
			return dome_fail(err, 0, "change %" PRId64 " changed %s, which rollback cannot "
					 "put back; set it directly", c->id, key);
	}
	for (size_t i = 0; i < RB_MAX_SETTINGS; i++) {
		const struct setting *st = &settings[i];
		json_t *before = setting_value(c->before, st), *after = setting_value(c->after, st);
		if (same_value(before, after))
			continue;
		char val[256], was[64], set_to[64], is[64];
		if (!before || setting_arg(st, before, val, sizeof val) < 0)
			return dome_fail(err, 0, "change %" PRId64 " has no usable record of %s before "
					 "it; it cannot be rolled back", c->id, st->key);
		snprintf(p->kv[p->nkv], sizeof p->kv[p->nkv], "%s=%s", st->key, val);
		p->kvp[p->nkv] = p->kv[p->nkv];
		p->nkv++;
		json_object_set(p->restores, st->key, before);
		setting_text(st, before, was, sizeof was);
		char item[160];
		snprintf(item, sizeof item, "%s back to %s", st->key, was);
		append(p->what, sizeof p->what, ", ", item);

		json_t *current = setting_value(now, st);
		if (same_value(current, after))
			continue;
		setting_text(st, current, is, sizeof is);
		setting_text(st, after, set_to, sizeof set_to);
		snprintf(item, sizeof item, "%s is %s now, the change set it to %s", st->key, is, set_to);
		append(p->differs, sizeof p->differs, "; ", item);
	}
	if (p->nkv == 0)
		return dome_fail(err, 0, "change %" PRId64 " changed no setting, so there is nothing "
				 "to roll back", c->id);
	return 0;
}

/* Freeze, unfreeze, start, stop: the container should still be in the state
 * the change left it in. */
static int plan_state(const struct recorded_change *c, json_t *now, struct rb_plan *p,
		      struct dome_error *err)
{
	static const char *const done[] = { [RB_FREEZE] = "frozen again", [RB_UNFREEZE] = "thawed",
					    [RB_START] = "started again", [RB_STOP] = "stopped" };
	const char *left = json_string_value(json_object_get(c->after, "state"));
	const char *is = json_string_value(json_object_get(now, "state"));
	if (!left)
		return dome_fail(err, 0, "change %" PRId64 " has no record of the state it left; it "
				 "cannot be rolled back", c->id);
	snprintf(p->what, sizeof p->what, "%s", done[p->op]);
	if (!is || strcmp(is, left) != 0)
		snprintf(p->differs, sizeof p->differs, "%s is %s now, the change left it %s",
			 p->target, is ? is : "?", left);
	return 0;
}

/* Network settings: put back the ones the change altered, provided each still
 * has the value the change gave it. */
static int plan_net(struct dome_ctx *ctx, const struct recorded_change *c, struct rb_plan *p,
		    struct dome_error *err)
{
	snprintf(p->target, sizeof p->target, "network");
	if (!json_is_object(c->before) || !json_is_object(c->after))
		return dome_fail(err, 0, "change %" PRId64 " has no record of the settings before and "
				 "after it; it cannot be rolled back", c->id);
	json_t *now = dome_net_settings_json(&ctx->cfg);
	const char *key;
	json_t *before;
	json_object_foreach(c->before, key, before) {
		json_t *after = json_object_get(c->after, key);
		if (same_value(before, after) || !json_is_string(before) || p->nkv == RB_MAX_SETTINGS)
			continue;
		snprintf(p->kv[p->nkv], sizeof p->kv[p->nkv], "%s=%s", key, json_string_value(before));
		p->kvp[p->nkv] = p->kv[p->nkv];
		p->nkv++;
		json_object_set(p->restores, key, before);
		char item[300];
		snprintf(item, sizeof item, "%s back to '%s'", key, json_string_value(before));
		append(p->what, sizeof p->what, ", ", item);
		json_t *cur = json_object_get(now, key);
		if (!same_value(cur, after)) {
			snprintf(item, sizeof item, "%s is '%s' now, the change set it to '%s'", key,
				 json_string_value(cur) ? json_string_value(cur) : "",
				 json_string_value(after) ? json_string_value(after) : "");
			append(p->differs, sizeof p->differs, "; ", item);
		}
	}
	json_decref(now);
	if (p->nkv == 0)
		return dome_fail(err, 0, "change %" PRId64 " changed no setting, so there is nothing "
				 "to roll back", c->id);
	return 0;
}

static int plan_rollback(struct dome_ctx *ctx, const struct recorded_change *c, bool force,
			 struct rb_plan *p, struct dome_error *err)
{
	if (choose_op(c, &p->op, err) < 0 || check_completed(c, err) < 0)
		return -1;
	if (p->op == RB_NET) {
		if (plan_net(ctx, c, p, err) < 0)
			return -1;
		if (p->differs[0] && !force) {
			p->needs_force = true;
			return dome_fail(err, 0, "the network settings have changed since change %" PRId64
					 ": %s; to put back what they were before it anyway (%s), use "
					 "--force", c->id, p->differs, p->what);
		}
		return 0;
	}
	const char *target = json_string_value(c->target);
	if (!target || dome_validate_name("container", target, err) < 0)
		return dome_fail(err, 0, "change %" PRId64 " names no container it changed", c->id);
	snprintf(p->target, sizeof p->target, "%s", target);
	if (!json_is_object(c->before) || !json_is_object(c->after))
		return dome_fail(err, 0, "change %" PRId64 " has no record of the state before and "
				 "after it; it cannot be rolled back", c->id);
	struct dome_container cur;
	int found = dome_inv_find(ctx->store, target, &cur, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return dome_fail(err, 0, "container '%s' does not exist any more, so change %" PRId64
				 " cannot be rolled back", target, c->id);
	json_t *now = dome_container_json(&cur);
	if (!now)
		return dome_fail(err, ENOMEM, "reading container '%s'", target);
	/* Same name, another container: the change was not made to this one. */
	json_t *then_created = json_object_get(c->after, "created_at");
	if (then_created && !same_value(then_created, json_object_get(now, "created_at"))) {
		json_decref(now);
		return dome_fail(err, 0, "container '%s' was destroyed and created again since change "
				 "%" PRId64 ", which was made to the earlier one; it cannot be rolled "
				 "back", target, c->id);
	}
	int rc = p->op == RB_SET ? plan_set(c, now, p, err) : plan_state(c, now, p, err);
	json_decref(now);
	if (rc < 0)
		return -1;
	if (p->differs[0] && !force) {
		p->needs_force = true;
		return dome_fail(err, 0, "container '%s' has changed since change %" PRId64 ": %s; "
				 "to put back what it had before that change anyway (%s), use --force",
				 target, c->id, p->differs, p->what);
	}
	return 0;
}

/* ------------------------------------------------------------ applying */

static int apply_rollback(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			  struct dome_error *err)
{
	struct rb_plan *p = arg;
	switch (p->op) {
	case RB_SET:
		return dome_container_apply_set(ctx, ch, p->target, p->kvp, p->nkv, err);
	case RB_FREEZE:
	case RB_UNFREEZE:
		return dome_container_apply_freeze(ctx, ch, p->target, p->op == RB_FREEZE, err);
	case RB_START:
		return dome_container_apply_start(ctx, ch, p->target, err);
	case RB_STOP:
		return dome_container_apply_stop(ctx, ch, p->target, err);
	case RB_NET:
		return dome_net_apply_settings(ctx, ch, p->kvp, p->nkv, err);
	}
	return dome_fail(err, 0, "internal: unknown rollback operation");
}

int dome_rollback(struct dome_ctx *ctx, int64_t change_id, bool force,
		  struct dome_rollback_result *out, struct dome_error *err)
{
	*out = (struct dome_rollback_result){ 0 };
	if (dome_check_writable(ctx, err) < 0)
		return -1;
	if (change_id <= 0)
		return dome_invalid(err, "a change id is a positive number (dome history lists them)");
	struct recorded_change c = { 0 };
	if (read_change(ctx, change_id, &c, err) < 0)
		return -1;
	__cleanup_free struct rb_plan *p = calloc(1, sizeof *p);
	if (!p) {
		recorded_change_free(&c);
		return dome_fail(err, ENOMEM, "planning the rollback");
	}
	p->restores = json_object();
	int rc = plan_rollback(ctx, &c, force, p, err);
	recorded_change_free(&c);
	snprintf(out->target, sizeof out->target, "%s", p->target);
	snprintf(out->what, sizeof out->what, "%s", p->what);
	snprintf(out->differed, sizeof out->differed, "%s", p->differs);
	out->needs_force = p->needs_force;
	if (rc < 0) {
		json_decref(p->restores);
		return -1;
	}

	json_t *params = json_pack("{s:I, s:s, s:b}", "change", (json_int_t)change_id,
				   "applies", op_names[p->op], "forced", force && p->differs[0]);
	if (params && (p->op == RB_SET || p->op == RB_NET))
		json_object_set(params, "settings", p->restores);
	if (params && p->differs[0])
		json_object_set_new(params, "differed", json_string(p->differs));
	json_decref(p->restores);
	struct dome_change ch = { .action = "rollback", .target = p->target, .params = params,
				  .rollback_of = change_id };
	rc = dome_mutate(ctx, &ch, apply_rollback, p, err);
	out->id = ch.id;
	if (rc < 0)
		dome_error_prefix(err, "rolling back change %" PRId64, change_id);
	return rc;
}
