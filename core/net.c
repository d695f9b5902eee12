/* Container networking through netlink (libnl-route-3): the bridge, the
 * per-container veth pair, and the configuration inside the container's
 * network namespace. Addresses and leases are in net_addr.c. */
#include "net.h"
#include "nat.h"
#include "owner.h"
#include "fsutil.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#define CONTAINER_IFNAME "eth0"

/* ---- libnl helpers: every object released on scope exit ---- */

static void nl_sockp(struct nl_sock **s) { if (*s) nl_socket_free(*s); }
static void nl_linkp(struct rtnl_link **l) { if (*l) rtnl_link_put(*l); }
static void nl_addrp(struct nl_addr **a) { if (*a) nl_addr_put(*a); }
static void nl_rtaddrp(struct rtnl_addr **a) { if (*a) rtnl_addr_put(*a); }
static void nl_routep(struct rtnl_route **r) { if (*r) rtnl_route_put(*r); }
static void nl_cachep(struct nl_cache **c) { if (*c) nl_cache_free(*c); }
#define __cleanup_nlsock  __attribute__((cleanup(nl_sockp)))
#define __cleanup_nllink  __attribute__((cleanup(nl_linkp)))
#define __cleanup_nladdr  __attribute__((cleanup(nl_addrp)))
#define __cleanup_rtaddr  __attribute__((cleanup(nl_rtaddrp)))
#define __cleanup_nlroute __attribute__((cleanup(nl_routep)))
#define __cleanup_nlcache __attribute__((cleanup(nl_cachep)))

/* libnl reports negative NLE_* codes; say what failed and libnl's reason. */
static int nl_fail(struct dome_error *err, int nlerr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int nl_fail(struct dome_error *err, int nlerr, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return dome_fail(err, 0, "%s: %s", what, nl_geterror(nlerr));
}

/* A route netlink socket in the calling thread's current network namespace
 * (a netlink socket belongs to the namespace it was created in). */
static struct nl_sock *route_socket(struct dome_error *err)
{
	struct nl_sock *sock = nl_socket_alloc();
	if (!sock) {
		dome_fail(err, ENOMEM, "opening a netlink socket");
		return NULL;
	}
	int rc = nl_connect(sock, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sock);
		nl_fail(err, rc, "opening a netlink socket");
		return NULL;
	}
	return sock;
}

/* The link named `name`: 1 found, 0 absent, -1 error. */
static int find_link(struct nl_sock *sock, const char *name, struct rtnl_link **out,
		     struct dome_error *err)
{
	*out = NULL;
	int rc = rtnl_link_get_kernel(sock, 0, name, out);
	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return 0;
	if (rc < 0)
		return nl_fail(err, rc, "looking up interface %s", name);
	return 1;
}

static struct nl_addr *ipv4_nladdr(uint32_t addr, unsigned prefix)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof be);
	if (a)
		nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

static struct nl_addr *mac_nladdr(const char *mac)
{
	struct nl_addr *a = NULL;
	return nl_addr_parse(mac, AF_LLC, &a) == 0 ? a : NULL;
}

/* Apply `changes` to the link `orig` (flags, name, MAC, master). */
static int change_link(struct nl_sock *sock, struct rtnl_link *orig, struct rtnl_link *changes,
		       const char *what, struct dome_error *err)
{
	int rc = rtnl_link_change(sock, orig, changes, 0);
	if (rc < 0)
		return nl_fail(err, rc, "%s", what);
	return 0;
}

static int link_up(struct nl_sock *sock, const char *name, struct dome_error *err)
{
	__cleanup_nllink struct rtnl_link *link = NULL;
	int found = find_link(sock, name, &link, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, ENODEV, "bringing %s up", name);
	if (rtnl_link_get_flags(link) & IFF_UP)
		return 0;
	__cleanup_nllink struct rtnl_link *changes = rtnl_link_alloc();
	if (!changes)
		return dome_fail(err, ENOMEM, "bringing %s up", name);
	rtnl_link_set_flags(changes, IFF_UP);
	char what[64];
	snprintf(what, sizeof what, "bringing %s up", name);
	return change_link(sock, link, changes, what, err);
}

