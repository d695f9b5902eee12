/* dome rollback ID [--force]: undo one recorded change (core/rollback.h). */
#include "cli.h"
#include "rollback.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { OPT_FORCE = 1 };

static int on_rollback_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt != OPT_FORCE)
		return EXIT_USAGE;
	*(bool *)data = true;
	return 0;
}

int verb_rollback(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, OPT_FORCE }, { 0 } };
	bool force = false;
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_rollback_opt, &force, &status))
		return status;
	if (optind >= argc)
		return cli_usage(cli, "rollback needs the ID of a change (dome history lists them)");
	if (optind + 1 < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind + 1]);
	struct dome_error err;
	uint64_t id;
	if (dome_parse_uint("change id", argv[optind], 1, INT64_MAX, &id, &err) < 0)
		return cli_fail(&err);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	struct dome_rollback_result r;
	if (dome_rollback(ctx, (int64_t)id, force, &r, &err) < 0) {
		int rc = cli_fail(&err);
		if (r.id)
			fprintf(stderr, "dome: the failed rollback is recorded as change %" PRId64 "\n",
				r.id);
		return rc;
	}
	if (r.differed[0])
		printf("%s had changed since change %" PRIu64 " (%s); rolled back anyway (--force)\n",
		       r.target, id, r.differed);
	printf("rolled back change %" PRIu64 ": %s %s (recorded as change %" PRId64 ")\n", id,
	       r.target, r.what, r.id);
	return EXIT_OK;
}
