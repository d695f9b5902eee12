#include "report.h"
#include "audit.h"
#include "cleanup.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *const dome_event_kinds[] = {
	"started", "stopped", "exited", "crashed", "oom_kill", "limit_hit", "frozen", "thawed",
	"restart", "restart_failed", "restart_gave_up",
	NULL,
};

static bool known_kind(const char *kind)
{
	for (size_t i = 0; dome_event_kinds[i]; i++)
		if (strcmp(dome_event_kinds[i], kind) == 0)
			return true;
	return false;
}

/* The chained content of an event, in this order: every column but hash.
 * Events sealed before the id was added (dome-history(7)) hash the same
 * columns without it, and verify accepts that for them. */
#define EVENT_HASHED "id, seq, at, container, kind, detail, prev_hash"
#define EVENT_NHASHED 7
static const char SQL_EVENT_TAIL[] =
	"SELECT seq, hash FROM events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";
static const char SQL_EVENT_INSERT[] =
	"INSERT INTO events (at, container, kind, detail, seq, prev_hash) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_EVENT_ROW[] = "SELECT " EVENT_HASHED " FROM events WHERE id = ?1";
static const char SQL_EVENT_SEAL[] = "UPDATE events SET hash = ?2 WHERE id = ?1";
static const char SQL_EVENT_AT[] = "SELECT id, hash FROM events WHERE seq = ?1";
static const struct dome_chain events_chain = {
	.sql_tail = SQL_EVENT_TAIL, .sql_row = SQL_EVENT_ROW, .sql_seal = SQL_EVENT_SEAL,
	.sql_at = SQL_EVENT_AT, .ncols = EVENT_NHASHED, .noun = "event",
	.head_file = "events.head",
};

/* Insert the event at the chain's end and seal it with its hash, in the
 * caller's write transaction (the tail read and the append are atomic). */
static int chain_event(struct dome_store *st, const char *container, const char *kind,
		       const char *detail, const char *what, int64_t *seq, char hash[65],
		       struct dome_error *err)
{
	char prev[65];
	if (dome_chain_next(st, &events_chain, seq, prev, err) < 0)
		return -1;
	sqlite3_stmt *s = dome_store_stmt(st, SQL_EVENT_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, dome_now_ms());
	sqlite3_bind_text(s, 2, container, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, *seq);
	dome_bind_text_or_null(s, 6, prev[0] ? prev : NULL);
	if (dome_store_exec_stmt(st, s, what, err) < 0)
		return -1;
	return dome_chain_seal(st, &events_chain, sqlite3_last_insert_rowid(dome_store_db(st)),
			       hash, err);
}

int dome_event_record(struct dome_ctx *ctx, const char *container, const char *kind,
		      json_t *detail, struct dome_error *err)
{
	int rc = -1;
	__cleanup_free char *text = NULL;
	if (dome_check_writable(ctx, err) < 0)
		goto out;
	if (dome_validate_name("container", container, err) < 0)
		goto out;
	if (!kind || !known_kind(kind)) {
		dome_invalid(err, "unknown event kind '%s' (known: started, stopped, exited, crashed, "
			     "oom_kill, limit_hit, frozen, thawed, restart, restart_failed, "
			     "restart_gave_up)", kind ? kind : "");
		goto out;
	}
	if (detail && !json_is_object(detail)) {
		dome_invalid(err, "the detail of a '%s' event must be a JSON object", kind);
		goto out;
	}
	text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (!text) {
		dome_fail(err, ENOMEM, "recording the %s event of %s", kind, container);
		goto out;
	}
	char what[128];
	snprintf(what, sizeof what, "recording the %s event of %s", kind, container);
	/* Its own write transaction, unless the caller is in one already
	 * (then events.head catches up at the next event). The head is
	 * written at the next sync (dome_chain_note_head). */
	bool own = sqlite3_get_autocommit(dome_store_db(ctx->store));
	if (own && dome_store_begin(ctx->store, err) < 0)
		goto out;
	int64_t seq = 0;
	char hash[65] = "";
	rc = chain_event(ctx->store, container, kind, text, what, &seq, hash, err);
	if (own && rc < 0)
		dome_store_rollback(ctx->store);
	else if (own && (rc = dome_store_commit(ctx->store, err)) == 0)
		dome_chain_note_head(ctx, &events_chain, seq, hash);
out:
	json_decref(detail);
	return rc;
}

