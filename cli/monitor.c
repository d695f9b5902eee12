/* dome-monitor: the small process that is each running container's init's
 * parent (see core/runtime.h). A program of its own, linked only against
 * what the monitor uses, so a thousand of them cost little memory. It is
 * started by dome only: `dome-monitor __monitor ROOT PREFIX BRIDGE NAME PID
 * LOG_MAX`, with the container's console pty as fd 3. */
#include <stdio.h>
#include <string.h>
#include "runtime.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "__monitor") == 0)
		dome_monitor_main(argc - 1, argv + 1);
	fputs("dome-monitor: started by dome for each running container; not for direct use\n",
	      stderr);
	return 2;
}
