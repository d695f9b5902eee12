/* Libraries opened on first use (dlopen) rather than linked: libarchive
 * (core/tarball.c) and libnftables (core/nat.c) would cost every dome
 * process a millisecond or more at exec, for work few runs do. Each caller
 * keeps a struct of function pointers typed from the library's own header
 * (so every call is still checked by the compiler) and names its slots
 * here; the library stays loaded for the life of the process. */
#ifndef DOME_DYNLIB_H
#define DOME_DYNLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct dome_dynlib {
	const char *soname;
	pthread_mutex_t lock;
	bool tried, loaded;
	char error[256]; /* why loading failed */
};
#define DOME_DYNLIB_INIT(so) { .soname = (so), .lock = PTHREAD_MUTEX_INITIALIZER }

/* A symbol and where its address goes: (void **)&table.fn. dlsym gives an
 * object pointer; POSIX guarantees it converts to a function pointer. */
struct dome_dynsym {
	const char *name;
	void **slot;
};

/* Open the library and fill every slot, once per process (later calls
 * return the first outcome): 0, or -1 with lib->error saying why. */
int dome_dynlib_load(struct dome_dynlib *lib, const struct dome_dynsym *syms, size_t n);

#endif
