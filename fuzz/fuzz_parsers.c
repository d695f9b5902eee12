/* libFuzzer target for the value parsers of core/validate.h, the config
 * parser and the console's theme files. The first byte
 * picks the parser (so one corpus covers them all); the rest is the input,
 * as a NUL-terminated string. Built and run by fuzz/run. */
#include "validate.h"
#include "conf.h"
#include "theme.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	struct dome_error err;
	uint64_t u;
	uint32_t m;
	bool b;
	char out[256], ifn[16];
	switch (data[0] % 9) {
	case 0: dome_parse_size("size", s, true, &u, &err); break;
	case 1: dome_parse_cpuset(s, out, sizeof out, &err); break;
	case 2:
		dome_validate_name("name", s, &err);
		break;
	case 3: dome_parse_cpus(s, true, &m, &err); break;
	case 4: dome_parse_uint("n", s, 1, 4194304, &u, &err); break;
	case 5: dome_parse_bool("b", s, &b, &err); break;
	case 6: dome_validate_ifname("bridge", s, &err); break;
	case 7: {
		struct dome_config cfg;
		dome_config_defaults(&cfg);
		dome_config_parse_string(&cfg, s, "fuzz", &err);
		break;
	}
	case 8: {
		struct tui_theme theme;
		tui_theme_parse_string(&theme, s, "fuzz", &err);
		break;
	}
	}
	free(s);
	return 0;
}
