/* Images in and out. An image always arrives through one path: a tree is
 * built in <root>/images/.NAME.PID/rootfs, then renamed to images/NAME and
 * its row inserted. Import extracts a tarball there (archive.c refuses
 * anything that would land outside); commit writes the container's merged
 * view to a tarball first and imports that, so a committed image is checked
 * and digested exactly like an imported one; debootstrap builds in place.
 *
 * Commit reads the two layers itself (archive.c walks lower and upper,
 * honouring whiteouts and opaque directories) rather than mounting the
 * overlay a second time: a running container's upper dir is in use by its
 * own mount, which the kernel refuses to share, and reading needs no mount
 * namespace or child process. */
#include "image_io.h"
#include "tarball.h"
#include "audit.h"
#include "backup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "image.h"
#include "inventory.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


/* ------------------------------------------------------------ build dirs */

struct build {
	char dir[PATH_MAX];      /* images/.NAME.PID */
	char rootfs[PATH_MAX];   /* images/.NAME.PID/rootfs */
	char final[PATH_MAX];    /* images/NAME */
};

static int refuse_existing(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	struct dome_image img;
	int found = dome_image_find(ctx->store, name, &img, err);
	if (found < 0)
		return -1;
	if (found || strcmp(name, DOME_BUSYBOX_IMAGE) == 0)
		return dome_fail(err, 0, "an image named '%s' exists already; choose another name or "
				 "remove it with `dome image rm %s`", name, name);
	return 0;
}

static int build_begin(struct dome_ctx *ctx, const char *name, struct build *b,
		       struct dome_error *err)
{
	if (dome_path(ctx, b->dir, sizeof b->dir, "images/.%s.%d", name, (int)getpid()) < 0 ||
	    dome_path(ctx, b->rootfs, sizeof b->rootfs, "images/.%s.%d/rootfs", name, (int)getpid()) < 0 ||
	    dome_path(ctx, b->final, sizeof b->final, "images/%s", name) < 0)
		return dome_invalid(err, "state root too long");
	if (access(b->final, F_OK) == 0)
		return dome_fail(err, EEXIST, "the directory %s exists already; `dome doctor` finds "
				 "leftovers", b->final);
	if (dome_rm_rf(b->dir, err) < 0 || dome_mkdir_p(b->dir, 0700, err) < 0)
		return -1;
	if (mkdir(b->rootfs, 0755) < 0)
		return dome_fail(err, errno, "cannot create %s", b->rootfs);
	return 0;
}

static void build_abort(const struct build *b)
{
	struct dome_error ignored;
	dome_rm_rf(b->dir, &ignored);
}

/* Rename the tree into place and insert its row; on failure nothing stays. */
/* `like`, when given, is the image whose init and stop signal it keeps (a
 * commit's base); else the tree's own init says (dome_image_detect_init). */
static int build_install(struct dome_ctx *ctx, const char *name, const struct build *b,
			 const char *digest, const struct dome_image *like,
			 struct dome_change *ch, struct dome_error *err)
{
	struct dome_image img;
	char init[sizeof img.init_cmd];
	int stop_signal;
	dome_image_detect_init(b->rootfs, init, sizeof init, &stop_signal);
	if (like) {
		strlcpy(init, like->init_cmd, sizeof init);
		stop_signal = like->stop_signal;
	}
	dome_image_describe(&img, name, b->final, b->rootfs, init, stop_signal);
	if (digest)
		strlcpy(img.digest, digest, sizeof img.digest);
	/* The image's root is the container's /: world-readable like any. */
	chmod(b->rootfs, 0755);
	if (rename(b->rootfs, b->final) < 0) {
		dome_fail(err, errno, "cannot move the image into %s", b->final);
		build_abort(b);
		return -1;
	}
	build_abort(b);
	if (dome_image_insert(ctx->store, &img, err) < 0) {
		struct dome_error ignored;
		dome_rm_rf(b->final, &ignored);
		return -1;
	}
	ch->after = dome_image_json(&img);
	return 0;
}

/* ---------------------------------------------------------------- import */

struct import_arg {
	const char *name, *file;
	struct dome_import_notes *notes;
};

