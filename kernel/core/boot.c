/* abi_boot and abi_reset: one kernel per boot, nothing carried over. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

#define DEFAULT_GUEST_BASE 0x200000000000UL
#define DEFAULT_GUEST_SIZE (64UL << 30)
#define DEFAULT_ID 1000
/* Not 1: init is special to signals and to programs that check for it. */
#define DEFAULT_PID 100

struct proc current_proc;
static bool booted;
static u32 boot_flags;
static size_t reset_leak;

void abi_enosys_hook(int id)
{
	if (boot_flags & ABI_BOOT_WARN_ENOSYS)
		kprintf("abi: %s is not implemented (ENOSYS)\n", abi_sysmeta[id].name);
}

static void init_rlimits(struct proc *p, u32 nofile)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = (struct linux_rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	p->rlim[RLIMIT_NOFILE] = (struct linux_rlimit){ nofile, 1 << 20 };
	p->rlim[RLIMIT_STACK] = (struct linux_rlimit){ 8 << 20, RLIM_INFINITY };
	p->rlim[RLIMIT_CORE] = (struct linux_rlimit){ 0, RLIM_INFINITY };
	p->rlim[RLIMIT_MEMLOCK] = (struct linux_rlimit){ 8 << 20, 8 << 20 };
	p->rlim[RLIMIT_NPROC] = (struct linux_rlimit){ 63668, 63668 };
	p->rlim[RLIMIT_SIGPENDING] = (struct linux_rlimit){ 63668, 63668 };
	p->rlim[RLIMIT_MSGQUEUE] = (struct linux_rlimit){ 819200, 819200 };
	p->rlim[RLIMIT_NICE] = (struct linux_rlimit){ 0, 0 };
	p->rlim[RLIMIT_RTPRIO] = (struct linux_rlimit){ 0, 0 };
}

static void init_cred(struct cred *c, u32 uid, u32 gid)
{
	memset(c, 0, sizeof *c);
	c->uid = c->euid = c->suid = c->fsuid = uid;
	c->gid = c->egid = c->sgid = c->fsgid = gid;
}

/* The initial tree: / (root's, 0755), /tmp (1777), /dev and /dev/shm. */
static long init_root(void)
{
	struct super_block *sb;
	struct dentry *root, *tmp;
	struct path rp;
	long r;

	kmutex_lock(&vfs_lock);
	inode_time_freeze(true);
	sb = ramfs_new(&root, 0755);
	r = sb ? vfs_mount_root(sb, root) : -ENOMEM;
	if (r < 0)
		goto out;
	root->inode->uid = root->inode->gid = 0;
	rp = vfs_root();
	current_proc.root = rp;
	current_proc.cwd = rp;
	path_get(&current_proc.root);
	path_get(&current_proc.cwd);
	tmp = dentry_new(root, "tmp", 3);
	if (!tmp) {
		r = -ENOMEM;
		goto out;
	}
	r = root->inode->iops->mkdir(root->inode, tmp, 01777);
	if (r == 0)
		tmp->inode->uid = tmp->inode->gid = 0;
	dput(tmp);
	if (r == 0)
		r = devfs_init();
	if (r == 0)
		r = procfs_init();
out:
	inode_time_freeze(false);
	kmutex_unlock(&vfs_lock);
	return r;
}

int abi_boot(const struct abi_boot_args *args)
{
	struct abi_boot_args a = {
		.size = sizeof a,
		.uid = DEFAULT_ID,
		.gid = DEFAULT_ID,
		.umask = 022,
		.nofile = 1024,
		.guest_base = DEFAULT_GUEST_BASE,
		.guest_size = DEFAULT_GUEST_SIZE,
	};
	long r;

	if (booted)
		abi_reset();
	if (args) {
		size_t n = MIN((size_t)args->size, sizeof a);

		memcpy(&a, args, n); /* an older, shorter struct keeps the defaults after it */
		if (!a.guest_size)
			a.guest_size = DEFAULT_GUEST_SIZE;
		if (!a.guest_base)
			a.guest_base = DEFAULT_GUEST_BASE;
		if (!a.nofile)
			a.nofile = 1024;
	}
	boot_flags = a.flags;
	plat_ram_total(); /* read now: abi-run confines itself later */
	if (a.flags & ABI_BOOT_HOST_CREDS) {
		a.uid = plat_host_uid();
		a.gid = plat_host_gid();
	}
	memset(&current_proc, 0, sizeof current_proc);
	init_cred(&current_proc.cred, a.uid, a.gid);
	current_proc.umask = a.umask & 0777;
	current_proc.pid = DEFAULT_PID;
	current_proc.personality = a.personality;
	task_boot(DEFAULT_PID);
	list_init(&current_proc.shared_pending.queue);
	a.release[sizeof a.release - 1] = a.nodename[sizeof a.nodename - 1] = 0;
	strlcpy(current_proc.release, a.release[0] ? a.release : ABI_DEFAULT_RELEASE,
		sizeof current_proc.release);
	strlcpy(current_proc.nodename, a.nodename[0] ? a.nodename : "abi",
		sizeof current_proc.nodename);
	strlcpy(current_proc.domainname, "(none)", sizeof current_proc.domainname);
	init_rlimits(&current_proc, a.nofile);
	fdtable_init(&current_proc.fdt);
	prctl_boot(a.flags & ABI_BOOT_HOST_CREDS);
	booted = true;
	if (proc_set_args((const char *const *)(uintptr_t)a.argv,
			  (const char *const *)(uintptr_t)a.envp) < 0) {
		abi_reset();
		return -ENOMEM;
	}
	if ((!(a.flags & ABI_BOOT_OWN_FAULTS) && (r = plat_fault_install()) < 0) ||
	    (r = mm_boot(a.guest_base, a.guest_size, a.flags & ABI_BOOT_GUEST_RESERVED, a.hole_base,
			 a.hole_size, a.mmap_min_addr)) < 0 ||
	    (r = init_root()) < 0) {
		abi_reset();
		return (int)r;
	}
	return 0;
}

void abi_reset(void)
{
	if (!booted)
		return;
	signal_reset();
	fdtable_destroy(&current_proc.fdt);
	mm_shutdown(); /* before the VFS: file mappings hold their files */
	kmutex_lock(&vfs_lock);
	proc_args_free();
	path_put(&current_proc.cwd);
	path_put(&current_proc.root);
	vfs_shutdown();
	kmutex_unlock(&vfs_lock);
	locks_reset();
	/* Everything is torn down by now: what the page pool and the heap
	 * still hold leaked. */
	reset_leak = fpage_in_use();
	fpage_shutdown();
	reset_leak += kmalloc_in_use();
	kmalloc_reset();
	memset(&current_proc, 0, sizeof current_proc);
	memset(abi_enosys_hits, 0, sizeof abi_enosys_hits);
	vfs_lock = (struct kmutex)KMUTEX_INIT;
	booted = false;
}

size_t abi_reset_leaked(void)
{
	return reset_leak;
}

void abi_guest_range(u64 *base, u64 *size)
{
	*base = kernel_mm.base;
	*size = kernel_mm.limit - kernel_mm.base;
}
