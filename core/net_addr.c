/* Subnet math, MAC derivation and address leases (the database half of
 * networking; the netlink half is in net.c). */
#include "net.h"
#include "cleanup.h"

#include <errno.h>
#include <sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

uint32_t dome_subnet_broadcast(const struct dome_subnet *sn)
{
	return sn->network | ~prefix_mask(sn->prefix);
}

/* Strict dotted quad: four decimal octets 0..255, no leading zeros (which
 * some tools read as octal), nothing around it. */
static int parse_quad(const char *s, size_t len, uint32_t *out)
{
	uint32_t addr = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		size_t digits = i - start;
		if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0'))
			return -1;
		addr = (addr << 8) | v;
	}
	if (i != len)
		return -1;
	*out = addr;
	return 0;
}

int dome_ipv4_parse(const char *s, uint32_t *addr, struct dome_error *err)
{
	if (!s || parse_quad(s, strlen(s), addr) < 0)
		return dome_invalid(err, "'%s' is not an IPv4 address such as 10.77.0.5",
				    s ? s : "");
	return 0;
}

void dome_ipv4_format(uint32_t addr, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255);
}

int dome_subnet_parse(const char *cidr, struct dome_subnet *out, struct dome_error *err)
{
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	uint32_t network;
	uint64_t prefix;
	struct dome_error ignored;
	if (!slash || parse_quad(cidr, (size_t)(slash - cidr), &network) < 0 ||
	    dome_parse_uint("prefix", slash + 1, 8, 30, &prefix, &ignored) < 0)
		return dome_invalid(err, "subnet '%s' is not an IPv4 network such as 10.77.0.0/24 "
				    "(prefix 8 to 30)", cidr ? cidr : "");
	uint32_t mask = prefix_mask((unsigned)prefix);
	if (network & ~mask) {
		char fixed[16];
		dome_ipv4_format(network & mask, fixed);
		return dome_invalid(err, "subnet '%s' has host bits set; did you mean %s/%u?", cidr,
				    fixed, (unsigned)prefix);
	}
	out->network = network;
	out->prefix = (unsigned)prefix;
	out->gateway = network + 1;
	out->first = network + 2;
	out->last = (network | ~mask) - 1;
	return 0;
}

void dome_subnet_format(const struct dome_subnet *sn, char out[20])
{
	char net[16];
	dome_ipv4_format(sn->network, net);
	snprintf(out, 20, "%s/%u", net, sn->prefix);
}

uint32_t dome_subnet_size(const struct dome_subnet *sn)
{
	return sn->last - sn->first + 1;
}

void dome_mac_for(const char *name, char out[18])
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	SHA256_CTX h;
	SHA256Init(&h);
	SHA256Update(&h, (const uint8_t *)name, strlen(name));
	SHA256Final(digest, &h);
	/* First octet 0x02: locally administered (bit 1) and unicast (bit 0
	 * clear), so it can never clash with a vendor-assigned address. */
	snprintf(out, 18, "02:%02x:%02x:%02x:%02x:%02x", digest[0], digest[1], digest[2],
		 digest[3], digest[4]);
}

/* ---- leases ---- */

static const char SQL_LEASE_OF[] = "SELECT address FROM leases WHERE container_id = ?1";
static const char SQL_LEASE_HOLDER[] =
	"SELECT c.name FROM leases l JOIN containers c ON c.id = l.container_id "
	"WHERE l.address = ?1";
static const char SQL_LEASES_IN_RANGE[] =
	"SELECT address FROM leases WHERE address BETWEEN ?1 AND ?2 ORDER BY address";
static const char SQL_LEASE_INSERT[] =
	"INSERT INTO leases (address, container_id, is_static, leased_at) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_LEASE_DELETE[] = "DELETE FROM leases WHERE container_id = ?1";
static const char SQL_LEASE_LIST[] =
	"SELECT l.address, l.container_id, c.name, l.is_static, l.leased_at "
	"FROM leases l JOIN containers c ON c.id = l.container_id ORDER BY l.address";