static int add_address(struct nl_sock *sock, int ifindex, const char *ifname, uint32_t addr,
		       unsigned prefix, uint32_t broadcast, struct dome_error *err)
{
	char a[16];
	dome_ipv4_format(addr, a);
	__cleanup_rtaddr struct rtnl_addr *ra = rtnl_addr_alloc();
	__cleanup_nladdr struct nl_addr *local = ipv4_nladdr(addr, prefix);
	__cleanup_nladdr struct nl_addr *brd = ipv4_nladdr(broadcast, 32);
	if (!ra || !local || !brd)
		return dome_fail(err, ENOMEM, "adding %s/%u to %s", a, prefix, ifname);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_broadcast(ra, brd);
	int rc = rtnl_addr_add(sock, ra, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0)
		return nl_fail(err, rc, "adding %s/%u to %s", a, prefix, ifname);
	return 0;
}

static int delete_link_named(struct nl_sock *sock, const char *name, struct dome_error *err)
{
	__cleanup_nllink struct rtnl_link *link = rtnl_link_alloc();
	if (!link)
		return dome_fail(err, ENOMEM, "removing interface %s", name);
	rtnl_link_set_name(link, name);
	int rc = rtnl_link_delete(sock, link);
	if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND)
		return nl_fail(err, rc, "removing interface %s", name);
	return 0;
}

/* ---- who owns an interface (owner.h) ---- */

int dome_net_ifalias(const char *ifname, char *out, size_t len)
{
	char path[PATH_MAX];
	out[0] = '\0';
	if (dome_validate_ifname("interface", ifname, &(struct dome_error){ 0 }) < 0 ||
	    dome_pathf(path, sizeof path, "/sys/class/net/%s/ifalias", ifname) < 0)
		return -1;
	ssize_t n = dome_read_small(path, out, len);
	if (n < 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static const char SQL_IF_RECORDED[] =
	"SELECT c.name FROM net_interfaces n JOIN containers c ON c.id = n.container_id "
	"WHERE n.host_ifname = ?1";

int dome_net_veth_owner(struct dome_ctx *ctx, const char *ifname, char *container, size_t len)
{
	container[0] = '\0';
	struct dome_error ignored;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_IF_RECORDED, &ignored);
	if (s) {
		sqlite3_bind_text(s, 1, ifname, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			strlcpy(container, (const char *)sqlite3_column_text(s, 0), len);
		sqlite3_reset(s);
		if (container[0])
			return 1; /* recorded by this root: its own, whatever the name */
	}
	char alias[256], mine[16];
	if (dome_net_ifalias(ifname, alias, sizeof alias) < 0 || !ctx->root_id[0])
		return 0;
	if (alias[0]) {
		/* a veth's mark names its container (a bridge's names the root) */
		struct dome_error bad;
		if (dome_mark_is_ours(ctx, alias) && sscanf(alias, "dome %*s %63s", container) == 1 &&
		    dome_validate_name("container", container, &bad) == 0)
			return 1;
		container[0] = '\0';
		return 0;
	}
	/* No alias: one half made (the alias comes when it is attached) has a
	 * name of this root's scheme. */
	snprintf(mine, sizeof mine, "dm%.6s-", ctx->root_id);
	return strncmp(ifname, mine, strlen(mine)) == 0 ? 2 : 0;
}

int dome_net_bridge_owner(const struct dome_ctx *ctx, const char *bridge, char *owner, size_t len)
{
	char alias[256];
	owner[0] = '\0';
	if (dome_net_ifalias(bridge, alias, sizeof alias) < 0)
		return DOME_BRIDGE_ABSENT;
	if (!alias[0])
		return DOME_BRIDGE_UNMARKED;
	if (dome_mark_is_ours(ctx, alias))
		return DOME_BRIDGE_OURS;
	dome_mark_describe(alias, owner, len);
	return DOME_BRIDGE_OTHER;
}

int dome_net_refuse_bridge(const char *bridge, const char *owner, struct dome_error *err)
{
	dome_fail(err, EEXIST, "bridge %s belongs to %s", bridge, owner);
	dome_error_hint(err, "give this state root its own bridge and subnet: `dome net bridge=NAME "
			"subnet=CIDR`, or bridge and subnet in the [network] section of dome.conf");
	return -1;
}

/* A port of BRIDGE that is a dome veth of another root (or of an older dome
 * that this root did not record): then BRIDGE is not this root's to claim. */
static int foreign_port(struct dome_ctx *ctx, const char *bridge, char *port, size_t len)
{
	char path[PATH_MAX];
	if (dome_pathf(path, sizeof path, "/sys/class/net/%s/brif", bridge) < 0)
		return 0;
	__cleanup_closedir DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char owner[64];
		if (strncmp(e->d_name, "dm", 2) != 0 || dome_net_veth_owner(ctx, e->d_name, owner,
									    sizeof owner))
			continue;
		strlcpy(port, e->d_name, len);
		return 1;
	}
	return 0;
}

/* The bridge is this root's: marked so (its alias), or just made by it, or
 * unmarked with no other dome's veth on it (a bridge of an older dome, or
 * one the admin made) and claimed now. */
static int own_bridge(struct dome_ctx *ctx, struct nl_sock *sock, struct rtnl_link *br,
		      const char *name, bool created, struct dome_error *err)
{
	const char *alias = rtnl_link_get_ifalias(br);
	char mark[256], port[32];
	if (alias && alias[0]) {
		if (dome_mark_is_ours(ctx, alias))
			return 0;
		if (strncmp(alias, "dome ", 5) != 0)
			return dome_fail(err, EEXIST, "bridge %s has the alias '%.60s': it is not "
					 "dome's, and dome leaves it alone; set another bridge in the "
					 "[network] section of dome.conf", name, alias);
		dome_mark_describe(alias, mark, sizeof mark);
		return dome_net_refuse_bridge(name, mark, err);
	}
	if (!created && foreign_port(ctx, name, port, sizeof port)) {
		snprintf(mark, sizeof mark, "another dome instance (its veth %s is attached)", port);
		return dome_net_refuse_bridge(name, mark, err);
	}
	__cleanup_nllink struct rtnl_link *changes = rtnl_link_alloc();
	if (!changes)
		return dome_fail(err, ENOMEM, "marking bridge %s", name);
	dome_root_mark(ctx, mark, sizeof mark);
	rtnl_link_set_ifalias(changes, mark);
	char what[64];
	snprintf(what, sizeof what, "marking bridge %s as this state root's", name);
	return change_link(sock, br, changes, what, err);
}

/* ---- the bridge ---- */

struct ipv4_list {
	struct dome_subnet want;
	bool has_want;
	unsigned count;
	char text[128];
};

static void collect_ipv4(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct ipv4_list *l = arg;
	struct nl_addr *local = rtnl_addr_get_local(ra);
	if (rtnl_addr_get_family(ra) != AF_INET || !local || nl_addr_get_len(local) != 4)
		return;
	uint32_t be;
	memcpy(&be, nl_addr_get_binary_addr(local), 4);
	uint32_t addr = ntohl(be);
	unsigned prefix = (unsigned)rtnl_addr_get_prefixlen(ra);
	if (addr == l->want.gateway && prefix == l->want.prefix)
		l->has_want = true;
	l->count++;
	char a[16];
	dome_ipv4_format(addr, a);
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof l->text - used, "%s%s/%u", used ? " " : "", a, prefix);
}

