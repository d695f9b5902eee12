#include "runtime.h"
#include "restart.h"
#include "cgroup.h"
#include "container.h"
#include "owner.h"
#include "cleanup.h"
#include "fault.h"
#include "fsutil.h"
#include "image.h"
#include "limit_events.h"
#include "names.h"
#include "net.h"
#include "poweroff.h"
#include "proc.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <net/if.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's argument (struct clone_args in linux/sched.h, which clashes with
 * glibc's <sched.h>), up to the cgroup field (CLONE_ARGS_SIZE_VER2). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* ------------------------------------------------------------------ locks */

/* The lock file of container `name` under the runtime dir `rundir`. The
 * monitor takes it before it has a context, so this needs none. */
static int lock_container_in(const char *rundir, const char *name, int wait_ms,
			     struct dome_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (dome_pathf(dir, sizeof dir, "%s/locks", rundir) < 0 ||
	    dome_pathf(path, sizeof path, "%s/%s", dir, name) < 0)
		return dome_fail(err, ENAMETOOLONG, "runtime directory path");
	if (dome_mkdir_p(dir, 0700, err) < 0)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return dome_fail(err, errno, "cannot open the lock %s", path);
	/* Wait a bounded time: another dome working on the same container
	 * finishes in seconds; a stuck one should not hang this one forever.
	 * Look again soon, then back off: most holders (a monitor checking
	 * a row) are done in a millisecond. */
	int waited = 0;
	for (int step = 1;; step = step < 100 ? step * 2 : 100) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK) {
			close(fd);
			return dome_fail(err, errno, "cannot lock container '%s'", name);
		}
		if (waited >= wait_ms)
			break;
		usleep((useconds_t)step * 1000);
		waited += step;
	}
	close(fd);
	return dome_fail(err, EWOULDBLOCK, "container '%s' is busy: another dome is changing it; "
			 "retry when it is done", name);
}

static int lock_container(struct dome_ctx *ctx, const char *name, int wait_ms, struct dome_error *err)
{
	return lock_container_in(ctx->cfg.runtime_dir, name, wait_ms, err);
}

int dome_lock_container(struct dome_ctx *ctx, const char *name, struct dome_error *err)
{
	return lock_container(ctx, name, 30000, err);
}

int dome_lock_container_within(struct dome_ctx *ctx, const char *name, int wait_ms,
			       struct dome_error *err)
{
	return lock_container(ctx, name, wait_ms, err);
}

void dome_unlock_container(int fd)
{
	if (fd >= 0)
		close(fd); /* closing releases the flock */
}

/* --------------------------------------------------------------- helpers */

static int pidfd_open_checked(pid_t pid, int64_t start)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	/* Opened first, checked second: the fd pins this exact process, and
	 * the start time proves it is the one we recorded. */
	if (!dome_proc_alive(pid, start)) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

/* Wait until the process behind pidfd exits; true when it did in time. */
static bool wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	for (;;) {
		int rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc > 0;
	}
}

bool dome_runtime_alive(const struct dome_container *c)
{
	return c->pid > 0 && dome_proc_alive((pid_t)c->pid, c->pid_start);
}

bool dome_runtime_wait_monitor(const struct dome_container *c, int timeout_ms)
{
	if (c->monitor_pid <= 0)
		return true;
	int fd = pidfd_open_checked((pid_t)c->monitor_pid, c->monitor_start);
	if (fd < 0)
		return true; /* already gone (or another process now) */
	bool gone = wait_pidfd(fd, timeout_ms);
	close(fd);
	return gone;
}

static void container_dir(struct dome_ctx *ctx, const char *name, const char *sub, char *out,
			  size_t len)
{
	dome_pathf(out, len, "%s/containers/%s/%s", ctx->cfg.root, name, sub);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ------------------------------------------- recording a run's end, once
 *
 * When a run ends, one process must record it (dome_runtime_cleanup: cgroup
 * removed, row stopped with init's exit status, events) and only one. Only
 * the monitor, init's parent, can learn the exit status (wait). Any dome
 * holding the container's lock may do the recording; the order is:
 *   1. The monitor reaps init and at once publishes the status in
 *      <runtime_dir>/exit/NAME ("PID START STATUS", renamed into place),
 *      before anything slow (opening the store).
 *   2. A dome holding the lock that finds init dead (a stop that killed it,
 *      or any verb: dome_runtime_settle) waits for that file, or for the
 *      monitor to be gone (status unknown), and records the end itself
 *      with the status. dome_runtime_cleanup removes the file last.
 *   3. Meanwhile the monitor tries the lock without waiting. While the
 *      lock is held it waits for the file to go (that holder recorded the
 *      end: the monitor exits, touching nothing) or for the lock to come
 *      free. With the lock, it records the end itself (init exited or
 *      crashed with no dome around), unless the file went meanwhile.
 * Whoever records does it under the lock, and only while the row still names
 * this run (pid and start time): after the first recording it names none, so
 * there is no second. The stopping dome thus never waits for the monitor to
 * open the store and clean up (what made a kill stop slow), only for the
 * status, which the monitor writes within a fraction of a millisecond. */

static int exit_file(const char *rundir, const char *name, char *out, size_t len)
{
	return dome_pathf(out, len, "%s/exit/%s", rundir, name);
}

/* The monitor's step 1. Not synced: the runtime dir is tmpfs (/run/dome), and
 * after a crash the run is settled by reconcile anyway. */
static void publish_exit(const char *rundir, const char *name, pid_t pid, int64_t start, int status)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], line[64];
	struct dome_error ignored;
	if (dome_pathf(dir, sizeof dir, "%s/exit", rundir) < 0 ||
	    exit_file(rundir, name, path, sizeof path) < 0 ||
	    dome_pathf(tmp, sizeof tmp, "%s.tmp", path) < 0 || dome_mkdir_p(dir, 0700, &ignored) < 0)
		return;
	int n = snprintf(line, sizeof line, "%d %lld %d\n", (int)pid, (long long)start, status);
	__cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && write_all(fd, line, (size_t)n) == 0)
		rename(tmp, path);
}

/* The status published for the run (pid, start): 1 when there is one. */
static int read_exit(const char *rundir, const char *name, pid_t pid, int64_t start, int *status)
{
	char path[PATH_MAX], line[64];
	int p, st;
	long long s;
	if (exit_file(rundir, name, path, sizeof path) < 0 || dome_read_small(path, line, sizeof line) <= 0 ||
	    sscanf(line, "%d %lld %d", &p, &s, &st) != 3 || p != pid || s != start)
		return 0;
	*status = st;
	return 1;
}

/* Step 2: init's exit status, once its monitor published it; -1 (unknown)
 * when the monitor is gone without publishing or after timeout_ms. The
 * monitor publishes within a fraction of a millisecond of init's death, so
 * look again after 50 us and back off. (Not inotify: closing a watch waits
 * for an SRCU grace period, 10-20 ms here.) */
static int await_exit_status(struct dome_ctx *ctx, const struct dome_container *c, int timeout_ms)
{
	const char *rundir = ctx->cfg.runtime_dir;
	__cleanup_close int mon = c->monitor_pid > 0
		? pidfd_open_checked((pid_t)c->monitor_pid, c->monitor_start) : -1;
	int64_t deadline = dome_now_ms() + timeout_ms;
	int status = -1;
	for (useconds_t step = 50;; step = step < 5000 ? step * 2 : 5000) {
		if (read_exit(rundir, c->name, (pid_t)c->pid, c->pid_start, &status))
			return status;
		if (mon < 0 || dome_now_ms() > deadline)
			return -1;
		if (wait_pidfd(mon, 0)) {
			/* gone: it published before leaving, or never will */
			close(mon);
			mon = -1;
			continue;
		}
		usleep(step);
	}
}

