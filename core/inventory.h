/* Inventory rows: images and containers as stored in the database. */
#ifndef DOME_INVENTORY_H
#define DOME_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"
#include "store.h"
#include "validate.h"
#include "restart.h"

/* I/O throttle for one block device; 0 = no limit on that figure. */
struct dome_io_limit {
	unsigned major, minor;
	uint64_t rbps, wbps;     /* bytes per second */
	uint64_t riops, wiops;   /* operations per second */
};
#define DOME_IO_DEVICES_MAX 8

/* Unset limits: memory/memory_swap DOME_UNLIMITED, the others 0 or "". */
struct dome_limits {
	uint64_t memory;       /* bytes */
	uint64_t memory_swap;  /* bytes of memory + swap */
	uint32_t cpu_weight;   /* 1..10000 (cgroup v2 scale) */
	uint32_t cpu_millis;   /* quota in 1/1000 CPU */
	uint64_t pids;
	char cpuset[256];
	size_t nio;
	struct dome_io_limit io[DOME_IO_DEVICES_MAX];
};

void dome_limits_init(struct dome_limits *l);

struct dome_container {
	int64_t id;
	char name[64];
	char image[64];
	char state[16];          /* stopped starting running frozen stopping error */
	char net_mode[8];        /* bridge none host */
	char ipv4_static[16];    /* "" = lease one */
	char ipv4[16];           /* the address leased now, "" when none */
	int64_t pid, pid_start;  /* 0 = none */
	int64_t monitor_pid, monitor_start;
	int64_t created_at, started_at, stopped_at; /* ms; 0 = never */
	bool has_exit;
	int exit_code;           /* -1 when killed by a signal */
	int exit_signal;         /* 0 when it exited */
	int64_t oom_kills;
	bool autostart;
	int autostart_order, autostart_delay;
	bool no_new_privs;       /* init and exec'd processes cannot gain privileges */
	char host_ifname[16];    /* host end of its veth as made by its last start, "" if none */
	struct dome_restart_policy restart;
	int64_t restart_next_at; /* ms: a monitor waits to restart it; 0 = none */
	struct dome_limits limits;
};

struct dome_image {
	char name[64];
	char path[4096];
	char digest[72];
	uint64_t size_bytes;
	char init_cmd[256];
	int stop_signal;
	char shell[256];
	char arch[32];
	int64_t created_at;
	int users;               /* containers made from it */
};

/* Containers, ordered by name. *out is malloc'd; free() it. */
int dome_inv_list(struct dome_store *st, struct dome_container **out, size_t *n,
		  struct dome_error *err);
/* 1 when found, 0 when not (err untouched), -1 on error. */
int dome_inv_find(struct dome_store *st, const char *name, struct dome_container *out,
		  struct dome_error *err);
/* Like find, but "no container named X" is an error. */
int dome_inv_get(struct dome_store *st, const char *name, struct dome_container *out,
		 struct dome_error *err);
int dome_inv_insert(struct dome_store *st, struct dome_container *c, struct dome_error *err);
int dome_inv_delete(struct dome_store *st, int64_t id, struct dome_error *err);
/* Store the runtime columns (state, pids, times, exit, oom_kills). */
int dome_inv_update_runtime(struct dome_store *st, const struct dome_container *c,
			    struct dome_error *err);
/* Store the settings columns (autostart, net mode, static ip) and limits. */
int dome_inv_update_settings(struct dome_store *st, const struct dome_container *c,
			     struct dome_error *err);

int dome_image_list(struct dome_store *st, struct dome_image **out, size_t *n,
		    struct dome_error *err);
int dome_image_find(struct dome_store *st, const char *name, struct dome_image *out,
		    struct dome_error *err);
int dome_image_insert(struct dome_store *st, const struct dome_image *img,
		      struct dome_error *err);
int dome_image_delete(struct dome_store *st, const char *name, struct dome_error *err);

/* JSON views, the one shape used by `--json` output and by audit before/after
 * states. Keys are snake_case and stable. */
json_t *dome_container_json(const struct dome_container *c);
json_t *dome_limits_json(const struct dome_limits *l);
json_t *dome_image_json(const struct dome_image *img);

#endif