static int import_into(struct dome_ctx *ctx, const char *name, const char *file,
		       const struct build *b, const struct dome_image *like,
		       struct dome_change *ch, struct dome_import_notes *notes,
		       struct dome_error *err)
{
	char digest[DOME_DIGEST_LEN];
	size_t dropped = 0;
	struct dome_extract_opts opts = { .dropped_devices = &dropped };
	if (dome_sha256_file(file, digest, err) < 0 ||
	    dome_archive_extract(file, b->rootfs, &opts, err) < 0) {
		build_abort(b);
		return -1;
	}
	if (build_install(ctx, name, b, digest, like, ch, err) < 0)
		return -1;
	if (dropped && ch->after)
		json_object_set_new(ch->after, "dropped_device_nodes", json_integer((json_int_t)dropped));
	if (notes)
		notes->dropped_devices = dropped;
	return 0;
}

static int apply_import(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	const struct import_arg *a = arg;
	struct build b;
	if (refuse_existing(ctx, a->name, err) < 0 || build_begin(ctx, a->name, &b, err) < 0)
		return -1;
	if (import_into(ctx, a->name, a->file, &b, NULL, ch, a->notes, err) < 0) {
		dome_error_prefix(err, "importing image '%s'", a->name);
		return -1;
	}
	return 0;
}

static int check_input_file(const char *file, struct dome_error *err)
{
	struct stat st;
	if (stat(file, &st) < 0)
		return dome_fail(err, errno, "cannot read %s", file);
	if (!S_ISREG(st.st_mode))
		return dome_invalid(err, "%s is not a regular file", file);
	return 0;
}

int dome_image_import(struct dome_ctx *ctx, const char *name, const char *file,
		      struct dome_import_notes *notes, struct dome_error *err)
{
	if (dome_validate_name("image", name, err) < 0 || check_input_file(file, err) < 0)
		return -1;
	char abs[PATH_MAX];
	if (!realpath(file, abs))
		return dome_fail(err, errno, "cannot resolve %s", file);
	struct import_arg a = { name, abs, notes };
	struct dome_change ch = { .action = "image-import", .target = name,
				  .params = json_pack("{s:s}", "file", abs) };
	return dome_mutate(ctx, &ch, apply_import, &a, err);
}

/* ---------------------------------------------------------------- export */

int dome_image_export(struct dome_ctx *ctx, const char *name, const char *file,
		      struct dome_error *err)
{
	struct dome_image img;
	if (dome_image_get(ctx, name, &img, err) < 0)
		return -1;
	struct dome_archive_writer *w = dome_archive_create(file, err);
	if (!w)
		return -1;
	if (dome_archive_add_tree(w, "", img.path, NULL, false, err) < 0) {
		dome_archive_abort(w);
		dome_error_prefix(err, "exporting image '%s'", name);
		return -1;
	}
	return dome_archive_finish(w, err);
}

/* ---------------------------------------------------------------- commit */

struct commit_arg {
	const char *container, *image;
	struct dome_import_notes *notes;
};

/* The container's merged view as a tarball at `tar`. */
static int write_merged(struct dome_ctx *ctx, const struct dome_container *c, const char *tar,
			struct dome_error *err)
{
	struct dome_image base;
	char upper[PATH_MAX];
	/* find, not get: this runs inside the commit's change (the base image
	 * was made before it, if it was the built-in one). */
	int found = dome_image_find(ctx->store, c->image, &base, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, 0, "the image '%s' of '%s' is gone", c->image, c->name);
	if (dome_path(ctx, upper, sizeof upper, "containers/%s/upper", c->name) < 0)
		return dome_invalid(err, "state root too long");
	bool thaw = false;
	if (dome_copy_freeze(ctx, c, &thaw, err) < 0)
		return -1;
	/* What a running init keeps in tmpfs (dome mounts /run; /tmp is
	 * scratch) is not part of an image. */
	static const char *const bare[] = { "run", "tmp", NULL };
	struct dome_archive_writer *w = dome_archive_create(tar, err);
	int rc = w ? dome_archive_add_tree_bare(w, "", base.path, upper, false, bare, err) : -1;
	if (rc == 0) {
		rc = dome_archive_finish(w, err);
	} else {
		dome_archive_abort(w);
	}
	dome_copy_thaw(ctx, c, thaw);
	return rc;
}