/* The IPv4 addresses on interface `ifindex`. */
static int list_ipv4(struct nl_sock *sock, int ifindex, struct ipv4_list *l,
		     struct dome_error *err)
{
	__cleanup_nlcache struct nl_cache *cache = NULL;
	int rc = rtnl_addr_alloc_cache(sock, &cache);
	if (rc < 0)
		return nl_fail(err, rc, "reading interface addresses");
	__cleanup_rtaddr struct rtnl_addr *filter = rtnl_addr_alloc();
	if (!filter)
		return dome_fail(err, ENOMEM, "reading interface addresses");
	rtnl_addr_set_ifindex(filter, ifindex);
	nl_cache_foreach_filter(cache, (struct nl_object *)filter, collect_ipv4, l);
	return 0;
}

static int create_bridge(struct nl_sock *sock, const char *name, struct dome_error *err)
{
	__cleanup_nllink struct rtnl_link *br = rtnl_link_bridge_alloc();
	char mac[18];
	/* A fixed MAC: otherwise the bridge takes the lowest MAC of its ports and
	 * changes it as containers come and go, which stales neighbours' ARP. */
	dome_mac_for(name, mac);
	__cleanup_nladdr struct nl_addr *lladdr = mac_nladdr(mac);
	if (!br || !lladdr)
		return dome_fail(err, ENOMEM, "creating bridge %s", name);
	rtnl_link_set_name(br, name);
	rtnl_link_set_addr(br, lladdr);
	int rc = rtnl_link_add(sock, br, NLM_F_CREATE | NLM_F_EXCL);
	if (rc == -NLE_EXIST)
		return 0; /* another dome made it meanwhile */
	if (rc < 0)
		return nl_fail(err, rc, "creating bridge %s", name);
	return 1;
}

