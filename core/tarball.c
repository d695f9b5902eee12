/* Tar archives: safe extraction and creation from overlay layers. */
#include "tarball.h"
#include "cleanup.h"
#include "dynlib.h"
#include "fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OVERLAY_XATTR_PREFIX "trusted.overlay."

/* ------------------------------------------------------ loading libarchive
 *
 * libarchive is loaded with dlopen when an archive is first read or written,
 * not linked: it pulls in libxml2, ICU, libstdc++ and seven compressors,
 * whose dynamic linking cost every dome process ~2 ms at exec (measured:
 * bench/README.md), though only image import/export, commit and backups use
 * them. (systemd loads its optional libraries the same way.) Every libarchive
 * function used here is called through `ar.`, typed from libarchive's own
 * header, so the compiler still checks each call. The soname has been
 * libarchive.so.13 since libarchive 3.0 (2011). */
#define LIBARCHIVE_SONAME "libarchive.so.13"
#if ARCHIVE_VERSION_NUMBER < 3000000
#error "libarchive 3 (soname 13) is needed"
#endif

#define LIBARCHIVE_FUNCS(X) \
	X(archive_entry_copy_hardlink) \
	X(archive_entry_copy_pathname) \
	X(archive_entry_copy_sourcepath) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_hardlink) \
	X(archive_entry_linkify) \
	X(archive_entry_linkresolver_free) \
	X(archive_entry_linkresolver_new) \
	X(archive_entry_linkresolver_set_strategy) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_rdev) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_mtime) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_size) \
	X(archive_entry_symlink) \
	X(archive_entry_xattr_add_entry) \
	X(archive_entry_xattr_clear) \
	X(archive_entry_xattr_next) \
	X(archive_entry_xattr_reset) \
	X(archive_errno) \
	X(archive_error_string) \
	X(archive_format) \
	X(archive_read_data) \
	X(archive_read_data_block) \
	X(archive_read_disk_entry_from_file) \
	X(archive_read_disk_new) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open_filename) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_format_tar) \
	X(archive_write_add_filter) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_data_block) \
	X(archive_write_disk_new) \
	X(archive_write_disk_set_options) \
	X(archive_write_finish_entry) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open_fd) \
	X(archive_write_set_format_pax_restricted)

static struct {
#define X(f) __typeof__(f) *f;
	LIBARCHIVE_FUNCS(X)
#undef X
} ar;
static struct dome_dynlib ar_lib = DOME_DYNLIB_INIT(LIBARCHIVE_SONAME);

/* Load libarchive once per process; fails with a message naming the package. */
static int ar_ready(struct dome_error *err)
{
#define X(f) { #f, (void **)&ar.f },
	static const struct dome_dynsym syms[] = { LIBARCHIVE_FUNCS(X) };
#undef X
	if (dome_dynlib_load(&ar_lib, syms, DOME_ARRAY_SIZE(syms)) < 0)
		return dome_fail(err, ENOENT, "cannot load libarchive (Debian package libarchive13): %s",
				 ar_lib.error);
	return 0;
}

int dome_sha256_file(const char *path, char out[DOME_DIGEST_LEN], struct dome_error *err)
{
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open %s", path);
	SHA256_CTX h;
	SHA256Init(&h);
	static uint8_t buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		SHA256Update(&h, buf, (size_t)n);
	if (n < 0)
		return dome_fail(err, errno, "cannot read %s", path);
	char hex[SHA256_DIGEST_STRING_LENGTH];
	SHA256End(&h, hex);
	snprintf(out, DOME_DIGEST_LEN, "sha256:%s", hex);
	return 0;
}

/* ------------------------------------------------------------ extraction */

static void archive_readp(struct archive **a)
{
	if (*a)
		ar.archive_read_free(*a);
}
static void archive_writep(struct archive **a)
{
	if (*a)
		ar.archive_write_free(*a);
}
#define __cleanup_archive_read __attribute__((cleanup(archive_readp)))
#define __cleanup_archive_write __attribute__((cleanup(archive_writep)))