static const char SQL_EVENT_CHAIN[] =
	"SELECT id, hash, " EVENT_HASHED " FROM events WHERE seq IS NOT NULL ORDER BY seq";
static const char SQL_EVENT_UNCHAINED[] = "SELECT count(*) FROM events WHERE seq IS NULL";

/* One chained event against the one before it (prev) and its own content. */
static bool event_holds(sqlite3_stmt *s, int64_t pos, const char *prev, char *why,
			size_t whylen)
{
	int64_t id = sqlite3_column_int64(s, 0);
	const char *stored = (const char *)sqlite3_column_text(s, 1);
	const char *prev_col = (const char *)sqlite3_column_text(s, 2 + EVENT_NHASHED - 1);
	int64_t seq = sqlite3_column_int64(s, 3);
	char hash[65], old[65];
	if (seq != pos + 1)
		snprintf(why, whylen, "event %" PRId64 " has position %" PRId64 " but %" PRId64
			 " was expected: an event before it was removed", id, seq, pos + 1);
	else if (strcmp(prev_col ? prev_col : "", prev) != 0)
		snprintf(why, whylen, "event %" PRId64 " does not link to the event before it", id);
	else if (!stored || dome_hash_row(s, 2, EVENT_NHASHED, hash) < 0 ||
		 (strcmp(hash, stored) != 0 &&
		  (dome_hash_row(s, 3, EVENT_NHASHED - 1, old) < 0 || strcmp(old, stored) != 0)))
		snprintf(why, whylen, "event %" PRId64 " was changed after it was written (its "
			 "content does not match its hash)", id);
	else
		return true;
	return false;
}

int dome_events_verify(struct dome_ctx *ctx, int64_t *checked, int64_t *unchained,
		       int64_t *bad_id, char *why, size_t whylen, struct dome_error *err)
{
	*checked = *unchained = *bad_id = 0;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_EVENT_UNCHAINED, err);
	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		*unchained = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (!(s = dome_store_stmt(ctx->store, SQL_EVENT_CHAIN, err)))
		return -1;
	char prev[65] = "";
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!event_holds(s, *checked, prev, why, whylen)) {
			*bad_id = sqlite3_column_int64(s, 0);
			break;
		}
		snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(s, 1));
		(*checked)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the events");
	return *bad_id ? 0 : dome_chain_check_head(ctx, &events_chain, *checked, bad_id, why, whylen,
						   err);
}

/* ---- time parsing ---- */

/* Exactly n decimal digits at s. */
static bool fixed_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

static int time_usage(const char *what, const char *s, struct dome_error *err)
{
	return dome_invalid(err, "%s '%s' is not a time; use a date \"2026-11-24\", a date and "
			    "time \"2026-11-24 10:00\" or \"2026-11-24T10:00:00\" (local time, or "
			    "UTC with a trailing Z), \"now\", or a time ago \"-30m\", \"-2h\", "
			    "\"-7d\" (units s, m, h, d, w)", what, s);
}

static int parse_relative(const char *what, const char *s, int64_t now_ms, int64_t *out,
			  struct dome_error *err)
{
	const char *p = s + 1;
	size_t ndigits = strspn(p, "0123456789");
	if (ndigits == 0 || ndigits > 9 || p[ndigits] == '\0' || p[ndigits + 1] != '\0')
		return time_usage(what, s, err);
	int64_t unit;
	switch (p[ndigits]) {
	case 's': unit = 1000; break;
	case 'm': unit = 60 * 1000; break;
	case 'h': unit = 3600 * 1000; break;
	case 'd': unit = 86400 * 1000; break;
	case 'w': unit = 7 * 86400 * (int64_t)1000; break;
	default: return time_usage(what, s, err);
	}
	int64_t n = 0;
	for (size_t i = 0; i < ndigits; i++)
		n = n * 10 + (p[i] - '0');
	/* At most 999999999 weeks: fits, but lands before 1970. */
	if (n * unit > now_ms)
		return dome_invalid(err, "%s '%s' reaches back before 1970", what, s);
	*out = now_ms - n * unit;
	return 0;
}

