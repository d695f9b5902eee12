/* Images: read-only directories under <root>/images/NAME that containers use
 * as the lower layer of their overlay. */
#ifndef DOME_IMAGE_H
#define DOME_IMAGE_H

#include "dome.h"
#include "inventory.h"

/* A new image's record, described from its tree at ROOTFS (where it is
 * built; PATH is where it will live): name, path, size, arch, the time, the
 * init and stop signal given, and as its shell root's login shell from the
 * tree's /etc/passwd ("" when it names none: `dome image set NAME shell=`).
 * The shell is what dome runs interactively (exec with no command, the
 * console's shell key), with an argv of its own path alone: never with -c,
 * never with input. */
void dome_image_describe(struct dome_image *img, const char *name, const char *path,
			 const char *rootfs, const char *init, int stop_signal);

/* The init and stop signal a tree's own init asks for: "/sbin/init" either
 * way; SIGRTMIN+3 (systemd's "halt") when /sbin/init is systemd, else
 * SIGTERM. */
void dome_image_detect_init(const char *rootfs, char *init, size_t len, int *stop_signal);

/* The built-in image made from the host's busybox-static. */
#define DOME_BUSYBOX_IMAGE "busybox"

/* Find image `name`; the built-in busybox image is made on first use.
 * Returns 0 with *img filled, or -1 ("no image named X"). */
int dome_image_get(struct dome_ctx *ctx, const char *name, struct dome_image *img,
		   struct dome_error *err);

/* Remove an image no container uses (audited). */
int dome_image_remove(struct dome_ctx *ctx, const char *name, struct dome_error *err);

/* Bytes used by a directory tree (regular files), not crossing mounts. */
uint64_t dome_tree_size(const char *path);

#endif
