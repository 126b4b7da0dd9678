/* The text of procfs's generated files, in Linux's formats, from the
 * kernel's own state: the VMA map, the descriptor table, the mounts, the
 * process's credentials and arguments. */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include <kernel/vfs.h>
#include "../../plat/plat.h"
#include "procfs.h"

/* Linux's show_vma_header_prefix pads to 25 + 6 * sizeof(void *) - 1. */
#define MAPS_WIDTH 72

static const char *vma_name(const struct vma *v, char *buf, size_t len)
{
	if (v->flags & VMA_HEAP)
		return "[heap]";
	if (v->flags & VMA_STACK)
		return "[stack]";
	if (v->flags & VMA_SIGPAGE)
		return "[sigpage]";
	if (v->name && strncmp(v->name, "anon:", 5) == 0) {
		/* prctl(PR_SET_VMA_ANON_NAME); shared anonymous memory is
		 * shmem's on Linux, and says so */
		if (v->flags & VMA_SHARED)
			ksnprintf(buf, len, "[anon_shmem:%s]", v->name + 5);
		else
			ksnprintf(buf, len, "[%s]", v->name);
		return buf;
	}
	return v->name;
}

void proc_gen_maps(struct seq *s)
{
	struct mm *mm = &kernel_mm;
	char nbuf[96];
	char *fbuf = kmalloc(PATH_MAX + 1);

	if (!fbuf) {
		s->oom = true;
		return;
	}
	kmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		size_t start = s->len;
		const char *name = vma_name(v, nbuf, sizeof nbuf);
		unsigned long off = 0, ino = 0;
		unsigned int major = 0, minor = 0;

		if (v->flags & VMA_KERNEL)
			continue; /* a hole to the guest */

		/* anonymous memory: offset 0, device 00:00, inode 0; a file mapping
		 * shows its offset, the file's device (st_dev decoded as Linux's
		 * MAJOR/MINOR) and inode, and the name /proc/self/fd would show */
		if (v->file) {
			u64 dev = v->file->inode->sb->dev;
			long n = proc_file_name(v->file, fbuf, PATH_MAX);

			off = (unsigned long)(v->pgoff << PAGE_SHIFT);
			major = (unsigned int)((dev >> 8) & 0xfff);
			minor = (unsigned int)((dev & 0xff) | ((dev >> 12) & 0xfff00));
			ino = (unsigned long)v->file->inode->ino;
			fbuf[n > 0 ? n : 0] = 0;
			name = fbuf;
		}
		seq_printf(s, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", (unsigned long)v->start,
			   (unsigned long)v->end, (v->prot & PROT_READ) ? 'r' : '-',
			   (v->prot & PROT_WRITE) ? 'w' : '-', (v->prot & PROT_EXEC) ? 'x' : '-',
			   (v->flags & VMA_SHARED) ? 's' : 'p', off, major, minor, ino);
		if (name) {
			seq_pad(s, start, MAPS_WIDTH, ' ');
			seq_printf(s, "%s", name);
		}
		seq_write(s, "\n", 1);
	}
	kmutex_unlock(&mm->lock);
	kfree(fbuf);
}

/* Memory totals in kB, from the VMA map. */
struct vm_totals {
	unsigned long size, data, stk;
};

static struct vm_totals vm_totals(void)
{
	struct mm *mm = &kernel_mm;
	struct vm_totals t = { 0, 0, 0 };

	kmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		unsigned long kb = (unsigned long)(v->end - v->start) >> 10;

		if (v->flags & VMA_KERNEL)
			continue;
		t.size += kb;
		/* Linux's VmData: private writable, not stack */
		if (v->flags & VMA_STACK)
			t.stk += kb;
		else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
			t.data += kb;
	}
	kmutex_unlock(&mm->lock);
	return t;
}

/* Linux's proc_task_name: the thread's comm, with a newline as "\n" and
 * other control characters escaped (the name is never empty here). */
