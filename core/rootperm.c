/* The state root's permissions (see rootperm.h): one table, used to make,
 * check and repair them. */
#include "rootperm.h"
#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *sub;    /* "" for the root itself */
	mode_t want;
	mode_t forbidden;   /* bits no one but root may have */
	bool made;          /* created by dome_rootperm_make */
	const char *why;
} dirs[] = {
	{ "", 0711, 022, false, "any host user could replace what dome keeps there" },
	{ "containers", 0700, 077, true,
	  "any host user reaches the containers' files, setuid binaries included" },
	{ "images", 0700, 077, true,
	  "any host user reaches the images' files, setuid binaries included" },
	{ "backups", 0700, 077, false, "any host user reads the backups of containers" },
};

int dome_rootperm_make(const char *root, struct dome_error *err)
{
	for (size_t i = 0; i < DOME_ARRAY_SIZE(dirs); i++) {
		if (!dirs[i].made)
			continue;
		char path[PATH_MAX];
		if (dome_pathf(path, sizeof path, "%s/%s", root, dirs[i].sub) < 0)
			return dome_invalid(err, "state root %s is too long", root);
		/* 0700 is never narrowed further by a umask. */
		if (mkdir(path, dirs[i].want) < 0 && errno != EEXIST)
			return dome_fail(err, errno, "cannot create %s", path);
	}
	return 0;
}

size_t dome_rootperm_check(const char *root, struct dome_rootperm_issue *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(dirs) && n < max; i++) {
		struct dome_rootperm_issue *is = &out[n];
		memset(is, 0, sizeof *is);
		if (dome_pathf(is->path, sizeof is->path, "%s%s%s", root, dirs[i].sub[0] ? "/" : "",
			       dirs[i].sub) < 0)
			continue;
		struct stat st;
		if (lstat(is->path, &st) < 0)
			continue; /* not made yet: made right when it is */
		is->want = dirs[i].want;
		if (!S_ISDIR(st.st_mode)) {
			snprintf(is->what, sizeof is->what, "is not a directory; move it aside");
		} else if (st.st_uid != 0 || (st.st_mode & dirs[i].forbidden)) {
			is->repairable = true;
			snprintf(is->what, sizeof is->what, "is %04o owned by uid %u (wants %04o, root): %s",
				 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				 (unsigned)dirs[i].want, dirs[i].why);
		} else {
			continue;
		}
		n++;
	}
	return n;
}

int dome_rootperm_repair(const struct dome_rootperm_issue *is, struct dome_error *err)
{
	if (!is->repairable)
		return dome_fail(err, 0, "%s %s", is->path, is->what);
	/* Through a descriptor of the directory itself, never a link. */
	__cleanup_close int fd = open(is->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open %s", is->path);
	if (fchown(fd, 0, (gid_t)-1) < 0 || fchmod(fd, is->want) < 0)
		return dome_fail(err, errno, "cannot set the owner and mode of %s", is->path);
	return 0;
}
