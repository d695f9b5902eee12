#include "image.h"
#include "textfile.h"
#include "audit.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef DOME_BUSYBOX
#define DOME_BUSYBOX "/bin/busybox"
#endif

static uint64_t tree_bytes;
static int add_size(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)p; (void)f;
	if (flag == FTW_F && S_ISREG(sb->st_mode))
		tree_bytes += (uint64_t)sb->st_size;
	return 0;
}

uint64_t dome_tree_size(const char *path)
{
	tree_bytes = 0;
	nftw(path, add_size, 32, FTW_PHYS | FTW_MOUNT);
	return tree_bytes;
}

/* The files of the busybox image's /etc. The init runs until stopped: busybox
 * init with no respawn entries just reaps; SIGUSR2 (poweroff) runs the
 * shutdown entries, signals everything, and exits. */
static const struct {
	const char *path, *text;
	mode_t mode;
} busybox_files[] = {
	{ "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0644 },
	{ "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644 },
	{ "etc/hostname", "busybox\n", 0644 },
	{ "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n", 0644 },
	{ "etc/resolv.conf", "", 0644 },
	{ "etc/inittab",
	  "::sysinit:/etc/init.d/rcS\n"
	  "::shutdown:/bin/echo dome: container stopping\n", 0644 },
	{ "etc/init.d/rcS",
	  "#!/bin/sh\n"
	  "echo \"dome: container $(hostname) up\"\n", 0755 },
	{ "etc/profile", "export PS1='\\h:\\w\\$ '\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin\n", 0644 },
};

static const char *const busybox_dirs[] = {
	"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "etc/init.d", "proc", "sys", "dev",
	"tmp", "run", "var", "var/log", "root", "home", "mnt",
};

static int link_applets(const char *dir, struct dome_error *err)
{
	char *argv[] = { (char *)DOME_BUSYBOX, (char *)"--list-full", NULL };
	__cleanup_free char *list = NULL;
	int status;
	if (dome_run_capture(argv, &list, NULL, &status, err) < 0)
		return -1;
	if (status != 0)
		return dome_fail(err, 0, "%s --list-full failed (status %d); is busybox-static installed?",
				 DOME_BUSYBOX, status);
	char *save = NULL;
	for (char *app = strtok_r(list, "\n", &save); app; app = strtok_r(NULL, "\n", &save)) {
		if (strstr(app, "..") || app[0] == '/')
			continue; /* never trust a path to climb out */
		char link[PATH_MAX], target[PATH_MAX];
		dome_pathf(link, sizeof link, "%s/%s", dir, app);
		/* Absolute target: resolves inside the container's root. */
		snprintf(target, sizeof target, "/bin/busybox");
		if (strcmp(app, "bin/busybox") == 0)
			continue;
		if (symlink(target, link) < 0 && errno != EEXIST)
			return dome_fail(err, errno, "cannot link applet %s", link);
	}
	return 0;
}

static int build_busybox_tree(const char *dir, struct dome_error *err)
{
	char path[PATH_MAX];
	if (dome_mkdir_p(dir, 0755, err) < 0)
		return -1;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(busybox_dirs); i++) {
		dome_pathf(path, sizeof path, "%s/%s", dir, busybox_dirs[i]);
		if (dome_mkdir_p(path, strcmp(busybox_dirs[i], "tmp") == 0 ? 01777 : 0755, err) < 0)
			return -1;
	}
	dome_pathf(path, sizeof path, "%s/tmp", dir);
	chmod(path, 01777);
	dome_pathf(path, sizeof path, "%s/bin/busybox", dir);
	if (dome_copy_file(DOME_BUSYBOX, path, err) < 0) {
		dome_error_hint(err, "install busybox-static");
		return -1;
	}
	for (size_t i = 0; i < DOME_ARRAY_SIZE(busybox_files); i++) {
		dome_pathf(path, sizeof path, "%s/%s", dir, busybox_files[i].path);
		if (dome_write_file(path, busybox_files[i].text, strlen(busybox_files[i].text),
				    busybox_files[i].mode, err) < 0)
			return -1;
		chmod(path, busybox_files[i].mode);
	}
	return link_applets(dir, err);
}

/* root's login shell, the last field of its line in ROOTFS/etc/passwd (an
 * image's file: read whole and bounded, core/textfile.h; none if refused). */
static void login_shell(const char *rootfs, char *out, size_t len)
{
	out[0] = '\0';
	/* The image's passwd, even when its etc is a link (dome_open_in_root);
	 * read whole and bounded (a FIFO or a device is refused, not read). */
	__cleanup_close int fd = dome_open_in_root(rootfs, "etc/passwd", O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return;
	__cleanup_free char *text = NULL;
	struct dome_error ignored;
	if (dome_text_read_fd(fd, "the image's /etc/passwd", 1024 * 1024, &text, NULL, &ignored) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "root:", 5) != 0)
			continue;
		char *shell = strrchr(line, ':');
		shell[strcspn(shell, "\r")] = '\0';
		if (shell[1] == '/')
			strlcpy(out, shell + 1, len);
		return;
	}
}

