/* Configuration: embedded defaults, then /etc/dome/dome.conf (INI, parsed by
 * inih), then the environment (DOME_ROOT, DOME_CGROUP_PREFIX, DOME_BRIDGE),
 * then command-line options. Every key is documented in data/dome.conf and
 * dome.conf(5); unknown keys and bad values are errors naming file, line, key. */
#ifndef DOME_CONF_H
#define DOME_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

struct dome_config {
	/* [paths] */
	char root[PATH_MAX];          /* state root: dome.db, images/, containers/ */
	char runtime_dir[PATH_MAX];   /* /run/dome, or <root>/run when root is overridden */
	/* [cgroup] */
	char cgroup_prefix[64];       /* "" until set: the root's default (owner.h) */
	/* [network] */
	char bridge[16];
	char subnet[32];              /* CIDR, e.g. 10.77.0.0/24 */
	char nameservers[256];        /* space separated; empty: copy the host's resolv.conf */
	bool nat;
	/* [container] */
	char default_image[64];
	uint64_t console_log_max;     /* bytes before console.log rotates */
	unsigned stop_timeout;        /* seconds before stop escalates to kill */
	/* [image] */
	char debian_mirror[256];      /* http(s) URL debootstrap fetches from */
	/* [audit] */
	bool require_reason;
	/* [console] */
	char theme[64];
	unsigned refresh_ms;
	bool mouse;
};

/* Fill with the embedded defaults (no file read). */
void dome_config_defaults(struct dome_config *cfg);

/* Read `path` over the current values. A missing file is an error only when
 * `must_exist` (an explicit --config); the system file may be absent. */
int dome_config_load(struct dome_config *cfg, const char *path, bool must_exist,
		     struct dome_error *err);

/* Parse INI text (for tests and fuzzing); `origin` names it in errors. */
int dome_config_parse_string(struct dome_config *cfg, const char *text, const char *origin,
			     struct dome_error *err);

/* Set one key as the file would ([section] name = value), validated the
 * same way; on error nothing changes. */
int dome_config_set(struct dome_config *cfg, const char *section, const char *name,
		    const char *value, struct dome_error *err);

/* Apply DOME_ROOT, DOME_CGROUP_PREFIX and DOME_BRIDGE. */
int dome_config_apply_env(struct dome_config *cfg, struct dome_error *err);

/* Point the state root elsewhere; the runtime dir follows it to <root>/run. */
int dome_config_set_root(struct dome_config *cfg, const char *root, struct dome_error *err);

#endif