static int parse_absolute(const char *what, const char *s, int64_t *out, struct dome_error *err)
{
	int year, month, day, hour = 0, min = 0, sec = 0;
	size_t len = strlen(s);
	bool utc = len > 0 && s[len - 1] == 'Z';
	if (utc)
		len--;
	if (!(len == 10 || len == 16 || len == 19))
		return time_usage(what, s, err);
	if (!fixed_digits(s, 4, &year) || s[4] != '-' || !fixed_digits(s + 5, 2, &month) ||
	    s[7] != '-' || !fixed_digits(s + 8, 2, &day))
		return time_usage(what, s, err);
	if (len >= 16 && ((s[10] != 'T' && s[10] != ' ') || !fixed_digits(s + 11, 2, &hour) ||
			  s[13] != ':' || !fixed_digits(s + 14, 2, &min)))
		return time_usage(what, s, err);
	if (len == 19 && (s[16] != ':' || !fixed_digits(s + 17, 2, &sec)))
		return time_usage(what, s, err);
	if (year < 1970 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 59)
		return dome_invalid(err, "%s '%s' is not a valid date and time (year from 1970, "
				    "month 1-12, a day the month has, hour 0-23, minutes and "
				    "seconds 0-59)", what, s);
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
			 .tm_hour = hour, .tm_min = min, .tm_sec = sec, .tm_isdst = -1 };
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return dome_invalid(err, "%s '%s' cannot be represented as a time here", what, s);
	*out = (int64_t)t * 1000;
	return 0;
}

int dome_parse_time(const char *what, const char *s, int64_t now_ms, int64_t *out_ms,
		    struct dome_error *err)
{
	if (!s || !*s)
		return dome_invalid(err, "%s needs a time", what);
	if (strcmp(s, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (s[0] == '-')
		return parse_relative(what, s, now_ms, out_ms, err);
	return parse_absolute(what, s, out_ms, err);
}

/* ---- the report ---- */

void dome_actor_label(const char *user, const char *sudo_user, char *out, size_t len)
{
	if (sudo_user && *sudo_user)
		snprintf(out, len, "%s via %s", sudo_user, user ? user : "?");
	else
		snprintf(out, len, "%s", user ? user : "?");
}

static const char SQL_REPORT_CHANGE_COUNTS[] =
	"SELECT count(*), coalesce(sum(result = 'failed'), 0), "
	"coalesce(sum(result = 'interrupted'), 0) "
	"FROM changes WHERE started_at >= ?1 AND started_at < ?2";
static const char SQL_REPORT_EVENT_COUNTS[] =
	"SELECT count(*), coalesce(sum(kind = 'crashed'), 0), coalesce(sum(kind = 'oom_kill'), 0), "
	"coalesce(sum(kind = 'limit_hit'), 0) FROM events WHERE at >= ?1 AND at < ?2";

static const char SQL_EVENT_COUNT_SUM[] =
	"SELECT coalesce(sum(json_extract(detail, '$.count')), 0) FROM events "
	"WHERE container = ?1 AND kind = ?2 AND at >= ?3";

int dome_events_count_since(struct dome_ctx *ctx, const char *container, const char *kind,
			    int64_t since_ms, int64_t *sum, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_EVENT_COUNT_SUM, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, container, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, since_ms);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return dome_store_fail(ctx->store, err, "counting a container's events");
	}
	*sum = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int count_window(struct dome_ctx *ctx, const char *sql, int64_t since, int64_t until,
			const char *const names[], json_t *summary, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, sql, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return dome_store_fail(ctx->store, err, "counting the report's window");
	}
	for (int i = 0; names[i]; i++)
		json_object_set_new(summary, names[i], json_integer(sqlite3_column_int64(s, i)));
	sqlite3_reset(s);
	return 0;
}

static const char SQL_REPORT_CHANGES[] =
	"SELECT started_at, id, ended_at, user, sudo_user, ssh_client, tty, host, action, target, "
	"params, before, after, result, error, reason, rollback_of "
	"FROM changes WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at, id LIMIT ?3";
static const char SQL_REPORT_EVENTS[] =
	"SELECT at, id, container, kind, detail "
	"FROM events WHERE at >= ?1 AND at < ?2 ORDER BY at, id LIMIT ?3";