static int apply_commit(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	const struct commit_arg *a = arg;
	__cleanup_lock int lock = dome_lock_container(ctx, a->container, err);
	if (lock < 0)
		return -1;
	struct dome_container c;
	if (dome_inv_get(ctx->store, a->container, &c, err) < 0 ||
	    refuse_existing(ctx, a->image, err) < 0)
		return -1;
	struct build b;
	if (build_begin(ctx, a->image, &b, err) < 0)
		return -1;
	char tar[PATH_MAX];
	if (dome_pathf(tar, sizeof tar, "%s/merged.tar", b.dir) < 0) {
		build_abort(&b);
		return dome_invalid(err, "state root too long");
	}
	if (write_merged(ctx, &c, tar, err) < 0) {
		build_abort(&b);
		dome_error_prefix(err, "committing '%s'", a->container);
		return -1;
	}
	struct dome_image base;
	if (dome_image_find(ctx->store, c.image, &base, err) != 1) {
		build_abort(&b);
		return -1;
	}
	if (import_into(ctx, a->image, tar, &b, &base, ch, a->notes, err) < 0) {
		dome_error_prefix(err, "committing '%s'", a->container);
		return -1;
	}
	return 0;
}

int dome_image_commit(struct dome_ctx *ctx, const char *container, const char *image,
		      struct dome_import_notes *notes, struct dome_error *err)
{
	if (dome_validate_name("container", container, err) < 0 ||
	    dome_validate_name("image", image, err) < 0 || dome_check_writable(ctx, err) < 0)
		return -1;
	/* The base image first (the built-in one is made as its own change). */
	struct dome_container c;
	struct dome_image base;
	if (dome_inv_get(ctx->store, container, &c, err) < 0 || dome_image_get(ctx, c.image, &base, err) < 0)
		return -1;
	struct commit_arg a = { container, image, notes };
	struct dome_change ch = { .action = "commit", .target = image,
				  .params = json_pack("{s:s, s:s}", "container", container, "base",
						      base.name) };
	return dome_mutate(ctx, &ch, apply_commit, &a, err);
}

/* ---------------------------------------------------------------- debian */

struct debian_arg {
	const char *name;
	const struct dome_debian_opts *o;
	char include[DOME_DEBIAN_INCLUDE_MAX + 64];
};

/* The last non-empty line of a log, for the error message. */
static void last_line(const char *path, char *out, size_t len)
{
	out[0] = '\0';
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			strlcpy(out, line, len);
	}
}

/* debootstrap's output goes to the log; each whole line is also handed to
 * the caller's progress callback (its "I: Retrieving ...", "I: Configuring
 * ..." phases). */
static void relay_output(int from, int log, const struct dome_debian_opts *o)
{
	char buf[4096], line[512];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(from, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(log, buf, (size_t)n) < 0) {
			/* the log is best effort; progress goes on */
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && used < sizeof line - 1) {
				line[used++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue; /* an overlong line: the rest is dropped */
			line[used] = '\0';
			if (used && o->progress)
				o->progress(line, o->progress_data);
			used = 0;
		}
	}
}

static int run_debootstrap(const struct debian_arg *a, const char *target, const char *mirror,
			   const char *log, int *status, struct dome_error *err)
{
	char variant[32], include[sizeof a->include + 16];
	snprintf(variant, sizeof variant, "--variant=%s", a->o->variant);
	snprintf(include, sizeof include, "--include=%s", a->include);
	char *const argv[] = { (char *)"debootstrap", variant, include, (char *)a->o->suite,
			       (char *)target, (char *)mirror, NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C",
			       (char *)"DEBIAN_FRONTEND=noninteractive", NULL };
	__cleanup_close int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return dome_fail(err, errno, "cannot create %s", log);
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return dome_fail(err, errno, "cannot create a pipe for debootstrap");
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		return dome_fail(err, errno, "cannot fork for debootstrap");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execve(DOME_DEBOOTSTRAP, argv, envp);
		_exit(127);
	}
	close(out[1]);
	relay_output(out[0], fd, a->o);
	close(out[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return dome_fail(err, errno, "waiting for debootstrap");
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

/* True when the log says the mirror could not be reached at all. */
static bool mirror_unreachable(const char *log)
{
	__cleanup_fclose FILE *f = fopen(log, "re");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "Failed getting release file") || strstr(line, "Couldn't download") ||
		    strstr(line, "Failed to retrieve"))
			return true;
	return false;
}

