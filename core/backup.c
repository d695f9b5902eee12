/* Backups and restore (see backup.h for the archive's layout). */
#include "backup.h"
#include "tarball.h"
#include "audit.h"
#include "cgroup.h"
#include "owner.h"
#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "image.h"
#include "net.h"
#include "runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_FORMAT "dome-backup"
#define BACKUP_VERSION 1
#define MANIFEST_MAX (1 << 20)


int dome_backup_default_dir(const struct dome_ctx *ctx, char *out, size_t len)
{
	return dome_path(ctx, out, len, "backups");
}

/* ---------------------------------------------------------- freeze, thaw */

int dome_copy_freeze(struct dome_ctx *ctx, const struct dome_container *c, bool *thaw,
		     struct dome_error *err)
{
	*thaw = false;
	if (strcmp(c->state, "running") != 0 || !dome_runtime_alive(c))
		return 0; /* stopped: nothing writes; frozen: stays as it was */
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c->name, err);
	if (!cg)
		return -1;
	int rc = dome_cgroup_freeze(cg, true, err);
	dome_cgroup_free(cg);
	if (rc < 0) {
		dome_error_prefix(err, "freezing '%s' for a consistent copy", c->name);
		return -1;
	}
	*thaw = true;
	return 0;
}

void dome_copy_thaw(struct dome_ctx *ctx, const struct dome_container *c, bool thaw)
{
	if (!thaw)
		return;
	/* Retried: a container left frozen by a backup would be an outage. */
	for (int attempt = 0; attempt < 3; attempt++) {
		struct dome_error ignored;
		struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c->name, &ignored);
		if (!cg)
			return; /* gone: nothing left to thaw */
		int rc = dome_cgroup_freeze(cg, false, &ignored);
		dome_cgroup_free(cg);
		if (rc == 0)
			return;
		usleep(100000);
	}
}

/* ------------------------------------------------------------- manifest */

static json_t *int_or_null(bool present, int64_t v)
{
	return present ? json_integer(v) : json_null();
}

static json_t *settings_json(const struct dome_container *c)
{
	const struct dome_limits *l = &c->limits;
	json_t *limits = json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o}", "memory",
		int_or_null(l->memory != DOME_UNLIMITED, (int64_t)l->memory), "memory_swap",
		int_or_null(l->memory_swap != DOME_UNLIMITED, (int64_t)l->memory_swap), "cpu_weight",
		int_or_null(l->cpu_weight, l->cpu_weight), "cpu_millis", int_or_null(l->cpu_millis, l->cpu_millis),
		"pids", int_or_null(l->pids, (int64_t)l->pids), "cpuset",
		l->cpuset[0] ? json_string(l->cpuset) : json_null());
	/* io as `info --json` shows it (one object a device). */
	json_t *all = dome_limits_json(l);
	json_t *io = json_object_get(all, "io");
	json_object_set(limits, "io", io ? io : json_array());
	json_decref(all);
	json_t *o = json_pack("{s:s, s:o, s:b, s:i, s:i, s:b, s:o}", "net_mode", c->net_mode,
			      "ipv4_static", c->ipv4_static[0] ? json_string(c->ipv4_static) : json_null(),
			      "autostart", c->autostart, "autostart_order", c->autostart_order,
			      "autostart_delay", c->autostart_delay, "no_new_privs", c->no_new_privs,
			      "limits", limits);
	/* The policy without next_retry_at (a restore is a new container). */
	json_t *r = dome_restart_json(&c->restart, 0);
	json_object_del(r, "next_retry_at");
	json_object_set_new(o, "restart", r);
	return o;
}

/* The policy of a backup, read through the settings' own parser (so its
 * ranges are checked as a `dome set` checks them); a backup made before
 * restart policies has none, and the restore gets the defaults. */
