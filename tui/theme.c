#include "theme.h"
#include "cleanup.h"
#include "conf.h"
#include "fsutil.h"
#include "textfile.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const role_names[TUI_ROLE_COUNT] = {
	[TUI_NORMAL] = "normal",       [TUI_HEADER] = "header",
	[TUI_LABEL] = "label",         [TUI_BAR_OK] = "bar_ok",
	[TUI_BAR_WARN] = "bar_warn",   [TUI_BAR_CRIT] = "bar_crit",
	[TUI_TABLE_HEAD] = "table_head", [TUI_SELECTED] = "selected",
	[TUI_RUNNING] = "running",     [TUI_FROZEN] = "frozen",
	[TUI_STOPPED] = "stopped",     [TUI_ERROR] = "error",
	[TUI_KEY] = "key",             [TUI_KEY_LABEL] = "key_label",
	[TUI_STATUS] = "status",       [TUI_STATUS_ERR] = "status_error",
	[TUI_DIALOG] = "dialog",       [TUI_TITLE] = "title",
	[TUI_INPUT] = "input",         [TUI_DIM] = "dim",
	[TUI_SPARK] = "spark",
};

const char *tui_role_name(enum tui_role r)
{
	return r < TUI_ROLE_COUNT ? role_names[r] : "?";
}

#define S(f, b, a) ((struct tui_style){ (f), (b), (a) })
enum { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE };
#define DEF TUI_COLOR_DEFAULT

/* Keep in step with themes/default.theme (a unit test compares them). */
void tui_theme_builtin(struct tui_theme *t)
{
	memset(t, 0, sizeof *t);
	strlcpy(t->name, "default", sizeof t->name);
	strlcpy(t->description, "Dark background (built in)", sizeof t->description);
	t->role[TUI_NORMAL] = S(DEF, DEF, 0);
	t->role[TUI_HEADER] = S(CYAN, DEF, TUI_A_BOLD);
	t->role[TUI_LABEL] = S(CYAN, DEF, 0);
	t->role[TUI_BAR_OK] = S(GREEN, DEF, 0);
	t->role[TUI_BAR_WARN] = S(YELLOW, DEF, 0);
	t->role[TUI_BAR_CRIT] = S(RED, DEF, TUI_A_BOLD);
	t->role[TUI_TABLE_HEAD] = S(BLACK, GREEN, 0);
	t->role[TUI_SELECTED] = S(BLACK, CYAN, 0);
	t->role[TUI_RUNNING] = S(GREEN, DEF, TUI_A_BOLD);
	t->role[TUI_FROZEN] = S(CYAN, DEF, 0);
	t->role[TUI_STOPPED] = S(DEF, DEF, TUI_A_DIM);
	t->role[TUI_ERROR] = S(RED, DEF, TUI_A_BOLD);
	t->role[TUI_KEY] = S(WHITE, BLACK, 0);
	t->role[TUI_KEY_LABEL] = S(BLACK, CYAN, 0);
	t->role[TUI_STATUS] = S(DEF, DEF, TUI_A_BOLD);
	t->role[TUI_STATUS_ERR] = S(WHITE, RED, TUI_A_BOLD);
	t->role[TUI_DIALOG] = S(WHITE, BLUE, 0);
	t->role[TUI_TITLE] = S(YELLOW, BLUE, TUI_A_BOLD);
	t->role[TUI_INPUT] = S(BLACK, WHITE, 0);
	t->role[TUI_DIM] = S(DEF, DEF, TUI_A_DIM);
	t->role[TUI_SPARK] = S(GREEN, DEF, 0);
}

