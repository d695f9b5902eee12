/* backup, backup ls, restore, autostart. */
#include "cli.h"
#include "autostart.h"
#include "backup.h"
#include "cleanup.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static struct dome_ctx *open_ctx(struct cli *cli, int *status)
{
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		*status = cli_fail(&err);
	return ctx;
}

enum { OPT_TO = 1000, OPT_JSON, OPT_AS, OPT_STOP, OPT_LESS_ISOLATION };

struct backup_opts {
	const char *to, *as;
	bool json, stop, less_isolation;
};

static int on_backup_opt(int opt, const char *arg, void *data)
{
	struct backup_opts *o = data;
	switch (opt) {
	case OPT_TO: o->to = arg; return 0;
	case OPT_AS: o->as = arg; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_STOP: o->stop = true; return 0;
	case OPT_LESS_ISOLATION: o->less_isolation = true; return 0;
	}
	return EXIT_USAGE;
}

static int backup_ls(struct cli *cli, const char *dir, bool json)
{
	int status;
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	__cleanup_free struct dome_backup_info *list = NULL;
	size_t n;
	if (dome_backup_list(ctx, dir, &list, &n, &err) < 0)
		return cli_fail(&err);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "file",
							     list[i].file, "container", list[i].container,
							     "image", list[i].image, "digest",
							     list[i].digest[0] ? json_string(list[i].digest)
									       : json_null(),
							     "created_at", (json_int_t)(list[i].created_at / 1000),
							     "size_bytes", (json_int_t)list[i].size_bytes));
		return cli_print_json(arr);
	}
	printf("%-19s %-16s %-12s %8s %s\n", "CREATED", "CONTAINER", "IMAGE", "SIZE", "FILE");
	for (size_t i = 0; i < n; i++) {
		char when[32], size[16];
		cli_format_time(list[i].created_at, when, sizeof when);
		dome_format_size(list[i].size_bytes, size, sizeof size);
		printf("%-19s %-16s %-12s %8s %s\n", when, list[i].container, list[i].image, size,
		       list[i].file);
	}
	return EXIT_OK;
}

int verb_backup(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 },
	};
	struct backup_opts o = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", longopts, on_backup_opt, &o, &status))
		return status;
	int left = argc - optind;
	if (left >= 1 && strcmp(argv[optind], "ls") == 0) {
		if (left > 2 || o.to)
			return cli_usage(cli, "backup ls takes at most one directory (and --json)");
		return backup_ls(cli, left == 2 ? argv[optind + 1] : NULL, o.json);
	}
	if (left != 1 || o.json)
		return cli_usage(cli, "backup takes one container name (and --to DIR)");
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	char path[PATH_MAX];
	if (dome_backup_create(ctx, argv[optind], o.to, path, sizeof path, &err) < 0)
		return cli_fail(&err);
	printf("backed up %s to %s\n", argv[optind], path);
	return EXIT_OK;
}

int verb_restore(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "as", required_argument, NULL, OPT_AS },
		{ "allow-less-isolation", no_argument, NULL, OPT_LESS_ISOLATION },
		{ 0 },
	};
	struct backup_opts o = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", longopts, on_backup_opt, &o, &status))
		return status;
	if (argc - optind != 1)
		return cli_usage(cli, "restore takes one backup file (and --as NEWNAME, "
				 "--allow-less-isolation)");
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	char name[64];
	if (dome_backup_restore(ctx, argv[optind], o.as, o.less_isolation, name, sizeof name, &err) < 0)
		return cli_fail(&err);
	printf("restored %s from %s\n", name, argv[optind]);
	return EXIT_OK;
}

static void report_step(const char *name, enum dome_autostart_outcome outcome,
			const struct dome_error *err, void *data)
{
	const bool *stop = data;
	switch (outcome) {
	case DOME_AUTOSTART_DONE:
		printf("%s %s\n", *stop ? "stopped" : "started", name);
		break;
	case DOME_AUTOSTART_ALREADY:
		printf("%s %s\n", *stop ? "not running:" : "already running:", name);
		break;
	case DOME_AUTOSTART_FAILED:
		fprintf(stderr, "dome: %s: %s\n", name, err->msg);
		break;
	}
	fflush(stdout);
}

int verb_autostart(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stop", no_argument, NULL, OPT_STOP },
		{ 0 },
	};
	struct backup_opts o = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", longopts, on_backup_opt, &o, &status))
		return status;
	if (argc != optind)
		return cli_usage(cli, "autostart takes no names (set autostart=yes on containers)");
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	int failed;
	if (dome_autostart_run(ctx, o.stop, report_step, &o.stop, &failed, &err) < 0)
		return cli_fail(&err);
	if (failed) {
		fprintf(stderr, "dome: %d container%s failed to %s\n", failed, failed == 1 ? "" : "s",
			o.stop ? "stop" : "start");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}
