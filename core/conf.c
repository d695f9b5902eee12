#include "conf.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DOME_DEFAULT_ROOT
#define DOME_DEFAULT_ROOT "/var/lib/dome"
#endif
#ifndef DOME_DEFAULT_RUNDIR
#define DOME_DEFAULT_RUNDIR "/run/dome"
#endif

void dome_config_defaults(struct dome_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	strlcpy(cfg->root, DOME_DEFAULT_ROOT, sizeof cfg->root);
	strlcpy(cfg->runtime_dir, DOME_DEFAULT_RUNDIR, sizeof cfg->runtime_dir);
	/* none: the state root's own (owner.h), known once its inventory is open */
	cfg->cgroup_prefix[0] = '\0';
	strlcpy(cfg->bridge, "dome0", sizeof cfg->bridge);
	strlcpy(cfg->subnet, "10.77.0.0/24", sizeof cfg->subnet);
	cfg->nat = false;
	strlcpy(cfg->default_image, "busybox", sizeof cfg->default_image);
	cfg->console_log_max = 1024 * 1024;
	cfg->stop_timeout = 10;
	strlcpy(cfg->debian_mirror, "http://deb.debian.org/debian", sizeof cfg->debian_mirror);
	cfg->require_reason = false;
	strlcpy(cfg->theme, "default", sizeof cfg->theme);
	cfg->refresh_ms = 1000;
	cfg->mouse = true;
}

static int set_path(char *dst, size_t dstlen, const char *what, const char *v,
		    struct dome_error *err)
{
	if (v[0] != '/')
		return dome_invalid(err, "%s '%s' must be an absolute path", what, v);
	if (strstr(v, "/../") || (strlen(v) >= 3 && strcmp(v + strlen(v) - 3, "/..") == 0))
		return dome_invalid(err, "%s '%s' must not contain '..'", what, v);
	if (strlcpy(dst, v, dstlen) >= dstlen)
		return dome_invalid(err, "%s is longer than %zu bytes", what, dstlen - 1);
	return 0;
}

int dome_config_set_root(struct dome_config *cfg, const char *root, struct dome_error *err)
{
	char resolved[PATH_MAX];
	if (root[0] != '/') {
		/* A relative --root is relative to where the user stands. */
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL)
			return dome_fail(err, errno, "cannot resolve the state root '%s'", root);
		if ((size_t)snprintf(resolved, sizeof resolved, "%s/%s", cwd, root) >= sizeof resolved)
			return dome_invalid(err, "state root '%s' is too long", root);
		root = resolved;
	}
	if (set_path(cfg->root, sizeof cfg->root, "state root", root, err) < 0)
		return -1;
	size_t len = strlen(cfg->root);
	while (len > 1 && cfg->root[len - 1] == '/')
		cfg->root[--len] = '\0';
	/* The runtime dir follows a root moved elsewhere, so instances side by
	 * side never share one; the default root keeps /run/dome. */
	if (strcmp(cfg->root, DOME_DEFAULT_ROOT) == 0) {
		strlcpy(cfg->runtime_dir, DOME_DEFAULT_RUNDIR, sizeof cfg->runtime_dir);
		return 0;
	}
	if ((size_t)snprintf(cfg->runtime_dir, sizeof cfg->runtime_dir, "%s/run", cfg->root) >=
	    sizeof cfg->runtime_dir)
		return dome_invalid(err, "state root '%s' is too long", root);
	return 0;
}

static int set_subnet(struct dome_config *cfg, const char *v, struct dome_error *err)
{
	unsigned a, b, c, d, prefix;
	char tail;
	if (sscanf(v, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &prefix, &tail) != 5 || a > 255 ||
	    b > 255 || c > 255 || d > 255 || prefix < 8 || prefix > 30)
		return dome_invalid(err, "subnet '%s' is not an IPv4 network such as 10.77.0.0/24 (prefix 8 to 30)",
				    v);
	uint32_t addr = (a << 24) | (b << 16) | (c << 8) | d;
	uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
	if (addr & ~mask)
		return dome_invalid(err, "subnet '%s' has host bits set; did you mean %u.%u.%u.%u/%u?", v,
				    (addr & mask) >> 24, ((addr & mask) >> 16) & 255,
				    ((addr & mask) >> 8) & 255, (addr & mask) & 255, prefix);
	strlcpy(cfg->subnet, v, sizeof cfg->subnet);
	return 0;
}