static int ensure_bridge(struct dome_ctx *ctx, struct nl_sock *sock, const char *name,
			 const struct dome_subnet *sn, struct dome_error *err)
{
	int created = create_bridge(sock, name, err);
	if (created < 0)
		return -1;
	__cleanup_nllink struct rtnl_link *br = NULL;
	int found = find_link(sock, name, &br, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, ENODEV, "bridge %s vanished after creation", name);
	const char *kind = rtnl_link_get_type(br);
	if (!kind || strcmp(kind, "bridge") != 0)
		return dome_fail(err, 0, "interface %s exists and is not a bridge (kind %s); set "
				 "another name as bridge in the [network] section of dome.conf",
				 name, kind ? kind : "unknown");
	if (own_bridge(ctx, sock, br, name, created == 1, err) < 0)
		return -1;
	char cidr[20];
	dome_subnet_format(sn, cidr);
	struct ipv4_list have = { .want = *sn };
	if (list_ipv4(sock, rtnl_link_get_ifindex(br), &have, err) < 0)
		return -1;
	if (!have.has_want && have.count > 0)
		return dome_fail(err, 0, "bridge %s exists with address %s, not the gateway of subnet "
				 "%s; dome leaves its addresses alone — set subnet in dome.conf to "
				 "match the bridge, or use another bridge name", name, have.text, cidr);
	if (!have.has_want &&
	    add_address(sock, rtnl_link_get_ifindex(br), name, sn->gateway, sn->prefix,
			dome_subnet_broadcast(sn), err) < 0) {
		/* Another dome starting a container may have added it just now. */
		struct ipv4_list again = { .want = *sn };
		struct dome_error ignored;
		if (list_ipv4(sock, rtnl_link_get_ifindex(br), &again, &ignored) == 0 &&
		    again.has_want && again.count == 1)
			return link_up(sock, name, err);
		if (created == 1)
			delete_link_named(sock, name, &ignored);
		return -1;
	}
	return link_up(sock, name, err);
}

static int load_subnet(const struct dome_ctx *ctx, struct dome_subnet *sn, struct dome_error *err)
{
	if (dome_subnet_parse(ctx->cfg.subnet, sn, err) < 0) {
		dome_error_prefix(err, "the configured [network] subnet");
		return -1;
	}
	return 0;
}

int dome_net_readdress_bridge(const char *bridge, const struct dome_subnet *from,
			      const struct dome_subnet *to, struct dome_error *err)
{
	__cleanup_nlsock struct nl_sock *sock = route_socket(err);
	if (!sock)
		return -1;
	__cleanup_nllink struct rtnl_link *br = NULL;
	int found = find_link(sock, bridge, &br, err);
	if (found <= 0)
		return found; /* no bridge yet: it is made with the new address */
	int ifindex = rtnl_link_get_ifindex(br);
	struct ipv4_list have = { .want = *from };
	if (list_ipv4(sock, ifindex, &have, err) < 0)
		return -1;
	/* New address first, old one second: the bridge is never without the
	 * gateway the configuration names. */
	struct ipv4_list now = { .want = *to };
	if (list_ipv4(sock, ifindex, &now, err) < 0)
		return -1;
	if (!now.has_want && add_address(sock, ifindex, bridge, to->gateway, to->prefix,
					 dome_subnet_broadcast(to), err) < 0)
		return -1;
	if (have.has_want && !(from->gateway == to->gateway && from->prefix == to->prefix)) {
		__cleanup_rtaddr struct rtnl_addr *ra = rtnl_addr_alloc();
		__cleanup_nladdr struct nl_addr *local = ipv4_nladdr(from->gateway, from->prefix);
		if (!ra || !local)
			return dome_fail(err, ENOMEM, "removing the old address of %s", bridge);
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		int rc = rtnl_addr_delete(sock, ra, 0);
		if (rc < 0)
			return nl_fail(err, rc, "removing the old address of %s", bridge);
	}
	return 0;
}

