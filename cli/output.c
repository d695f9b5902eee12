#include "cli.h"
#include "escape.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------- the escaping print boundary */

/* Everything the CLI writes to stdout and stderr goes through dome_escape
 * (core/escape.h) with lines kept: a container's log, a name or member in a
 * message, an image's init or shell, a reason, all reach the terminal with
 * their control characters shown, not acted on. A held tail (part of a
 * UTF-8 character, a CR) waits for the next write or the close. */
struct esc_stream {
	int fd;
	char held[8];
	size_t nheld;
};

static int write_fd(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int esc_put(struct esc_stream *st, const char *buf, size_t len, bool final)
{
	char in[4096 + sizeof st->held], out[4 * 4096 + 64];
	while (len > 0 || (final && st->nheld)) {
		size_t take = len < 4096 ? len : 4096;
		memcpy(in, st->held, st->nheld);
		memcpy(in + st->nheld, buf, take);
		size_t n = st->nheld + take, olen;
		size_t used = dome_escape(in, n, final && take == len, DOME_ESC_KEEP_LINES, out,
					  sizeof out, &olen);
		if (write_fd(st->fd, out, olen) < 0)
			return -1;
		st->nheld = n - used; /* at most a few bytes: out has room for all of `in` */
		memcpy(st->held, in + used, st->nheld);
		buf += take;
		len -= take;
		if (final && len == 0 && st->nheld == 0)
			break;
	}
	return 0;
}

static ssize_t esc_write(void *cookie, const char *buf, size_t len)
{
	return esc_put(cookie, buf, len, false) < 0 ? -1 : (ssize_t)len;
}

static int esc_close(void *cookie)
{
	return esc_put(cookie, "", 0, true);
}

static FILE *esc_open(FILE *orig, struct esc_stream *st, int mode)
{
	fflush(orig);
	st->fd = fileno(orig);
	cookie_io_functions_t io = { .write = esc_write, .close = esc_close };
	FILE *f = fopencookie(st, "w", io);
	if (!f)
		return orig;
	setvbuf(f, NULL, mode, BUFSIZ);
	return f;
}

void cli_escape_output(void)
{
	static struct esc_stream out_st, err_st;
	stdout = esc_open(stdout, &out_st, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
	stderr = esc_open(stderr, &err_st, _IONBF);
}

const char *cli_esc(const char *s)
{
	static char ring[4][1024];
	static unsigned next;
	char *buf = ring[next++ % 4];
	return dome_escape_str(s ? s : "", buf, sizeof ring[0]);
}

int cli_fail(const struct dome_error *err)
{
	/* Escaped in full, newlines too: a quoted name cannot forge a line. */
	char shown[4 * sizeof err->msg];
	fprintf(stderr, "dome: %s\n",
		err->msg[0] ? dome_escape_str(err->msg, shown, sizeof shown) : "failed");
	return err->status == DOME_E_USAGE ? EXIT_USAGE : EXIT_FAILED;
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	char msg[1024], shown[4 * sizeof msg];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "dome: %s", dome_escape_str(msg, shown, sizeof shown));
	if (cli->verb)
		fprintf(stderr, "\nTry 'dome %s --help' for more information.\n", cli->verb->name);
	else
		fputs("\nTry 'dome --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

int cli_print_json(json_t *j)
{
	if (!j) {
		fputs("dome: out of memory building JSON\n", stderr);
		return EXIT_FAILED;
	}
	/* ASCII only: a C1 control in a string is \u0080..\u009f, valid JSON
	 * that the escaping stream leaves alone. */
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	json_decref(j);
	fputc('\n', stdout);
	return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

void cli_format_time(int64_t ms, char *out, size_t len)
{
	if (ms == 0) {
		snprintf(out, len, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

void cli_format_duration(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, len, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}
