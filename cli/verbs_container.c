/* Lifecycle verbs: create start stop restart freeze unfreeze destroy set exec
 * logs, and image ls|rm. */
#include "cli.h"
#include "cleanup.h"
#include "container.h"
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

static struct dome_ctx *open_or_fail(struct cli *cli, int *status)
{
	struct dome_error err;
	struct dome_ctx *ctx = cli_ctx(cli, &err);
	if (!ctx)
		*status = cli_fail(&err);
	return ctx;
}

/* Verbs that take exactly one container name and no options of their own. */
static int one_name(struct cli *cli, int argc, char **argv, const char **name)
{
	int status;
	if (cli_parse(cli, argc, argv, "", NULL, NULL, NULL, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "%s takes exactly one container name", cli->verb->name);
	*name = argv[optind];
	return -1;
}

static int finish(int rc, const struct dome_error *err, const char *done, const char *name)
{
	if (rc < 0)
		return cli_fail(err);
	if (done)
		printf("%s %s\n", done, name);
	return EXIT_OK;
}

/* ----------------------------------------------------------------- create */

enum { OPT_IMAGE = 1000, OPT_MEMORY, OPT_SWAP, OPT_CPUS, OPT_CPUSET, OPT_WEIGHT, OPT_PIDS,
       OPT_AUTOSTART, OPT_ORDER, OPT_DELAY, OPT_NET, OPT_IP, OPT_START, OPT_NNP,
       OPT_RESTART, OPT_RESTART_MAX, OPT_RESTART_WINDOW, OPT_RESTART_BACKOFF,
       OPT_RESTART_BACKOFF_MAX };

struct create_opts {
	struct dome_create_spec spec;
	struct dome_error err;
	bool bad;
};

static int on_create_opt(int opt, const char *arg, void *data)
{
	struct create_opts *o = data;
	struct dome_limits *l = &o->spec.limits;
	uint64_t n;
	int rc = 0;
	switch (opt) {
	case OPT_IMAGE: o->spec.image = arg; break;
	case OPT_MEMORY: rc = dome_parse_size("memory", arg, true, &l->memory, &o->err); break;
	case OPT_SWAP: rc = dome_parse_size("memory+swap", arg, true, &l->memory_swap, &o->err); break;
	case OPT_CPUS: rc = dome_parse_cpus(arg, true, &l->cpu_millis, &o->err); break;
	case OPT_CPUSET: rc = dome_parse_cpuset(arg, l->cpuset, sizeof l->cpuset, &o->err); break;
	case OPT_WEIGHT:
		rc = dome_parse_uint("cpu weight", arg, 1, 10000, &n, &o->err);
		l->cpu_weight = (uint32_t)n;
		break;
	case OPT_PIDS: rc = dome_parse_uint("pids", arg, 1, 4194304, &l->pids, &o->err); break;
	case OPT_AUTOSTART: o->spec.autostart = true; break;
	case OPT_ORDER:
		rc = dome_parse_uint("autostart order", arg, 0, 1000000, &n, &o->err);
		o->spec.autostart_order = (int)n;
		break;
	case OPT_DELAY:
		rc = dome_parse_uint("autostart delay", arg, 0, 3600, &n, &o->err);
		o->spec.autostart_delay = (int)n;
		break;
	case OPT_NET: o->spec.net_mode = arg; break;
	case OPT_IP: o->spec.ipv4 = arg; break;
	case OPT_START: o->spec.start = true; break;
	case OPT_NNP: o->spec.no_new_privs = true; break;
	/* The policy's settings, read by core as `dome set` reads them. */
	case OPT_RESTART: case OPT_RESTART_MAX: case OPT_RESTART_WINDOW:
	case OPT_RESTART_BACKOFF: case OPT_RESTART_BACKOFF_MAX: {
		static const char *const keys[] = { "restart", "restart_max", "restart_window",
						    "restart_backoff", "restart_backoff_max" };
		rc = dome_restart_setting(&o->spec.restart, keys[opt - OPT_RESTART], arg, &o->err);
		break;
	}
	default: return EXIT_USAGE;
	}
	return rc < 0 ? cli_fail(&o->err) : 0;
}

/* Limits stored for a stopped container that the host cannot give (a
 * running one is refused them): said now, not at the next failed start. */
static void warn_unfit(struct dome_ctx *ctx, int rc, const char *name)
{
	struct dome_error err;
	if (rc == 0 && dome_container_fit_host(ctx, name, &err) < 0)
		fprintf(stderr, "dome: warning: %s; '%s' will not start until that changes\n",
			cli_esc(err.msg), name);
}

int verb_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "swap", required_argument, NULL, OPT_SWAP },
		{ "memory-swap", required_argument, NULL, OPT_SWAP },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "cpuset", required_argument, NULL, OPT_CPUSET },
		{ "cpu-weight", required_argument, NULL, OPT_WEIGHT },
		{ "pids", required_argument, NULL, OPT_PIDS },
		{ "autostart", no_argument, NULL, OPT_AUTOSTART },
		{ "autostart-order", required_argument, NULL, OPT_ORDER },
		{ "autostart-delay", required_argument, NULL, OPT_DELAY },
		{ "net", required_argument, NULL, OPT_NET },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "start", no_argument, NULL, OPT_START },
		{ "no-new-privs", no_argument, NULL, OPT_NNP },
		{ "restart", required_argument, NULL, OPT_RESTART },
		{ "restart-max", required_argument, NULL, OPT_RESTART_MAX },
		{ "restart-window", required_argument, NULL, OPT_RESTART_WINDOW },
		{ "restart-backoff", required_argument, NULL, OPT_RESTART_BACKOFF },
		{ "restart-backoff-max", required_argument, NULL, OPT_RESTART_BACKOFF_MAX },
		{ 0 },
	};
	struct create_opts o = { 0 };
	dome_limits_init(&o.spec.limits);
	dome_restart_policy_init(&o.spec.restart);
	int status;
	if (cli_parse(cli, argc, argv, "", opts, on_create_opt, &o, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "create takes exactly one container name");
	o.spec.name = argv[optind];
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	int rc = dome_container_create(ctx, &o.spec, &err);
	status = finish(rc, &err, o.spec.start ? "created and started" : "created", o.spec.name);
	warn_unfit(ctx, rc, o.spec.name);
	return status;
}

