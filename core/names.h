/* Names inside containers: /etc/hosts (itself and its siblings on the bridge),
 * /etc/resolv.conf (config's nameservers, or the host's), /etc/hostname.
 * dome keeps them as files in <root>/containers/NAME/ and the container
 * bind-mounts them, so rewriting a file in place updates a running
 * container: that is how the hosts lists stay current as containers come
 * and go. */
#ifndef DOME_NAMES_H
#define DOME_NAMES_H

#include "dome.h"
#include "inventory.h"

/* Write the container's resolv.conf and hostname files. */
int dome_names_prepare(struct dome_ctx *ctx, const struct dome_container *c,
		       struct dome_error *err);
/* Rewrite the hosts file of every container that has one. */
int dome_names_refresh(struct dome_ctx *ctx, struct dome_error *err);

#endif
