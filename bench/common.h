/* Helpers shared by the benchmark programs (bench/), so that each of them
 * does not carry its own copy. Not part of libdome: only the benchmarks link
 * bench/common.c. */
#ifndef DOME_BENCH_COMMON_H
#define DOME_BENCH_COMMON_H

#include <signal.h>
#include <stddef.h>

/* Set by the handler bench_catch_signals() installs; the benchmark loops
 * test it between steps, so that an interrupted run still cleans up. */
extern volatile sig_atomic_t bench_interrupted;

/* SIGINT, SIGTERM and SIGHUP set bench_interrupted instead of killing the
 * process: the benchmark then removes what it made (containers, cgroups,
 * bridge, state root) before it exits. */
void bench_catch_signals(void);

/* Now in ms on the monotonic clock: the steps are timed against it, as the
 * wall clock may jump. */
double bench_now_ms(void);

/* Run argv (PATH lookup, no shell) with its output discarded and wait for
 * it; its exit status, or -1 when it could not run or did not exit. For
 * helper programs (ip, tmux) whose chatter would spoil the tables. */
int bench_run_quiet(char *const argv[]);

/* The dome binary into exe: $DOME_EXE, else the `dome` of the build
 * directory this benchmark was built in (bench/X -> ../dome; libtool may put
 * the benchmark in bench/.libs), whose dome-monitor sits beside it: the
 * benchmark measures the build it belongs to. 0, or -1 (said on stderr,
 * prefixed with `who`) when there is none. */
int bench_find_dome_exe(const char *who, char *exe, size_t len);

/* Remove what a benchmark made in its private state: every container of
 * `ctx` (forced), the cgroup `prefix` dirs, then `root` itself; closes ctx.
 * Either may be NULL or "" when it was not made. */
struct dome_ctx;
void bench_remove_state(struct dome_ctx *ctx, const char *prefix, const char *root);

#endif
