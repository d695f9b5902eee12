/* The console verbs: `dome` with no verb on a terminal, and `dome wall`. */
#include "cli.h"
#include "tui.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_open_console(struct cli *cli, bool wall)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cli_usage(cli, "the console needs a terminal");
	struct dome_error err = { 0 };
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	struct tui_opts o = { .theme = cli->theme, .wall = wall, .mouse = -1 };
	return dome_tui_run(ctx, &o) == 0 ? EXIT_OK : EXIT_FAILED;
}

struct wall_opts {
	const char *theme;
};

static int on_wall_opt(int opt, const char *arg, void *data)
{
	struct wall_opts *w = data;
	if (opt == 't') {
		w->theme = arg;
		return 0;
	}
	return EXIT_USAGE;
}

int verb_wall(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "theme", required_argument, NULL, 't' },
		{ 0 },
	};
	struct wall_opts w = { .theme = NULL };
	int status;
	if (cli_parse(cli, argc, argv, "t:", longopts, on_wall_opt, &w, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (w.theme)
		cli->theme = w.theme;
	/* A wall screen never changes anything: open the context read-only. */
	cli->opts.readonly = true;
	return cli_open_console(cli, true);
}
