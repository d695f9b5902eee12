/* Colour themes: INI files (parsed by inih) mapping each screen role to a
 * foreground, background and attributes. The parser is curses-free so it is
 * unit tested; screen.c turns a theme into colour pairs.
 *
 *   [theme]
 *   description = Dark background (the default)
 *   [colors]
 *   selected = black, cyan
 *   bar_crit = red, default, bold
 *
 * Colours: default, black, red, green, yellow, blue, magenta, cyan, white,
 * bright<colour>, or 0..255. Attributes: bold, dim, reverse, underline. */
#ifndef DOME_TUI_THEME_H
#define DOME_TUI_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

enum tui_role {
	TUI_NORMAL,
	TUI_HEADER,       /* hostname and the header's values */
	TUI_LABEL,        /* meter labels */
	TUI_BAR_OK,
	TUI_BAR_WARN,
	TUI_BAR_CRIT,
	TUI_TABLE_HEAD,
	TUI_SELECTED,
	TUI_RUNNING,
	TUI_FROZEN,
	TUI_STOPPED,
	TUI_ERROR,        /* a container in state error, and error text */
	TUI_KEY,          /* footer key name */
	TUI_KEY_LABEL,    /* footer key label */
	TUI_STATUS,       /* status line */
	TUI_STATUS_ERR,
	TUI_DIALOG,
	TUI_TITLE,
	TUI_INPUT,
	TUI_DIM,
	TUI_SPARK,
	TUI_ROLE_COUNT
};

#define TUI_A_BOLD      1u
#define TUI_A_DIM       2u
#define TUI_A_REVERSE   4u
#define TUI_A_UNDERLINE 8u

#define TUI_COLOR_DEFAULT (-1)

struct tui_style {
	short fg, bg;        /* TUI_COLOR_DEFAULT or 0..255 */
	unsigned attrs;
};

struct tui_theme {
	char name[64];
	char description[128];
	struct tui_style role[TUI_ROLE_COUNT];
};

/* Key names used in the [colors] section, index by role. */
const char *tui_role_name(enum tui_role r);

/* The built-in default (dark) theme: used when no file is found or a file
 * is bad, so the console always has colours that work. */
void tui_theme_builtin(struct tui_theme *t);
/* Attributes only, for terminals without colour and NO_COLOR. */
void tui_theme_monochrome(struct tui_theme *t);

/* Parse theme text over `t` (start from tui_theme_builtin). Errors name
 * `origin` and the line. */
int tui_theme_parse_string(struct tui_theme *t, const char *text, const char *origin,
			   struct dome_error *err);
int tui_theme_parse_file(struct tui_theme *t, const char *path, struct dome_error *err);

/* Find NAME.theme in $XDG_CONFIG_HOME/dome/themes (or ~/.config/...), then
 * `datadir`/themes; a NAME with a '/' is a path. Fills `t` and returns 0; on
 * any failure fills `t` with the built-in default and returns -1 with why in
 * `err` (the caller shows it; the console still runs). */
int tui_theme_load(struct tui_theme *t, const char *name, const char *datadir,
		   struct dome_error *err);

/* Reduce a 0..255 colour to the 8 basic ones (for 8-colour terminals). */
short tui_color_to_8(short c);

#endif
