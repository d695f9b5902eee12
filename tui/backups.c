/* Backups in the console: back up the selected container (b, from the
 * table), and the backups view (B) listing a backup directory, newest
 * first, where Enter or r restores the selected backup under a name checked
 * as it is typed. The list is read with dome_backup_list, which opens every
 * archive's manifest, so it is kept and read again only when the directory
 * changes (its mtime), after an action, or on F5. */
#include "tui.h"
#include "backup.h"
#include "cleanup.h"
#include "format.h"
#include "image.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char backup_dir[PATH_MAX];          /* listed by the view; "" until first used */
static struct dome_backup_info *backups;   /* oldest first, as core lists them */
static size_t nbackups;
static struct timespec listed_mtime;
static bool listed;
static char list_error[512];               /* why the directory could not be listed */
static char backup_error[512];             /* the last refusal, shown in place */

static const char *current_dir(struct tui *t)
{
	if (!backup_dir[0] && dome_backup_default_dir(t->ctx, backup_dir, sizeof backup_dir) < 0)
		backup_dir[0] = '\0';
	return backup_dir;
}

static struct timespec dir_mtime(const char *dir)
{
	struct stat st;
	struct timespec none = { 0 };
	return stat(dir, &st) == 0 ? st.st_mtim : none;
}

static void reload(struct tui *t)
{
	free(backups);
	backups = NULL;
	nbackups = 0;
	list_error[0] = '\0';
	const char *dir = current_dir(t);
	listed_mtime = dir_mtime(dir);
	struct dome_error err = { 0 };
	if (dome_backup_list(t->ctx, dir, &backups, &nbackups, &err) < 0)
		strlcpy(list_error, err.msg, sizeof list_error);
	listed = true;
}

static void reload_if_changed(struct tui *t)
{
	struct timespec now = dir_mtime(current_dir(t));
	if (!listed || now.tv_sec != listed_mtime.tv_sec || now.tv_nsec != listed_mtime.tv_nsec)
		reload(t);
}

void tui_backups_open(struct tui *t)
{
	backup_error[0] = '\0';
	reload(t);
}

void tui_backups_close(void)
{
	free(backups);
	backups = NULL;
	nbackups = 0;
	listed = false;
}

