/* Container networking against the real kernel (root): a private bridge and
 * subnet named after this test's pid, "containers" that are forked children
 * in their own network namespaces, traffic only between them and the bridge.
 * Every test's teardown removes the bridge, the veths and the children it
 * made, also when an assertion failed. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include "net.h"
#include "owner.h"

#define MAX_KIDS 8
#define MAX_NAMES 16

struct kid {
	pid_t pid;
	int hold_fd;   /* the child lives until this closes */
};

struct fixture {
	char *root;
	struct dome_ctx *ctx;
	char bridge[16];
	char subnet[32];
	struct kid kids[MAX_KIDS];
	int nkids;
	char names[MAX_NAMES][64];   /* containers made, for veth cleanup */
	int nnames;
};

static int tag; /* keeps names unique between the tests of this run */

/* ---- netlink from the test's side ---- */

static struct nl_sock *test_socket(void)
{
	struct nl_sock *sock = nl_socket_alloc();
	assert_non_null(sock);
	assert_int_equal(nl_connect(sock, NETLINK_ROUTE), 0);
	return sock;
}

/* 1 when a link of that name exists in our namespace. */
static int host_link_exists(const char *name, int *master)
{
	struct nl_sock *sock = test_socket();
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sock, 0, name, &link);
	if (rc == 0 && master)
		*master = rtnl_link_get_master(link);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sock);
	return rc == 0;
}

static int host_ifindex(const char *name)
{
	struct nl_sock *sock = test_socket();
	struct rtnl_link *link = NULL;
	int idx = 0;
	if (rtnl_link_get_kernel(sock, 0, name, &link) == 0) {
		idx = rtnl_link_get_ifindex(link);
		rtnl_link_put(link);
	}
	nl_socket_free(sock);
	return idx;
}

static void delete_host_link(const char *name)
{
	struct nl_sock *sock = nl_socket_alloc();
	if (!sock || nl_connect(sock, NETLINK_ROUTE) < 0) {
		if (sock)
			nl_socket_free(sock);
		return;
	}
	struct rtnl_link *link = rtnl_link_alloc();
	rtnl_link_set_name(link, name);
	rtnl_link_delete(sock, link);
	rtnl_link_put(link);
	nl_socket_free(sock);
}

/* What a container sees in its namespace. */
struct seen {
	char links[256];        /* names, space separated */
	bool lo_up, eth0_up;
	char eth0_mac[32];
	char eth0_addr[32];     /* "10.250.7.2/29" */
	char gateway[32];       /* of the default route */
};

static void collect_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct seen *s = arg;
	const char *name = rtnl_link_get_name(link);
	size_t used = strlen(s->links);
	snprintf(s->links + used, sizeof s->links - used, "%s%s", used ? " " : "", name);
	bool up = rtnl_link_get_flags(link) & IFF_UP;
	if (strcmp(name, "lo") == 0)
		s->lo_up = up;
	if (strcmp(name, "eth0") == 0) {
		s->eth0_up = up;
		nl_addr2str(rtnl_link_get_addr(link), s->eth0_mac, sizeof s->eth0_mac);
	}
}

static void collect_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct seen *s = arg;
	if (rtnl_addr_get_family(a) == AF_INET && strcmp(rtnl_addr_get_label(a) ?: "", "eth0") == 0)
		nl_addr2str(rtnl_addr_get_local(a), s->eth0_addr, sizeof s->eth0_addr);
}

static void collect_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct seen *s = arg;
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
	    nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != 0 || rtnl_route_get_nnexthops(r) < 1)
		return;
	struct nl_addr *gw = rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(r, 0));
	if (gw)
		nl_addr2str(gw, s->gateway, sizeof s->gateway);
}

static void inspect_here(struct seen *s)
{
	struct nl_sock *sock = nl_socket_alloc();
	if (!sock || nl_connect(sock, NETLINK_ROUTE) < 0)
		_exit(2);
	struct nl_cache *links, *addrs, *routes;
	if (rtnl_link_alloc_cache(sock, AF_UNSPEC, &links) < 0 ||
	    rtnl_addr_alloc_cache(sock, &addrs) < 0 ||
	    rtnl_route_alloc_cache(sock, AF_INET, 0, &routes) < 0)
		_exit(3);
	nl_cache_foreach(links, collect_link, s);
	nl_cache_foreach(addrs, collect_addr, s);
	nl_cache_foreach(routes, collect_route, s);
}

