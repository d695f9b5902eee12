/* Formatting for the console: sizes, rates, durations, bars and sparklines.
 * Pure functions over strings (no curses), so they are unit tested on their
 * own. Every glyph has an ASCII fallback for terminals without UTF-8. */
#ifndef DOME_TUI_FORMAT_H
#define DOME_TUI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How full a meter is: drives its colour (60% and 80% of the limit). */
enum tui_level { TUI_LEVEL_OK, TUI_LEVEL_WARN, TUI_LEVEL_CRIT };

#define TUI_LEVEL_WARN_AT 0.60
#define TUI_LEVEL_CRIT_AT 0.80

enum tui_level tui_level_of(double fraction);

/* "512M", "1.5G", "unlimited" (core's dome_format_size). */
void tui_fmt_size(uint64_t bytes, char *out, size_t len);
/* Bytes per second: "0B/s", "12K/s", "1.5M/s". */
void tui_fmt_rate(double bytes_per_s, char *out, size_t len);
/* Compact durations for a table cell: "45s", "12m", "3h12m", "2d04h". */
void tui_fmt_duration(int64_t seconds, char *out, size_t len);
/* Percent with one decimal below 10: "0.0%", "7.5%", "42%", "200%". */
void tui_fmt_percent(double pct, char *out, size_t len);

/* A bar of `width` cells for `fraction` (clamped to 0..1). UTF-8 uses full
 * blocks and eighths; ASCII uses '|' and spaces (htop style). Returns the
 * number of cells written (always `width`). */
int tui_bar(double fraction, int width, bool utf8, char *out, size_t len);

/* A sparkline of the last `width` samples (each 0..100) of `n`, oldest
 * first; missing older samples are blanks. UTF-8: ▁..█, ASCII: " .:-=+*#". */
int tui_sparkline(const uint8_t *samples, size_t n, int width, bool utf8, char *out,
		  size_t len);

/* Number of terminal cells of a UTF-8 string (our glyphs are all one cell). */
int tui_cells(const char *s);

/* Copy `s` into out, control characters escaped (core/escape.h), cut to at
 * most `width` cells; a cut string ends in '~'. */
void tui_fit(const char *s, int width, char *out, size_t len);

/* Should the console draw UTF-8 glyphs? From the locale's codeset and TERM
 * (vt100/vt220/dumb get ASCII) and DOME_ASCII=1. */
bool tui_want_utf8(const char *codeset, const char *term, const char *dome_ascii);

#endif
