/* The console's formatting and theme widgets, as a user reads them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "format.h"
#include "theme.h"
#include "validate.h"

static void test_sizes_and_rates(void **state)
{
	(void)state;
	char b[32];
	tui_fmt_size(0, b, sizeof b);
	assert_string_equal(b, "0B");
	tui_fmt_size(512ull << 20, b, sizeof b);
	assert_string_equal(b, "512M");
	tui_fmt_size(1536ull << 20, b, sizeof b);
	assert_string_equal(b, "1.5G");
	tui_fmt_size(DOME_UNLIMITED, b, sizeof b);
	assert_string_equal(b, "unlimited");
	tui_fmt_rate(0, b, sizeof b);
	assert_string_equal(b, "0B/s");
	tui_fmt_rate(-5, b, sizeof b);
	assert_string_equal(b, "0B/s");
	tui_fmt_rate(12 * 1024, b, sizeof b);
	assert_string_equal(b, "12K/s");
	tui_fmt_rate(1.5 * 1024 * 1024, b, sizeof b);
	assert_string_equal(b, "1.5M/s");
}

static void test_durations_and_percent(void **state)
{
	(void)state;
	char b[32];
	tui_fmt_duration(45, b, sizeof b);
	assert_string_equal(b, "45s");
	tui_fmt_duration(12 * 60 + 5, b, sizeof b);
	assert_string_equal(b, "12m");
	tui_fmt_duration(3 * 3600 + 12 * 60, b, sizeof b);
	assert_string_equal(b, "3h12m");
	tui_fmt_duration(2 * 86400 + 4 * 3600 + 59, b, sizeof b);
	assert_string_equal(b, "2d04h");
	tui_fmt_duration(-3, b, sizeof b);
	assert_string_equal(b, "0s");
	tui_fmt_percent(7.46, b, sizeof b);
	assert_string_equal(b, "7.5%");
	tui_fmt_percent(42.4, b, sizeof b);
	assert_string_equal(b, "42%");
	tui_fmt_percent(200, b, sizeof b);
	assert_string_equal(b, "200%");
}

static void test_levels_at_60_and_80(void **state)
{
	(void)state;
	assert_int_equal(tui_level_of(0.0), TUI_LEVEL_OK);
	assert_int_equal(tui_level_of(0.599), TUI_LEVEL_OK);
	assert_int_equal(tui_level_of(0.60), TUI_LEVEL_WARN);
	assert_int_equal(tui_level_of(0.799), TUI_LEVEL_WARN);
	assert_int_equal(tui_level_of(0.80), TUI_LEVEL_CRIT);
	assert_int_equal(tui_level_of(1.5), TUI_LEVEL_CRIT);
}

static void test_ascii_bar(void **state)
{
	(void)state;
	char b[64];
	assert_int_equal(tui_bar(0.5, 10, false, b, sizeof b), 10);
	assert_string_equal(b, "|||||     ");
	tui_bar(0, 4, false, b, sizeof b);
	assert_string_equal(b, "    ");
	tui_bar(2.0, 4, false, b, sizeof b); /* over the limit: full, not longer */
	assert_string_equal(b, "||||");
	tui_bar(-1, 3, false, b, sizeof b);
	assert_string_equal(b, "   ");
}

static void test_utf8_bar_eighths(void **state)
{
	(void)state;
	char b[128];
	/* 0.55 of 2 cells = 8.8 eighths -> rounds to 9: one full block, one eighth */
	assert_int_equal(tui_bar(0.55, 2, true, b, sizeof b), 2);
	assert_string_equal(b, "█▏");
	assert_int_equal(tui_cells(b), 2);
	tui_bar(1.0, 3, true, b, sizeof b);
	assert_string_equal(b, "███");
	/* a buffer too small never overflows and stays terminated */
	char tiny[4];
	tui_bar(1.0, 3, true, tiny, sizeof tiny);
	assert_true(strlen(tiny) < sizeof tiny);
}