/* Look inside the namespace of `pid` from a forked helper, so the test
 * process itself never changes namespace. */
static struct seen inspect(pid_t pid)
{
	struct seen s = { 0 };
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t h = fork();
	assert_true(h >= 0);
	if (h == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(1);
		inspect_here(&s);
		_exit(write(p[1], &s, sizeof s) == (ssize_t)sizeof s ? 0 : 4);
	}
	close(p[1]);
	ssize_t n = read(p[0], &s, sizeof s);
	close(p[0]);
	int st;
	assert_int_equal(waitpid(h, &st, 0), h);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(n, sizeof s);
	return s;
}

/* busybox ping from inside the namespace of `pid`; its exit status. */
static int ping_from(pid_t pid, uint32_t addr)
{
	char a[16];
	dome_ipv4_format(addr, a);
	pid_t h = fork();
	assert_true(h >= 0);
	if (h == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(126);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		char *argv[] = { "ping", "-c1", "-W2", a, NULL };
		char *envp[] = { NULL };
		execve("/bin/busybox", argv, envp);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(h, &st, 0), h);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- "containers": children in their own network namespace ---- */

/* A child that made a veth named eth0 in its own namespace first, so the
 * container's interface cannot take that name. */
static void make_own_eth0(void)
{
	struct nl_sock *sock = nl_socket_alloc();
	if (!sock || nl_connect(sock, NETLINK_ROUTE) < 0 ||
	    rtnl_link_veth_add(sock, "eth0", "eth0peer", getpid()) < 0)
		_exit(5);
	nl_socket_free(sock);
}

static pid_t spawn(struct fixture *f, bool new_netns, bool with_eth0)
{
	assert_true(f->nkids < MAX_KIDS);
	int ready[2], hold[2];
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(hold[1]);
		if (new_netns && unshare(CLONE_NEWNET) < 0)
			_exit(3);
		if (with_eth0)
			make_own_eth0();
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		char c;
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	char c;
	ssize_t n = read(ready[0], &c, 1);
	close(ready[0]);
	f->kids[f->nkids++] = (struct kid){ pid, hold[1] };
	assert_int_equal(n, 1);
	return pid;
}

static void end_kids(struct fixture *f)
{
	for (int i = 0; i < f->nkids; i++) {
		close(f->kids[i].hold_fd);
		kill(f->kids[i].pid, SIGKILL);
		waitpid(f->kids[i].pid, NULL, 0);
	}
	f->nkids = 0;
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	*state = f;
	f->root = testutil_mkroot();
	struct dome_open_opts o = { .root = f->root, .config_path = "/dev/null" };
	struct dome_error err;
	f->ctx = dome_open(&o, &err);
	if (!f->ctx)
		fail_msg("dome_open: %s", err.msg);
	int pid = (int)getpid();
	snprintf(f->bridge, sizeof f->bridge, "dmtb%d", pid);
	snprintf(f->subnet, sizeof f->subnet, "10.250.%d.0/29", pid % 250);
	snprintf(f->ctx->cfg.bridge, sizeof f->ctx->cfg.bridge, "%s", f->bridge);
	snprintf(f->ctx->cfg.subnet, sizeof f->ctx->cfg.subnet, "%s", f->subnet);
	assert_false(host_link_exists(f->bridge, NULL));
	struct dome_image img = { 0 };
	snprintf(img.name, sizeof img.name, "base");
	snprintf(img.path, sizeof img.path, "/images/base");
	snprintf(img.init_cmd, sizeof img.init_cmd, "/sbin/init");
	snprintf(img.shell, sizeof img.shell, "/bin/sh");
	img.created_at = dome_now_ms();
	assert_int_equal(dome_image_insert(f->ctx->store, &img, &err), 0);
	tag++;
	return 0;
}

/* The host veth name of container NAME of this root (owner.h). */
static void host_of(struct fixture *f, const char *name, char host[16])
{
	struct dome_container c;
	struct dome_error err;
	host[0] = '\0';
	if (dome_inv_find(f->ctx->store, name, &c, &err) == 1)
		dome_host_ifname(f->ctx->root_id, c.id, host);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	end_kids(f);
	for (int i = 0; i < f->nnames; i++) {
		char host[16];
		host_of(f, f->names[i], host);
		if (host[0])
			delete_host_link(host);
	}
	delete_host_link(f->bridge);
	if (f->ctx)
		dome_close(f->ctx);
	testutil_rmroot(f->root);
	free(f);
	return 0;
}

/* A container row named "<base><tag>x<pid>" (unique per run and test). */
static struct dome_container add_container(struct fixture *f, const char *base,
					   const char *ipv4)
{
	assert_true(f->nnames < MAX_NAMES);
	struct dome_container c = { 0 };
	struct dome_error err;
	snprintf(c.name, sizeof c.name, "%s%dx%d", base, tag, (int)getpid());
	snprintf(c.image, sizeof c.image, "base");
	snprintf(c.net_mode, sizeof c.net_mode, "bridge");
	snprintf(c.ipv4_static, sizeof c.ipv4_static, "%s", ipv4 ? ipv4 : "");
	c.created_at = dome_now_ms();
	dome_limits_init(&c.limits);
	snprintf(f->names[f->nnames++], sizeof f->names[0], "%s", c.name);
	if (dome_inv_insert(f->ctx->store, &c, &err) < 0)
		fail_msg("insert %s: %s", c.name, err.msg);
	char host[16];
	host_of(f, c.name, host);
	assert_false(host_link_exists(host, NULL));
	return c;
}

static uint32_t subnet_addr(struct fixture *f, unsigned host_part)
{
	struct dome_subnet sn;
	struct dome_error err;
	assert_int_equal(dome_subnet_parse(f->subnet, &sn, &err), 0);
	return sn.network + host_part;
}

static void start_net(struct fixture *f, const struct dome_container *c, pid_t pid,
		      uint32_t *addr)
{
	struct dome_error err;
	if (dome_net_lease(f->ctx, c, addr, &err) < 0)
		fail_msg("lease %s: %s", c->name, err.msg);
	if (dome_net_setup(f->ctx, c, pid, *addr, &err) < 0)
		fail_msg("setup %s: %s", c->name, err.msg);
}

static int interface_rows(struct fixture *f, int64_t id, char *mac, size_t maclen)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(dome_store_db(f->ctx->store),
					    "SELECT mac, host_ifname, bridge FROM net_interfaces "
					    "WHERE container_id = ?1", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	int rows = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		rows++;
		if (mac)
			snprintf(mac, maclen, "%s", (const char *)sqlite3_column_text(s, 0));
		assert_string_equal((const char *)sqlite3_column_text(s, 2), f->bridge);
	}
	sqlite3_finalize(s);
	return rows;
}

