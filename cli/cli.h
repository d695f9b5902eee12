/* The dome command line: one binary, `dome VERB ...`. Each verb lives in a
 * cli/verbs_*.c file and is listed in the table in cli/main.c. */
#ifndef DOME_CLI_H
#define DOME_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include "dome.h"

/* Exit statuses (GNU conventions). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct cli {
	struct dome_open_opts opts;
	struct dome_ctx *ctx;      /* opened on first use by cli_ctx() */
	const struct cli_verb *verb;
	const char *theme;         /* --theme for the console, NULL: config */
	bool reconciled;           /* dome_reconcile() ran for this ctx */
};

struct cli_verb {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *args;          /* "NAME [--json]" */
	const char *summary;
	const char *help;          /* option details for `dome VERB --help`, or NULL */
};

/* The context, opened once; NULL after printing the error (see cli_status). */
struct dome_ctx *cli_ctx(struct cli *cli, struct dome_error *err);

/* From here on stdout and stderr show control characters escaped
 * (core/escape.h), newlines and tabs kept: every verb but the console. */
void cli_escape_output(void);
/* A string from outside dome (a reason, a member name) escaped in full,
 * newlines too, for one field of a line; valid until four more calls. */
const char *cli_esc(const char *s);

/* Print "dome: <message>" to stderr, escaped (core/escape.h), and return
 * the matching exit status. */
int cli_fail(const struct dome_error *err);
/* A usage error: message, a pointer to --help, exit status 2. */
int cli_usage(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a verb's options; handles --help (prints and returns 1 with
 * *status = 0) and unknown options (returns 1 with *status = 2). Returns 0
 * when the caller should go on, with the verb's own options reported through
 * `on_opt` (which returns 0, or an exit status to stop with). */
int cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
	      const struct option *longopts, int (*on_opt)(int opt, const char *arg, void *data),
	      void *data, int *status);

/* Print JSON (pretty, sorted keys stay in insertion order) and a newline. */
int cli_print_json(json_t *j);

/* Human output helpers. */
void cli_format_time(int64_t ms, char *out, size_t len);
void cli_format_duration(int64_t seconds, char *out, size_t len);

/* verbs */
int verb_ls(struct cli *cli, int argc, char **argv);
int verb_info(struct cli *cli, int argc, char **argv);
int verb_ps(struct cli *cli, int argc, char **argv);
int verb_check(struct cli *cli, int argc, char **argv);
int verb_create(struct cli *cli, int argc, char **argv);
int verb_start(struct cli *cli, int argc, char **argv);
int verb_stop(struct cli *cli, int argc, char **argv);
int verb_restart(struct cli *cli, int argc, char **argv);
int verb_freeze(struct cli *cli, int argc, char **argv);
int verb_unfreeze(struct cli *cli, int argc, char **argv);
int verb_destroy(struct cli *cli, int argc, char **argv);
int verb_clone(struct cli *cli, int argc, char **argv);
int verb_set(struct cli *cli, int argc, char **argv);
int verb_exec(struct cli *cli, int argc, char **argv);
int verb_logs(struct cli *cli, int argc, char **argv);
int verb_image(struct cli *cli, int argc, char **argv);
/* images in and out, backups, autostart (verbs_image.c, verbs_backup.c);
 * verb_image_all handles `image` and hands ls/rm to verb_image */
int verb_image_all(struct cli *cli, int argc, char **argv);
int verb_commit(struct cli *cli, int argc, char **argv);
int verb_backup(struct cli *cli, int argc, char **argv);
int verb_restore(struct cli *cli, int argc, char **argv);
int verb_autostart(struct cli *cli, int argc, char **argv);
int verb_history(struct cli *cli, int argc, char **argv);
int verb_report(struct cli *cli, int argc, char **argv);
int verb_rollback(struct cli *cli, int argc, char **argv);
int verb_net(struct cli *cli, int argc, char **argv);
int verb_doctor(struct cli *cli, int argc, char **argv);
/* the metrics history (verbs_metrics.c, verbs_record.c) */
int verb_metrics(struct cli *cli, int argc, char **argv);
int verb_record(struct cli *cli, int argc, char **argv);
/* dome report --metrics (verbs_metrics.c): the metrics around each entry
 * added to the report, and printed under a text entry */
int cli_report_add_metrics(struct dome_ctx *ctx, json_t *report, struct dome_error *err);
void cli_print_report_metrics(json_t *metrics);
int verb_not_implemented(struct cli *cli, int argc, char **argv);
/* the console (verbs_console.c) */
int cli_open_console(struct cli *cli, bool wall);
int verb_wall(struct cli *cli, int argc, char **argv);

#endif