static struct archive *open_reader(const char *file, struct dome_error *err)
{
	if (ar_ready(err) < 0)
		return NULL;
	struct archive *a = ar.archive_read_new();
	if (!a) {
		dome_fail(err, ENOMEM, "reading %s", file);
		return NULL;
	}
	ar.archive_read_support_filter_all(a);
	ar.archive_read_support_format_tar(a);
	/* A regular file only (core/textfile.h's rule): a directory, a device
	 * or a FIFO is refused, never read until it ends. Checked on an open
	 * descriptor, which libarchive then reads through /proc/self/fd. */
	__cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		dome_fail(err, errno, "cannot open %s", file);
		ar.archive_read_free(a);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		dome_invalid(err, "%s is not a regular file: it cannot be a tar archive", file);
		ar.archive_read_free(a);
		return NULL;
	}
	char via[64];
	snprintf(via, sizeof via, "/proc/self/fd/%d", fd);
	if (ar.archive_read_open_filename(a, via, 1 << 16) != ARCHIVE_OK) {
		dome_fail(err, ar.archive_errno(a) > 0 ? ar.archive_errno(a) : 0, "cannot read %s as a tar archive: %s",
			  file, ar.archive_error_string(a));
		ar.archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Strip leading "./" and check the name is relative and has no "..".
 * Returns the clean name (pointing into `name`), "" for the root itself, or
 * NULL after filling err. */
static const char *clean_member_name(const char *what, const char *name, struct dome_error *err)
{
	if (!name || !name[0]) {
		dome_fail(err, 0, "a member has no %s", what);
		return NULL;
	}
	if (name[0] == '/') {
		dome_fail(err, 0, "member '%.200s' has an absolute %s", name, what);
		return NULL;
	}
	while (name[0] == '.' && name[1] == '/')
		for (name += 2; *name == '/'; name++)
			;
	if (strcmp(name, ".") == 0)
		return "";
	for (const char *p = name; *p;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			dome_fail(err, 0, "member '%.200s' has a '..' component in its %s", name, what);
			return NULL;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	return name;
}

/* Refuse when a directory on the way to `rel` (relative to the current
 * directory, the extraction root) is a symlink: writing there would land
 * wherever the link points. `last` also checks the final component. */
static int check_no_symlink_on_path(const char *rel, bool last, const char *member,
				    struct dome_error *err)
{
	char path[PATH_MAX];
	if (strlcpy(path, rel, sizeof path) >= sizeof path)
		return dome_fail(err, ENAMETOOLONG, "member '%.200s'", member);
	for (char *p = path;;) {
		char *slash = strchr(p, '/');
		if (!slash && !last)
			return 0;
		if (slash)
			*slash = '\0';
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return dome_fail(err, 0, "member '%.200s' would be written through the symlink '%.200s'",
					 member, path);
		if (!slash)
			return 0;
		*slash = '/';
		p = slash + 1;
	}
}

/* Overlay's own xattrs never leave or enter a tree, except the opaque
 * marker of a raw upper layer (a backup): origin, impure, uuid and the like
 * describe the filesystem they were made on and would mislead another. */
static void drop_overlay_xattrs(struct archive_entry *e, bool keep_opaque)
{
	struct xa {
		char *name;
		void *value;
		size_t size;
	} keep[64];
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;
	if (ar.archive_entry_xattr_reset(e) == 0)
		return;
	while (ar.archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK && n < DOME_ARRAY_SIZE(keep)) {
		if (strncmp(name, OVERLAY_XATTR_PREFIX, strlen(OVERLAY_XATTR_PREFIX)) == 0 &&
		    !(keep_opaque && strcmp(name, OVERLAY_XATTR_PREFIX "opaque") == 0))
			continue;
		keep[n].name = strdup(name);
		keep[n].value = malloc(size ? size : 1);
		if (keep[n].value)
			memcpy(keep[n].value, value, size);
		keep[n].size = size;
		n++;
	}
	ar.archive_entry_xattr_clear(e);
	for (size_t i = 0; i < n; i++) {
		if (keep[i].name && keep[i].value)
			ar.archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
		free(keep[i].name);
		free(keep[i].value);
	}
}

/* 1: extract it, 0: skip it (the root directory, a device node), -1: refuse
 * the archive. */
static int check_member(struct archive_entry *e, const struct dome_extract_opts *opts,
			struct dome_error *err)
{
	const char *name = clean_member_name("path", ar.archive_entry_pathname(e), err);
	if (!name)
		return -1;
	if (!name[0])
		return 0;
	char clean[PATH_MAX];
	if (strlcpy(clean, name, sizeof clean) >= sizeof clean)
		return dome_fail(err, ENAMETOOLONG, "a member name is too long");
	ar.archive_entry_copy_pathname(e, clean);
	if (check_no_symlink_on_path(clean, false, clean, err) < 0)
		return -1;
	struct stat st;
	if (ar.archive_entry_filetype(e) != AE_IFLNK && lstat(clean, &st) == 0 && S_ISLNK(st.st_mode))
		return dome_fail(err, 0, "member '%.200s' would replace a symlink written before it", clean);
	const char *hard = ar.archive_entry_hardlink(e);
	if (hard) {
		const char *target = clean_member_name("hard link target", hard, err);
		if (!target)
			return -1;
		if (!target[0])
			return dome_fail(err, 0, "member '%.200s' is a hard link to the root", clean);
		char t[PATH_MAX];
		if (strlcpy(t, target, sizeof t) >= sizeof t)
			return dome_fail(err, ENAMETOOLONG, "hard link target of '%.200s'", clean);
		if (check_no_symlink_on_path(t, false, clean, err) < 0)
			return -1;
		if (lstat(t, &st) < 0)
			return dome_fail(err, 0, "member '%.200s' is a hard link to '%.200s', which is not in "
					 "the archive before it", clean, t);
		if (S_ISDIR(st.st_mode))
			return dome_fail(err, 0, "member '%.200s' is a hard link to a directory", clean);
		ar.archive_entry_copy_hardlink(e, t);
		return 1;
	}
	switch (ar.archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFIFO:
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		if (ar.archive_entry_filetype(e) == AE_IFCHR && ar.archive_entry_rdev(e) == makedev(0, 0))
			break; /* an overlay whiteout */
		if (opts && opts->dropped_devices)
			(*opts->dropped_devices)++;
		return 0;
	case AE_IFLNK: {
		/* Kept as it is: links are data (tarball.h). */
		const char *target = ar.archive_entry_symlink(e);
		if (!target || !target[0])
			return dome_fail(err, 0, "symlink '%.200s' has no target", clean);
		break;
	}
	default:
		return dome_fail(err, 0, "member '%.200s' is a socket or of an unknown type", clean);
	}
	drop_overlay_xattrs(e, opts && opts->keep_overlay_xattrs);
	return 1;
}

static int copy_data(struct archive *in, struct archive *out, const char *name,
		     struct dome_error *err)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int r = ar.archive_read_data_block(in, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK)
			return dome_fail(err, 0, "reading member '%.200s': %s", name, ar.archive_error_string(in));
		if (ar.archive_write_data_block(out, buf, size, offset) != ARCHIVE_OK)
			return dome_fail(err, ar.archive_errno(out) > 0 ? ar.archive_errno(out) : 0,
					 "writing '%.200s': %s", name, ar.archive_error_string(out));
	}
}

