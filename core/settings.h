/* Settings changed at run time, kept in the inventory's `settings` table.
 * Precedence, lowest first: embedded defaults, dome.conf, these settings,
 * the environment (DOME_BRIDGE, ...), the command line. Changing one is an
 * audited change (action "net-set", target "network") applied live. */
#ifndef DOME_SETTINGS_H
#define DOME_SETTINGS_H

#include <jansson.h>
#include "dome.h"

/* Apply the stored settings over ctx->cfg (called by dome_open). */
int dome_settings_load(struct dome_ctx *ctx, struct dome_error *err);

/* The network settings as JSON: {bridge, subnet, nameservers}. */
json_t *dome_net_settings_json(const struct dome_config *cfg);

/* `dome net subnet=10.88.0.0/24 nameservers="1.1.1.1 9.9.9.9" bridge=br1`:
 * validated as the config file would be, all or nothing, applied live:
 * - subnet: refused while a leased address would fall outside it or the
 *   gateway would move under running containers; the bridge is readdressed;
 * - nameservers: every container's resolv.conf is rewritten (they see it at
 *   once: it is bind-mounted);
 * - bridge: refused while containers are attached to the current one. */
int dome_net_configure(struct dome_ctx *ctx, char *const *assignments, size_t n,
		       struct dome_error *err);

/* The settings dome_net_configure takes, NULL-terminated: bridge, subnet,
 * nameservers, nat. */
extern const char *const dome_net_setting_names[];

/* KEY's value now, as dome.conf spells it (nat: "yes"/"no"); NULL for a
 * key that is not a network setting. */
const char *dome_net_setting_value(const struct dome_config *cfg, const char *key);

/* Is VALUE acceptable for KEY (as dome.conf would judge it)? Changes
 * nothing: for checking as it is typed. Whether it fits what runs now is
 * only known when it is applied. */
int dome_net_check_setting(const struct dome_config *cfg, const char *key, const char *value,
			   struct dome_error *err);

/* The work of dome_net_configure inside a caller's dome_mutate (rollback). */
struct dome_change;
int dome_net_apply_settings(struct dome_ctx *ctx, struct dome_change *ch, char *const *assignments,
			    size_t n, struct dome_error *err);

#endif
