/* dome_proc_takes_signal: whether a stop signal sent to a container's init
 * would be taken or dropped (core/proc.h). Each case is a real child
 * process in the state an init can be in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fsutil.h"
#include "proc.h"

static void on_usr2(int sig) { (void)sig; }

/* Busybox init's way: block the signals, then wait for them. */
static void child_sigwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int got = sigwaitinfo(&set, NULL);
	_exit(got == SIGUSR2 ? 42 : 1);
}

static void child_handler(void)
{
	signal(SIGUSR2, on_usr2);
	pause();
	_exit(43);
}

static void child_plain(void)
{
	pause();
	_exit(1);
}

static pid_t spawn(void (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fn();
	return pid;
}

/* The first number of /proc/PID/syscall: the syscall it sleeps in. */
static long sleeping_in(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	return dome_read_small(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

static bool blocked_in_status(pid_t pid, int sig)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (dome_read_small(path, buf, sizeof buf) <= 0)
		return false;
	const char *p = strstr(buf, "SigBlk:");
	return p && (strtoull(p + 7, NULL, 16) >> (sig - 1) & 1);
}

static int exit_code(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static void test_waiting_in_sigtimedwait(void **state)
{
	(void)state;
	pid_t pid = spawn(child_sigwait);
	for (int i = 0; i < 2000 && sleeping_in(pid) != SYS_rt_sigtimedwait; i++)
		usleep(500);
	assert_int_equal(sleeping_in(pid), SYS_rt_sigtimedwait);
	/* What made every polite stop wait a second: while it waits, the
	 * kernel shows the signal as not blocked. */
	assert_false(blocked_in_status(pid, SIGUSR2));
	assert_true(dome_proc_takes_signal(pid, SIGUSR2));
	kill(pid, SIGUSR2);
	assert_int_equal(exit_code(pid), 42);
}

static void test_handler(void **state)
{
	(void)state;
	pid_t pid = spawn(child_handler);
	bool taken = false;
	for (int i = 0; i < 2000 && !(taken = dome_proc_takes_signal(pid, SIGUSR2)); i++)
		usleep(500);
	assert_true(taken);
	kill(pid, SIGUSR2);
	assert_int_equal(exit_code(pid), 43);
}

static void test_neither(void **state)
{
	(void)state;
	pid_t pid = spawn(child_plain);
	for (int i = 0; i < 2000 && sleeping_in(pid) != SYS_pause; i++)
		usleep(500);
	assert_int_equal(sleeping_in(pid), SYS_pause);
	assert_false(dome_proc_takes_signal(pid, SIGUSR2));
	kill(pid, SIGKILL);
	assert_int_equal(exit_code(pid), -SIGKILL);
	assert_false(dome_proc_takes_signal(pid, SIGUSR2)); /* gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting_in_sigtimedwait),
		cmocka_unit_test(test_handler),
		cmocka_unit_test(test_neither),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
