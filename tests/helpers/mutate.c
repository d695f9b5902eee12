/* Test helper: records changes and events through core, as the engine will,
 * so the history and report verbs can be tested before container verbs exist.
 *
 *   mutate [--readonly] [--reason TEXT] ROOT change ACTION TARGET ok|failed|die
 *   mutate [--readonly] ROOT event CONTAINER KIND [DETAIL-JSON]
 *
 * A change goes through dome_mutate (the actor comes from the environment:
 * SUDO_USER, SSH_CONNECTION); "die" exits in the middle of the operation, as
 * a killed process would. Exit status: 0 done, 1 refused or failed (message on
 * stderr), 2 bad usage. */
#include "audit.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int apply(struct dome_ctx *ctx, struct dome_change *ch, void *arg, struct dome_error *err)
{
	(void)ctx;
	const char *how = arg;
	ch->before = json_pack("{s:s}", "value", "before");
	if (strcmp(how, "die") == 0)
		_exit(9);
	if (strcmp(how, "failed") == 0)
		return dome_fail(err, EIO, "the test asked %s %s to fail", ch->action, ch->target);
	ch->after = json_pack("{s:s}", "value", "after");
	return 0;
}

static int usage(void)
{
	fputs("usage: mutate [--readonly] [--reason TEXT] ROOT change ACTION TARGET ok|failed|die\n"
	      "       mutate [--readonly] ROOT event CONTAINER KIND [DETAIL-JSON]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct dome_open_opts o = { 0 };
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--readonly") == 0)
			o.readonly = true;
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			o.reason = argv[++i];
		else
			return usage();
	}
	if (argc - i < 4)
		return usage();
	o.root = argv[i];
	const char *what = argv[i + 1];
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx) {
		fprintf(stderr, "mutate: %s\n", err.msg);
		return 1;
	}
	int rc;
	if (strcmp(what, "change") == 0 && argc - i == 5) {
		const char *how = argv[i + 4];
		if (strcmp(how, "ok") && strcmp(how, "failed") && strcmp(how, "die")) {
			dome_close(ctx);
			return usage();
		}
		struct dome_change ch = { .action = argv[i + 2], .target = argv[i + 3],
					  .params = json_pack("{s:s}", "asked", how) };
		rc = dome_mutate(ctx, &ch, apply, (void *)how, &err);
		if (rc == 0)
			printf("%lld\n", (long long)ch.id);
	} else if (strcmp(what, "event") == 0 && (argc - i == 4 || argc - i == 5)) {
		json_t *detail = NULL;
		if (argc - i == 5 && !(detail = json_loads(argv[i + 4], 0, NULL))) {
			dome_close(ctx);
			fprintf(stderr, "mutate: the detail is not JSON\n");
			return 2;
		}
		rc = dome_event_record(ctx, argv[i + 2], argv[i + 3], detail, &err);
	} else {
		dome_close(ctx);
		return usage();
	}
	dome_close(ctx);
	if (rc < 0) {
		fprintf(stderr, "mutate: %s\n", err.msg);
		return err.status == DOME_E_USAGE ? 2 : 1;
	}
	return 0;
}
