#include "textfile.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int dome_text_check(const char *text, size_t len, size_t line_max, const char *origin,
		    struct dome_error *err)
{
	const char *nul = memchr(text, '\0', len);
	if (nul)
		return dome_invalid(err, "%s holds a NUL byte (at offset %zu); it is not a text file",
				    origin, (size_t)(nul - text));
	size_t line = 1;
	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > line_max)
			return dome_invalid(err, "line %zu of %s is longer than %zu bytes; dome reads "
					    "whole lines only", line, origin, line_max);
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int dome_text_read(const char *path, size_t max, char **out, size_t *len,
		   struct dome_error *err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open %s", path);
	return dome_text_read_fd(fd, path, max, out, len, err);
}

int dome_text_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
		      struct dome_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return dome_fail(err, errno, "cannot read %s", path);
	/* /dev/null is the empty file by convention (DOME_CONFIG=/dev/null):
	 * known by its device number, not its name. */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		char *empty = calloc(1, 1);
		if (!empty)
			return dome_fail(err, ENOMEM, "reading %s", path);
		*out = empty;
		if (len)
			*len = 0;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return dome_invalid(err, "%s is not a regular file (it is a %s)", path,
				    S_ISDIR(st.st_mode) ? "directory" : S_ISCHR(st.st_mode) ? "character device"
				    : S_ISBLK(st.st_mode) ? "block device" : S_ISFIFO(st.st_mode) ? "FIFO"
				    : S_ISSOCK(st.st_mode) ? "socket" : "special file");
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return dome_invalid(err, "%s is larger than %zu bytes", path, max);
	__cleanup_free char *buf = malloc(max + 1);
	if (!buf)
		return dome_fail(err, ENOMEM, "reading %s", path);
	size_t got = 0;
	/* Read past the size fstat gave: a file that grows meanwhile is still
	 * held to the cap. */
	while (got <= max) {
		ssize_t n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dome_fail(err, errno, "cannot read %s", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max)
		return dome_invalid(err, "%s is larger than %zu bytes", path, max);
	buf[got] = '\0';
	if (dome_text_check(buf, got, SIZE_MAX, path, err) < 0)
		return -1;
	*out = move_ptr(buf);
	if (len)
		*len = got;
	return 0;
}
