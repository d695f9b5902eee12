/* Container events and the incident report.
 *
 * Events are things that happen to containers without anyone asking: the
 * engine records them with dome_event_record() into the `events` table. They
 * are not user mutations, so they do not go through dome_mutate(); they have
 * a hash chain of their own (seq, prev_hash, hash, as changes do), checked by
 * dome_events_verify(); like every write, they are refused in read-only mode.
 *
 * The incident report merges the audit history (`changes`) and the events of
 * a time window into one timeline, oldest first, with a summary. */
#ifndef DOME_REPORT_H
#define DOME_REPORT_H

#include <stdint.h>
#include <jansson.h>
#include "dome.h"

/* Event kinds the report knows (and counts in its summary). Detail keys the
 * report shows when present are listed with each kind.
 *   started    the container's init is running            {pid}
 *   stopped    it ended after a stop that was asked for   {exit_code, signal}
 *   exited     init exited on its own with status 0       {exit_code}
 *   crashed    init exited non-zero or was killed         {exit_code, signal}
 *   oom_kill   the kernel's OOM killer killed a process   {count, memory_max}
 *   limit_hit  a limit was reached (pids.max, memory.high, memory.max)
 *                                                       {limit, value, count}
 *   (both recorded by the container's monitor as they happen, at most once
 *   per kind every 10 s with the count since the last row: limit_events.h)
 *   frozen / thawed  the freezer changed state
 * Any other kind is refused, so a typo in the engine is an error, not a
 * silently uncounted event. */
extern const char *const dome_event_kinds[];

/* Record an event for `container` now. Takes the reference to `detail`
 * (an object, or NULL for {}), also on failure, so json_pack() can be passed
 * inline. Refused in read-only mode and for unknown kinds. */
int dome_event_record(struct dome_ctx *ctx, const char *container, const char *kind,
		      json_t *detail, struct dome_error *err);

/* The sum of the `count` figures of KIND events of CONTAINER since
 * since_ms (the OOM kills of a run its monitor recorded as they came). */
int dome_events_count_since(struct dome_ctx *ctx, const char *container, const char *kind,
			    int64_t since_ms, int64_t *sum, struct dome_error *err);

/* Walk the events' hash chain: *checked chained events read, *unchained the
 * events recorded before the chain existed (schema 5). *bad_id = 0 when it
 * holds, else the id of the first event that does not match, with why. */
int dome_events_verify(struct dome_ctx *ctx, int64_t *checked, int64_t *unchained,
		       int64_t *bad_id, char *why, size_t whylen, struct dome_error *err);

/* Parse a point in time given by a user, strictly:
 *   "2026-11-24"              midnight, local time
 *   "2026-11-24T10:00", "2026-11-24 10:00"
 *   "2026-11-24T10:00:00", "2026-11-24 10:00:00"
 *   any of the above ending in "Z": UTC instead of local time
 *   "-30s", "-30m", "-2h", "-7d", "-2w"   that long before `now_ms`
 *   "now"
 * Out-of-range fields (month 13, 31 April, 24:00) are refused. `what` names
 * the option in the message ("--since"). The result is epoch milliseconds. */
int dome_parse_time(const char *what, const char *s, int64_t now_ms, int64_t *out_ms,
		    struct dome_error *err);

/* The timeline is cut at this many entries (the summary still counts all). */
#define DOME_REPORT_MAX_ENTRIES 10000

/* Build the report for [since_ms, until_ms) (until_ms 0 = open) as:
 *   { "since": ms, "until": ms|null,
 *     "summary": { "changes", "failed", "interrupted", "events", "crashes",
 *                  "oom_kills", "limit_hits" },
 *     "truncated": bool,
 *     "timeline": [ entry... ] }            oldest first
 * A change entry: { "type": "change", "at", "id", "ended_at", "actor",
 *   "user", "sudo_user", "ssh_client", "tty", "host", "action", "target",
 *   "params", "before", "after", "result", "error", "reason", "rollback_of" }
 * An event entry: { "type": "event", "at", "id", "container", "kind", "detail" }
 * "actor" is "USER" or "SUDO_USER via USER". */
int dome_report_build(struct dome_ctx *ctx, int64_t since_ms, int64_t until_ms, json_t **out,
		      struct dome_error *err);

/* "alice via root" when run through sudo, else "root". */
void dome_actor_label(const char *user, const char *sudo_user, char *out, size_t len);

#endif
