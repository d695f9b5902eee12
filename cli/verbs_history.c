/* The audit history and the incident report: history, history verify, report.
 * All read-only: they work in --readonly runs and for the dome group. */
#include "cli.h"
#include "escape.h"
#include "audit.h"
#include "cleanup.h"
#include "report.h"
#include "validate.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- text cells ---- */

/* Copy at most `width` characters of `s` into out (UTF-8 aware, so a
 * character is never cut in half), with control characters shown as '?' so
 * text from the database cannot drive the terminal. A cut is marked '~'.
 * Returns the number of characters (columns) written. */
static int cell(char *out, size_t outlen, const char *s, int width)
{
	size_t o = 0;
	int cols = 0;
	if (!s)
		s = "-";
	const unsigned char *p = (const unsigned char *)s;
	while (*p && o + 5 < outlen) {
		size_t clen = 1;
		if (*p >= 0xc0)
			while ((p[clen] & 0xc0) == 0x80 && clen < 4)
				clen++;
		if (cols == width || (cols == width - 1 && p[clen] != '\0')) {
			out[o++] = '~';
			cols++;
			break;
		}
		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p < 0xc0)) {
			out[o++] = '?';
			p++;
		} else {
			memcpy(out + o, p, clen);
			o += clen;
			p += clen;
		}
		cols++;
	}
	out[o] = '\0';
	return cols;
}

static int text_cols(const char *s)
{
	char buf[1024];
	return cell(buf, sizeof buf, s, 1000);
}

static void print_cell(const char *s, int width, bool last)
{
	char buf[1024];
	int cols = cell(buf, sizeof buf, s, width);
	fputs(buf, stdout);
	if (!last)
		printf("%*s", width - cols + 1, "");
}

static int terminal_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 80)
		return ws.ws_col;
	return 80;
}

static const char *str(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static int64_t num(json_t *row, const char *key)
{
	return json_integer_value(json_object_get(row, key));
}

/* ---- dome history ---- */

struct history_args {
	const char *since, *until, *actor, *action, *target, *limit, *before, *head;
	bool failed, json;
};

enum { OPT_SINCE = 1, OPT_UNTIL, OPT_ACTOR, OPT_ACTION, OPT_TARGET, OPT_FAILED, OPT_LIMIT,
       OPT_BEFORE, OPT_JSON, OPT_FORMAT, OPT_HEAD, OPT_METRICS };

static int on_history_opt(int opt, const char *arg, void *data)
{
	struct history_args *a = data;
	switch (opt) {
	case OPT_SINCE: a->since = arg; return 0;
	case OPT_UNTIL: a->until = arg; return 0;
	case OPT_ACTOR: a->actor = arg; return 0;
	case OPT_ACTION: a->action = arg; return 0;
	case OPT_TARGET: a->target = arg; return 0;
	case OPT_FAILED: a->failed = true; return 0;
	case OPT_LIMIT: a->limit = arg; return 0;
	case OPT_BEFORE: a->before = arg; return 0;
	case OPT_JSON: a->json = true; return 0;
	case OPT_HEAD: a->head = arg; return 0;
	default: return EXIT_USAGE;
	}
}

static const struct option history_opts[] = {
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "before", required_argument, NULL, OPT_BEFORE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ 0 },
};

/* A user name as recorded: 1-63 printable characters, no spaces. */
static int validate_actor(const char *s, struct dome_error *err)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= 63;
	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] > 0x20 && s[i] < 0x7f;
	return ok ? 0 : dome_invalid(err, "--actor '%s' is not a user name", s);
}

/* An action: a lowercase word (set, start, image-import...). */
static int validate_action(const char *s, struct dome_error *err)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= 32 && s[0] >= 'a' && s[0] <= 'z';
	for (size_t i = 0; ok && i < n; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '_';
	return ok ? 0 : dome_invalid(err, "--action '%s' is not an action name (a lowercase "
				     "word such as set, start, destroy)", s);
}

