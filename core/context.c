#include "dome.h"
#include "audit.h"
#include "cleanup.h"
#include "rootperm.h"
#include "owner.h"
#include "proc.h"
#include "settings.h"

#include <dirent.h>
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

void dome_note_unrecorded(struct dome_ctx *ctx, const char *fmt, ...)
{
	size_t used = strlen(ctx->unrecorded);
	if (used && used + 2 < sizeof ctx->unrecorded) {
		memcpy(ctx->unrecorded + used, "; ", 3);
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->unrecorded + used, sizeof ctx->unrecorded - used, fmt, ap);
	va_end(ap);
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

int dome_config_resolve(const struct dome_open_opts *o, struct dome_config *cfg,
			struct dome_error *err)
{
	dome_config_defaults(cfg);
	const char *path = o->config_path;
	bool explicit = path != NULL;
	if (!path && (path = getenv("DOME_CONFIG")) && path[0])
		explicit = true;
	if (!explicit)
		path = DOME_SYSCONFDIR "/dome/dome.conf";
	if (dome_config_load(cfg, path, explicit, err) < 0)
		return -1;
	if (dome_config_apply_env(cfg, err) < 0)
		return -1;
	if (o->root && dome_config_set_root(cfg, o->root, err) < 0)
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
	return dome_rootperm_make(ctx->cfg.root, err);
}

/* Room kept in the state root for what must be recorded on a full disk: a
 * stop (the container filling the disk must be stoppable, and its stop
 * audited). dome_release_reserve gives it back to the filesystem then; a
 * later writable run that finds room makes it again. */
#define RESERVE_FILE "reserve"
#define RESERVE_BYTES (1 << 20)

static void keep_reserve(const struct dome_ctx *ctx)
{
	char path[PATH_MAX];
	if (dome_path(ctx, path, sizeof path, RESERVE_FILE) < 0 || access(path, F_OK) == 0)
		return;
	__cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				      0600);
	if (fd < 0)
		return;
	/* All of it or none: a part would give back too little. */
	if (fallocate(fd, 0, 0, RESERVE_BYTES) < 0)
		unlink(path);
}

bool dome_release_reserve(const struct dome_ctx *ctx)
{
	char path[PATH_MAX];
	return dome_path(ctx, path, sizeof path, RESERVE_FILE) == 0 && unlink(path) == 0;
}

int dome_make_database_file(const char *path, struct dome_error *err)
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

/* What a state root holds beside its database that only a database could
 * account for: containers and images (their rows), backups, the history's
 * heads (written after every change). Not the WAL: a first run makes it
 * before its schema commits, and another first run at the same moment must
 * not take that for a lost database. */
static const char *const root_state[] = {
	"containers", "images", "backups", "history.head", "events.head",
};

static bool dir_is_empty(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	bool empty = true;
	for (struct dirent *e; empty && (e = readdir(d));)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* The first of those present in the root, or NULL for a new (or empty) root. */
static const char *root_has_state(const struct dome_ctx *ctx)
{
	__cleanup_close int dfd = open(ctx->cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return NULL;
	struct stat sb;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(root_state); i++) {
		if (fstatat(dfd, root_state[i], &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		/* An empty directory holds nothing to lose: every writable run
		 * makes containers/ and images/ (rootperm.h) before this. */
		if (!S_ISDIR(sb.st_mode) || !dir_is_empty(dfd, root_state[i]))
			return root_state[i];
	}
	return NULL;
}

/* A root with state and no usable database is refused, whatever the
 * command: a new, empty inventory over it would make every container a
 * stray to `dome doctor`, and every record of the history lost. Why, and
 * what to do instead, for the error. */
static void lost_database(const struct dome_ctx *ctx, const char *found, char *out, size_t len)
{
	snprintf(out, len, "%s holds dome's state (%s%s) that only this database accounts for, "
		 "so dome will not start a new, empty one over it: restore it from a backup, "
		 "salvage it with sqlite3 .dump, or, to start afresh, move the state root "
		 "aside (RECOVERY in dome(1))",
		 ctx->cfg.root, found, strchr(found, '.') ? "" : "/...");
}

struct dome_ctx *dome_open(const struct dome_open_opts *o, struct dome_error *err)
{
	__cleanup_free struct dome_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx) {
		dome_fail(err, ENOMEM, "starting dome");
		return NULL;
	}
	if (dome_config_resolve(o, &ctx->cfg, err) < 0)
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
	const char *state = root_has_state(ctx);
	char no_init[PATH_MAX + 512];
	if (state)
		lost_database(ctx, state, no_init, sizeof no_init);
	if (access(dbpath, F_OK) != 0) {
		if (state) {
			dome_fail(err, 0, "the inventory %s is missing; %s", dbpath, no_init);
			return NULL;
		}
		if (!ctx->readonly && dome_make_database_file(dbpath, err) < 0)
			return NULL;
	}
	ctx->store = dome_store_open(dbpath, ctx->readonly, state ? no_init : NULL, err);
	if (!ctx->store)
		return NULL;
	if (!ctx->readonly)
		keep_reserve(ctx);
	if (dome_settings_load(ctx, err) < 0 ||
	    (o->root && dome_config_set_root(&ctx->cfg, o->root, err) < 0) ||
	    dome_root_identity(ctx, err) < 0) {
		dome_store_close(ctx->store);
		return NULL;
	}
	if (!ctx->readonly) {
		/* On a full disk they stay pending for a later run: failing here
		 * would keep a stop from freeing the disk. */
		struct dome_error e;
		if (dome_audit_close_interrupted(ctx, &e) < 0) {
			if (e.errnum != ENOSPC) {
				*err = e;
				dome_store_close(ctx->store);
				return NULL;
			}
			dome_note_unrecorded(ctx, "interrupted changes are still shown as pending "
					     "(%s)", e.msg);
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
