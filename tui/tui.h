/* The console: `dome` with no verb on a terminal, and `dome wall`.
 *
 * One file per component (htop style): screen.c (curses setup, colours,
 * status line, the main loop), header.c (host meters), table.c (the
 * container list: model, sort, filter, selection, drawing), footer.c (the
 * function bar), keys.c (every key, its alias, help text and action),
 * help.c, dialog.c (input and confirmation boxes), view.c (one container,
 * tabs), wall.c (the view-only kiosk), engine.c (the container lifecycle
 * calls), hostview.c (host views), images.c and backups.c (the image and
 * backup actions and views), format.c and theme.c (pure helpers). */
#ifndef DOME_TUI_H
#define DOME_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dome.h"
#include "host.h"
#include "inventory.h"
#include "container.h"
#include "theme.h"

struct tui_opts {
	const char *theme;   /* --theme; NULL: ctx->cfg.theme */
	bool wall;           /* view-only kiosk */
	int mouse;           /* -1: ctx->cfg.mouse; 0 off; 1 on */
};

/* Runs until the user quits. Returns an exit status (0, or 1 after printing
 * why the console could not start). */
int dome_tui_run(struct dome_ctx *ctx, const struct tui_opts *o);

/* ---- internals shared by the tui/ files ---- */

/* The lifecycle calls the console makes; NULL while the engine is not
 * linked in (the action then says so instead of doing nothing). */
struct tui_engine {
	int (*stats)(struct dome_ctx *, const struct dome_container *,
		     struct dome_container_stats *, struct dome_error *);
	int (*create)(struct dome_ctx *, const struct dome_create_spec *, struct dome_error *);
	int (*start)(struct dome_ctx *, const char *, struct dome_error *);
	int (*stop)(struct dome_ctx *, const char *, int, bool, struct dome_error *);
	int (*restart)(struct dome_ctx *, const char *, struct dome_error *);
	int (*freeze)(struct dome_ctx *, const char *, bool, struct dome_error *);
	int (*destroy)(struct dome_ctx *, const char *, bool, struct dome_error *);
	int (*clone)(struct dome_ctx *, const char *, const char *, struct dome_error *);
	int (*set)(struct dome_ctx *, const char *, char *const *, size_t, struct dome_error *);
	int (*exec)(struct dome_ctx *, const char *, char *const[], int *, struct dome_error *);
	int (*log_path)(struct dome_ctx *, const char *, char *, size_t);
	int (*fit_host)(struct dome_ctx *, const char *, struct dome_error *);
};
extern const struct tui_engine tui_engine;

#define TUI_SPARK_LEN 60

/* One container as the console shows it: the inventory row plus live
 * figures, and history kept across refreshes (matched by id). */
struct tui_row {
	struct dome_container c;
	bool live;              /* stats were read this refresh */
	double cpu_pct;         /* of one core */
	uint64_t mem, mem_limit, pids;
	double rx_rate, tx_rate;
	int64_t uptime_s;
	char ipv4[16];
	char host_ifname[16];
	uint64_t rx_total, tx_total;
	/* previous counters, for rates */
	uint64_t prev_cpu_usec, prev_rx, prev_tx;
	int64_t prev_ms;
	uint8_t spark[TUI_SPARK_LEN]; /* CPU % samples, oldest first */
	size_t spark_n;
};

enum tui_col {
	COL_NAME, COL_STATE, COL_PID, COL_IPV4, COL_CPU, COL_MEM, COL_PIDS, COL_NET,
	COL_UPTIME, COL_AUTO, COL_SPARK, COL_COUNT
};

enum tui_mode { MODE_MAIN, MODE_HELP, MODE_VIEW, MODE_HOST };

/* Host views (hostview.c), opened from the main screen. */
enum tui_host_view { HOST_IMAGES, HOST_NETWORK, HOST_CHECK, HOST_HISTORY, HOST_BACKUPS,
		     HOST_METRICS };

struct tui {
	struct dome_ctx *ctx;
	bool wall;
	bool readonly;
	bool utf8;
	bool mouse;
	int colors;             /* 0, 8 or 256 */
	struct tui_theme theme;
	struct dome_host host;
	bool quit;
	enum tui_mode mode;

	/* the table */
	struct tui_row *rows;
	size_t nrows;
	size_t *order;          /* visible rows (filtered, sorted) as indexes */
	size_t nvisible;
	enum tui_col sort_col;
	bool sort_desc;
	bool group_by_state;
	char filter[64];
	bool filtering;         /* typing into the filter */
	int64_t selected_id;    /* stays on this container across refreshes */
	size_t top;             /* first visible line */
	int table_y, table_h;   /* where the table was drawn, for the mouse */

	/* container view, host views */
	int view_tab;
	enum tui_host_view host_view;
	size_t view_scroll;
	char view_search[64];
	bool view_follow;

	/* status line */
	char status[512];
	bool status_error;
	int64_t status_ms;

	int64_t last_refresh_ms;

	/* the history record selected on screen, for the rollback key */
	int64_t history_id;
	char history_what[160];

	/* --reason given at start: offered again whenever a reason is asked */
	char start_reason[512];
};

int64_t tui_now_ms(void);