static int history_filter(const struct history_args *a, struct dome_history_filter *f,
			  struct dome_error *err)
{
	int64_t now = dome_now_ms();
	uint64_t v;
	*f = (struct dome_history_filter){ .target = a->target, .actor = a->actor,
					   .action = a->action, .failed_only = a->failed,
					   .limit = 50 };
	if (a->target && dome_validate_name("target", a->target, err) < 0)
		return -1;
	if (a->actor && validate_actor(a->actor, err) < 0)
		return -1;
	if (a->action && validate_action(a->action, err) < 0)
		return -1;
	if (a->since && dome_parse_time("--since", a->since, now, &f->since_ms, err) < 0)
		return -1;
	if (a->until && dome_parse_time("--until", a->until, now, &f->until_ms, err) < 0)
		return -1;
	if (a->since && a->until && f->until_ms <= f->since_ms)
		return dome_invalid(err, "--until (%s) must be later than --since (%s)", a->until,
				    a->since);
	if (a->limit) {
		if (dome_parse_uint("--limit", a->limit, 1, 10000, &v, err) < 0)
			return -1;
		f->limit = (int)v;
	}
	if (a->before) {
		if (dome_parse_uint("--before", a->before, 1, INT64_MAX, &v, err) < 0)
			return -1;
		f->before_id = (int64_t)v;
	}
	return 0;
}

static const char *result_label(const char *result)
{
	if (!result)
		return "?";
	if (strcmp(result, "failed") == 0)
		return "FAILED";
	if (strcmp(result, "interrupted") == 0)
		return "INTERRUPTED";
	return result;
}

enum { COL_ID, COL_TIME, COL_ACTOR, COL_ACTION, COL_TARGET, COL_RESULT, COL_REASON, NCOLS };

static void row_cells(json_t *row, char cells[NCOLS][192])
{
	snprintf(cells[COL_ID], 192, "%" PRId64, num(row, "id"));
	cli_format_time(num(row, "started_at"), cells[COL_TIME], 192);
	dome_actor_label(str(row, "user"), str(row, "sudo_user"), cells[COL_ACTOR], 192);
	snprintf(cells[COL_ACTION], 192, "%s", str(row, "action") ? str(row, "action") : "?");
	snprintf(cells[COL_TARGET], 192, "%s", str(row, "target") ? str(row, "target") : "?");
	snprintf(cells[COL_RESULT], 192, "%s", result_label(str(row, "result")));
	snprintf(cells[COL_REASON], 192, "%s", str(row, "reason") ? str(row, "reason") : "");
	/* A reason, a target typed by someone: one line each, nothing that a
	 * terminal would act on (core/escape.h). */
	for (int i = 0; i < NCOLS; i++) {
		char shown[192];
		dome_escape_str(cells[i], shown, sizeof shown);
		memcpy(cells[i], shown, sizeof shown);
	}
}

/* Column widths fit the page's content, capped so the line fits the
 * terminal (80 columns when not on one); the reason takes what is left. */
static void fit_widths(json_t *rows, int total, int w[NCOLS])
{
	static const char *const heads[NCOLS] = { "ID", "TIME", "ACTOR", "ACTION", "TARGET",
						  "RESULT", "REASON" };
	static const int caps[NCOLS] = { 10, 19, 20, 12, 20, 11, 0 };
	for (int c = 0; c < NCOLS; c++)
		w[c] = (int)strlen(heads[c]);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char cells[NCOLS][192];
		row_cells(row, cells);
		for (int c = 0; c < COL_REASON; c++) {
			int n = text_cols(cells[c]);
			if (n > w[c])
				w[c] = n < caps[c] ? n : caps[c];
		}
	}
	for (;;) {
		int used = NCOLS - 1;
		for (int c = 0; c < COL_REASON; c++)
			used += w[c];
		w[COL_REASON] = total - used;
		if (w[COL_REASON] >= 12)
			break;
		/* Give the reason room from the widest of actor and target. */
		int c = w[COL_ACTOR] >= w[COL_TARGET] ? COL_ACTOR : COL_TARGET;
		if (w[c] <= 8) {
			w[COL_REASON] = w[COL_REASON] < 6 ? 6 : w[COL_REASON];
			break;
		}
		w[c]--;
	}
}