int dome_net_ensure_bridge(struct dome_ctx *ctx, struct dome_error *err)
{
	struct dome_subnet sn;
	if (load_subnet(ctx, &sn, err) < 0)
		return -1;
	__cleanup_nlsock struct nl_sock *sock = route_socket(err);
	if (!sock)
		return -1;
	if (ensure_bridge(ctx, sock, ctx->cfg.bridge, &sn, err) < 0)
		return -1;
	/* Installed at every bridged start, not only when the bridge is made:
	 * a firewall reload (nft flush ruleset) may have removed it. A start
	 * that asked for NAT and cannot have it fails rather than leave the
	 * container without the way out the admin configured. */
	return ctx->cfg.nat ? dome_nat_apply(ctx->cfg.bridge, &sn, err) : 0;
}

int dome_net_bridge_status(const char *bridge, struct dome_bridge_status *out,
			   struct dome_error *err)
{
	memset(out, 0, sizeof *out);
	__cleanup_nlsock struct nl_sock *sock = route_socket(err);
	if (!sock)
		return -1;
	__cleanup_nllink struct rtnl_link *br = NULL;
	int found = find_link(sock, bridge, &br, err);
	if (found <= 0)
		return found;
	out->present = true;
	out->up = (rtnl_link_get_flags(br) & IFF_UP) != 0;
	const char *kind = rtnl_link_get_type(br);
	out->is_bridge = kind && strcmp(kind, "bridge") == 0;
	struct ipv4_list have = { 0 };
	if (list_ipv4(sock, rtnl_link_get_ifindex(br), &have, err) < 0)
		return -1;
	strlcpy(out->addresses, have.text, sizeof out->addresses);
	return 0;
}

/* ---- entering a container's network namespace ---- */

struct netns_visit {
	int orig_fd;   /* the namespace to return to, held open all along */
	bool entered;
};

static int open_netns_of(pid_t pid, struct dome_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dome_fail(err, errno, "opening the network namespace of process %d (%s)",
				 (int)pid, path);
	return fd;
}

/* Refuse a process that shares our namespace: configuring "eth0" there would
 * change the host. */
static int check_own_netns(int target_fd, pid_t pid, struct dome_error *err)
{
	struct stat here, there;
	if (stat("/proc/thread-self/ns/net", &here) < 0 || fstat(target_fd, &there) < 0)
		return dome_fail(err, errno, "inspecting the network namespace of process %d",
				 (int)pid);
	if (here.st_ino == there.st_ino && here.st_dev == there.st_dev)
		return dome_fail(err, 0, "process %d has no network namespace of its own; refusing "
				 "to configure the host's interfaces", (int)pid);
	return 0;
}

/* The network namespace of `pid` as an fd, checked not to be ours. Holding
 * the fd (rather than the pid) keeps naming the same namespace even if the
 * process exits meanwhile. */
static int open_container_netns(pid_t pid, struct dome_error *err)
{
	__cleanup_close int fd = open_netns_of(pid, err);
	if (fd < 0 || check_own_netns(fd, pid, err) < 0)
		return -1;
	return move_fd(fd);
}

static int netns_enter(int target_fd, struct netns_visit *v, struct dome_error *err)
{
	v->entered = false;
	v->orig_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (v->orig_fd < 0)
		return dome_fail(err, errno, "opening this thread's network namespace");
	if (setns(target_fd, CLONE_NEWNET) < 0)
		return dome_fail(err, errno, "entering the container's network namespace");
	v->entered = true;
	return 0;
}

/* Back to the original namespace. Failing here would leave this thread
 * working in the container's namespace, so the error says so. */
static int netns_leave(struct netns_visit *v, struct dome_error *err)
{
	int rc = 0;
	if (v->entered && setns(v->orig_fd, CLONE_NEWNET) < 0)
		rc = dome_fail(err, errno, "returning to the host network namespace (this process "
				 "is left in a container's namespace and must exit)");
	if (v->orig_fd >= 0)
		close(v->orig_fd);
	v->orig_fd = -1;
	v->entered = false;
	return rc;
}

typedef int (*netns_fn)(struct nl_sock *sock, void *arg, struct dome_error *err);

/* Run `fn` with a netlink socket inside the network namespace `target_fd`.
 *
 * Order matters: the original namespace fd is opened first and kept open (it
 * is the only way back); setns() switches this thread only (dome does this
 * on its one thread); the netlink socket is opened after setns() because a
 * socket stays bound to the namespace it was created in — one opened before
 * would still configure the host; it is closed before setns() back so
 * nothing keeps using it. */
