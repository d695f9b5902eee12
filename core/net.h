/* Container networking through netlink (libnl-3, libnl-route-3): no `ip`
 * command, no shell.
 *
 * bridge mode: a host bridge (cfg.bridge) with the subnet's first address as
 * gateway; per container a veth pair whose host end (dome_host_ifname()) is
 * attached to the bridge and up, and whose peer is moved into the container's
 * network namespace, renamed eth0, given a stable MAC derived from the name
 * (locally administered), the leased IPv4 address and a default route via the
 * gateway; lo up.
 * none mode: lo only. host mode: the host's namespace (no netns is made). */
#ifndef DOME_NET_H
#define DOME_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "dome.h"
#include "inventory.h"

struct dome_subnet {
	uint32_t network;   /* host order */
	unsigned prefix;
	uint32_t gateway;   /* network + 1 */
	uint32_t first, last; /* leasable range */
};

int dome_subnet_parse(const char *cidr, struct dome_subnet *out, struct dome_error *err);
void dome_ipv4_format(uint32_t addr, char out[16]);
int dome_ipv4_parse(const char *s, uint32_t *addr, struct dome_error *err);
/* "10.77.0.0/24" */
void dome_subnet_format(const struct dome_subnet *sn, char out[20]);
uint32_t dome_subnet_broadcast(const struct dome_subnet *sn);
/* How many addresses containers can lease (last - first + 1). */
uint32_t dome_subnet_size(const struct dome_subnet *sn);

/* Stable locally administered MAC from the container name ("02:xx:..."). */
void dome_mac_for(const char *name, char out[18]);

/* Move an existing bridge from one subnet's gateway address to another's
 * (add the new, then drop the old). No bridge: nothing to do (returns 0). */
int dome_net_readdress_bridge(const char *bridge, const struct dome_subnet *from,
			      const struct dome_subnet *to, struct dome_error *err);

/* Create the bridge with the gateway address when missing; bring it up. */
int dome_net_ensure_bridge(struct dome_ctx *ctx, struct dome_error *err);

/* Lease an address for the container (its static one if it asked, checked to
 * be inside the subnet and free), stored in the leases table. Two dome
 * processes leasing at once never get the same address (unique constraint in
 * one write transaction). */
int dome_net_lease(struct dome_ctx *ctx, const struct dome_container *c, uint32_t *addr,
		   struct dome_error *err);
int dome_net_release(struct dome_ctx *ctx, int64_t container_id, struct dome_error *err);
/* The address leased to the container, 0 when none. */
int dome_net_lease_of(struct dome_ctx *ctx, int64_t container_id, uint32_t *addr,
		      struct dome_error *err);

struct dome_lease {
	uint32_t address;
	int64_t container_id;
	char container[64];
	bool is_static;
	int64_t leased_at;       /* ms */
};
/* Every lease, by address. *out is malloc'd; free() it. */
int dome_net_leases(struct dome_ctx *ctx, struct dome_lease **out, size_t *n,
		    struct dome_error *err);

struct dome_bridge_status {
	bool present, up;
	bool is_bridge;          /* false: an interface of another kind has the name */
	char addresses[128];     /* its IPv4 addresses, "10.77.0.1/24 ..." */
};
/* What the kernel has under the bridge's name (present = false when none). */
int dome_net_bridge_status(const char *bridge, struct dome_bridge_status *out,
			   struct dome_error *err);

/* Make the veth for the container whose init is `pid` (its netns), configure
 * both ends, attach the host end. On failure, removes what it made. */
int dome_net_setup(struct dome_ctx *ctx, const struct dome_container *c, pid_t pid,
		   uint32_t addr, struct dome_error *err);
/* Remove the container's host veth if it exists (its peer goes with it). */
int dome_net_teardown(struct dome_ctx *ctx, const struct dome_container *c,
		      struct dome_error *err);

/* Ownership of interfaces (owner.h). The alias of IFNAME (its sysfs
 * ifalias; "" when none); -1 when there is no such interface. */
int dome_net_ifalias(const char *ifname, char *out, size_t len);
/* Is IFNAME a veth of this root? 1: recorded in its inventory or marked
 * with its id (CONTAINER then names its container); 2: unmarked with a name
 * of this root's scheme (a start that failed before attaching it); 0: no. */
int dome_net_veth_owner(struct dome_ctx *ctx, const char *ifname, char *container, size_t len);
enum dome_bridge_owner { DOME_BRIDGE_ABSENT, DOME_BRIDGE_UNMARKED, DOME_BRIDGE_OURS,
			 DOME_BRIDGE_OTHER };
/* Whose BRIDGE is, by its alias; OWNER describes another root's. */
int dome_net_bridge_owner(const struct dome_ctx *ctx, const char *bridge, char *owner, size_t len);
/* The error for a bridge another root owns (OWNER as described above). */
int dome_net_refuse_bridge(const char *bridge, const char *owner, struct dome_error *err);

struct dome_net_stats {
	bool present;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};
/* Counters of the host end (the container's rx is the host end's tx). */
int dome_net_stats(const char *host_ifname, struct dome_net_stats *out, struct dome_error *err);

#endif
