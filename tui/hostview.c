/* Host views, one at a time over the table: images and backups (their own
 * files), network settings (the bridge as the kernel has it, the subnet and
 * the leases; e changes a setting), the kernel check, and the global history. Each is read from core while it is on screen;
 * the kernel check once when it is opened (r runs it again). */
#include "tui.h"
#include "check.h"
#include "format.h"
#include "nat.h"
#include "net.h"
#include "settings.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const titles[] = {
	[HOST_IMAGES] = "Images",
	[HOST_NETWORK] = "Network",
	[HOST_CHECK] = "Kernel check",
	[HOST_HISTORY] = "History (all containers)",
	[HOST_BACKUPS] = "Backups",
	[HOST_METRICS] = "Metrics recorder",
};

/* What each view adds to the keys line. */
static const char *const view_keys[] = {
	[HOST_IMAGES] = "  d remove  x export",
	[HOST_NETWORK] = "  e change a setting",
	[HOST_HISTORY] = "  u roll back the selected change",
	[HOST_BACKUPS] = "  Enter/r restore  o directory  F5 refresh",
	[HOST_METRICS] = "  F5 refresh",
};

static struct dome_check_report check_report;
static bool check_loaded;

static void run_check(struct tui *t)
{
	struct dome_error err = { 0 };
	if (check_loaded)
		dome_check_free(&check_report);
	check_loaded = dome_check_run(&check_report, t->ctx->cfg.root, &err) == 0;
	if (!check_loaded)
		tui_status(t, true, "%s", err.msg);
}

void tui_host_open(struct tui *t, enum tui_host_view v)
{
	t->mode = MODE_HOST;
	t->host_view = v;
	t->view_scroll = 0;
	if (v == HOST_CHECK)
		run_check(t);
	if (v == HOST_IMAGES)
		tui_images_open(t);
	if (v == HOST_BACKUPS)
		tui_backups_open(t);
}

void tui_host_close(void)
{
	if (check_loaded)
		dome_check_free(&check_report);
	check_loaded = false;
	tui_backups_close();
}

/* Where a list starts: the scroll position, kept on its last row. */
static size_t first_row(struct tui *t, size_t n)
{
	if (t->view_scroll >= n)
		t->view_scroll = n ? n - 1 : 0;
	return t->view_scroll;
}

static void error_line(struct tui *t, int y, const char *msg)
{
	char fit[512];
	tui_fit(msg, COLS - 4, fit, sizeof fit);
	attrset(tui_attr(t, TUI_STATUS_ERR));
	mvaddstr(y, 2, fit);
	attrset(A_NORMAL);
}

static void head(struct tui *t, int y, const char *text)
{
	attrset(tui_attr(t, TUI_TABLE_HEAD));
	tui_clear_line(y, 0);
	mvaddnstr(y, 0, text, COLS);
	attrset(A_NORMAL);
}

void tui_host_label(struct tui *t, int y, const char *name, const char *value)
{
	if (y >= LINES - 2)
		return;
	attrset(tui_attr(t, TUI_LABEL));
	mvprintw(y, 2, "%-16s", name);
	attrset(A_NORMAL);
	char fit[1200];
	tui_fit(value, COLS - 20, fit, sizeof fit);
	mvaddstr(y, 19, fit);
}

