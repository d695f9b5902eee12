/* Autostart in order with delays; stop in reverse (see autostart.h). */
#include "autostart.h"
#include "audit.h"
#include "cleanup.h"
#include "container.h"
#include "inventory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int by_order_then_name(const void *a, const void *b)
{
	const struct dome_container *x = a, *y = b;
	if (x->autostart_order != y->autostart_order)
		return x->autostart_order < y->autostart_order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void sleep_seconds(int s)
{
	struct timespec left = { .tv_sec = s, .tv_nsec = 0 };
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static bool is_up(const struct dome_container *c)
{
	return strcmp(c->state, "running") == 0 || strcmp(c->state, "frozen") == 0;
}

static int start_one(struct dome_ctx *ctx, const struct dome_container *c, bool last,
		     dome_autostart_report_fn report, void *data)
{
	struct dome_error err = { 0 };
	if (is_up(c)) {
		report(c->name, DOME_AUTOSTART_ALREADY, NULL, data);
		return 0;
	}
	if (dome_container_start(ctx, c->name, &err) < 0) {
		report(c->name, DOME_AUTOSTART_FAILED, &err, data);
		return 1;
	}
	report(c->name, DOME_AUTOSTART_DONE, NULL, data);
	/* The delay lets this one come up before the next; none after the last. */
	if (!last && c->autostart_delay > 0)
		sleep_seconds(c->autostart_delay);
	return 0;
}

static int stop_one(struct dome_ctx *ctx, const struct dome_container *c,
		    dome_autostart_report_fn report, void *data)
{
	struct dome_error err = { 0 };
	if (!is_up(c) && strcmp(c->state, "stopping") != 0) {
		report(c->name, DOME_AUTOSTART_ALREADY, NULL, data);
		return 0;
	}
	if (dome_container_stop(ctx, c->name, -1, false, &err) < 0) {
		report(c->name, DOME_AUTOSTART_FAILED, &err, data);
		return 1;
	}
	report(c->name, DOME_AUTOSTART_DONE, NULL, data);
	return 0;
}

int dome_autostart_run(struct dome_ctx *ctx, bool stop, dome_autostart_report_fn report,
		       void *data, int *failed, struct dome_error *err)
{
	*failed = 0;
	if (dome_check_writable(ctx, err) < 0)
		return -1;
	/* After a reboot the recorded runs are gone: settle them first, so
	 * nothing is skipped as "running" and no stale pid is signalled. */
	if (dome_reconcile(ctx, err) < 0)
		return -1;
	__cleanup_free struct dome_container *all = NULL;
	size_t n;
	if (dome_inv_list(ctx->store, &all, &n, err) < 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].autostart)
			all[k++] = all[i];
	qsort(all, k, sizeof *all, by_order_then_name);
	for (size_t i = 0; i < k; i++) {
		if (stop)
			*failed += stop_one(ctx, &all[k - 1 - i], report, data);
		else
			*failed += start_one(ctx, &all[i], i + 1 == k, report, data);
	}
	return 0;
}
