/* Small filesystem helpers shared by the engine. */
#ifndef DOME_FSUTIL_H
#define DOME_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

/* snprintf for paths: -1 (errno ENAMETOOLONG) instead of a silently cut path. */
int dome_pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir with parents; existing directories are fine. */
int dome_mkdir_p(const char *path, mode_t mode, struct dome_error *err);
/* Remove a tree, never crossing into another filesystem (a stray mount
 * inside is an error, not a target). Missing is fine. */
int dome_rm_rf(const char *path, struct dome_error *err);
/* Write a whole file (created or truncated) with mode. */
int dome_write_file(const char *path, const char *data, size_t len, mode_t mode,
		    struct dome_error *err);
/* Read up to len-1 bytes into buf, NUL-terminated, trailing newline kept.
 * Returns bytes read or -1 with errno set. No error struct: callers decide. */
ssize_t dome_read_small(const char *path, char *buf, size_t len);
/* Copy a regular file (mode kept). */
int dome_copy_file(const char *from, const char *to, struct dome_error *err);
/* Copy a directory tree exactly: modes, owners, times, symlinks, device
 * nodes (overlay whiteouts are 0/0 character devices) and extended
 * attributes (overlay's trusted.overlay.* markers). `dst` must not exist.
 * Never follows symlinks; hard links become separate copies. */
int dome_tree_copy(const char *src, const char *dst, struct dome_error *err);

/* Open `rel` inside the tree at `root` as if `root` were /: every
 * component, symlinks (absolute ones and `..` too) included, is resolved
 * inside it (openat2 RESOLVE_IN_ROOT; magic links of /proc refused), so a
 * link in an image or a restored backup (etc -> /etc) can never make dome
 * read or write a host file. The one way dome opens a path in a
 * container's or an image's root; the files dome keeps beside a root
 * (containers/NAME/hosts) are its own and opened plainly. Returns the
 * descriptor, or -1 with errno set (ENOSYS on kernels before 5.6). */
int dome_open_in_root(const char *root, const char *rel, int flags, mode_t mode);
int dome_openat_in_root(int rootfd, const char *rel, int flags, mode_t mode);
/* "/proc/self/fd/N": what mount(2) takes to act on exactly the file an
 * in-root descriptor holds, not on whatever a path names by then. */
void dome_fd_path(int fd, char out[32]);

/* Run argv (no shell), capture stdout into a malloc'd buffer; status is
 * the exit status. Used only for fixed host tools (busybox --list-full). */
int dome_run_capture(char *const argv[], char **out, size_t *outlen, int *status,
		     struct dome_error *err);

#endif
