/* `dome net`: the bridge, the subnet and the addresses in use. */
#include "cli.h"
#include "cleanup.h"
#include "nat.h"
#include "net.h"
#include "settings.h"

#include <stdio.h>
#include <string.h>

static int on_net_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt == 'j') {
		*(bool *)data = true;
		return 0;
	}
	return EXIT_USAGE;
}

/* Whether dome's NAT table is in the kernel: "yes", "no", or why it
 * cannot be told (libnftables missing, ...): `dome net` still shows the
 * rest. */
struct nat_state {
	int present; /* 1, 0, or -1 unknown */
	char table[32];
	char why[256];
};

static void read_nat_state(const struct dome_config *cfg, struct nat_state *ns)
{
	struct dome_error err;
	bool present;
	dome_nat_table(cfg->bridge, ns->table);
	ns->present = dome_nat_present(cfg->bridge, &present, &err) < 0 ? -1 : present;
	strlcpy(ns->why, ns->present < 0 ? err.msg : "", sizeof ns->why);
}

static json_t *nat_json(const struct dome_config *cfg, const struct nat_state *ns)
{
	return json_pack("{s:b, s:s, s:o, s:s?}", "enabled", cfg->nat, "table", ns->table,
			 "rule_in_kernel", ns->present < 0 ? json_null() : json_boolean(ns->present),
			 "error", ns->present < 0 ? ns->why : NULL);
}

static void print_nat(const struct dome_config *cfg, const struct dome_subnet *sn,
		      const struct nat_state *ns)
{
	char cidr[20];
	dome_subnet_format(sn, cidr);
	if (ns->present < 0)
		printf("NAT:       %s (cannot tell whether its rule is in the kernel: %s)\n",
		       cfg->nat ? "on" : "off", ns->why);
	else if (cfg->nat && ns->present)
		printf("NAT:       on: %s leaves the host masqueraded (nftables table ip %s)\n",
		       cidr, ns->table);
	else if (cfg->nat)
		printf("NAT:       on, but table ip %s is not in the kernel now (a firewall reload?): "
		       "it comes back at the next bridged start or `dome net nat=yes`\n", ns->table);
	else if (ns->present)
		printf("NAT:       off, but table ip %s is still in the kernel: `dome net nat=no` "
		       "removes it\n", ns->table);
	else
		printf("NAT:       off (containers reach only the host and each other)\n");
}

static json_t *net_json(const struct dome_config *cfg, const struct dome_subnet *sn,
			const struct dome_bridge_status *bs, const struct dome_lease *leases,
			size_t n, const struct nat_state *ns)
{
	char cidr[20], gw[16], first[16], last[16];
	dome_subnet_format(sn, cidr);
	dome_ipv4_format(sn->gateway, gw);
	dome_ipv4_format(sn->first, first);
	dome_ipv4_format(sn->last, last);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char a[16];
		dome_ipv4_format(leases[i].address, a);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:I}", "address", a,
						     "container", leases[i].container, "static",
						     leases[i].is_static, "leased_at",
						     (json_int_t)leases[i].leased_at));
	}
	return json_pack("{s:s, s:{s:b, s:b, s:b, s:s}, s:s, s:s, s:s, s:s, s:I, s:o, s:o}",
			 "bridge", cfg->bridge, "bridge_status", "present", bs->present, "up",
			 bs->up, "is_bridge", bs->is_bridge, "addresses", bs->addresses,
			 "subnet", cidr, "gateway", gw, "first", first, "last", last,
			 "addresses_total", (json_int_t)dome_subnet_size(sn), "nat",
			 nat_json(cfg, ns), "leases", arr);
}

static void print_bridge(const struct dome_config *cfg, const struct dome_bridge_status *bs)
{
	if (!bs->present)
		printf("Bridge:    %s (not created yet: made when a bridged container starts)\n",
		       cfg->bridge);
	else if (!bs->is_bridge)
		printf("Bridge:    %s (an interface of another kind has this name!)\n", cfg->bridge);
	else
		printf("Bridge:    %s (%s, %s)\n", cfg->bridge, bs->up ? "up" : "down",
		       bs->addresses[0] ? bs->addresses : "no IPv4 address");
}

static void print_net(const struct dome_config *cfg, const struct dome_subnet *sn,
		      const struct dome_bridge_status *bs, const struct dome_lease *leases,
		      size_t n, const struct nat_state *ns)
{
	char cidr[20], gw[16], first[16], last[16];
	dome_subnet_format(sn, cidr);
	dome_ipv4_format(sn->gateway, gw);
	dome_ipv4_format(sn->first, first);
	dome_ipv4_format(sn->last, last);
	print_bridge(cfg, bs);
	printf("Subnet:    %s\nGateway:   %s\n", cidr, gw);
	printf("Range:     %s - %s (%u addresses, %zu leased)\n", first, last,
	       dome_subnet_size(sn), n);
	print_nat(cfg, sn, ns);
	if (n == 0) {
		printf("\nNo addresses in use.\n");
		return;
	}
	printf("\n%-15s %-20s %-7s %s\n", "ADDRESS", "CONTAINER", "KIND", "SINCE");
	for (size_t i = 0; i < n; i++) {
		char a[16], since[32];
		dome_ipv4_format(leases[i].address, a);
		cli_format_time(leases[i].leased_at, since, sizeof since);
		printf("%-15s %-20.20s %-7s %s\n", a, leases[i].container,
		       leases[i].is_static ? "static" : "leased", since);
	}
}

int verb_net(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };
	bool json = false;
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_net_opt, &json, &status))
		return status;
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	if (optind < argc) {
		/* KEY=VALUE...: change the settings, live and audited. */
		if (dome_net_configure(ctx, argv + optind, (size_t)(argc - optind), &err) < 0)
			return cli_fail(&err);
		printf("network updated: bridge %s, subnet %s, nameservers %s, NAT %s\n",
		       ctx->cfg.bridge, ctx->cfg.subnet,
		       ctx->cfg.nameservers[0] ? ctx->cfg.nameservers : "(the host's)",
		       ctx->cfg.nat ? "on" : "off");
		return EXIT_OK;
	}
	struct dome_subnet sn;
	if (dome_subnet_parse(ctx->cfg.subnet, &sn, &err) < 0)
		return cli_fail(&err);
	struct dome_bridge_status bs;
	if (dome_net_bridge_status(ctx->cfg.bridge, &bs, &err) < 0)
		return cli_fail(&err);
	__cleanup_free struct dome_lease *leases = NULL;
	size_t n;
	if (dome_net_leases(ctx, &leases, &n, &err) < 0)
		return cli_fail(&err);
	struct nat_state ns;
	read_nat_state(&ctx->cfg, &ns);
	if (json)
		return cli_print_json(net_json(&ctx->cfg, &sn, &bs, leases, n, &ns));
	print_net(&ctx->cfg, &sn, &bs, leases, n, &ns);
	return EXIT_OK;
}