static void print_history(json_t *rows, const struct dome_history_filter *f, bool filtered)
{
	if (json_array_size(rows) == 0) {
		puts(filtered || f->before_id ? "No changes match." : "No changes recorded yet.");
		return;
	}
	int total = terminal_width() - 1;
	int w[NCOLS];
	fit_widths(rows, total, w);
	static const char *const heads[NCOLS] = { "ID", "TIME", "ACTOR", "ACTION", "TARGET",
						  "RESULT", "REASON" };
	for (int c = 0; c < NCOLS; c++)
		print_cell(heads[c], w[c], c == NCOLS - 1);
	putchar('\n');
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char cells[NCOLS][192];
		row_cells(row, cells);
		for (int c = 0; c < NCOLS; c++)
			print_cell(cells[c], w[c], c == NCOLS - 1);
		putchar('\n');
		/* Failures carry their error on a line of their own. */
		const char *error = str(row, "error");
		if (error) {
			printf("%*s", w[COL_ID] + 1, "");
			fputs("error: ", stdout);
			print_cell(error, total - w[COL_ID] - 8, true);
			putchar('\n');
		}
	}
	if ((int)json_array_size(rows) == f->limit) {
		json_t *last = json_array_get(rows, json_array_size(rows) - 1);
		printf("-- older changes: add --before %" PRId64 "\n", num(last, "id"));
	}
}

/* --head HASH: a head kept elsewhere earlier must still be in the chain. */
static int check_kept_head(struct dome_ctx *ctx, const char *hash, int64_t *bad, char *why,
			   size_t whylen, struct dome_error *err)
{
	int64_t seq;
	if (dome_audit_find_hash(ctx, hash, &seq, err) < 0)
		return -1;
	if (seq == 0) {
		*bad = -1;
		snprintf(why, whylen, "no record has the hash %.12s... given with --head: the history "
			 "was rewritten or cut before that record", hash);
	}
	return 0;
}

static int history_verify(struct cli *cli, int argc, char **argv)
{
	struct history_args a = { 0 };
	int status;
	static const struct option verify_opts[] = { { "json", no_argument, NULL, OPT_JSON },
						     { "head", required_argument, NULL, OPT_HEAD },
						     { 0 } };
	if (cli_parse(cli, argc, argv, "", verify_opts, on_history_opt, &a, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "history verify takes no arguments");
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	int64_t checked = 0, bad = 0, head_seq, ev_checked, ev_old, ev_bad;
	char why[512] = "", head[65], ev_why[256] = "", damage[512];
	/* The file first: hashes read from damaged pages prove nothing, and
	 * damage elsewhere (the inventory, an index) is not in the chains. */
	if (dome_store_check(ctx->store, damage, sizeof damage, &err) < 0)
		return cli_fail(&err);
	if (damage[0]) {
		const char *db = dome_store_path(ctx->store);
		if (a.json) {
			int rc = cli_print_json(json_pack("{s:b, s:{s:s, s:b, s:s}}", "intact", 0,
							  "database", "path", db, "intact", 0,
							  "why", damage));
			return rc != EXIT_OK ? rc : EXIT_FAILED;
		}
		fprintf(stderr, "dome: the inventory %s is damaged (SQLite's check: %s): nothing in "
			"it can be trusted, the history included; restore it from a backup (dome(1), "
			"RECOVERY)\n", db, damage);
		return EXIT_FAILED;
	}
	if (dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err) < 0 ||
	    (!bad && a.head && check_kept_head(ctx, a.head, &bad, why, sizeof why, &err) < 0) ||
	    dome_audit_head(ctx, &head_seq, head, &err) < 0 ||
	    dome_events_verify(ctx, &ev_checked, &ev_old, &ev_bad, ev_why, sizeof ev_why, &err) < 0)
		return cli_fail(&err);
	if (a.json) {
		int rc = cli_print_json(json_pack(
			"{s:I, s:b, s:o, s:o, s:{s:I, s:s}, s:{s:I, s:I, s:b, s:o, s:o}}", "records",
			(json_int_t)checked, "intact", bad == 0 && ev_bad == 0, "bad_id",
			bad > 0 ? json_integer(bad) : json_null(), "why",
			bad ? json_string(why) : json_null(), "head", "position",
			(json_int_t)head_seq, "hash", head, "events", "records",
			(json_int_t)ev_checked, "unchained", (json_int_t)ev_old, "intact", ev_bad == 0,
			"bad_id", ev_bad > 0 ? json_integer(ev_bad) : json_null(), "why",
			ev_bad ? json_string(ev_why) : json_null()));
		return rc != EXIT_OK ? rc : bad || ev_bad ? EXIT_FAILED : EXIT_OK;
	}
	if (ev_bad) {
		if (ev_bad > 0)
			fprintf(stderr, "dome: event verification failed at event %" PRId64 ": %s\n",
				ev_bad, ev_why);
		else
			fprintf(stderr, "dome: event verification failed: %s\n", ev_why);
		if (!bad)
			return EXIT_FAILED;
	}
	if (bad > 0) {
		fprintf(stderr, "dome: history verification failed at record %" PRId64 ": %s "
			"(%" PRId64 " records read)\n", bad, why, checked);
		return EXIT_FAILED;
	}
	if (bad < 0) {
		fprintf(stderr, "dome: history verification failed: %s (%" PRId64 " records read)\n",
			why, checked);
		return EXIT_FAILED;
	}
	printf("history verified: %" PRId64 " records, chain intact\n", checked);
	printf("events verified: %" PRId64 " records, chain intact", ev_checked);
	if (ev_old)
		printf(" (%" PRId64 " older events, recorded before the chain, not chained)", ev_old);
	printf("\n");
	if (head_seq)
		printf("head: position %" PRId64 ", hash %s\n(kept off this host, it lets "
		       "`dome history verify --head HASH` prove later that nothing up to it changed)\n",
		       head_seq, head);
	return EXIT_OK;
}

