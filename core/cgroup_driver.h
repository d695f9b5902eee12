/* Internal to the cgroup code: the driver interface (a small table of
 * function pointers, one table per hierarchy version, htop/crun style), the
 * handle both drivers share, and the file helpers of the front door
 * (core/cgroup.c). Nothing outside core/cgroup*.c and the tests includes it. */
#ifndef DOME_CGROUP_DRIVER_H
#define DOME_CGROUP_DRIVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cgroup.h"
#include "error.h"
#include "inventory.h"

#define DOME_CGROUP_ROOT "/sys/fs/cgroup"
#define DOME_CGROUP_UNIFIED DOME_CGROUP_ROOT "/unified"
#define DOME_CPU_PERIOD_US 100000u

/* v1 controllers dome uses; a hierarchy may carry several (cpu,cpuacct). */
enum dome_cg_ctrl {
	CG_CPU = 1u << 0,
	CG_CPUACCT = 1u << 1,
	CG_CPUSET = 1u << 2,
	CG_MEMORY = 1u << 3,
	CG_PIDS = 1u << 4,
	CG_BLKIO = 1u << 5,
	CG_FREEZER = 1u << 6,
	CG_DEVICES = 1u << 7,
};
#define CG_NCTRL 8
/* Hierarchies a handle can have: one per controller, and the named
 * `systemd` one (no controller; ctrls 0) that systemd inside a container
 * tracks its services in on a v1 or hybrid host. */
#define CG_NHIER (CG_NCTRL + 1)
#define CG_NAMED_SYSTEMD "name=systemd"
/* The leaf a process joining a delegated cgroup2 tree goes into
 * (dome_cgroup_attach_self). */
#define DOME_CG_EXEC_LEAF "dome.exec"

/* Controller name for a single bit, "" for anything else. */
const char *dome_cg_ctrl_name(unsigned ctrl);

/* A handle's paths are bounded by what they hold (a mount point, a prefix
 * and a name, both validated names), not PATH_MAX: each running
 * container's monitor keeps a handle, and at PATH_MAX per path one was 90
 * KiB of dirty heap in every monitor. A hierarchy mounted at a longer path
 * is not used. */
#define DOME_CG_MOUNT_MAX 128
#define DOME_CG_DIR_MAX (DOME_CG_MOUNT_MAX + 2 * (DOME_NAME_MAX + 1))

struct dome_cg_hier {
	unsigned ctrls;                 /* controllers mounted together here; 0: name=systemd */
	char mount[DOME_CG_MOUNT_MAX];  /* e.g. /sys/fs/cgroup/memory */
	char dir[DOME_CG_DIR_MAX];      /* <mount>/<prefix>/<name> */
};

struct dome_cgroup {
	enum dome_cgroup_layout layout;
	const struct dome_cgroup_driver *drv;
	char prefix[DOME_NAME_MAX + 1];
	char name[DOME_NAME_MAX + 1];
	size_t nhier;                       /* v1 hierarchies (v1, hybrid) */
	struct dome_cg_hier hier[CG_NHIER];
	char unified[DOME_CG_DIR_MAX];      /* cgroup2 dir, "" when there is none */
	bool unified_limits;                /* v2: limits live in `unified` */
};

struct dome_cgroup_driver {
	const char *name;
	/* Make the dirs of `parts` (DOME_CG_PART_*; prefix level too) with
	 * their inherited settings. */
	int (*create)(struct dome_cgroup *cg, unsigned parts, bool adopt_existing,
		      struct dome_error *err);
	int (*apply_limits)(struct dome_cgroup *cg, const struct dome_limits *l,
			    struct dome_error *err);
	int (*freeze)(struct dome_cgroup *cg, bool frozen, struct dome_error *err);
	int (*is_frozen)(struct dome_cgroup *cg, bool *frozen, struct dome_error *err);
	int (*kill_all)(struct dome_cgroup *cg, struct dome_error *err);
	int (*stats)(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
		     struct dome_error *err);
	/* Only cpu_usec, memory_current and pids_current (three reads). */
	int (*stats_brief)(struct dome_cgroup *cg, struct dome_cgroup_stats *out,
			   struct dome_error *err);
};

extern const struct dome_cgroup_driver dome_cgroup_v1_driver; /* v1 and hybrid */

/* The device allowlist (core/cgroup_devices.c): the v1 devices controller's
 * rules in DIR, or an eBPF device program attached to the cgroup2 DIR. */
int dome_cg_v1_restrict_devices(const char *dir, struct dome_error *err);
int dome_cg_v2_restrict_devices(const char *dir, struct dome_error *err);
extern const struct dome_cgroup_driver dome_cgroup_v2_driver;

/* ---- conversions (unit-tested in tests/unit/test_cgroup_conv.c) ---- */

/* cpu.weight (1..10000, v2) to cpu.shares (2..262144, v1), the linear map
 * runc and crun use: shares = 2 + (weight - 1) * 262142 / 9999. 0 (unset)
 * gives the kernel default 1024. */