/* ---- tests ---- */

static void test_two_containers_talk(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	struct dome_container a = add_container(f, "na", NULL);
	struct dome_container b = add_container(f, "nb", NULL);
	pid_t pa = spawn(f, true, false), pb = spawn(f, true, false);
	uint32_t addr_a, addr_b;
	start_net(f, &a, pa, &addr_a);
	start_net(f, &b, pb, &addr_b);
	assert_int_not_equal(addr_a, addr_b);

	/* The bridge carries the gateway address; both host ends hang off it. */
	uint32_t gw = subnet_addr(f, 1);
	struct dome_bridge_status bs;
	assert_int_equal(dome_net_bridge_status(f->bridge, &bs, &err), 0);
	assert_true(bs.present && bs.up && bs.is_bridge);
	char want[32], gws[16];
	dome_ipv4_format(gw, gws);
	snprintf(want, sizeof want, "%s/29", gws);
	assert_string_equal(bs.addresses, want);
	int br = host_ifindex(f->bridge), master = 0;
	char host_a[16];
	host_of(f, a.name, host_a);
	assert_true(host_link_exists(host_a, &master));
	assert_int_equal(master, br);

	/* Inside: lo and eth0 up, the name's MAC, the leased address, the route. */
	struct seen s = inspect(pa);
	char mac[18], addr[16];
	dome_mac_for(a.name, mac);
	dome_ipv4_format(addr_a, addr);
	snprintf(want, sizeof want, "%s/29", addr);
	assert_true(s.lo_up);
	assert_true(s.eth0_up);
	assert_string_equal(s.eth0_mac, mac);
	assert_string_equal(s.eth0_addr, want);
	assert_string_equal(s.gateway, gws);
	assert_null(strstr(s.links, "dmp"));
	char row_mac[32] = "";
	assert_int_equal(interface_rows(f, a.id, row_mac, sizeof row_mac), 1);
	assert_string_equal(row_mac, mac);

	assert_int_equal(ping_from(pa, addr_b), 0);
	assert_int_equal(ping_from(pb, addr_a), 0);
	assert_int_equal(ping_from(pa, gw), 0);
	assert_int_equal(ping_from(pb, gw), 0);

	/* Counters from the host end: the container's traffic shows. */
	struct dome_net_stats st;
	assert_int_equal(dome_net_stats(host_a, &st, &err), 0);
	assert_true(st.present);
	assert_true(st.rx_packets >= 2 && st.tx_packets >= 2);
	assert_true(st.rx_bytes > st.rx_packets && st.tx_bytes > st.tx_packets);

	/* Teardown removes the host end and with it the container's eth0. */
	assert_int_equal(dome_net_teardown(f->ctx, &a, &err), 0);
	assert_false(host_link_exists(host_a, NULL));
	assert_int_equal(interface_rows(f, a.id, NULL, 0), 0);
	s = inspect(pa);
	assert_string_equal(s.links, "lo");
	assert_int_not_equal(ping_from(pb, addr_a), 0);
	assert_int_equal(dome_net_stats(host_a, &st, &err), 0);
	assert_false(st.present);
	/* Twice is fine: nothing left to remove. */
	assert_int_equal(dome_net_teardown(f->ctx, &a, &err), 0);

	uint32_t left;
	assert_int_equal(dome_net_release(f->ctx, a.id, &err), 0);
	assert_int_equal(dome_net_lease_of(f->ctx, a.id, &left, &err), 0);
	assert_int_equal(left, 0);
	assert_int_equal(dome_net_lease_of(f->ctx, b.id, &left, &err), 0);
	assert_int_equal(left, addr_b);
}

