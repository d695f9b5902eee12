/* `dome check`: the kernel features dome needs, looked at without changing
 * anything (no interface, mount or cgroup is made), like lxc-checkconfig. */
#ifndef DOME_CHECK_H
#define DOME_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "error.h"

struct dome_check_item {
	const char *group;        /* "namespaces" "cgroups" "filesystems" "network" "state root" */
	char name[48];            /* "pid namespace", "memory controller", ... */
	bool ok;
	bool required;            /* dome cannot run containers without it */
	char detail[256];         /* how it was found, or why it is missing */
	const char *why;          /* what it is for, what fails without it */
};

struct dome_check_report {
	char layout[16];          /* "v1" "v2" "hybrid", "" when undetectable */
	struct dome_check_item *items;
	size_t n;
	bool all_required_ok;
};

/* Look at every feature, and at the permissions of the state root
 * `state_root` (rootperm.h; NULL: not looked at). Fails only when memory
 * runs out: a missing feature is an item with ok = false. */
int dome_check_run(struct dome_check_report *rep, const char *state_root, struct dome_error *err);
void dome_check_free(struct dome_check_report *rep);

/* {"layout":..., "ok":..., "features":[{"group","name","status","required",
 *  "detail","why"}]} */
json_t *dome_check_json(const struct dome_check_report *rep);

#endif