static json_t *change_entry(sqlite3_stmt *s)
{
	static const char *const names[] = {
		"at", "id", "ended_at", "user", "sudo_user", "ssh_client", "tty", "host", "action",
		"target", "params", "before", "after", "result", "error", "reason", "rollback_of",
	};
	json_t *e = json_object();
	json_object_set_new(e, "type", json_string("change"));
	for (int i = 0; i < (int)DOME_ARRAY_SIZE(names); i++)
		json_object_set_new(e, names[i], dome_column_json(s, i, i >= 10 && i <= 12));
	char actor[160];
	dome_actor_label((const char *)sqlite3_column_text(s, 3),
			 (const char *)sqlite3_column_text(s, 4), actor, sizeof actor);
	json_object_set_new(e, "actor", json_string(actor));
	return e;
}

static json_t *event_entry(sqlite3_stmt *s)
{
	static const char *const names[] = { "at", "id", "container", "kind", "detail" };
	json_t *e = json_object();
	json_object_set_new(e, "type", json_string("event"));
	for (int i = 0; i < (int)DOME_ARRAY_SIZE(names); i++)
		json_object_set_new(e, names[i], dome_column_json(s, i, i == 4));
	return e;
}

static sqlite3_stmt *window_stmt(struct dome_ctx *ctx, const char *sql, int64_t since,
				 int64_t until, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, sql, err);
	if (s) {
		sqlite3_bind_int64(s, 1, since);
		sqlite3_bind_int64(s, 2, until);
		sqlite3_bind_int(s, 3, DOME_REPORT_MAX_ENTRIES);
	}
	return s;
}

/* Merge the two time-ordered streams; at the same millisecond the change
 * comes first, as it is usually what caused the event. */
static int merge_timeline(struct dome_ctx *ctx, int64_t since, int64_t until, json_t *timeline,
			  bool *truncated, struct dome_error *err)
{
	sqlite3_stmt *c = window_stmt(ctx, SQL_REPORT_CHANGES, since, until, err);
	sqlite3_stmt *e = c ? window_stmt(ctx, SQL_REPORT_EVENTS, since, until, err) : NULL;
	if (!e)
		return -1;
	int rc_c = sqlite3_step(c), rc_e = sqlite3_step(e);
	size_t n = 0;
	while (rc_c == SQLITE_ROW || rc_e == SQLITE_ROW) {
		if (n == DOME_REPORT_MAX_ENTRIES) {
			*truncated = true;
			break;
		}
		bool take_change = rc_c == SQLITE_ROW &&
				   (rc_e != SQLITE_ROW ||
				    sqlite3_column_int64(c, 0) <= sqlite3_column_int64(e, 0));
		if (take_change) {
			json_array_append_new(timeline, change_entry(c));
			rc_c = sqlite3_step(c);
		} else {
			json_array_append_new(timeline, event_entry(e));
			rc_e = sqlite3_step(e);
		}
		n++;
	}
	sqlite3_reset(c);
	sqlite3_reset(e);
	if ((rc_c != SQLITE_ROW && rc_c != SQLITE_DONE) || (rc_e != SQLITE_ROW && rc_e != SQLITE_DONE))
		return dome_store_fail(ctx->store, err, "reading the report's timeline");
	return 0;
}

int dome_report_build(struct dome_ctx *ctx, int64_t since_ms, int64_t until_ms, json_t **out,
		      struct dome_error *err)
{
	int64_t until = until_ms > 0 ? until_ms : INT64_MAX;
	if (until <= since_ms)
		return dome_invalid(err, "the report's end must come after its start");
	static const char *const change_names[] = { "changes", "failed", "interrupted", NULL };
	static const char *const event_names[] = { "events", "crashes", "oom_kills", "limit_hits",
						   NULL };
	json_t *report = json_object();
	json_t *summary = json_object();
	json_t *timeline = json_array();
	json_object_set_new(report, "since", json_integer(since_ms));
	json_object_set_new(report, "until", until_ms > 0 ? json_integer(until_ms) : json_null());
	json_object_set_new(report, "summary", summary);
	bool truncated = false;
	if (count_window(ctx, SQL_REPORT_CHANGE_COUNTS, since_ms, until, change_names, summary,
			 err) < 0 ||
	    count_window(ctx, SQL_REPORT_EVENT_COUNTS, since_ms, until, event_names, summary,
			 err) < 0 ||
	    merge_timeline(ctx, since_ms, until, timeline, &truncated, err) < 0) {
		json_decref(timeline);
		json_decref(report);
		return -1;
	}
	json_object_set_new(report, "truncated", json_boolean(truncated));
	json_object_set_new(report, "timeline", timeline);
	*out = report;
	return 0;
}