static int parse_restart(json_t *r, struct dome_restart_policy *p, struct dome_error *err)
{
	dome_restart_policy_init(p);
	if (!r)
		return 0;
	static const struct {
		const char *json, *setting;
	} keys[] = { { "max", "restart_max" }, { "window_s", "restart_window" },
		     { "backoff_ms", "restart_backoff" }, { "backoff_max_ms", "restart_backoff_max" } };
	const char *mode = json_string_value(json_object_get(r, "policy"));
	if (!mode || dome_restart_setting(p, "restart", mode, err) < 0)
		return mode ? -1 : dome_invalid(err, "the backup's restart policy has no name");
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		json_t *v = json_object_get(r, keys[i].json);
		char text[32];
		if (!json_is_integer(v))
			return dome_invalid(err, "the backup's %s is not a number", keys[i].setting);
		snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (dome_restart_setting(p, keys[i].setting, text, err) < 0)
			return -1;
	}
	return dome_restart_policy_check(p, err);
}

static char *manifest_text(const struct dome_container *c, const struct dome_image *img,
			   int64_t now)
{
	json_t *m = json_pack("{s:s, s:i, s:I, s:s, s:{s:s, s:o}, s:o, s:o}", "format", BACKUP_FORMAT,
			      "version", BACKUP_VERSION, "created_at", (json_int_t)now, "container",
			      c->name, "image", "name", img->name, "digest",
			      img->digest[0] ? json_string(img->digest) : json_null(), "settings",
			      settings_json(c), "state", dome_container_json(c));
	if (!m)
		return NULL;
	char *text = json_dumps(m, JSON_INDENT(2));
	json_decref(m);
	return text;
}

struct manifest {
	char container[64];
	char image[64];
	char digest[72];
	int64_t created_at;
	struct dome_container settings;
};

static int opt_uint(json_t *o, const char *key, uint64_t min, uint64_t max, uint64_t unset,
		    uint64_t *out, struct dome_error *err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = unset;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
	    (uint64_t)json_integer_value(v) > max)
		return dome_invalid(err, "the backup's limit %s is out of range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* io limits: [{"device": "MAJ:MIN", "rbps": N|null, ...}]. */
static int parse_io(json_t *arr, struct dome_limits *l, struct dome_error *err)
{
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > DOME_IO_DEVICES_MAX)
		return dome_invalid(err, "the backup's io limits are not a list of at most %d devices",
				    DOME_IO_DEVICES_MAX);
	size_t i;
	json_t *d;
	json_array_foreach(arr, i, d) {
		struct dome_io_limit *io = &l->io[i];
		const char *dev = json_string_value(json_object_get(d, "device"));
		int used = 0;
		memset(io, 0, sizeof *io);
		if (!dev || sscanf(dev, "%4u:%7u%n", &io->major, &io->minor, &used) != 2 ||
		    dev[used] != '\0' || io->major > 4095 || io->minor > 1048575)
			return dome_invalid(err, "the backup's io limit %zu names no device MAJ:MIN", i + 1);
		if (opt_uint(d, "rbps", 1, INT64_MAX, 0, &io->rbps, err) < 0 ||
		    opt_uint(d, "wbps", 1, INT64_MAX, 0, &io->wbps, err) < 0 ||
		    opt_uint(d, "riops", 1, UINT64_C(1) << 40, 0, &io->riops, err) < 0 ||
		    opt_uint(d, "wiops", 1, UINT64_C(1) << 40, 0, &io->wiops, err) < 0)
			return -1;
	}
	l->nio = json_array_size(arr);
	return 0;
}

/* A setting from the manifest's settings, or (backups made before it was
 * there) from the container's state saved beside them. */
static json_t *setting(json_t *settings, json_t *state, const char *in, const char *key)
{
	json_t *v = json_object_get(in ? json_object_get(settings, in) : settings, key);
	if (v || !state)
		return v;
	return json_object_get(in ? json_object_get(state, in) : state, key);
}