uint64_t dome_cg_weight_to_shares(uint32_t weight);
/* And back, rounding up so that weight -> shares -> weight is exact for
 * every weight; shares outside 2..262144 are clamped first. */
uint32_t dome_cg_shares_to_weight(uint64_t shares);
/* cpu_millis to a CFS quota in microseconds per DOME_CPU_PERIOD_US, 0 for
 * none: 1000 millis (one CPU) is the whole period. */
uint64_t dome_cg_quota_us(uint32_t cpu_millis);
/* v2 memory.swap.max is swap alone: memory_swap - memory, or UINT64_MAX
 * (write "max") when memory_swap is unlimited. */
uint64_t dome_cg_swap_only(const struct dome_limits *l);
/* Check a limits struct before any write (bad input -> dome_invalid). */
int dome_cg_limits_check(const struct dome_limits *l, struct dome_error *err);

/* ---- file helpers shared by the drivers ---- */

bool dome_cg_has(const char *dir, const char *file);
/* Read a whole (small) cgroup file, trailing newline stripped. */
int dome_cg_read(const char *dir, const char *file, char *buf, size_t len,
		 struct dome_error *err);
/* One write(2) of `value`; the error names the file, the value and the
 * kernel's reason. */
int dome_cg_write(const char *dir, const char *file, const char *value,
		  struct dome_error *err);
/* A file holding one number, or "max" (UINT64_MAX); "-1" is UINT64_MAX too. */
int dome_cg_read_u64(const char *dir, const char *file, uint64_t *out,
		     struct dome_error *err);
/* "key value" lines (memory.stat, cpu.stat, memory.events, ...): the value of
 * `key`, 0 when the key is not there. */
int dome_cg_read_keyed(const char *dir, const char *file, const char *key,
		       uint64_t *out, struct dome_error *err);
/* The pids in <dir>/cgroup.procs, malloc'd. */
int dome_cg_read_pids(const char *dir, pid_t **pids, size_t *n, struct dome_error *err);
/* mkdir; *made tells whether this call made it (false: it existed). */
int dome_cg_mkdir(const char *path, bool *made, struct dome_error *err);
/* rmdir of the dir and of every cgroup under it (a system container's init
 * makes its own: system.slice, init.scope, ...), deepest first, each retried
 * while the kernel says EBUSY (it is still releasing the last processes); a
 * missing dir is fine. */
int dome_cg_rmdir(const char *path, struct dome_error *err);
/* Poll `done(dir)` every millisecond or so for up to `timeout_ms`. */
int dome_cg_wait(bool (*done)(const char *dir), const char *dir, int timeout_ms);
void dome_cg_sleep_ms(long ms);
/* No process in `dir` or in any cgroup under it (or the dir is gone). */
bool dome_cg_empty(const char *dir);

/* All-or-nothing limit writes: each change records the old value first; a
 * failed write restores the earlier ones in reverse order (which keeps
 * pairs like memory / memory+swap valid at every step). */
struct dome_cg_change {
	const char *dir;
	const char *file;
	char value[256];
	char old[256];
};
struct dome_cg_txn {
	struct dome_cg_change c[48]; /* room for 8 devices x 4 I/O files */
	size_t n;
};
/* Queue a write; `value` is copied. Reads the old value now. */
int dome_cg_txn_add(struct dome_cg_txn *t, const char *dir, const char *file,
		    const char *value, struct dome_error *err);
int dome_cg_txn_commit(struct dome_cg_txn *t, struct dome_error *err);
/* Queue a write whose undo is not the file's old content: files like
 * blkio.throttle.* and io.max hold one line per device, and one device's
 * line is written back to undo one device's change. */
int dome_cg_txn_add_undo(struct dome_cg_txn *t, const char *dir, const char *file,
			 const char *value, const char *undo, struct dome_error *err);

/* I/O limits. Devices named in the file and in `l` are collected so that a
 * device dropped from the limits is reset too. For each (device, figure):
 * the value in the file now (0 = none) and the one wanted. */
struct dome_cg_io_figure {
	unsigned major, minor;
	uint64_t now[4], want[4];   /* rbps, wbps, riops, wiops */
};
/* Parse "MAJ:MIN VALUE" lines (v1 blkio.throttle.*) into figure `which`. */
void dome_cg_io_parse_v1(const char *text, int which, struct dome_cg_io_figure *f, size_t *n,
			 size_t max);
/* Parse "MAJ:MIN rbps=X wbps=Y riops=Z wiops=W" lines (v2 io.max). */
void dome_cg_io_parse_v2(const char *text, struct dome_cg_io_figure *f, size_t *n, size_t max);
/* Put the wanted values of `l` into the table (adding devices as needed). */
void dome_cg_io_want(const struct dome_limits *l, struct dome_cg_io_figure *f, size_t *n,
		     size_t max);

#endif