/* Verbs that take one container name and call one core function. */
static int name_verb(struct cli *cli, int argc, char **argv,
		     int (*fn)(struct dome_ctx *, const char *, struct dome_error *), const char *done)
{
	const char *name = NULL;
	int status = one_name(cli, argc, argv, &name);
	if (status >= 0)
		return status;
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	return finish(fn(ctx, name, &err), &err, done, name);
}

int verb_start(struct cli *cli, int argc, char **argv)
{
	return name_verb(cli, argc, argv, dome_container_start, "started");
}

struct stop_opts {
	int timeout;
	bool kill;
	struct dome_error err;
};

static int on_stop_opt(int opt, const char *arg, void *data)
{
	struct stop_opts *o = data;
	uint64_t n;
	if (opt == 'k') {
		o->kill = true;
		return 0;
	}
	if (opt == 't') {
		if (dome_parse_uint("timeout", arg, 0, 3600, &n, &o->err) < 0)
			return cli_fail(&o->err);
		o->timeout = (int)n;
		return 0;
	}
	return EXIT_USAGE;
}

int verb_stop(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ 0 },
	};
	struct stop_opts o = { .timeout = -1 };
	int status;
	if (cli_parse(cli, argc, argv, "t:k", opts, on_stop_opt, &o, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "stop takes exactly one container name");
	const char *name = argv[optind];
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	return finish(dome_container_stop(ctx, name, o.timeout, o.kill, &err), &err, "stopped", name);
}

int verb_restart(struct cli *cli, int argc, char **argv)
{
	return name_verb(cli, argc, argv, dome_container_restart, "restarted");
}

static int freeze(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	return dome_container_freeze(ctx, name, true, err);
}

static int thaw(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	return dome_container_freeze(ctx, name, false, err);
}

int verb_freeze(struct cli *cli, int argc, char **argv) { return name_verb(cli, argc, argv, freeze, "froze"); }
int verb_unfreeze(struct cli *cli, int argc, char **argv) { return name_verb(cli, argc, argv, thaw, "thawed"); }

static int on_force_opt(int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt != 'f')
		return EXIT_USAGE;
	*(bool *)data = true;
	return 0;
}

