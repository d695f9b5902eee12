/* Benchmark of the audit history at scale (make bench; not part of make check).
 *
 *   bench/bench_audit [RECORDS]      (default 1000000)
 *
 * Fills a private state root with RECORDS changes in one transaction through
 * dome_audit_record_in_tx (the same insert and hash chain as dome_mutate),
 * then measures what an operator waits for: a history page (50 rows) under
 * each single filter, verifying the whole chain, SQLite's check of the file
 * that `dome history verify` runs first, and recording one more change
 * through dome_mutate. Prints each measurement beside its target; exits 1 when
 * a target is missed. */
#include "audit.h"
#include "cleanup.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static const char *const actions[] = { "create", "start", "stop", "restart", "freeze",
				       "unfreeze", "set", "autostart", "clone", "destroy" };

static int fill(struct dome_ctx *ctx, long n, int64_t *mid_ms, struct dome_error *err)
{
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		char target[16];
		snprintf(target, sizeof target, "c%03ld", i % 1000);
		/* One change in ten is run by hand as root, the rest through sudo. */
		if (i % 10 == 0)
			ctx->actor.sudo_user[0] = '\0';
		else
			snprintf(ctx->actor.sudo_user, sizeof ctx->actor.sudo_user, "user%ld", i % 7);
		snprintf(ctx->reason, sizeof ctx->reason, i % 5 ? "" : "ticket OPS-%ld", i);
		struct dome_change ch = {
			.action = actions[(i / 3) % 10], .target = target,
			.params = json_pack("{s:s}", "memory", "512M"),
			.before = json_pack("{s:s}", "memory", "256M"),
			.after = json_pack("{s:s}", "memory", "512M"),
		};
		bool failed = i % 1000 == 999;
		if (dome_audit_record_in_tx(ctx, &ch, failed ? "failed" : "ok",
					    failed ? "writing memory.max: Device or resource busy" : NULL,
					    err) < 0) {
			dome_store_rollback(ctx->store);
			return -1;
		}
		if (i == n / 2)
			*mid_ms = dome_now_ms();
	}
	ctx->actor.sudo_user[0] = '\0';
	ctx->reason[0] = '\0';
	return dome_store_commit(ctx->store, err);
}

static int failures;

static void report(const char *what, double value_ms, double target_ms)
{
	bool ok = value_ms < target_ms;
	if (!ok)
		failures++;
	printf("  %-38s %10.3f ms   target < %8.1f ms   %s\n", what, value_ms, target_ms,
	       ok ? "ok" : "MISSED");
}

/* The slowest of a few runs: a page must be fast every time. */
static int page(struct dome_ctx *ctx, const char *what, struct dome_history_filter f,
		size_t want_rows)
{
	double worst = 0;
	for (int run = 0; run < 5; run++) {
		json_t *rows;
		struct dome_error err;
		double t = now_s();
		if (dome_audit_history(ctx, &f, &rows, &err) < 0) {
			fprintf(stderr, "bench: history (%s): %s\n", what, err.msg);
			return -1;
		}
		t = (now_s() - t) * 1000;
		size_t n = json_array_size(rows);
		json_decref(rows);
		if (n != want_rows) {
			fprintf(stderr, "bench: history (%s) gave %zu rows, expected %zu\n", what, n,
				want_rows);
			return -1;
		}
		if (t > worst)
			worst = t;
	}
	report(what, worst, 10);
	return 0;
}

static int apply_nothing(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			 struct dome_error *err)
{
	(void)ctx; (void)arg; (void)err;
	ch->before = json_pack("{s:s}", "memory", "512M");
	ch->after = json_pack("{s:s}", "memory", "1G");
	return 0;
}

static int run(struct dome_ctx *ctx, long n)
{
	struct dome_error err;
	int64_t mid = 0;
	double t = now_s();
	if (fill(ctx, n, &mid, &err) < 0) {
		fprintf(stderr, "bench: filling the history: %s\n", err.msg);
		return -1;
	}
	printf("  %-38s %10.1f s    (setup, not a target)\n", "recording the records in bulk",
	       now_s() - t);

	struct dome_history_filter base = { .limit = 50 };
	struct dome_history_filter f;
	f = base;
	if (page(ctx, "page, no filter", f, 50) < 0)
		return -1;
	size_t one_in_1000 = n / 1000 < 50 ? (size_t)(n / 1000) : 50;
	f = base, f.target = "c500";
	if (page(ctx, "page, --target (1 in 1000)", f, one_in_1000) < 0)
		return -1;
	f = base, f.actor = "user3";
	if (page(ctx, "page, --actor (sudo user, 1 in 8)", f, 50) < 0)
		return -1;
	f = base, f.actor = ctx->actor.user;
	if (page(ctx, "page, --actor (the user itself)", f, 50) < 0)
		return -1;
	f = base, f.action = "destroy";
	if (page(ctx, "page, --action (1 in 10)", f, 50) < 0)
		return -1;
	f = base, f.since_ms = mid;
	if (page(ctx, "page, --since (half of them)", f, 50) < 0)
		return -1;
	f = base, f.since_ms = dome_now_ms() + 1;
	if (page(ctx, "page, --since (none yet)", f, 0) < 0)
		return -1;
	f = base, f.failed_only = true;
	if (page(ctx, "page, --failed (1 in 1000)", f, one_in_1000) < 0)
		return -1;

	int64_t checked, bad;
	char why[256];
	t = now_s();
	if (dome_audit_verify(ctx, &checked, &bad, why, sizeof why, &err) < 0) {
		fprintf(stderr, "bench: verify: %s\n", err.msg);
		return -1;
	}
	t = now_s() - t;
	if (bad != 0 || checked != n) {
		fprintf(stderr, "bench: verify found %lld records, bad %lld: %s\n", (long long)checked,
			(long long)bad, why);
		return -1;
	}
	report("verify the whole chain", t * 1000, 3000);

	/* `dome history verify` checks the file first (SQLite's quick_check). */
	char damage[256];
	t = now_s();
	if (dome_store_check(ctx->store, damage, sizeof damage, &err) < 0 || damage[0]) {
		fprintf(stderr, "bench: quick_check: %s\n", damage[0] ? damage : err.msg);
		return -1;
	}
	report("check the file (quick_check)", (now_s() - t) * 1000, 3000);

	const int runs = 200;
	t = now_s();
	for (int i = 0; i < runs; i++) {
		struct dome_change ch = { .action = "set", .target = "c001",
					  .params = json_pack("{s:s}", "memory", "1G") };
		if (dome_mutate(ctx, &ch, apply_nothing, NULL, &err) < 0) {
			fprintf(stderr, "bench: dome_mutate: %s\n", err.msg);
			return -1;
		}
	}
	report("record one change (dome_mutate)", (now_s() - t) * 1000 / runs, 1);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	if (n < 1000) {
		fprintf(stderr, "usage: bench_audit [RECORDS >= 1000]\n");
		return 2;
	}
	char tmpl[] = "/tmp/dome-bench-XXXXXX";
	char *root = mkdtemp(tmpl);
	if (!root) {
		perror("bench: mkdtemp");
		return 1;
	}
	struct dome_open_opts o = { .root = root, .config_path = "/dev/null" };
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	int rc = 1;
	if (!ctx) {
		fprintf(stderr, "bench: %s\n", err.msg);
	} else {
		printf("audit history with %ld records (state root %s):\n", n, root);
		rc = run(ctx, n) < 0 ? 1 : failures ? 1 : 0;
		dome_close(ctx);
	}
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		printf("%d target(s) missed\n", failures);
	return rc;
}
