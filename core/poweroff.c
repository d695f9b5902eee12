#include "poweroff.h"
#include "cleanup.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/reboot.h>
#include <linux/seccomp.h>

/* The arch the filter knows reboot's number for; another one (a 32-bit
 * process on a 64-bit host) passes, and the kernel refuses it as before. */
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

int dome_poweroff_listen(void)
{
#ifdef NATIVE_ARCH
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_reboot, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = DOME_ARRAY_SIZE(filter), .filter = filter };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			    &prog);
#else
	errno = ENOSYS;
	return -1;
#endif
}

int dome_fd_send(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int dome_fd_recv(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* What reboot(2) itself accepts as a shutdown: both magic numbers right,
 * and a command that ends the system. */
static enum dome_poweroff_ask ask_of(const struct seccomp_data *d)
{
	unsigned int magic2 = (unsigned int)d->args[1];
	if ((unsigned int)d->args[0] != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != LINUX_REBOOT_MAGIC2 && magic2 != LINUX_REBOOT_MAGIC2A &&
	     magic2 != LINUX_REBOOT_MAGIC2B && magic2 != LINUX_REBOOT_MAGIC2C))
		return DOME_ASK_NONE;
	switch ((unsigned int)d->args[2]) {
	case LINUX_REBOOT_CMD_POWER_OFF: return DOME_ASK_POWEROFF;
	case LINUX_REBOOT_CMD_HALT: return DOME_ASK_HALT;
	case LINUX_REBOOT_CMD_RESTART:
	case LINUX_REBOOT_CMD_RESTART2: return DOME_ASK_REBOOT;
	default: return DOME_ASK_NONE;
	}
}

enum dome_poweroff_ask dome_poweroff_take(int listener)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof req); /* the kernel wants it zeroed */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return DOME_ASK_NONE; /* the caller died meanwhile, or EINTR */
	enum dome_poweroff_ask ask = req.data.nr == __NR_reboot ? ask_of(&req.data) : DOME_ASK_NONE;
	if (ask == DOME_ASK_NONE) {
		/* The kernel decides (and refuses: no CAP_SYS_BOOT). Its
		 * arguments are plain numbers, so continuing is safe. */
		struct seccomp_notif_resp resp = { .id = req.id,
						   .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return ask;
}

int dome_poweroff_forward(int monitor_pidfd, enum dome_poweroff_ask ask)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = DOME_POWEROFF_SIGNAL;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = (int)ask;
	return (int)syscall(SYS_pidfd_send_signal, monitor_pidfd, DOME_POWEROFF_SIGNAL, &si, 0);
}

enum dome_poweroff_ask dome_poweroff_ask_of_signal(int si_code, int value)
{
	if (si_code != SI_QUEUE)
		return DOME_ASK_NONE;
	switch (value) {
	case DOME_ASK_POWEROFF: return DOME_ASK_POWEROFF;
	case DOME_ASK_HALT: return DOME_ASK_HALT;
	case DOME_ASK_REBOOT: return DOME_ASK_REBOOT;
	default: return DOME_ASK_NONE;
	}
}

const char *dome_poweroff_ask_name(enum dome_poweroff_ask ask)
{
	switch (ask) {
	case DOME_ASK_POWEROFF: return "power off";
	case DOME_ASK_HALT: return "halt";
	case DOME_ASK_REBOOT: return "reboot";
	case DOME_ASK_NONE: break;
	}
	return "";
}
