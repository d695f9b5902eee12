/* The state root's permissions: what keeps a container's and an image's
 * files from every host user but root.
 *
 * The root itself is 0711 (the `dome` group reaches dome.db without listing
 * the tree) and writable by root only. containers/, images/ and backups/
 * are 0700, owned by root: a setuid binary or a secret inside a container's
 * upper layer, an image or a backup cannot be reached (let alone run)
 * through the host path by anyone else. The directories inside them keep
 * the modes the containers see (an upper dir is the container's /, 0755):
 * the container's own view is unchanged, and overlayfs reaches its layers
 * as the root that mounted it.
 *
 * Made so by dome_rootperm_make (every writable dome run), reported by
 * `dome check`, repaired by `dome doctor`. */
#ifndef DOME_ROOTPERM_H
#define DOME_ROOTPERM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

struct dome_rootperm_issue {
	char path[PATH_MAX];
	char what[256];     /* "is 0755 (wants 0700): any host user reaches ..." */
	mode_t want;        /* the mode a repair sets */
	bool repairable;    /* a directory of the wrong mode or owner */
};

/* Create containers/ and images/ under `root` (which exists) as 0700. */
int dome_rootperm_make(const char *root, struct dome_error *err);

/* Look at the root and its private directories; up to `max` issues go to
 * `out`. Returns how many were found (missing directories are fine). */
size_t dome_rootperm_check(const char *root, struct dome_rootperm_issue *out, size_t max);
#define DOME_ROOTPERM_MAX 4

/* Give the directory root as owner and the wanted mode. */
int dome_rootperm_repair(const struct dome_rootperm_issue *is, struct dome_error *err);

#endif
