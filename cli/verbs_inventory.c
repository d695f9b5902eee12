/* Read-only verbs over the inventory: ls, info. */
#include "cli.h"
#include "cleanup.h"
#include "inventory.h"
#include "container.h"

#include <stdio.h>
#include <string.h>

struct json_flag {
	bool json;
};

static int on_json_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt == 'j') {
		((struct json_flag *)data)->json = true;
		return 0;
	}
	return EXIT_USAGE;
}

static const struct option json_opts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };

static void limit_cell(const struct dome_container *c, char *out, size_t len)
{
	if (c->limits.memory == DOME_UNLIMITED)
		snprintf(out, len, "-");
	else
		dome_format_size(c->limits.memory, out, len);
}

int verb_ls(struct cli *cli, int argc, char **argv)
{
	struct json_flag f = { false };
	int status;
	if (cli_parse(cli, argc, argv, "", json_opts, on_json_opt, &f, &status))
		return status;
	if (optind < argc)
		return cli_usage(cli, "ls takes no arguments");
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	__cleanup_free struct dome_container *list = NULL;
	size_t n;
	if (dome_inv_list(ctx->store, &list, &n, &err) < 0)
		return cli_fail(&err);
	if (f.json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, dome_container_json(&list[i]));
		return cli_print_json(arr);
	}
	if (n == 0) {
		printf("No containers. Create one with: dome create NAME\n");
		return EXIT_OK;
	}
	/* 80 columns: 20 + 9 + 8 + 16 + 8 + 10 + 9 */
	printf("%-20s %-8s %7s %-15s %7s %-9s %s\n", "NAME", "STATE", "PID", "IPV4", "MEMLIM",
	       "IMAGE", "AUTOSTART");
	for (size_t i = 0; i < n; i++) {
		const struct dome_container *c = &list[i];
		char pid[16], mem[16];
		snprintf(pid, sizeof pid, c->pid ? "%lld" : "-", (long long)c->pid);
		limit_cell(c, mem, sizeof mem);
		printf("%-20.20s %-8s %7s %-15s %7s %-9.9s %s\n", c->name, c->state, pid,
		       c->ipv4[0] ? c->ipv4 : "-", mem, c->image,
		       c->autostart ? "yes" : "no");
	}
	return EXIT_OK;
}

static void print_limit(const char *label, uint64_t v, bool is_size)
{
	char buf[32];
	if (is_size)
		dome_format_size(v, buf, sizeof buf);
	else if (v == 0)
		snprintf(buf, sizeof buf, "unlimited");
	else
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	printf("  %-12s %s\n", label, buf);
}

