/* dome doctor: find, and unless asked only to look, remove what belongs to
 * this state root and to no live container. Kernel objects are this root's
 * only when they carry its id (owner.h); another root's are never touched.
 *
 * What is this root's (and nothing else is ever touched):
 *   cgroup   <cgroup_prefix>/NAME in any hierarchy, NAME a container name,
 *            with no running container NAME, when the prefix is marked as
 *            this root's (a prefix of another root is reported, skipped)
 *   mount    a mount point under <root>/containers/NAME/ of a container
 *            that is not running (its mounts live in its own namespace)
 *   veth     a host interface dm* recorded in this inventory or marked with
 *            this root's id (alias "dome ID NAME"), of no running container
 *   lease    an address lease of a container that is not running
 *   dir      <root>/containers/NAME with no inventory row
 *   row      a stopped container whose directory is gone (a destroy killed
 *            after removing the files): the row goes too
 *   tempdir  <root>/images/.NAME.PID (an image being built) whose PID is gone
 *   nat      nftables table ip dome-BRIDGE while nat = no (removed), or
 *            missing while nat = yes and bridged containers run (installed);
 *            only when the bridge is marked as this root's
 *   limits   a running container whose cgroup limits differ from the stored
 *            ones (a `set` killed between the two): the stored ones are
 *            written again
 * Reported only (nothing to remove):
 *   monitor  a running container whose monitor is gone: it keeps running;
 *            `dome stop` stops it cleanly and the next dome run after its
 *            init exits records the exit and cleans up.
 *
 * Every repair is its own audited change (action "doctor", target the
 * container, image or interface), taken under the container's lock; a
 * container another dome is working on is skipped, never waited for.
 * Pending audit records of dead processes are closed as 'interrupted' by
 * dome_open() before doctor runs. */
#ifndef DOME_DOCTOR_H
#define DOME_DOCTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "dome.h"

enum dome_doctor_outcome {
	DOME_DOCTOR_FOUND,     /* dry run: would be repaired */
	DOME_DOCTOR_REPAIRED,
	DOME_DOCTOR_FAILED,    /* note says why */
	DOME_DOCTOR_SKIPPED,   /* busy, or only reported; note says why */
};

struct dome_doctor_item {
	char kind[16];         /* cgroup mount veth nat lease dir row tempdir limits monitor */
	char name[64];         /* container, image or interface */
	char what[PATH_MAX];   /* the path, interface or address concerned */
	enum dome_doctor_outcome outcome;
	char note[512];
};

/* Scan (and repair unless dry_run). *items is malloc'd; free() it. Returns
 * -1 only when the scan itself cannot run; a repair that fails is an item
 * with outcome FAILED. */
int dome_doctor(struct dome_ctx *ctx, bool dry_run, struct dome_doctor_item **items, size_t *n,
		struct dome_error *err);

const char *dome_doctor_outcome_name(enum dome_doctor_outcome o);
json_t *dome_doctor_item_json(const struct dome_doctor_item *it);

#endif