int verb_destroy(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int status;
	if (cli_parse(cli, argc, argv, "f", opts, on_force_opt, &force, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "destroy takes exactly one container name");
	const char *name = argv[optind];
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	return finish(dome_container_destroy(ctx, name, force, &err), &err, "destroyed", name);
}

int verb_clone(struct cli *cli, int argc, char **argv)
{
	int status;
	if (cli_parse(cli, argc, argv, "", NULL, NULL, NULL, &status))
		return status;
	if (argc - optind != 2)
		return cli_usage(cli, "clone takes a source and a new container name");
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	int rc = dome_container_clone(ctx, argv[optind], argv[optind + 1], &err);
	return finish(rc, &err, "cloned into", argv[optind + 1]);
}

int verb_set(struct cli *cli, int argc, char **argv)
{
	int status;
	if (cli_parse(cli, argc, argv, "", NULL, NULL, NULL, &status))
		return status;
	if (argc - optind < 2)
		return cli_usage(cli, "set takes a container name and at least one KEY=VALUE");
	const char *name = argv[optind];
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	int rc = dome_container_set(ctx, name, argv + optind + 1, (size_t)(argc - optind - 1), &err);
	status = finish(rc, &err, "updated", name);
	warn_unfit(ctx, rc, name);
	return status;
}

/* Copy the user's terminal to the container's pty and back, raw, with the
 * window size kept current (SIGWINCH through a signalfd), until the pty's
 * master reads EOF or EIO: every process inside has closed the terminal. */
static void relay_terminal(int master, void *data)
{
	(void)data;
	struct termios saved, raw;
	bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	if (restore) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	sigset_t winch, old;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &old);
	__cleanup_close int sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	struct pollfd p[3] = { { .fd = master, .events = POLLIN },
			       { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = sfd, .events = POLLIN } };
	char buf[4096];
	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof buf);
			if (n <= 0 && !(n < 0 && errno == EINTR))
				break; /* EIO: the last process inside closed it */
			if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		}
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
			if (n <= 0)
				p[1].fd = -1; /* the user's side closed: wait for the inside */
			else if (write(master, buf, (size_t)n) < 0)
				break;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) > 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int verb_exec(struct cli *cli, int argc, char **argv)
{
	int status;
	if (cli_parse(cli, argc, argv, "", NULL, NULL, NULL, &status))
		return status;
	if (optind >= argc)
		return cli_usage(cli, "exec takes a container name");
	const char *name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	int code;
	char *const *cmd = optind < argc ? argv + optind : NULL;
	/* On a terminal, the command gets one of the container's own. */
	struct dome_exec_tty tty = { .term = getenv("TERM"), .relay = relay_terminal };
	int rc = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)
		? dome_container_exec_tty(ctx, name, cmd, &tty, &code, &err)
		: dome_container_exec(ctx, name, cmd, &code, &err);
	if (rc < 0)
		return cli_fail(&err);
	return code; /* the command's own exit status */
}

/* ------------------------------------------------------------------- logs */

struct logs_opts {
	bool follow, raw;
	uint64_t tail;
	struct dome_error err;
};

static int on_logs_opt(int opt, const char *arg, void *data)
{
	struct logs_opts *o = data;
	if (opt == 'f') {
		o->follow = true;
		return 0;
	}
	if (opt == 'R') {
		o->raw = true;
		return 0;
	}
	if (opt == 'n')
		return dome_parse_uint("tail", arg, 0, 10000000, &o->tail, &o->err) < 0
			       ? cli_fail(&o->err) : 0;
	return EXIT_USAGE;
}

/* The log as the container wrote it (--raw, never to a terminal), or
 * through stdout, which shows its control characters escaped. */