static void test_none_mode_has_only_lo(void **state)
{
	struct fixture *f = *state;
	/* No veth, no route: what a none-mode start leaves to the container,
	 * whose init brings lo up itself (tests/integration/test_network.sh). */
	pid_t p = spawn(f, true, false);
	struct seen s = inspect(p);
	assert_string_equal(s.links, "lo");
	assert_string_equal(s.gateway, "");
}

static void test_static_address_honoured_and_duplicate_refused(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	char want[16];
	dome_ipv4_format(subnet_addr(f, 5), want);
	struct dome_container a = add_container(f, "sa", want);
	struct dome_container b = add_container(f, "sb", want);
	pid_t pa = spawn(f, true, false);
	uint32_t addr;
	start_net(f, &a, pa, &addr);
	assert_int_equal(addr, subnet_addr(f, 5));
	struct seen s = inspect(pa);
	char cidr[32];
	snprintf(cidr, sizeof cidr, "%s/29", want);
	assert_string_equal(s.eth0_addr, cidr);
	assert_int_equal(ping_from(pa, subnet_addr(f, 1)), 0);

	assert_int_equal(dome_net_lease(f->ctx, &b, &addr, &err), -1);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, a.name));
	assert_non_null(strstr(err.msg, "taken"));
}

static void test_subnet_runs_out_on_sixth(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	uint32_t seen[5], addr;
	for (int i = 0; i < 5; i++) {
		char base[8];
		snprintf(base, sizeof base, "x%d", i);
		struct dome_container c = add_container(f, base, NULL);
		assert_int_equal(dome_net_lease(f->ctx, &c, &seen[i], &err), 0);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(seen[i], seen[k]);
	}
	struct dome_container sixth = add_container(f, "x5", NULL);
	assert_int_equal(dome_net_lease(f->ctx, &sixth, &addr, &err), -1);
	assert_non_null(strstr(err.msg, f->subnet));
	assert_non_null(strstr(err.msg, "5 addresses"));
}

