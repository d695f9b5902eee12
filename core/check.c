/* `dome check`: look at the running kernel for each feature dome uses.
 * Read-only by design: nothing is created to probe (no interface, mount or
 * cgroup), so it is safe on a production host and as any user. */
#include "check.h"
#include "cgroup.h"
#include "cleanup.h"
#include "nat.h"
#include "rootperm.h"

#include <string.h> /* strlcpy via libbsd-overlay */
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

struct builder {
	struct dome_check_report *rep;
	size_t cap;
	bool oom;
};

static struct dome_check_item *add(struct builder *b, const char *group, const char *name,
				   bool required, const char *why)
{
	if (b->oom)
		return NULL;
	if (b->rep->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 32;
		struct dome_check_item *ni = reallocarray(b->rep->items, ncap, sizeof *ni);
		if (!ni) {
			b->oom = true;
			return NULL;
		}
		b->rep->items = ni;
		b->cap = ncap;
	}
	struct dome_check_item *it = &b->rep->items[b->rep->n++];
	memset(it, 0, sizeof *it);
	it->group = group;
	strlcpy(it->name, name, sizeof it->name);
	it->required = required;
	it->why = why;
	return it;
}

static void set(struct dome_check_item *it, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct dome_check_item *it, bool ok, const char *fmt, ...)
{
	if (!it)
		return;
	it->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof it->detail, fmt, ap);
	va_end(ap);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;
	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* ---- namespaces ---- */

static void check_namespaces(struct builder *b)
{
	static const struct {
		const char *ns, *name;
		bool required;
		const char *why;
	} nss[] = {
		{ "pid", "pid namespace", true, "the container's processes see only each other" },
		{ "mnt", "mount namespace", true, "the container gets its own root filesystem" },
		{ "uts", "uts namespace", true, "the container has its own hostname" },
		{ "ipc", "ipc namespace", true, "shared memory and semaphores stay in the container" },
		{ "net", "network namespace", true, "the container has its own interfaces and "
						     "addresses" },
		{ "cgroup", "cgroup namespace", false, "without it the container sees the host's "
						       "cgroup paths" },
		{ "user", "user namespace", false, "not used yet; needed for unprivileged "
						   "containers" },
	};
	char path[64];
	for (size_t i = 0; i < DOME_ARRAY_SIZE(nss); i++) {
		struct dome_check_item *it = add(b, "namespaces", nss[i].name, nss[i].required,
						 nss[i].why);
		snprintf(path, sizeof path, "/proc/self/ns/%s", nss[i].ns);
		if (exists(path))
			set(it, true, "%s exists", path);
		else
			set(it, false, "%s is missing: the kernel lacks CONFIG_%s_NS", path,
			    strcmp(nss[i].ns, "mnt") == 0 ? "MOUNT" :
			    strcmp(nss[i].ns, "uts") == 0 ? "UTS" :
			    strcmp(nss[i].ns, "ipc") == 0 ? "IPC" :
			    strcmp(nss[i].ns, "net") == 0 ? "NET" :
			    strcmp(nss[i].ns, "pid") == 0 ? "PID" :
			    strcmp(nss[i].ns, "user") == 0 ? "USER" : "CGROUP");
	}
}

/* ---- cgroups ---- */

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' ||
						    p[len] == '\n'))
			return true;
	return false;
}

static void read_small(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	__cleanup_fclose FILE *f = fopen(path, "re");
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
}

struct ctrl_check {
	const char *v1, *v2;      /* controller names; v2 NULL: see `special` */
	const char *name;
	bool required;
	const char *why;
};

