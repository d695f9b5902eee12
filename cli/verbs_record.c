/* dome record: the metrics recorder, in the foreground (dome-record.service
 * runs it). Never needed by any other verb: dome stays daemonless. */
#include "cli.h"
#include "metrics.h"
#include "validate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

struct record_args {
	const char *interval, *count;
};

enum { OPT_INTERVAL = 1, OPT_COUNT };

static int on_record_opt(int opt, const char *arg, void *data)
{
	struct record_args *a = data;
	switch (opt) {
	case OPT_INTERVAL: a->interval = arg; return 0;
	case OPT_COUNT: a->count = arg; return 0;
	default: return EXIT_USAGE;
	}
}

/* For tests only (dome-metrics(7), TESTING): DOME_RECORD_CLOCK=START:STEP
 * stamps the samples START, START+STEP, ... (seconds since the epoch)
 * instead of the wall clock, so hours of buckets and retention can be
 * recorded in seconds; with it, --interval may be 0. */
static int fake_clock(int64_t *start, int64_t *step, struct dome_error *err)
{
	const char *v = getenv("DOME_RECORD_CLOCK");
	*start = *step = 0;
	if (!v || !*v)
		return 0;
	long long a, b;
	char tail;
	if (sscanf(v, "%lld:%lld%c", &a, &b, &tail) != 2 || a <= 0 || b <= 0 || b > 86400)
		return dome_invalid(err, "DOME_RECORD_CLOCK '%.40s' must be START:STEP in seconds", v);
	*start = a;
	*step = b;
	return 1;
}

/* Sleep until `deadline` (CLOCK_MONOTONIC) or a stop signal. */
static void wait_until(const struct timespec *deadline)
{
	while (!stop_asked &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
		;
}

int verb_record(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ 0 },
	};
	struct record_args a = { 0 };
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_record_opt, &a, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "record takes no operands ('%s')", argv[optind]);
	struct dome_error err = { 0 };
	int64_t start, step;
	int faked = fake_clock(&start, &step, &err);
	if (faked < 0)
		return cli_fail(&err);
	int64_t interval = -1;
	uint64_t count = 0;
	if (a.interval && !(faked && strcmp(a.interval, "0") == 0) &&
	    dome_parse_duration("--interval", a.interval, 1, 3600, &interval, &err) < 0)
		return cli_fail(&err);
	if (a.interval && interval < 0)
		interval = 0;
	if (a.count && dome_parse_uint("--count", a.count, 1, UINT32_MAX, &count, &err) < 0)
		return cli_fail(&err);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	if (interval >= 0)
		ctx->cfg.metrics_interval = (unsigned)interval;
	struct dome_recorder *r = dome_recorder_start(ctx, ctx->cfg.metrics_interval, &err);
	if (!r)
		return cli_fail(&err);

	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: wake the sleep */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	char path[4096];
	dome_metrics_path(ctx, path, sizeof path);
	fprintf(stderr, "dome record: sampling every %us into %s (pid %ld)\n",
		ctx->cfg.metrics_interval, path, (long)getpid());

	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	uint64_t rounds = 0, failed = 0;
	bool was_failing = false;
	while (!stop_asked && (count == 0 || rounds < count)) {
		int64_t t_ms = faked ? (start + (int64_t)rounds * step) * 1000 : dome_now_ms();
		size_t n;
		if (dome_recorder_sample(r, t_ms, &n, &err) < 0) {
			/* A full disk, a lock or a damaged file: say so (once per
			 * run of failures) and go on; containers never wait. */
			if (!was_failing)
				fprintf(stderr, "dome record: %s; going on\n", err.msg);
			was_failing = true;
			failed++;
		} else if (was_failing) {
			fprintf(stderr, "dome record: recording again (%zu containers)\n", n);
			was_failing = false;
		}
		rounds++;
		if (count && rounds >= count)
			break;
		next.tv_sec += ctx->cfg.metrics_interval;
		wait_until(&next);
	}
	dome_recorder_stop(r);
	fprintf(stderr, "dome record: stopped after %llu rounds (%llu failed)\n",
		(unsigned long long)rounds, (unsigned long long)failed);
	return failed && failed == rounds ? EXIT_FAILED : EXIT_OK;
}
