/* Test fixture: put a container row straight into a state root's inventory
 * (no engine involved), so console tests can show a table of known rows.
 *   inv-add ROOT NAME [STATE [AUTOSTART [MEMORY]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dome.h"
#include "inventory.h"
#include "validate.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: inv-add ROOT NAME [STATE [AUTOSTART [MEMORY]]]\n");
		return 2;
	}
	struct dome_error err = { 0 };
	struct dome_open_opts o = { .root = argv[1] };
	setenv("DOME_CONFIG", "/dev/null", 1);
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx) {
		fprintf(stderr, "inv-add: %s\n", err.msg);
		return 1;
	}
	struct dome_container c;
	memset(&c, 0, sizeof c);
	dome_limits_init(&c.limits);
	strlcpy(c.name, argv[2], sizeof c.name);
	strlcpy(c.image, "busybox", sizeof c.image);
	strlcpy(c.state, argc > 3 ? argv[3] : "stopped", sizeof c.state);
	strlcpy(c.net_mode, "none", sizeof c.net_mode);
	c.autostart = argc > 4 && strcmp(argv[4], "yes") == 0;
	if (argc > 5 && dome_parse_size("memory", argv[5], true, &c.limits.memory, &err) < 0) {
		fprintf(stderr, "inv-add: %s\n", err.msg);
		return 2;
	}
	c.created_at = 1700000000000;
	/* the inventory refers to an image: a row for one (no files) will do */
	struct dome_image img;
	int found = dome_image_find(ctx->store, c.image, &img, &err);
	if (found == 0) {
		memset(&img, 0, sizeof img);
		strlcpy(img.name, c.image, sizeof img.name);
		snprintf(img.path, sizeof img.path, "%s/images/%s", argv[1], c.image);
		strlcpy(img.init_cmd, "/bin/sh", sizeof img.init_cmd);
		strlcpy(img.shell, "/bin/sh", sizeof img.shell);
		strlcpy(img.arch, "x86_64", sizeof img.arch);
		img.stop_signal = 15;
		found = dome_image_insert(ctx->store, &img, &err) < 0 ? -1 : 1;
	}
	if (found < 0) {
		fprintf(stderr, "inv-add: %s\n", err.msg);
		dome_close(ctx);
		return 1;
	}
	int rc = dome_inv_insert(ctx->store, &c, &err);
	if (rc < 0)
		fprintf(stderr, "inv-add: %s\n", err.msg);
	dome_close(ctx);
	return rc < 0 ? 1 : 0;
}
