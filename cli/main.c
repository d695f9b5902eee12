/* dome: entry point. Global options, then a verb; no verb on a terminal
 * opens the console. */
#include "cli.h"
#include "container.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_verb verbs[] = {
	{ "ls", verb_ls, "[--json]", "list containers", NULL },
	{ "info", verb_info, "NAME [--json]", "show everything known about a container", NULL },
	{ "create", verb_create, "NAME [--image IMAGE] [LIMITS] [--restart POLICY] [--start]",
	  "create a container",
	  "  --restart no|on-failure|always  restart policy, run by its monitor\n"
	  "  --restart-max N                 at most N restarts (default 5) within\n"
	  "  --restart-window D              D (default 10m), waiting T doubling per\n"
	  "  --restart-backoff T             attempt (default 100ms) up to\n"
	  "  --restart-backoff-max T         T (default 60s)\n" },
	{ "start", verb_start, "NAME", "start a container", NULL },
	{ "stop", verb_stop, "NAME [--timeout S] [--kill]", "stop a container", NULL },
	{ "restart", verb_restart, "NAME", "stop and start a container", NULL },
	{ "freeze", verb_freeze, "NAME", "freeze every process of a container", NULL },
	{ "unfreeze", verb_unfreeze, "NAME", "thaw a frozen container", NULL },
	{ "destroy", verb_destroy, "NAME [--force]", "remove a container and its files", NULL },
	{ "clone", verb_clone, "SRC NEW", "copy a container", NULL },
	{ "set", verb_set, "NAME KEY=VALUE...", "change limits and settings", NULL },
	{ "exec", verb_exec, "NAME [-- CMD...]", "run a command inside a container", NULL },
	{ "ps", verb_ps, "NAME [--json]", "list a container's processes as a tree, with their cgroups", NULL },
	{ "logs", verb_logs, "NAME [--follow] [--tail N] [--raw]", "show a container's console log",
	  "  -f, --follow   keep printing what the container writes\n"
	  "  -n, --tail N   start N lines before the end\n"
	  "  --raw          the log's bytes as written (only to a pipe or a file)\n"
	  "Control characters in the log (escape sequences that would retitle, clear or\n"
	  "reprogram the terminal) are shown escaped, as \\e, \\r, \\xNN; --raw does not.\n" },
	{ "image", verb_image_all, "ls|rm|import|export|set|debian ...", "manage images",
	  "  ls [--json]                  list images\n"
	  "  rm NAME                      remove an image no container uses\n"
	  "  import NAME FILE             a root filesystem tarball (.tar, .tar.gz, .tar.xz,\n"
	  "                               .tar.zst) becomes an image; hostile archives are refused\n"
	  "  export NAME FILE             write an image as a tarball\n"
	  "  set NAME KEY=VALUE...        init=PATH stop_signal=SIG shell=PATH arch=ARCH\n"
	  "  debian NAME [--suite S]      debootstrap from [image] debian_mirror (needs\n"
	  "                               network access to the mirror)\n" },
	{ "commit", verb_commit, "CONTAINER IMAGE", "make an image of a container's files", NULL },
	{ "backup", verb_backup, "NAME [--to DIR] | ls [DIR] [--json]",
	  "back up a container (frozen while copied), or list backups",
	  "  --to DIR   where to write it (default <root>/backups)\n"
	  "  ls [DIR]   list the backups in DIR (default <root>/backups)\n" },
	{ "restore", verb_restore, "FILE [--as NEWNAME] [--allow-less-isolation]",
	  "recreate a container from a backup, with every setting it holds",
	  "  --allow-less-isolation  accept settings that isolate the container less than a new\n"
	  "                          one (net_mode=host); without it such a backup is refused\n" },
	{ "autostart", verb_autostart, "[--stop]",
	  "start autostart containers in order with delays, or stop them in reverse",
	  "  Starts containers with autostart=yes by autostart_order, then name, waiting\n"
	  "  autostart_delay seconds after each; --stop stops them in the reverse order.\n"
	  "  Failures are reported and the rest go on. Exit status 1 if any failed.\n" },
	{ "net", verb_net, "[--json] [KEY=VALUE...]", "show or change the network settings (bridge, subnet, nameservers, nat)", NULL },
	{ "check", verb_check, "[--json]", "report the kernel features dome needs",
	  "  --json    one object: layout, ok, and each feature's status and why it matters\n"
	  "Exit status: 0 when every required feature is present, 1 otherwise.\n" },
	{ "history", verb_history, "[NAME] [--since TIME] [--until TIME] [--actor USER] [--action A] "
	  "[--failed] [--limit N] [--before ID] [--json] | verify [--head HASH] [--json]",
	  "show the audit history, newest first; 'verify' checks its hash chain",
	  "  NAME, --target NAME   changes to this container or image\n"
	  "  --since/--until TIME  2026-11-24, \"2026-11-24 10:00[:00]\", 2026-11-24T10:00,\n"
	  "                        a trailing Z for UTC, now, or ago: -30m, -2h, -7d\n"
	  "  --actor USER          changes by USER, directly or through sudo\n"
	  "  --action A            only this action (set, start, destroy, ...)\n"
	  "  --failed              only failed and interrupted changes\n"
	  "  --limit N             rows per page (default 50)\n"
	  "  --before ID           the next page: changes older than ID\n"
	  "  verify                walk the hash chain; exit 1 naming the first bad record\n" },
	{ "rollback", verb_rollback, "ID [--force]", "undo a recorded change",
	  "  ID        the change to undo (dome history lists them)\n"
	  "  --force   undo it even though the container has changed since\n"
	  "Undoes set (the settings it changed get their earlier values, live on a\n"
	  "running container), freeze, unfreeze, start and stop, and rollbacks of those.\n"
	  "The rollback is recorded as a change of its own (action rollback).\n"
	  "Refused: destroy, image-rm, create, clone, restart, failed and interrupted changes.\n" },
	{ "report", verb_report, "--since TIME [--until TIME] [--format text|markdown|json] [--metrics]",
	  "incident timeline of changes and events",
	  "  TIME is as for 'dome history': 2026-11-24 10:00, -2h, now, ...\n"
	  "  The timeline merges changes (with their actors) and container events\n"
	  "  (started, stopped, exited, crashed, oom_kill, limit_hit), oldest first.\n"
	  "  --metrics adds each container's averages over the 10 minutes around each\n"
	  "  entry from metrics.db (dome-metrics(7)).\n" },
	{ "metrics", verb_metrics, "NAME [--since T] [--until T] [--step S] [--json|--csv] | "
	  "--top KEY [--since T] [--limit N] | --prometheus | --influx [--since T]",
	  "the metrics history (see dome-metrics(7))",
	  "  NAME                  a container's series (also after it was destroyed), from the\n"
	  "                        finest tier that covers the window; audited changes marked\n"
	  "  --since/--until TIME  as for 'dome history' (default the last hour)\n"
	  "  --step S              one point per S (10s, 5m, 1h, ...), averaged\n"
	  "  --top KEY             rank containers by cpu, mem, rx, tx, read or write\n"
	  "  --prometheus          the latest sample, Prometheus text exposition format\n"
	  "  --influx              the window in InfluxDB line protocol\n" },
	{ "record", verb_record, "[--interval S] [--count N]",
	  "sample every container into metrics.db, in the foreground",
	  "  --interval S   seconds between samples (default [metrics] interval, 10s)\n"
	  "  --count N      take N samples and exit (default: until SIGTERM)\n"
	  "One recorder per state root; dome-record.service runs it. dome never needs it.\n" },
	{ "wall", verb_wall, "[--theme NAME]", "view-only console for wall screens", NULL },
	{ "doctor", verb_doctor, "[--dry-run] [--json]", "find and repair leftovers",
	  "  -n, --dry-run   only list what would be repaired\n"
	  "  --json          one object: dry_run and items (kind, name, what, outcome, note)\n"
	  "Repairs: cgroups, mounts, veths and leases of containers that are not running,\n"
	  "container directories with no inventory row, rows whose files are gone, stale\n"
	  "image build directories, and cgroup limits that differ from the stored ones.\n"
	  "Each repair is recorded in the history (action doctor).\n"
	  "Exit status: 0 when nothing failed, 1 when a repair failed.\n" },
};

