/* libFuzzer target for image import's safe extraction (core/tarball.c):
 * each input is written as an archive file and extracted into a fresh
 * directory under a scratch root; afterwards the scratch root must hold
 * nothing but that directory and the input file, whatever the archive said
 * (absolute paths, "..", links that escape, device nodes). Built and run by
 * fuzz/run, as root like dome itself. */
#include "tarball.h"
#include "fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[4096];

static void check_scratch_holds_only_ours(void)
{
	DIR *d = opendir(scratch);
	if (!d)
		abort();
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "in.tar") || !strcmp(e->d_name, "out"))
			continue;
		fprintf(stderr, "fuzz_tar: extraction escaped its directory: %s/%s\n", scratch,
			e->d_name);
		abort();
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dome_error err;
	if (!scratch[0]) {
		/* fuzz/run gives a directory it removes afterwards. */
		const char *dir = getenv("DOME_FUZZ_SCRATCH");
		if (!dir || strlen(dir) >= sizeof scratch - 16)
			abort();
		snprintf(scratch, sizeof scratch, "%s", dir);
	}
	char in[4200], out[4200];
	snprintf(in, sizeof in, "%s/in.tar", scratch);
	snprintf(out, sizeof out, "%s/out", scratch);
	if (dome_write_file(in, (const char *)data, size, 0600, &err) < 0)
		abort();
	if (mkdir(out, 0755) < 0)
		abort();
	struct dome_extract_opts opts = { .keep_overlay_xattrs = false };
	dome_archive_extract(in, out, &opts, &err);
	check_scratch_holds_only_ours();
	if (dome_rm_rf(out, &err) < 0)
		abort();
	return 0;
}
