/* Restart policies (issue 14): what a container's monitor does once init
 * has left on its own. The settings live in the inventory row; the monitor
 * is the only resident process, so it decides, waits the backoff and
 * starts the container again through the same audited path as `dome start`.
 * One place for the policy's names, limits, defaults and decision. */
#ifndef DOME_RESTART_H
#define DOME_RESTART_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

struct dome_ctx;
struct dome_container;

enum dome_restart_mode { DOME_RESTART_NO, DOME_RESTART_ON_FAILURE, DOME_RESTART_ALWAYS };

struct dome_restart_policy {
	enum dome_restart_mode mode;
	uint32_t max;            /* restarts allowed within window_s; 0 = none */
	int64_t window_s;
	int64_t backoff_ms;      /* the first wait; doubled per attempt */
	int64_t backoff_max_ms;  /* the cap of the wait */
};

#define DOME_RESTART_MAX_DEFAULT 5
#define DOME_RESTART_WINDOW_DEFAULT 600
#define DOME_RESTART_BACKOFF_DEFAULT 100
#define DOME_RESTART_BACKOFF_MAX_DEFAULT 60000

void dome_restart_policy_init(struct dome_restart_policy *p);
/* A policy never set (all zero, as a zeroed create spec or an older
 * backup has it) gets the defaults; any other is left as it is. */
void dome_restart_policy_fill(struct dome_restart_policy *p);
const char *dome_restart_mode_name(enum dome_restart_mode m);
/* "no", "on-failure", "always": -1 and a message for anything else. */
int dome_restart_mode_parse(const char *s, enum dome_restart_mode *out, struct dome_error *err);

/* One setting KEY=VALUE of the policy (restart, restart_max,
 * restart_window, restart_backoff, restart_backoff_max): 1 when KEY is one
 * of them and VALUE is good (stored in *p), 0 when KEY is not one of them,
 * -1 for a bad VALUE (*p unchanged). */
int dome_restart_setting(struct dome_restart_policy *p, const char *key, const char *value,
			 struct dome_error *err);
/* The settings as a whole (the cap below the first wait is refused). */
int dome_restart_policy_check(const struct dome_restart_policy *p, struct dome_error *err);

/* {"policy", "max", "window_s", "backoff_ms", "backoff_max_ms",
 * "next_retry_at" (s, null when no restart is pending)}: the shape of
 * `dome info --json` and of audit states. */
json_t *dome_restart_json(const struct dome_restart_policy *p, int64_t next_at_ms);

/* Does the policy restart a run that ended with wait status `status`
 * (-1: unknown), not asked for by `dome stop`? */
bool dome_restart_wanted(const struct dome_restart_policy *p, int status);
/* The wait before attempt n (1-based): backoff * 2^(n-1), capped. */
int64_t dome_restart_delay_ms(const struct dome_restart_policy *p, uint32_t attempt);

/* Restarts the policy made of NAME within its window up to now_ms. */
int dome_restart_count(struct dome_ctx *ctx, const struct dome_container *c, int64_t now_ms,
		       int64_t *count, struct dome_error *err);

/* The monitor's part, after it recorded the end of the run itself (so no
 * `dome stop` asked for it): decide, wait, start again. Logs what it could
 * not do through `note` (the console log). */
void dome_restart_after_exit(const char *root, const char *name, int status,
			     void (*note)(const char *line, void *data), void *data);

#endif