static void test_sparkline(void **state)
{
	(void)state;
	char b[256];
	uint8_t s[] = { 0, 50, 100 };
	assert_int_equal(tui_sparkline(s, 3, 5, false, b, sizeof b), 5);
	assert_string_equal(b, "   =#"); /* two blanks for missing history, then 0, 50, 100 */
	tui_sparkline(s, 3, 3, true, b, sizeof b);
	assert_string_equal(b, "▁▅█");
	/* only the newest `width` samples are shown */
	tui_sparkline(s, 3, 1, false, b, sizeof b);
	assert_string_equal(b, "#");
	uint8_t low[] = { 1 };
	tui_sparkline(low, 1, 1, false, b, sizeof b);
	assert_string_equal(b, "."); /* any activity is visible in ASCII */
}

static void test_fit(void **state)
{
	(void)state;
	char b[64];
	tui_fit("database", 8, b, sizeof b);
	assert_string_equal(b, "database");
	tui_fit("database-primary", 8, b, sizeof b);
	assert_string_equal(b, "databas~");
	tui_fit("███████", 3, b, sizeof b);
	assert_string_equal(b, "██~");
	tui_fit("x", 0, b, sizeof b);
	assert_string_equal(b, "");
}

static void test_want_utf8(void **state)
{
	(void)state;
	assert_true(tui_want_utf8("UTF-8", "xterm-256color", NULL));
	assert_true(tui_want_utf8("UTF-8", "tmux-256color", NULL));
	assert_false(tui_want_utf8("UTF-8", "vt100", NULL));
	assert_false(tui_want_utf8("ANSI_X3.4-1968", "xterm", NULL));
	assert_false(tui_want_utf8("UTF-8", "xterm", "1"));
	assert_false(tui_want_utf8("UTF-8", NULL, NULL));
}

static void test_theme_parse_good(void **state)
{
	(void)state;
	struct tui_theme t;
	struct dome_error err = { 0 };
	tui_theme_builtin(&t);
	assert_int_equal(tui_theme_parse_string(&t, "[theme]\ndescription = x\n[colors]\n"
					       "selected = black, 214, bold, underline\n"
					       "header = brightred\n", "t", &err), 0);
	assert_int_equal(t.role[TUI_SELECTED].fg, 0);
	assert_int_equal(t.role[TUI_SELECTED].bg, 214);
	assert_int_equal(t.role[TUI_SELECTED].attrs, TUI_A_BOLD | TUI_A_UNDERLINE);
	assert_int_equal(t.role[TUI_HEADER].fg, 9);
	assert_int_equal(t.role[TUI_HEADER].bg, TUI_COLOR_DEFAULT);
	assert_string_equal(t.description, "x");
}

static void test_theme_bad_names_line(void **state)
{
	(void)state;
	struct tui_theme t;
	struct dome_error err = { 0 };
	tui_theme_builtin(&t);
	assert_int_equal(tui_theme_parse_string(&t, "[colors]\nheader = cyan\nselected = pink\n",
						"my.theme", &err), -1);
	assert_non_null(strstr(err.msg, "my.theme line 3"));
	assert_non_null(strstr(err.msg, "pink"));
	assert_int_equal(tui_theme_parse_string(&t, "[colors]\nsparkles = red\n", "x", &err), -1);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_non_null(strstr(err.msg, "sparkles"));
	assert_int_equal(tui_theme_parse_string(&t, "[colors]\nheader = 256\n", "x", &err), -1);
	assert_int_equal(tui_theme_parse_string(&t, "[colours]\nheader = red\n", "x", &err), -1);
	assert_int_equal(tui_theme_parse_string(&t, "[colors]\nheader = red, blue, blinky\n",
						"x", &err), -1);
	assert_non_null(strstr(err.msg, "blinky"));
}

/* The shipped default.theme and the built-in fallback must be the same. */
static void test_default_file_matches_builtin(void **state)
{
	(void)state;
	const char *src = getenv("DOME_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/themes/default.theme", src ? src : ".");
	struct tui_theme file, builtin;
	struct dome_error err = { 0 };
	tui_theme_builtin(&builtin);
	tui_theme_builtin(&file);
	memset(file.role, 0x55, sizeof file.role); /* every role must come from the file */
	assert_int_equal(tui_theme_parse_file(&file, path, &err), 0);
	for (int r = 0; r < TUI_ROLE_COUNT; r++) {
		if (memcmp(&file.role[r], &builtin.role[r], sizeof file.role[r]) != 0)
			fail_msg("role %s differs between default.theme and the built-in theme",
				 tui_role_name(r));
	}
}

