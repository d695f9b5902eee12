/* The devices a container may use, for both hierarchies: the standard nodes
 * dome puts in its /dev, its console and ptys; everything else (disks,
 * memory, kernel interfaces) is denied even to root inside.
 *
 * v1 writes the list to the devices controller; v2 has no devices file, so
 * the same list becomes a small eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup (as runc
 * and crun do). Both are in place before the container's init joins the
 * cgroup, so nothing inside ever runs with more allowed. */
#include "cgroup_driver.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ANY_MINOR (-1)

static const struct allowed_device {
	char type;      /* 'c' (every entry: no block device is allowed) */
	unsigned major;
	int minor;      /* ANY_MINOR for all of that major */
	const char *what;
} allowlist[] = {
	{ 'c', 1, 3, "null" },
	{ 'c', 1, 5, "zero" },
	{ 'c', 1, 7, "full" },
	{ 'c', 1, 8, "random" },
	{ 'c', 1, 9, "urandom" },
	{ 'c', 5, 0, "tty" },
	{ 'c', 5, 1, "console" },
	{ 'c', 5, 2, "ptmx" },
	{ 'c', 136, ANY_MINOR, "pts, including the console pty bound on /dev/console" },
};

/* ------------------------------------------------------------------ v1 */

int dome_cg_v1_restrict_devices(const char *dir, struct dome_error *err)
{
	/* deny-all first, then the allowlist: never a moment with more allowed */
	if (dome_cg_write(dir, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < DOME_ARRAY_SIZE(allowlist); i++) {
		const struct allowed_device *d = &allowlist[i];
		char rule[32];
		if (d->minor == ANY_MINOR)
			snprintf(rule, sizeof rule, "%c %u:* rwm", d->type, d->major);
		else
			snprintf(rule, sizeof rule, "%c %u:%d rwm", d->type, d->major, d->minor);
		if (dome_cg_write(dir, "devices.allow", rule, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ v2 */

/* The few eBPF instructions the program needs (the kernel's own builders
 * live in a header that is not part of its user API). */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define AND32(dst, imm) INSN(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32(dst, imm) INSN(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* 4 loads, then per entry: type, major[, minor] compared, allow; then deny */
#define PROG_MAX (4 + DOME_ARRAY_SIZE(allowlist) * 5 + 2)

/* The program: r2 = device type, r4 = major, r5 = minor, read from struct
 * bpf_cgroup_dev_ctx { access_type (type | access << 16), major, minor };
 * each allowlist entry that matches returns 1 (allow); none returns 0.
 * Every access (read, write, mknod) of an allowed device is allowed, as the
 * v1 rules' "rwm" say. */
static size_t build_program(struct bpf_insn *p)
{
	size_t n = 0;
	p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[n++] = AND32(BPF_REG_2, 0xffff);
	p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = 0; i < DOME_ARRAY_SIZE(allowlist); i++) {
		const struct allowed_device *d = &allowlist[i];
		bool any = d->minor == ANY_MINOR;
		/* jump offsets count the instructions left in this entry */
		short rest = any ? 2 : 3;
		int type = d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
		p[n++] = JNE(BPF_REG_2, type, rest + 1);
		p[n++] = JNE(BPF_REG_4, (int)d->major, rest);
		if (!any)
			p[n++] = JNE(BPF_REG_5, d->minor, 2);
		p[n++] = MOV64(BPF_REG_0, 1);
		p[n++] = EXIT();
	}
	p[n++] = MOV64(BPF_REG_0, 0);
	p[n++] = EXIT();
	return n;
}

static int bpf_call(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int dome_cg_v2_restrict_devices(const char *dir, struct dome_error *err)
{
	struct bpf_insn prog[PROG_MAX];
	size_t n = build_program(prog);
	char log[1024] = "";
	union bpf_attr load;
	memset(&load, 0, sizeof load);
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uintptr_t)prog;
	load.insn_cnt = (unsigned)n;
	load.license = (uintptr_t) "GPL";
	load.log_buf = (uintptr_t)log;
	load.log_size = sizeof log;
	load.log_level = 1;
	__cleanup_close int prog_fd = bpf_call(BPF_PROG_LOAD, &load);
	if (prog_fd < 0 && errno == ENOSPC) { /* the log was too small: load without it */
		load.log_buf = 0;
		load.log_size = 0;
		load.log_level = 0;
		prog_fd = bpf_call(BPF_PROG_LOAD, &load);
	}
	if (prog_fd < 0) {
		dome_fail(err, errno, "loading the device allowlist (eBPF) for %s%s%.200s", dir,
			  log[0] ? ": " : "", log);
		dome_error_hint(err, "the kernel needs CONFIG_CGROUP_BPF and CONFIG_BPF_SYSCALL");
		return -1;
	}
	__cleanup_close int cg_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return dome_fail(err, errno, "opening %s to attach the device allowlist", dir);
	union bpf_attr attach;
	memset(&attach, 0, sizeof attach);
	attach.target_fd = (unsigned)cg_fd;
	attach.attach_bpf_fd = (unsigned)prog_fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	/* No flags: the one program of this cgroup (a rerun replaces it). The
	 * attachment holds the program; prog_fd may close. */
	if (bpf_call(BPF_PROG_ATTACH, &attach) < 0)
		return dome_fail(err, errno, "attaching the device allowlist (eBPF) to %s", dir);
	return 0;
}
