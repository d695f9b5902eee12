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
/* Rewrite the hosts file of every running container (`only` NULL), or of
 * that one container. A file whose content would not change is left
 * alone. Only a container with an address changes what the others list,
 * so the engine refreshes everyone only when such a one starts or stops. */
int dome_names_refresh(struct dome_ctx *ctx, const char *only, struct dome_error *err);

#endif
