/* Cleanup attributes (LXC style): a variable declared with one of these is
 * released when it goes out of scope, so every early return frees and closes.
 * Hand ownership on with move_ptr()/move_fd(), which also disarm the cleanup. */
#ifndef DOME_CLEANUP_H
#define DOME_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void dome_freep(void *p) { free(*(void **)p); }
static inline void dome_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void dome_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void dome_closedirp(DIR **d) { if (*d) closedir(*d); }

#define __cleanup_free    __attribute__((cleanup(dome_freep)))
#define __cleanup_close   __attribute__((cleanup(dome_closep)))
#define __cleanup_fclose  __attribute__((cleanup(dome_fclosep)))
#define __cleanup_closedir __attribute__((cleanup(dome_closedirp)))

#define move_ptr(p) ({ __typeof__(p) __tmp = (p); (p) = NULL; __tmp; })
#define move_fd(fd) ({ int __tmp = (fd); (fd) = -1; __tmp; })

#define DOME_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