static int apply_debian(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	const struct debian_arg *a = arg;
	struct build b;
	if (refuse_existing(ctx, a->name, err) < 0 || build_begin(ctx, a->name, &b, err) < 0)
		return -1;
	char log[PATH_MAX];
	int status = 0;
	if (dome_pathf(log, sizeof log, "%s/debootstrap.log", b.dir) < 0 ||
	    run_debootstrap(a, b.rootfs, ctx->cfg.debian_mirror, log, &status, err) < 0) {
		build_abort(&b);
		return -1;
	}
	if (status != 0) {
		char why[512];
		last_line(log, why, sizeof why);
		bool unreachable = mirror_unreachable(log);
		build_abort(&b);
		if (unreachable)
			return dome_fail(err, 0, "cannot reach the Debian mirror %s (debootstrap: %s); "
					 "building needs network access to the mirror; set another with "
					 "[image] debian_mirror in dome.conf", ctx->cfg.debian_mirror, why);
		return dome_fail(err, 0, "debootstrap could not build Debian %s from %s (exit %d: %s)",
				 a->o->suite, ctx->cfg.debian_mirror, status, why[0] ? why : "no output");
	}
	return build_install(ctx, a->name, &b, NULL, NULL, ch, err);
}

/* "pkg,pkg2": Debian package names (policy 5.6.1), comma-separated. */
static int check_packages(const char *list, struct dome_error *err)
{
	if (strlen(list) > DOME_DEBIAN_INCLUDE_MAX)
		return dome_invalid(err, "--include lists more than %d characters of packages",
				    DOME_DEBIAN_INCLUDE_MAX);
	size_t len = 0;
	for (const char *p = list;; p++) {
		if (*p == ',' || !*p) {
			if (len < 2)
				return dome_invalid(err, "'%.60s' is not a comma-separated list of Debian "
						    "package names", list);
			if (!*p)
				return 0;
			len = 0;
			continue;
		}
		bool first = len == 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      (!first && strchr("+-.", *p))))
			return dome_invalid(err, "'%.60s' is not a comma-separated list of Debian package "
					    "names (lower case letters, digits, + - .)", list);
		len++;
	}
}

int dome_image_debian(struct dome_ctx *ctx, const char *name, const struct dome_debian_opts *opts,
		      struct dome_error *err)
{
	struct dome_debian_opts o = *opts;
	if (!o.suite)
		o.suite = "bookworm";
	if (!o.variant)
		o.variant = "minbase";
	if (dome_validate_name("image", name, err) < 0)
		return -1;
	if (!o.suite[0] || strlen(o.suite) > 32)
		return dome_invalid(err, "suite '%.40s' is not a Debian suite name", o.suite);
	for (const char *p = o.suite; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return dome_invalid(err, "suite '%.40s' is not a Debian suite name "
					    "(bookworm, trixie, stable, ...)", o.suite);
	if (strcmp(o.variant, "minbase") != 0 && strcmp(o.variant, "buildd") != 0)
		return dome_invalid(err, "variant '%.40s' is not minbase or buildd", o.variant);
	if (o.include && o.include[0] && check_packages(o.include, err) < 0)
		return -1;
	if (access(DOME_DEBOOTSTRAP, X_OK) < 0)
		return dome_fail(err, errno, "%s is needed to build Debian images; "
				 "apt-get install debootstrap", DOME_DEBOOTSTRAP);
	struct debian_arg a = { .name = name, .o = &o };
	/* What makes it a system container: systemd as init, ip for its
	 * network. */
	snprintf(a.include, sizeof a.include, "%s%s%s", DOME_DEBIAN_PACKAGES,
		 o.include && o.include[0] ? "," : "", o.include ? o.include : "");
	struct dome_change ch = { .action = "image-debian", .target = name,
				  .params = json_pack("{s:s, s:s, s:s, s:s}", "suite", o.suite,
						      "variant", o.variant, "include", a.include,
						      "mirror", ctx->cfg.debian_mirror) };
	return dome_mutate(ctx, &ch, apply_debian, &a, err);
}

/* ------------------------------------------------------------------- set */

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "PWR", SIGPWR },
	{ "CONT", SIGCONT },
};

int dome_parse_signal(const char *s, int *out, struct dome_error *err)
{
	const char *n = strncmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(signals); i++)
		if (strcmp(n, signals[i].name) == 0) {
			*out = signals[i].sig;
			return 0;
		}
	uint64_t v;
	struct dome_error ignored;
	if (strncmp(n, "RTMIN+", 6) == 0 &&
	    dome_parse_uint("signal", n + 6, 0, (uint64_t)(SIGRTMAX - SIGRTMIN), &v, &ignored) == 0) {
		*out = SIGRTMIN + (int)v;
		return 0;
	}
	if (dome_parse_uint("signal", s, 1, (uint64_t)SIGRTMAX, &v, &ignored) == 0) {
		*out = (int)v;
		return 0;
	}
	return dome_invalid(err, "stop_signal '%.40s' is not a signal (SIGTERM, SIGUSR2, "
			    "SIGRTMIN+3, 15, ...)", s);
}