static const struct ctrl_check ctrls[] = {
	{ "memory", "memory", "memory controller", true, "memory limits and usage" },
	{ "cpu", "cpu", "cpu controller", true, "cpu weight and cpu quota" },
	{ "cpuacct", "cpu", "cpuacct controller", false, "cpu time used, for stats" },
	{ "cpuset", "cpuset", "cpuset controller", true, "pinning a container to CPUs" },
	{ "pids", "pids", "pids controller", true, "process limits (fork bombs)" },
	{ "blkio", "io", "blkio/io controller", false, "disk bytes read and written, for stats" },
	{ "freezer", NULL, "freezer", true, "freeze/unfreeze, and killing every process on v1" },
	{ "devices", NULL, "devices controller", false, "device access rules" },
};

static void check_v1_controller(struct dome_check_item *it, const char *ctrl)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, CG_ROOT "/%s", ctrl);
	if (is_fs(path, CGROUP_SUPER_MAGIC))
		set(it, true, "v1 hierarchy at %s", path);
	else
		set(it, false, "no v1 %s hierarchy mounted at %s", ctrl, path);
}

static void check_v2_controller(struct dome_check_item *it, const struct ctrl_check *c,
				const char *root, const char *avail)
{
	if (c->v2) {
		if (has_word(avail, c->v2))
			set(it, true, "%s in %s/cgroup.controllers", c->v2, root);
		else
			set(it, false, "%s is not in %s/cgroup.controllers (taken by v1, or "
			    "disabled with cgroup_disable=)", c->v2, root);
	} else if (strcmp(c->v1, "freezer") == 0) {
		if (kernel_at_least(5, 2))
			set(it, true, "cgroup.freeze (cgroup2, kernel >= 5.2)");
		else
			set(it, false, "cgroup.freeze needs kernel 5.2 or later");
	} else {
		set(it, true, "cgroup2 controls devices with eBPF programs");
	}
}

/* v2 swap: memory.swap.max appears in a child cgroup with the memory
 * controller when swap accounting is on. Look at the existing children
 * rather than make one. */
static void check_v2_swap(struct dome_check_item *it, const char *root, bool memory)
{
	if (!memory) {
		set(it, false, "no memory controller");
		return;
	}
	__cleanup_closedir DIR *d = opendir(root);
	struct dirent *de;
	char path[PATH_MAX];
	bool any_memory = false;
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/memory.swap.max", root, de->d_name);
		if (exists(path)) {
			set(it, true, "memory.swap.max in %s/%s", root, de->d_name);
			return;
		}
		snprintf(path, sizeof path, "%s/%s/memory.max", root, de->d_name);
		any_memory |= exists(path);
	}
	if (any_memory)
		set(it, false, "cgroups have memory.max but no memory.swap.max: swap accounting "
		    "is off (swapaccount=0 or no CONFIG_MEMCG_SWAP)");
	else
		set(it, true, "assumed: no child cgroup with the memory controller to look at");
}