int verb_not_implemented(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "dome: '%s' is not implemented yet\n", cli->verb->name);
	return EXIT_USAGE;
}

static void print_help(void)
{
	printf("Usage: dome [OPTION]... [VERB [ARG]...]\n"
	       "Operations console for Linux containers. With no verb on a terminal, opens the\n"
	       "console; with a verb, runs it and exits.\n\n"
	       "Options:\n"
	       "  -r, --root DIR      state root (default /var/lib/dome, or DOME_ROOT)\n"
	       "  -c, --config FILE   config file (default %s/dome/dome.conf, or DOME_CONFIG)\n"
	       "      --readonly      change nothing (forced for users other than root)\n"
	       "      --reason TEXT   reason recorded with every change of this run\n"
	       "      --theme NAME    console colour theme (default, light, monochrome,\n"
	       "                      high-contrast, or a file in ~/.config/dome/themes)\n"
	       "  -h, --help          show this help and exit\n"
	       "  -V, --version       show the version and exit\n\nVerbs:\n",
	       DOME_SYSCONFDIR);
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
	printf("\nExit status: 0 success, 1 an operation failed, 2 bad usage.\n"
	       "'dome VERB --help' describes a verb. See dome(1) and dome.conf(5).\n");
}

struct dome_ctx *cli_ctx(struct cli *cli, struct dome_error *err)
{
	if (!cli->ctx)
		cli->ctx = dome_open(&cli->opts, err);
	/* Every run first brings the inventory in line with the kernel: a
	 * recorded run whose init is gone becomes stopped. Cheap (one read,
	 * pid + start time checks) and waits for another dome only briefly,
	 * for a container whose run looks ended; its own failures show up
	 * again in what the verb does next. */
	if (cli->ctx && !cli->reconciled) {
		struct dome_error ignored;
		cli->reconciled = true;
		dome_reconcile(cli->ctx, &ignored);
	}
	return cli->ctx;
}

int cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
	      const struct option *longopts, int (*on_opt)(int opt, const char *arg, void *data),
	      void *data, int *status)
{
	/* Every verb gets --help; merge it into the verb's own options. */
	struct option all[32];
	size_t n = 0;
	for (; longopts && longopts[n].name && n < 30; n++)
		all[n] = longopts[n];
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ 0 };
	char shorts[64];
	/* Options may follow operands (GNU style), except for exec, whose
	 * operands after the name are the command and its own options. */
	bool in_order = strcmp(cli->verb->name, "exec") == 0;
	snprintf(shorts, sizeof shorts, "%s:h%s", in_order ? "+" : "", shortopts ? shortopts : "");
	optind = 0; /* 0, not 1: glibc then forgets the state of the global parse */
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (opt == 'h') {
			printf("Usage: dome %s %s\n%s.\n", cli->verb->name, cli->verb->args,
			       cli->verb->summary);
			if (cli->verb->help)
				printf("\n%s", cli->verb->help);
			*status = EXIT_OK;
			return 1;
		}
		if (opt == '?' || opt == ':') {
			const char *bad = argv[optind - 1];
			*status = cli_usage(cli, opt == ':' ? "option '%s' needs a value"
							    : "unknown option '%s'", bad);
			return 1;
		}
		int rc = on_opt ? on_opt(opt, optarg, data) : EXIT_USAGE;
		if (rc != 0) {
			*status = rc;
			return 1;
		}
	}
	return 0;
}

static int open_console(struct cli *cli)
{
	return cli_open_console(cli, false);
}

enum { OPT_READONLY = 1000, OPT_REASON, OPT_THEME };

int main(int argc, char **argv)
{
	/* The character set only (the console's UTF-8 line drawing): numbers
	 * are read and written in the C locale whatever LC_NUMERIC says (a
	 * "cpus=0.5" must not need a comma in a German session), and loading
	 * just LC_CTYPE spares each run a dozen locale files. */
	setlocale(LC_CTYPE, "");
	struct cli cli = { 0 };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "readonly", no_argument, NULL, OPT_READONLY },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "theme", required_argument, NULL, OPT_THEME },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:r:c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': cli.opts.root = optarg; break;
		case 'c': cli.opts.config_path = optarg; break;
		case OPT_READONLY: cli.opts.readonly = true; break;
		case OPT_REASON: cli.opts.reason = optarg; break;
		case OPT_THEME: cli.theme = optarg; break;
		case 'h': print_help(); return EXIT_OK;
		case 'V': printf("dome %s\n", PACKAGE_VERSION); return EXIT_OK;
		case ':': return cli_usage(&cli, "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage(&cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	int status;
	if (optind >= argc) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
			return cli_usage(&cli, "no verb given and not on a terminal");
		status = open_console(&cli);
	} else {
		const char *name = argv[optind];
		for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
			if (strcmp(verbs[i].name, name) == 0)
				cli.verb = &verbs[i];
		if (!cli.verb)
			return cli_usage(&cli, "unknown verb '%s'", name);
		/* The console draws through ncurses, which escapes for itself. */
		if (cli.verb->run != verb_wall)
			cli_escape_output();
		status = cli.verb->run(&cli, argc - optind, argv + optind);
	}
	/* Done, but not all of it recorded: said after the verb's own output. */
	if (cli.ctx && cli.ctx->unrecorded[0])
		fprintf(stderr, "dome: warning: not recorded: %s\n", cli.ctx->unrecorded);
	dome_close(cli.ctx);
	return status;
}
