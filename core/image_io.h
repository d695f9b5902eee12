/* Images in and out: import from a tarball, export, commit a container,
 * build a Debian image with debootstrap, and per-image settings. Every
 * image is built under <root>/images/.NAME.PID (which `dome doctor` removes
 * when its builder is gone) and renamed into place when complete, so a
 * failure leaves no directory and no row. */
#ifndef DOME_IMAGE_IO_H
#define DOME_IMAGE_IO_H

#include <stddef.h>
#include "dome.h"

#define DOME_DEBOOTSTRAP "/usr/sbin/debootstrap"

/* What an import or a commit left out of the archive (tarball.h): device
 * nodes. The caller says so; the audit record has it too. */
struct dome_import_notes {
	size_t dropped_devices;
};

/* A root filesystem tarball (.tar, .tar.gz, .tar.xz, .tar.zst) becomes
 * image `name`, its digest the SHA-256 of the file (audited). `notes` may
 * be NULL. */
int dome_image_import(struct dome_ctx *ctx, const char *name, const char *file,
		      struct dome_import_notes *notes, struct dome_error *err);
/* Write image `name` to `file` (compression from the suffix). */
int dome_image_export(struct dome_ctx *ctx, const char *name, const char *file,
		      struct dome_error *err);
/* Image `image` from container `container`: its image merged with its
 * upper layer, whiteouts honoured; a running container is frozen while its
 * files are read (audited). */
int dome_image_commit(struct dome_ctx *ctx, const char *container, const char *image,
		      struct dome_import_notes *notes, struct dome_error *err);
/* A bootable Debian image: debootstrap --variant=VARIANT
 * --include=DOME_DEBIAN_PACKAGES[,INCLUDE] SUITE from cfg.debian_mirror
 * (audited; needs network access to the mirror, and says so when it cannot
 * reach it). Its init and stop signal are systemd's (dome_image_detect_init). */
#define DOME_DEBIAN_PACKAGES "systemd-sysv,iproute2"
#define DOME_DEBIAN_INCLUDE_MAX 512
struct dome_debian_opts {
	const char *suite;      /* NULL: bookworm */
	const char *variant;    /* minbase (NULL) or buildd */
	const char *include;    /* more packages, comma-separated, or NULL */
	/* Each line debootstrap prints, as it prints it (NULL: none). */
	void (*progress)(const char *line, void *data);
	void *progress_data;
};
int dome_image_debian(struct dome_ctx *ctx, const char *name, const struct dome_debian_opts *o,
		      struct dome_error *err);
/* "init=/sbin/init", "stop_signal=SIGTERM", "shell=/bin/sh",
 * "arch=x86_64": validated all first, then stored (audited). */
int dome_image_set(struct dome_ctx *ctx, const char *name, char *const *assignments, size_t n,
		   struct dome_error *err);

/* "SIGTERM", "TERM", "15", "SIGRTMIN+3" -> signal number. */
int dome_parse_signal(const char *s, int *out, struct dome_error *err);

#endif