int verb_history(struct cli *cli, int argc, char **argv)
{
	struct history_args a = { 0 };
	int status;
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return history_verify(cli, argc - 1, argv + 1);
	if (cli_parse(cli, argc, argv, "", history_opts, on_history_opt, &a, &status))
		return status;
	if (optind < argc) {
		/* NAME, then more options: parse what follows it as its own list. */
		if (a.target)
			return cli_usage(cli, "give the target once (NAME or --target)");
		a.target = argv[optind];
		int rest = argc - optind;
		char **rest_argv = argv + optind;
		if (cli_parse(cli, rest, rest_argv, "", history_opts, on_history_opt, &a, &status))
			return status;
		if (optind < rest)
			return cli_usage(cli, "unexpected argument '%s'", rest_argv[optind]);
	}
	struct dome_error err;
	struct dome_history_filter f;
	if (history_filter(&a, &f, &err) < 0)
		return cli_fail(&err);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	json_t *rows;
	if (dome_audit_history(ctx, &f, &rows, &err) < 0)
		return cli_fail(&err);
	if (a.json)
		return cli_print_json(rows);
	bool filtered = a.target || a.actor || a.action || a.since || a.until || a.failed;
	print_history(rows, &f, filtered);
	json_decref(rows);
	return EXIT_OK;
}

/* ---- dome report ---- */

enum report_format { FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_JSON };

struct report_args {
	const char *since, *until, *format;
	bool metrics;
};

static int on_report_opt(int opt, const char *arg, void *data)
{
	struct report_args *a = data;
	switch (opt) {
	case OPT_SINCE: a->since = arg; return 0;
	case OPT_UNTIL: a->until = arg; return 0;
	case OPT_FORMAT: a->format = arg; return 0;
	case OPT_METRICS: a->metrics = true; return 0;
	default: return EXIT_USAGE;
	}
}

