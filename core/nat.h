/* Outbound NAT for the bridge's subnet, through nftables (libnftables).
 *
 * With `nat = yes` ([network] in dome.conf, or `dome net nat=yes`) dome owns
 * one table, `ip dome-BRIDGE`, holding one rule:
 *
 *   table ip dome-dome0 {
 *     chain postrouting {
 *       type nat hook postrouting priority srcnat; policy accept;
 *       ip saddr 10.0.3.0/24 oifname != "dome0" masquerade
 *     }
 *   }
 *
 * i.e. container traffic leaving the host by any other interface takes the
 * host's address; traffic between containers on the bridge keeps theirs.
 * The table is replaced as one transaction (add, flush, fill), so a subnet
 * change never leaves a moment without the rule or with two. Turning NAT on
 * also sets net.ipv4.ip_forward = 1 (without it nothing is routed); turning
 * it off removes the table and leaves ip_forward alone, as other software
 * may rely on it. A host firewall that drops forwarded packets must still
 * allow the bridge: an accept in dome's table cannot override a drop in
 * another (nftables runs every table's chains).
 *
 * The rules are handed to libnftables as JSON built with jansson (never a
 * command string with names pasted in). libnftables and the five libraries
 * it pulls in are opened on first use (dlopen): every other verb starts
 * without paying for them. */
#ifndef DOME_NAT_H
#define DOME_NAT_H

#include <stdbool.h>
#include <jansson.h>
#include "error.h"
#include "net.h"

/* The nftables table dome uses for BRIDGE: "dome-BRIDGE". */
void dome_nat_table(const char *bridge, char out[32]);

/* The JSON batch that installs (or replaces) the masquerade rule. */
json_t *dome_nat_ruleset(const char *bridge, const struct dome_subnet *sn);

/* Install or replace the rule and turn on IPv4 forwarding. */
int dome_nat_apply(const char *bridge, const struct dome_subnet *sn, struct dome_error *err);

/* Remove dome's table for BRIDGE; no table is not an error. */
int dome_nat_remove(const char *bridge, struct dome_error *err);

/* Have the kernel validate the batch for BRIDGE and SN without applying
 * anything (nftables' check mode: the batch is sent, checked, aborted). */
int dome_nat_check(const char *bridge, const struct dome_subnet *sn, struct dome_error *err);

/* Is dome's table for BRIDGE in the kernel now? */
int dome_nat_present(const char *bridge, bool *present, struct dome_error *err);

#endif
