/* The lifecycle calls the console makes (core/container.h). Kept in one
 * table so every action can say plainly when one is missing. */
#include "tui.h"

const struct tui_engine tui_engine = {
	.stats = dome_container_stats_brief,
	.create = dome_container_create,
	.start = dome_container_start,
	.stop = dome_container_stop,
	.restart = dome_container_restart,
	.freeze = dome_container_freeze,
	.destroy = dome_container_destroy,
	.clone = dome_container_clone,
	.set = dome_container_set,
	.exec = dome_container_exec,
	.log_path = dome_container_log_path,
	.fit_host = dome_container_fit_host,
};