/* One table drives parsing, so every key is handled in one place. */
enum key_type { K_PATH, K_PREFIX, K_IFNAME, K_SUBNET, K_STRING, K_BOOL, K_SIZE, K_SECONDS,
		K_MILLIS, K_NAME, K_URL };

struct key_def {
	const char *section, *name;
	enum key_type type;
	size_t offset, size;
};

#define KEY(sec, nm, type, field) \
	{ sec, nm, type, offsetof(struct dome_config, field), sizeof(((struct dome_config *)0)->field) }

static const struct key_def keys[] = {
	KEY("paths", "root", K_PATH, root),
	KEY("cgroup", "prefix", K_PREFIX, cgroup_prefix),
	KEY("network", "bridge", K_IFNAME, bridge),
	KEY("network", "subnet", K_SUBNET, subnet),
	KEY("network", "nameservers", K_STRING, nameservers),
	KEY("network", "nat", K_BOOL, nat),
	KEY("container", "default_image", K_NAME, default_image),
	KEY("container", "console_log_max", K_SIZE, console_log_max),
	KEY("container", "stop_timeout", K_SECONDS, stop_timeout),
	KEY("image", "debian_mirror", K_URL, debian_mirror),
	KEY("audit", "require_reason", K_BOOL, require_reason),
	KEY("console", "theme", K_NAME, theme),
	KEY("console", "refresh", K_MILLIS, refresh_ms),
	KEY("console", "mouse", K_BOOL, mouse),
};

static int set_key(struct dome_config *cfg, const struct key_def *k, const char *v,
		   struct dome_error *err)
{
	char *field = (char *)cfg + k->offset;
	uint64_t n;
	switch (k->type) {
	case K_PATH:
		if (v[0] != '/') /* relative to what? refuse rather than guess */
			return dome_invalid(err, "root '%s' must be an absolute path", v);
		return dome_config_set_root(cfg, v, err);
	case K_PREFIX:
		if (dome_validate_name("cgroup prefix", v, err) < 0)
			return -1;
		strlcpy(field, v, k->size);
		return 0;
	case K_NAME:
		if (dome_validate_name(k->name, v, err) < 0)
			return -1;
		strlcpy(field, v, k->size);
		return 0;
	case K_IFNAME:
		if (dome_validate_ifname("bridge", v, err) < 0)
			return -1;
		strlcpy(field, v, k->size);
		return 0;
	case K_SUBNET:
		return set_subnet(cfg, v, err);
	case K_STRING:
		for (const char *p = v; *p; p++)
			if (!(isalnum((unsigned char)*p) || strchr(".: ", *p)))
				return dome_invalid(err, "'%s' may only hold addresses separated by spaces", v);
		if (strlcpy(field, v, k->size) >= k->size)
			return dome_invalid(err, "'%s' is too long", v);
		return 0;
	case K_URL:
		/* handed to debootstrap as one argument: a plain http(s) URL */
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			return dome_invalid(err, "%s '%s' must be an http:// or https:// URL", k->name, v);
		for (const char *p = v; *p; p++)
			if (!(isalnum((unsigned char)*p) || strchr(":/._~%+-@[]", *p)))
				return dome_invalid(err, "%s '%s' holds a character a URL does not", k->name, v);
		if (strlcpy(field, v, k->size) >= k->size)
			return dome_invalid(err, "%s '%s' is too long", k->name, v);
		return 0;
	case K_BOOL:
		return dome_parse_bool(k->name, v, (bool *)field, err);
	case K_SIZE:
		if (dome_parse_size(k->name, v, false, &n, err) < 0)
			return -1;
		if (n < 4096)
			return dome_invalid(err, "%s must be at least 4K", k->name);
		*(uint64_t *)field = n;
		return 0;
	case K_SECONDS:
		if (dome_parse_uint(k->name, v, 0, 3600, &n, err) < 0)
			return -1;
		*(unsigned *)field = (unsigned)n;
		return 0;
	case K_MILLIS: {
		uint32_t ms;
		/* refresh is in seconds with up to 3 decimals, 0.1 to 60 */
		struct dome_error tmp;
		if (dome_parse_cpus(v, false, &ms, &tmp) < 0 || ms < 100 || ms > 60000)
			return dome_invalid(err, "refresh '%s' must be seconds from 0.1 to 60", v);
		*(unsigned *)field = ms;
		return 0;
	}
	}
	return dome_invalid(err, "internal: unhandled key type");
}

