/* A container that asks to power off, halt or reboot.
 *
 * Inside a container, busybox init (and any init) ends its shutdown with
 * reboot(2). Without CAP_SYS_BOOT, which dome drops (with it a container
 * could kexec a new host kernel), that call fails and busybox init sleeps a
 * second more before it exits. So init, and all it starts (the filter is
 * inherited), run under a seccomp filter that hands each reboot(2) to the
 * container's monitor (SECCOMP_RET_USER_NOTIF). For POWER_OFF, HALT and RESTART the monitor ends
 * the run at once: the container has shut down. Any other reboot(2) call
 * (busybox init switching Ctrl-Alt-Del off, say) goes on to the kernel,
 * which refuses it as before. After a reboot request the monitor starts the
 * container again (runtime.c, monitor_restart). */
#ifndef DOME_POWEROFF_H
#define DOME_POWEROFF_H

#include <signal.h>

/* Init side, just before its exec: install the filter and return its
 * listener, or -1 (errno set) where the kernel has no seccomp user
 * notification (the container then runs without it, as before). */
int dome_poweroff_listen(void);

/* Hand a descriptor over a unix socket, and take one. */
int dome_fd_send(int sock, int fd);
int dome_fd_recv(int sock);

enum dome_poweroff_ask {
	DOME_ASK_NONE,      /* nothing to act on (answered, or not a request) */
	DOME_ASK_POWEROFF,
	DOME_ASK_HALT,
	DOME_ASK_REBOOT,
};

/* Monitor side, when the listener is readable: take one notification. A
 * shutdown request is returned unanswered (the caller goes with the
 * container); anything else is let through to the kernel. */
enum dome_poweroff_ask dome_poweroff_take(int listener);

/* `dome exec` processes run under the same filter (their listener is held
 * by the exec's waiting process, outside the container). A shutdown they ask
 * for is forwarded to the container's monitor as DOME_POWEROFF_SIGNAL with
 * the ask as its value (sigqueue), and the monitor ends the run as it does
 * for init's own request. The monitor lives in the host's PID namespace, out
 * of the container's reach, so only host root can send it. */
#define DOME_POWEROFF_SIGNAL SIGUSR2
int dome_poweroff_forward(int monitor_pidfd, enum dome_poweroff_ask ask);
/* Monitor side: the ask a queued DOME_POWEROFF_SIGNAL carries, or NONE. */
enum dome_poweroff_ask dome_poweroff_ask_of_signal(int si_code, int value);

/* "power off", "halt", "reboot". */
const char *dome_poweroff_ask_name(enum dome_poweroff_ask ask);

#endif
