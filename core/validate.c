#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int dome_validate_name(const char *what, const char *name, struct dome_error *err)
{
	static const char rule[] =
		"use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit and not ending in '-'";
	if (name == NULL || name[0] == '\0')
		return dome_invalid(err, "%s name is empty; %s", what, rule);
	size_t len = strnlen(name, DOME_NAME_MAX + 1);
	if (len > DOME_NAME_MAX)
		return dome_invalid(err, "%s name is longer than %d characters; %s", what,
				    DOME_NAME_MAX, rule);
	if (!is_lower_alnum(name[0]))
		return dome_invalid(err, "%s name '%.63s' must start with a-z or 0-9; %s", what,
				    name, rule);
	for (size_t i = 1; i < len; i++) {
		if (!is_lower_alnum(name[i]) && name[i] != '-')
			return dome_invalid(err,
					    "%s name '%.63s' has a character that is not allowed at position %zu; %s",
					    what, name, i + 1, rule);
	}
	if (name[len - 1] == '-')
		return dome_invalid(err, "%s name '%s' ends in '-'; %s", what, name, rule);
	return 0;
}

/* Parse "D[.DDD]" into an integer scaled by 1000. Rejects anything else. */
static int parse_milli(const char *s, size_t len, uint64_t *out)
{
	uint64_t whole = 0, frac = 0;
	size_t i = 0, fdigits = 0;
	if (len == 0 || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (whole > (UINT64_MAX / 1000 - 9) / 10)
			return -1; /* overflow once scaled */
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < len) {
		if (s[i] != '.' || i + 1 == len)
			return -1;
		for (i++; i < len; i++) {
			if (!isdigit((unsigned char)s[i]) || ++fdigits > 3)
				return -1;
			frac = frac * 10 + (uint64_t)(s[i] - '0');
		}
	}
	while (fdigits++ < 3)
		frac *= 10;
	*out = whole * 1000 + frac;
	return 0;
}

static bool is_unlimited_word(const char *s)
{
	return strcmp(s, "max") == 0 || strcmp(s, "unlimited") == 0;
}

int dome_parse_size(const char *what, const char *s, bool allow_unlimited,
		    uint64_t *out, struct dome_error *err)
{
	static const char forms[] = "write a size such as 512M, 1.5G, 64K or 1048576";
	if (s == NULL || s[0] == '\0')
		return dome_invalid(err, "%s is empty; %s%s", what, forms,
				    allow_unlimited ? ", or max" : "");
	if (is_unlimited_word(s)) {
		if (!allow_unlimited)
			return dome_invalid(err, "%s cannot be unlimited here; %s", what, forms);
		*out = DOME_UNLIMITED;
		return 0;
	}
	size_t len = strlen(s);
	size_t num_len = 0;
	while (num_len < len && (isdigit((unsigned char)s[num_len]) || s[num_len] == '.'))
		num_len++;
	const char *unit = s + num_len;
	unsigned shift;
	if (*unit == '\0' || strcasecmp(unit, "B") == 0)
		shift = 0;
	else {
		static const char units[] = "KMGTPE";
		const char *u = strchr(units, toupper((unsigned char)unit[0]));
		if (u == NULL || unit[0] == '\0' ||
		    !(unit[1] == '\0' || strcasecmp(unit + 1, "B") == 0 || strcasecmp(unit + 1, "iB") == 0))
			return dome_invalid(err, "%s '%.40s' has an unknown unit; %s", what, s, forms);
		shift = 10u * (unsigned)(u - units + 1);
	}
	uint64_t milli;
	if (parse_milli(s, num_len, &milli) < 0)
		return dome_invalid(err, "%s '%.40s' is not a size; %s", what, s, forms);
	/* bytes = milli * 2^shift / 1000, computed without overflow. */
	uint64_t whole = milli / 1000, frac = milli % 1000;
	if (shift >= 64 || (whole > 0 && whole > (UINT64_MAX >> shift)))
		return dome_invalid(err, "%s '%.40s' is too large", what, s);
	uint64_t bytes = whole << shift;
	uint64_t fbytes = shift >= 54 ? (frac * ((1ULL << shift) / 1000))
				      : (frac << shift) / 1000;
	if (bytes > UINT64_MAX - 1 - fbytes)
		return dome_invalid(err, "%s '%.40s' is too large", what, s);
	if (shift == 0 && frac != 0)
		return dome_invalid(err, "%s '%.40s' is a fraction of a byte", what, s);
	*out = bytes + fbytes;
	return 0;
}