static int in_netns(int target_fd, netns_fn fn, void *arg, struct dome_error *err)
{
	struct netns_visit v = { .orig_fd = -1 };
	int rc = netns_enter(target_fd, &v, err);
	if (rc == 0) {
		struct nl_sock *sock = route_socket(err);
		rc = sock ? fn(sock, arg, err) : -1;
		if (sock)
			nl_socket_free(sock);
	}
	struct dome_error leave_err;
	if (netns_leave(&v, &leave_err) < 0) {
		*err = leave_err;
		return -1;
	}
	return rc;
}

/* ---- inside the container ---- */

struct inside_config {
	const char *temp_name;
	const char *mac;
	uint32_t addr;
	const struct dome_subnet *sn;
};

static int add_default_route(struct nl_sock *sock, int ifindex, uint32_t gateway,
			     struct dome_error *err)
{
	char gw[16];
	dome_ipv4_format(gateway, gw);
	__cleanup_nlroute struct rtnl_route *route = rtnl_route_alloc();
	__cleanup_nladdr struct nl_addr *dst = ipv4_nladdr(0, 0);
	__cleanup_nladdr struct nl_addr *via = ipv4_nladdr(gateway, 32);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	if (!route || !dst || !via || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return dome_fail(err, ENOMEM, "adding the default route via %s", gw);
	}
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(route, RTPROT_STATIC);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(route, nh); /* the route owns nh from here */
	int rc = rtnl_route_add(sock, route, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0)
		return nl_fail(err, rc, "adding the default route via %s", gw);
	return 0;
}

static int configure_inside(struct nl_sock *sock, void *arg, struct dome_error *err)
{
	struct inside_config *cfg = arg;
	__cleanup_nllink struct rtnl_link *peer = NULL;
	int found = find_link(sock, cfg->temp_name, &peer, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, ENODEV, "finding %s in the container",
						  cfg->temp_name);
	/* The name can only change while the link is down (it is, since it was
	 * just made); the MAC goes in the same request. */
	__cleanup_nllink struct rtnl_link *changes = rtnl_link_alloc();
	__cleanup_nladdr struct nl_addr *lladdr = mac_nladdr(cfg->mac);
	if (!changes || !lladdr)
		return dome_fail(err, ENOMEM, "configuring " CONTAINER_IFNAME);
	rtnl_link_set_name(changes, CONTAINER_IFNAME);
	rtnl_link_set_addr(changes, lladdr);
	if (change_link(sock, peer, changes, "renaming the container's interface to "
			CONTAINER_IFNAME " and setting its MAC", err) < 0)
		return -1;
	int ifindex = rtnl_link_get_ifindex(peer);
	if (link_up(sock, "lo", err) < 0 || link_up(sock, CONTAINER_IFNAME, err) < 0)
		return -1;
	if (add_address(sock, ifindex, CONTAINER_IFNAME, cfg->addr, cfg->sn->prefix,
			dome_subnet_broadcast(cfg->sn), err) < 0)
		return -1;
	return add_default_route(sock, ifindex, cfg->sn->gateway, err);
}

/* ---- the per-container veth ---- */

static const char SQL_IF_OWNER[] =
	"SELECT c.name FROM net_interfaces n JOIN containers c ON c.id = n.container_id "
	"WHERE n.host_ifname = ?1 AND n.container_id <> ?2";
static const char SQL_IF_DELETE[] = "DELETE FROM net_interfaces WHERE container_id = ?1";
static const char SQL_IF_INSERT[] =
	"INSERT INTO net_interfaces (container_id, ifname, host_ifname, mac, bridge) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";

/* Which other container's interface row claims `host` ("" if none). */
static int host_ifname_owner(struct dome_ctx *ctx, const char *host, int64_t id, char *owner,
			     size_t len, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_IF_OWNER, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	int rc = sqlite3_step(s);
	owner[0] = '\0';
	if (rc == SQLITE_ROW)
		strlcpy(owner, (const char *)sqlite3_column_text(s, 0), len);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the network interfaces");
	return 0;
}

static int forget_interfaces(struct dome_ctx *ctx, int64_t id, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_IF_DELETE, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return dome_store_exec_stmt(ctx->store, s, "forgetting the container's interface", err);
}

