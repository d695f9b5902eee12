/* Validation and parsing of every name and value that crosses the core
 * boundary. Each parser is strict: it accepts exactly the documented forms and
 * rejects everything else with a message that shows the accepted forms. */
#ifndef DOME_VALIDATE_H
#define DOME_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "error.h"

/* "unlimited"/"max" for any limit that can be unset. */
#define DOME_UNLIMITED UINT64_MAX

#define DOME_NAME_MAX 63    /* hostname label limit */
#define DOME_IFNAME_MAX 15  /* IFNAMSIZ - 1 */
#define DOME_MAX_CPUS 1024  /* cpuset and cpus upper bound */

/* Container and image names: [a-z0-9][a-z0-9-]{0,62}, not ending in '-'
 * (the name becomes a hostname, a directory and part of an interface name). */
int dome_validate_name(const char *what, const char *name, struct dome_error *err);


/* Sizes: "512M", "1.5G", "1024", "64k", "2GiB", "max", "unlimited".
 * Units are binary (K = 1024). Decimals up to 3 places. No sign, no hex, no
 * exponent, no spaces. "max"/"unlimited" give DOME_UNLIMITED when allowed. */
int dome_parse_size(const char *what, const char *s, bool allow_unlimited,
		    uint64_t *out, struct dome_error *err);

/* CPU counts: "1", "1.5", "0.25" (up to 3 decimals) -> milli-CPUs, 10..1024000.
 * "max"/"unlimited" -> 0 (no quota) when allowed. */
int dome_parse_cpus(const char *s, bool allow_unlimited, uint32_t *millis,
		    struct dome_error *err);

/* cpusets: "0", "0-1,3", "0-3,8-11". Ranges ascending, no overlap, each CPU
 * below DOME_MAX_CPUS. Normalized form (same syntax, canonical) into `out`. */
int dome_parse_cpuset(const char *s, char *out, size_t outlen, struct dome_error *err);

/* Plain decimal integer in [min, max]; digits only (no sign, no spaces). */
int dome_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max,
		    uint64_t *out, struct dome_error *err);

/* Booleans as config and set accept them: yes/no, true/false, on/off, 1/0. */
int dome_parse_bool(const char *what, const char *s, bool *out, struct dome_error *err);

/* Interface names for bridges: [a-zA-Z0-9_.-]{1,15}, not "." or "..". */
int dome_validate_ifname(const char *what, const char *s, struct dome_error *err);

/* Render a byte count for humans: "512M", "1.5G", "unlimited". */
void dome_format_size(uint64_t bytes, char *out, size_t outlen);

#endif
