#include "testutil.h"
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "report.h"

/* 2026-11-24 10:00:00 UTC, from the calendar, not from the code under test. */
#define T_2026_11_24_10_UTC 1795514400000LL

static int64_t parse(const char *s, int64_t now)
{
	int64_t out = -1;
	struct dome_error err;
	if (dome_parse_time("--since", s, now, &out, &err) < 0)
		fail_msg("'%s' was refused: %s", s, err.msg);
	return out;
}

static void refused(const char *s)
{
	int64_t out = 12345;
	struct dome_error err;
	if (dome_parse_time("--since", s, T_2026_11_24_10_UTC, &out, &err) == 0)
		fail_msg("'%s' was accepted as %lld", s, (long long)out);
	assert_int_equal(err.status, DOME_E_USAGE);
	assert_non_null(strstr(err.msg, "--since"));
	assert_int_equal(out, 12345);
}

static void test_absolute_times(void **state)
{
	(void)state;
	/* Local time: a zone two hours east of UTC, no tzdata needed. */
	setenv("TZ", "XST-2", 1);
	tzset();
	int64_t now = T_2026_11_24_10_UTC;
	assert_int_equal(parse("2026-11-24T10:00:00Z", now), T_2026_11_24_10_UTC);
	assert_int_equal(parse("2026-11-24 12:00:00", now), T_2026_11_24_10_UTC);
	assert_int_equal(parse("2026-11-24T12:00", now), T_2026_11_24_10_UTC);
	assert_int_equal(parse("2026-11-24 12:00", now), T_2026_11_24_10_UTC);
	assert_int_equal(parse("2026-11-24 12:00:05", now), T_2026_11_24_10_UTC + 5000);
	assert_int_equal(parse("2026-11-24", now), T_2026_11_24_10_UTC - 12 * 3600 * 1000LL);
	assert_int_equal(parse("2024-02-29Z", now), 1709164800000LL); /* a leap day */
	unsetenv("TZ");
	tzset();
}

static void test_relative_times(void **state)
{
	(void)state;
	int64_t now = T_2026_11_24_10_UTC + 123;
	assert_int_equal(parse("now", now), now);
	assert_int_equal(parse("-45s", now), now - 45 * 1000LL);
	assert_int_equal(parse("-30m", now), now - 30 * 60 * 1000LL);
	assert_int_equal(parse("-2h", now), now - 2 * 3600 * 1000LL);
	assert_int_equal(parse("-7d", now), now - 7 * 86400 * 1000LL);
	assert_int_equal(parse("-2w", now), now - 14 * 86400 * 1000LL);
	assert_int_equal(parse("-0m", now), now);
}

static void test_bad_times_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "yesterday", "2026-11-24 10", "2026-11-24 10:0", "2026-1-24", "26-11-24",
		"2026/11/24", "2026-11-24 10:00:00.5", " 2026-11-24", "2026-11-24 ", "2026-11-24t10:00",
		"2026-11-24  10:00", "2026-13-01", "2026-00-10", "2026-11-00", "2026-02-29",
		"2026-04-31", "2026-11-24 24:00", "2026-11-24 10:60", "2026-11-24 10:00:60",
		"1969-12-31", "2026-11-24ZZ", "Z",
		"-2", "-h", "-2x", "- 2h", "2h", "+2h", "-2h ", "--2h", "-2hh", "-2H", "-1.5h",
		"-9999999999d", "-999999999w", "-0x10m",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i]);
	/* The message names the input and shows the accepted forms. */
	struct dome_error err;
	int64_t out;
	assert_int_equal(dome_parse_time("--until", "2026-13-01", 0, &out, &err), -1);
	assert_non_null(strstr(err.msg, "'2026-13-01'"));
	assert_int_equal(dome_parse_time("--until", "soon", 0, &out, &err), -1);
	assert_non_null(strstr(err.msg, "-2h"));
}

static struct dome_ctx *open_root(const char *root, bool ro)
{
	struct dome_open_opts o = { .root = root, .readonly = ro, .config_path = "/dev/null" };
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		fail_msg("dome_open: %s", err.msg);
	return ctx;
}

static int apply_ok(struct dome_ctx *ctx, struct dome_change *ch, void *arg, struct dome_error *err)
{
	(void)ctx; (void)arg; (void)err;
	ch->before = json_pack("{s:s}", "memory", "256M");
	ch->after = json_pack("{s:s}", "memory", "512M");
	return 0;
}