static int parse_settings(json_t *s, json_t *state, struct dome_container *c,
			  struct dome_error *err)
{
	const char *net = NULL, *ip = NULL;
	int autostart = 0, order = 0, delay = 0;
	json_t *limits = NULL, *ipv = NULL, *cpusetv = NULL;
	json_error_t je;
	if (json_unpack_ex(s, &je, 0, "{s:s, s?o, s:b, s:i, s:i, s:o}", "net_mode", &net,
			   "ipv4_static", &ipv, "autostart", &autostart, "autostart_order", &order,
			   "autostart_delay", &delay, "limits", &limits) < 0)
		return dome_invalid(err, "the backup's settings do not read: %s", je.text);
	if (strcmp(net, "bridge") && strcmp(net, "none") && strcmp(net, "host"))
		return dome_invalid(err, "the backup's network mode '%.20s' is unknown", net);
	if (order < 0 || order > 1000000 || delay < 0 || delay > 3600)
		return dome_invalid(err, "the backup's autostart order or delay is out of range");
	if (ipv && !json_is_null(ipv) && !(ip = json_string_value(ipv)))
		return dome_invalid(err, "the backup's static address is not a string");
	strlcpy(c->net_mode, net, sizeof c->net_mode);
	if (ip) {
		uint32_t a;
		if (dome_ipv4_parse(ip, &a, err) < 0)
			return -1;
		strlcpy(c->ipv4_static, ip, sizeof c->ipv4_static);
	}
	c->autostart = autostart;
	c->autostart_order = order;
	c->autostart_delay = delay;
	if (parse_restart(json_object_get(s, "restart"), &c->restart, err) < 0)
		return -1;
	struct dome_limits *l = &c->limits;
	uint64_t weight, millis;
	if (!json_is_object(limits) ||
	    opt_uint(limits, "memory", 4ULL << 20, INT64_MAX, DOME_UNLIMITED, &l->memory, err) < 0 ||
	    opt_uint(limits, "memory_swap", 4ULL << 20, INT64_MAX, DOME_UNLIMITED, &l->memory_swap, err) < 0 ||
	    opt_uint(limits, "cpu_weight", 1, 10000, 0, &weight, err) < 0 ||
	    opt_uint(limits, "cpu_millis", 10, 1024000, 0, &millis, err) < 0 ||
	    opt_uint(limits, "pids", 1, 4194304, 0, &l->pids, err) < 0)
		return json_is_object(limits) ? -1 : dome_invalid(err, "the backup has no limits");
	l->cpu_weight = (uint32_t)weight;
	l->cpu_millis = (uint32_t)millis;
	if (l->memory_swap != DOME_UNLIMITED && (l->memory == DOME_UNLIMITED || l->memory_swap < l->memory))
		return dome_invalid(err, "the backup's memory+swap limit is below its memory limit");
	cpusetv = json_object_get(limits, "cpuset");
	if (cpusetv && json_is_string(cpusetv) &&
	    dome_parse_cpuset(json_string_value(cpusetv), l->cpuset, sizeof l->cpuset, err) < 0)
		return -1;
	if (parse_io(setting(s, state, "limits", "io"), l, err) < 0)
		return -1;
	json_t *nnp = setting(s, state, NULL, "no_new_privs");
	if (nnp && !json_is_boolean(nnp))
		return dome_invalid(err, "the backup's no_new_privs is not true or false");
	c->no_new_privs = nnp && json_is_true(nnp);
	return 0;
}

static int read_manifest(const char *file, struct manifest *m, struct dome_error *err)
{
	__cleanup_free char *text = NULL;
	if (dome_archive_read_first(file, DOME_BACKUP_MANIFEST, MANIFEST_MAX, &text, err) < 0)
		return -1;
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	if (!j)
		return dome_fail(err, 0, "%s: %s does not read as JSON: %s", file, DOME_BACKUP_MANIFEST,
				 je.text);
	const char *format = NULL, *container = NULL, *image = NULL, *digest = NULL;
	json_t *digestv = NULL;
	int version = 0;
	json_int_t created = 0;
	json_t *settings = NULL, *state = NULL;
	int rc = 0;
	memset(m, 0, sizeof *m);
	dome_limits_init(&m->settings.limits);
	if (json_unpack_ex(j, &je, 0, "{s:s, s:i, s:I, s:s, s:{s:s, s?o}, s:o}", "format", &format,
			   "version", &version, "created_at", &created, "container", &container,
			   "image", "name", &image, "digest", &digestv, "settings", &settings) < 0)
		rc = dome_fail(err, 0, "%s is not a dome backup: %s", file, je.text);
	else if (strcmp(format, BACKUP_FORMAT) != 0 || version != BACKUP_VERSION)
		rc = dome_fail(err, 0, "%s is a backup of format %s %d; this dome reads %s %d", file,
			       format, version, BACKUP_FORMAT, BACKUP_VERSION);
	else if (dome_validate_name("container", container, err) < 0 ||
		 dome_validate_name("image", image, err) < 0 ||
		 parse_settings(settings, (state = json_object_get(j, "state")) && json_is_object(state)
						  ? state : NULL, &m->settings, err) < 0)
		rc = -1;
	if (rc == 0 && digestv && json_is_string(digestv))
		digest = json_string_value(digestv);
	if (rc == 0) {
		strlcpy(m->container, container, sizeof m->container);
		strlcpy(m->image, image, sizeof m->image);
		strlcpy(m->digest, digest ? digest : "", sizeof m->digest);
		m->created_at = created;
	} else if (err->msg[0] && !strstr(err->msg, file)) {
		dome_error_prefix(err, "%s", file);
	}
	json_decref(j);
	return rc;
}

