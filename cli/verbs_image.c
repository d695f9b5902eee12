/* Image verbs: image import|export|set|debian (ls and rm are in
 * verbs_container.c and reached through here), and commit. */
#include "cli.h"
#include "image.h"
#include "image_io.h"

#include <stdio.h>
#include <string.h>

static struct dome_ctx *open_ctx(struct cli *cli, int *status)
{
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		*status = cli_fail(&err);
	return ctx;
}

static int done(int rc, const struct dome_error *err, const char *fmt, const char *a, const char *b)
{
	if (rc < 0)
		return cli_fail(err);
	printf(fmt, a, b);
	putchar('\n');
	return EXIT_OK;
}

/* Say what an import or commit left out (core/tarball.h), after its line. */
static int done_import(int rc, const struct dome_error *err, const struct dome_import_notes *notes,
		       const char *fmt, const char *a, const char *b)
{
	rc = done(rc, err, fmt, a, b);
	if (rc == EXIT_OK && notes->dropped_devices)
		printf("left out %zu device node%s: a node in an image could open a host device, "
		       "and a container gets its own /dev\n", notes->dropped_devices,
		       notes->dropped_devices == 1 ? "" : "s");
	return rc;
}

static const char image_usage[] =
	"Usage: dome image ls [--json]\n"
	"       dome image rm NAME\n"
	"       dome image import NAME FILE.tar[.gz|.xz|.zst]\n"
	"       dome image export NAME FILE.tar[.gz|.xz|.zst]\n"
	"       dome image set NAME init=PATH stop_signal=SIG shell=PATH arch=ARCH\n"
	"       dome image debian NAME [--suite SUITE] [--variant minbase|buildd]\n"
	"                               [--include PKG,PKG...]\n"
	"import refuses archives with absolute paths, '..', links that leave the image,\n"
	"or members written through symlinks, and leaves nothing behind when it does.\n"
	"debian runs debootstrap against [image] debian_mirror and needs network access\n"
	"to that mirror; its image has systemd as init (and iproute2) and boots as a\n"
	"system container.\n";

struct debian_progress {
	struct dome_ctx *ctx;
	const struct dome_debian_opts *o;
	bool announced;
};

static void debian_progress(const char *line, void *data)
{
	struct debian_progress *p = data;
	if (!p->announced) /* once debootstrap runs: the arguments were good */
		fprintf(stderr, "dome: running debootstrap for Debian %s (%s) from %s (this takes "
			"minutes)\n", p->o->suite, p->o->variant, p->ctx->cfg.debian_mirror);
	p->announced = true;
	/* debootstrap's phases ("I: Retrieving ...", "I: Configuring ...") and
	 * its warnings and errors; the rest is in the build's log. */
	if (line[0] && line[1] == ':' && strchr("IWE", line[0]))
		fprintf(stderr, "dome: debootstrap: %s\n", line + (line[2] == ' ' ? 3 : 2));
}

/* --opt VALUE or --opt=VALUE; true (and *i moved past the value) when argv[*i] is it. */
static bool opt_value(int argc, char **argv, int *i, const char *opt, const char **out)
{
	size_t n = strlen(opt);
	if (strcmp(argv[*i], opt) == 0 && *i + 1 < argc) {
		*out = argv[++*i];
		return true;
	}
	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return true;
	}
	return false;
}

static int image_debian(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	struct dome_debian_opts o = { .suite = "bookworm", .variant = "minbase",
				      .progress = debian_progress };
	for (int i = 2; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--suite", &o.suite) ||
		    opt_value(argc, argv, &i, "--variant", &o.variant) ||
		    opt_value(argc, argv, &i, "--include", &o.include))
			continue;
		if (argv[i][0] == '-')
			return cli_usage(cli, "unknown option '%s' for image debian", argv[i]);
		if (name)
			return cli_usage(cli, "image debian takes one image name");
		name = argv[i];
	}
	if (!name)
		return cli_usage(cli, "image debian needs an image name");
	int status;
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	struct debian_progress p = { ctx, &o, false };
	o.progress_data = &p;
	return done(dome_image_debian(ctx, name, &o, &err), &err, "built image %s (Debian %s)",
		    name, o.suite);
}

int verb_image_all(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(image_usage, stdout);
		return EXIT_OK;
	}
	const char *sub = argc >= 2 ? argv[1] : "";
	int status;
	struct dome_error err;
	if (strcmp(sub, "import") == 0 || strcmp(sub, "export") == 0) {
		if (argc != 4)
			return cli_usage(cli, "image %s takes an image name and a file", sub);
		struct dome_ctx *ctx = open_ctx(cli, &status);
		if (!ctx)
			return status;
		struct dome_import_notes notes = { 0 };
		if (sub[0] == 'i')
			return done_import(dome_image_import(ctx, argv[2], argv[3], &notes, &err), &err,
					   &notes, "imported image %s from %s", argv[2], argv[3]);
		return done(dome_image_export(ctx, argv[2], argv[3], &err), &err,
			    "exported image %s to %s", argv[2], argv[3]);
	}
	if (strcmp(sub, "set") == 0) {
		if (argc < 4)
			return cli_usage(cli, "image set takes an image name and KEY=VALUE...");
		struct dome_ctx *ctx = open_ctx(cli, &status);
		if (!ctx)
			return status;
		return done(dome_image_set(ctx, argv[2], argv + 3, (size_t)(argc - 3), &err), &err,
			    "updated image %s%s", argv[2], "");
	}
	if (strcmp(sub, "debian") == 0)
		return image_debian(cli, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "rm") == 0)
		return verb_image(cli, argc, argv);
	if (!sub[0])
		return cli_usage(cli, "image needs ls, rm, import, export, set or debian");
	return cli_usage(cli, "unknown image command '%s' (ls, rm, import, export, set, debian)", sub);
}

int verb_commit(struct cli *cli, int argc, char **argv)
{
	int status;
	if (cli_parse(cli, argc, argv, "", NULL, NULL, NULL, &status))
		return status;
	if (optind + 2 != argc)
		return cli_usage(cli, "commit takes a container name and a new image name");
	struct dome_ctx *ctx = open_ctx(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	struct dome_import_notes notes = { 0 };
	return done_import(dome_image_commit(ctx, argv[optind], argv[optind + 1], &notes, &err), &err,
			   &notes, "committed %s as image %s", argv[optind], argv[optind + 1]);
}