static int record_interface(struct dome_ctx *ctx, const struct dome_container *c,
			    const char *host, const char *mac, struct dome_error *err)
{
	if (forget_interfaces(ctx, c->id, err) < 0)
		return -1;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_IF_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_text(s, 2, CONTAINER_IFNAME, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, ctx->cfg.bridge, -1, SQLITE_STATIC);
	return dome_store_exec_stmt(ctx->store, s, "recording the container's interface", err);
}

/* A veth named for this container left by a crash is removed; one claimed by
 * another container (a host-name clash) is an error. */
static int clear_leftover(struct dome_ctx *ctx, struct nl_sock *sock,
			  const struct dome_container *c, const char *host, struct dome_error *err)
{
	char owner[64];
	if (host_ifname_owner(ctx, host, c->id, owner, sizeof owner, err) < 0)
		return -1;
	if (owner[0])
		return dome_fail(err, 0, "host interface name %s is already used by container %s; "
				 "rename one of them", host, owner);
	__cleanup_nllink struct rtnl_link *link = NULL;
	int found = find_link(sock, host, &link, err);
	if (found <= 0)
		return found;
	const char *kind = rtnl_link_get_type(link);
	if (!kind || strcmp(kind, "veth") != 0)
		return dome_fail(err, 0, "interface %s exists and is not a veth (kind %s); dome "
				 "leaves it alone — remove or rename it", host,
				 kind ? kind : "unknown");
	if (!dome_net_veth_owner(ctx, host, owner, sizeof owner)) {
		const char *alias = rtnl_link_get_ifalias(link);
		char who[320];
		dome_mark_describe(alias ? alias : "", who, sizeof who);
		return dome_fail(err, EEXIST, "interface %s exists and belongs to %s; dome leaves "
				 "it alone", host, who);
	}
	return delete_link_named(sock, host, err);
}

/* The veth pair: host end `host`, peer `peer_name` made directly inside the
 * namespace `netns_fd` (IFLA_NET_NS_FD on the peer), so the peer never
 * appears on the host under its temporary name. */
static int create_veth(struct nl_sock *sock, const char *host, const char *peer_name,
		       int netns_fd, struct dome_error *err)
{
	__cleanup_nllink struct rtnl_link *veth = rtnl_link_veth_alloc();
	if (!veth)
		return dome_fail(err, ENOMEM, "creating veth %s", host);
	rtnl_link_set_name(veth, host);
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, netns_fd);
	rtnl_link_put(peer); /* get_peer took a reference; veth keeps its own */
	int rc = rtnl_link_add(sock, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0)
		return nl_fail(err, rc, "creating veth %s", host);
	return 0;
}

static int attach_host_end(struct nl_sock *sock, const char *host, const char *bridge,
			   const char *mark, struct dome_error *err)
{
	__cleanup_nllink struct rtnl_link *br = NULL, *link = NULL;
	int found = find_link(sock, bridge, &br, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, ENODEV, "finding bridge %s", bridge);
	found = find_link(sock, host, &link, err);
	if (found <= 0)
		return found < 0 ? -1 : dome_fail(err, ENODEV, "finding %s", host);
	__cleanup_nllink struct rtnl_link *changes = rtnl_link_alloc();
	if (!changes)
		return dome_fail(err, ENOMEM, "attaching %s to %s", host, bridge);
	rtnl_link_set_master(changes, rtnl_link_get_ifindex(br));
	rtnl_link_set_flags(changes, IFF_UP);
	/* Whose it is, in the same request: doctor and cleanups of other roots
	 * leave it alone (owner.h). */
	rtnl_link_set_ifalias(changes, mark);
	char what[64];
	snprintf(what, sizeof what, "attaching %s to bridge %s", host, bridge);
	return change_link(sock, link, changes, what, err);
}

static int check_leasable(const struct dome_subnet *sn, uint32_t addr, struct dome_error *err)
{
	if (addr >= sn->first && addr <= sn->last)
		return 0;
	char a[16], cidr[20];
	dome_ipv4_format(addr, a);
	dome_subnet_format(sn, cidr);
	return dome_invalid(err, "address %s is not a container address of subnet %s", a, cidr);
}