static int extract_all(struct archive *in, struct archive *disk, const struct dome_extract_opts *opts,
		       struct dome_error *err)
{
	struct archive_entry *e;
	int r;
	while ((r = ar.archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		int ok = check_member(e, opts, err);
		if (ok < 0)
			return -1;
		if (ok == 0)
			continue;
		const char *name = ar.archive_entry_pathname(e);
		if (ar.archive_write_header(disk, e) != ARCHIVE_OK)
			return dome_fail(err, ar.archive_errno(disk) > 0 ? ar.archive_errno(disk) : 0,
					 "cannot extract '%.200s': %s", name, ar.archive_error_string(disk));
		if (ar.archive_entry_size(e) > 0 && copy_data(in, disk, name, err) < 0)
			return -1;
		if (ar.archive_write_finish_entry(disk) != ARCHIVE_OK)
			return dome_fail(err, 0, "cannot finish '%.200s': %s", name,
					 ar.archive_error_string(disk));
	}
	if (r != ARCHIVE_EOF)
		return dome_fail(err, 0, "the archive is damaged: %s", ar.archive_error_string(in));
	/* Directory modes and times are set at close. */
	if (ar.archive_write_close(disk) != ARCHIVE_OK)
		return dome_fail(err, 0, "finishing the extraction: %s", ar.archive_error_string(disk));
	return 0;
}

int dome_archive_extract(const char *file, const char *dir, const struct dome_extract_opts *opts,
			 struct dome_error *err)
{
	char root[PATH_MAX];
	if (!realpath(dir, root))
		return dome_fail(err, errno, "cannot resolve %s", dir);
	__cleanup_archive_read struct archive *in = open_reader(file, err);
	if (!in)
		return -1;
	__cleanup_archive_write struct archive *disk = ar.archive_write_disk_new();
	if (!disk)
		return dome_fail(err, ENOMEM, "extracting %s", file);
	/* No name lookup: owners stay the archive's numeric ids, never the
	 * host's idea of what "messagebus" is. */
	ar.archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
					     ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
					     ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
					     ARCHIVE_EXTRACT_SECURE_SYMLINKS |
					     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	/* libarchive has no directory-relative extraction: work from inside
	 * the root, so members stay relative and SECURE_NOABSOLUTEPATHS holds.
	 * dome is single-threaded; the working directory is put back. */
	__cleanup_close int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return dome_fail(err, errno, "cannot open the working directory");
	if (chdir(root) < 0)
		return dome_fail(err, errno, "cannot enter %s", root);
	int rc = extract_all(in, disk, opts, err);
	if (fchdir(cwd) < 0 && rc == 0)
		rc = dome_fail(err, errno, "cannot return to the working directory");
	if (rc < 0)
		dome_error_prefix(err, "%s", file);
	return rc;
}

int dome_archive_read_first(const char *file, const char *name, size_t max, char **out,
			    struct dome_error *err)
{
	__cleanup_archive_read struct archive *in = open_reader(file, err);
	if (!in)
		return -1;
	struct archive_entry *e;
	if (ar.archive_read_next_header(in, &e) != ARCHIVE_OK || !ar.archive_entry_pathname(e) ||
	    strcmp(ar.archive_entry_pathname(e), name) != 0 || ar.archive_entry_filetype(e) != AE_IFREG)
		return dome_fail(err, 0, "%s does not begin with %s: it is not a dome backup", file, name);
	la_int64_t size = ar.archive_entry_size(e);
	if (size < 0 || (uint64_t)size >= max)
		return dome_fail(err, 0, "%s: %s is larger than %zu bytes", file, name, max);
	__cleanup_free char *buf = malloc((size_t)size + 1);
	if (!buf)
		return dome_fail(err, ENOMEM, "reading %s", file);
	la_ssize_t got = ar.archive_read_data(in, buf, (size_t)size);
	if (got != size)
		return dome_fail(err, 0, "%s: cannot read %s: %s", file, name, ar.archive_error_string(in));
	buf[size] = '\0';
	if (memchr(buf, '\0', (size_t)size))
		return dome_fail(err, 0, "%s: %s holds a NUL byte: it is not a dome backup", file, name);
	*out = move_ptr(buf);
	return 0;
}

/* -------------------------------------------------------------- creation */

struct dome_archive_writer {
	struct archive *out;
	struct archive *disk;   /* reads metadata of files on disk */
	struct archive_entry_linkresolver *links;
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;
};

static const struct {
	const char *suffix;
	int filter;
} suffixes[] = {
	{ ".tar", ARCHIVE_FILTER_NONE },   { ".tar.gz", ARCHIVE_FILTER_GZIP },
	{ ".tgz", ARCHIVE_FILTER_GZIP },   { ".tar.xz", ARCHIVE_FILTER_XZ },
	{ ".tar.zst", ARCHIVE_FILTER_ZSTD },
};

static int filter_for(const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < DOME_ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (len > sl && strcmp(path + len - sl, suffixes[i].suffix) == 0)
			return suffixes[i].filter;
	}
	return -1;
}