int dome_parse_cpus(const char *s, bool allow_unlimited, uint32_t *millis,
		    struct dome_error *err)
{
	static const char forms[] = "write a number of CPUs such as 1, 0.5 or 2.25";
	if (s == NULL || s[0] == '\0')
		return dome_invalid(err, "cpus is empty; %s", forms);
	if (is_unlimited_word(s)) {
		if (!allow_unlimited)
			return dome_invalid(err, "cpus cannot be unlimited here; %s", forms);
		*millis = 0;
		return 0;
	}
	uint64_t m;
	if (parse_milli(s, strlen(s), &m) < 0)
		return dome_invalid(err, "cpus '%.40s' is not a number of CPUs; %s", s, forms);
	if (m < 10 || m > (uint64_t)DOME_MAX_CPUS * 1000)
		return dome_invalid(err, "cpus '%.40s' is out of range; use 0.01 to %d", s,
				    DOME_MAX_CPUS);
	*millis = (uint32_t)m;
	return 0;
}

static int parse_cpu_number(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return -1; /* no leading zeros: "007" is more likely a typo */
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned)(*s++ - '0');
		if (v >= DOME_MAX_CPUS)
			return -1;
	}
	*p = s;
	*out = v;
	return 0;
}

int dome_parse_cpuset(const char *s, char *out, size_t outlen, struct dome_error *err)
{
	static const char forms[] = "write CPUs as a list of numbers and ranges such as 0, 0-1,3 or 2-5";
	if (s == NULL || s[0] == '\0')
		return dome_invalid(err, "cpuset is empty; %s", forms);
	const char *p = s;
	size_t used = 0;
	int last = -1;
	if (outlen > 0)
		out[0] = '\0';
	for (;;) {
		unsigned lo, hi;
		if (parse_cpu_number(&p, &lo) < 0)
			return dome_invalid(err, "cpuset '%.40s' is not valid (CPU numbers go up to %d); %s",
					    s, DOME_MAX_CPUS - 1, forms);
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_cpu_number(&p, &hi) < 0 || hi < lo)
				return dome_invalid(err, "cpuset '%.40s' has a bad range; %s", s, forms);
		}
		if ((int)lo <= last)
			return dome_invalid(err, "cpuset '%.40s' must list CPUs in ascending order without overlap",
					    s);
		last = (int)hi;
		int n = lo == hi ? snprintf(out + used, outlen - used, "%s%u", used ? "," : "", lo)
				 : snprintf(out + used, outlen - used, "%s%u-%u", used ? "," : "", lo, hi);
		if (n < 0 || (size_t)n >= outlen - used)
			return dome_invalid(err, "cpuset '%.40s' is too long", s);
		used += (size_t)n;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return dome_invalid(err, "cpuset '%.40s' is not valid; %s", s, forms);
		p++;
	}
}

int dome_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max,
		    uint64_t *out, struct dome_error *err)
{
	if (s == NULL || s[0] == '\0')
		return dome_invalid(err, "%s is empty; write a whole number from %llu to %llu", what,
				    (unsigned long long)min, (unsigned long long)max);
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return dome_invalid(err, "%s '%.40s' is not a whole number; write one from %llu to %llu",
					    what, s, (unsigned long long)min, (unsigned long long)max);
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return dome_invalid(err, "%s '%.40s' is too large; the most is %llu", what, s,
					    (unsigned long long)max);
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return dome_invalid(err, "%s '%.40s' is out of range; write a whole number from %llu to %llu",
				    what, s, (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int dome_parse_bool(const char *what, const char *s, bool *out, struct dome_error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; s && i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return dome_invalid(err, "%s '%.40s' is not yes or no", what, s ? s : "");
}

int dome_validate_ifname(const char *what, const char *s, struct dome_error *err)
{
	size_t len = s ? strnlen(s, DOME_IFNAME_MAX + 1) : 0;
	if (len == 0 || len > DOME_IFNAME_MAX)
		return dome_invalid(err, "%s must be 1 to %d characters", what, DOME_IFNAME_MAX);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return dome_invalid(err, "%s '%s' is not an interface name", what, s);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'))
			return dome_invalid(err, "%s '%.15s' may only use letters, digits, '_', '-' and '.'",
					    what, s);
	}
	return 0;
}

void dome_format_size(uint64_t bytes, char *out, size_t outlen)
{
	static const char units[] = "BKMGTPE";
	if (bytes == DOME_UNLIMITED) {
		snprintf(out, outlen, "unlimited");
		return;
	}
	unsigned u = 0;
	double v = (double)bytes;
	while (v >= 1024.0 && u < sizeof units - 2) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%lluB", (unsigned long long)bytes);
	else if (v < 10.0 && v != (double)(uint64_t)v)
		snprintf(out, outlen, "%.1f%c", v, units[u]);
	else
		snprintf(out, outlen, "%.0f%c", v, units[u]);
}
