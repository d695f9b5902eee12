/* core/escape.h: what a terminal would act on is shown, not passed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "escape.h"

static const char *esc(const char *s)
{
	static char out[256];
	return dome_escape_str(s, out, sizeof out);
}

static void test_controls_escaped(void **state)
{
	(void)state;
	assert_string_equal(esc("plain text, a\\b"), "plain text, a\\b");
	assert_string_equal(esc("\033]0;pwned\007"), "\\e]0;pwned\\x07");
	assert_string_equal(esc("a\nb\rc\td\be\x7f"), "a\\nb\\rc\\td\\x08e\\x7f");
	/* UTF-8 passes; a C1 control (U+009B, CSI) and broken UTF-8 do not */
	assert_string_equal(esc("ünï €"), "ünï €");
	assert_string_equal(esc("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
	assert_string_equal(esc("\x9b\xff\xc3"), "\\x9b\\xff\\xc3");
	assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf"); /* overlong '/' */
	assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* a surrogate */
}

static void test_cut_keeps_characters_whole(void **state)
{
	(void)state;
	char out[12];
	dome_escape_str("\033\033\033\033\033", out, sizeof out);
	assert_string_equal(out, "\\e\\e\\e\\e...");
	dome_escape_str("üüüüüü", out, sizeof out);
	assert_string_equal(out, "üüüü...");
}

/* A log is escaped in chunks: a character or a CR LF split between two
 * chunks comes out as if whole. */
static void test_chunks(void **state)
{
	(void)state;
	const char *log = "one\r\ntwo ü\tthree\r\n\033x\r";
	size_t len = strlen(log);
	for (size_t cut = 0; cut <= len; cut++) {
		char out[256], held[16];
		size_t olen, total = 0;
		char all[512] = "";
		size_t used = dome_escape(log, cut, false, DOME_ESC_KEEP_LINES, out, sizeof out, &olen);
		memcpy(all, out, olen);
		total = olen;
		size_t nheld = cut - used;
		memcpy(held, log + used, nheld);
		char in[64];
		memcpy(in, held, nheld);
		memcpy(in + nheld, log + cut, len - cut);
		used = dome_escape(in, nheld + len - cut, true, DOME_ESC_KEEP_LINES, out, sizeof out,
				   &olen);
		assert_int_equal(used, nheld + len - cut);
		memcpy(all + total, out, olen + 1);
		assert_string_equal(all, "one\ntwo ü\tthree\n\\ex\\r");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_cut_keeps_characters_whole),
		cmocka_unit_test(test_chunks),
	};
	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
