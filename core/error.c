#include "error.h"

#include <stdio.h>
#include <string.h>

static void vset(struct dome_error *err, enum dome_status status, int errnum,
		 const char *fmt, va_list ap)
{
	err->status = status;
	err->errnum = errnum;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum > 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
}

int dome_fail(struct dome_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, DOME_E_FAILED, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int dome_invalid(struct dome_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, DOME_E_USAGE, 0, fmt, ap);
	va_end(ap);
	return -1;
}

void dome_error_prefix(struct dome_error *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* Truncation keeps the prefix and as much of the old message as fits. */
	size_t plen = strnlen(prefix, sizeof prefix);
	size_t olen = strnlen(old, sizeof old - 1);
	size_t cap = sizeof err->msg - 1;
	memcpy(err->msg, prefix, plen);
	size_t used = plen;
	if (used + 2 <= cap) {
		memcpy(err->msg + used, ": ", 2);
		used += 2;
	}
	if (olen > cap - used)
		olen = cap - used;
	memcpy(err->msg + used, old, olen);
	err->msg[used + olen] = '\0';
}

void dome_error_hint(struct dome_error *err, const char *fmt, ...)
{
	size_t len = strlen(err->msg);
	if (len + 3 >= sizeof err->msg)
		return;
	memcpy(err->msg + len, "; ", 3);
	len += 2;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof err->msg - len, fmt, ap);
	va_end(ap);
}

void dome_error_clear(struct dome_error *err)
{
	err->status = DOME_OK;
	err->errnum = 0;
	err->msg[0] = '\0';
}