/* --------------------------------------------------------------- create */

struct backup_arg {
	const char *name, *dir;
	char *path;
	size_t pathlen;
};

static int write_backup(struct dome_ctx *ctx, const struct dome_container *c, const char *path,
			struct dome_error *err)
{
	struct dome_image img = { 0 };
	if (dome_image_find(ctx->store, c->image, &img, err) < 0)
		return -1;
	strlcpy(img.name, c->image, sizeof img.name);
	char upper[PATH_MAX];
	if (dome_path(ctx, upper, sizeof upper, "containers/%s/upper", c->name) < 0)
		return dome_invalid(err, "state root too long");
	__cleanup_free char *manifest = manifest_text(c, &img, dome_now_ms());
	if (!manifest)
		return dome_fail(err, ENOMEM, "writing the backup's manifest");
	bool thaw = false;
	if (dome_copy_freeze(ctx, c, &thaw, err) < 0)
		return -1;
	struct dome_archive_writer *w = dome_archive_create(path, err);
	int rc = w ? 0 : -1;
	if (rc == 0)
		rc = dome_archive_add_data(w, DOME_BACKUP_MANIFEST, manifest, strlen(manifest), 0600, err);
	if (rc == 0)
		rc = dome_archive_add_tree(w, "upper/", NULL, upper, true, err);
	if (rc == 0)
		rc = dome_archive_finish(w, err);
	else
		dome_archive_abort(w);
	dome_copy_thaw(ctx, c, thaw);
	return rc;
}

static int apply_backup(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			struct dome_error *err)
{
	struct backup_arg *a = arg;
	__cleanup_lock int lock = dome_lock_container(ctx, a->name, err);
	if (lock < 0)
		return -1;
	struct dome_container c;
	if (dome_inv_get(ctx->store, a->name, &c, err) < 0)
		return -1;
	ch->before = dome_container_json(&c);
	if (dome_mkdir_p(a->dir, 0700, err) < 0)
		return -1;
	int64_t now = dome_now_ms();
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char stamp[32];
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	if (dome_pathf(a->path, a->pathlen, "%s/%s-%s-%03d.tar.gz", a->dir, c.name, stamp,
		       (int)(now % 1000)) < 0)
		return dome_invalid(err, "backup directory path too long");
	if (write_backup(ctx, &c, a->path, err) < 0) {
		dome_error_prefix(err, "backing up '%s'", c.name);
		return -1;
	}
	struct stat st;
	ch->after = json_pack("{s:s, s:I}", "file", a->path,
			      "size_bytes", (json_int_t)(stat(a->path, &st) == 0 ? st.st_size : 0));
	return 0;
}

static int resolve_dir(struct dome_ctx *ctx, const char *dir, char *out, size_t len,
		       struct dome_error *err)
{
	if (!dir)
		return dome_backup_default_dir(ctx, out, len) < 0 ? dome_invalid(err, "state root too long") : 0;
	if (dir[0] == '/')
		return strlcpy(out, dir, len) >= len ? dome_invalid(err, "path too long: %s", dir) : 0;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return dome_fail(err, errno, "cannot tell the working directory");
	return dome_pathf(out, len, "%s/%s", cwd, dir) < 0 ? dome_invalid(err, "path too long: %s", dir) : 0;
}

int dome_backup_create(struct dome_ctx *ctx, const char *name, const char *dir, char *path,
		       size_t pathlen, struct dome_error *err)
{
	char where[PATH_MAX];
	if (dome_validate_name("container", name, err) < 0 ||
	    resolve_dir(ctx, dir, where, sizeof where, err) < 0)
		return -1;
	struct backup_arg a = { name, where, path, pathlen };
	struct dome_change ch = { .action = "backup", .target = name,
				  .params = json_pack("{s:s}", "to", where) };
	return dome_mutate(ctx, &ch, apply_backup, &a, err);
}

