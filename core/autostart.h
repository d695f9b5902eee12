/* Autostart: what `dome autostart` runs at boot (dome-autostart.service).
 *
 * Start: reconcile the inventory first (after a reboot every recorded run is
 * gone, so all become stopped), then start each container with autostart on
 * in ascending autostart_order, then name, waiting its autostart_delay
 * seconds after starting it. A failure is reported and the rest go on.
 * Stop: the same containers in the reverse order. Every start and stop is
 * an ordinary audited change. */
#ifndef DOME_AUTOSTART_H
#define DOME_AUTOSTART_H

#include <stdbool.h>
#include "dome.h"

enum dome_autostart_outcome {
	DOME_AUTOSTART_DONE,     /* started / stopped */
	DOME_AUTOSTART_ALREADY,  /* was running / was not running */
	DOME_AUTOSTART_FAILED,
};

/* Called once per container, in order; `err` is set for FAILED. */
typedef void (*dome_autostart_report_fn)(const char *name, enum dome_autostart_outcome outcome,
					 const struct dome_error *err, void *data);

/* Returns 0 when it went through the list (*failed counts the containers
 * that failed), -1 when the list itself could not be read. */
int dome_autostart_run(struct dome_ctx *ctx, bool stop, dome_autostart_report_fn report,
		       void *data, int *failed, struct dome_error *err);

#endif
