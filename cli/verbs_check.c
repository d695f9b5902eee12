/* dome check: the kernel features dome needs, one line each, and the state
 * root's permissions. Needs no state root: it works before anything is set
 * up. */
#include "cli.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static int on_check_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt == 'j') {
		*(bool *)data = true;
		return 0;
	}
	return EXIT_USAGE;
}

static void print_report(const struct dome_check_report *rep)
{
	const char *group = "";
	for (size_t i = 0; i < rep->n; i++) {
		const struct dome_check_item *it = &rep->items[i];
		if (strcmp(group, it->group) != 0) {
			group = it->group;
			printf("%s%c%s:\n", i ? "\n" : "", group[0] - ('a' - 'A'), group + 1);
		}
		printf("  %-24s %-8s %s\n", it->name, it->ok ? "ok" : "missing", it->detail);
		if (!it->ok)
			printf("  %-24s %-8s %s: %s\n", "", "", it->required ? "required" : "optional",
			       it->why);
	}
	printf("\n%s\n", rep->all_required_ok
				 ? "Every required feature is present."
				 : "Some required features are missing: containers will not start.");
}

int verb_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };
	bool json = false;
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_check_opt, &json, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "check takes no arguments");
	struct dome_error err;
	struct dome_check_report rep;
	/* The state root is looked at, never opened (it may not exist yet).
	 * A configuration that does not read leaves the kernel's report
	 * whole: only the state root goes unchecked, and that is said. */
	struct dome_config cfg;
	struct dome_error cfg_err;
	bool have_root = dome_config_resolve(&cli->opts, &cfg, &cfg_err) == 0;
	if (dome_check_run(&rep, have_root ? cfg.root : NULL, &err) < 0)
		return cli_fail(&err);
	if (!have_root)
		fprintf(stderr, "dome: the state root's permissions were not checked: %s\n",
			cfg_err.msg);
	int rc = rep.all_required_ok ? EXIT_OK : EXIT_FAILED;
	if (json) {
		if (cli_print_json(dome_check_json(&rep)) != EXIT_OK)
			rc = EXIT_FAILED;
	} else {
		print_report(&rep);
	}
	dome_check_free(&rep);
	return rc;
}