int dome_runtime_settle(struct dome_ctx *ctx, struct dome_container *c, struct dome_error *err)
{
	int status = await_exit_status(ctx, c, 10000);
	/* A monitor of an older dome records the end itself without the
	 * lock: the row may be settled already. */
	struct dome_container now;
	int found = dome_inv_find(ctx->store, c->name, &now, err);
	if (found < 0)
		return -1;
	if (found == 1 && (now.pid != c->pid || now.pid_start != c->pid_start)) {
		*c = now;
		return 0;
	}
	__cleanup_close int mon = c->monitor_pid > 0
		? pidfd_open_checked((pid_t)c->monitor_pid, c->monitor_start) : -1;
	int rc = dome_runtime_cleanup(ctx, c, status, err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return 0; /* not recorded: the monitor stays with its status */
	/* The monitor, which published the status, leaves once the file is
	 * gone (step 3); SIGUSR1 (blocked in it, see dome_monitor_main) wakes
	 * it to look at once. Wait for it, so that nothing of the run is left
	 * when this returns. A monitor of an older dome never published and
	 * would die of SIGUSR1: it is not signalled. */
	if (mon >= 0 && status >= 0 &&
	    syscall(SYS_pidfd_send_signal, mon, SIGUSR1, NULL, 0) == 0)
		wait_pidfd(mon, 1000);
	return 0;
}

/* ------------------------------------------------ the container's init (C) */

struct child_args {
	const char *name;
	const char *lower, *upper, *work, *rootfs;
	const char *console;    /* host path of the console pty slave */
	const char *names_dir;  /* holds hosts, resolv.conf, hostname (names.h) */
	const char *init;
	bool no_new_privs;
	bool own_netns;         /* lo is ours to bring up */
	int go_fd;              /* SYNC_GO: our end of a socket pair */
	int err_fd;             /* SYNC_EXECED: write end, close-on-exec */
	int notify_fd;          /* to M: the reboot(2) listener (poweroff.h) */
	struct dome_cgroup *cg; /* C moves itself in (dome_cgroup_attach_self) */
	bool in_unified;        /* cloned into the cgroup2 dir already */
	size_t ncgmounts;       /* its /sys/fs/cgroup (dome_cgroup_ns_mounts) */
	struct dome_cgroup_ns_mount cgmounts[DOME_CG_NS_MOUNTS_MAX];
};

/* Capabilities kept in the bounding set; every other one is dropped before
 * init runs (documented in dome(1)). Notably gone: sys_admin (no mounts),
 * sys_module, sys_rawio, sys_time, sys_boot, mac_admin, mac_override,
 * sys_ptrace, mknod, net_admin, syslog, bpf, perfmon. */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
	CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT, CAP_AUDIT_WRITE,
	CAP_SETFCAP,
};

static __attribute__((noreturn)) void child_fail(const struct child_args *a, const char *step,
						  int errnum)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s: %s", step, strerror(errnum));
	if (n > 0)
		write_all(a->err_fd, msg, (size_t)n);
	_exit(127);
}

/* Every path under the container's root is resolved inside it
 * (dome_open_in_root): an image's `dev -> /tmp` or `etc -> /etc` must not
 * land a mount or a file on the host's directory. mount(2) then acts on
 * the descriptor's own file through /proc/self/fd. */
