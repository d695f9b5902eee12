#include "format.h"
#include "escape.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum tui_level tui_level_of(double fraction)
{
	if (fraction >= TUI_LEVEL_CRIT_AT)
		return TUI_LEVEL_CRIT;
	if (fraction >= TUI_LEVEL_WARN_AT)
		return TUI_LEVEL_WARN;
	return TUI_LEVEL_OK;
}

void tui_fmt_size(uint64_t bytes, char *out, size_t len)
{
	dome_format_size(bytes, out, len);
}

void tui_fmt_rate(double bps, char *out, size_t len)
{
	if (!(bps > 0))
		bps = 0;
	char sz[32];
	dome_format_size((uint64_t)(bps + 0.5), sz, sizeof sz);
	snprintf(out, len, "%s/s", sz);
}

void tui_fmt_duration(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	long long v = (long long)s;
	if (v < 60)
		snprintf(out, len, "%llds", v);
	else if (v < 3600)
		snprintf(out, len, "%lldm", v / 60);
	else if (v < 86400)
		snprintf(out, len, "%lldh%02lldm", v / 3600, v % 3600 / 60);
	else
		snprintf(out, len, "%lldd%02lldh", v / 86400, v % 86400 / 3600);
}

void tui_fmt_percent(double pct, char *out, size_t len)
{
	if (!(pct > 0))
		pct = 0;
	if (pct < 9.95)
		snprintf(out, len, "%.1f%%", pct);
	else
		snprintf(out, len, "%.0f%%", pct);
}

/* Appends `s` if it fits; returns bytes appended. */
static size_t put(char *out, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at + n + 1 > len)
		return 0;
	memcpy(out + at, s, n + 1);
	return n;
}

int tui_bar(double fraction, int width, bool utf8, char *out, size_t len)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	if (len == 0)
		return 0;
	out[0] = '\0';
	if (width <= 0)
		return 0;
	if (!(fraction > 0))
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	size_t at = 0;
	int cells = 0;
	if (utf8) {
		int total = (int)(fraction * width * 8 + 0.5);
		for (; cells < total / 8; cells++)
			at += put(out, len, at, "█");
		if (total % 8 && cells < width) {
			at += put(out, len, at, eighths[total % 8]);
			cells++;
		}
	} else {
		int full = (int)(fraction * width + 0.5);
		for (; cells < full; cells++)
			at += put(out, len, at, "|");
	}
	for (; cells < width; cells++)
		at += put(out, len, at, " ");
	return cells;
}

int tui_sparkline(const uint8_t *samples, size_t n, int width, bool utf8, char *out,
		  size_t len)
{
	static const char *const blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = " .:-=+*#";
	if (len == 0)
		return 0;
	out[0] = '\0';
	size_t at = 0;
	int cells = 0;
	size_t first = n > (size_t)(width > 0 ? width : 0) ? n - (size_t)width : 0;
	for (int blank = width - (int)(n - first); blank > 0; blank--, cells++)
		at += put(out, len, at, " ");
	for (size_t i = first; i < n; i++, cells++) {
		unsigned v = samples[i] > 100 ? 100 : samples[i];
		unsigned idx = (v * 7 + 50) / 100; /* 0..7 */
		if (utf8) {
			at += put(out, len, at, blocks[idx]);
		} else {
			char c[2] = { ascii[v == 0 ? 0 : (idx == 0 ? 1 : idx)], '\0' };
			at += put(out, len, at, c);
		}
	}
	return cells;
}

int tui_cells(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void tui_fit(const char *raw, int width, char *out, size_t len)
{
	if (len == 0)
		return;
	if (width <= 0) {
		out[0] = '\0';
		return;
	}
	/* Whatever it holds (an error quoting a name, a container's hostname),
	 * it is drawn with its control characters escaped (core/escape.h). */
	char s[2048];
	dome_escape_str(raw, s, sizeof s);
	if (tui_cells(s) <= width) {
		snprintf(out, len, "%s", s);
		return;
	}
	/* Keep width-1 cells, then '~'. */
	size_t at = 0;
	int cells = 0;
	for (const char *p = s; *p; p++) {
		bool lead = ((unsigned char)*p & 0xC0) != 0x80;
		if (lead && cells == width - 1)
			break;
		if (at + 2 >= len)
			break;
		out[at++] = *p;
		if (lead)
			cells++;
	}
	out[at++] = '~';
	out[at] = '\0';
}

bool tui_want_utf8(const char *codeset, const char *term, const char *dome_ascii)
{
	if (dome_ascii && strcmp(dome_ascii, "1") == 0)
		return false;
	if (!codeset || (strcasecmp(codeset, "UTF-8") != 0 && strcasecmp(codeset, "UTF8") != 0))
		return false;
	if (!term || !*term)
		return false;
	static const char *const ascii_terms[] = { "vt100", "vt102", "vt220", "dumb", "ansi" };
	for (size_t i = 0; i < sizeof ascii_terms / sizeof ascii_terms[0]; i++)
		if (strcmp(term, ascii_terms[i]) == 0)
			return false;
	return true;
}
