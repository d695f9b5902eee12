#include "fsutil.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

extern char **environ;

int dome_openat_in_root(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? (uint64_t)mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*rel == '/')
		rel++;
	for (;;) {
		long fd = syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			return (int)fd; /* EAGAIN: a rename raced the lookup; look again */
	}
}

int dome_open_in_root(const char *root, const char *rel, int flags, mode_t mode)
{
	__cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	return dome_openat_in_root(rootfd, rel, flags, mode);
}

void dome_fd_path(int fd, char out[32])
{
	snprintf(out, 32, "/proc/self/fd/%d", fd);
}

int dome_pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int dome_mkdir_p(const char *path, mode_t mode, struct dome_error *err)
{
	char buf[PATH_MAX];
	if (strlcpy(buf, path, sizeof buf) >= sizeof buf)
		return dome_invalid(err, "path too long: %s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return dome_fail(err, errno, "cannot create directory %s", buf);
			*p = c;
			if (c == '\0')
				return 0;
		}
	}
}

static dev_t rm_dev;
static int rm_errno;
static char rm_failed[PATH_MAX];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_NS && sb->st_dev != rm_dev) {
		rm_errno = EXDEV; /* a mount inside: leave it, say so */
		strlcpy(rm_failed, path, sizeof rm_failed);
		return 1;
	}
	int rc = (flag == FTW_DP || flag == FTW_D) ? rmdir(path) : unlink(path);
	if (rc < 0 && errno != ENOENT) {
		rm_errno = errno;
		strlcpy(rm_failed, path, sizeof rm_failed);
		return 1;
	}
	return 0;
}

int dome_rm_rf(const char *path, struct dome_error *err)
{
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot remove %s", path);
	rm_dev = sb.st_dev;
	rm_errno = 0;
	if (nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 && rm_errno)
		return dome_fail(err, rm_errno, "cannot remove %s", rm_failed);
	return 0;
}

int dome_write_file(const char *path, const char *data, size_t len, mode_t mode,
		    struct dome_error *err)
{
	__cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return dome_fail(err, errno, "cannot write %s", path);
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dome_fail(err, errno, "cannot write %s", path);
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t dome_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t total = 0, n;
	while ((size_t)total < len - 1 && (n = read(fd, buf + total, len - 1 - (size_t)total)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/* Copy the open regular file `in` (read as `from`) to `to`. */
static int copy_fd(int in, const char *from, const char *to, struct dome_error *err)
{
	struct stat sb;
	if (fstat(in, &sb) < 0)
		return dome_fail(err, errno, "cannot read %s", from);
	__cleanup_close int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				       sb.st_mode & 07777);
	if (out < 0)
		return dome_fail(err, errno, "cannot write %s", to);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return dome_fail(err, errno, "cannot write %s", to);
			off += w;
		}
	}
	if (n < 0)
		return dome_fail(err, errno, "cannot read %s", from);
	if (fchmod(out, sb.st_mode & 07777) < 0)
		return dome_fail(err, errno, "cannot set the mode of %s", to);
	return 0;
}

int dome_copy_file(const char *from, const char *to, struct dome_error *err)
{
	__cleanup_close int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return dome_fail(err, errno, "cannot read %s", from);
	return copy_fd(in, from, to, err);
}

int dome_run_capture(char *const argv[], char **out, size_t *outlen, int *status,
		     struct dome_error *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return dome_fail(err, errno, "running %s", argv[0]);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return dome_fail(err, rc, "cannot run %s", argv[0]);
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(pipefd[0], buf + len, cap - len - 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (cap - len < 2) {
			char *grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	close(pipefd[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return dome_fail(err, ENOMEM, "running %s", argv[0]);
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

static int copy_xattrs(const char *from, const char *to, struct dome_error *err)
{
	char names[4096];
	ssize_t n = llistxattr(from, names, sizeof names);
	if (n < 0)
		return errno == ENOTSUP ? 0 : dome_fail(err, errno, "cannot list attributes of %s", from);
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		char value[4096];
		ssize_t v = lgetxattr(from, name, value, sizeof value);
		if (v < 0)
			return dome_fail(err, errno, "cannot read attribute %s of %s", name, from);
		if (lsetxattr(to, name, value, (size_t)v, 0) < 0)
			return dome_fail(err, errno, "cannot set attribute %s on %s", name, to);
	}
	return 0;
}

static int copy_meta(const char *from, const char *to, const struct stat *sb, struct dome_error *err)
{
	if (lchown(to, sb->st_uid, sb->st_gid) < 0)
		return dome_fail(err, errno, "cannot set the owner of %s", to);
	if (!S_ISLNK(sb->st_mode) && chmod(to, sb->st_mode & 07777) < 0)
		return dome_fail(err, errno, "cannot set the mode of %s", to);
	if (copy_xattrs(from, to, err) < 0)
		return -1;
	struct timespec times[2] = { sb->st_atim, sb->st_mtim };
	utimensat(AT_FDCWD, to, times, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_entry(const char *from, const char *to, struct dome_error *err);

static int copy_dir(const char *from, const char *to, const struct stat *sb, struct dome_error *err)
{
	if (mkdir(to, 0700) < 0)
		return dome_fail(err, errno, "cannot create %s", to);
	int dfd = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	__cleanup_closedir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return dome_fail(err, e, "cannot read %s", from);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char a[PATH_MAX], b[PATH_MAX];
		if (dome_pathf(a, sizeof a, "%s/%s", from, e->d_name) < 0 ||
		    dome_pathf(b, sizeof b, "%s/%s", to, e->d_name) < 0)
			return dome_fail(err, ENAMETOOLONG, "copying %s", from);
		if (copy_entry(a, b, err) < 0)
			return -1;
	}
	/* Metadata last, so a read-only directory can still be filled. */
	return copy_meta(from, to, sb, err);
}

static int copy_entry(const char *from, const char *to, struct dome_error *err)
{
	struct stat sb;
	if (lstat(from, &sb) < 0)
		return dome_fail(err, errno, "cannot read %s", from);
	switch (sb.st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_dir(from, to, &sb, err);
	case S_IFREG: {
		/* The very file lstat saw, never one a link leads to. */
		__cleanup_close int in = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat now;
		if (in < 0 || fstat(in, &now) < 0)
			return dome_fail(err, errno, "cannot read %s", from);
		if (!S_ISREG(now.st_mode) || now.st_ino != sb.st_ino || now.st_dev != sb.st_dev)
			return dome_fail(err, EAGAIN, "%s changed while it was copied", from);
		if (copy_fd(in, from, to, err) < 0)
			return -1;
		break;
	}
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlink(from, target, sizeof target - 1);
		if (n < 0)
			return dome_fail(err, errno, "cannot read the link %s", from);
		target[n] = '\0';
		if (symlink(target, to) < 0)
			return dome_fail(err, errno, "cannot create the link %s", to);
		break;
	}
	case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		if (mknod(to, sb.st_mode, sb.st_rdev) < 0)
			return dome_fail(err, errno, "cannot create the node %s", to);
		break;
	default:
		return dome_fail(err, 0, "%s has an unknown file type", from);
	}
	return copy_meta(from, to, &sb, err);
}

int dome_tree_copy(const char *src, const char *dst, struct dome_error *err)
{
	if (access(dst, F_OK) == 0)
		return dome_fail(err, EEXIST, "cannot copy to %s", dst);
	return copy_entry(src, dst, err);
}
