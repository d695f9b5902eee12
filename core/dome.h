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
};

struct dome_open_opts {
	const char *root;        /* --root, overrides config and DOME_ROOT */
	const char *config_path; /* --config; NULL for DOME_CONFIG or the system file */
	bool readonly;           /* --readonly; also forced for non-root users */
	const char *reason;      /* --reason */
};

struct dome_ctx *dome_open(const struct dome_open_opts *opts, struct dome_error *err);
void dome_close(struct dome_ctx *ctx);

/* Fill `actor` from the process's credentials and environment. */
void dome_actor_detect(struct dome_actor *actor);

/* Paths under the state root. */
int dome_path(const struct dome_ctx *ctx, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
