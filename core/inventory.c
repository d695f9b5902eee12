#include "inventory.h"
#include "cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dome_limits_init(struct dome_limits *l)
{
	memset(l, 0, sizeof *l);
	l->memory = DOME_UNLIMITED;
	l->memory_swap = DOME_UNLIMITED;
}

#define CONTAINER_COLUMNS                                                                   \
	"c.id, c.name, c.image, c.state, c.net_mode, c.ipv4_static, c.pid, c.pid_start, "   \
	"c.monitor_pid, c.monitor_start, c.created_at, c.started_at, c.stopped_at, "        \
	"c.exit_code, c.exit_signal, c.oom_kills, c.autostart, c.autostart_order, "         \
	"c.autostart_delay, l.memory, l.memory_swap, l.cpu_weight, l.cpu_millis, l.pids, "  \
	"l.cpuset, ls.address, io.spec, c.no_new_privs, ni.host_ifname, c.restart, "          \
	"c.restart_max, c.restart_window, c.restart_backoff, c.restart_backoff_max, "       \
	"c.restart_next_at FROM containers c " \
	"LEFT JOIN limits l ON l.container_id = c.id " \
	"LEFT JOIN net_interfaces ni ON ni.container_id = c.id AND ni.ifname = 'eth0' " \
	"LEFT JOIN leases ls ON ls.container_id = c.id " \
	"LEFT JOIN (SELECT container_id, group_concat(device || ' ' || ifnull(rbps, 0) || ' ' || " \
	"ifnull(wbps, 0) || ' ' || ifnull(riops, 0) || ' ' || ifnull(wiops, 0), ';') AS spec " \
	"FROM io_limits GROUP BY container_id) io ON io.container_id = c.id"

static const char SQL_LIST[] = "SELECT " CONTAINER_COLUMNS " ORDER BY c.name";
static const char SQL_FIND[] = "SELECT " CONTAINER_COLUMNS " WHERE c.name = ?1";

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	strlcpy(dst, t ? (const char *)t : "", len);
}

static int64_t col_i64(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

static void read_container(sqlite3_stmt *s, struct dome_container *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, c->name, sizeof c->name);
	col_text(s, 2, c->image, sizeof c->image);
	col_text(s, 3, c->state, sizeof c->state);
	col_text(s, 4, c->net_mode, sizeof c->net_mode);
	col_text(s, 5, c->ipv4_static, sizeof c->ipv4_static);
	c->pid = col_i64(s, 6);
	c->pid_start = col_i64(s, 7);
	c->monitor_pid = col_i64(s, 8);
	c->monitor_start = col_i64(s, 9);
	c->created_at = col_i64(s, 10);
	c->started_at = col_i64(s, 11);
	c->stopped_at = col_i64(s, 12);
	c->has_exit = sqlite3_column_type(s, 13) != SQLITE_NULL ||
		      sqlite3_column_type(s, 14) != SQLITE_NULL;
	c->exit_code = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 13);
	c->exit_signal = (int)col_i64(s, 14);
	c->oom_kills = col_i64(s, 15);
	c->autostart = col_i64(s, 16) != 0;
	c->autostart_order = (int)col_i64(s, 17);
	c->autostart_delay = (int)col_i64(s, 18);
	dome_limits_init(&c->limits);
	if (sqlite3_column_type(s, 19) != SQLITE_NULL)
		c->limits.memory = (uint64_t)sqlite3_column_int64(s, 19);
	if (sqlite3_column_type(s, 20) != SQLITE_NULL)
		c->limits.memory_swap = (uint64_t)sqlite3_column_int64(s, 20);
	c->limits.cpu_weight = (uint32_t)col_i64(s, 21);
	c->limits.cpu_millis = (uint32_t)col_i64(s, 22);
	c->limits.pids = (uint64_t)col_i64(s, 23);
	col_text(s, 24, c->limits.cpuset, sizeof c->limits.cpuset);
	/* io: "MAJ:MIN rbps wbps riops wiops;..." from the grouped join */
	const unsigned char *io = sqlite3_column_text(s, 26);
	for (const char *p = (const char *)io; p && *p && c->limits.nio < DOME_IO_DEVICES_MAX;) {
		struct dome_io_limit *d = &c->limits.io[c->limits.nio];
		unsigned long long r, w, ri, wi;
		if (sscanf(p, "%u:%u %llu %llu %llu %llu", &d->major, &d->minor, &r, &w, &ri, &wi) == 6) {
			d->rbps = r, d->wbps = w, d->riops = ri, d->wiops = wi;
			c->limits.nio++;
		}
		p = strchr(p, ';');
		p = p ? p + 1 : NULL;
	}
	c->no_new_privs = col_i64(s, 27) != 0;
	col_text(s, 28, c->host_ifname, sizeof c->host_ifname);
	dome_restart_policy_init(&c->restart);
	const unsigned char *mode = sqlite3_column_text(s, 29);
	struct dome_error ignored;
	if (mode)
		dome_restart_mode_parse((const char *)mode, &c->restart.mode, &ignored);
	c->restart.max = (uint32_t)col_i64(s, 30);
	c->restart.window_s = col_i64(s, 31);
	c->restart.backoff_ms = col_i64(s, 32);
	c->restart.backoff_max_ms = col_i64(s, 33);
	c->restart_next_at = col_i64(s, 34);
	uint32_t a = (uint32_t)col_i64(s, 25);
	if (a)
		snprintf(c->ipv4, sizeof c->ipv4, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
			 (a >> 8) & 255, a & 255);
}