/* The view shows the newest first: screen row i is backups[n - 1 - i]. */
static const struct dome_backup_info *shown(size_t i)
{
	return i < nbackups ? &backups[nbackups - 1 - i] : NULL;
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

static void draw_backup_row(struct tui *t, const struct dome_backup_info *b, int y,
			    bool selected)
{
	char when[32] = "-", size[32], line[PATH_MAX + 256];
	time_t s = (time_t)(b->created_at / 1000);
	struct tm tm;
	if (b->created_at && localtime_r(&s, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	tui_fmt_size(b->size_bytes, size, sizeof size);
	const char *base = strrchr(b->file, '/');
	snprintf(line, sizeof line, "%-19s %-16s %-12s %7s  %s", when, b->container, b->image, size,
		 base ? base + 1 : b->file);
	attrset(selected ? tui_attr(t, TUI_SELECTED) : (int)A_NORMAL);
	if (selected)
		tui_clear_line(y, 0);
	/* names and files from archives and directories: escaped */
	char fit[sizeof line];
	tui_fit(line, COLS, fit, sizeof fit);
	mvaddstr(y, 0, fit);
	attrset(A_NORMAL);
}

void tui_backups_draw(struct tui *t, int y)
{
	reload_if_changed(t);
	char line[PATH_MAX + 64];
	attrset(tui_attr(t, TUI_LABEL));
	snprintf(line, sizeof line, "Directory %s  (o another one)", current_dir(t));
	char fit[PATH_MAX + 64]; /* a typed directory: escaped */
	tui_fit(line, COLS - 2, fit, sizeof fit);
	mvaddstr(y++, 2, fit);
	attrset(A_NORMAL);
	if (list_error[0]) {
		draw_error(t, y + 1, list_error);
		return;
	}
	snprintf(line, sizeof line, "%-19s %-16s %-12s %7s  %s", "CREATED", "CONTAINER", "IMAGE",
		 "SIZE", "FILE");
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	mvaddnstr(y++, 0, line, COLS);
	attrset(A_NORMAL);
	if (t->view_scroll >= nbackups)
		t->view_scroll = nbackups ? nbackups - 1 : 0;
	if (!nbackups)
		mvaddstr(y + 1, 2, "No backups here; b on a container in the table makes one.");
	int bottom = LINES - 2 - (backup_error[0] ? 2 : 0);
	int h = bottom - y;
	size_t first = h > 0 && t->view_scroll >= (size_t)h ? t->view_scroll - (size_t)h + 1 : 0;
	for (size_t i = first; i < nbackups && y < bottom; i++)
		draw_backup_row(t, shown(i), y++, i == t->view_scroll);
	if (backup_error[0])
		draw_error(t, LINES - 3, backup_error);
}

/* An absolute directory: one that exists, or one core can make. */
static int validate_dir(const char *text, char *why, size_t whylen, void *arg)
{
	bool must_exist = arg != NULL;
	struct stat st;
	if (text[0] != '/') {
		snprintf(why, whylen, "give an absolute path (starting with /)");
		return -1;
	}
	if (stat(text, &st) == 0 ? !S_ISDIR(st.st_mode) : must_exist) {
		snprintf(why, whylen, "%s is not a directory", text);
		return -1;
	}
	return 0;
}

void tui_backup_row(struct tui *t, const struct tui_row *r)
{
	if (tui_refuse_if_readonly(t, "back up"))
		return;
	char name[64], dir[PATH_MAX], title[160], what[160];
	strlcpy(name, r->c.name, sizeof name);
	strlcpy(dir, current_dir(t), sizeof dir);
	snprintf(title, sizeof title, "Back up %s%s", name, strcmp(r->c.state, "running") == 0 ?
		 " (frozen for a moment while its files are copied)" : "");
	if (!tui_dialog_input(t, title, "Directory for the backup (made if missing):", dir,
			      sizeof dir, validate_dir, NULL)) {
		tui_status(t, false, "backup cancelled");
		return;
	}
	snprintf(what, sizeof what, "backing up %s", name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "backing up %s to %s...", name, dir);
	struct dome_error err = { 0 };
	char path[PATH_MAX];
	if (dome_backup_create(t->ctx, name, dir, path, sizeof path, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	strlcpy(backup_dir, dir, sizeof backup_dir);
	listed = false;
	struct stat st;
	char size[32] = "?";
	if (stat(path, &st) == 0)
		tui_fmt_size((uint64_t)st.st_size, size, sizeof size);
	tui_status(t, false, "%s backed up to %s (%s); B lists the backups", name, path, size);
	tui_refresh_data(t);
}

/* A container of the restored one's name, read from the inventory (not the
 * last refresh): tui_validate_new_name's lookup. */
static int container_taken(struct tui *t, const char *name, char *why, size_t whylen,
			   struct dome_error *err)
{
	struct dome_container c;
	int found = dome_inv_find(t->ctx->store, name, &c, err);
	if (found > 0)
		snprintf(why, whylen, "a container named '%s' exists already (%s); type "
			 "another name or destroy it first", name, c.state);
	return found;
}

static void refuse(struct tui *t, const char *msg)
{
	strlcpy(backup_error, msg, sizeof backup_error);
	tui_status(t, true, "%s", msg);
}

/* Without its image a backup's files have nothing to sit on: say so before
 * asking for a name (core refuses it as well). */
static bool image_missing(struct tui *t, const struct dome_backup_info *b)
{
	struct dome_image img;
	struct dome_error err = { 0 };
	int found = dome_image_find(t->ctx->store, b->image, &img, &err);
	if (found < 0) {
		refuse(t, err.msg);
		return true;
	}
	if (found || strcmp(b->image, DOME_BUSYBOX_IMAGE) == 0)
		return false;
	char msg[512];
	snprintf(msg, sizeof msg, "cannot restore: the backup needs the image '%s', which is not "
		 "here; import it (dome image import %s FILE) and restore again", b->image,
		 b->image);
	refuse(t, msg);
	return true;
}

static void select_container(struct tui *t, const char *name)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].c.name, name) == 0)
			t->selected_id = t->rows[i].c.id;
	tui_table_apply(t);
}

static void restore_selected(struct tui *t)
{
	if (tui_refuse_if_readonly(t, "restore a backup"))
		return;
	const struct dome_backup_info *sel = shown(t->view_scroll);
	if (!sel) {
		tui_status(t, true, "cannot restore: no backup selected");
		return;
	}
	struct dome_backup_info b = *sel;
	if (image_missing(t, &b))
		return;
	char name[64], title[160], what[160];
	strlcpy(name, b.container, sizeof name);
	snprintf(title, sizeof title, "Restore %.120s", strrchr(b.file, '/') ? strrchr(b.file, '/') + 1
									: b.file);
	struct tui_new_name check = { t, "container", container_taken };
	if (!tui_dialog_input(t, title, "Name of the restored container:", name, sizeof name,
			      tui_validate_new_name, &check)) {
		tui_status(t, false, "restore cancelled; nothing changed");
		return;
	}
	/* Less isolation than a new container is asked about, never taken
	 * silently (core refuses it without the consent). */
	struct dome_error err = { 0 };
	char why[256], question[512];
	int lowered = dome_backup_less_isolated(b.file, why, sizeof why, &err);
	if (lowered < 0) {
		refuse(t, err.msg);
		return;
	}
	if (lowered) {
		/* The dialog has one line: the setting; the status line says
		 * what it means. */
		tui_status(t, true, "the backup runs its container with less isolation than a new "
			   "one: %s", why);
		snprintf(question, sizeof question, "Less isolated than a new one: %.*s. Restore?",
			 (int)strcspn(why, " "), why);
		if (!tui_dialog_confirm(t, title, question)) {
			tui_status(t, false, "restore cancelled; nothing changed");
			return;
		}
	}
	snprintf(what, sizeof what, "restoring %s as %s", b.container, name);
	if (!tui_ask_reason(t, what))
		return;
	tui_progress(t, "restoring %s from %s...", name, b.file);
	char restored[64];
	if (dome_backup_restore(t->ctx, b.file, name, lowered == 1, restored, sizeof restored,
				&err) < 0) {
		refuse(t, err.msg);
		return;
	}
	backup_error[0] = '\0';
	tui_refresh_data(t);
	t->mode = MODE_MAIN;
	tui_host_close();
	select_container(t, restored);
	tui_status(t, false, "restored %s from %s (stopped; s starts it)", restored, b.file);
}

static void open_other_dir(struct tui *t)
{
	char dir[PATH_MAX];
	strlcpy(dir, current_dir(t), sizeof dir);
	if (!tui_dialog_input(t, "Backups", "List the backups in the directory:", dir, sizeof dir,
			      validate_dir, (void *)1))
		return;
	strlcpy(backup_dir, dir, sizeof backup_dir);
	t->view_scroll = 0;
	backup_error[0] = '\0';
	reload(t);
	tui_status(t, false, "%zu backup%s in %s", nbackups, nbackups == 1 ? "" : "s", dir);
}

bool tui_backups_key(struct tui *t, int ch)
{
	switch (ch) {
	case '\n': case '\r': case KEY_ENTER: case 'r':
		restore_selected(t);
		return true;
	case 'o':
		open_other_dir(t);
		return true;
	case KEY_F(5):
		reload(t);
		return false; /* the host view refreshes the rest */
	}
	return false;
}
