/* Fault injection for tests: a named step of an operation where the process
 * can be made to die as if someone ran `kill -9` on it.
 *
 *   DOME_FAULT=start.after-cgroup dome start web    # dies by SIGKILL there
 *
 * Only the process whose environment names the point dies there; without
 * DOME_FAULT every point is a no-op costing one getenv. The recovery tests
 * (tests/integration/test_faults.sh) kill dome at each point and prove that
 * the next run of dome and `dome doctor` repair everything.
 *
 * The points, in the order an operation reaches them:
 *   create.after-dirs      row inserted (transaction still open), dirs made
 *   create.after-commit    row and dirs committed, audit record still pending
 *   start.after-cgroup     cgroup made and limited, nothing else
 *   start.after-lease      IPv4 lease stored (bridge mode)
 *   start.after-monitor    monitor forked and the init cloned (SYNC_CLONED)
 *   start.after-network    init in its cgroup, veth made and configured
 *   start.before-go        everything ready; init not yet released
 *   start.before-record    init runs; the inventory still says 'starting'
 *   stop.after-signal      the stop signal sent, state 'stopping'
 *   stop.before-cleanup    init dead; cgroup, veth and lease not yet removed
 *   destroy.after-files    the container's files removed, its row not yet
 *   set.after-live         new limits written to the cgroup, not yet stored
 * (clone has no points: it is not implemented yet.) */
#ifndef DOME_FAULT_H
#define DOME_FAULT_H

/* Die by SIGKILL when DOME_FAULT names `point`. */
void dome_fault_point(const char *point);

#endif