void tui_theme_monochrome(struct tui_theme *t)
{
	memset(t, 0, sizeof *t);
	strlcpy(t->name, "monochrome", sizeof t->name);
	strlcpy(t->description, "No colours: attributes only", sizeof t->description);
	for (int r = 0; r < TUI_ROLE_COUNT; r++)
		t->role[r] = S(DEF, DEF, 0);
	t->role[TUI_HEADER].attrs = TUI_A_BOLD;
	t->role[TUI_BAR_CRIT].attrs = TUI_A_BOLD;
	t->role[TUI_TABLE_HEAD].attrs = TUI_A_REVERSE;
	t->role[TUI_SELECTED].attrs = TUI_A_REVERSE;
	t->role[TUI_RUNNING].attrs = TUI_A_BOLD;
	t->role[TUI_STOPPED].attrs = TUI_A_DIM;
	t->role[TUI_ERROR].attrs = TUI_A_BOLD | TUI_A_UNDERLINE;
	t->role[TUI_KEY].attrs = TUI_A_BOLD;
	t->role[TUI_KEY_LABEL].attrs = TUI_A_REVERSE;
	t->role[TUI_STATUS].attrs = TUI_A_BOLD;
	t->role[TUI_STATUS_ERR].attrs = TUI_A_REVERSE | TUI_A_BOLD;
	t->role[TUI_TITLE].attrs = TUI_A_BOLD;
	t->role[TUI_INPUT].attrs = TUI_A_UNDERLINE;
	t->role[TUI_DIM].attrs = TUI_A_DIM;
}

static const char *const color_names[] = { "black", "red", "green", "yellow",
					   "blue", "magenta", "cyan", "white" };

static int parse_color(const char *s, short *out)
{
	if (strcasecmp(s, "default") == 0) {
		*out = TUI_COLOR_DEFAULT;
		return 0;
	}
	int bright = 0;
	if (strncasecmp(s, "bright", 6) == 0) {
		bright = 8;
		s += 6;
	}
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = (short)(i + bright);
			return 0;
		}
	if (bright || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 3)
		return -1;
	int v = atoi(s);
	if (v > 255)
		return -1;
	*out = (short)v;
	return 0;
}

static int parse_attr(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } attrs[] = {
		{ "bold", TUI_A_BOLD }, { "dim", TUI_A_DIM },
		{ "reverse", TUI_A_REVERSE }, { "underline", TUI_A_UNDERLINE },
		{ "none", 0 },
	};
	for (size_t i = 0; i < DOME_ARRAY_SIZE(attrs); i++)
		if (strcasecmp(s, attrs[i].name) == 0) {
			*out |= attrs[i].bit;
			return 0;
		}
	return -1;
}

/* "fg[, bg][, attr...]" */
static int parse_style(const char *value, struct tui_style *st, char *why, size_t whylen)
{
	char buf[256];
	if (strlcpy(buf, value, sizeof buf) >= sizeof buf) {
		snprintf(why, whylen, "value too long");
		return -1;
	}
	struct tui_style s = { DEF, DEF, 0 };
	int field = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), field++) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (field < 2 && parse_color(tok, field == 0 ? &s.fg : &s.bg) == 0)
			continue;
		if (field >= 1 && parse_attr(tok, &s.attrs) == 0) {
			field = 2; /* only attributes may follow */
			continue;
		}
		snprintf(why, whylen, "'%s' is not a colour (a name such as red, bright<name>, 0-255)%s", tok,
			 field ? " or attribute (bold, dim, reverse, underline)" : "");
		return -1;
	}
	if (field == 0) {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	*st = s;
	return 0;
}

struct parse_state {
	struct tui_theme *t;
	char why[512];      /* first error */
};

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *ps = user;
	char why[400];
	if (ps->why[0])
		return 1; /* report only the first error */
	if (strcmp(section, "theme") == 0) {
		if (strcmp(key, "description") == 0) {
			strlcpy(ps->t->description, value, sizeof ps->t->description);
			return 1;
		}
		if (strcmp(key, "name") == 0)
			return 1; /* the file name is the theme's name */
		snprintf(ps->why, sizeof ps->why, "unknown key '%s' in [theme] (description)", key);
		return 0;
	}
	if (strcmp(section, "colors") != 0) {
		snprintf(ps->why, sizeof ps->why, "unknown section [%s] (theme, colors)", section);
		return 0;
	}
	for (int r = 0; r < TUI_ROLE_COUNT; r++) {
		if (strcmp(key, role_names[r]) != 0)
			continue;
		if (parse_style(value, &ps->t->role[r], why, sizeof why) < 0) {
			snprintf(ps->why, sizeof ps->why, "%s: %s", key, why);
			return 0;
		}
		return 1;
	}
	snprintf(ps->why, sizeof ps->why, "unknown colour key '%s'", key);
	return 0;
}