static int mount_at(const char *root, const char *rel, const char *src, const char *type,
		    unsigned long flags, const char *data)
{
	__cleanup_close int fd = dome_open_in_root(root, rel, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	char path[32];
	dome_fd_path(fd, path);
	return mount(src, path, type, flags, data);
}

/* Bind `src` (a host path of dome's) over the file `rel` in the root,
 * created (empty, `mode`) when missing and `create`. 1 when there is no
 * such file (or no directory for it) and it was not made. */
static int bind_file_at(const char *root, const char *rel, const char *src, bool create, mode_t mode)
{
	/* O_NONBLOCK: an image's FIFO in the way fails the start, never hangs it. */
	__cleanup_close int fd = dome_open_in_root(root, rel,
						   create ? O_CREAT | O_WRONLY | O_NONBLOCK : O_PATH, mode);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	char path[32];
	dome_fd_path(fd, path);
	return mount(src, path, NULL, MS_BIND, NULL);
}

static int make_dev(const char *root)
{
	static const struct { const char *name; unsigned maj, min; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	if (mount_at(root, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536") < 0)
		return -1;
	/* The tmpfs just mounted, wherever the image's dev leads inside. */
	__cleanup_close int dev = dome_open_in_root(root, "dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		return -1;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(nodes); i++) {
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return -1;
		fchmodat(dev, nodes[i].name, 0666, 0); /* umask must not narrow them */
	}
	static const char *const dirs[] = { "pts", "shm" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(dirs); i++)
		if (mkdirat(dev, dirs[i], 0755) < 0)
			return -1;
	if (mount_at(root, "dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -1;
	if (mount_at(root, "dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=67108864") < 0)
		return -1;
	static const struct { const char *target, *link; } links[] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	for (size_t i = 0; i < DOME_ARRAY_SIZE(links); i++)
		if (symlinkat(links[i].target, dev, links[i].link) < 0)
			return -1;
	return 0;
}

/* Bind the files dome keeps current over the image's /etc copies. */
static int bind_names(const char *root, const char *names_dir)
{
	static const char *const files[] = { "hosts", "resolv.conf", "hostname" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(files); i++) {
		char src[PATH_MAX], rel[32];
		if (dome_pathf(src, sizeof src, "%s/%s", names_dir, files[i]) < 0 ||
		    dome_pathf(rel, sizeof rel, "etc/%s", files[i]) < 0)
			return -1;
		if (access(src, F_OK) < 0)
			continue;
		/* An image without the file gets one (in its upper layer); an
		 * image with no /etc at all has nothing to bind over. */
		if (bind_file_at(root, rel, src, true, 0644) < 0)
			return -1;
	}
	return 0;
}

static int bind_console(const char *root, const char *console)
{
	return bind_file_at(root, "dev/console", console, true, 0600) == 0 ? 0 : -1;
}

/* /run and /run/lock as tmpfs, as a full init expects them (and mounts them
 * itself only with CAP_SYS_ADMIN, which it does not get), and
 * /run/systemd/container naming the manager (systemd.io/CONTAINER_INTERFACE).
 * An image without /run gets none: nothing of it is made in its tree. */
static int mount_run(const char *root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/run", root);
	if (access(path, F_OK) < 0)
		return 0;
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=20%,nr_inodes=65536") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/run/lock", root);
	if (mkdir(path, 0755) < 0 ||
	    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=5242880") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/run/systemd", root);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/run/systemd/container", root);
	__cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	return fd < 0 || write_all(fd, "dome\n", 5) < 0 ? -1 : 0;
}

/* The container's own cgroup2 dir is the root of its cgroup2 mount, where
 * root inside may write its limit files: the kernel refuses that only under
 * nsdelegate, a mount option of the host's. So its controllers' writable
 * files there (memory.max, pids.max, cpu.max, ...; not the *.pressure
 * triggers) are bound read-only over themselves; cgroup.* stays writable,
 * systemd delegates from it. */
static int protect_cgroup_root(const char *dir)
{
	static const char *const ctrls[] = { "memory.", "pids.", "cpu.", "cpuset.", "io.",
					     "hugetlb.", "rdma.", "misc." };
	__cleanup_closedir DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		bool limit = false;
		for (size_t i = 0; i < DOME_ARRAY_SIZE(ctrls) && !limit; i++)
			limit = strncmp(de->d_name, ctrls[i], strlen(ctrls[i])) == 0;
		size_t len = strlen(de->d_name);
		if (!limit || (len > 9 && strcmp(de->d_name + len - 9, ".pressure") == 0))
			continue;
		char path[PATH_MAX];
		struct stat st;
		if (dome_pathf(path, sizeof path, "%s/%s", dir, de->d_name) < 0 ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0200))
			continue;
		if (mount(path, path, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			return -1;
	}
	return 0;
}

/* /sys/fs/cgroup from inside the cgroup namespace (dome_cgroup_ns_mounts):
 * a v1 or hybrid layout on a tmpfs made read-only once it is filled, the
 * controllers read-only, the delegated hierarchies writable. */
static int mount_cgroups(const struct child_args *a)
{
	char base[PATH_MAX], path[PATH_MAX];
	const unsigned long common = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	snprintf(base, sizeof base, "%s/sys/fs/cgroup", a->rootfs);
	if (a->ncgmounts == 1 && !a->cgmounts[0].dir[0])
		return mount("cgroup2", base, "cgroup2", common, NULL) < 0 ? -1
			: protect_cgroup_root(base);
	if (a->ncgmounts == 0)
		return 0;
	if (mount("tmpfs", base, "tmpfs", common, "mode=755,size=65536") < 0)
		return -1;
	for (size_t i = 0; i < a->ncgmounts; i++) {
		const struct dome_cgroup_ns_mount *m = &a->cgmounts[i];
		if (dome_pathf(path, sizeof path, "%s/%s", base, m->dir) < 0)
			return -1;
		if (!m->fstype[0]) {
			if (symlink(m->link, path) < 0)
				return -1;
			continue;
		}
		if (mkdir(path, 0755) < 0 ||
		    mount("cgroup", path, m->fstype, common | (m->writable ? 0 : MS_RDONLY),
			  m->opts[0] ? m->opts : NULL) < 0)
			return -1;
		if (m->writable && strcmp(m->fstype, "cgroup2") == 0 && protect_cgroup_root(path) < 0)
			return -1;
	}
	return mount(NULL, base, NULL, MS_REMOUNT | MS_RDONLY | common, "mode=755,size=65536");
}

/* Paths of /proc a container must not write (or read, for the masked ones). */
static int protect_proc(const char *root)
{
	static const char *const readonly[] = { "proc/sys", "proc/sysrq-trigger", "proc/bus",
						 "proc/fs", "proc/irq" };
	static const char *const masked[] = { "proc/kcore", "proc/keys", "proc/timer_list",
					       "proc/sched_debug", "proc/latency_stats" };
	char path[32];
	for (size_t i = 0; i < DOME_ARRAY_SIZE(readonly); i++) {
		__cleanup_close int fd = dome_open_in_root(root, readonly[i], O_PATH, 0);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		dome_fd_path(fd, path);
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
			return -1;
		/* The remount is of the bind just made: look the path up again. */
		__cleanup_close int bound = dome_open_in_root(root, readonly[i], O_PATH, 0);
		if (bound < 0)
			return -1;
		dome_fd_path(bound, path);
		if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0)
			return -1;
	}
	__cleanup_close int devnull = dome_open_in_root(root, "dev/null", O_PATH, 0);
	if (devnull < 0)
		return -1;
	char null_path[32];
	dome_fd_path(devnull, null_path);
	for (size_t i = 0; i < DOME_ARRAY_SIZE(masked); i++)
		if (bind_file_at(root, masked[i], null_path, false, 0) < 0)
			return -1;
	return 0;
}

int dome_runtime_drop_caps(void)
{
	char buf[16];
	int last = CAP_LAST_CAP;
	if (dome_read_small("/proc/sys/kernel/cap_last_cap", buf, sizeof buf) > 0)
		last = atoi(buf);
	for (int cap = 0; cap <= last; cap++) {
		bool keep = false;
		for (size_t i = 0; i < DOME_ARRAY_SIZE(kept_caps); i++)
			keep |= kept_caps[i] == cap;
		if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	return 0;
}

/* lo up in the container's own network namespace: one ioctl from inside
 * instead of a netlink session entered from P. */
static int loopback_up(void)
{
	__cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strlcpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/* C builds its root while P sets up what it needs from outside (the veth),
 * then waits for SYNC_GO before it joins its v1 cgroups: a C whose P died
 * meanwhile leaves at SYNC_GO (EOF) having joined nothing but the cgroup2
 * dir it was born in, which P's cleanup or dome's reconcile removes once it
 * is gone (dome_cg_rmdir waits out EBUSY). */
/* Close every inherited descriptor but stdio and the two kept ones. */
/* Close every descriptor from 3 up but the `n` (at most 4) in `keep`. */
static void close_all_but(const int *keep, size_t n)
{
	int sorted[4];
	size_t k = 0;
	for (size_t i = 0; i < n && k < DOME_ARRAY_SIZE(sorted); i++, k++) {
		size_t j = k;
		for (; j > 0 && sorted[j - 1] > keep[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = keep[i];
	}
	unsigned int from = 3;
	for (size_t i = 0; i < k; i++) {
		if (sorted[i] < (int)from)
			continue; /* stdio, or a repeat */
		if ((unsigned int)sorted[i] > from)
			syscall(SYS_close_range, from, sorted[i] - 1, 0);
		from = (unsigned int)sorted[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

static __attribute__((noreturn)) void child_main(const struct child_args *a)
{
	/* First: P's container lock must not be held here. A C whose P died
	 * builds on for a few milliseconds before it learns that at SYNC_GO,
	 * and meanwhile the lock would keep `dome` from cleaning up. */
	const int keep[] = { a->go_fd, a->err_fd, a->notify_fd };
	close_all_but(keep, DOME_ARRAY_SIZE(keep));
	/* Init starts with no signal blocked or ignored, whoever started it (a
	 * monitor restarting its container blocks and ignores some). */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(a, "making mounts private", errno);
	char opts[PATH_MAX * 3 + 64];
	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", a->lower, a->upper, a->work);
	/* nodev: a device node in the layers (an image made before dome left
	 * them out, tarball.h) opens nothing, in the container nor through
	 * /proc/PID/root from the host, whose users the devices controller does
	 * not hold; the container's /dev is its own tmpfs. (setuid needs no
	 * flag: the kernel treats another namespace's mount as nosuid.) */
	if (mount("overlay", a->rootfs, "overlay", MS_NODEV, opts) < 0)
		child_fail(a, "mounting the overlay root", errno);
	if (mount_at(a->rootfs, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(a, "mounting /proc", errno);
	if (mount_at(a->rootfs, "sys", "sysfs", "sysfs",
		     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(a, "mounting /sys read-only", errno);
	if (make_dev(a->rootfs) < 0)
		child_fail(a, "populating /dev", errno);
	if (bind_console(a->rootfs, a->console) < 0)
		child_fail(a, "binding /dev/console", errno);
	if (bind_names(a->rootfs, a->names_dir) < 0)
		child_fail(a, "binding /etc/hosts, resolv.conf and hostname", errno);
	if (protect_proc(a->rootfs) < 0)
		child_fail(a, "protecting /proc", errno);
	if (mount_run(a->rootfs) < 0)
		child_fail(a, "mounting /run", errno);
	if (a->own_netns && loopback_up() < 0)
		child_fail(a, "bringing lo up", errno);

	/* SYNC_GO: P has given us our network. A closed socket without the
	 * byte means P gave up: just leave. */
	char go;
	if (read_full(a->go_fd, &go, 1) != 1)
		_exit(126);
	close(a->go_fd);
	/* Into the cgroup, limits already set, before anything of the image
	 * runs. This process is single-threaded, so it moves itself without
	 * the kernel's global lock and its RCU grace period (cgroup.h): a
	 * move by P took 10-20 ms, most of a start (bench/README.md). */
	struct dome_error cg_err;
	if (dome_cgroup_attach_self(a->cg, a->in_unified, &cg_err) < 0) {
		write_all(a->err_fd, cg_err.msg, strlen(cg_err.msg));
		_exit(127);
	}
	/* The cgroup namespace is made now, after the attach, so its root is
	 * the container's own cgroup. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(a, "creating the cgroup namespace", errno);
	if (mount_cgroups(a) < 0)
		child_fail(a, "mounting /sys/fs/cgroup", errno);

	/* pivot_root(".", ".") stacks the old root under the new one; the
	 * detach then drops it without needing a directory in the image. */
	if (chdir(a->rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(a, "pivot_root into the container root", errno);
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		child_fail(a, "detaching the host root", errno);
	if (sethostname(a->name, strlen(a->name)) < 0)
		child_fail(a, "setting the hostname", errno);

	/* The console pty becomes init's controlling terminal and stdio. */
	int con = open("/dev/console", O_RDWR | O_NOCTTY);
	if (con < 0)
		child_fail(a, "opening /dev/console", errno);
	if (setsid() < 0 || ioctl(con, TIOCSCTTY, 0) < 0)
		child_fail(a, "making /dev/console the controlling terminal", errno);
	if (dup2(con, 0) < 0 || dup2(con, 1) < 0 || dup2(con, 2) < 0)
		child_fail(a, "redirecting stdio to the console", errno);
	if (con > 2)
		close(con);
	if (dome_runtime_drop_caps() < 0)
		child_fail(a, "dropping capabilities", errno);
	if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a, "setting no_new_privs", errno);
	/* The monitor answers the container's reboot(2) (poweroff.h). Still
	 * root with every effective capability here, so no no_new_privs is
	 * needed for the filter. Without one, nothing changes. */
	int listener = dome_poweroff_listen();
	if (listener >= 0) {
		dome_fd_send(a->notify_fd, listener);
		close(listener);
	}
	close(a->notify_fd);
	/* Every inherited descriptor but stdio goes at exec; the error pipe
	 * stays usable until then and its closing tells P the exec worked. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(a, "closing inherited descriptors", errno);
	char *const argv[] = { (char *)a->init, NULL };
	char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			       "TERM=linux", "HOME=/root", "container=dome", NULL };
	execve(a->init, argv, envp);
	child_fail(a, "executing the image's init", errno);
}

/* ----------------------------------------------------------- the monitor (M) */

struct monitor_args {
	const char *exe;
	const char *root, *prefix, *bridge, *name, *rundir;
	char log_max[32];
	int pty_master;
	int cloned_fd;          /* SYNC_CLONED: write end */
	int notify_fd;          /* from C: the reboot(2) listener */
	int cgroup_fd;          /* cgroup2 dir for CLONE_INTO_CGROUP, or -1 */
	bool new_netns;
	struct child_args child;
};

static __attribute__((noreturn)) void monitor_fork_main(struct monitor_args *m)
{
	/* Forked twice so M is not P's child: a long-lived P (the console)
	 * never collects monitors as zombies. Its own session: M survives the
	 * console, the CLI and the SSH login exiting. */
	pid_t mid = fork();
	if (mid < 0) {
		int32_t msg[3] = { -1, errno, 0 };
		write_all(m->cloned_fd, msg, sizeof msg);
		_exit(1);
	}
	if (mid > 0)
		_exit(0);
	setsid();
	int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	if (m->new_netns)
		flags |= CLONE_NEWNET;
	/* Born in its cgroup2 dir where there is one: no migration there. An
	 * older kernel without CLONE_INTO_CGROUP: C moves itself instead. */
	pid_t c = -1;
	if (m->cgroup_fd >= 0) {
		struct clone3_args ca = { .flags = (uint64_t)flags | CLONE_INTO_CGROUP,
					  .exit_signal = SIGCHLD, .cgroup = (uint64_t)m->cgroup_fd };
		m->child.in_unified = true;
		c = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	}
	if (c < 0) {
		m->child.in_unified = false;
		c = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	}
	if (c < 0) {
		int32_t msg[3] = { -1, errno, 0 };
		write_all(m->cloned_fd, msg, sizeof msg);
		_exit(1);
	}
	if (c == 0) {
		close(m->pty_master);
		close(m->cloned_fd);
		close(m->notify_fd);
		child_main(&m->child);
	}
	close(m->child.go_fd);
	close(m->child.err_fd);
	close(m->child.notify_fd);
	int32_t msg[3] = { c, 0, (int32_t)getpid() };
	write_all(m->cloned_fd, msg, sizeof msg); /* SYNC_CLONED */
	close(m->cloned_fd);
	/* Exec the slim monitor: a fresh image, so the monitor does not carry
	 * the memory of the process that started it. The pty master is fd 3,
	 * the socket C sends its reboot(2) listener on fd 4 (moved out of the
	 * way first, as either may be 3 or 4 now). */
	int notify = fcntl(m->notify_fd, F_DUPFD_CLOEXEC, 10);
	if (notify < 0 || dup2(m->pty_master, 3) < 0 || dup2(notify, 4) < 0)
		_exit(1);
	syscall(SYS_close_range, 5, ~0U, 0);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 3)
			close(devnull);
	}
	char pid_s[16];
	snprintf(pid_s, sizeof pid_s, "%d", (int)c);
	char *const argv[] = { "dome-monitor", "__monitor", (char *)m->root, (char *)m->prefix,
			       (char *)m->bridge, (char *)m->name, pid_s, m->log_max,
			       (char *)m->rundir, NULL };
	execv(m->exe, argv);
	_exit(1);
}

/* ---------------------------------------------------------- start, from P */

struct start_state {
	pid_t monitor, init;
	int64_t monitor_start, init_start;
	struct dome_cgroup *cg;
	bool leased, net_done;
};


/* Undo a failed start in reverse order of what was made. */
static void undo_start(struct dome_ctx *ctx, struct dome_container *c, struct start_state *s)
{
	struct dome_error ignored;
	if (s->monitor > 0 && dome_proc_alive(s->monitor, s->monitor_start))
		kill(s->monitor, SIGKILL); /* M first, so it cannot race the cleanup */
	/* C may be in the cgroup2 dir only (it joins the v1 dirs after
	 * SYNC_GO), out of reach of a v1 sweep. */
	if (s->init > 0 && dome_proc_alive(s->init, s->init_start))
		kill(s->init, SIGKILL);
	if (s->cg) {
		dome_cgroup_kill_all(s->cg, &ignored);
		dome_cgroup_destroy(s->cg, &ignored);
		dome_cgroup_free(s->cg);
		s->cg = NULL;
	}
	if (s->net_done)
		dome_net_teardown(ctx, c, &ignored);
	if (s->leased)
		dome_net_release(ctx, c->id, &ignored);
	snprintf(c->state, sizeof c->state, "stopped");
	c->pid = c->monitor_pid = 0;
	dome_inv_update_runtime(ctx->store, c, &ignored);
	dome_names_refresh(ctx, s->leased ? NULL : c->name, &ignored);
}

/* The monitor program: next to the running dome (a build tree, or tests
 * naming their dome with DOME_EXE), else where `make install` puts it. */
static int resolve_monitor(char *out, size_t len, struct dome_error *err)
{
	char self[PATH_MAX];
	const char *env = getenv("DOME_EXE");
	if (env && env[0]) {
		if (strlcpy(self, env, sizeof self) >= sizeof self)
			return dome_invalid(err, "DOME_EXE is too long");
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0)
			return dome_fail(err, errno, "cannot find the dome binary");
		self[n] = '\0';
	}
	char *slash = strrchr(self, '/');
	if (slash) {
		*slash = '\0';
		if (dome_pathf(out, len, "%s/dome-monitor", self) == 0 && access(out, X_OK) == 0)
			return 0;
	}
	if (dome_pathf(out, len, "%s/dome-monitor", DOME_LIBEXECDIR) == 0 && access(out, X_OK) == 0)
		return 0;
	return dome_fail(err, ENOENT, "cannot find the dome-monitor program next to %s or in %s; "
			 "reinstall dome", self, DOME_LIBEXECDIR);
}

static int check_overlay_path(const char *what, const char *p, struct dome_error *err)
{
	/* overlay options are comma and colon separated */
	if (strpbrk(p, ",:\\"))
		return dome_invalid(err, "the %s path %s has a ',', ':' or '\\', which overlayfs cannot take",
				    what, p);
	return 0;
}

static int open_console(int *master, char *slave, size_t len, struct dome_error *err)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, slave, len) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return dome_fail(err, e, "cannot allocate a console pty");
	}
	*master = fd;
	return 0;
}

/* A container of an image with /etc/machine-id gets one of its own, made at
 * its first start and kept in its upper layer: containers of one image must
 * not share the id (journald and D-Bus key on it), and systemd could only
 * make a transient one itself, anew at each boot. */
static int give_machine_id(const char *image, const char *upper, struct dome_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	if (dome_pathf(path, sizeof path, "%s/etc/machine-id", image) < 0 || access(path, F_OK) < 0)
		return 0;
	if (dome_pathf(dir, sizeof dir, "%s/etc", upper) < 0 ||
	    dome_pathf(path, sizeof path, "%s/etc/machine-id", upper) < 0)
		return dome_invalid(err, "container path too long");
	struct stat st;
	if (lstat(path, &st) == 0)
		return 0;
	uint8_t raw[16];
	char hex[34];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return dome_fail(err, errno, "cannot make a machine id");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	hex[32] = '\n';
	hex[33] = '\0';
	/* The upper's /etc takes the image's mode (0755, root), as overlayfs
	 * would make it on a copy-up. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return dome_fail(err, errno, "cannot create %s", dir);
	return dome_write_file(path, hex, 33, 0444, err);
}

void dome_runtime_drop_machine_id(const char *upper)
{
	char path[PATH_MAX];
	if (dome_pathf(path, sizeof path, "%s/etc/machine-id", upper) == 0)
		unlink(path);
}

/* Done by P while M clones C and C mounts its root; none of it is used by
 * C before SYNC_GO. Limits are in place before anything of the image runs:
 * C joins the v1 dirs, and execs, only after SYNC_GO. */
static int prepare_while_cloning(struct dome_ctx *ctx, struct dome_container *c,
				 struct start_state *s, bool bridged, uint32_t *addr,
				 struct dome_error *err)
{
	if (dome_cgroup_create_rest(s->cg, true, err) < 0 ||
	    dome_cgroup_apply_limits(s->cg, &c->limits, err) < 0) {
		dome_error_prefix(err, "setting up the cgroup");
		return -1;
	}
	dome_fault_point("start.after-cgroup");
	if (bridged) {
		if (dome_net_ensure_bridge(ctx, err) < 0 || dome_net_lease(ctx, c, addr, err) < 0) {
			dome_error_prefix(err, "setting up the network");
			return -1;
		}
		s->leased = true;
		dome_fault_point("start.after-lease");
	}
	/* The lease is in the inventory now, so siblings learn this address
	 * too. */
	return dome_names_refresh(ctx, bridged ? NULL : c->name, err);
}

/* SYNC_CLONED: reap M's first fork and learn the pids of M and C. */
static int join_clone(pid_t first, int cloned_fd, struct start_state *s, struct dome_error *err)
{
	while (waitpid(first, NULL, 0) < 0 && errno == EINTR)
		;
	int32_t msg[3] = { 0, 0, 0 };
	if (read_full(cloned_fd, msg, sizeof msg) != (ssize_t)sizeof msg || msg[0] <= 0)
		return dome_fail(err, msg[0] < 0 ? msg[1] : 0,
				 "cannot create the container's namespaces");
	s->init = msg[0];
	s->monitor = msg[2];
	dome_proc_start_time(s->monitor, &s->monitor_start);
	dome_proc_start_time(s->init, &s->init_start);
	return 0;
}

int dome_runtime_start(struct dome_ctx *ctx, struct dome_container *c, struct dome_error *err)
{
	struct dome_image img;
	if (dome_image_get(ctx, c->image, &img, err) < 0)
		return -1;
	char upper[PATH_MAX], work[PATH_MAX], rootfs[PATH_MAX], names[PATH_MAX], exe[PATH_MAX];
	char slave[64];
	container_dir(ctx, c->name, "upper", upper, sizeof upper);
	container_dir(ctx, c->name, "work", work, sizeof work);
	container_dir(ctx, c->name, "rootfs", rootfs, sizeof rootfs);
	container_dir(ctx, c->name, "", names, sizeof names);
	if (check_overlay_path("image", img.path, err) < 0 ||
	    check_overlay_path("container", upper, err) < 0 || resolve_monitor(exe, sizeof exe, err) < 0)
		return -1;
	/* Looked up inside the image (its /sbin/init may be a link to
	 * /lib/systemd/systemd: the image's, not the host's). */
	__cleanup_close int init_fd = dome_open_in_root(img.path, img.init_cmd, O_PATH, 0);
	struct stat init_st;
	if (init_fd < 0 || fstat(init_fd, &init_st) < 0 || !S_ISREG(init_st.st_mode) ||
	    !(init_st.st_mode & 0111))
		return dome_fail(err, init_fd < 0 ? errno : EACCES,
				 "the image '%s' has no runnable init %s", img.name, img.init_cmd);

	struct start_state s = { 0 };
	/* Declared before the first goto: a jump must never skip a cleanup
	 * variable's initialisation. */
	__cleanup_close int pty = -1;
	__cleanup_close int cgroup_fd = -1;
	int cloned[2] = { -1, -1 }, go[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int notify[2] = { -1, -1 };
	snprintf(c->state, sizeof c->state, "starting");
	if (dome_inv_update_runtime(ctx->store, c, err) < 0)
		return -1;

	/* The cgroup2 dir first: M clones C straight into it. The rest of the
	 * cgroup is made while C builds its root (prepare_while_cloning). */
	s.cg = dome_own_cgroup_create(ctx, c->name, true, err);
	if (!s.cg)
		goto fail_step_cgroup;
	cgroup_fd = dome_cgroup_unified_fd(s.cg);
	bool bridged = strcmp(c->net_mode, "bridge") == 0;
	uint32_t addr = 0;
	/* The name files exist before the fork: C binds them during its
	 * mounts. Their text is (re)written in place later, once the lease
	 * is known. */
	if (dome_names_prepare(ctx, c, err) < 0 || give_machine_id(img.path, upper, err) < 0)
		goto fail;
	if (open_console(&pty, slave, sizeof slave, err) < 0)
		goto fail;
	/* SYNC_GO is a socket pair, not a pipe: C may have died before reading
	 * it, and a send with MSG_NOSIGNAL then fails instead of raising
	 * SIGPIPE in P. */
	if (pipe2(cloned, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, go) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, notify) < 0) {
		dome_fail(err, errno, "cannot create the start pipes");
		goto fail_pipes;
	}
	struct monitor_args m = {
		.exe = exe, .root = ctx->cfg.root, .prefix = ctx->cfg.cgroup_prefix,
		.bridge = ctx->cfg.bridge, .name = c->name, .rundir = ctx->cfg.runtime_dir,
		.pty_master = pty,
		.cloned_fd = cloned[1], .notify_fd = notify[0], .cgroup_fd = cgroup_fd, .new_netns = strcmp(c->net_mode, "host") != 0,
		.child = { .name = c->name, .lower = img.path, .upper = upper, .work = work,
			   .rootfs = rootfs, .console = slave, .names_dir = names,
			   .no_new_privs = c->no_new_privs, .own_netns = strcmp(c->net_mode, "host") != 0,
			   .init = img.init_cmd,
			   .go_fd = go[0], .err_fd = errp[1], .notify_fd = notify[1],
			   .cg = s.cg },
	};
	m.child.ncgmounts = dome_cgroup_ns_mounts(s.cg, m.child.cgmounts, DOME_CG_NS_MOUNTS_MAX);
	snprintf(m.log_max, sizeof m.log_max, "%llu", (unsigned long long)ctx->cfg.console_log_max);
	/* The pty master must survive M's exec; the error pipe must not
	 * survive C's: flags are set to match. */
	fcntl(pty, F_SETFD, 0);
	pid_t first = fork();
	if (first < 0) {
		dome_fail(err, errno, "cannot fork the monitor");
		goto fail_pipes;
	}
	if (first == 0) {
		/* Only P may hold SYNC_GO's write end: if P dies, init must read
		 * EOF and leave instead of waiting forever. */
		close(go[1]);
		monitor_fork_main(&m);
	}
	close(cloned[1]);
	close(go[0]);
	close(errp[1]);
	close(notify[0]);
	close(notify[1]);
	cloned[1] = go[0] = errp[1] = notify[0] = notify[1] = -1;
	/* Two cores at work: C mounts its root while P writes the rest. */
	struct dome_error prep_err;
	int prep = prepare_while_cloning(ctx, c, &s, bridged, &addr, &prep_err);
	if (prep < 0) {
		/* M's pids all the same, so the undo can stop them. */
		join_clone(first, cloned[0], &s, err);
		*err = prep_err;
		goto fail_pipes;
	}
	/* The veth goes into C's network namespace: that needs C's pid.
	 * Without one, P learns the pids after SYNC_GO, so M's scheduling
	 * (it competes with C and P for two cores) is off the path. */
	if (bridged) {
		if (join_clone(first, cloned[0], &s, err) < 0)
			goto fail_pipes;
		dome_fault_point("start.after-monitor");
		/* No dome_cgroup_attach here: C moves itself in after SYNC_GO. */
		if (dome_net_setup(ctx, c, s.init, addr, err) < 0)
			goto fail_pipes;
		s.net_done = true;
		dome_fault_point("start.after-network");
	}
	dome_fault_point("start.before-go");
	/* SYNC_GO. C builds its root meanwhile and may have failed already:
	 * then the send fails and its reason is on the error pipe. */
	bool released = send(go[1], "g", 1, MSG_NOSIGNAL) == 1;
	if (!bridged) {
		if (join_clone(first, cloned[0], &s, err) < 0)
			goto fail_pipes;
		dome_fault_point("start.after-monitor");
	}
	close(go[1]);
	go[1] = -1;
	/* SYNC_EXECED: EOF with no message, after C got SYNC_GO, means init is
	 * running. */
	char why[512];
	ssize_t n = read_full(errp[0], why, sizeof why - 1);
	if (n != 0 || !released) {
		why[n > 0 ? n : 0] = '\0';
		dome_fail(err, 0, "the container failed while %s", n > 0 ? why : "starting");
		goto fail_pipes;
	}
	close(errp[0]);
	close(cloned[0]);

	dome_fault_point("start.before-record");
	snprintf(c->state, sizeof c->state, "running");
	c->pid = s.init;
	c->pid_start = s.init_start;
	c->monitor_pid = s.monitor;
	c->monitor_start = s.monitor_start;
	c->started_at = dome_now_ms();
	c->has_exit = false;
	dome_cgroup_free(s.cg);
	if (dome_inv_update_runtime(ctx->store, c, err) < 0)
		return -1;
	struct dome_error ignored;
	dome_event_record(ctx, c->name, "started", json_pack("{s:i}", "pid", (int)s.init), &ignored);
	return 0;

fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (cloned[i] >= 0) close(cloned[i]);
		if (go[i] >= 0) close(go[i]);
		if (errp[i] >= 0) close(errp[i]);
		if (notify[i] >= 0) close(notify[i]);
	}
	goto fail;
fail_step_cgroup:
	dome_error_prefix(err, "setting up the cgroup");
fail:
	undo_start(ctx, c, &s);
	return -1;
}

/* -------------------------------------------------------------- cleanup */

/* What happened to the container, for the incident report: a stop someone
 * asked for is "stopped"; init leaving on its own is "exited" (status 0) or
 * "crashed" (non-zero status or a signal); OOM kills of the run are counted. */
/* An event of the run's end; one the disk has no room for is said. */
static void end_event(struct dome_ctx *ctx, const char *name, const char *kind, json_t *detail)
{
	struct dome_error e;
	if (dome_event_record(ctx, name, kind, detail, &e) < 0 && e.errnum == ENOSPC)
		dome_note_unrecorded(ctx, "the %s event of %s was not recorded (%s)", kind, name,
				     e.msg);
}

static void record_exit_events(struct dome_ctx *ctx, const struct dome_container *c,
			       int wait_status, bool requested, int64_t oom_new)
{
	struct dome_error ignored;
	/* Its monitor records OOM kills as they happen (core/limit_events.h):
	 * only those it could not record are recorded here. */
	int64_t live = 0;
	if (oom_new > 0 && c->started_at &&
	    dome_events_count_since(ctx, c->name, "oom_kill", c->started_at, &live, &ignored) == 0)
		oom_new -= live;
	if (oom_new > 0)
		end_event(ctx, c->name, "oom_kill", json_pack("{s:I}", "count", (json_int_t)oom_new));
	if (wait_status < 0) {
		end_event(ctx, c->name, requested ? "stopped" : "exited",
			  json_pack("{s:s}", "exit", "unknown"));
		return;
	}
	json_t *detail = WIFSIGNALED(wait_status)
		? json_pack("{s:i}", "signal", WTERMSIG(wait_status))
		: json_pack("{s:i}", "exit_code", WEXITSTATUS(wait_status));
	const char *kind = requested ? "stopped"
			   : (WIFSIGNALED(wait_status) || WEXITSTATUS(wait_status) != 0) ? "crashed"
			   : "exited";
	end_event(ctx, c->name, kind, detail);
}

int dome_runtime_cleanup(struct dome_ctx *ctx, struct dome_container *c, int wait_status,
			 struct dome_error *err)
{
	struct dome_error ignored;
	bool requested = strcmp(c->state, "stopping") == 0;
	int64_t oom_before = c->oom_kills;
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c->name, &ignored);
	if (cg) {
		struct dome_cgroup_stats st;
		/* The cgroup's count is per run; the inventory's is the total. */
		if (dome_cgroup_stats(cg, &st, &ignored) == 0)
			c->oom_kills += (int64_t)st.oom_kills;
		dome_cgroup_kill_all(cg, &ignored);
		if (dome_cgroup_destroy(cg, err) < 0) {
			dome_cgroup_free(cg);
			return -1;
		}
		dome_cgroup_free(cg);
	}
	bool bridged = strcmp(c->net_mode, "bridge") == 0;
	if (bridged) {
		dome_net_teardown(ctx, c, &ignored);
		dome_net_release(ctx, c->id, &ignored);
	}
	snprintf(c->state, sizeof c->state, "stopped");
	c->pid = c->pid_start = 0;
	c->monitor_pid = c->monitor_start = 0;
	c->stopped_at = dome_now_ms();
	if (wait_status >= 0) {
		c->has_exit = true;
		if (WIFSIGNALED(wait_status)) {
			c->exit_signal = WTERMSIG(wait_status);
			c->exit_code = -1;
		} else {
			c->exit_signal = 0;
			c->exit_code = WEXITSTATUS(wait_status);
		}
	}
	if (dome_inv_update_runtime(ctx->store, c, err) < 0) {
		if (err->errnum != ENOSPC)
			return -1;
		/* The run is over, and all of it is gone but its row: the disk
		 * is full. The published status stays for the next dome run with
		 * room to record the end with (its reconcile). */
		dome_note_unrecorded(ctx, "the end of %s's run is not in the inventory yet (%s); "
				     "the next dome run once there is room records it", c->name,
				     err->msg);
		return 1;
	}
	record_exit_events(ctx, c, wait_status, requested, c->oom_kills - oom_before);
	/* The end is recorded: the published status is used up, and its
	 * monitor, waiting for this, leaves (see "recording a run's end"). A
	 * new run starts only after this one is recorded, so the file is this
	 * run's or a stale one. */
	char exit_path[PATH_MAX];
	if (exit_file(ctx->cfg.runtime_dir, c->name, exit_path, sizeof exit_path) == 0)
		unlink(exit_path);
	/* Siblings forget this container's address. */
	return bridged ? dome_names_refresh(ctx, NULL, err) : 0;
}

/* ----------------------------------------------------------------- stop */

/* True when `pid` has a handler for `sig` (SigCgt in /proc/PID/status). */
/* pid 1 of a PID namespace never gets a signal it neither handles nor
 * blocks: a stop right after start, before init set up its signals, would be
 * dropped and the stop would wait its whole timeout (seen by
 * bench/bench_lifecycle once start got fast). Wait up to a second for init
 * to take it. (It used to look for a handler only: busybox init blocks its
 * signals and waits in sigtimedwait, which hides them from SigBlk, so every
 * polite stop of a settled container waited that whole second.) */
static void wait_signal_taken(pid_t pid, int sig)
{
	for (int i = 0; i < 1000 && !dome_proc_takes_signal(pid, sig); i++)
		usleep(1000);
}

int dome_runtime_stop(struct dome_ctx *ctx, struct dome_container *c, int timeout_s, bool kill_now,
		      struct dome_error *err)
{
	struct dome_image img;
	int stop_signal = SIGTERM;
	if (dome_image_find(ctx->store, c->image, &img, err) == 1 && img.stop_signal > 0)
		stop_signal = img.stop_signal;
	if (timeout_s < 0)
		timeout_s = (int)ctx->cfg.stop_timeout;

	__cleanup_close int init_fd = pidfd_open_checked((pid_t)c->pid, c->pid_start);
	struct dome_cgroup *cg = dome_own_cgroup_open(ctx, c->name, err);
	if (init_fd >= 0) {
		snprintf(c->state, sizeof c->state, "stopping");
		dome_inv_update_runtime(ctx->store, c, err);
		/* A frozen container cannot act on its stop signal: thaw first. */
		if (cg)
			dome_cgroup_freeze(cg, false, err);
		bool gone = false;
		if (!kill_now)
			wait_signal_taken((pid_t)c->pid, stop_signal);
		if (!kill_now && kill((pid_t)c->pid, stop_signal) == 0) {
			dome_fault_point("stop.after-signal");
			gone = wait_pidfd(init_fd, timeout_s * 1000);
		}
		if (!gone) {
			/* Init first, through its pidfd: as pid 1 of its PID
			 * namespace its death takes every process of the
			 * namespace with it, and the pidfd wakes us the moment it
			 * is dead, where polling the cgroup until it empties
			 * overshot by up to half the wait. The cgroup sweep then
			 * catches what is in the cgroup outside the namespace (a
			 * `dome exec` caller) and finds the rest gone. */
			syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0);
			gone = wait_pidfd(init_fd, 10000);
			if (cg)
				dome_cgroup_kill_all(cg, err);
			if (!gone && !wait_pidfd(init_fd, 10000)) {
				dome_cgroup_free(cg);
				return dome_fail(err, 0, "container '%s' did not die after SIGKILL", c->name);
			}
		}
	}
	dome_cgroup_free(cg);
	dome_fault_point("stop.before-cleanup");
	/* Init is dead: record the end here, with the status its monitor
	 * publishes, rather than wait for the monitor to do it. */
	return dome_runtime_settle(ctx, c, err);
}

/* --------------------------------------------------- the monitor program */

static int log_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

/* Append console output; rotate to console.log.1 past the cap. */
static void log_write(int *fd, const char *path, const char *data, size_t len, off_t *size,
		      off_t max)
{
	if (*fd < 0)
		return;
	if (*size + (off_t)len > max) {
		char old[PATH_MAX];
		snprintf(old, sizeof old, "%s.1", path);
		rename(path, old);
		close(*fd);
		*fd = log_open(path);
		*size = 0;
		if (*fd < 0)
			return;
	}
	if (write_all(*fd, data, len) == 0)
		*size += (off_t)len;
}

/* Steps 1 and 3 of "recording a run's end", in the monitor. True when this
 * monitor recorded it (no other dome was stopping the container); then
 * *policy says whether the container has a restart policy (restart.h), so
 * one without needs no second look at the inventory. */
static bool monitor_record_end(const char *root, const char *rundir, const char *name, pid_t init,
			       int64_t start, int status, bool *policy)
{
	publish_exit(rundir, name, init, start, status);
	struct dome_error err;
	int lock = -1, st;
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* The lock holder records the end (the file goes, and it sends
	 * SIGUSR1) or lets go of the lock. Look again at once on SIGUSR1,
	 * else after 1, 2, 4 ... 100 ms: a lock coming free says nothing. */
	for (int waited = 0, step = 1; waited < 10000; waited += step, step = step < 100 ? step * 2 : 100) {
		if (!read_exit(rundir, name, init, start, &st))
			return false; /* recorded by the holder */
		if ((lock = lock_container_in(rundir, name, 0, &err)) >= 0)
			break;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000L };
		sigtimedwait(&usr1, NULL, &ts);
	}
	/* No lock after 10 s: a holder busy with something else for that long
	 * (a backup); record unlocked rather than never, as the row check
	 * below still guards against the common case. */
	bool recorded = false;
	if (read_exit(rundir, name, init, start, &st)) {
		struct dome_open_opts o = { .root = root };
		struct dome_ctx *ctx = dome_open(&o, &err);
		struct dome_container c;
		int found = ctx ? dome_inv_find(ctx->store, name, &c, &err) : -1;
		if (found == 1 && c.pid == init && c.pid_start == start) {
			recorded = strcmp(c.state, "running") == 0 &&
				   dome_runtime_cleanup(ctx, &c, status, &err) == 0;
			*policy = c.restart.mode != DOME_RESTART_NO;
		}
		/* A start whose P died before it named this run (init left at
		 * SYNC_GO): with the lock free no other start is under way, so
		 * the half-made run is this one; undone as dome's reconcile
		 * would (it found the lock held by us, and left it). */
		else if (found == 1 && c.pid == 0 && strcmp(c.state, "starting") == 0)
			dome_runtime_cleanup(ctx, &c, -1, &err);
		dome_close(ctx);
	}
	dome_unlock_container(lock);
	return recorded;
}

/* A container that asked to reboot, and whose end this monitor recorded, is
 * started again, as a start anyone asks for (audited, under the lock); the
 * new run has a monitor of its own and this one leaves. */
static void monitor_restart(const char *root, const char *name, int *log, const char *path,
			    off_t *size, off_t max)
{
	struct dome_error err = { 0 };
	struct dome_open_opts o = { .root = root };
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (ctx && dome_container_start(ctx, name, &err) == 0) {
		dome_close(ctx);
		return;
	}
	dome_close(ctx);
	char line[600];
	int n = snprintf(line, sizeof line, "dome: cannot restart the container: %s\n", err.msg);
	if (n > 0)
		log_write(log, path, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, size, max);
}

struct console_log {
	int *fd;
	const char *path;
	off_t *size, max;
};

static void note_in_log(const char *line, void *data)
{
	struct console_log *l = data;
	log_write(l->fd, l->path, line, strlen(line), l->size, l->max);
}

int dome_monitor_main(int argc, char **argv)
{
	/* argv: __monitor ROOT PREFIX BRIDGE NAME INIT_PID LOG_MAX RUNDIR */
	if (argc != 8)
		_exit(2);
	const char *root = argv[1], *name = argv[4], *rundir = argv[7];
	pid_t init = (pid_t)atoi(argv[5]);
	int64_t init_start = -1;
	dome_proc_start_time(init, &init_start); /* init is our child: still there */
	off_t max = (off_t)strtoll(argv[6], NULL, 10);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* SIGUSR1 means "the end of the run is recorded" (monitor_record_end);
	 * blocked from the start, so it is never fatal and never lost. */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	/* A `dome exec` process's shutdown request comes as a queued signal
	 * (poweroff.h): read through a signalfd in the loop below. */
	sigset_t forwarded;
	sigemptyset(&forwarded);
	sigaddset(&forwarded, DOME_POWEROFF_SIGNAL);
	sigprocmask(SIG_BLOCK, &forwarded, NULL);
	int sigfd = signalfd(-1, &forwarded, SFD_CLOEXEC | SFD_NONBLOCK);

	char path[PATH_MAX];
	dome_pathf(path, sizeof path, "%s/containers/%s/console.log", root, name);
	int log = log_open(path);
	struct stat sb;
	off_t size = (log >= 0 && fstat(log, &sb) == 0) ? sb.st_size : 0;

	/* The monitor holds the console's slave side open too, so the master
	 * does not read as hung up while the container has it closed. */
	char slave[64];
	int slave_fd = ptsname_r(3, slave, sizeof slave) == 0
		? open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	/* Copy the console until init is gone and the pty has drained; take
	 * the reboot(2) listener when C sends it (fd 4) and answer it. */
	int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
	/* The limit watch (core/limit_events.h) is opened once C has sent its
	 * listener (NOTIFY): by then C is in every dir of its cgroup. */
	setenv("DOME_CGROUP_PREFIX", argv[2], 1);
	setenv("DOME_BRIDGE", argv[3], 1);
	struct dome_limit_watch *limits = NULL;
	enum { CONSOLE, INIT, NOTIFY, LISTENER, FORWARDED, NFIXED };
	struct pollfd fds[NFIXED + 3] = { [CONSOLE] = { .fd = 3, .events = POLLIN },
					  [INIT] = { .fd = pidfd, .events = POLLIN },
					  [NOTIFY] = { .fd = 4, .events = POLLIN },
					  [LISTENER] = { .fd = -1, .events = POLLIN },
					  [FORWARDED] = { .fd = sigfd, .events = POLLIN } };
	char buf[4096];
	bool init_gone = pidfd < 0;
	enum dome_poweroff_ask asked = DOME_ASK_NONE;
	while (!init_gone) {
		/* A console nobody has open reads as hung up until someone
		 * opens it again (systemd puts its own stdio on /dev/null and
		 * a getty opens the console later): look again in 250 ms. */
		size_t nwatch = dome_limit_watch_fds(limits, fds + NFIXED);
		int watch_ms = dome_limit_watch_timeout(limits), timeout = watch_ms;
		bool console_retry = fds[CONSOLE].fd < 0;
		if (console_retry && (timeout < 0 || timeout > 250))
			timeout = 250;
		int ready = poll(fds, NFIXED + nwatch, timeout);
		if (ready == 0 && console_retry)
			fds[CONSOLE].fd = 3;
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* A timeout is the watch's own only when it was not the
		 * console's retry. */
		bool hit = ready == 0 && timeout == watch_ms;
		for (size_t i = NFIXED; i < NFIXED + nwatch; i++)
			hit = hit || fds[i].revents;
		if (hit)
			dome_limit_watch_wake(limits);
		if (fds[CONSOLE].revents & POLLIN) {
			ssize_t n = read(3, buf, sizeof buf);
			if (n > 0)
				log_write(&log, path, buf, (size_t)n, &size, max);
		} else if (fds[CONSOLE].revents & (POLLHUP | POLLERR)) {
			fds[CONSOLE].fd = -1; /* no one has it open, for now */
		}
		if (fds[NOTIFY].revents) {
			fds[LISTENER].fd = dome_fd_recv(4); /* -1: C had none to send */
			close(4);
			fds[NOTIFY].fd = -1;
			limits = dome_limit_watch_open(root, argv[2], name);
		}
		enum dome_poweroff_ask ask = DOME_ASK_NONE;
		if (fds[FORWARDED].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
				ask = dome_poweroff_ask_of_signal(si.ssi_code, si.ssi_int);
		}
		if (fds[LISTENER].revents & POLLIN) {
			enum dome_poweroff_ask own = dome_poweroff_take(fds[LISTENER].fd);
			if (own != DOME_ASK_NONE)
				ask = own;
		} else if (fds[LISTENER].revents & (POLLHUP | POLLERR))
			fds[LISTENER].fd = -1;
		if (ask != DOME_ASK_NONE && asked == DOME_ASK_NONE) {
			/* Its shutdown is done: end the run now, not after
			 * the second init sleeps once reboot(2) failed. */
			asked = ask;
			int n = snprintf(buf, sizeof buf, "dome: the container asked to %s; %s it\n",
					 dome_poweroff_ask_name(ask),
					 ask == DOME_ASK_REBOOT ? "restarting" : "stopping");
			log_write(&log, path, buf, (size_t)n, &size, max);
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		if (fds[INIT].revents & POLLIN)
			init_gone = true;
	}
	int status = -1;
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	/* Killed for its own shutdown request: it ended cleanly, as init
	 * would have (busybox init exits 0 after the refused reboot). */
	if (asked != DOME_ASK_NONE && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		status = 0;
	fcntl(3, F_SETFL, O_NONBLOCK);
	for (ssize_t n; (n = read(3, buf, sizeof buf)) > 0;)
		log_write(&log, path, buf, (size_t)n, &size, max);
	if (slave_fd >= 0)
		close(slave_fd);

	/* Limit hits and OOM kills held back by the rate limit, recorded
	 * before the exit is published: the run's cleanup counts them. */
	dome_limit_watch_end(limits);
	/* Record the exit and remove what the run made, unless the dome
	 * holding the lock does (see "recording a run's end"). */
	bool policy = false;
	if (monitor_record_end(root, rundir, name, init, init_start, status, &policy)) {
		/* Recorded here, so no `dome stop` asked for this end: a reboot
		 * starts it again, anything else is the restart policy's call. */
		if (asked == DOME_ASK_REBOOT) {
			monitor_restart(root, name, &log, path, &size, max);
		} else if (policy) {
			struct console_log l = { &log, path, &size, max };
			dome_restart_after_exit(root, name, status, note_in_log, &l);
		}
	}
	_exit(0);
}