static int load_subnet(const struct dome_ctx *ctx, struct dome_subnet *sn, struct dome_error *err)
{
	if (dome_subnet_parse(ctx->cfg.subnet, sn, err) < 0) {
		dome_error_prefix(err, "the configured [network] subnet");
		return -1;
	}
	return 0;
}

int dome_net_lease_of(struct dome_ctx *ctx, int64_t container_id, uint32_t *addr,
		      struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASE_OF, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, container_id);
	int rc = sqlite3_step(s);
	*addr = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the container's address lease");
	return 0;
}

/* Name of the container holding `addr` into `holder` ("" when free). */
static int lease_holder(struct dome_ctx *ctx, uint32_t addr, char *holder, size_t len,
			struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASE_HOLDER, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, addr);
	int rc = sqlite3_step(s);
	holder[0] = '\0';
	if (rc == SQLITE_ROW)
		strlcpy(holder, (const char *)sqlite3_column_text(s, 0), len);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the address leases");
	return 0;
}

/* The container's static address, checked against the subnet and the leases. */
static int check_static(struct dome_ctx *ctx, const struct dome_container *c,
			const struct dome_subnet *sn, uint32_t *addr, struct dome_error *err)
{
	char cidr[20], a[16];
	dome_subnet_format(sn, cidr);
	if (dome_ipv4_parse(c->ipv4_static, addr, err) < 0) {
		dome_error_prefix(err, "static address of %s", c->name);
		return -1;
	}
	uint32_t mask = prefix_mask(sn->prefix);
	if ((*addr & mask) != sn->network)
		return dome_invalid(err, "static address %s of %s is outside the subnet %s; use an "
				    "address in it or change the container's ipv4",
				    c->ipv4_static, c->name, cidr);
	const char *role = *addr == sn->network ? "the network address"
			 : *addr == sn->gateway ? "the gateway (the bridge's address)"
			 : *addr == dome_subnet_broadcast(sn) ? "the broadcast address" : NULL;
	if (role) {
		char first[16], last[16];
		dome_ipv4_format(sn->first, first);
		dome_ipv4_format(sn->last, last);
		return dome_invalid(err, "static address %s of %s is %s of %s; containers can use "
				    "%s to %s", c->ipv4_static, c->name, role, cidr, first, last);
	}
	char holder[64];
	if (lease_holder(ctx, *addr, holder, sizeof holder, err) < 0)
		return -1;
	if (holder[0] && strcmp(holder, c->name) != 0) {
		dome_ipv4_format(*addr, a);
		return dome_fail(err, 0, "static address %s of %s is taken by container %s; choose "
				 "another or stop that container", a, c->name, holder);
	}
	return 0;
}

/* Lowest free leasable address: walk the sorted leases for the first gap. */
static int find_free(struct dome_ctx *ctx, const struct dome_subnet *sn, uint32_t *addr,
		     struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASES_IN_RANGE, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sn->first);
	sqlite3_bind_int64(s, 2, sn->last);
	uint64_t candidate = sn->first;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t used = (uint64_t)sqlite3_column_int64(s, 0);
		if (used > candidate)
			break;
		candidate = used + 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "reading the address leases");
	if (candidate > sn->last) {
		char cidr[20], first[16], last[16];
		dome_subnet_format(sn, cidr);
		dome_ipv4_format(sn->first, first);
		dome_ipv4_format(sn->last, last);
		return dome_fail(err, 0, "no free address in subnet %s: all %u addresses for "
				 "containers (%s to %s) are leased; stop a container or configure "
				 "a larger subnet", cidr, dome_subnet_size(sn), first, last);
	}
	*addr = (uint32_t)candidate;
	return 0;
}

static int delete_lease(struct dome_ctx *ctx, int64_t container_id, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASE_DELETE, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, container_id);
	return dome_store_exec_stmt(ctx->store, s, "releasing the address lease", err);
}

