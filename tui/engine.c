/* The lifecycle calls the console makes (core/container.h). Kept in one
 * table so every action can say plainly when one is missing. */
#include "tui.h"

const struct tui_engine tui_engine = {
	.stats = NULL,
	.create = NULL,
	.start = NULL,
	.stop = NULL,
	.restart = NULL,
	.freeze = NULL,
	.destroy = NULL,
	.set = NULL,
	.exec = NULL,
	.log_path = NULL,
};
