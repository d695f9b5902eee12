#include "dome.h"
#include "audit.h"
#include "cleanup.h"
#include "owner.h"
#include "proc.h"
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DOME_SYSCONFDIR
#define DOME_SYSCONFDIR "/etc"
#endif

void dome_actor_detect(struct dome_actor *a)
{
	memset(a, 0, sizeof *a);
	a->uid = (unsigned)getuid();
	struct passwd *pw = getpwuid(a->uid);
	if (pw)
		strlcpy(a->user, pw->pw_name, sizeof a->user);
	else
		snprintf(a->user, sizeof a->user, "%u", a->uid);
	const char *v = getenv("SUDO_USER");
	if (v)
		strlcpy(a->sudo_user, v, sizeof a->sudo_user);
	a->login_uid = -1;
	FILE *f = fopen("/proc/self/loginuid", "re");
	if (f) {
		unsigned long lu;
		if (fscanf(f, "%lu", &lu) == 1 && lu != 4294967295UL)
			a->login_uid = (long)lu;
		fclose(f);
	}
	/* SSH_CONNECTION is "client_ip client_port server_ip server_port". */
	v = getenv("SSH_CONNECTION");
	if (!v)
		v = getenv("SSH_CLIENT");
	if (v) {
		size_t n = strcspn(v, " ");
		if (n >= sizeof a->ssh_client)
			n = sizeof a->ssh_client - 1;
		memcpy(a->ssh_client, v, n);
		a->ssh_client[n] = '\0';
	}
	const char *tty = ttyname(STDIN_FILENO);
	if (tty)
		strlcpy(a->tty, tty, sizeof a->tty);
	if (gethostname(a->host, sizeof a->host) < 0)
		strlcpy(a->host, "unknown", sizeof a->host);
	a->host[sizeof a->host - 1] = '\0';
	a->pid = (int)getpid();
	if (dome_proc_start_time(a->pid, &a->pid_start) < 0)
		a->pid_start = 0;
}

int dome_path(const struct dome_ctx *ctx, char *out, size_t len, const char *fmt, ...)
{
	char rel[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof rel)
		return -1;
	n = snprintf(out, len, "%s/%s", ctx->cfg.root, rel);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int load_config(struct dome_ctx *ctx, const struct dome_open_opts *o,
		       struct dome_error *err)
{
	dome_config_defaults(&ctx->cfg);
	const char *path = o->config_path;
	bool explicit = path != NULL;
	if (!path && (path = getenv("DOME_CONFIG")) && path[0])
		explicit = true;
	if (!explicit)
		path = DOME_SYSCONFDIR "/dome/dome.conf";
	if (dome_config_load(&ctx->cfg, path, explicit, err) < 0)
		return -1;
	if (dome_config_apply_env(&ctx->cfg, err) < 0)
		return -1;
	if (o->root && dome_config_set_root(&ctx->cfg, o->root, err) < 0)
		return -1;
	return 0;
}

static int make_root(const struct dome_ctx *ctx, struct dome_error *err)
{
	/* Created with its parents; 0711 so the group-readable database inside
	 * can be reached by the `dome` group without listing the tree. */
	char path[PATH_MAX];
	strlcpy(path, ctx->cfg.root, sizeof path);
	for (char *p = path + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(path, 0711) < 0 && errno != EEXIST)
				return dome_fail(err, errno, "cannot create the state root %s", path);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static int make_database(const char *path, struct dome_error *err)
{
	__cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return errno == EEXIST ? 0 : dome_fail(err, errno, "cannot create %s", path);
	struct group *g = getgrnam("dome");
	if (g && fchown(fd, 0, g->gr_gid) < 0)
		return dome_fail(err, errno, "cannot give %s to the dome group", path);
	/* The mode asked for is cut by the umask: set it as meant. */
	if (fchmod(fd, 0640) < 0)
		return dome_fail(err, errno, "cannot set the mode of %s", path);
	return 0;
}

struct dome_ctx *dome_open(const struct dome_open_opts *o, struct dome_error *err)
{
	__cleanup_free struct dome_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx) {
		dome_fail(err, ENOMEM, "starting dome");
		return NULL;
	}
	if (load_config(ctx, o, err) < 0)
		return NULL;
	/* Read-only is enforced here, in core: a caller that may not change
	 * anything gets a store that cannot write. */
	ctx->readonly = o->readonly || geteuid() != 0;
	if (o->reason)
		strlcpy(ctx->reason, o->reason, sizeof ctx->reason);
	dome_actor_detect(&ctx->actor);
	if (!ctx->readonly && make_root(ctx, err) < 0)
		return NULL;
	char dbpath[PATH_MAX];
	if (dome_path(ctx, dbpath, sizeof dbpath, "dome.db") < 0) {
		dome_invalid(err, "state root %s is too long", ctx->cfg.root);
		return NULL;
	}
	/* A new database is made here, before SQLite opens it, with the mode
	 * and group it keeps: readable by the dome group (when the host has
	 * one), writable by root only. SQLite gives its WAL and index files
	 * (which persist between runs, store.c) the database's owner and mode
	 * when it makes them. Settled once, so other runs skip the group
	 * lookup (NSS can be slow). */
	if (!ctx->readonly && access(dbpath, F_OK) != 0 && make_database(dbpath, err) < 0)
		return NULL;
	ctx->store = dome_store_open(dbpath, ctx->readonly, err);
	if (!ctx->store)
		return NULL;
	if (dome_settings_load(ctx, err) < 0 ||
	    (o->root && dome_config_set_root(&ctx->cfg, o->root, err) < 0) ||
	    dome_root_identity(ctx, err) < 0) {
		dome_store_close(ctx->store);
		return NULL;
	}
	if (!ctx->readonly) {
		if (dome_audit_close_interrupted(ctx, err) < 0) {
			dome_store_close(ctx->store);
			return NULL;
		}
	}
	return move_ptr(ctx);
}

void dome_close(struct dome_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->store) {
		dome_chain_flush_heads(ctx);
		dome_store_close(ctx->store);
	}
	free(ctx);
}