bool dome_archive_name_ok(const char *path)
{
	return filter_for(path) >= 0;
}

void dome_archive_abort(struct dome_archive_writer *w)
{
	if (!w)
		return;
	if (w->out)
		ar.archive_write_free(w->out);
	if (w->disk)
		ar.archive_read_free(w->disk);
	if (w->links)
		ar.archive_entry_linkresolver_free(w->links);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0])
		unlink(w->tmp);
	free(w);
}

struct dome_archive_writer *dome_archive_create(const char *path, struct dome_error *err)
{
	int filter = filter_for(path);
	if (filter < 0) {
		dome_invalid(err, "'%s' should end in .tar, .tar.gz, .tgz, .tar.xz or .tar.zst", path);
		return NULL;
	}
	if (ar_ready(err) < 0)
		return NULL;
	struct dome_archive_writer *w = calloc(1, sizeof *w);
	if (!w) {
		dome_fail(err, ENOMEM, "writing %s", path);
		return NULL;
	}
	w->fd = -1;
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	if (strlcpy(w->path, path, sizeof w->path) >= sizeof w->path ||
	    dome_pathf(w->tmp, sizeof w->tmp, "%.*s.%s.tmp.%d", dirlen, path, slash ? slash + 1 : path,
		       (int)getpid()) < 0) {
		w->tmp[0] = '\0';
		dome_archive_abort(w);
		dome_invalid(err, "path too long: %s", path);
		return NULL;
	}
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0) {
		dome_fail(err, errno, "cannot create %s", w->tmp);
		w->tmp[0] = '\0';
		dome_archive_abort(w);
		return NULL;
	}
	w->out = ar.archive_write_new();
	w->disk = ar.archive_read_disk_new();
	w->links = ar.archive_entry_linkresolver_new();
	if (!w->out || !w->disk || !w->links) {
		dome_archive_abort(w);
		dome_fail(err, ENOMEM, "writing %s", path);
		return NULL;
	}
	ar.archive_write_set_format_pax_restricted(w->out);
	ar.archive_entry_linkresolver_set_strategy(w->links, ar.archive_format(w->out));
	if (ar.archive_write_add_filter(w->out, filter) != ARCHIVE_OK ||
	    ar.archive_write_open_fd(w->out, w->fd) != ARCHIVE_OK) {
		dome_fail(err, 0, "cannot write %s: %s", path, ar.archive_error_string(w->out));
		dome_archive_abort(w);
		return NULL;
	}
	return w;
}