static void draw_network(struct tui *t, int y)
{
	const struct dome_config *cfg = &t->ctx->cfg;
	struct dome_error err = { 0 };
	struct dome_bridge_status br = { 0 };
	char text[1200];
	tui_host_label(t, y++, "Bridge", cfg->bridge);
	if (dome_net_bridge_status(cfg->bridge, &br, &err) < 0)
		snprintf(text, sizeof text, "unknown: %s", err.msg);
	else if (!br.present)
		snprintf(text, sizeof text, "not created yet (made when a bridged container starts)");
	else if (!br.is_bridge)
		snprintf(text, sizeof text, "another kind of interface has this name");
	else
		snprintf(text, sizeof text, "%s%s%s", br.up ? "up" : "down",
			 br.addresses[0] ? ", " : "", br.addresses);
	tui_host_label(t, y++, "Bridge state", text);
	struct dome_subnet sn;
	err.msg[0] = '\0';
	if (dome_subnet_parse(cfg->subnet, &sn, &err) == 0) {
		char gw[16], first[16], last[16];
		dome_ipv4_format(sn.gateway, gw);
		dome_ipv4_format(sn.first, first);
		dome_ipv4_format(sn.last, last);
		snprintf(text, sizeof text, "%s (gateway %s, leases %s to %s, %u addresses)",
			 cfg->subnet, gw, first, last, dome_subnet_size(&sn));
	} else {
		snprintf(text, sizeof text, "%s: %s", cfg->subnet, err.msg);
	}
	tui_host_label(t, y++, "Subnet", text);
	char table[32];
	dome_nat_table(cfg->bridge, table);
	snprintf(text, sizeof text, "on: the subnet is masqueraded (nftables table ip %s)", table);
	tui_host_label(t, y++, "NAT", cfg->nat ? text : "off (containers reach the host and each other)");
	tui_host_label(t, y++, "Nameservers", cfg->nameservers[0] ? cfg->nameservers
							  : "the host's resolv.conf");
	y++;
	struct dome_lease *leases = NULL;
	size_t n = 0;
	if (dome_net_leases(t->ctx, &leases, &n, &err) < 0) {
		error_line(t, y, err.msg);
		return;
	}
	snprintf(text, sizeof text, "%-15s %-20s %-7s %s", "ADDRESS", "CONTAINER", "KIND",
		 "LEASED");
	if (y < LINES - 2)
		head(t, y++, text);
	if (!n && y < LINES - 2)
		mvaddstr(y, 2, "No leases: no bridged container has an address.");
	for (size_t i = first_row(t, n); i < n && y < LINES - 2; i++) {
		char addr[16], when[32] = "-";
		dome_ipv4_format(leases[i].address, addr);
		time_t s = (time_t)(leases[i].leased_at / 1000);
		struct tm tm;
		if (leases[i].leased_at && localtime_r(&s, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(text, sizeof text, "%-15s %-20s %-7s %s", addr, leases[i].container,
			 leases[i].is_static ? "static" : "leased", when);
		mvaddnstr(y++, 0, text, COLS);
	}
	free(leases);
}

/* ---- changing a network setting (e in the Network view) ---- */

static int validate_setting_name(const char *text, char *why, size_t whylen, void *arg)
{
	const struct tui *t = arg;
	if (!*text || dome_net_setting_value(&t->ctx->cfg, text))
		return 0;
	snprintf(why, whylen, "'%s' is not a network setting: bridge, subnet, nameservers or nat",
		 text);
	return -1;
}

struct setting_check {
	const struct tui *t;
	const char *key;
};

static int validate_setting_value(const char *text, char *why, size_t whylen, void *arg)
{
	const struct setting_check *c = arg;
	struct dome_error err = { 0 };
	if (dome_net_check_setting(&c->t->ctx->cfg, c->key, text, &err) == 0)
		return 0;
	snprintf(why, whylen, "%s", err.msg);
	return -1;
}

/* Which setting, its new value (starting from the current one), the reason
 * if the host wants one; then one audited change, applied live. */
static void edit_network(struct tui *t)
{
	if (tui_refuse_if_readonly(t, "change the network settings"))
		return;
	char key[16] = "";
	if (!tui_dialog_input(t, "Network", "Setting to change (bridge, subnet, nameservers, nat):",
			      key, sizeof key, validate_setting_name, t) || !key[0]) {
		tui_status(t, false, "cancelled: the network settings are unchanged");
		return;
	}
	char value[256], prompt[320], what[320], kv[300];
	strlcpy(value, dome_net_setting_value(&t->ctx->cfg, key), sizeof value);
	snprintf(prompt, sizeof prompt, "New %s (now %s):", key, value[0] ? value : "empty");
	struct setting_check c = { t, key };
	if (!tui_dialog_input(t, "Network", prompt, value, sizeof value, validate_setting_value,
			      &c)) {
		tui_status(t, false, "cancelled: the network settings are unchanged");
		return;
	}
	snprintf(what, sizeof what, "%s=%s on the network", key, value);
	if (!tui_ask_reason(t, what))
		return;
	snprintf(kv, sizeof kv, "%s=%s", key, value);
	char *kvs[] = { kv };
	struct dome_error err = { 0 };
	tui_progress(t, "changing the network's %s...", key);
	if (dome_net_configure(t->ctx, kvs, 1, &err) < 0) {
		tui_status(t, true, "%s", err.msg);
		return;
	}
	tui_status(t, false, "network updated: %s is now %s (applied live, in the history)", key,
		   dome_net_setting_value(&t->ctx->cfg, key));
	tui_refresh_data(t);
}

static void draw_check(struct tui *t, int y)
{
	if (!check_loaded) {
		mvaddstr(y, 2, "The kernel check could not run; r tries again.");
		return;
	}
	char line[512];
	snprintf(line, sizeof line, "cgroup layout %s; %s", check_report.layout[0] ?
		 check_report.layout : "undetectable", check_report.all_required_ok ?
		 "every required feature is there" : "REQUIRED FEATURES ARE MISSING");
	attrset(tui_attr(t, check_report.all_required_ok ? TUI_RUNNING : TUI_ERROR));
	mvaddnstr(y++, 2, line, COLS - 2);
	attrset(A_NORMAL);
	snprintf(line, sizeof line, "%-12s %-28s %-8s %s", "GROUP", "FEATURE", "STATUS", "DETAIL");
	head(t, y++, line);
	for (size_t i = first_row(t, check_report.n); i < check_report.n && y < LINES - 2;
	     i++, y++) {
		const struct dome_check_item *it = &check_report.items[i];
		const char *status = it->ok ? "ok" : it->required ? "MISSING" : "missing";
		mvprintw(y, 0, "%-12s %-28s ", it->group, it->name);
		attrset(tui_attr(t, it->ok ? TUI_RUNNING : it->required ? TUI_ERROR : TUI_FROZEN));
		printw("%-8s ", status);
		attrset(A_NORMAL);
		int x = getcurx(stdscr);
		char fit[512];
		tui_fit(it->ok ? it->detail : it->why ? it->why : it->detail, COLS - x, fit,
			sizeof fit);
		addstr(fit);
	}
}

void tui_host_draw(struct tui *t)
{
	int y = tui_header_height(t);
	attrset(tui_attr(t, TUI_TITLE));
	mvprintw(y, 0, " %s ", titles[t->host_view]);
	/* This view's own keys first: on a narrow terminal the line is cut. */
	char keys[256];
	snprintf(keys, sizeof keys, "%s  i images  B backups  N network  K kernel check  "
		 "H history  S metrics  Esc back", view_keys[t->host_view] ? view_keys[t->host_view] : "");
	attrset(tui_attr(t, TUI_DIM));
	int x = getcurx(stdscr);
	if (x < COLS)
		addnstr(keys, COLS - x);
	attrset(A_NORMAL);
	y += 2;
	switch (t->host_view) {
	case HOST_IMAGES: tui_images_draw(t, y); break;
	case HOST_BACKUPS: tui_backups_draw(t, y); break;
	case HOST_NETWORK: draw_network(t, y); break;
	case HOST_CHECK: draw_check(t, y); break;
	case HOST_HISTORY: tui_history_draw(t, NULL, y, &t->view_scroll); break;
	case HOST_METRICS: tui_metrics_host_draw(t, y); break;
	}
}

bool tui_host_key(struct tui *t, int ch)
{
	int page = LINES - 8 > 1 ? LINES - 8 : 1;
	if ((t->host_view == HOST_IMAGES && tui_images_key(t, ch)) ||
	    (t->host_view == HOST_BACKUPS && tui_backups_key(t, ch)))
		return true;
	switch (ch) {
	case 27: case 'q': case KEY_F(10): case KEY_BACKSPACE: case 'h':
		t->mode = MODE_MAIN;
		tui_host_close();
		return true;
	case 'i': tui_host_open(t, HOST_IMAGES); return true;
	case 'N': tui_host_open(t, HOST_NETWORK); return true;
	case 'K': tui_host_open(t, HOST_CHECK); return true;
	case 'H': tui_host_open(t, HOST_HISTORY); return true;
	case 'B': tui_host_open(t, HOST_BACKUPS); return true;
	case 'S': tui_host_open(t, HOST_METRICS); return true;
	case 'r': case KEY_F(5):
		if (t->host_view == HOST_CHECK)
			run_check(t);
		tui_refresh_data(t);
		tui_status(t, false, "refreshed");
		return true;
	case 'u':
		if (t->host_view != HOST_HISTORY)
			return false;
		tui_history_rollback(t);
		return true;
	case 'e':
		if (t->host_view != HOST_NETWORK)
			return false;
		edit_network(t);
		return true;
	case 'j': case KEY_DOWN: t->view_scroll++; return true;
	case 'k': case KEY_UP: if (t->view_scroll) t->view_scroll--; return true;
	case KEY_NPAGE: t->view_scroll += (size_t)page; return true;
	case KEY_PPAGE:
		t->view_scroll = t->view_scroll > (size_t)page ? t->view_scroll - (size_t)page : 0;
		return true;
	case 'g': case KEY_HOME: t->view_scroll = 0; return true;
	case KEY_F(1): case '?': t->mode = MODE_HELP; tui_host_close(); return true;
	}
	return false;
}
