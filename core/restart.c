/* Restart policies: the settings, the decision and the monitor's loop.
 * See restart.h. */
#include "restart.h"
#include "container.h"
#include "dome.h"
#include "inventory.h"
#include "report.h"
#include "runtime.h"
#include "validate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const mode_names[] = {
	[DOME_RESTART_NO] = "no",
	[DOME_RESTART_ON_FAILURE] = "on-failure",
	[DOME_RESTART_ALWAYS] = "always",
};

void dome_restart_policy_init(struct dome_restart_policy *p)
{
	p->mode = DOME_RESTART_NO;
	p->max = DOME_RESTART_MAX_DEFAULT;
	p->window_s = DOME_RESTART_WINDOW_DEFAULT;
	p->backoff_ms = DOME_RESTART_BACKOFF_DEFAULT;
	p->backoff_max_ms = DOME_RESTART_BACKOFF_MAX_DEFAULT;
}

void dome_restart_policy_fill(struct dome_restart_policy *p)
{
	if (p->mode == DOME_RESTART_NO && p->max == 0 && p->window_s == 0 && p->backoff_ms == 0 &&
	    p->backoff_max_ms == 0)
		dome_restart_policy_init(p);
}

const char *dome_restart_mode_name(enum dome_restart_mode m)
{
	return (unsigned)m < sizeof mode_names / sizeof *mode_names ? mode_names[m] : "no";
}

int dome_restart_mode_parse(const char *s, enum dome_restart_mode *out, struct dome_error *err)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof *mode_names; i++)
		if (s && strcmp(s, mode_names[i]) == 0) {
			*out = (enum dome_restart_mode)i;
			return 0;
		}
	if (s && strcmp(s, "unhealthy") == 0)
		return dome_invalid(err, "restart=unhealthy needs health checks, which dome does "
				    "not have yet; use on-failure or always");
	return dome_invalid(err, "restart policy '%.40s' is not no, on-failure or always",
			    s ? s : "");
}

/* A wait: "250ms", or a duration as dome_parse_duration reads it ("2s",
 * "1m"); bare digits are milliseconds. */
static int parse_millis(const char *what, const char *s, int64_t min_ms, int64_t max_ms,
			int64_t *out, struct dome_error *err)
{
	size_t nd = strspn(s, "0123456789");
	int64_t ms;
	if (nd > 0 && nd <= 12 && (s[nd] == '\0' || strcmp(s + nd, "ms") == 0)) {
		ms = 0;
		for (size_t i = 0; i < nd; i++)
			ms = ms * 10 + (s[i] - '0');
	} else {
		int64_t sec;
		if (dome_parse_duration(what, s, 0, max_ms / 1000, &sec, err) < 0)
			return -1;
		ms = sec * 1000;
	}
	if (ms < min_ms || ms > max_ms)
		return dome_invalid(err, "%s '%.40s' is out of range: from %lldms to %llds", what, s,
				    (long long)min_ms, (long long)(max_ms / 1000));
	*out = ms;
	return 0;
}

int dome_restart_setting(struct dome_restart_policy *p, const char *key, const char *v,
			 struct dome_error *err)
{
	uint64_t n;
	int64_t t;
	if (!strcmp(key, "restart")) {
		enum dome_restart_mode m;
		if (dome_restart_mode_parse(v, &m, err) < 0)
			return -1;
		p->mode = m;
		return 1;
	}
	if (!strcmp(key, "restart_max")) {
		if (dome_parse_uint("restart_max", v, 0, 1000, &n, err) < 0)
			return -1;
		p->max = (uint32_t)n;
		return 1;
	}
	if (!strcmp(key, "restart_window")) {
		if (dome_parse_duration("restart_window", v, 1, 7 * 86400, &t, err) < 0)
			return -1;
		p->window_s = t;
		return 1;
	}
	if (!strcmp(key, "restart_backoff")) {
		if (parse_millis("restart_backoff", v, 1, 3600 * 1000, &t, err) < 0)
			return -1;
		p->backoff_ms = t;
		return 1;
	}
	if (!strcmp(key, "restart_backoff_max")) {
		if (parse_millis("restart_backoff_max", v, 1, 86400 * 1000, &t, err) < 0)
			return -1;
		p->backoff_max_ms = t;
		return 1;
	}
	return 0;
}

int dome_restart_policy_check(const struct dome_restart_policy *p, struct dome_error *err)
{
	if (p->window_s <= 0 || p->backoff_ms <= 0)
		return dome_invalid(err, "restart_window and restart_backoff must be above 0");
	if (p->backoff_max_ms < p->backoff_ms)
		return dome_invalid(err, "restart_backoff_max (%lldms) must be at least "
				    "restart_backoff (%lldms)", (long long)p->backoff_max_ms,
				    (long long)p->backoff_ms);
	return 0;
}

