/* dome — one error type, passed down and returned (crun style).
 *
 * Every core function that can fail takes a `struct dome_error *err` as its
 * last argument, returns -1 (or NULL) on failure and fills `err` with a
 * message that says what failed, why, and — where there is one — what to do.
 * Core never prints and never exits: the caller decides what to show. */
#ifndef DOME_ERROR_H
#define DOME_ERROR_H

#include <stdarg.h>

/* The kind of failure, which is also the CLI's exit status. */
enum dome_status {
	DOME_OK = 0,
	DOME_E_FAILED = 1, /* an operation was tried and did not work */
	DOME_E_USAGE = 2,  /* the request itself was bad: nothing was tried */
};

struct dome_error {
	enum dome_status status;
	int errnum;        /* errno behind the failure, 0 if none */
	char msg[1024];
};

/* Fill `err` as a failed operation; errnum > 0 appends strerror(errnum).
 * Always returns -1 so callers can `return dome_fail(...)`. */
int dome_fail(struct dome_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill `err` as bad input (exit status 2). Returns -1. */
int dome_invalid(struct dome_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Put context in front of an existing message: "starting web: <old>". */
void dome_error_prefix(struct dome_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append advice after the message: "<old>; <hint>". */
void dome_error_hint(struct dome_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void dome_error_clear(struct dome_error *err);

#endif