static void task_name(struct seq *s, const struct task *t)
{
	for (const char *c = t->comm; *c; c++) {
		if (*c == '\n')
			seq_write(s, "\\n", 2);
		else if (*c == '\\')
			seq_write(s, "\\\\", 2);
		else
			seq_write(s, c, 1);
	}
}

/* Linux's "%*pb" and "%*pbl" of the thread's CPU mask over nr_cpu_ids:
 * hex in 32-bit groups (the first one as wide as its bits need), then the
 * list of ranges. */
static void cpus_allowed(struct seq *s, const struct task *t)
{
	int n, first = 1;
	u64 mask = task_cpu_mask(t, &n);

	seq_printf(s, "Cpus_allowed:\t");
	for (int hi = (n - 1) / 32; hi >= 0; hi--) {
		int bits = hi == (n - 1) / 32 ? n - hi * 32 : 32;
		u32 chunk = hi < 2 ? (u32)(mask >> (hi * 32)) : 0;

		seq_printf(s, "%s%0*x", hi == (n - 1) / 32 ? "" : ",", (bits + 3) / 4, chunk);
	}
	seq_printf(s, "\nCpus_allowed_list:\t");
	for (int c = 0; c < n && c < 64; c++) {
		int e = c;

		if (!(mask >> c & 1))
			continue;
		while (e + 1 < n && e + 1 < 64 && (mask >> (e + 1) & 1))
			e++;
		seq_printf(s, e > c ? "%s%d-%d" : "%s%d", first ? "" : ",", c, e);
		first = 0;
		c = e;
	}
	seq_printf(s, "\n");
}

