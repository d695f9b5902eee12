#include "nat.h"
#include "cleanup.h"
#include "dynlib.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- libnftables, opened on first use ----
 *
 * Loaded through core/dynlib.h when NAT is first touched.
 * Linking it would cost every dome process ~1 ms at exec for libnftables,
 * libnftnl, libmnl, libxtables and libgmp. Its soname has been
 * libnftables.so.1 since the library first shipped (nftables 0.9.0, 2018). */
#define NFTABLES_SONAME "libnftables.so.1"

#define NFT_FUNCS(X) \
	X(nft_ctx_new) \
	X(nft_ctx_free) \
	X(nft_ctx_set_dry_run) \
	X(nft_ctx_output_set_flags) \
	X(nft_ctx_buffer_output) \
	X(nft_ctx_buffer_error) \
	X(nft_ctx_get_output_buffer) \
	X(nft_ctx_get_error_buffer) \
	X(nft_run_cmd_from_buffer)

static struct {
#define X(f) __typeof__(f) *f;
	NFT_FUNCS(X)
#undef X
} nft;
static struct dome_dynlib nft_lib = DOME_DYNLIB_INIT(NFTABLES_SONAME);

static int nft_ready(struct dome_error *err)
{
#define X(f) { #f, (void **)&nft.f },
	static const struct dome_dynsym syms[] = { NFT_FUNCS(X) };
#undef X
	if (dome_dynlib_load(&nft_lib, syms, DOME_ARRAY_SIZE(syms)) < 0) {
		dome_fail(err, ENOENT, "outbound NAT needs libnftables: %s", nft_lib.error);
		dome_error_hint(err, "install the Debian package libnftables1, or set nat = no");
		return -1;
	}
	return 0;
}

/* ---- the rules ---- */

void dome_nat_table(const char *bridge, char out[32])
{
	snprintf(out, 32, "dome-%.15s", bridge);
}

static json_t *table_obj(const char *table)
{
	return json_pack("{s:{s:s, s:s}}", "table", "family", "ip", "name", table);
}

static json_t *masquerade_rule(const char *table, const char *bridge,
			       const struct dome_subnet *sn)
{
	char net[16];
	dome_ipv4_format(sn->network, net);
	json_t *from_subnet = json_pack(
		"{s:{s:s, s:{s:{s:s, s:s}}, s:{s:{s:s, s:I}}}}", "match", "op", "==", "left",
		"payload", "protocol", "ip", "field", "saddr", "right", "prefix", "addr", net,
		"len", (json_int_t)sn->prefix);
	json_t *not_to_bridge = json_pack("{s:{s:s, s:{s:{s:s}}, s:s}}", "match", "op", "!=",
					  "left", "meta", "key", "oifname", "right", bridge);
	return json_pack("{s:{s:s, s:s, s:s, s:[o, o, {s:n}]}}", "rule", "family", "ip",
			 "table", table, "chain", "postrouting", "expr", from_subnet,
			 not_to_bridge, "masquerade");
}

json_t *dome_nat_ruleset(const char *bridge, const struct dome_subnet *sn)
{
	char table[32];
	dome_nat_table(bridge, table);
	/* add (creates it if missing) then flush: the batch replaces whatever
	 * dome's table held, in one transaction. */
	json_t *chain = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s}}", "chain", "family",
				  "ip", "table", table, "name", "postrouting", "type", "nat",
				  "hook", "postrouting", "prio", 100, "policy", "accept");
	return json_pack("{s:[{s:o}, {s:o}, {s:o}, {s:o}]}", "nftables", "add", table_obj(table),
			 "flush", table_obj(table), "add", chain, "add",
			 masquerade_rule(table, bridge, sn));
}

/* ---- running a batch ---- */

static void nft_ctx_freep(struct nft_ctx **ctx)
{
	if (*ctx)
		nft.nft_ctx_free(*ctx);
}

/* Run BATCH (JSON); with `check`, the kernel only validates it. The
 * output, when wanted, is copied to *out (malloc'd). */
static int nft_run(json_t *batch, bool check, char **out, const char *what,
		   struct dome_error *err)
{
	__cleanup_free char *text = batch ? json_dumps(batch, JSON_COMPACT) : NULL;
	json_decref(batch);
	if (!text)
		return dome_fail(err, ENOMEM, "%s", what);
	if (nft_ready(err) < 0)
		return -1;
	__attribute__((cleanup(nft_ctx_freep))) struct nft_ctx *ctx =
		nft.nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return dome_fail(err, ENOMEM, "%s: cannot make an nftables context", what);
	/* JSON output also makes libnftables read its input as JSON. */
	nft.nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft.nft_ctx_set_dry_run(ctx, check);
	if (nft.nft_ctx_buffer_output(ctx) < 0 || nft.nft_ctx_buffer_error(ctx) < 0)
		return dome_fail(err, ENOMEM, "%s", what);
	if (nft.nft_run_cmd_from_buffer(ctx, text) != 0) {
		const char *msg = nft.nft_ctx_get_error_buffer(ctx);
		size_t len = msg ? strcspn(msg, "\n") : 0;
		return dome_fail(err, 0, "%s: nftables refused: %.*s", what, (int)len,
				 len ? msg : "no reason given");
	}
	if (out && !(*out = strdup(nft.nft_ctx_get_output_buffer(ctx))))
		return dome_fail(err, ENOMEM, "%s", what);
	return 0;
}

static int enable_forwarding(struct dome_error *err)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";
	__cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		return dome_fail(err, errno, "turning on IPv4 forwarding (%s) for outbound NAT", path);
	return 0;
}

int dome_nat_apply(const char *bridge, const struct dome_subnet *sn, struct dome_error *err)
{
	char what[96];
	snprintf(what, sizeof what, "installing the outbound NAT rule for %s", bridge);
	if (nft_run(dome_nat_ruleset(bridge, sn), false, NULL, what, err) < 0)
		return -1;
	return enable_forwarding(err);
}

int dome_nat_check(const char *bridge, const struct dome_subnet *sn, struct dome_error *err)
{
	return nft_run(dome_nat_ruleset(bridge, sn), true, NULL,
		       "checking the outbound NAT rule", err);
}

int dome_nat_remove(const char *bridge, struct dome_error *err)
{
	char table[32], what[96];
	dome_nat_table(bridge, table);
	snprintf(what, sizeof what, "removing the outbound NAT table %s", table);
	/* add-then-delete: one transaction that succeeds whether the table
	 * was there or not. */
	json_t *batch = json_pack("{s:[{s:o}, {s:o}]}", "nftables", "add", table_obj(table),
				  "delete", table_obj(table));
	return nft_run(batch, false, NULL, what, err);
}

int dome_nat_present(const char *bridge, bool *present, struct dome_error *err)
{
	char table[32];
	dome_nat_table(bridge, table);
	json_t *list = json_pack("{s:[{s:{s:{s:s}}}]}", "nftables", "list", "tables", "family",
				 "ip");
	__cleanup_free char *out = NULL;
	if (nft_run(list, false, &out, "listing the nftables tables", err) < 0)
		return -1;
	json_t *doc = json_loads(out, 0, NULL);
	json_t *items = json_object_get(doc, "nftables");
	size_t i;
	json_t *item;
	*present = false;
	json_array_foreach(items, i, item) {
		const char *name = json_string_value(
			json_object_get(json_object_get(item, "table"), "name"));
		if (name && strcmp(name, table) == 0)
			*present = true;
	}
	json_decref(doc);
	return 0;
}