static void check_cgroups(struct builder *b)
{
	struct dome_error err;
	enum dome_cgroup_layout layout;
	struct dome_check_item *it = add(b, "cgroups", "cgroup layout", true,
					 "every limit, stat, freeze and kill goes through cgroups");
	if (dome_cgroup_detect(&layout, &err) < 0) {
		set(it, false, "%s", err.msg);
		return;
	}
	strlcpy(b->rep->layout, dome_cgroup_layout_name(layout), sizeof b->rep->layout);
	bool v2root = is_fs(CG_ROOT, CGROUP2_SUPER_MAGIC);
	const char *root = v2root ? CG_ROOT : CG_ROOT "/unified";
	set(it, true, "%s%s", dome_cgroup_layout_name(layout),
	    layout == DOME_CGROUP_HYBRID ? ": v1 controllers, cgroup2 at " CG_ROOT "/unified"
	    : layout == DOME_CGROUP_V2 ? (v2root ? ": cgroup2 at " CG_ROOT
					 : ": cgroup2 at " CG_ROOT "/unified")
	    : ": v1 controllers only");
	char avail[512] = "";
	if (layout == DOME_CGROUP_V2) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/cgroup.controllers", root);
		read_small(path, avail, sizeof avail);
	}
	for (size_t i = 0; i < DOME_ARRAY_SIZE(ctrls); i++) {
		it = add(b, "cgroups", ctrls[i].name, ctrls[i].required, ctrls[i].why);
		if (!it)
			return;
		if (layout == DOME_CGROUP_V2)
			check_v2_controller(it, &ctrls[i], root, avail);
		else
			check_v1_controller(it, ctrls[i].v1);
	}
	it = add(b, "cgroups", "memory+swap accounting", false,
		 "memory+swap limits (memory_swap); without it only memory can be limited");
	if (layout == DOME_CGROUP_V2)
		check_v2_swap(it, root, has_word(avail, "memory"));
	else if (exists(CG_ROOT "/memory/memory.memsw.limit_in_bytes"))
		set(it, true, CG_ROOT "/memory/memory.memsw.limit_in_bytes exists");
	else
		set(it, false, "no memory.memsw.limit_in_bytes: boot with swapaccount=1");
	it = add(b, "cgroups", "cgroup.kill", false,
		 "kills every process of a container at once; without it dome loops "
		 "freeze, kill, thaw");
	if (layout == DOME_CGROUP_V1)
		set(it, false, "no cgroup2 mount (v1 only)");
	else if (kernel_at_least(5, 14))
		set(it, true, "cgroup2 with kernel >= 5.14");
	else
		set(it, false, "cgroup.kill needs kernel 5.14 or later");
}

/* ---- filesystems and network ---- */

static bool in_file(const char *path, const char *needle)
{
	__cleanup_fclose FILE *f = fopen(path, "re");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, needle))
			return true;
	return false;
}

/* A symbol of the module in /proc/kallsyms: built in, or loaded. */
static bool kernel_has_symbol(const char *sym)
{
	__cleanup_fclose FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256];
	size_t len = strlen(sym);
	while (f && fgets(line, sizeof line, f)) {
		char *p = strrchr(line, ' ');
		if (!p || strncmp(p + 1, sym, len) != 0)
			continue;
		if (sscanf(p + 1, "%255s", name) == 1 && strcmp(name, sym) == 0)
			return true;
	}
	return false;
}

/* Is kernel module `mod` usable? Loaded (/sys/module), built in (its
 * symbol in kallsyms, or modules.builtin) or a loadable file under
 * /lib/modules/<release>/<kopath>.ko*. */
static void check_module(struct dome_check_item *it, const char *mod, const char *sym,
			 const char *kopath)
{
	char path[PATH_MAX];
	struct utsname u;
	snprintf(path, sizeof path, "/sys/module/%s", mod);
	if (exists(path)) {
		set(it, true, "module %s is loaded", mod);
		return;
	}
	if (kernel_has_symbol(sym)) {
		set(it, true, "in the running kernel (%s in /proc/kallsyms)", sym);
		return;
	}
	if (uname(&u) < 0) {
		set(it, false, "cannot tell the kernel release");
		return;
	}
	char needle[64];
	snprintf(needle, sizeof needle, "/%s.ko", mod);
	snprintf(path, sizeof path, "/lib/modules/%s/modules.builtin", u.release);
	if (in_file(path, needle)) {
		set(it, true, "built into the kernel (modules.builtin)");
		return;
	}
	static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
	for (size_t i = 0; i < DOME_ARRAY_SIZE(exts); i++) {
		snprintf(path, sizeof path, "/lib/modules/%s/kernel/%s.ko%s", u.release, kopath,
			 exts[i]);
		if (exists(path)) {
			set(it, true, "module available: %s (loaded on first use)", path);
			return;
		}
	}
	set(it, false, "module %s is not loaded, not built in, and not under /lib/modules/%s",
	    mod, u.release);
}