int dome_archive_add_data(struct dome_archive_writer *w, const char *name, const void *data,
			  size_t len, mode_t mode, struct dome_error *err)
{
	struct archive_entry *e = ar.archive_entry_new();
	if (!e)
		return dome_fail(err, ENOMEM, "adding %s", name);
	ar.archive_entry_set_pathname(e, name);
	ar.archive_entry_set_filetype(e, AE_IFREG);
	ar.archive_entry_set_perm(e, mode);
	ar.archive_entry_set_size(e, (la_int64_t)len);
	ar.archive_entry_set_mtime(e, time(NULL), 0);
	int rc = 0;
	if (ar.archive_write_header(w->out, e) != ARCHIVE_OK ||
	    ar.archive_write_data(w->out, data, len) != (la_ssize_t)len)
		rc = dome_fail(err, 0, "adding %s to %s: %s", name, w->path, ar.archive_error_string(w->out));
	ar.archive_entry_free(e);
	return rc;
}

static int write_file_data(struct dome_archive_writer *w, int fd, const char *src,
			   struct dome_error *err)
{
	static char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (ar.archive_write_data(w->out, buf, (size_t)n) != n)
			return dome_fail(err, 0, "writing %s: %s", w->path, ar.archive_error_string(w->out));
	if (n < 0)
		return dome_fail(err, errno, "cannot read %s", src);
	return 0;
}

/* One file from disk, with its metadata (numeric owners, xattrs, ACLs).
 * `src` is `top`/`rel`; its data is read through a descriptor opened
 * inside `top` (dome_open_in_root), never through a link. */
