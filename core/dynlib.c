#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

static bool load(struct dome_dynlib *lib, const struct dome_dynsym *syms, size_t n)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(lib->error, sizeof lib->error, "%s", dlerror());
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			snprintf(lib->error, sizeof lib->error, "%s has no %s", lib->soname,
				 syms[i].name);
			return false;
		}
	}
	return true;
}

int dome_dynlib_load(struct dome_dynlib *lib, const struct dome_dynsym *syms, size_t n)
{
	pthread_mutex_lock(&lib->lock);
	if (!lib->tried) {
		lib->loaded = load(lib, syms, n);
		lib->tried = true;
	}
	bool loaded = lib->loaded;
	pthread_mutex_unlock(&lib->lock);
	return loaded ? 0 : -1;
}