/* screen.c */
int tui_screen_init(struct tui *t, const char *theme_name);
void tui_screen_end(struct tui *t);
int tui_attr(const struct tui *t, enum tui_role role);
void tui_status(struct tui *t, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tui_draw(struct tui *t);     /* whole screen for the current mode */
void tui_paint(struct tui *t);    /* the same without the refresh (dialogs draw on top) */
void tui_refresh_data(struct tui *t);
/* Suspend curses (shell), and restore it exactly. */
void tui_suspend(struct tui *t);
void tui_resume(struct tui *t);
/* Fill a line of the screen from x to the right edge with spaces. */
void tui_clear_line(int y, int x);
void tui_box(const struct tui *t, int y, int x, int h, int w, enum tui_role role);

/* header.c */
int tui_header_height(const struct tui *t);
void tui_header_draw(struct tui *t, int y);
void tui_draw_bar(const struct tui *t, int y, int x, int width, const char *label,
		  double fraction, const char *text);

/* table.c */
void tui_table_refresh(struct tui *t);
void tui_table_apply(struct tui *t);        /* filter and sort into t->order */
void tui_table_draw(struct tui *t, int y, int h);
struct tui_row *tui_table_selected(struct tui *t);
void tui_table_move(struct tui *t, long delta);
void tui_table_home(struct tui *t, bool end);
void tui_table_click(struct tui *t, int y);
const char *tui_col_name(enum tui_col c);
enum tui_role tui_state_role(const char *state);
int tui_row_compare(const struct tui_row *a, const struct tui_row *b, enum tui_col col,
		    bool group_by_state);

/* footer.c */
void tui_footer_draw(struct tui *t, int y);

/* keys.c: every key of the main screen */
struct tui_key {
	int key;                /* curses key code */
	int alias;              /* letter alias, 0 if none */
	const char *fkey;       /* "F1".. shown in the footer, NULL if not there */
	const char *label;      /* footer label */
	const char *help;       /* help screen line */
	bool mutating;          /* refused in read-only and wall mode */
	void (*run)(struct tui *t);
};
extern const struct tui_key tui_keys[];
extern const size_t tui_nkeys;
/* Returns true when the key was handled. */
bool tui_keys_dispatch(struct tui *t, int ch);

/* help.c */
void tui_help_draw(struct tui *t);
bool tui_help_key(struct tui *t, int ch);

/* dialog.c: modal; redraw the screen underneath on resize */
typedef int (*tui_validate_fn)(const char *text, char *why, size_t whylen, void *arg);
/* Ask for a line of text; returns true when confirmed with Enter (and valid). */
bool tui_dialog_input(struct tui *t, const char *title, const char *prompt, char *buf,
		      size_t len, tui_validate_fn validate, void *arg);
/* Yes/no; returns true on 'y'. */
bool tui_dialog_confirm(struct tui *t, const char *title, const char *question);
/* Type `name` to confirm a destructive action. */
bool tui_dialog_confirm_name(struct tui *t, const char *title, const char *name);
/* The live check of a name for something new of one kind, for
 * tui_dialog_input with a struct tui_new_name as its arg: core's validator
 * (dome_validate_name(kind, ...)), then `taken`, which looks the name up now
 * (not in the last refresh) and returns 1 with the refusal written to `why`
 * when one of that name exists, 0 when there is none, -1 with `err` set when
 * it cannot tell (err->msg is then the refusal). */
struct tui_new_name {
	struct tui *t;
	const char *kind;
	int (*taken)(struct tui *t, const char *name, char *why, size_t whylen,
		     struct dome_error *err);
};
int tui_validate_new_name(const char *text, char *why, size_t whylen, void *arg);
/* Show the status line as "busy" and draw it now (before a slow call). */
void tui_progress(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* view.c */
void tui_view_open(struct tui *t);
void tui_view_draw(struct tui *t);
bool tui_view_key(struct tui *t, int ch);

/* history.c: audit records newest first, of `target` (NULL: all), with the
 * record at *sel selected (clamped to what there is) and kept on screen. */
void tui_history_draw(struct tui *t, const char *target, int y, size_t *sel);
/* Roll back the selected record (dome_rollback), after a confirmation. */
void tui_history_rollback(struct tui *t);

/* metrics.c: the container view's Metrics tab (w switches the window) and
 * the host view of the recorder */
void tui_metrics_draw(struct tui *t, const char *name, int y);
bool tui_metrics_key(struct tui *t, int ch);
void tui_metrics_close(void);
void tui_metrics_host_draw(struct tui *t, int y);
/* When a recorder runs: each running row's sparkline from its last
 * recorded CPU samples (one per recorder interval). */
void tui_metrics_fill_sparks(struct tui *t, struct tui_row *rows, size_t n);

/* hostview.c */
void tui_host_open(struct tui *t, enum tui_host_view v);
void tui_host_close(void);
void tui_host_draw(struct tui *t);
/* One "name  value" line of a host view (the value cut to the screen). */
void tui_host_label(struct tui *t, int y, const char *name, const char *value);
bool tui_host_key(struct tui *t, int ch);

/* images.c: the images view (selection in t->view_scroll; d removes, x
 * exports), and commit of a container to a new image */
void tui_images_open(struct tui *t);
void tui_images_draw(struct tui *t, int y);
bool tui_images_key(struct tui *t, int ch);
void tui_commit_row(struct tui *t, const struct tui_row *r);

/* backups.c: back up a container, and the backups view (Enter/r restores) */
void tui_backup_row(struct tui *t, const struct tui_row *r);
void tui_backups_open(struct tui *t);
void tui_backups_close(void);
void tui_backups_draw(struct tui *t, int y);
bool tui_backups_key(struct tui *t, int ch);

/* wall.c */
void tui_wall_draw(struct tui *t);

/* actions (keys.c) shared with view.c */
bool tui_refuse_if_readonly(struct tui *t, const char *what);
/* When the configuration requires a reason for changes, ask for one (for
 * `what`) and put it in ctx->reason; false when the user cancels. */
bool tui_ask_reason(struct tui *t, const char *what);

#endif