json_t *dome_restart_json(const struct dome_restart_policy *p, int64_t next_at_ms)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:o}", "policy", dome_restart_mode_name(p->mode),
			 "max", (int)p->max, "window_s", (json_int_t)p->window_s,
			 "backoff_ms", (json_int_t)p->backoff_ms,
			 "backoff_max_ms", (json_int_t)p->backoff_max_ms, "next_retry_at",
			 next_at_ms ? json_real((double)next_at_ms / 1000.0) : json_null());
}

bool dome_restart_wanted(const struct dome_restart_policy *p, int status)
{
	switch (p->mode) {
	case DOME_RESTART_ALWAYS:
		return true;
	case DOME_RESTART_ON_FAILURE:
		/* An unknown end is not known to be a success. */
		return status < 0 || WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	default:
		return false;
	}
}

int64_t dome_restart_delay_ms(const struct dome_restart_policy *p, uint32_t attempt)
{
	int64_t d = p->backoff_ms;
	for (uint32_t i = 1; i < attempt && d < p->backoff_max_ms; i++)
		d *= 2;
	return d < p->backoff_max_ms ? d : p->backoff_max_ms;
}

/* Each attempt is a `restart` event with count 1, recorded under the lock
 * just before it starts: the events table persists across runs (each run
 * has a monitor of its own), and a failed attempt counts too, so an image
 * that is gone does not loop for ever. */
int dome_restart_count(struct dome_ctx *ctx, const struct dome_container *c, int64_t now_ms,
		       int64_t *count, struct dome_error *err)
{
	return dome_events_count_since(ctx, c->name, "restart",
				       now_ms - c->restart.window_s * 1000, count, err);
}

/* ------------------------------------------------------------ the monitor */


struct attempt {
	int status;
	int64_t next_at;         /* the restart_next_at this monitor stored */
	uint32_t attempt;
	bool cancelled;
};

static void describe_exit(struct dome_ctx *ctx, const struct dome_container *c, int status,
			  char *out, size_t len)
{
	struct dome_error ignored;
	int64_t oom = 0;
	if (c->started_at)
		dome_events_count_since(ctx, c->name, "oom_kill", c->started_at, &oom, &ignored);
	if (status < 0)
		snprintf(out, len, "unknown exit");
	else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		if (oom > 0)
			snprintf(out, len, "exit %d (OOM kill)", 128 + WTERMSIG(status));
		else
			snprintf(out, len, "exit %d (SIG%s)", 128 + WTERMSIG(status),
				 abbrev ? abbrev : "?");
	} else
		snprintf(out, len, "exit %d%s", WEXITSTATUS(status), oom > 0 ? " (OOM kill)" : "");
}

static json_t *exit_json(int status)
{
	if (status < 0)
		return json_pack("{s:s}", "exit", "unknown");
	return WIFSIGNALED(status) ? json_pack("{s:i}", "signal", WTERMSIG(status))
				   : json_pack("{s:i}", "exit_code", WEXITSTATUS(status));
}

static void event(struct dome_ctx *ctx, const char *name, const char *kind, json_t *detail)
{
	struct dome_error ignored;
	dome_event_record(ctx, name, kind, detail, &ignored);
}

/* Under the lock, just before the start: still this monitor's pending
 * restart? A `dome start` (it runs), `dome stop` (it cleared
 * restart_next_at), `dome destroy` (no row) or a `dome set` of a policy
 * that does not want it (restart=no) since the decision wins. */
