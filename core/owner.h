/* Which state root owns a kernel object.
 *
 * Several dome instances (state roots) may share a host: the system's, a
 * lab's, a test's. Each root has an id, DOME_ROOT_ID_LEN random hex digits
 * made the first time the root is opened for writing and kept in its
 * inventory (settings table, section "root", name "id"). Every kernel
 * object dome makes outside its root carries that id, in its name or
 * beside it, and a dome changes, kills or removes only objects that carry
 * its own root's id:
 *
 *   cgroups      <prefix>/NAME. The <prefix> dirs carry the mark
 *                "dome ID ROOT" (xattr trusted.dome.owner, cgroup.h). The
 *                default prefix is dome-ID; a root that had containers
 *                before roots had ids keeps "dome" (its containers run
 *                there), and claims it the first time nothing of another
 *                root runs in it.
 *   veths        host end dm + 6 digits of ID + "-" + the container's row
 *                id in base 36 (dome_host_ifname), with the interface alias
 *                "dome ID NAME"; the name is recorded in net_interfaces, so
 *                a veth of an older dome (dm-NAME) is still found.
 *   bridge       interface alias "dome ID ROOT"; a bridge another root
 *                marked is refused (containers of two roots never share
 *                one: their addresses would clash).
 *   nftables     table ip dome-BRIDGE (nat.h): named after the bridge, so
 *                touched only by the bridge's owner.
 *   mounts       under ROOT/containers/.
 *   runtime dir  ROOT/run; /run/dome for the default root only.
 *
 * Marks are "dome ID ..." and two name the same owner when their first two
 * words are equal (the rest says where the root was, for people). */
#ifndef DOME_OWNER_H
#define DOME_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dome.h"

/* Called by dome_open once the settings are loaded: make the root's id if it
 * has none (not in a read-only run) and settle the default cgroup prefix. */
int dome_root_identity(struct dome_ctx *ctx, struct dome_error *err);

/* "dome ID ROOT", cut to fit `len`. */
void dome_root_mark(const struct dome_ctx *ctx, char *out, size_t len);
/* Is MARK this root's? (false when this run knows no id) */
bool dome_mark_is_ours(const struct dome_ctx *ctx, const char *mark);
bool dome_owner_mark_same(const char *a, const char *b);
/* "the state root ROOT (id ID)" from a mark, for messages. */
void dome_mark_describe(const char *mark, char *out, size_t len);

/* Name of a container's host-side veth, always <= 15 bytes (IFNAMSIZ - 1):
 * "dm" + the first 6 digits of the root id + "-" + the row id in base 36
 * (dm3fa2c1-1a). Unique on the host while root ids differ in those digits;
 * the alias check (net.c) catches the rare pair that does not. */
void dome_host_ifname(const char *root_id, int64_t row_id, char out[16]);
/* The interface alias of a container's host veth: "dome ID NAME". */
void dome_veth_mark(const struct dome_ctx *ctx, const char *name, char *out, size_t len);

/* The cgroup prefix is this root's: its mark is ours, or it has none and
 * every cgroup in it that holds processes is a running container of this
 * root (its init is in it). An error names the owner and says what to set.
 *   DOME_OWN_LOOK    only look (a dry run): an unmarked prefix stays so
 *   DOME_OWN_USE     to use what is there: an unmarked one is marked ours
 *   DOME_OWN_CREATE  to make a cgroup: a missing prefix is made and marked
 * (A read-only run never marks.) Settled once per context when ours. */
enum dome_own_mode { DOME_OWN_LOOK, DOME_OWN_USE, DOME_OWN_CREATE };
int dome_own_cgroup_prefix(struct dome_ctx *ctx, enum dome_own_mode mode, struct dome_error *err);

struct dome_cgroup;
/* dome_cgroup_open / dome_cgroup_create_clone_part of a container of this
 * root, after dome_own_cgroup_prefix. */
struct dome_cgroup *dome_own_cgroup_open(struct dome_ctx *ctx, const char *name,
					 struct dome_error *err);
struct dome_cgroup *dome_own_cgroup_create(struct dome_ctx *ctx, const char *name,
					   bool clone_part_only, struct dome_error *err);

#endif
