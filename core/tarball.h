/* Tar archives with libarchive (named tarball.h: <archive.h> is libarchive's own header,
 * which -Icore would otherwise shadow): safe extraction of untrusted root
 * filesystems and backups, and creation from an overlay's layers.
 *
 * Extraction refuses the whole archive (the caller removes what was written)
 * at the first member that could write outside the target directory:
 * absolute paths, `..` components, hard links whose target is outside or
 * reached through a symlink, members written through (or replacing) a
 * symlink, and sockets. Symlinks are data and are kept as they are, whatever
 * their target (`../../../../etc/shadow` included): nothing is ever written
 * or read through one, and they resolve inside the container's root when it
 * runs (dome_open_in_root). Device nodes are left out (counted): a container
 * gets its own /dev, and a node in the state root would open a host device;
 * the one kept is overlay's whiteout (character device 0/0). Setuid bits,
 * owners (numeric) and modes are kept: they are files of the container's,
 * reachable on the host by root only (the state root's containers/ and
 * images/ are 0700). */
#ifndef DOME_TARBALL_H
#define DOME_TARBALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

/* "sha256:" + 64 hex digits + NUL */
#define DOME_DIGEST_LEN 72

/* SHA-256 of a file's bytes as "sha256:<hex>". */
int dome_sha256_file(const char *path, char out[DOME_DIGEST_LEN], struct dome_error *err);

struct dome_extract_opts {
	/* Keep trusted.overlay.opaque (a backed-up upper layer needs its
	 * opaque markers); other overlay xattrs are always dropped. */
	bool keep_overlay_xattrs;
	/* When set, the count of device nodes left out is added here. */
	size_t *dropped_devices;
};

/* Extract `file` (tar, optionally gzip/xz/zstd/bzip2 compressed) into the
 * existing directory `dir`. On failure `dir` may hold part of the archive:
 * the caller removes it. */
int dome_archive_extract(const char *file, const char *dir, const struct dome_extract_opts *opts,
			 struct dome_error *err);

/* Read the first member of an archive, which must be a regular file called
 * `name`, into a malloc'd NUL-terminated buffer (at most `max` bytes). */
int dome_archive_read_first(const char *file, const char *name, size_t max, char **out,
			    struct dome_error *err);

/* Writing: the archive goes to a temporary name beside `path` and is renamed
 * to `path` by dome_archive_finish, so `path` never holds half an archive.
 * The compression follows the name: .tar, .tar.gz/.tgz, .tar.xz, .tar.zst. */
struct dome_archive_writer;

struct dome_archive_writer *dome_archive_create(const char *path, struct dome_error *err);
/* Add a regular file member from memory. */
int dome_archive_add_data(struct dome_archive_writer *w, const char *name, const void *data,
			  size_t len, mode_t mode, struct dome_error *err);
/* Add the tree an overlay shows for `lower` (may be NULL) under `upper`
 * (may be NULL), members named `prefix` + relative path. Whiteouts (char
 * device 0/0) hide lower files, an opaque upper directory
 * (trusted.overlay.opaque=y) hides the lower one, and overlay xattrs are
 * left out. With `raw_upper` the upper tree is archived as it is instead
 * (whiteouts and opaque markers kept; lower must be NULL): a backup. */
int dome_archive_add_tree(struct dome_archive_writer *w, const char *prefix, const char *lower,
			  const char *upper, bool raw_upper, struct dome_error *err);
/* The same, with the directories `bare` names (relative paths, NULL-ended)
 * archived as empty directories: their contents are left out. */
int dome_archive_add_tree_bare(struct dome_archive_writer *w, const char *prefix,
			       const char *lower, const char *upper, bool raw_upper,
			       const char *const *bare, struct dome_error *err);
/* Close, fsync and rename into place; frees `w` either way. */
int dome_archive_finish(struct dome_archive_writer *w, struct dome_error *err);
/* Drop the temporary file; frees `w`. NULL is fine. */
void dome_archive_abort(struct dome_archive_writer *w);

/* Does the name end in one of the archive suffixes dome writes? */
bool dome_archive_name_ok(const char *path);

#endif