/* ----------------------------------------------------------------- list */

static int cmp_backup(const void *a, const void *b)
{
	const struct dome_backup_info *x = a, *y = b;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->file, y->file);
}

int dome_backup_list(struct dome_ctx *ctx, const char *dir, struct dome_backup_info **out,
		     size_t *n, struct dome_error *err)
{
	char where[PATH_MAX];
	if (resolve_dir(ctx, dir, where, sizeof where, err) < 0)
		return -1;
	*out = NULL;
	*n = 0;
	__cleanup_closedir DIR *d = opendir(where);
	if (!d)
		return errno == ENOENT ? 0 : dome_fail(err, errno, "cannot list %s", where);
	__cleanup_free struct dome_backup_info *list = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		struct manifest m;
		struct dome_error ignored;
		if (e->d_name[0] == '.' || !dome_archive_name_ok(e->d_name) ||
		    dome_pathf(path, sizeof path, "%s/%s", where, e->d_name) < 0 ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode) || read_manifest(path, &m, &ignored) < 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			struct dome_backup_info *grown = reallocarray(list, cap, sizeof *list);
			if (!grown)
				return dome_fail(err, ENOMEM, "listing backups");
			list = grown;
		}
		struct dome_backup_info *b = &list[count++];
		memset(b, 0, sizeof *b);
		strlcpy(b->file, path, sizeof b->file);
		strlcpy(b->container, m.container, sizeof b->container);
		strlcpy(b->image, m.image, sizeof b->image);
		strlcpy(b->digest, m.digest, sizeof b->digest);
		b->created_at = m.created_at;
		b->size_bytes = (uint64_t)st.st_size;
	}
	if (count)
		qsort(list, count, sizeof *list, cmp_backup);
	*out = move_ptr(list);
	*n = count;
	return 0;
}

/* -------------------------------------------------------------- restore */

struct restore_arg {
	const char *file, *name;
	const struct manifest *m;
};

static int refuse_taken(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	struct dome_container other;
	int found = dome_inv_find(ctx->store, name, &other, err);
	if (found < 0)
		return -1;
	if (found)
		return dome_fail(err, 0, "a container named '%s' exists already; restore under another "
				 "name with --as NEWNAME, or destroy it first", name);
	return 0;
}

/* Rows and directories of the restored container, all or nothing. */
static int install_restored(struct dome_ctx *ctx, struct dome_container *c, const char *tmp,
			    struct dome_error *err)
{
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "containers/%s", c->name) < 0 ||
	    dome_pathf(from, sizeof from, "%s/upper", tmp) < 0 ||
	    dome_pathf(to, sizeof to, "%s/upper", dir) < 0)
		return dome_invalid(err, "state root too long");
	struct stat st;
	if (lstat(from, &st) < 0 || !S_ISDIR(st.st_mode))
		return dome_fail(err, 0, "the backup holds no upper/ directory");
	if (dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (dome_inv_insert(ctx->store, c, err) < 0) {
		dome_store_rollback(ctx->store);
		return -1;
	}
	static const char *const subs[] = { "work", "rootfs" };
	int rc = mkdir(dir, 0700) < 0 ? dome_fail(err, errno, "cannot create %s", dir) : 0; /* rootperm.h */
	if (rc == 0 && rename(from, to) < 0)
		rc = dome_fail(err, errno, "cannot move the restored files into %s", to);
	for (size_t i = 0; rc == 0 && i < DOME_ARRAY_SIZE(subs); i++) {
		char sub[PATH_MAX];
		if (dome_pathf(sub, sizeof sub, "%s/%s", dir, subs[i]) < 0 || mkdir(sub, 0755) < 0)
			rc = dome_fail(err, errno, "cannot create %s/%s", dir, subs[i]);
	}
	if (rc == 0 && dome_store_commit(ctx->store, err) < 0)
		rc = -1;
	if (rc < 0) {
		struct dome_error ignored;
		dome_store_rollback(ctx->store);
		dome_rm_rf(dir, &ignored);
	}
	return rc;
}

