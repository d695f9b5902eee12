/* The images view (i) and the image actions: commit the selected container
 * to a new image (from the table), remove an unused image and export one
 * (from the view). Names are checked as they are typed with the same
 * validator core uses; what core refuses stays shown under the list until
 * the next action, besides the status line. */
#include "tui.h"
#include "cleanup.h"
#include "format.h"
#include "image.h"
#include "image_io.h"
#include "tarball.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char image_error[512];   /* the last refusal, shown in place */

/* One line per image, 80 columns wide with the date. */
#define IMAGE_ROW "%-16s %-7s %7s %5d  %-14s %-12s  %s"
#define IMAGE_HEAD "%-16s %-7s %7s %5s  %-14s %-12s  %s"

void tui_images_open(struct tui *t)
{
	(void)t;
	image_error[0] = '\0';
}

/* "0123456789ab" from "sha256:0123456789ab...", as image ids are usually shown. */
static void short_digest(const char *digest, char *out, size_t len)
{
	const char *colon = strchr(digest, ':');
	const char *hex = colon ? colon + 1 : digest;
	snprintf(out, len, "%.12s", hex[0] ? hex : "-");
}

static void draw_image_row(struct tui *t, const struct dome_image *img, int y, bool selected)
{
	char size[32], when[32] = "-", digest[16], line[700];
	tui_fmt_size(img->size_bytes, size, sizeof size);
	short_digest(img->digest, digest, sizeof digest);
	time_t s = (time_t)(img->created_at / 1000);
	struct tm tm;
	if (img->created_at && localtime_r(&s, &tm))
		strftime(when, sizeof when, "%Y-%m-%d", &tm);
	char name[200], init[300];
	tui_fit(img->name, 16, name, sizeof name);
	tui_fit(img->init_cmd[0] ? img->init_cmd : "-", 14, init, sizeof init);
	snprintf(line, sizeof line, IMAGE_ROW, name, img->arch[0] ? img->arch : "-", size,
		 img->users, init, digest, when);
	attrset(selected ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL);
	if (selected)
		tui_clear_line(y, 0);
	/* names and files from archives and directories: escaped */
	char fit[sizeof line];
	tui_fit(line, COLS, fit, sizeof fit);
	mvaddstr(y, 0, fit);
	attrset(A_NORMAL);
}

static void draw_error(struct tui *t, int y, const char *msg)
{
	if (y >= LINES - 2)
		return;
	char fit[600];
	tui_fit(msg, COLS - 4, fit, sizeof fit);
	attrset(tui_attr(t, TUI_STATUS_ERR));
	mvaddstr(y, 2, fit);
	attrset(A_NORMAL);
}

/* The images with the one at t->view_scroll selected and kept on screen. */
void tui_images_draw(struct tui *t, int y)
{
	__cleanup_free struct dome_image *imgs = NULL;
	size_t n = 0;
	struct dome_error err = { 0 };
	if (dome_image_list(t->ctx->store, &imgs, &n, &err) < 0) {
		draw_error(t, y, err.msg);
		return;
	}
	char line[256];
	snprintf(line, sizeof line, IMAGE_HEAD, "NAME", "ARCH", "SIZE", "USERS", "INIT", "DIGEST",
		 "CREATED");
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	mvaddnstr(y++, 0, line, COLS);
	attrset(A_NORMAL);
	int h = LINES - 2 - y - (image_error[0] ? 2 : 0);
	if (t->view_scroll >= n)
		t->view_scroll = n ? n - 1 : 0;
	if (!n)
		mvaddstr(y + 1, 2, "No images yet; the busybox image is made when the first "
				   "container is created.");
	size_t first = h > 0 && t->view_scroll >= (size_t)h ? t->view_scroll - (size_t)h + 1 : 0;
	for (size_t i = first; i < n && y < LINES - 2 - (image_error[0] ? 2 : 0); i++)
		draw_image_row(t, &imgs[i], y++, i == t->view_scroll);
	if (image_error[0])
		draw_error(t, LINES - 3, image_error);
}

