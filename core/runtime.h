/* Running containers: the start sequence, the monitor, stop, exec.
 *
 * Three processes take part in a start:
 *   P  the dome process asking (CLI or console)
 *   M  the monitor: P's child, in its own session so it outlives P and the
 *      SSH login; the parent of the container's init, which it reaps
 *   C  the container's init, cloned by M into new namespaces
 *
 * Named sync steps (the order matters; see runtime.c):
 *   SYNC_CLONED   M -> P  C exists; here is its pid (M then execs the slim
 *                         monitor program, keeping C as its child)
 *   SYNC_GO       P -> C  C has its network: go on (C then moves itself
 *                         into its cgroup, which is made and limited)
 *   SYNC_EXECED   C -> P  the error pipe closes on exec with no message
 */
#ifndef DOME_RUNTIME_H
#define DOME_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>
#include "dome.h"
#include "inventory.h"

/* Start a stopped container (caller holds its lock; not audited here). */
int dome_runtime_start(struct dome_ctx *ctx, struct dome_container *c, struct dome_error *err);
/* Stop a running or frozen container (caller holds its lock). */
int dome_runtime_stop(struct dome_ctx *ctx, struct dome_container *c, int timeout_s, bool kill,
		      struct dome_error *err);
/* Remove what a run left (cgroup, veth, lease) and record the container
 * stopped with the given exit (`wait_status` < 0 when unknown). Idempotent:
 * the monitor, a stopping dome and reconcile may all call it. 1 when all was
 * removed but the disk is too full to record it (said in ctx->unrecorded;
 * the published status is kept for a later run). */
int dome_runtime_cleanup(struct dome_ctx *ctx, struct dome_container *c, int wait_status,
			 struct dome_error *err);

/* Record the end of the run in `c`, whose init is dead (caller holds the
 * lock): waits for its monitor to publish init's exit status (or to be
 * gone), then dome_runtime_cleanup with it, unless the row no longer names
 * this run; *c is then the row. See "recording a run's end" in runtime.c. */
int dome_runtime_settle(struct dome_ctx *ctx, struct dome_container *c, struct dome_error *err);

/* True when the inventory's pid for `c` is the live init it started. */
bool dome_runtime_alive(const struct dome_container *c);

/* Init is gone but its monitor still runs: the monitor is recording the exit
 * (with the status only it can know, as init's parent) and cleaning up. Wait
 * for it, at most timeout_ms; true when no monitor of this run is left. */
bool dome_runtime_wait_monitor(const struct dome_container *c, int timeout_ms);

/* A copy of a container's upper layer (clone) must not keep its machine id:
 * removed there, the copy gets one of its own at its first start. */
void dome_runtime_drop_machine_id(const char *upper);

/* Reduce the capability bounding set to what containers keep (dome(1),
 * CAPABILITIES). For the container's init and for everything exec'd in. */
int dome_runtime_drop_caps(void);

/* Entry point of the monitor process (`dome __monitor ...`). Never returns. */
int dome_monitor_main(int argc, char **argv) __attribute__((noreturn));

/* Per-container lock (flock on <runtime_dir>/locks/NAME): held for every
 * lifecycle operation so two consoles or scripts cannot race one container. */
int dome_lock_container(struct dome_ctx *ctx, const char *name, struct dome_error *err);
void dome_unlock_container(int fd);
/* A lock fd released when it goes out of scope (core/cleanup.h's way):
 * `__cleanup_lock int lock = dome_lock_container(...)`. */
static inline void dome_unlock_containerp(int *fd) { dome_unlock_container(*fd); }
#define __cleanup_lock __attribute__((cleanup(dome_unlock_containerp)))
/* The same lock, waiting at most `wait_ms` (0: not at all; errnum
 * EWOULDBLOCK when another dome holds it). For reconcile and doctor, which
 * must not stall behind a long operation. */
int dome_lock_container_within(struct dome_ctx *ctx, const char *name, int wait_ms,
			       struct dome_error *err);

#endif
