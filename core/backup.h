/* Backups of containers and their restore.
 *
 * A backup is a tar archive (gzip) whose first member is dome-backup.json
 * (format, container settings and limits, image name and digest, time) and
 * whose other members are the container's upper layer under upper/, kept as
 * the overlay stores it (whiteouts and opaque markers included). It is
 * written to a temporary name and renamed when complete; a running
 * container is frozen while its files are read and thawed after, also when
 * the copy fails. */
#ifndef DOME_BACKUP_H
#define DOME_BACKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dome.h"
#include "inventory.h"

#define DOME_BACKUP_MANIFEST "dome-backup.json"

/* <root>/backups */
int dome_backup_default_dir(const struct dome_ctx *ctx, char *out, size_t len);

/* Back up container `name` into `dir` (NULL: the default dir); the file's
 * path goes to `path` (audited). */
int dome_backup_create(struct dome_ctx *ctx, const char *name, const char *dir, char *path,
		       size_t pathlen, struct dome_error *err);

struct dome_backup_info {
	char file[PATH_MAX];
	char container[64];
	char image[64];
	char digest[72];
	int64_t created_at;     /* ms */
	uint64_t size_bytes;    /* of the archive file */
};

/* Backups in `dir` (NULL: the default dir), oldest first; files that are not
 * dome backups are left out. A missing dir is an empty list. */
int dome_backup_list(struct dome_ctx *ctx, const char *dir, struct dome_backup_info **out,
		     size_t *n, struct dome_error *err);

/* Recreate a container from a backup, as `as` or under its own name, with
 * every setting the backup holds; the name used goes to `name` (audited).
 * Refused when the image is missing or differs, or the name is taken, and
 * when a setting would run it with less isolation than a new container
 * (dome_container_less_isolated) unless `allow_less_isolation`. */
int dome_backup_restore(struct dome_ctx *ctx, const char *file, const char *as,
			bool allow_less_isolation, char *name, size_t namelen,
			struct dome_error *err);
/* What restoring `file` would lower (as dome_container_less_isolated):
 * 1 with `why` filled, 0 when nothing, -1 when it is not a backup. For a
 * caller that asks before it restores. */
int dome_backup_less_isolated(const char *file, char *why, size_t len, struct dome_error *err);

/* Freeze a running container for a consistent copy of its files.
 * *thaw says whether dome_copy_thaw must thaw it (not when it was frozen
 * by someone already, nor when it is not running). */
int dome_copy_freeze(struct dome_ctx *ctx, const struct dome_container *c, bool *thaw,
		     struct dome_error *err);
void dome_copy_thaw(struct dome_ctx *ctx, const struct dome_container *c, bool thaw);

#endif