static void change(struct dome_ctx *ctx, const char *action, const char *target)
{
	struct dome_change ch = { .action = action, .target = target };
	struct dome_error err;
	assert_int_equal(dome_mutate(ctx, &ch, apply_ok, NULL, &err), 0);
	usleep(3000); /* timeline order is by millisecond */
}

static void event(struct dome_ctx *ctx, const char *container, const char *kind, json_t *detail)
{
	struct dome_error err;
	if (dome_event_record(ctx, container, kind, detail, &err) < 0)
		fail_msg("recording %s: %s", kind, err.msg);
	usleep(3000);
}

static json_t *report(struct dome_ctx *ctx, int64_t since, int64_t until)
{
	json_t *r;
	struct dome_error err;
	if (dome_report_build(ctx, since, until, &r, &err) < 0)
		fail_msg("report: %s", err.msg);
	return r;
}

static int64_t summary(json_t *r, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r, "summary"), key));
}

static void test_report_merges_changes_and_events(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	unsetenv("SUDO_USER"); /* the actor is then the user itself */
	struct dome_ctx *ctx = open_root(root, false);
	int64_t t0 = dome_now_ms();
	change(ctx, "start", "web");
	event(ctx, "web", "started", json_pack("{s:i}", "pid", 4242));
	change(ctx, "set", "web");
	event(ctx, "web", "oom_kill", json_pack("{s:i}", "count", 1));
	event(ctx, "web", "crashed", json_pack("{s:i, s:i}", "exit_code", 137, "signal", 9));
	int64_t t1 = dome_now_ms();
	change(ctx, "start", "web");

	json_t *r = report(ctx, t0, t1);
	assert_int_equal(summary(r, "changes"), 2);
	assert_int_equal(summary(r, "events"), 3);
	assert_int_equal(summary(r, "crashes"), 1);
	assert_int_equal(summary(r, "oom_kills"), 1);
	assert_int_equal(summary(r, "failed"), 0);
	json_t *tl = json_object_get(r, "timeline");
	assert_int_equal(json_array_size(tl), 5);
	static const char *const order[] = { "start", "started", "set", "oom_kill", "crashed" };
	for (size_t i = 0; i < 5; i++) {
		json_t *e = json_array_get(tl, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *what = json_string_value(
			json_object_get(e, strcmp(type, "change") == 0 ? "action" : "kind"));
		assert_string_equal(what, order[i]);
	}
	json_t *crash = json_array_get(tl, 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(crash, "detail"),
							    "exit_code")), 137);
	assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 0), "actor")),
			    ctx->actor.user);
	json_decref(r);

	/* Open end: the last change is included too. */
	r = report(ctx, t0, 0);
	assert_int_equal(summary(r, "changes"), 3);
	assert_true(json_is_null(json_object_get(r, "until")));
	json_decref(r);
	/* A window before anything happened is empty. */
	r = report(ctx, t0 - 60000, t0);
	assert_int_equal(json_array_size(json_object_get(r, "timeline")), 0);
	assert_int_equal(summary(r, "changes"), 0);
	json_decref(r);
	dome_close(ctx);
	testutil_rmroot(root);
}

static void test_event_validation_and_readonly(void **state)
{
	(void)state;
	char *root = testutil_mkroot();
	struct dome_ctx *ctx = open_root(root, false);
	struct dome_error err;
	assert_int_equal(dome_event_record(ctx, "web", "exploded", NULL, &err), -1);
	assert_int_equal(err.status, DOME_E_USAGE);
	assert_non_null(strstr(err.msg, "exploded"));
	assert_int_equal(dome_event_record(ctx, "a;b", "crashed", NULL, &err), -1);
	assert_int_equal(dome_event_record(ctx, "web", "crashed", json_integer(3), &err), -1);
	dome_close(ctx);

	ctx = open_root(root, true);
	assert_int_equal(dome_event_record(ctx, "web", "crashed", json_pack("{s:i}", "exit_code", 1),
					   &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
	dome_close(ctx);

	ctx = open_root(root, false);
	json_t *r = report(ctx, 1, 0);
	assert_int_equal(summary(r, "events"), 0);
	json_decref(r);
	dome_close(ctx);
	testutil_rmroot(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_times),
		cmocka_unit_test(test_relative_times),
		cmocka_unit_test(test_bad_times_are_refused),
		cmocka_unit_test(test_report_merges_changes_and_events),
		cmocka_unit_test(test_event_validation_and_readonly),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