/* Text for one value of a JSON detail: strings bare, the rest as JSON. */
static void put_value(FILE *f, json_t *v)
{
	if (json_is_string(v)) {
		fputs(json_string_value(v), f);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fputs(s ? s : "?", f);
	free(s);
}

/* "key=value key=value", with a signal number also named (signal=9 (KILL)). */
static void put_detail(FILE *f, json_t *detail)
{
	const char *key;
	json_t *v;
	const char *sep = "";
	json_object_foreach(detail, key, v) {
		fprintf(f, "%s%s=", sep, key);
		put_value(f, v);
		if (strcmp(key, "signal") == 0 && json_is_integer(v)) {
			const char *name = sigabbrev_np((int)json_integer_value(v));
			if (name)
				fprintf(f, " (SIG%s)", name);
		}
		sep = " ";
	}
}

/* "memory: 256M -> 512M" for each top-level key that differs. */
static void put_diff(FILE *f, json_t *before, json_t *after)
{
	if (!json_is_object(before) || !json_is_object(after))
		return;
	const char *key;
	json_t *v;
	const char *sep = "";
	json_object_foreach(after, key, v) {
		json_t *old = json_object_get(before, key);
		if (old && json_equal(old, v))
			continue;
		fprintf(f, "%s%s: ", sep, key);
		if (old)
			put_value(f, old);
		else
			fputs("(none)", f);
		fputs(" -> ", f);
		put_value(f, v);
		sep = ", ";
	}
}

struct entry_text {
	char *who, *what, *result, *details;
};

static char *memstream_text(void (*fill)(FILE *, json_t *), json_t *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return strdup("");
	fill(f, e);
	fclose(f);
	return buf;
}

static void fill_who(FILE *f, json_t *e)
{
	if (strcmp(str(e, "type"), "event") == 0)
		fputs("system", f);
	else
		fputs(str(e, "actor"), f);
}

static void fill_what(FILE *f, json_t *e)
{
	if (strcmp(str(e, "type"), "event") == 0)
		fprintf(f, "%s %s", str(e, "container"), str(e, "kind"));
	else
		fprintf(f, "%s %s (change %" PRId64 ")", str(e, "action"), str(e, "target"),
			num(e, "id"));
}

static void fill_result(FILE *f, json_t *e)
{
	if (strcmp(str(e, "type"), "change") == 0)
		fputs(result_label(str(e, "result")), f);
}

static void fill_details(FILE *f, json_t *e)
{
	if (strcmp(str(e, "type"), "event") == 0) {
		put_detail(f, json_object_get(e, "detail"));
		return;
	}
	const char *sep = "";
	char *diff = NULL;
	size_t len = 0;
	FILE *d = open_memstream(&diff, &len);
	if (d) {
		put_diff(d, json_object_get(e, "before"), json_object_get(e, "after"));
		fclose(d);
	}
	if (diff && diff[0]) {
		fputs(diff, f);
		sep = "; ";
	} else {
		json_t *params = json_object_get(e, "params");
		if (json_is_object(params) && json_object_size(params) > 0) {
			put_detail(f, params);
			sep = "; ";
		}
	}
	free(diff);
	if (str(e, "error")) {
		fprintf(f, "%serror: %s", sep, str(e, "error"));
		sep = "; ";
	}
	if (str(e, "reason")) {
		fprintf(f, "%sreason: %s", sep, str(e, "reason"));
		sep = "; ";
	}
	if (str(e, "ssh_client"))
		fprintf(f, "%sfrom %s", sep, str(e, "ssh_client"));
}

/* The text escaped in full (core/escape.h): a reason, an error message or
 * a parameter is one field of one line of the report. */
static char *escaped(char *text)
{
	if (!text)
		return NULL;
	size_t cap = 4 * strlen(text) + 8;
	char *out = malloc(cap);
	if (out)
		dome_escape_str(text, out, cap);
	free(text);
	return out;
}

static void entry_text(json_t *e, struct entry_text *t)
{
	t->who = escaped(memstream_text(fill_who, e));
	t->what = escaped(memstream_text(fill_what, e));
	t->result = escaped(memstream_text(fill_result, e));
	t->details = escaped(memstream_text(fill_details, e));
}

static void entry_text_free(struct entry_text *t)
{
	free(t->who);
	free(t->what);
	free(t->result);
	free(t->details);
}

/* Text for a report, escaped already (entry_text); in Markdown, the
 * characters that would change the document's structure are escaped too. */
static void put_safe(const char *s, bool markdown)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (markdown && strchr("\\`*_[]<|#", *p))
			printf("\\%c", *p);
		else
			putchar(*p);
	}
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(json_t *r, bool markdown)
{
	json_t *s = json_object_get(r, "summary");
	char since[32], until[32];
	cli_format_time(num(r, "since"), since, sizeof since);
	if (json_is_integer(json_object_get(r, "until")))
		cli_format_time(num(r, "until"), until, sizeof until);
	else
		snprintf(until, sizeof until, "now");
	const char *item = markdown ? "- **" : "";
	const char *end = markdown ? ":**" : ":";
	if (markdown)
		printf("# Incident report\n\n");
	else
		printf("Incident report\n");
	printf("%sWindow%s   %s to %s\n", item, end, since, until);
	int64_t crashes = num(s, "crashes"), ooms = num(s, "oom_kills"), hits = num(s, "limit_hits");
	printf("%sChanges%s  %" PRId64 " (%" PRId64 " failed, %" PRId64 " interrupted)\n", item, end,
	       num(s, "changes"), num(s, "failed"), num(s, "interrupted"));
	printf("%sEvents%s   %" PRId64 " (%" PRId64 " %s, %" PRId64 " %s, %" PRId64 " %s)\n", item,
	       end, num(s, "events"), crashes, plural(crashes, "crash", "crashes"), ooms,
	       plural(ooms, "OOM kill", "OOM kills"), hits, plural(hits, "limit hit", "limit hits"));
	if (json_is_true(json_object_get(r, "truncated")))
		printf("%sNote%s     the timeline shows the first %d entries; narrow the window "
		       "with --until\n", item, end, DOME_REPORT_MAX_ENTRIES);
	putchar('\n');
}

