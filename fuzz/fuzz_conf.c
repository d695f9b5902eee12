/* libFuzzer target for the config file as dome reads it: the input's bytes
 * (NULs, long lines, CRs and all) are written to a file and loaded with
 * dome_config_load, and a theme file with tui_theme_parse_file (the first
 * byte picks which). Beyond not crashing, it checks the rule of
 * core/textfile.h: a file that loads has no NUL byte and no line longer
 * than DOME_INI_LINE_MAX. Built and run by fuzz/run. */
#include "conf.h"
#include "theme.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when every line of the input is whole for libinih and has no NUL. */
static int within_rule(const uint8_t *p, size_t n)
{
	if (memchr(p, '\0', n))
		return 0;
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			line = 0;
			continue;
		}
		/* a CR before the newline is not counted */
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n'))
			continue;
		if (++line > DOME_INI_LINE_MAX)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > DOME_CONFIG_FILE_MAX)
		return 0;
	const char *scratch = getenv("DOME_FUZZ_SCRATCH");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/fuzz.conf", scratch ? scratch : "/tmp");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(fd);
	struct dome_error err;
	int rc;
	if (data[0] & 1) {
		struct dome_config cfg;
		dome_config_defaults(&cfg);
		rc = dome_config_load(&cfg, path, true, &err);
	} else {
		struct tui_theme theme;
		memset(&theme, 0, sizeof theme);
		rc = tui_theme_parse_file(&theme, path, &err);
	}
	if (rc == 0 && !within_rule(data + 1, size - 1))
		abort(); /* a NUL or a cut line got through to the parser */
	return 0;
}