static int setup_veth(struct dome_ctx *ctx, struct nl_sock *sock, const struct dome_container *c,
		      int netns_fd, pid_t pid, struct inside_config *inside, const char *host,
		      bool *made, struct dome_error *err)
{
	char temp[16];
	/* Unique while the container lives: its init's pid. */
	snprintf(temp, sizeof temp, "dmp%d", (int)pid);
	inside->temp_name = temp;
	if (clear_leftover(ctx, sock, c, host, err) < 0)
		return -1;
	if (create_veth(sock, host, temp, netns_fd, err) < 0)
		return -1;
	*made = true;
	char mark[128];
	dome_veth_mark(ctx, c->name, mark, sizeof mark);
	if (attach_host_end(sock, host, ctx->cfg.bridge, mark, err) < 0)
		return -1;
	if (in_netns(netns_fd, configure_inside, inside, err) < 0)
		return -1;
	return record_interface(ctx, c, host, inside->mac, err);
}

int dome_net_setup(struct dome_ctx *ctx, const struct dome_container *c, pid_t pid,
		   uint32_t addr, struct dome_error *err)
{
	struct dome_subnet sn;
	char host[16], mac[18];
	if (!ctx->root_id[0])
		return dome_fail(err, 0, "this state root has no id yet; run dome as root once");
	dome_host_ifname(ctx->root_id, c->id, host);
	dome_mac_for(c->name, mac);
	struct inside_config inside = { .mac = mac, .addr = addr, .sn = &sn };
	bool made = false;
	int rc = -1;
	__cleanup_nlsock struct nl_sock *sock = NULL;
	__cleanup_close int netns_fd = -1;
	if (load_subnet(ctx, &sn, err) < 0 || check_leasable(&sn, addr, err) < 0)
		goto out;
	netns_fd = open_container_netns(pid, err);
	if (netns_fd < 0 || !(sock = route_socket(err)))
		goto out;
	if (ensure_bridge(ctx, sock, ctx->cfg.bridge, &sn, err) < 0)
		goto out;
	rc = setup_veth(ctx, sock, c, netns_fd, pid, &inside, host, &made, err);
	if (rc < 0 && made) {
		/* Deleting the host end removes its peer wherever it is. */
		struct dome_error ignored;
		delete_link_named(sock, host, &ignored);
	}
out:
	if (rc < 0)
		dome_error_prefix(err, "setting up the network of %s", c->name);
	return rc;
}

int dome_net_teardown(struct dome_ctx *ctx, const struct dome_container *c,
		      struct dome_error *err)
{
	/* The name its start recorded (an older dome's dm-NAME too), else the
	 * one a start of this root would have made. */
	char host[16], owner[64];
	if (c->host_ifname[0])
		strlcpy(host, c->host_ifname, sizeof host);
	else
		dome_host_ifname(ctx->root_id, c->id, host);
	__cleanup_nlsock struct nl_sock *sock = route_socket(err);
	if (!sock)
		return -1;
	__cleanup_nllink struct rtnl_link *link = NULL;
	int found = ctx->root_id[0] || c->host_ifname[0] ? find_link(sock, host, &link, err) : 0;
	if (found < 0)
		return -1;
	if (found) {
		const char *kind = rtnl_link_get_type(link);
		if (!kind || strcmp(kind, "veth") != 0)
			return dome_fail(err, 0, "interface %s is not a veth (kind %s); dome leaves it "
					 "alone", host, kind ? kind : "unknown");
		if (!dome_net_veth_owner(ctx, host, owner, sizeof owner))
			return dome_fail(err, EEXIST, "interface %s is not this state root's; dome "
					 "leaves it alone", host);
		if (delete_link_named(sock, host, err) < 0)
			return -1;
	}
	return forget_interfaces(ctx, c->id, err);
}

/* From the link's counters in sysfs: four small reads, where netlink would
 * need a socket and a request per call — the console asks once per running
 * container per refresh. The interface name is validated first, so the path
 * cannot point anywhere else. */
int dome_net_stats(const char *host_ifname, struct dome_net_stats *out, struct dome_error *err)
{
	static const char *const files[] = { "rx_bytes", "tx_bytes", "rx_packets", "tx_packets" };
	uint64_t *fields[] = { &out->rx_bytes, &out->tx_bytes, &out->rx_packets, &out->tx_packets };
	memset(out, 0, sizeof *out);
	if (dome_validate_ifname("interface", host_ifname, err) < 0)
		return -1;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(files); i++) {
		char path[128], buf[32];
		snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", host_ifname, files[i]);
		if (dome_read_small(path, buf, sizeof buf) < 0)
			return errno == ENOENT && i == 0 ? 0 : dome_fail(err, errno, "reading %s", path);
		*fields[i] = strtoull(buf, NULL, 10);
	}
	out->present = true;
	return 0;
}
