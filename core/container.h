/* Container lifecycle: the API the CLI and the console call. Every function
 * that changes something goes through dome_mutate() (audit.h). */
#ifndef DOME_CONTAINER_H
#define DOME_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "dome.h"
#include "inventory.h"
#include "cgroup.h"
#include "net.h"

struct dome_create_spec {
	const char *name;
	const char *image;        /* NULL: cfg.default_image */
	struct dome_limits limits;
	bool autostart;
	int autostart_order, autostart_delay;
	const char *net_mode;     /* NULL: bridge */
	const char *ipv4;         /* static address or NULL */
	bool no_new_privs;
	struct dome_restart_policy restart; /* dome_restart_policy_init() for the defaults */
	bool start;               /* start after creating */
};

int dome_container_create(struct dome_ctx *ctx, const struct dome_create_spec *spec,
			  struct dome_error *err);
int dome_container_start(struct dome_ctx *ctx, const char *name, struct dome_error *err);
/* The start of a restart policy (core/restart.c): dome_container_start,
 * but `check` sees the row under the container's lock first and refuses
 * (-1, the start is not made) when the start is no longer wanted. */
int dome_container_start_checked(struct dome_ctx *ctx, const char *name,
				 int (*check)(struct dome_ctx *ctx, const struct dome_container *c,
					      void *data, struct dome_error *err),
				 void *data, struct dome_error *err);
/* timeout_s < 0: cfg.stop_timeout. kill: skip the polite signal. A stopped
 * container whose monitor waits to restart it (restart policy) has that
 * restart cancelled, and the stop succeeds. */
int dome_container_stop(struct dome_ctx *ctx, const char *name, int timeout_s, bool kill,
			struct dome_error *err);
int dome_container_restart(struct dome_ctx *ctx, const char *name, struct dome_error *err);
int dome_container_freeze(struct dome_ctx *ctx, const char *name, bool frozen,
			  struct dome_error *err);
int dome_container_destroy(struct dome_ctx *ctx, const char *name, bool force,
			   struct dome_error *err);
int dome_container_clone(struct dome_ctx *ctx, const char *src, const char *dst,
			 struct dome_error *err);
/* Apply "key=value" settings (memory, memory_swap, cpus, cpu_weight, cpuset,
 * pids, io, autostart, autostart_order, autostart_delay, no_new_privs, restart,
 * restart_max, restart_window, restart_backoff, restart_backoff_max): validated all first,
 * stored, and applied live to a running container; all or nothing. */
int dome_container_set(struct dome_ctx *ctx, const char *name, char *const *assignments,
		       size_t n, struct dome_error *err);
/* Do the stored limits fit this host (core/hostfit.h)? 0, or -1 with a
 * message naming the first that does not: for a warning after a set or a
 * create of a stopped container, whose next start would fail. */
int dome_container_fit_host(struct dome_ctx *ctx, const char *name, struct dome_error *err);

/* The work of set, freeze/unfreeze, start and stop for a change recorded
 * under another action (rollback.c): call them only from inside the apply
 * callback of the caller's own dome_mutate(). Like the verbs, they take the
 * container's lock and fill ch->before and ch->after. */
struct dome_change;
int dome_container_apply_set(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			     char *const *assignments, size_t n, struct dome_error *err);
int dome_container_apply_freeze(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
				bool frozen, struct dome_error *err);
int dome_container_apply_start(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			       struct dome_error *err);
int dome_container_apply_stop(struct dome_ctx *ctx, struct dome_change *ch, const char *name,
			      struct dome_error *err);

/* Run argv inside the container's namespaces and cgroup, on the caller's
 * terminal; *status gets its exit status (128+signal when killed). */
int dome_container_exec(struct dome_ctx *ctx, const char *name, char *const argv[],
			int *status, struct dome_error *err);
/* The same on a terminal of the container's own devpts (`tty` inside names
 * /dev/pts/N there, job control works): argv runs as the session leader
 * with that pty as its controlling terminal and stdio, TERM as given (NULL:
 * xterm). With no argv, the image's shell runs as a login shell (argv[0]
 * "-sh") in root's home, with the container's LANG (/etc/default/locale).
 * `relay` is called with the pty's master once the command is on its way;
 * it copies between the caller's terminal and the master until the master
 * reads EOF or EIO (the command and its children closed the pty), and
 * returns; the master is closed after it. */
struct dome_exec_tty {
	const char *term;
	void (*relay)(int master, void *data);
	void *data;
};
int dome_container_exec_tty(struct dome_ctx *ctx, const char *name, char *const argv[],
			    const struct dome_exec_tty *tty, int *status, struct dome_error *err);

struct dome_container_stats {
	struct dome_cgroup_stats cg;
	struct dome_net_stats net;
	uint32_t ipv4;            /* 0 when none */
	char host_ifname[16];
	int64_t uptime_s;
};

/* Live figures for a running container (zeros otherwise). No process spawn. */
int dome_container_stats(struct dome_ctx *ctx, const struct dome_container *c,
			 struct dome_container_stats *out, struct dome_error *err);

/* The same with only what a table row shows (CPU time, memory in use, pids,
 * network counters, address, uptime; the limit from the inventory): what
 * the console reads every refresh for every running container. */
int dome_container_stats_brief(struct dome_ctx *ctx, const struct dome_container *c,
			       struct dome_container_stats *out, struct dome_error *err);

/* Does `c` run with less isolation than `dome create` gives by default
 * (net_mode=host: the host's network namespace)? Then `why` says how, as
 * "KEY=VALUE (what it means)"; a restore needs the operator's consent for
 * it. One list for every such setting. */
bool dome_container_less_isolated(const struct dome_container *c, char *why, size_t len);

/* Path of the container's console log. */
int dome_container_log_path(struct dome_ctx *ctx, const char *name, char *out, size_t len);

/* Reconcile the inventory with the kernel: running containers whose init is
 * gone become stopped (with what is known of their exit). */
int dome_reconcile(struct dome_ctx *ctx, struct dome_error *err);

#endif
