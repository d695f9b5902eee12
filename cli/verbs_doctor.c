/* dome doctor [--dry-run] [--json]: find and repair leftovers (core/doctor.h). */
#include "cli.h"
#include "cleanup.h"
#include "doctor.h"

#include <stdio.h>
#include <string.h>

struct doctor_opts {
	bool dry_run, json;
};

static int on_doctor_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	struct doctor_opts *o = data;
	if (opt == 'n')
		o->dry_run = true;
	else if (opt == 'j')
		o->json = true;
	else
		return EXIT_USAGE;
	return 0;
}

static void print_items(const struct dome_doctor_item *items, size_t n, bool dry_run)
{
	size_t repaired = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dome_doctor_item *it = &items[i];
		const char *verb = it->outcome == DOME_DOCTOR_FOUND    ? "would repair"
				   : it->outcome == DOME_DOCTOR_REPAIRED ? "repaired"
				   : it->outcome == DOME_DOCTOR_FAILED   ? "FAILED"
									 : "left";
		printf("%-12s %-8s %-20s %s%s%s\n", verb, it->kind, it->name, it->what,
		       it->note[0] ? ": " : "", it->note);
		repaired += it->outcome == DOME_DOCTOR_REPAIRED || it->outcome == DOME_DOCTOR_FOUND;
		failed += it->outcome == DOME_DOCTOR_FAILED;
	}
	if (n == 0)
		printf("nothing to repair\n");
	else
		printf("%zu %s, %zu failed\n", repaired, dry_run ? "to repair" : "repaired", failed);
}

int verb_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct doctor_opts o = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "n", opts, on_doctor_opt, &o, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	__cleanup_free struct dome_doctor_item *items = NULL;
	size_t n = 0;
	if (dome_doctor(ctx, o.dry_run, &items, &n, &err) < 0)
		return cli_fail(&err);
	bool failed = false;
	for (size_t i = 0; i < n; i++)
		failed |= items[i].outcome == DOME_DOCTOR_FAILED;
	if (o.json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, dome_doctor_item_json(&items[i]));
		int rc = cli_print_json(json_pack("{s:b, s:o}", "dry_run", o.dry_run, "items", arr));
		return rc != EXIT_OK ? rc : failed ? EXIT_FAILED : EXIT_OK;
	}
	print_items(items, n, o.dry_run);
	return failed ? EXIT_FAILED : EXIT_OK;
}