static int still_wanted(struct dome_ctx *ctx, const struct dome_container *c, void *data,
			struct dome_error *err)
{
	struct attempt *a = data;
	if ((strcmp(c->state, "stopped") != 0 && strcmp(c->state, "error") != 0) ||
	    c->restart_next_at != a->next_at || !dome_restart_wanted(&c->restart, a->status)) {
		a->cancelled = true;
		return dome_fail(err, 0, "the restart policy's attempt was overtaken: the "
				 "container was started or stopped meanwhile");
	}
	json_t *d = exit_json(a->status);
	json_object_set_new(d, "count", json_integer(1));
	json_object_set_new(d, "attempt", json_integer(a->attempt));
	json_object_set_new(d, "max", json_integer(c->restart.max));
	event(ctx, c->name, "restart", d);
	return 0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Decide under the lock: 1 = wait a->next_at then start, 0 = nothing to do
 * (the policy does not want it, the row changed, or the limit is reached:
 * then the container stays stopped and an event says why). */
static int decide(struct dome_ctx *ctx, const char *name, struct attempt *a, int64_t *delay,
		  char *why, size_t whylen)
{
	struct dome_error err;
	__cleanup_lock int lock = dome_lock_container(ctx, name, &err);
	if (lock < 0)
		return 0;
	struct dome_container c;
	if (dome_inv_find(ctx->store, name, &c, &err) != 1 || strcmp(c.state, "stopped") != 0 ||
	    c.restart_next_at != 0 || !dome_restart_wanted(&c.restart, a->status))
		return 0;
	int64_t now = dome_now_ms(), made = 0;
	if (dome_restart_count(ctx, &c, now, &made, &err) < 0)
		return 0;
	char exit_text[96];
	describe_exit(ctx, &c, a->status, exit_text, sizeof exit_text);
	if (made >= c.restart.max) {
		json_t *d = exit_json(a->status);
		json_object_set_new(d, "restarts", json_integer(made));
		json_object_set_new(d, "max", json_integer(c.restart.max));
		json_object_set_new(d, "window_s", json_integer(c.restart.window_s));
		char reason[200];
		snprintf(reason, sizeof reason, "%s after %lld restarts within %llds "
			 "(restart_max %u): left stopped", exit_text, (long long)made,
			 (long long)c.restart.window_s, c.restart.max);
		json_object_set_new(d, "reason", json_string(reason));
		event(ctx, name, "restart_gave_up", d);
		return 0;
	}
	a->attempt = (uint32_t)made + 1;
	*delay = dome_restart_delay_ms(&c.restart, a->attempt);
	a->next_at = now + *delay;
	c.restart_next_at = a->next_at;
	if (dome_inv_update_runtime(ctx->store, &c, &err) < 0)
		return 0;
	snprintf(why, whylen, "restart policy: %s, attempt %u of %u", exit_text, a->attempt,
		 c.restart.max);
	return 1;
}

/* After the wait: is the restart still pending? A start, stop or destroy
 * meanwhile is seen here without a change record; still_wanted checks
 * again under the start's own lock, for one that comes in between. */
static bool still_pending(struct dome_ctx *ctx, const char *name, const struct attempt *a)
{
	struct dome_error err;
	__cleanup_lock int lock = dome_lock_container(ctx, name, &err);
	if (lock < 0)
		return false;
	struct dome_container c;
	return dome_inv_find(ctx->store, name, &c, &err) == 1 && c.restart_next_at == a->next_at &&
	       dome_restart_wanted(&c.restart, a->status);
}

/* The pending restart is given up (a failed start, a policy set to no
 * meanwhile): clear restart_next_at if it is still ours, so the next
 * decision can be made and `dome info` shows no retry. */
static void clear_pending(struct dome_ctx *ctx, const char *name, int64_t next_at)
{
	struct dome_error err;
	__cleanup_lock int lock = dome_lock_container(ctx, name, &err);
	if (lock < 0)
		return;
	struct dome_container c;
	if (dome_inv_find(ctx->store, name, &c, &err) == 1 && c.restart_next_at == next_at) {
		c.restart_next_at = 0;
		dome_inv_update_runtime(ctx->store, &c, &err);
	}
}

void dome_restart_after_exit(const char *root, const char *name, int status,
			     void (*note)(const char *line, void *data), void *data)
{
	struct dome_error err = { 0 };
	struct dome_open_opts o = { .root = root };
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		return;
	/* The policy acts, not the user who started the container. */
	strlcpy(ctx->actor.user, "system", sizeof ctx->actor.user);
	ctx->actor.sudo_user[0] = ctx->actor.tty[0] = ctx->actor.ssh_client[0] = '\0';
	struct attempt a = { .status = status };
	int64_t delay = 0;
	/* A failed attempt (the image is gone, a limit the host cannot give)
	 * is recorded and counted, and the next one waits longer, up to
	 * restart_max. Waiting, this monitor holds no lock. */
	while (decide(ctx, name, &a, &delay, ctx->reason, sizeof ctx->reason) == 1) {
		sleep_ms(delay);
		if (!still_pending(ctx, name, &a)) {
			clear_pending(ctx, name, a.next_at);
			break;
		}
		a.cancelled = false;
		if (dome_container_start_checked(ctx, name, still_wanted, &a, &err) == 0 || a.cancelled)
			break;
		event(ctx, name, "restart_failed", json_pack("{s:i, s:s}", "attempt", a.attempt,
							     "error", err.msg));
		char line[700];
		snprintf(line, sizeof line, "dome: restart policy: attempt %u failed: %.600s\n",
			 a.attempt, err.msg);
		note(line, data);
		clear_pending(ctx, name, a.next_at);
	}
	dome_close(ctx);
}