int dome_inv_list(struct dome_store *st, struct dome_container **out, size_t *n,
		  struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_LIST, err);
	if (!s)
		return -1;
	__cleanup_free struct dome_container *list = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			struct dome_container *grown = reallocarray(list, cap, sizeof *list);
			if (!grown) {
				sqlite3_reset(s);
				return dome_fail(err, ENOMEM, "listing containers");
			}
			list = grown;
		}
		read_container(s, &list[count++]);
	}
	if (rc != SQLITE_DONE) {
		dome_store_fail(st, err, "listing containers");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	*out = move_ptr(list);
	*n = count;
	return 0;
}

int dome_inv_find(struct dome_store *st, const char *name, struct dome_container *out,
		  struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_FIND, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_container(s, out);
		sqlite3_reset(s);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		dome_store_fail(st, err, "looking up a container");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

int dome_inv_get(struct dome_store *st, const char *name, struct dome_container *out,
		 struct dome_error *err)
{
	if (dome_validate_name("container", name, err) < 0)
		return -1;
	int found = dome_inv_find(st, name, out, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return dome_fail(err, 0, "no container named '%s'; `dome ls` lists them", name);
	return 0;
}

static const char SQL_INSERT[] =
	"INSERT INTO containers (name, image, state, net_mode, ipv4_static, created_at, "
	"autostart, autostart_order, autostart_delay, no_new_privs, restart, restart_max, "
	"restart_window, restart_backoff, restart_backoff_max) "
	"VALUES (?1, ?2, 'stopped', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char SQL_LIMITS_UPSERT[] =
	"INSERT INTO limits (container_id, memory, memory_swap, cpu_weight, cpu_millis, pids, cpuset) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(container_id) DO UPDATE SET "
	"memory = ?2, memory_swap = ?3, cpu_weight = ?4, cpu_millis = ?5, pids = ?6, cpuset = ?7";

static const char SQL_IO_CLEAR[] = "DELETE FROM io_limits WHERE container_id = ?1";
static const char SQL_IO_ADD[] =
	"INSERT INTO io_limits (container_id, device, rbps, wbps, riops, wiops) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

static int write_limits(struct dome_store *st, int64_t id, const struct dome_limits *l,
			struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_LIMITS_UPSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	dome_bind_int64_or_null(s, 2, l->memory != DOME_UNLIMITED, (int64_t)l->memory);
	dome_bind_int64_or_null(s, 3, l->memory_swap != DOME_UNLIMITED, (int64_t)l->memory_swap);
	dome_bind_int64_or_null(s, 4, l->cpu_weight != 0, l->cpu_weight);
	dome_bind_int64_or_null(s, 5, l->cpu_millis != 0, l->cpu_millis);
	dome_bind_int64_or_null(s, 6, l->pids != 0, (int64_t)l->pids);
	dome_bind_text_or_null(s, 7, l->cpuset[0] ? l->cpuset : NULL);
	if (dome_store_exec_stmt(st, s, "storing limits", err) < 0)
		return -1;
	if (!(s = dome_store_stmt(st, SQL_IO_CLEAR, err)))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (dome_store_exec_stmt(st, s, "storing I/O limits", err) < 0)
		return -1;
	for (size_t i = 0; i < l->nio; i++) {
		const struct dome_io_limit *d = &l->io[i];
		char dev[32];
		snprintf(dev, sizeof dev, "%u:%u", d->major, d->minor);
		if (!(s = dome_store_stmt(st, SQL_IO_ADD, err)))
			return -1;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, dev, -1, SQLITE_TRANSIENT);
		dome_bind_int64_or_null(s, 3, d->rbps != 0, (int64_t)d->rbps);
		dome_bind_int64_or_null(s, 4, d->wbps != 0, (int64_t)d->wbps);
		dome_bind_int64_or_null(s, 5, d->riops != 0, (int64_t)d->riops);
		dome_bind_int64_or_null(s, 6, d->wiops != 0, (int64_t)d->wiops);
		if (dome_store_exec_stmt(st, s, "storing I/O limits", err) < 0)
			return -1;
	}
	return 0;
}

/* The five policy columns from index `first` on, in the order of the
 * schema (restart, restart_max, restart_window, restart_backoff,
 * restart_backoff_max). */
static void bind_restart(sqlite3_stmt *s, int first, const struct dome_restart_policy *p)
{
	sqlite3_bind_text(s, first, dome_restart_mode_name(p->mode), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 1, p->max);
	sqlite3_bind_int64(s, first + 2, p->window_s);
	sqlite3_bind_int64(s, first + 3, p->backoff_ms);
	sqlite3_bind_int64(s, first + 4, p->backoff_max_ms);
}

int dome_inv_insert(struct dome_store *st, struct dome_container *c, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->image, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->net_mode[0] ? c->net_mode : "bridge", -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 4, c->ipv4_static[0] ? c->ipv4_static : NULL);
	sqlite3_bind_int64(s, 5, c->created_at);
	sqlite3_bind_int(s, 6, c->autostart);
	sqlite3_bind_int(s, 7, c->autostart_order);
	sqlite3_bind_int(s, 8, c->autostart_delay);
	sqlite3_bind_int(s, 9, c->no_new_privs);
	dome_restart_policy_fill(&c->restart);
	bind_restart(s, 10, &c->restart);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return dome_fail(err, 0, "a container named '%s' exists already", c->name);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return dome_fail(err, 0, "there is no image named '%s'; `dome image ls` lists them",
				 c->image);
	if (rc != SQLITE_DONE)
		return dome_store_fail(st, err, "adding the container");
	c->id = sqlite3_last_insert_rowid(dome_store_db(st));
	return write_limits(st, c->id, &c->limits, err);
}