void dome_image_detect_init(const char *rootfs, char *init, size_t len, int *stop_signal)
{
	char path[PATH_MAX], target[PATH_MAX];
	strlcpy(init, "/sbin/init", len);
	*stop_signal = SIGTERM;
	if (dome_pathf(path, sizeof path, "%s/sbin/init", rootfs) < 0)
		return;
	/* A link, read and not followed: its target is inside the image
	 * (systemd-sysv: /lib/systemd/systemd). */
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	if (strcmp(base ? base + 1 : target, "systemd") == 0)
		*stop_signal = SIGRTMIN + 3;
}

void dome_image_describe(struct dome_image *img, const char *name, const char *path,
			 const char *rootfs, const char *init, int stop_signal)
{
	struct utsname u;
	memset(img, 0, sizeof *img);
	uname(&u);
	strlcpy(img->name, name, sizeof img->name);
	strlcpy(img->path, path, sizeof img->path);
	img->size_bytes = dome_tree_size(rootfs);
	strlcpy(img->init_cmd, init, sizeof img->init_cmd);
	img->stop_signal = stop_signal;
	login_shell(rootfs, img->shell, sizeof img->shell);
	strlcpy(img->arch, u.machine, sizeof img->arch);
	img->created_at = dome_now_ms();
}

/* Built under a temporary name and renamed into place, so a crash never
 * leaves a half image under the real name. */
static int make_busybox_image(struct dome_ctx *ctx, struct dome_error *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	if (dome_path(ctx, dir, sizeof dir, "images/%s", DOME_BUSYBOX_IMAGE) < 0 ||
	    dome_path(ctx, tmp, sizeof tmp, "images/.%s.%d", DOME_BUSYBOX_IMAGE, (int)getpid()) < 0)
		return dome_invalid(err, "state root too long");
	if (dome_rm_rf(tmp, err) < 0 || build_busybox_tree(tmp, err) < 0)
		goto fail;
	if (dome_rm_rf(dir, err) < 0)
		goto fail;
	if (rename(tmp, dir) < 0) {
		dome_fail(err, errno, "cannot move the image into %s", dir);
		goto fail;
	}
	struct dome_image img;
	/* busybox init powers off on SIGUSR2 */
	dome_image_describe(&img, DOME_BUSYBOX_IMAGE, dir, dir, "/sbin/init", SIGUSR2);
	return dome_image_insert(ctx->store, &img, err);
fail: {
	struct dome_error ignored;
	dome_rm_rf(tmp, &ignored);
	dome_error_prefix(err, "making the busybox image");
	return -1;
}
}

struct image_arg {
	const char *name;
};

static int apply_make_busybox(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			      struct dome_error *err)
{
	(void)arg;
	if (make_busybox_image(ctx, err) < 0)
		return -1;
	struct dome_image img;
	if (dome_image_find(ctx->store, DOME_BUSYBOX_IMAGE, &img, err) == 1)
		ch->after = dome_image_json(&img);
	return 0;
}

int dome_image_get(struct dome_ctx *ctx, const char *name, struct dome_image *img,
		   struct dome_error *err)
{
	if (dome_validate_name("image", name, err) < 0)
		return -1;
	int found = dome_image_find(ctx->store, name, img, err);
	if (found < 0)
		return -1;
	if (found == 0 && strcmp(name, DOME_BUSYBOX_IMAGE) == 0) {
		/* Two first uses at once must not both build it (the second
		 * would remove the first's directory while a container uses it):
		 * one builds under the lock, the other finds it made. The lock's
		 * name cannot be a container's (it starts with a dot). */
		int lock = dome_lock_container(ctx, ".image-" DOME_BUSYBOX_IMAGE, err);
		if (lock < 0)
			return -1;
		found = dome_image_find(ctx->store, name, img, err);
		if (found == 0) {
			struct dome_change ch = { .action = "image-import", .target = DOME_BUSYBOX_IMAGE,
						  .params = json_pack("{s:s}", "source", DOME_BUSYBOX) };
			found = dome_mutate(ctx, &ch, apply_make_busybox, NULL, err) < 0
				? -1 : dome_image_find(ctx->store, name, img, err);
		}
		dome_unlock_container(lock);
		if (found < 0)
			return -1;
	}
	if (found == 0)
		return dome_fail(err, 0, "no image named '%s'; `dome image ls` lists them", name);
	return 0;
}

static int apply_image_remove(struct dome_ctx *ctx, struct dome_change *ch, void *arg,
			      struct dome_error *err)
{
	const char *name = arg;
	struct dome_image img;
	int found = dome_image_find(ctx->store, name, &img, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return dome_fail(err, 0, "no image named '%s'", name);
	ch->before = dome_image_json(&img);
	if (img.users > 0)
		return dome_fail(err, 0, "image '%s' is used by %d container%s; destroy them first",
				 name, img.users, img.users == 1 ? "" : "s");
	if (dome_image_delete(ctx->store, name, err) < 0)
		return -1;
	return dome_rm_rf(img.path, err);
}

int dome_image_remove(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	if (dome_validate_name("image", name, err) < 0)
		return -1;
	struct dome_change ch = { .action = "image-rm", .target = name };
	return dome_mutate(ctx, &ch, apply_image_remove, (void *)name, err);
}