static int parse_path_value(const char *key, const char *v, char *out, size_t len,
			    struct dome_error *err)
{
	if (v[0] != '/' || strlen(v) >= len)
		return dome_invalid(err, "%s '%.60s' must be an absolute path inside the image", key, v);
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/._+-", *p)))
			return dome_invalid(err, "%s '%.60s' holds a character other than letters, digits "
					    "and / . _ + -", key, v);
	size_t len_v = strlen(v);
	if (strstr(v, "/../") || (len_v >= 3 && strcmp(v + len_v - 3, "/..") == 0))
		return dome_invalid(err, "%s '%.60s' may not climb with '..'", key, v);
	strlcpy(out, v, len);
	return 0;
}

static const char *const arches[] = { "x86_64", "i686", "aarch64", "armv7l", "armv6l",
				      "riscv64", "ppc64le", "s390x", "mips64", "loongarch64" };

static int parse_image_setting(struct dome_image *img, const char *kv, struct dome_error *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return dome_invalid(err, "'%.60s' is not KEY=VALUE", kv);
	size_t klen = (size_t)(eq - kv);
	const char *v = eq + 1;
	if (klen == 4 && !strncmp(kv, "init", 4))
		return parse_path_value("init", v, img->init_cmd, sizeof img->init_cmd, err);
	if (klen == 5 && !strncmp(kv, "shell", 5))
		return parse_path_value("shell", v, img->shell, sizeof img->shell, err);
	if (klen == 11 && !strncmp(kv, "stop_signal", 11))
		return dome_parse_signal(v, &img->stop_signal, err);
	if (klen == 4 && !strncmp(kv, "arch", 4)) {
		for (size_t i = 0; i < DOME_ARRAY_SIZE(arches); i++)
			if (!strcmp(v, arches[i])) {
				strlcpy(img->arch, v, sizeof img->arch);
				return 0;
			}
		return dome_invalid(err, "arch '%.40s' is not one of x86_64, i686, aarch64, armv7l, "
				    "armv6l, riscv64, ppc64le, s390x, mips64, loongarch64", v);
	}
	return dome_invalid(err, "unknown image setting '%.*s'; settings are init, stop_signal, "
			    "shell, arch", (int)(klen > 40 ? 40 : klen), kv);
}

static const char SQL_IMAGE_UPDATE[] =
	"UPDATE images SET init_cmd = ?2, stop_signal = ?3, shell = ?4, arch = ?5 WHERE name = ?1";

struct set_arg {
	const char *name;
	char *const *kv;
	size_t n;
};

static int apply_image_set(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			   struct dome_error *err)
{
	const struct set_arg *a = arg;
	struct dome_image img;
	if (dome_image_get(ctx, a->name, &img, err) < 0)
		return -1;
	ch->before = dome_image_json(&img);
	for (size_t i = 0; i < a->n; i++)
		if (parse_image_setting(&img, a->kv[i], err) < 0)
			return -1;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_IMAGE_UPDATE, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, img.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, img.init_cmd, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, img.stop_signal);
	sqlite3_bind_text(s, 4, img.shell, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, img.arch, -1, SQLITE_STATIC);
	if (dome_store_exec_stmt(ctx->store, s, "storing image settings", err) < 0)
		return -1;
	ch->after = dome_image_json(&img);
	return 0;
}

int dome_image_set(struct dome_ctx *ctx, const char *name, char *const *assignments, size_t n,
		   struct dome_error *err)
{
	if (dome_validate_name("image", name, err) < 0)
		return -1;
	if (n == 0)
		return dome_invalid(err, "nothing to set; give KEY=VALUE (init, stop_signal, shell, arch)");
	json_t *params = dome_kv_params(assignments, n, err);
	if (!params)
		return -1;
	struct dome_image scratch = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (parse_image_setting(&scratch, assignments[i], err) < 0) {
			json_decref(params);
			return -1;
		}
	}
	struct set_arg a = { name, assignments, n };
	struct dome_change ch = { .action = "image-set", .target = name, .params = params };
	return dome_mutate(ctx, &ch, apply_image_set, &a, err);
}