static const char SQL_DELETE[] = "DELETE FROM containers WHERE id = ?1";

int dome_inv_delete(struct dome_store *st, int64_t id, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_DELETE, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return dome_store_exec_stmt(st, s, "removing the container", err);
}

static const char SQL_RUNTIME[] =
	"UPDATE containers SET state = ?2, pid = ?3, pid_start = ?4, monitor_pid = ?5, "
	"monitor_start = ?6, started_at = ?7, stopped_at = ?8, exit_code = ?9, exit_signal = ?10, "
	"oom_kills = ?11, restart_next_at = ?12 WHERE id = ?1";

int dome_inv_update_runtime(struct dome_store *st, const struct dome_container *c,
			    struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_RUNTIME, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_text(s, 2, c->state, -1, SQLITE_STATIC);
	dome_bind_int64_or_null(s, 3, c->pid != 0, c->pid);
	dome_bind_int64_or_null(s, 4, c->pid != 0, c->pid_start);
	dome_bind_int64_or_null(s, 5, c->monitor_pid != 0, c->monitor_pid);
	dome_bind_int64_or_null(s, 6, c->monitor_pid != 0, c->monitor_start);
	dome_bind_int64_or_null(s, 7, c->started_at != 0, c->started_at);
	dome_bind_int64_or_null(s, 8, c->stopped_at != 0, c->stopped_at);
	dome_bind_int64_or_null(s, 9, c->has_exit && c->exit_signal == 0, c->exit_code);
	dome_bind_int64_or_null(s, 10, c->has_exit && c->exit_signal != 0, c->exit_signal);
	sqlite3_bind_int64(s, 11, c->oom_kills);
	dome_bind_int64_or_null(s, 12, c->restart_next_at != 0, c->restart_next_at);
	return dome_store_exec_stmt(st, s, "recording the container's state", err);
}