/* The name of the selected image; false (and says so) when there is none. */
static bool selected_image(struct tui *t, struct dome_image *out, const char *what)
{
	__cleanup_free struct dome_image *imgs = NULL;
	size_t n = 0;
	struct dome_error err = { 0 };
	if (dome_image_list(t->ctx->store, &imgs, &n, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return false;
	}
	if (t->view_scroll >= n) {
		tui_status(t, true, "cannot %s: no image selected", what);
		return false;
	}
	*out = imgs[t->view_scroll];
	return true;
}

static void show_refusal(struct tui *t, const struct dome_error *err)
{
	strlcpy(image_error, err->msg, sizeof image_error);
	tui_status(t, true, "%s", err->msg);
}

static void remove_image(struct tui *t)
{
	struct dome_image img;
	if (tui_refuse_if_readonly(t, "remove an image") ||
	    !selected_image(t, &img, "remove an image"))
		return;
	char title[160], what[128];
	snprintf(title, sizeof title, "Remove image %s%s", img.name,
		 img.users ? " (containers use it: it will be refused)" : "");
	if (!tui_dialog_confirm_name(t, title, img.name)) {
		tui_status(t, false, "remove cancelled; image %s is unchanged", img.name);
		return;
	}
	snprintf(what, sizeof what, "removing image %s", img.name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "removing image %s...", img.name);
	struct dome_error err = { 0 };
	if (dome_image_remove(t->ctx, img.name, &err) < 0) {
		show_refusal(t, &err);
		return;
	}
	image_error[0] = '\0';
	tui_status(t, false, "image %s removed", img.name);
}

/* An absolute archive path whose directory exists and which does not. */
static int validate_export_file(const char *text, char *why, size_t whylen, void *arg)
{
	(void)arg;
	struct stat st;
	if (text[0] != '/') {
		snprintf(why, whylen, "give an absolute path (starting with /)");
		return -1;
	}
	if (!dome_archive_name_ok(text)) {
		snprintf(why, whylen, "the file should end in .tar, .tar.gz, .tgz, .tar.xz or .tar.zst");
		return -1;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(text, '/') - text), text);
	if (stat(dir[0] ? dir : "/", &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "the directory %s does not exist", dir);
		return -1;
	}
	if (lstat(text, &st) == 0) {
		snprintf(why, whylen, "%s exists already; choose another name", text);
		return -1;
	}
	return 0;
}

/* Reads the image only; nothing in dome changes, so read-only allows it. */
static void export_image(struct tui *t)
{
	struct dome_image img;
	if (!selected_image(t, &img, "export an image"))
		return;
	char file[PATH_MAX] = "", cwd[PATH_MAX], title[128];
	if (!getcwd(cwd, sizeof cwd))
		strlcpy(cwd, "/tmp", sizeof cwd);
	if (snprintf(file, sizeof file, "%s/%s.tar.gz", strcmp(cwd, "/") ? cwd : "",
		     img.name) >= (int)sizeof file)
		file[0] = '\0'; /* too deep to suggest one: the user types it */
	snprintf(title, sizeof title, "Export image %s", img.name);
	if (!tui_dialog_input(t, title, "Write it to (.tar, .tar.gz, .tar.xz or .tar.zst):", file,
			      sizeof file, validate_export_file, NULL)) {
		tui_status(t, false, "export cancelled");
		return;
	}
	tui_progress(t, "exporting image %s to %s...", img.name, file);
	struct dome_error err = { 0 };
	if (dome_image_export(t->ctx, img.name, file, &err) < 0) {
		show_refusal(t, &err);
		return;
	}
	image_error[0] = '\0';
	struct stat st;
	char size[32] = "?";
	if (stat(file, &st) == 0)
		tui_fmt_size((uint64_t)st.st_size, size, sizeof size);
	tui_status(t, false, "image %s exported to %s (%s)", img.name, file, size);
}

bool tui_images_key(struct tui *t, int ch)
{
	switch (ch) {
	case 'd': case KEY_DC: remove_image(t); return true;
	case 'x': export_image(t); return true;
	}
	return false;
}

/* An image of the new one's name: tui_validate_new_name's lookup. */
static int image_taken(struct tui *t, const char *name, char *why, size_t whylen,
		       struct dome_error *err)
{
	struct dome_image img;
	int found = dome_image_find(t->ctx->store, name, &img, err);
	if (found > 0)
		snprintf(why, whylen, "an image with this name exists already; choose another name");
	return found;
}

void tui_commit_row(struct tui *t, const struct tui_row *r)
{
	if (tui_refuse_if_readonly(t, "make an image"))
		return;
	char name[64], image[64] = "", title[160], what[160];
	strlcpy(name, r->c.name, sizeof name);
	snprintf(title, sizeof title, "Image from %s%s", name, strcmp(r->c.state, "running") == 0 ?
		 " (frozen for a moment while its files are read)" : "");
	struct tui_new_name check = { t, "image", image_taken };
	if (!tui_dialog_input(t, title, "Name of the new image:", image, sizeof image,
			      tui_validate_new_name, &check)) {
		tui_status(t, false, "commit cancelled; no image made");
		return;
	}
	snprintf(what, sizeof what, "committing %s to image %s", name, image);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "committing %s to image %s...", name, image);
	struct dome_error err = { 0 };
	struct dome_import_notes notes = { 0 };
	if (dome_image_commit(t->ctx, name, image, &notes, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	struct dome_image img;
	char size[32] = "?";
	if (dome_image_find(t->ctx->store, image, &img, &err) > 0)
		tui_fmt_size(img.size_bytes, size, sizeof size);
	tui_status(t, false, "image %s made from %s (%s%s); i shows the images", image, name, size,
		   notes.dropped_devices ? ", device nodes left out" : "");
	tui_refresh_data(t);
}