static void put_log(const char *buf, size_t n, bool raw)
{
	if (!raw) {
		fwrite(buf, 1, n, stdout);
		return;
	}
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* Print the last `tail` lines of fd (all when tail is UINT64_MAX). */
static void print_tail(int fd, uint64_t tail, bool raw)
{
	off_t size = lseek(fd, 0, SEEK_END);
	off_t start = 0;
	if (tail != UINT64_MAX && size > 0) {
		char buf[4096];
		uint64_t lines = 0;
		off_t pos = size;
		while (pos > 0 && lines <= tail) {
			off_t chunk = pos >= (off_t)sizeof buf ? (off_t)sizeof buf : pos;
			pos -= chunk;
			if (pread(fd, buf, (size_t)chunk, pos) != chunk)
				break;
			for (off_t i = chunk - 1; i >= 0; i--) {
				if (buf[i] == '\n' && !(pos + i == size - 1) && ++lines > tail) {
					start = pos + i + 1;
					break;
				}
			}
		}
	}
	lseek(fd, start, SEEK_SET);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		put_log(buf, (size_t)n, raw);
	fflush(stdout);
}

int verb_logs(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'R' },
		{ 0 },
	};
	struct logs_opts o = { .tail = UINT64_MAX };
	int status;
	if (cli_parse(cli, argc, argv, "fn:", opts, on_logs_opt, &o, &status))
		return status;
	if (optind + 1 != argc)
		return cli_usage(cli, "logs takes exactly one container name");
	/* Raw bytes would let the container drive the operator's terminal. */
	if (o.raw && isatty(STDOUT_FILENO))
		return cli_usage(cli, "--raw writes the log's bytes unescaped, so only to a pipe or a "
				 "file, not to a terminal");
	const char *name = argv[optind];
	struct dome_ctx *ctx = open_or_fail(cli, &status);
	if (!ctx)
		return status;
	struct dome_error err;
	struct dome_container c;
	if (dome_inv_get(ctx->store, name, &c, &err) < 0)
		return cli_fail(&err);
	char path[4096];
	dome_container_log_path(ctx, name, path, sizeof path);
	__cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !o.follow)
			return EXIT_OK; /* never started: nothing logged yet */
		if (errno != ENOENT) {
			dome_fail(&err, errno, "cannot read %s", path);
			return cli_fail(&err);
		}
	}
	if (fd >= 0)
		print_tail(fd, o.tail, o.raw);
	while (o.follow) {
		/* Poll for growth and for rotation (a new file at the path). */
		usleep(200 * 1000);
		struct stat st_path, st_fd;
		if (stat(path, &st_path) == 0 && (fd < 0 || (fstat(fd, &st_fd) == 0 &&
							   st_fd.st_ino != st_path.st_ino))) {
			if (fd >= 0)
				print_tail(fd, 0, o.raw), close(fd);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				print_tail(fd, UINT64_MAX, o.raw);
			continue;
		}
		char buf[65536];
		ssize_t n;
		while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
			put_log(buf, (size_t)n, o.raw);
		fflush(stdout);
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ image */

int verb_image(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2)
			printf("Usage: dome image ls [--json] | dome image rm NAME\n");
		return argc >= 2 ? EXIT_OK : cli_usage(cli, "image needs ls or rm");
	}
	const char *sub = argv[1];
	int status;
	struct dome_error err;
	if (strcmp(sub, "ls") == 0) {
		bool json = argc == 3 && strcmp(argv[2], "--json") == 0;
		if (argc > 3 || (argc == 3 && !json))
			return cli_usage(cli, "image ls takes only --json");
		struct dome_ctx *ctx = open_or_fail(cli, &status);
		if (!ctx)
			return status;
		/* The built-in image is listed once it exists; make it on the
		 * first writable listing so a new host shows what it can run. */
		struct dome_image bb;
		if (!ctx->readonly && dome_image_get(ctx, DOME_BUSYBOX_IMAGE, &bb, &err) < 0)
			return cli_fail(&err);
		__cleanup_free struct dome_image *list = NULL;
		size_t n;
		if (dome_image_list(ctx->store, &list, &n, &err) < 0)
			return cli_fail(&err);
		if (json) {
			json_t *arr = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, dome_image_json(&list[i]));
			return cli_print_json(arr);
		}
		printf("%-20s %8s %6s %-8s %s\n", "NAME", "SIZE", "USERS", "ARCH", "INIT");
		for (size_t i = 0; i < n; i++) {
			char size[16];
			dome_format_size(list[i].size_bytes, size, sizeof size);
			printf("%-20s %8s %6d %-8s %s\n", list[i].name, size, list[i].users, list[i].arch,
			       list[i].init_cmd);
		}
		return EXIT_OK;
	}
	if (strcmp(sub, "rm") == 0) {
		if (argc != 3)
			return cli_usage(cli, "image rm takes exactly one image name");
		struct dome_ctx *ctx = open_or_fail(cli, &status);
		if (!ctx)
			return status;
		return finish(dome_image_remove(ctx, argv[2], &err), &err, "removed image", argv[2]);
	}
	return cli_usage(cli, "unknown image command '%s' (ls, rm)", sub);
}