static const char SQL_SETTINGS[] =
	"UPDATE containers SET autostart = ?2, autostart_order = ?3, autostart_delay = ?4, "
	"net_mode = ?5, ipv4_static = ?6, no_new_privs = ?7, restart = ?8, restart_max = ?9, "
	"restart_window = ?10, restart_backoff = ?11, restart_backoff_max = ?12 WHERE id = ?1";

int dome_inv_update_settings(struct dome_store *st, const struct dome_container *c,
			     struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_SETTINGS, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int(s, 2, c->autostart);
	sqlite3_bind_int(s, 3, c->autostart_order);
	sqlite3_bind_int(s, 4, c->autostart_delay);
	sqlite3_bind_text(s, 5, c->net_mode, -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 6, c->ipv4_static[0] ? c->ipv4_static : NULL);
	sqlite3_bind_int(s, 7, c->no_new_privs);
	bind_restart(s, 8, &c->restart);
	if (dome_store_exec_stmt(st, s, "storing the container's settings", err) < 0)
		return -1;
	return write_limits(st, c->id, &c->limits, err);
}

#define IMAGE_COLUMNS                                                                       \
	"i.name, i.path, i.digest, i.size_bytes, i.init_cmd, i.stop_signal, i.shell, i.arch, " \
	"i.created_at, (SELECT count(*) FROM containers c WHERE c.image = i.name) FROM images i"
static const char SQL_IMG_LIST[] = "SELECT " IMAGE_COLUMNS " ORDER BY i.name";
static const char SQL_IMG_FIND[] = "SELECT " IMAGE_COLUMNS " WHERE i.name = ?1";

static void read_image(sqlite3_stmt *s, struct dome_image *img)
{
	memset(img, 0, sizeof *img);
	col_text(s, 0, img->name, sizeof img->name);
	col_text(s, 1, img->path, sizeof img->path);
	col_text(s, 2, img->digest, sizeof img->digest);
	img->size_bytes = (uint64_t)col_i64(s, 3);
	col_text(s, 4, img->init_cmd, sizeof img->init_cmd);
	img->stop_signal = (int)col_i64(s, 5);
	col_text(s, 6, img->shell, sizeof img->shell);
	col_text(s, 7, img->arch, sizeof img->arch);
	img->created_at = col_i64(s, 8);
	img->users = (int)col_i64(s, 9);
}

int dome_image_list(struct dome_store *st, struct dome_image **out, size_t *n,
		    struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_IMG_LIST, err);
	if (!s)
		return -1;
	__cleanup_free struct dome_image *list = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			struct dome_image *grown = reallocarray(list, cap, sizeof *list);
			if (!grown) {
				sqlite3_reset(s);
				return dome_fail(err, ENOMEM, "listing images");
			}
			list = grown;
		}
		read_image(s, &list[count++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dome_store_fail(st, err, "listing images");
	*out = move_ptr(list);
	*n = count;
	return 0;
}

int dome_image_find(struct dome_store *st, const char *name, struct dome_image *out,
		    struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_IMG_FIND, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_image(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return dome_store_fail(st, err, "looking up an image");
	return 0;
}

static const char SQL_IMG_INSERT[] =
	"INSERT INTO images (name, path, digest, size_bytes, init_cmd, stop_signal, shell, arch, "
	"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

int dome_image_insert(struct dome_store *st, const struct dome_image *img,
		      struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_IMG_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, img->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, img->path, -1, SQLITE_STATIC);
	dome_bind_text_or_null(s, 3, img->digest[0] ? img->digest : NULL);
	sqlite3_bind_int64(s, 4, (int64_t)img->size_bytes);
	sqlite3_bind_text(s, 5, img->init_cmd, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, img->stop_signal);
	sqlite3_bind_text(s, 7, img->shell, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, img->arch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, img->created_at);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return dome_fail(err, 0, "an image named '%s' exists already", img->name);
	if (rc != SQLITE_DONE)
		return dome_store_fail(st, err, "adding the image");
	return 0;
}

static const char SQL_IMG_DELETE[] = "DELETE FROM images WHERE name = ?1";

int dome_image_delete(struct dome_store *st, const char *name, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(st, SQL_IMG_DELETE, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY || rc == SQLITE_CONSTRAINT_TRIGGER)
		return dome_fail(err, 0, "image '%s' is used by containers; destroy them first", name);
	if (rc != SQLITE_DONE)
		return dome_store_fail(st, err, "removing the image");
	return 0;
}

/* ---- JSON views ---- */

static json_t *size_or_null(uint64_t v)
{
	return v == DOME_UNLIMITED ? json_null() : json_integer((json_int_t)v);
}

static json_t *io_json(const struct dome_limits *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < l->nio; i++) {
		const struct dome_io_limit *d = &l->io[i];
		char dev[32];
		snprintf(dev, sizeof dev, "%u:%u", d->major, d->minor);
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o, s:o}", "device", dev,
			"rbps", d->rbps ? json_integer((json_int_t)d->rbps) : json_null(),
			"wbps", d->wbps ? json_integer((json_int_t)d->wbps) : json_null(),
			"riops", d->riops ? json_integer((json_int_t)d->riops) : json_null(),
			"wiops", d->wiops ? json_integer((json_int_t)d->wiops) : json_null()));
	}
	return arr;
}