void proc_gen_status(struct seq *s, const struct task *task)
{
	const struct proc *p = &current_proc;
	const struct cred *c = &p->cred;
	struct vm_totals t = vm_totals();
	int pid = p->pid;
	u64 caps = c->euid == 0 ? CAP_ALL & ~p->ctl.cap_eff_missing : 0;

	seq_printf(s, "Name:\t");
	task_name(s, task);
	seq_printf(s, "\nUmask:\t%04o\nState:\t%s\n", p->umask,
		   task->sleeping ? "S (sleeping)" : "R (running)");
	seq_printf(s, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n", pid, task->tid);
	seq_printf(s, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid, c->fsuid);
	seq_printf(s, "Gid:\t%u\t%u\t%u\t%u\n", c->gid, c->egid, c->sgid, c->fsgid);
	seq_printf(s, "FDSize:\t%u\nGroups:\t", fd_table_size());
	for (u32 i = 0; i < c->ngroups; i++)
		seq_printf(s, i ? " %u" : "%u", c->groups[i]);
	/* Linux ends the list with a space, even an empty one */
	seq_printf(s, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n", pid,
		   task->tid, pid, pid);
	seq_printf(s, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n",
		   t.size, t.size, 0UL, 0UL);
	/* resident set sizes are not tracked: the host decides residency */
	seq_printf(s, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\n", 0UL, 0UL, 0UL);
	seq_printf(s, "RssFile:\t%8lu kB\nRssShmem:\t%8lu kB\n", 0UL, 0UL);
	seq_printf(s, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t%8lu kB\n",
		   t.data, t.stk, 0UL, 0UL);
	seq_printf(s, "VmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\nHugetlbPages:\t%8lu kB\n", 0UL, 0UL, 0UL);
	seq_printf(s, "CoreDumping:\t0\nTHP_enabled:\t%d\nThreads:\t%d\n", !p->ctl.thp_disable,
		   task_count());
	seq_printf(s, "SigQ:\t0/%lu\n", (unsigned long)p->rlim[RLIMIT_SIGPENDING].rlim_cur);
	seq_printf(s, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n", 0UL, 0UL, 0UL);
	seq_printf(s, "SigIgn:\t%016lx\nSigCgt:\t%016lx\n", 0UL, 0UL);
	/* uid 0 stands for a process with every capability */
	seq_printf(s, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\n", 0UL,
		   (unsigned long)caps, (unsigned long)caps);
	seq_printf(s, "CapBnd:\t%016lx\nCapAmb:\t%016lx\n", (unsigned long)proc_cap_bset(),
		   (unsigned long)p->ctl.cap_ambient);
	seq_printf(s, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n",
		   task->ctl.no_new_privs);
	cpus_allowed(s, task);
	seq_printf(s, "Mems_allowed:\t1\nMems_allowed_list:\t0\n");
	seq_printf(s, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

void proc_gen_stat(struct seq *s, const struct task *task)
{
	const struct proc *p = &current_proc;
	const u64 *mf = p->ctl.mm_fields;
	struct vm_totals t = vm_totals();
	int pid = p->pid;

	/* pid (comm) state ppid pgrp session tty_nr tpgid flags: the thread's
	 * id and name (comm as is, unescaped) */
	/* a thread asleep in the one wait is S, as Linux shows an interruptible
	 * sleep; any other is running */
	seq_printf(s, "%d (%s) %c 1 %d %d 0 -1 4194304 ", task->tid, task->comm,
		   task->sleeping ? 'S' : 'R', pid, pid);
	/* minflt cminflt majflt cmajflt utime stime cutime cstime */
	seq_printf(s, "0 0 0 0 0 0 0 0 ");
	/* priority nice num_threads itrealvalue starttime vsize rss rsslim */
	seq_printf(s, "20 0 %d 0 0 %lu 0 %lu ", task_count(), t.size << 10,
		   (unsigned long)p->rlim[RLIMIT_RSS].rlim_cur);
	/* startcode endcode startstack kstkesp kstkeip signal blocked sigignore
	 * sigcatch wchan nswap cnswap exit_signal processor rt_priority policy
	 * delayacct_blkio_ticks guest_time cguest_time start_data end_data:
	 * the mm's fields as exec or PR_SET_MM set them (the code and data
	 * bounds are only PR_SET_MM's) */
	seq_printf(s, "%lu %lu %lu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 %lu %lu ", (unsigned long)mf[0],
		   (unsigned long)mf[1], (unsigned long)mf[6], (unsigned long)mf[2],
		   (unsigned long)mf[3]);
	/* start_brk arg_start arg_end env_start env_end exit_code */
	seq_printf(s, "%lu %lu %lu %lu %lu 0\n", (unsigned long)kernel_mm.brk_start,
		   (unsigned long)mf[7], (unsigned long)mf[8], (unsigned long)mf[9],
		   (unsigned long)mf[10]);
}

/* Linux's cmdline and environ: the NUL-separated strings as they are. */
void proc_gen_cmdline(struct seq *s)
{
	if (current_proc.cmdline)
		seq_write(s, current_proc.cmdline, current_proc.cmdline_len);
}

void proc_gen_environ(struct seq *s)
{
	if (current_proc.environ)
		seq_write(s, current_proc.environ, current_proc.environ_len);
}

/* Linux's mangle_path for /proc/mounts: space, tab, newline and backslash
 * as octal escapes. */
static void seq_escaped(struct seq *s, const char *str)
{
	for (; *str; str++) {
		if (*str == ' ' || *str == '\t' || *str == '\n' || *str == '\\')
			seq_printf(s, "\\%03o", (unsigned)(unsigned char)*str);
		else
			seq_write(s, str, 1);
	}
}

static void show_mount(struct mount *m, void *arg)
{
	struct seq *s = arg;
	struct path where = { m, m->root };
	char *buf = kmalloc(PATH_MAX), *start;

	if (!buf) {
		s->oom = true;
		return;
	}
	/* mounts outside the process root (chroot) are not shown */
	if (d_path(&where, buf, PATH_MAX, &start) > 0 && start[0] == '/') {
		seq_escaped(s, m->source);
		seq_write(s, " ", 1);
		seq_escaped(s, start);
		seq_printf(s, " %s rw,relatime 0 0\n", m->fstype);
	}
	kfree(buf);
}

void proc_gen_mounts(struct seq *s)
{
	vfs_for_each_mount(show_mount, s);
}

/* The host CPU's vendor, model name, family, model and stepping, decoded
 * from its cpuid leaves as Linux's x86 code does; left as they are when
 * the platform has no cpuid. */
static void cpu_ident(char vendor[13], char model[49], u32 *family, u32 *mod, u32 *stepping)
{
	u32 r[4];

	if (!plat_cpuid(0, r))
		return;
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	plat_cpuid(1, r);
	*stepping = r[0] & 0xf;
	*family = (r[0] >> 8) & 0xf;
	*mod = (r[0] >> 4) & 0xf;
	if (*family == 0xf)
		*family += (r[0] >> 20) & 0xff;
	if (*family >= 6)
		*mod += ((r[0] >> 16) & 0xf) << 4;
	plat_cpuid(0x80000000, r);
	if (r[0] >= 0x80000004) {
		char *q = model;

		for (u32 leaf = 0x80000002; leaf <= 0x80000004; leaf++, q += 16) {
			plat_cpuid(leaf, r);
			memcpy(q, r, 16);
		}
		model[48] = 0;
		/* trailing blanks, as Linux strips them */
		for (size_t n = strlen(model); n > 0 && model[n - 1] == ' '; n--)
			model[n - 1] = 0;
	}
}

/* One CPU (the kernel runs its process on one), described as x86's
 * show_cpuinfo does. */
void proc_gen_cpuinfo(struct seq *s)
{
	char vendor[13] = "unknown", model[49] = "unknown";
	u32 family = 0, mod = 0, stepping = 0;

	cpu_ident(vendor, model, &family, &mod, &stepping);
	seq_printf(s, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", vendor,
		   family, mod);
	seq_printf(s, "model name\t: %s\nstepping\t: %u\n", model, stepping);
	seq_printf(s, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
	seq_printf(s, "apicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\n");
	seq_printf(s, "wp\t\t: yes\nflags\t\t: fpu tsc cx8 cmov fxsr sse sse2 syscall nx lm\n");
	seq_printf(s, "clflush size\t: 64\ncache_alignment\t: 64\n");
	seq_printf(s, "address sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n");
}

/* The memory the kernel has: its guest range, at most the host's RAM
 * (MemTotal), less what is mapped (MemFree). sysinfo reports the same. */
void proc_mem_totals(unsigned long *total, unsigned long *free)
{
	struct mm *mm = &kernel_mm;
	unsigned long used = 0;

	kmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++)
		used += (unsigned long)(mm->vmas[i].end - mm->vmas[i].start);
	/* the guest range (128 TiB under abi-run), but no more than the host's RAM */
	*total = (unsigned long)(mm->limit - mm->base);
	if (plat_ram_total() && plat_ram_total() < *total)
		*total = (unsigned long)plat_ram_total();
	*free = *total > used ? *total - used : 0;
	kmutex_unlock(&mm->lock);
}

static void kb_line(struct seq *s, const char *name, unsigned long kb)
{
	size_t start = s->len;

	seq_printf(s, "%s:", name);
	seq_pad(s, start, 16, 0);
	seq_printf(s, "%8lu kB\n", kb);
}

void proc_gen_meminfo(struct seq *s)
{
	static const char *const zero[] = {
		"Buffers",      "Cached",         "SwapCached",   "Active",         "Inactive",
		"Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable",
		"Mlocked",      "SwapTotal",      "SwapFree",     "Dirty",          "Writeback",
		"AnonPages",    "Mapped",         "Shmem",        "KReclaimable",   "Slab",
		"SReclaimable", "SUnreclaim",     "KernelStack",  "PageTables",
	};
	unsigned long total, free;

	proc_mem_totals(&total, &free);
	kb_line(s, "MemTotal", total >> 10);
	kb_line(s, "MemFree", free >> 10);
	kb_line(s, "MemAvailable", free >> 10);
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
		kb_line(s, zero[i], 0);
	kb_line(s, "CommitLimit", total >> 10);
	kb_line(s, "Committed_AS", (total - free) >> 10);
	seq_printf(s, "HugePages_Total:       0\nHugePages_Free:        0\n");
	seq_printf(s, "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	kb_line(s, "Hugepagesize", 2048);
}
