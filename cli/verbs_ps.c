/* dome ps NAME [--json]: a container's processes as a tree, with the cgroup
 * its init put each in (a system container's units), as lxc-ps and
 * `systemd-cgls` show them. */
#include "cli.h"
#include "ptree.h"

#include <stdio.h>
#include <string.h>

static int on_ps_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt == 'j') {
		*(bool *)data = true;
		return 0;
	}
	return EXIT_USAGE;
}

static const struct option ps_opts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };

/* The widest cgroup column needed, bounded so the commands keep room. */
static int cgroup_width(const struct dome_ptree *t)
{
	size_t w = strlen("CGROUP");
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->procs[i].cgroup) > w)
			w = strlen(t->procs[i].cgroup);
	return w > 40 ? 40 : (int)w;
}

int verb_ps(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	int status;
	if (cli_parse(cli, argc, argv, "", ps_opts, on_ps_opt, &json, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "ps takes exactly one container name");
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		return cli_fail(&err);
	struct dome_ptree t;
	if (dome_container_ptree(ctx, argv[optind], &t, &err) < 0)
		return cli_fail(&err);
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < t.n; i++) {
			const struct dome_proc *p = &t.procs[i];
			json_array_append_new(a, json_pack("{s:i, s:i, s:i, s:s, s:s}",
				"pid", (int)p->pid, "ppid", (int)p->ppid, "depth", (int)p->depth,
				"cgroup", p->cgroup[0] ? p->cgroup : "/", "command", p->cmd));
		}
		dome_ptree_free(&t);
		return cli_print_json(a);
	}
	if (!t.n) {
		fprintf(stderr, "dome: container '%s' is not running: no processes\n", argv[optind]);
		return EXIT_OK;
	}
	int w = cgroup_width(&t);
	printf("%7s %7s  %-*s  %s\n", "PID", "PPID", w, "CGROUP", "COMMAND");
	for (size_t i = 0; i < t.n; i++) {
		const struct dome_proc *p = &t.procs[i];
		/* the tree drawn as `ps f` draws it: two spaces a level, then \_ */
		printf("%7d %7d  %-*.*s  %*s%s%s\n", (int)p->pid, (int)p->ppid, w, w,
		       p->cgroup[0] ? p->cgroup : "/", p->depth ? (int)(p->depth - 1) * 3 : 0, "",
		       p->depth ? "\\_ " : "", p->cmd);
	}
	dome_ptree_free(&t);
	return EXIT_OK;
}
