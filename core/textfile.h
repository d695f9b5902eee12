/* Reading a file dome parses (its config, a theme, an image's /etc/passwd):
 * whole, bounded and checked before any parser sees it, so a parser never
 * works on a partial line, a value cut at a NUL, a directory, a device or an
 * endless stream. One rule for every such file. */
#ifndef DOME_TEXTFILE_H
#define DOME_TEXTFILE_H

#include <stddef.h>
#include "error.h"

/* Read the regular file at `path`, at most `max` bytes, into a malloc'd
 * NUL-terminated buffer (*len without the terminator). Refused, with a
 * message naming the file: not a regular file (directory, device, FIFO,
 * socket), larger than `max`, or holding a NUL byte. A missing file fails
 * with errno ENOENT in err->errnum. */
int dome_text_read(const char *path, size_t max, char **out, size_t *len,
		   struct dome_error *err);

/* The same for a file already open (read-only, O_NONBLOCK), e.g. one found
 * inside a container's root by dome_open_in_root; `path` names it. */
int dome_text_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
		      struct dome_error *err);

/* Check text of `len` bytes: no NUL byte and no line longer than `line_max`
 * bytes (the newline and a CR before it not counted). `origin` names it in
 * the message ("line N of ORIGIN is longer than ..."). */
int dome_text_check(const char *text, size_t len, size_t line_max, const char *origin,
		    struct dome_error *err);

#endif
