/* Undo a recorded change: `dome rollback ID`.
 *
 * A rollback puts back the "before" state of one change, as a change of its
 * own (action "rollback", rollback_of = ID) through dome_mutate(), so it is
 * audited, refused in read-only mode, and can itself be rolled back.
 *
 * What can be undone, by the action of the change:
 *   set             the settings it changed (limits, autostart) get their
 *                   earlier values, through the same path as `dome set`, so
 *                   a running container gets the cgroup values back live;
 *   freeze/unfreeze the container is thawed / frozen again;
 *   start/stop      the container is stopped (politely) / started again;
 *   rollback        the reverse of what that rollback did.
 * Refused: destroy and image-rm (the files are gone), create and clone (undoing
 * them would destroy a container), restart (nothing to go back to), changes
 * that failed (they changed nothing) or were interrupted (what they did is
 * unknown), and anything else. A change whose target differs now from the
 * state it left is refused unless `force`, naming each difference. All
 * refusals happen before anything is recorded. */
#ifndef DOME_ROLLBACK_H
#define DOME_ROLLBACK_H

#include <stdbool.h>
#include <stdint.h>
#include "dome.h"

struct dome_rollback_result {
	int64_t id;           /* the rollback's own change record; 0 when none was written */
	char target[64];
	char what[512];       /* "memory back to 256M", "thawed", ... */
	char differed[512];   /* what had changed since (applied with force, or refused), or "" */
	bool needs_force;     /* refused only because the container changed since: the
				 caller may ask and try again with force */
};

int dome_rollback(struct dome_ctx *ctx, int64_t change_id, bool force,
		  struct dome_rollback_result *out, struct dome_error *err);

#endif