static void test_shipped_themes_parse_fully(void **state)
{
	(void)state;
	const char *src = getenv("DOME_SRCDIR");
	const char *names[] = { "default", "light", "monochrome", "high-contrast" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/themes/%s.theme", src ? src : ".", names[i]);
		struct tui_theme t;
		struct dome_error err = { 0 };
		memset(&t, 0x55, sizeof t);
		if (tui_theme_parse_file(&t, path, &err) < 0)
			fail_msg("%s", err.msg);
		for (int r = 0; r < TUI_ROLE_COUNT; r++)
			if (t.role[r].attrs == 0x55555555u)
				fail_msg("%s does not set %s", names[i], tui_role_name(r));
	}
}

static void test_theme_load_fallback(void **state)
{
	(void)state;
	char dir[] = "/tmp/dome-theme-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[256], path[300];
	snprintf(sub, sizeof sub, "%s/dome", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof sub, "%s/dome/themes", dir);
	mkdir(sub, 0700);
	snprintf(path, sizeof path, "%s/broken.theme", sub);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[colors]\n\nheader = cyan\nstopped = grey\n", f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", dir, 1);
	struct tui_theme t, builtin;
	struct dome_error err = { 0 };
	tui_theme_builtin(&builtin);
	assert_int_equal(tui_theme_load(&t, "broken", "/nonexistent", &err), -1);
	assert_non_null(strstr(err.msg, "line 4"));
	assert_non_null(strstr(err.msg, "using the default theme"));
	assert_memory_equal(t.role, builtin.role, sizeof t.role);
	assert_int_equal(tui_theme_load(&t, "nosuch", "/nonexistent", &err), -1);
	assert_non_null(strstr(err.msg, "no theme named 'nosuch'"));
	assert_int_equal(tui_theme_load(&t, "../../etc/passwd", "/nonexistent", &err), -1);
	/* the user's file wins over the installed one */
	f = fopen(path, "w");
	fputs("[colors]\nheader = magenta\n", f);
	fclose(f);
	assert_int_equal(tui_theme_load(&t, "broken", "/nonexistent", &err), 0);
	assert_int_equal(t.role[TUI_HEADER].fg, 5);
	assert_string_equal(t.name, "broken");
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/dome", dir);
	rmdir(sub);
	rmdir(dir);
}

static void test_color_to_8(void **state)
{
	(void)state;
	assert_int_equal(tui_color_to_8(-1), -1);
	assert_int_equal(tui_color_to_8(3), 3);
	assert_int_equal(tui_color_to_8(9), 1);     /* bright red -> red */
	assert_int_equal(tui_color_to_8(196), 1);   /* cube red */
	assert_int_equal(tui_color_to_8(226), 3);   /* cube yellow */
	assert_int_equal(tui_color_to_8(21), 4);    /* cube blue */
	assert_int_equal(tui_color_to_8(233), 0);   /* dark grey */
	assert_int_equal(tui_color_to_8(254), 7);   /* light grey */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_rates),
		cmocka_unit_test(test_durations_and_percent),
		cmocka_unit_test(test_levels_at_60_and_80),
		cmocka_unit_test(test_ascii_bar),
		cmocka_unit_test(test_utf8_bar_eighths),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_want_utf8),
		cmocka_unit_test(test_theme_parse_good),
		cmocka_unit_test(test_theme_bad_names_line),
		cmocka_unit_test(test_default_file_matches_builtin),
		cmocka_unit_test(test_shipped_themes_parse_fully),
		cmocka_unit_test(test_theme_load_fallback),
		cmocka_unit_test(test_color_to_8),
	};
	return cmocka_run_group_tests_name("tui_format", tests, NULL, NULL);
}