static int apply_restore(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			 struct dome_error *err)
{
	const struct restore_arg *a = arg;
	__cleanup_lock int lock = dome_lock_container(ctx, a->name, err);
	if (lock < 0)
		return -1;
	if (refuse_taken(ctx, a->name, err) < 0)
		return -1;
	char dir[PATH_MAX], tmp[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "containers/%s", a->name) < 0 ||
	    dome_path(ctx, tmp, sizeof tmp, "containers/.%s.restore.%d", a->name, (int)getpid()) < 0)
		return dome_invalid(err, "state root too long");
	if (access(dir, F_OK) == 0)
		return dome_fail(err, EEXIST, "the directory %s exists already; `dome doctor` finds "
				 "leftovers", dir);
	struct dome_container c = a->m->settings;
	strlcpy(c.name, a->name, sizeof c.name);
	strlcpy(c.image, a->m->image, sizeof c.image);
	strlcpy(c.state, "stopped", sizeof c.state);
	c.created_at = dome_now_ms();
	struct dome_extract_opts opts = { .keep_overlay_xattrs = true };
	struct dome_error ignored;
	int rc = 0;
	if (dome_rm_rf(tmp, err) < 0 || dome_mkdir_p(tmp, 0700, err) < 0 ||
	    dome_archive_extract(a->file, tmp, &opts, err) < 0 ||
	    install_restored(ctx, &c, tmp, err) < 0)
		rc = -1;
	dome_rm_rf(tmp, &ignored);
	if (rc < 0) {
		dome_error_prefix(err, "restoring '%s'", a->name);
		return -1;
	}
	ch->after = dome_container_json(&c);
	return 0;
}

static int check_image(struct dome_ctx *ctx, const struct manifest *m, struct dome_error *err)
{
	struct dome_image img;
	int found = dome_image_find(ctx->store, m->image, &img, err);
	if (found < 0)
		return -1;
	if (!found && strcmp(m->image, DOME_BUSYBOX_IMAGE) != 0)
		return dome_fail(err, 0, "the backup needs the image '%s', which is not here; import it "
				 "(`dome image import %s FILE`) and restore again", m->image, m->image);
	/* The built-in image is made on first use, as its own change. */
	if (!found && dome_image_get(ctx, m->image, &img, err) < 0)
		return -1;
	if (m->digest[0] && img.digest[0] && strcmp(m->digest, img.digest) != 0)
		return dome_fail(err, 0, "the image '%s' here (%.20s...) is not the one the backup was "
				 "made on (%.20s...); its files would sit on a different base",
				 m->image, img.digest, m->digest);
	return 0;
}

int dome_backup_less_isolated(const char *file, char *why, size_t len, struct dome_error *err)
{
	struct manifest m;
	if (read_manifest(file, &m, err) < 0)
		return -1;
	return dome_container_less_isolated(&m.settings, why, len) ? 1 : 0;
}

int dome_backup_restore(struct dome_ctx *ctx, const char *file, const char *as,
			bool allow_less_isolation, char *name, size_t namelen,
			struct dome_error *err)
{
	if (as && dome_validate_name("container", as, err) < 0)
		return -1;
	char abs[PATH_MAX];
	if (!realpath(file, abs))
		return dome_fail(err, errno, "cannot read %s", file);
	struct manifest m;
	if (read_manifest(abs, &m, err) < 0 || dome_check_writable(ctx, err) < 0)
		return -1;
	char why[256];
	if (dome_container_less_isolated(&m.settings, why, sizeof why) && !allow_less_isolation)
		return dome_fail(err, 0, "the backup %s runs its container with less isolation than a "
				 "new one: %s; restore with --allow-less-isolation to accept that",
				 abs, why);
	const char *target = as ? as : m.container;
	if (refuse_taken(ctx, target, err) < 0 || check_image(ctx, &m, err) < 0)
		return -1;
	strlcpy(name, target, namelen);
	struct restore_arg a = { abs, target, &m };
	struct dome_change ch = { .action = "restore", .target = target,
				  .params = json_pack("{s:s, s:s, s:s, s:b}", "file", abs, "from",
						      m.container, "image", m.image,
						      "allow_less_isolation", allow_less_isolation) };
	return dome_mutate(ctx, &ch, apply_restore, &a, err);
}