static void check_fs_and_net(struct builder *b)
{
	struct dome_check_item *it = add(b, "filesystems", "overlayfs", true,
					 "container root filesystems are overlays on an image");
	if (it && in_file("/proc/filesystems", "\toverlay\n"))
		set(it, true, "overlay in /proc/filesystems");
	else if (it)
		check_module(it, "overlay", "ovl_fill_super", "fs/overlayfs/overlay");
	it = add(b, "network", "veth", true, "links a container's network namespace to the "
					     "bridge (net mode bridge)");
	if (it)
		check_module(it, "veth", "veth_xmit", "drivers/net/veth");
	it = add(b, "network", "bridge", true, "the host bridge containers attach to "
					       "(net mode bridge)");
	if (it)
		check_module(it, "bridge", "br_dev_xmit", "net/bridge/bridge");
}

/* Outbound NAT is optional (nat = no by default), so never required. The
 * kernel itself judges the very batch `nat = yes` installs, in nftables'
 * check mode: sent, validated, aborted; nothing stays. */
static void check_nat(struct builder *b)
{
	struct dome_check_item *it = add(b, "network", "outbound NAT (nftables)", false,
					 "nat = yes: containers reach networks beyond the host "
					 "through a masquerade rule");
	struct dome_subnet sn;
	struct dome_error err;
	if (!it)
		return;
	if (dome_subnet_parse("10.77.0.0/24", &sn, &err) < 0 || dome_nat_check("dome0", &sn, &err) < 0)
		set(it, false, "%s", err.msg);
	else
		set(it, true, "the kernel accepts dome's masquerade rule (checked, not applied)");
}

/* Who but root reaches the containers' and images' files (rootperm.h).
 * Not required (containers run), but a failure is a hole: doctor repairs. */
static void check_state_root(struct builder *b, const char *root)
{
	struct dome_check_item *it = add(b, "state root", "permissions", false,
					 "only root may reach the files of containers, images and "
					 "backups; `dome doctor` repairs this");
	if (!it)
		return;
	struct dome_rootperm_issue issues[DOME_ROOTPERM_MAX];
	size_t n = dome_rootperm_check(root, issues, DOME_ROOTPERM_MAX);
	struct stat st;
	if (n)
		set(it, false, "%s %s%s", issues[0].path, issues[0].what,
		    n > 1 ? " (and more: dome doctor --dry-run lists them)" : "");
	else if (stat(root, &st) < 0)
		set(it, true, "%s does not exist yet: dome makes it 0711, containers/ and images/ "
			      "0700", root);
	else
		set(it, true, "%s is %04o; containers/, images/ and backups/ are 0700 or absent, "
			      "owned by root", root, (unsigned)(st.st_mode & 07777));
}

int dome_check_run(struct dome_check_report *rep, const char *state_root, struct dome_error *err)
{
	memset(rep, 0, sizeof *rep);
	struct builder b = { .rep = rep };
	check_namespaces(&b);
	check_cgroups(&b);
	check_fs_and_net(&b);
	check_nat(&b);
	if (state_root)
		check_state_root(&b, state_root);
	if (b.oom) {
		dome_check_free(rep);
		return dome_fail(err, ENOMEM, "cannot build the check report");
	}
	rep->all_required_ok = true;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->items[i].required && !rep->items[i].ok)
			rep->all_required_ok = false;
	return 0;
}

void dome_check_free(struct dome_check_report *rep)
{
	free(rep->items);
	rep->items = NULL;
	rep->n = 0;
}

json_t *dome_check_json(const struct dome_check_report *rep)
{
	json_t *features = json_array();
	for (size_t i = 0; i < rep->n; i++) {
		const struct dome_check_item *it = &rep->items[i];
		json_array_append_new(features, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}",
							  "group", it->group, "name", it->name,
							  "status", it->ok ? "ok" : "missing",
							  "required", it->required,
							  "detail", it->detail, "why", it->why));
	}
	return json_pack("{s:s, s:b, s:o}", "layout", rep->layout, "ok", rep->all_required_ok,
			 "features", features);
}
