#include "names.h"
#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write `text` to `path` unless it holds exactly that already: a start
 * rewrites its container's three files, and on ext4 a truncate of a file
 * with data costs far more than reading it (the blocks are freed, and the
 * truncate-then-write pattern makes the close start writeback). In place,
 * never by rename: a rename would leave a running container's bind mount on
 * the old inode. With `create` false a missing file is left missing (a
 * refresh must never create files in the directory of a container being
 * destroyed meanwhile). 0 when the file holds the text, 1 when there is no
 * such file and `create` is false, -1 on error. */
static int write_if_changed(const char *path, const char *text, size_t len, bool create,
			    struct dome_error *err)
{
	char have[4096] = "";
	ssize_t got = len < sizeof have ? dome_read_small(path, have, sizeof have) : -1;
	if (got < 0 && errno == ENOENT && !create)
		return 1;
	if (got == (ssize_t)len && memcmp(have, text, len) == 0)
		return 0;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
		      0644);
	if (fd < 0)
		return errno == ENOENT && !create ? 1 : dome_fail(err, errno, "cannot write %s", path);
	ssize_t n = write(fd, text, len);
	int e = errno;
	close(fd);
	if (n != (ssize_t)len)
		return dome_fail(err, n < 0 ? e : EIO, "cannot write %s", path);
	return 0;
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return;
		}
		size_t want = (*cap ? *cap * 2 : 1024) + (size_t)n;
		char *grown = realloc(*buf, want);
		if (!grown)
			return;
		*buf = grown;
		*cap = want;
	}
}

int dome_names_prepare(struct dome_ctx *ctx, const struct dome_container *c,
		       struct dome_error *err)
{
	char path[PATH_MAX];
	__cleanup_free char *text = NULL;
	size_t len = 0, cap = 0;
	if (ctx->cfg.nameservers[0]) {
		char list[sizeof ctx->cfg.nameservers], *save = NULL;
		strlcpy(list, ctx->cfg.nameservers, sizeof list);
		for (char *ns = strtok_r(list, " ", &save); ns; ns = strtok_r(NULL, " ", &save))
			append(&text, &len, &cap, "nameserver %s\n", ns);
	} else {
		/* The host's, less loopback resolvers a container cannot reach. */
		char host[8192];
		if (dome_read_small("/etc/resolv.conf", host, sizeof host) > 0) {
			char *save = NULL;
			for (char *l = strtok_r(host, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				if (!(strncmp(l, "nameserver", 10) == 0 && strstr(l, " 127.")))
					append(&text, &len, &cap, "%s\n", l);
		}
	}
	if (dome_path(ctx, path, sizeof path, "containers/%s/resolv.conf", c->name) < 0 ||
	    write_if_changed(path, text ? text : "", len, true, err) < 0)
		return -1;
	char hostname[80];
	int n = snprintf(hostname, sizeof hostname, "%s\n", c->name);
	if (dome_path(ctx, path, sizeof path, "containers/%s/hostname", c->name) < 0 ||
	    write_if_changed(path, hostname, (size_t)n, true, err) < 0)
		return -1;
	/* Made here (empty) when missing, filled by dome_names_refresh, which
	 * never creates files. */
	if (dome_path(ctx, path, sizeof path, "containers/%s/hosts", c->name) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return dome_fail(err, errno, "cannot write %s", path);
	close(fd);
	return 0;
}

int dome_names_refresh(struct dome_ctx *ctx, const char *only, struct dome_error *err)
{
	__cleanup_free struct dome_container *list = NULL;
	size_t n;
	if (dome_inv_list(ctx->store, &list, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct dome_container *self = &list[i];
		/* A stopped container's file is refreshed when it starts again. */
		if (!strcmp(self->state, "stopped") || !strcmp(self->state, "error") ||
		    (only && strcmp(self->name, only) != 0))
			continue;
		__cleanup_free char *text = NULL;
		size_t len = 0, cap = 0;
		append(&text, &len, &cap, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
		if (self->ipv4[0])
			append(&text, &len, &cap, "%s\t%s\n", self->ipv4, self->name);
		else
			append(&text, &len, &cap, "127.0.1.1\t%s\n", self->name);
		/* Siblings: the containers on the bridge with an address now. */
		for (size_t j = 0; self->ipv4[0] && j < n; j++)
			if (j != i && list[j].ipv4[0])
				append(&text, &len, &cap, "%s\t%s\n", list[j].ipv4, list[j].name);
		char path[PATH_MAX];
		if (dome_path(ctx, path, sizeof path, "containers/%s/hosts", self->name) < 0)
			continue;
		if (write_if_changed(path, text ? text : "", len, false, err) < 0)
			return -1;
	}
	return 0;
}