static int finish_parse(int rc, struct parse_state *ps, const char *origin,
			struct dome_error *err)
{
	if (rc == 0)
		return 0;
	if (rc < 0)
		return dome_fail(err, rc == -1 ? errno : ENOMEM, "cannot read theme file %s", origin);
	return dome_invalid(err, "theme file %s line %d: %s", origin, rc,
			    ps->why[0] ? ps->why : "not a 'key = value' line");
}

int tui_theme_parse_string(struct tui_theme *t, const char *text, const char *origin,
			   struct dome_error *err)
{
	/* Whole lines only, as for the config (core/conf.h). */
	if (dome_text_check(text, strlen(text), DOME_INI_LINE_MAX, origin, err) < 0)
		return -1;
	struct parse_state ps = { .t = t };
	return finish_parse(ini_parse_string(text, on_entry, &ps), &ps, origin, err);
}

int tui_theme_parse_file(struct tui_theme *t, const char *path, struct dome_error *err)
{
	__cleanup_free char *text = NULL;
	if (dome_text_read(path, DOME_CONFIG_FILE_MAX, &text, NULL, err) < 0) {
		dome_error_prefix(err, "theme file");
		return -1;
	}
	return tui_theme_parse_string(t, text, path, err);
}

static bool theme_name_ok(const char *name)
{
	if (!*name || strlen(name) > 48 || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
	       == strlen(name);
}

int tui_theme_load(struct tui_theme *t, const char *name, const char *datadir,
		   struct dome_error *err)
{
	tui_theme_builtin(t);
	if (!name || !*name || strcmp(name, "default") == 0) {
		/* The installed default.theme may be edited by the admin. */
		name = "default";
	}
	struct tui_theme loaded;
	tui_theme_builtin(&loaded);
	if (strchr(name, '/')) {
		if (tui_theme_parse_file(&loaded, name, err) < 0)
			goto fallback;
		const char *base = strrchr(name, '/') + 1;
		strlcpy(loaded.name, base, sizeof loaded.name);
		char *dot = strrchr(loaded.name, '.');
		if (dot && strcmp(dot, ".theme") == 0)
			*dot = '\0';
		*t = loaded;
		return 0;
	}
	if (!theme_name_ok(name)) {
		dome_invalid(err, "theme name '%s' is not valid (letters, digits, '-', '_', '.')",
			     name);
		goto fallback;
	}
	char dirs[2][PATH_MAX];
	size_t ndirs = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	/* dome_pathf refuses a path that would not fit instead of cutting it. */
	if (xdg && *xdg)
		ndirs += dome_pathf(dirs[ndirs], PATH_MAX, "%s/dome/themes", xdg) == 0;
	else if (home && *home)
		ndirs += dome_pathf(dirs[ndirs], PATH_MAX, "%s/.config/dome/themes", home) == 0;
	if (datadir)
		ndirs += dome_pathf(dirs[ndirs], PATH_MAX, "%s/themes", datadir) == 0;
	for (size_t i = 0; i < ndirs; i++) {
		char path[PATH_MAX];
		if (dome_pathf(path, sizeof path, "%s/%s.theme", dirs[i], name) < 0 ||
		    access(path, F_OK) < 0)
			continue;
		if (tui_theme_parse_file(&loaded, path, err) < 0)
			goto fallback;
		strlcpy(loaded.name, name, sizeof loaded.name);
		*t = loaded;
		return 0;
	}
	if (strcmp(name, "default") == 0)
		return 0; /* not installed: the built-in copy is the same theme */
	dome_invalid(err, "no theme named '%s' in %s%s%s", name, ndirs ? dirs[0] : "",
		     ndirs > 1 ? " or " : "", ndirs > 1 ? dirs[1] : "");
fallback:
	dome_error_hint(err, "using the default theme");
	tui_theme_builtin(t);
	return -1;
}

short tui_color_to_8(short c)
{
	if (c < 0)
		return c;
	if (c < 16)
		return (short)(c % 8);
	if (c >= 232) /* grey ramp */
		return c < 244 ? BLACK : WHITE;
	/* 6x6x6 cube: pick the basic colour from which channels are strong. */
	int v = c - 16, r = v / 36, g = v / 6 % 6, b = v % 6;
	int bits = (r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0);
	return (short)bits; /* the curses colour numbers are these bits (R=1, G=2, B=4) */
}
