#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int cli_fail(const struct dome_error *err)
{
	fprintf(stderr, "dome: %s\n", err->msg[0] ? err->msg : "failed");
	return err->status == DOME_E_USAGE ? EXIT_USAGE : EXIT_FAILED;
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	fputs("dome: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
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