static void test_failed_setup_leaves_no_veth(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	struct dome_container c = add_container(f, "fa", NULL);
	char host[16];
	host_of(f, c.name, host);
	uint32_t addr;
	assert_int_equal(dome_net_lease(f->ctx, &c, &addr, &err), 0);

	/* The interface cannot be renamed eth0 inside: fails after the veth was
	 * made, and the veth goes (with the temporary peer inside). */
	pid_t busy = spawn(f, true, true);
	assert_int_equal(dome_net_setup(f->ctx, &c, busy, addr, &err), -1);
	assert_non_null(strstr(err.msg, c.name));
	assert_false(host_link_exists(host, NULL));
	struct seen s = inspect(busy);
	assert_null(strstr(s.links, "dmp"));
	assert_int_equal(interface_rows(f, c.id, NULL, 0), 0);

	/* A process that has exited. */
	pid_t gone = spawn(f, true, false);
	close(f->kids[f->nkids - 1].hold_fd);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	f->nkids--;
	assert_int_equal(dome_net_setup(f->ctx, &c, gone, addr, &err), -1);
	assert_false(host_link_exists(host, NULL));

	/* A process in the host's namespace: refused, the host untouched. */
	pid_t shared = spawn(f, false, false);
	assert_int_equal(dome_net_setup(f->ctx, &c, shared, addr, &err), -1);
	assert_non_null(strstr(err.msg, "no network namespace of its own"));
	assert_false(host_link_exists(host, NULL));
	char peer[16];
	snprintf(peer, sizeof peer, "dmp%d", (int)shared);
	assert_false(host_link_exists(peer, NULL));

	/* And after all that, a good start still works. */
	pid_t ok = spawn(f, true, false);
	assert_int_equal(dome_net_setup(f->ctx, &c, ok, addr, &err), 0);
	assert_int_equal(ping_from(ok, subnet_addr(f, 1)), 0);
}

static void test_bridge_with_other_address_left_alone(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	assert_int_equal(dome_net_ensure_bridge(f->ctx, &err), 0);
	assert_int_equal(dome_net_ensure_bridge(f->ctx, &err), 0); /* idempotent */
	struct dome_bridge_status before, after;
	assert_int_equal(dome_net_bridge_status(f->bridge, &before, &err), 0);
	snprintf(f->ctx->cfg.subnet, sizeof f->ctx->cfg.subnet, "10.251.%d.0/29",
		 (int)getpid() % 250);
	assert_int_equal(dome_net_ensure_bridge(f->ctx, &err), -1);
	assert_non_null(strstr(err.msg, f->bridge));
	assert_non_null(strstr(err.msg, before.addresses));
	assert_int_equal(dome_net_bridge_status(f->bridge, &after, &err), 0);
	assert_string_equal(after.addresses, before.addresses);

	/* A container start against it fails the same way and leaves nothing. */
	struct dome_container c = add_container(f, "ba", NULL);
	uint32_t addr;
	assert_int_equal(dome_net_lease(f->ctx, &c, &addr, &err), 0);
	pid_t p = spawn(f, true, false);
	assert_int_equal(dome_net_setup(f->ctx, &c, p, addr, &err), -1);
	char host[16];
	host_of(f, c.name, host);
	assert_false(host_link_exists(host, NULL));
}

/* Two dome processes starting the first containers at once both find the
 * bridge ready, with one gateway address. */
static void test_concurrent_bridge_creation(void **state)
{
	struct fixture *f = *state;
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			struct dome_error err;
			_exit(dome_net_ensure_bridge(f->ctx, &err) == 0 ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]); /* all start together */
	for (int i = 0; i < 4; i++) {
		int st;
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	struct dome_bridge_status bs;
	struct dome_error err;
	assert_int_equal(dome_net_bridge_status(f->bridge, &bs, &err), 0);
	char gw[16], want[32];
	dome_ipv4_format(subnet_addr(f, 1), gw);
	snprintf(want, sizeof want, "%s/29", gw);
	assert_string_equal(bs.addresses, want);
	assert_true(bs.up);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_net needs root (network namespaces, bridges, veths)\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_containers_talk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none_mode_has_only_lo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_address_honoured_and_duplicate_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_subnet_runs_out_on_sixth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_setup_leaves_no_veth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_with_other_address_left_alone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_bridge_creation, setup, teardown),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