json_t *dome_limits_json(const struct dome_limits *l)
{
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
			 "memory", size_or_null(l->memory),
			 "memory_swap", size_or_null(l->memory_swap),
			 "cpu_weight", l->cpu_weight ? json_integer(l->cpu_weight) : json_null(),
			 "cpus", l->cpu_millis ? json_real(l->cpu_millis / 1000.0) : json_null(),
			 "cpuset", l->cpuset[0] ? json_string(l->cpuset) : json_null(),
			 "pids", l->pids ? json_integer((json_int_t)l->pids) : json_null());
	if (o)
		json_object_set_new(o, "io", io_json(l));
	return o;
}

static json_t *time_or_null(int64_t ms)
{
	return ms ? json_integer(ms / 1000) : json_null();
}

json_t *dome_container_json(const struct dome_container *c)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:i, s:i, s:s}",
			      "name", c->name, "state", c->state, "image", c->image,
			      "pid", c->pid ? json_integer(c->pid) : json_null(),
			      "ipv4", c->ipv4[0] ? json_string(c->ipv4) : json_null(),
			      "autostart", c->autostart, "autostart_order", c->autostart_order,
			      "autostart_delay", c->autostart_delay, "net_mode", c->net_mode);
	if (!o)
		return NULL;
	json_object_set_new(o, "created_at", time_or_null(c->created_at));
	json_object_set_new(o, "started_at", time_or_null(c->started_at));
	json_object_set_new(o, "stopped_at", time_or_null(c->stopped_at));
	json_object_set_new(o, "exit_code",
			    c->has_exit && c->exit_signal == 0 ? json_integer(c->exit_code) : json_null());
	json_object_set_new(o, "exit_signal",
			    c->has_exit && c->exit_signal ? json_integer(c->exit_signal) : json_null());
	json_object_set_new(o, "oom_kills", json_integer(c->oom_kills));
	json_object_set_new(o, "no_new_privs", json_boolean(c->no_new_privs));
	json_object_set_new(o, "ipv4_static",
			    c->ipv4_static[0] ? json_string(c->ipv4_static) : json_null());
	json_object_set_new(o, "monitor_pid", c->monitor_pid ? json_integer(c->monitor_pid) : json_null());
	json_object_set_new(o, "limits", dome_limits_json(&c->limits));
	json_object_set_new(o, "restart", dome_restart_json(&c->restart, c->restart_next_at));
	return o;
}

json_t *dome_image_json(const struct dome_image *img)
{
	return json_pack("{s:s, s:s, s:o, s:I, s:s, s:i, s:s, s:s, s:o, s:i}",
			 "name", img->name, "path", img->path,
			 "digest", img->digest[0] ? json_string(img->digest) : json_null(),
			 "size_bytes", (json_int_t)img->size_bytes, "init_cmd", img->init_cmd,
			 "stop_signal", img->stop_signal, "shell", img->shell, "arch", img->arch,
			 "created_at", time_or_null(img->created_at), "users", img->users);
}