static void print_report(json_t *r, bool markdown)
{
	print_summary(r, markdown);
	json_t *timeline = json_object_get(r, "timeline");
	if (json_array_size(timeline) == 0) {
		puts("Nothing happened in this window.");
		return;
	}
	if (markdown)
		puts("| Time | Actor | What | Result | Details |\n|---|---|---|---|---|");
	else
		printf("%-19s  %-16s  %s\n", "TIME", "ACTOR", "WHAT");
	size_t i;
	json_t *e;
	json_array_foreach(timeline, i, e) {
		char when[32];
		cli_format_time(num(e, "at"), when, sizeof when);
		struct entry_text t;
		entry_text(e, &t);
		if (markdown) {
			const char *parts[] = { t.who, t.what, t.result, t.details };
			printf("| %s |", when);
			for (size_t k = 0; k < DOME_ARRAY_SIZE(parts); k++) {
				putchar(' ');
				put_safe(parts[k], true);
				fputs(" |", stdout);
			}
		} else {
			printf("%-19s  ", when);
			put_safe(t.who, false);
			printf("%*s", 16 - text_cols(t.who) > 0 ? 16 - text_cols(t.who) + 2 : 2, "");
			put_safe(t.what, false);
			if (t.result[0]) {
				fputs(": ", stdout);
				put_safe(t.result, false);
			}
			if (t.details[0]) {
				fputs("  ", stdout);
				put_safe(t.details, false);
			}
		}
		putchar('\n');
		if (!markdown)
			cli_print_report_metrics(json_object_get(e, "metrics"));
		entry_text_free(&t);
	}
}

int verb_report(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "metrics", no_argument, NULL, OPT_METRICS },
		{ 0 },
	};
	struct report_args a = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_report_opt, &a, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!a.since)
		return cli_usage(cli, "report needs --since TIME (for example --since -2h)");
	enum report_format format = FORMAT_TEXT;
	if (a.format && strcmp(a.format, "markdown") == 0)
		format = FORMAT_MARKDOWN;
	else if (a.format && strcmp(a.format, "json") == 0)
		format = FORMAT_JSON;
	else if (a.format && strcmp(a.format, "text") != 0)
		return cli_usage(cli, "--format '%s' is not one of text, markdown, json", a.format);
	struct dome_error err;
	int64_t now = dome_now_ms(), since, until = 0;
	if (dome_parse_time("--since", a.since, now, &since, &err) < 0)
		return cli_fail(&err);
	if (a.until && dome_parse_time("--until", a.until, now, &until, &err) < 0)
		return cli_fail(&err);
	if (a.until && until <= since)
		return cli_usage(cli, "--until (%s) must be later than --since (%s)", a.until, a.since);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	json_t *report;
	if (dome_report_build(ctx, since, until, &report, &err) < 0)
		return cli_fail(&err);
	if (a.metrics && cli_report_add_metrics(ctx, report, &err) < 0) {
		json_decref(report);
		return cli_fail(&err);
	}
	if (format == FORMAT_JSON)
		return cli_print_json(report);
	print_report(report, format == FORMAT_MARKDOWN);
	json_decref(report);
	return EXIT_OK;
}