int dome_config_set(struct dome_config *cfg, const char *section, const char *name,
		    const char *value, struct dome_error *err)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(keys[i].section, section) || strcmp(keys[i].name, name))
			continue;
		struct dome_config work = *cfg; /* bad input changes nothing */
		if (set_key(&work, &keys[i], value, err) < 0) {
			dome_error_prefix(err, "%s", name);
			return -1;
		}
		*cfg = work;
		return 0;
	}
	return dome_invalid(err, "unknown setting '%s' in [%s]", name, section);
}

struct parse_state {
	struct dome_config *cfg;
	struct dome_error *err;
	bool failed;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	if (st->failed)
		return 0; /* keep only the first error */
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			if (set_key(st->cfg, &keys[i], value, st->err) < 0) {
				dome_error_prefix(st->err, "key '%s' in [%s]", name, section);
				st->failed = true;
				return 0;
			}
			return 1;
		}
	}
	dome_invalid(st->err, "unknown key '%s' in section [%s]; see dome.conf(5) for the keys",
		     name, section[0] ? section : "(none)");
	st->failed = true;
	return 0;
}

static int finish_parse(int rc, struct parse_state *st, const char *origin)
{
	if (rc == 0)
		return 0;
	if (rc == -1)
		return dome_fail(st->err, errno, "cannot read config %s", origin);
	if (!st->failed)
		dome_invalid(st->err, "syntax error (expected '[section]' or 'key = value')");
	dome_error_prefix(st->err, "%s line %d", origin, rc);
	st->err->status = DOME_E_USAGE;
	return -1;
}

int dome_config_parse_string(struct dome_config *cfg, const char *text, const char *origin,
			     struct dome_error *err)
{
	struct dome_config work = *cfg; /* bad input changes nothing */
	struct parse_state st = { &work, err, false };
	if (finish_parse(ini_parse_string(text, on_ini_entry, &st), &st, origin) < 0)
		return -1;
	*cfg = work;
	return 0;
}

int dome_config_load(struct dome_config *cfg, const char *path, bool must_exist,
		     struct dome_error *err)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return dome_fail(err, errno, "cannot open config %s", path);
	}
	struct dome_config work = *cfg;
	struct parse_state st = { &work, err, false };
	int rc = ini_parse_file(f, on_ini_entry, &st);
	fclose(f);
	if (finish_parse(rc, &st, path) < 0)
		return -1;
	*cfg = work;
	return 0;
}

int dome_config_apply_env(struct dome_config *cfg, struct dome_error *err)
{
	const char *v;
	if ((v = getenv("DOME_ROOT")) && v[0] && dome_config_set_root(cfg, v, err) < 0)
		goto bad;
	if ((v = getenv("DOME_CGROUP_PREFIX")) && v[0]) {
		if (dome_validate_name("cgroup prefix", v, err) < 0)
			goto bad;
		strlcpy(cfg->cgroup_prefix, v, sizeof cfg->cgroup_prefix);
	}
	if ((v = getenv("DOME_BRIDGE")) && v[0]) {
		if (dome_validate_ifname("bridge", v, err) < 0)
			goto bad;
		strlcpy(cfg->bridge, v, sizeof cfg->bridge);
	}
	return 0;
bad:
	dome_error_prefix(err, "environment");
	return -1;
}