int verb_info(struct cli *cli, int argc, char **argv)
{
	struct json_flag f = { false };
	int status;
	if (cli_parse(cli, argc, argv, "", json_opts, on_json_opt, &f, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "info takes exactly one container name");
	const char *name = argv[optind];
	struct dome_error err;
	struct dome_container c;
	if (dome_validate_name("container", name, &err) < 0)
		return cli_fail(&err);
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	if (dome_inv_get(ctx->store, name, &c, &err) < 0)
		return cli_fail(&err);
	struct dome_container_stats st;
	bool live = dome_container_stats(ctx, &c, &st, &err) == 0 && c.pid;
	/* The restarts its policy made within the window, as its monitor
	 * counts them before the next (core/restart.h). */
	int64_t restarts = 0;
	struct dome_error ignored;
	dome_restart_count(ctx, &c, dome_now_ms(), &restarts, &ignored);
	if (f.json) {
		json_t *o = dome_container_json(&c);
		json_object_set_new(json_object_get(o, "restart"), "restarts_in_window",
				    json_integer(restarts));
		json_object_set_new(o, "host_ifname", strcmp(c.net_mode, "bridge") == 0
					   ? json_string(st.host_ifname) : json_null());
		if (live)
			json_object_set_new(o, "stats", json_pack(
				"{s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				"cpu_usec", (json_int_t)st.cg.cpu_usec,
				"memory_bytes", (json_int_t)st.cg.memory_current,
				"memory_limit", st.cg.memory_limit == DOME_UNLIMITED ? json_null()
					: json_integer((json_int_t)st.cg.memory_limit),
				"memory_cache", (json_int_t)st.cg.memory_cache,
				"swap_bytes", (json_int_t)st.cg.swap_current,
				"pids", (json_int_t)st.cg.pids_current,
				"io_read_bytes", (json_int_t)st.cg.io_read_bytes,
				"io_write_bytes", (json_int_t)st.cg.io_write_bytes,
				"oom_kills_this_run", (json_int_t)st.cg.oom_kills,
				"rx_bytes", (json_int_t)st.net.rx_bytes,
				"tx_bytes", (json_int_t)st.net.tx_bytes,
				"uptime_s", (json_int_t)st.uptime_s));
		return cli_print_json(o);
	}
	char t1[32], t2[32];
	printf("Name:        %s\nState:       %s\nImage:       %s\n", c.name, c.state, c.image);
	if (c.pid)
		printf("PID:         %lld\n", (long long)c.pid);
	cli_format_time(c.created_at, t1, sizeof t1);
	printf("Created:     %s\n", t1);
	cli_format_time(c.started_at, t1, sizeof t1);
	cli_format_time(c.stopped_at, t2, sizeof t2);
	printf("Started:     %s\nStopped:     %s\n", t1, t2);
	if (c.has_exit) {
		if (c.exit_signal)
			printf("Last exit:   killed by signal %d\n", c.exit_signal);
		else
			printf("Last exit:   status %d\n", c.exit_code);
	}
	printf("Network:     %s%s%s%s\n", c.net_mode, c.ipv4[0] ? " " : "", c.ipv4,
	       c.ipv4_static[0] ? " (static)" : "");
	if (strcmp(c.net_mode, "bridge") == 0)
		printf("Host veth:   %s\n", st.host_ifname);
	printf("Autostart:   %s (order %d, delay %ds)\n", c.autostart ? "yes" : "no",
	       c.autostart_order, c.autostart_delay);
	printf("Restart:     %s (at most %u in %llds, backoff %lldms doubling to %lldms), "
	       "%lld in the window\n", dome_restart_mode_name(c.restart.mode), c.restart.max,
	       (long long)c.restart.window_s, (long long)c.restart.backoff_ms,
	       (long long)c.restart.backoff_max_ms, (long long)restarts);
	if (c.restart_next_at) {
		cli_format_time(c.restart_next_at, t1, sizeof t1);
		printf("Next retry:  %s (its monitor waits to restart it; `dome stop` cancels)\n", t1);
	}
	if (live) {
		char mem[16], lim[16], up[32];
		dome_format_size(st.cg.memory_current, mem, sizeof mem);
		dome_format_size(st.cg.memory_limit, lim, sizeof lim);
		cli_format_duration(st.uptime_s, up, sizeof up);
		printf("Uptime:      %s\nCPU time:    %.2fs\nMemory:      %s of %s\nPIDs:        %llu\n",
		       up, st.cg.cpu_usec / 1e6, mem, lim, (unsigned long long)st.cg.pids_current);
		if (strcmp(c.net_mode, "bridge") == 0)
			printf("Network:     rx %llu bytes, tx %llu bytes\n",
			       (unsigned long long)st.net.rx_bytes, (unsigned long long)st.net.tx_bytes);
	}
	if (c.oom_kills)
		printf("OOM kills:   %lld\n", (long long)c.oom_kills);
	printf("Limits:\n");
	print_limit("memory", c.limits.memory, true);
	print_limit("memory+swap", c.limits.memory_swap, true);
	if (c.limits.cpu_millis)
		printf("  %-12s %.3g\n", "cpus", c.limits.cpu_millis / 1000.0);
	else
		printf("  %-12s unlimited\n", "cpus");
	print_limit("cpu weight", c.limits.cpu_weight, false);
	printf("  %-12s %s\n", "cpuset", c.limits.cpuset[0] ? c.limits.cpuset : "all");
	print_limit("pids", c.limits.pids, false);
	/* io, one line per device: MAJ:MIN and the figures set ("-": none) */
	if (c.limits.nio == 0)
		printf("  %-12s unlimited\n", "io");
	for (size_t i = 0; i < c.limits.nio; i++) {
		const struct dome_io_limit *d = &c.limits.io[i];
		char dev[32], rbps[16] = "-", wbps[16] = "-", riops[24] = "-", wiops[24] = "-";
		snprintf(dev, sizeof dev, "io %u:%u", d->major, d->minor);
		if (d->rbps) {
			dome_format_size(d->rbps, rbps, sizeof rbps - 2);
			strcat(rbps, "/s");
		}
		if (d->wbps) {
			dome_format_size(d->wbps, wbps, sizeof wbps - 2);
			strcat(wbps, "/s");
		}
		if (d->riops)
			snprintf(riops, sizeof riops, "%llu", (unsigned long long)d->riops);
		if (d->wiops)
			snprintf(wiops, sizeof wiops, "%llu", (unsigned long long)d->wiops);
		printf("  %-12s rbps %s, wbps %s, riops %s, wiops %s\n", dev, rbps, wbps, riops, wiops);
	}
	return EXIT_OK;
}
