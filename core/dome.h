/* libdome: the context every core call works in. */
#ifndef DOME_H
#define DOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "error.h"
#include "store.h"

/* Who acts: recorded in every audit record. */
struct dome_actor {
	unsigned uid;
	char user[64];
	char sudo_user[64];      /* "" unless run through sudo */
	long login_uid;          /* -1 when unset */
	char ssh_client[64];     /* client address from SSH_CONNECTION, or "" */
	char tty[64];
	char host[256];
	int pid;
	int64_t pid_start;
};

struct dome_chain;

/* A state root's id: random hex digits made once per root (core/owner.h). */
#define DOME_ROOT_ID_LEN 8

struct dome_ctx {
	struct dome_config cfg;
	struct dome_store *store;
	bool readonly;
	/* This root's id, "" only in a read-only run of a root no dome of
	 * this version has opened for writing yet. */
	char root_id[DOME_ROOT_ID_LEN + 1];
	bool cgroup_prefix_owned;   /* the cgroup prefix was found to be ours (owner.h) */
	char reason[512];        /* reason given for the changes of this run */
	struct dome_actor actor;
	/* An event chain's head not written yet (audit.h, dome_chain_note_head). */
	const struct dome_chain *pending_chain;
	int64_t pending_seq;
	char pending_hash[65];
	/* What this run did but could not record (a full disk), for the caller
	 * to show once the work is done: "; "-separated, dome_note_unrecorded. */
	char unrecorded[1024];
};

struct dome_open_opts {
	const char *root;        /* --root, overrides config and DOME_ROOT */
	const char *config_path; /* --config; NULL for DOME_CONFIG or the system file */
	bool readonly;           /* --readonly; also forced for non-root users */
	const char *reason;      /* --reason */
};

struct dome_ctx *dome_open(const struct dome_open_opts *opts, struct dome_error *err);
/* The configuration dome_open would use (file, environment, options),
 * without opening the state root: for `dome check`. */
int dome_config_resolve(const struct dome_open_opts *opts, struct dome_config *cfg,
			struct dome_error *err);
void dome_close(struct dome_ctx *ctx);

/* Fill `actor` from the process's credentials and environment. */
void dome_actor_detect(struct dome_actor *actor);

/* Add to ctx->unrecorded (what was done but not recorded, and why). */
void dome_note_unrecorded(struct dome_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free the room kept in the state root for a full disk (a stop's records);
 * false when there was none. */
bool dome_release_reserve(const struct dome_ctx *ctx);

/* Make an empty database file as dome.db is made: root and the dome group
 * (when the host has one), 0640; an existing file is left alone. Used for
 * dome.db and metrics.db before SQLite opens them. */
int dome_make_database_file(const char *path, struct dome_error *err);

/* Paths under the state root. */
int dome_path(const struct dome_ctx *ctx, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