static int insert_lease(struct dome_ctx *ctx, const struct dome_container *c, uint32_t addr,
			bool is_static, struct dome_error *err)
{
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASE_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, addr);
	sqlite3_bind_int64(s, 2, c->id);
	sqlite3_bind_int(s, 3, is_static);
	sqlite3_bind_int64(s, 4, dome_now_ms());
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		/* Only reachable if someone wrote the table outside a write
		 * transaction: the unique key refuses a shared address anyway. */
		char a[16];
		dome_ipv4_format(addr, a);
		return dome_fail(err, 0, "address %s was leased by someone else meanwhile; retry", a);
	}
	return dome_store_fail(ctx->store, err, "storing the address lease");
}

/* A lease the container already holds is kept when it still fits: inside
 * the subnet's leasable range and equal to the static address if one is set. */
static bool lease_still_fits(uint32_t held, const struct dome_subnet *sn, bool is_static,
			     uint32_t wanted)
{
	if (held == 0 || held < sn->first || held > sn->last)
		return false;
	return !is_static || held == wanted;
}

static int lease_locked(struct dome_ctx *ctx, const struct dome_container *c,
			const struct dome_subnet *sn, uint32_t *addr, struct dome_error *err)
{
	bool is_static = c->ipv4_static[0] != '\0';
	uint32_t wanted = 0, held;
	if (is_static && check_static(ctx, c, sn, &wanted, err) < 0)
		return -1;
	if (dome_net_lease_of(ctx, c->id, &held, err) < 0)
		return -1;
	if (lease_still_fits(held, sn, is_static, wanted)) {
		*addr = held;
		return 0;
	}
	if (held != 0 && delete_lease(ctx, c->id, err) < 0)
		return -1;
	if (!is_static && find_free(ctx, sn, &wanted, err) < 0)
		return -1;
	if (insert_lease(ctx, c, wanted, is_static, err) < 0)
		return -1;
	*addr = wanted;
	return 0;
}

int dome_net_lease(struct dome_ctx *ctx, const struct dome_container *c, uint32_t *addr,
		   struct dome_error *err)
{
	struct dome_subnet sn;
	if (load_subnet(ctx, &sn, err) < 0)
		return -1;
	/* Read-then-insert must be one write transaction: BEGIN IMMEDIATE takes
	 * the write lock first, so a second dome leasing at the same moment
	 * waits and then sees this lease. Inside a caller's transaction the
	 * caller already holds that lock. */
	bool own_txn = sqlite3_get_autocommit(dome_store_db(ctx->store)) != 0;
	if (own_txn && dome_store_begin(ctx->store, err) < 0)
		return -1;
	if (lease_locked(ctx, c, &sn, addr, err) < 0) {
		if (own_txn)
			dome_store_rollback(ctx->store);
		dome_error_prefix(err, "leasing an address for %s", c->name);
		return -1;
	}
	if (own_txn && dome_store_commit(ctx->store, err) < 0)
		return -1;
	return 0;
}

int dome_net_release(struct dome_ctx *ctx, int64_t container_id, struct dome_error *err)
{
	return delete_lease(ctx, container_id, err);
}

int dome_net_leases(struct dome_ctx *ctx, struct dome_lease **out, size_t *n,
		    struct dome_error *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = dome_store_stmt(ctx->store, SQL_LEASE_LIST, err);
	if (!s)
		return -1;
	__cleanup_free struct dome_lease *list = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			struct dome_lease *grown = reallocarray(list, cap, sizeof *list);
			if (!grown) {
				sqlite3_reset(s);
				return dome_fail(err, ENOMEM, "listing the address leases");
			}
			list = grown;
		}
		struct dome_lease *l = &list[count++];
		memset(l, 0, sizeof *l);
		l->address = (uint32_t)sqlite3_column_int64(s, 0);
		l->container_id = sqlite3_column_int64(s, 1);
		strlcpy(l->container, (const char *)sqlite3_column_text(s, 2), sizeof l->container);
		l->is_static = sqlite3_column_int(s, 3) != 0;
		l->leased_at = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dome_store_fail(ctx->store, err, "listing the address leases");
	*out = move_ptr(list);
	*n = count;
	return 0;
}