static int add_file(struct dome_archive_writer *w, const char *top, const char *rel,
		    const char *src, const char *name, const struct stat *st, bool keep_overlay,
		    struct dome_error *err)
{
	__cleanup_close int fd = -1;
	if (S_ISREG(st->st_mode)) {
		fd = dome_open_in_root(top, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME, 0);
		if (fd < 0 && errno == EPERM)
			fd = dome_open_in_root(top, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
		if (fd < 0)
			return dome_fail(err, errno, "cannot open %s", src);
		struct stat now;
		if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
			return dome_fail(err, EAGAIN, "%s changed while it was read", src);
	}
	struct archive_entry *e = ar.archive_entry_new();
	if (!e)
		return dome_fail(err, ENOMEM, "archiving %s", src);
	ar.archive_entry_copy_sourcepath(e, src);
	ar.archive_entry_copy_pathname(e, name);
	int rc = 0;
	if (ar.archive_read_disk_entry_from_file(w->disk, e, fd, st) != ARCHIVE_OK) {
		rc = dome_fail(err, 0, "cannot read %s: %s", src, ar.archive_error_string(w->disk));
		goto out;
	}
	drop_overlay_xattrs(e, keep_overlay);
	struct archive_entry *sparse = NULL;
	ar.archive_entry_linkify(w->links, &e, &sparse);
	if (!e) /* deferred by the link strategy: pax never does this */
		goto out;
	if (ar.archive_write_header(w->out, e) != ARCHIVE_OK) {
		rc = dome_fail(err, 0, "cannot archive %s: %s", src, ar.archive_error_string(w->out));
		goto out;
	}
	if (fd >= 0 && ar.archive_entry_size(e) > 0)
		rc = write_file_data(w, fd, src, err);
out:
	ar.archive_entry_free(e);
	return rc;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *dir)
{
	char v[4];
	ssize_t n = lgetxattr(dir, OVERLAY_XATTR_PREFIX "opaque", v, sizeof v);
	return n == 1 && v[0] == 'y';
}

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int names_add_dir(struct names *ns, const char *dir, struct dome_error *err)
{
	__cleanup_closedir DIR *d = opendir(dir);
	if (!d)
		return dome_fail(err, errno, "cannot list %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? ns->cap * 2 : 32;
			char **grown = reallocarray(ns->v, cap, sizeof *grown);
			if (!grown)
				return dome_fail(err, ENOMEM, "listing %s", dir);
			ns->v = grown;
			ns->cap = cap;
		}
		if (!(ns->v[ns->n] = strdup(de->d_name)))
			return dome_fail(err, ENOMEM, "listing %s", dir);
		ns->n++;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each name once. */
static void names_unique(struct names *ns)
{
	if (ns->n)
		qsort(ns->v, ns->n, sizeof *ns->v, cmp_name);
	size_t out = 0;
	for (size_t i = 0; i < ns->n; i++) {
		if (out && strcmp(ns->v[out - 1], ns->v[i]) == 0) {
			free(ns->v[i]);
			continue;
		}
		ns->v[out++] = ns->v[i];
	}
	ns->n = out;
}

struct walk {
	struct dome_archive_writer *w;
	const char *prefix, *lower, *upper;
	bool raw;
	const char *const *bare; /* dirs archived without their contents */
};

static bool is_bare(const struct walk *wk, const char *rel)
{
	for (const char *const *b = wk->bare; b && *b; b++)
		if (strcmp(*b, rel) == 0)
			return true;
	return false;
}

static int walk_dir(struct walk *wk, const char *rel, bool use_lower, bool use_upper,
		    struct dome_error *err);

static int walk_entry(struct walk *wk, const char *rel, bool use_lower, bool use_upper,
		      struct dome_error *err)
{
	char up[PATH_MAX], low[PATH_MAX], name[PATH_MAX];
	struct stat ust, lst;
	if (dome_pathf(name, sizeof name, "%s%s", wk->prefix, rel) < 0 ||
	    (use_upper && dome_pathf(up, sizeof up, "%s/%s", wk->upper, rel) < 0) ||
	    (use_lower && dome_pathf(low, sizeof low, "%s/%s", wk->lower, rel) < 0))
		return dome_fail(err, ENAMETOOLONG, "archiving %s", rel);
	bool in_upper = use_upper && lstat(up, &ust) == 0;
	bool in_lower = use_lower && lstat(low, &lst) == 0;
	if (in_upper) {
		if (!wk->raw && is_whiteout(&ust))
			return 0; /* deleted in the container */
		if (add_file(wk->w, wk->upper, rel, up, name, &ust, wk->raw, err) < 0)
			return -1;
		if (!S_ISDIR(ust.st_mode) || is_bare(wk, rel))
			return 0;
		bool merge = !wk->raw && in_lower && S_ISDIR(lst.st_mode) && !is_opaque(up);
		return walk_dir(wk, rel, merge, true, err);
	}
	if (!in_lower)
		return 0; /* vanished while we read: the container is running */
	if (add_file(wk->w, wk->lower, rel, low, name, &lst, false, err) < 0)
		return -1;
	return S_ISDIR(lst.st_mode) && !is_bare(wk, rel) ? walk_dir(wk, rel, true, false, err) : 0;
}

static int walk_dir(struct walk *wk, const char *rel, bool use_lower, bool use_upper,
		    struct dome_error *err)
{
	struct names ns = { 0 };
	char dir[PATH_MAX];
	int rc = 0;
	if (use_upper && (dome_pathf(dir, sizeof dir, "%s/%s", wk->upper, rel) < 0 ||
			  names_add_dir(&ns, dir, err) < 0))
		rc = -1;
	if (rc == 0 && use_lower && (dome_pathf(dir, sizeof dir, "%s/%s", wk->lower, rel) < 0 ||
				     names_add_dir(&ns, dir, err) < 0))
		rc = -1;
	if (rc == 0)
		names_unique(&ns);
	for (size_t i = 0; rc == 0 && i < ns.n; i++) {
		char child[PATH_MAX];
		if (dome_pathf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", ns.v[i]) < 0)
			rc = dome_fail(err, ENAMETOOLONG, "archiving %s/%s", rel, ns.v[i]);
		else
			rc = walk_entry(wk, child, use_lower, use_upper, err);
	}
	names_free(&ns);
	return rc;
}

int dome_archive_add_tree(struct dome_archive_writer *w, const char *prefix, const char *lower,
			  const char *upper, bool raw_upper, struct dome_error *err)
{
	return dome_archive_add_tree_bare(w, prefix, lower, upper, raw_upper, NULL, err);
}

int dome_archive_add_tree_bare(struct dome_archive_writer *w, const char *prefix,
			       const char *lower, const char *upper, bool raw_upper,
			       const char *const *bare, struct dome_error *err)
{
	if (raw_upper && lower)
		return dome_invalid(err, "a raw upper layer is archived without its lower layer");
	struct walk wk = { w, prefix ? prefix : "", lower, upper, raw_upper, bare };
	/* The root directory itself: its mode and owner belong to the tree. */
	const char *top = upper ? upper : lower;
	struct stat st;
	if (!top || lstat(top, &st) < 0 || !S_ISDIR(st.st_mode))
		return dome_fail(err, top ? errno : EINVAL, "cannot archive %s", top ? top : "nothing");
	char rootname[PATH_MAX];
	if (dome_pathf(rootname, sizeof rootname, "%s.", wk.prefix) < 0)
		return dome_fail(err, ENAMETOOLONG, "archiving %s", top);
	if (add_file(w, top, "", top, rootname, &st, raw_upper, err) < 0)
		return -1;
	return walk_dir(&wk, "", lower != NULL, upper != NULL, err);
}

int dome_archive_finish(struct dome_archive_writer *w, struct dome_error *err)
{
	/* Entries a link strategy held back (none with pax) go out now. */
	struct archive_entry *e = NULL, *sparse = NULL;
	int rc = 0;
	for (ar.archive_entry_linkify(w->links, &e, &sparse); e && rc == 0;
	     ar.archive_entry_linkify(w->links, &e, &sparse)) {
		if (ar.archive_write_header(w->out, e) != ARCHIVE_OK)
			rc = dome_fail(err, 0, "writing %s: %s", w->path, ar.archive_error_string(w->out));
		ar.archive_entry_free(e);
		e = NULL;
	}
	if (rc == 0 && ar.archive_write_close(w->out) != ARCHIVE_OK)
		rc = dome_fail(err, 0, "writing %s: %s", w->path, ar.archive_error_string(w->out));
	if (rc == 0 && fsync(w->fd) < 0)
		rc = dome_fail(err, errno, "writing %s", w->tmp);
	if (rc == 0 && rename(w->tmp, w->path) < 0)
		rc = dome_fail(err, errno, "cannot move %s into place", w->tmp);
	if (rc == 0)
		w->tmp[0] = '\0';
	dome_archive_abort(w);
	return rc;
}
