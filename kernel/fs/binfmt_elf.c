/* ELF programs, after Linux's fs/binfmt_elf.c: the loader in loader/ does
 * the reading, checking, mapping and stack building, through loader_ops
 * made of the kernel's own calls (kernel_read, vm_mmap, copy_to_user), so
 * the new image is in the VMA map as any mmap would put it. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/binfmts.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "../plat/plat.h"
#include "loader.h"

/* The main thread's stack: the highest mapping, as on Linux. */
#define STACK_SIZE (8UL << 20)
/* A compact guest range (the library platform's): an ET_DYN program
 * (PIE, static-pie) goes at the first 4 GiB boundary above the guest base,
 * far below the top-down mmap area, so the brk after it has room to grow. */
#define DYN_BASE_ALIGN (4UL << 30)
#define BOUNCE_SIZE (64UL << 10)

/* Linux's x86_64 layout (arch/x86/mm/mmap.c, arch/x86/kernel/process.c,
 * fs/binfmt_elf.c, mm/util.c), used when the guest range is Linux's whole
 * user range (abi-run). */
#define ELF_ET_DYN_BASE (MM_TASK_SIZE / 3 * 2) /* 0x555555554aaa */
#define STACK_RND_MASK 0x3fffffUL              /* 22 bits of pages: 16 GiB */
#define MMAP_RND_BITS 28                       /* vm.mmap_rnd_bits' default */
#define STACK_GUARD_GAP (256UL << PAGE_SHIFT)  /* stack_guard_gap */
#define BRK_RND_RANGE (1UL << 30)              /* arch_randomize_brk: 1 GiB (6.11+) */
#define MMAP_GAP_MIN (128UL << 20)
#define MMAP_GAP_MAX (MM_TASK_SIZE / 6 * 5)

/* Where exec puts things: Linux's choices, random unless the personality
 * says ADDR_NO_RANDOMIZE (the randomness is the kernel's entropy, so
 * abi-run --seed makes it reproducible). */
struct exec_layout {
	bool linux_layout, randomize;
	uintptr_t stack_top; /* the end of the stack VMA */
	u64 stack_gap;       /* create_elf_tables' arch_align_stack gap */
	uintptr_t mmap_base; /* top-down mmap starts below it */
	uintptr_t dyn_base;  /* an ET_DYN program with PT_INTERP (a PIE) */
};

/* The randomness one exec uses (the layout's five draws, AT_RANDOM and the
 * brk's: 64 bytes), drawn from the platform at once: a host call each was
 * seven getrandoms per exec. Filled by load_elf_binary; a draw beyond it
 * asks the platform. */
static struct {
	u8 bytes[64];
	size_t used;
} exec_rnd;

static void exec_rnd_fill(void)
{
	exec_rnd.used = plat_entropy(exec_rnd.bytes, sizeof exec_rnd.bytes) == 0
				? 0
				: sizeof exec_rnd.bytes;
}

static long exec_random(void *buf, size_t len)
{
	if (len > sizeof exec_rnd.bytes - exec_rnd.used)
		return plat_entropy(buf, len);
	memcpy(buf, exec_rnd.bytes + exec_rnd.used, len);
	memset(exec_rnd.bytes + exec_rnd.used, 0, len); /* used once */
	exec_rnd.used += len;
	return 0;
}

static u64 rand_u64(void)
{
	u64 v = 0;

	exec_random(&v, sizeof v);
	return v;
}

/* arch_mmap_rnd(): 28 bits of pages. */
static u64 mmap_rnd(void)
{
	return (rand_u64() & ((1UL << MMAP_RND_BITS) - 1)) << PAGE_SHIFT;
}

/* mm/util.c randomize_page(): start plus a random number of pages below range. */
static uintptr_t randomize_page(uintptr_t start, u64 range)
{
	range >>= PAGE_SHIFT;
	return range ? start + ((rand_u64() % range) << PAGE_SHIFT) : start;
}

static void exec_layout(struct exec_layout *l)
{
	u64 rlim = current_proc.rlim[RLIMIT_STACK].rlim_cur, gap, pad, rnd = 0;

	*l = (struct exec_layout){ 0 };
	if (kernel_mm.limit != MM_TASK_SIZE) {
		/* compact: the stack at the top of the range, mmap below it */
		l->stack_top = kernel_mm.limit;
		l->mmap_base = kernel_mm.limit - STACK_SIZE;
		l->dyn_base = (kernel_mm.base + DYN_BASE_ALIGN) & ~(DYN_BASE_ALIGN - 1);
		return;
	}
	l->linux_layout = true;
	l->randomize = !(current_proc.personality & ADDR_NO_RANDOMIZE);
	/* randomize_stack_top(STACK_TOP), then setup_arg_pages' arch_align_stack
	 * and PAGE_ALIGN; create_elf_tables aligns once more below the strings */
	l->stack_top = MM_TASK_SIZE;
	if (l->randomize) {
		l->stack_top -= (rand_u64() & STACK_RND_MASK) << PAGE_SHIFT;
		l->stack_top = PAGE_ALIGN((l->stack_top - rand_u64() % 8192) & ~0xfUL);
		l->stack_gap = rand_u64() % 8192;
	}
	/* mmap_base(): below the stack's rlimit, its random range and the
	 * guard gap, at least 128 MiB and at most 5/6 of the space */
	gap = rlim;
	pad = (l->randomize ? STACK_RND_MASK << PAGE_SHIFT : 0) + STACK_GUARD_GAP;
	if (gap + pad > gap)
		gap += pad;
	gap = gap < MMAP_GAP_MIN ? MMAP_GAP_MIN : gap > MMAP_GAP_MAX ? MMAP_GAP_MAX : gap;
	if (l->randomize)
		rnd = mmap_rnd();
	l->mmap_base = PAGE_ALIGN(MM_TASK_SIZE - gap - rnd);
	/* load_elf_binary: a PIE at ELF_ET_DYN_BASE plus arch_mmap_rnd() */
	l->dyn_base = ELF_ET_DYN_BASE + (l->randomize ? mmap_rnd() : 0);
}

/* The start of the brk area, as load_elf_binary sets it: after the program
 * (a page further when random), or, for a program without an interpreter
 * loaded as ET_DYN (a static-pie), at ELF_ET_DYN_BASE, out of the mmap
 * area; then arch_randomize_brk. */
static uintptr_t exec_brk(const struct exec_layout *l, const struct loader_image *img,
			  uintptr_t end)
{
	uintptr_t brk = end;

	if (!l->linux_layout)
		return end;
	if (img->prog.ehdr.e_type == ET_DYN && !img->has_interp)
		brk = PAGE_ALIGN(ELF_ET_DYN_BASE);
	else if (l->randomize)
		brk += PAGE_SIZE;
	if (l->randomize)
		brk = randomize_page(brk, BRK_RND_RANGE);
	return brk;
}

static struct file *file_of(void *f)
{
	return f;
}

static long op_open(void *ctx, const char *path, void **file, uint64_t *size)
{
	struct file *f;
	long r;

	(void)ctx;
	if ((r = open_execat(AT_FDCWD, path, 0, &f)) < 0)
		return r;
	*file = f;
	*size = (uint64_t)f->inode->size;
	return 0;
}

static void op_close(void *ctx, void *file)
{
	(void)ctx;
	fput(file_of(file));
}

/* ctx is the exec's bprm: what lies in its head is not read again. */
static long op_pread(void *ctx, void *file, void *buf, size_t len, uint64_t off)
{
	const struct linux_binprm *bprm = ctx;
	s64 pos = (s64)off;
	size_t done = 0;

	if (bprm && bprm->head && file_of(file) == bprm->file && off < bprm->head_len &&
	    len <= bprm->head_len - off) {
		memcpy(buf, bprm->head + off, len);
		return (long)len;
	}
	while (done < len) {
		long r = kernel_read(file_of(file), (char *)buf + done, len - done, &pos);

		if (r < 0)
			return done ? (long)done : r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (long)done;
}

static long op_map_anon(void *ctx, uptr *addr, size_t len, int prot, enum loader_map_how how)
{
	unsigned long flags = MAP_PRIVATE | MAP_ANONYMOUS;
	long r;

	(void)ctx;
	if (how == LOADER_MAP_FIXED)
		flags |= MAP_FIXED;
	else if (how == LOADER_MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED_NOREPLACE;
	r = vm_mmap(NULL, addr->addr, len, (unsigned long)prot, flags, 0);
	if (IS_ERR_VALUE(r))
		return r;
	addr->addr = (uintptr_t)r;
	return 0;
}

/* File pages: the kernel's file mmap where the file can be mapped (hostfs,
 * ramfs); elsewhere (ENODEV) anonymous memory the file is read into. */
static long op_map_file(void *ctx, void *file, uptr addr, size_t len, int prot, uint64_t off)
{
	struct file *f = file_of(file);
	s64 pos = (s64)off;
	size_t done = 0;
	char *bounce;
	long r = vm_mmap(f, addr.addr, len, (unsigned long)prot, MAP_PRIVATE | MAP_FIXED, off);

	(void)ctx;
	if (!IS_ERR_VALUE(r))
		return 0;
	if (r != -ENODEV)
		return r;
	r = vm_mmap(NULL, addr.addr, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (IS_ERR_VALUE(r))
		return r;
	if (!(bounce = kmalloc(BOUNCE_SIZE)))
		return -ENOMEM;
	while (done < len) {
		r = kernel_read(f, bounce, MIN(len - done, BOUNCE_SIZE), &pos);
		if (r <= 0)
			break; /* past the end of the file the rest stays zero */
		if ((r = copy_to_user(uptr_add(addr, done), bounce, (size_t)r)) < 0)
			break;
		done = (size_t)(pos - (s64)off);
	}
	kfree(bounce);
	if (r < 0)
		return r;
	return sys_mprotect(addr.addr, len, (unsigned long)prot);
}

static long op_unmap(void *ctx, uptr addr, size_t len)
{
	(void)ctx;
	return sys_munmap(addr.addr, len);
}

static long op_protect(void *ctx, uptr addr, size_t len, int prot)
{
	(void)ctx;
	return sys_mprotect(addr.addr, len, (unsigned long)prot);
}

static long op_copy_out(void *ctx, uptr dst, const void *src, size_t len)
{
	(void)ctx;
	return copy_to_user(dst, src, len);
}

/* AT_RANDOM: the kernel's entropy (a reproducible stream with --seed). */
static long op_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return exec_random(buf, len);
}

static const struct loader_ops kernel_loader_ops = {
	.open = op_open,
	.close = op_close,
	.pread = op_pread,
	.map_anon = op_map_anon,
	.map_file = op_map_file,
	.unmap = op_unmap,
	.protect = op_protect,
	.copy_out = op_copy_out,
	.random = op_random,
};

static struct loader_params exec_params(const struct exec_layout *l)
{
	return (struct loader_params){
		.machine = arch_elf_machine(),
		.pagesize = PAGE_SIZE,
		.dyn_base = { l->dyn_base },
		.task_size = MM_TASK_SIZE,
	};
}

/* The stack and the program with its interpreter, into the empty address
 * space; the break follows the program. */
/* What prctl keeps of the new program (mm->saved_auxv and the mm's
 * stack, argument and environment fields): PR_GET_AUXV and PR_SET_MM. */
static void save_auxv(const struct loader_result *res)
{
	u64 auxv[AT_VECTOR_WORDS] = { 0 };
	u64 *f = current_proc.ctl.mm_fields;

	copy_from_user(auxv, res->auxv, MIN(res->auxv_len, sizeof auxv - 16));
	prctl_save_auxv(auxv, AT_VECTOR_WORDS);
	memset(current_proc.ctl.mm_fields, 0, sizeof current_proc.ctl.mm_fields);
	f[4] = f[5] = res->brk.addr; /* start_brk, brk */
	f[6] = res->sp.addr;         /* start_stack */
	f[7] = res->arg_start.addr;
	f[8] = res->arg_end.addr;
	f[9] = res->env_start.addr;
	f[10] = res->env_end.addr;
}

static long load_image(struct linux_binprm *bprm, const struct exec_layout *l,
		       const struct loader_params *params, struct loader_result *res)
{
	struct loader_ops ops;
	struct loader_args la;
	Elf64_auxv_t fast_aux;
	u64 clktck = plat_cpu_aux(AT_CLKTCK);
	struct vma *v;
	long r;

	r = vm_mmap(NULL, l->stack_top - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_STACK | MAP_FIXED_NOREPLACE,
		    0);
	if (IS_ERR_VALUE(r)) {
		bprm->why = "cannot map the stack";
		return r;
	}
	kmutex_lock(&kernel_mm.lock);
	if ((v = vma_find(&kernel_mm, (uintptr_t)r)))
		v->flags |= VMA_STACK; /* "[stack]" in /proc/self/maps */
	kmutex_unlock(&kernel_mm.lock);
	kernel_mm.mmap_top = l->mmap_base;
	la = (struct loader_args){
		.argv = bprm->ptrs,
		.envp = bprm->ptrs + bprm->argc + 1,
		.execfn = bprm->filename,
		.platform = arch_name(),
		.uid = current_proc.cred.uid,
		.euid = current_proc.cred.euid,
		.gid = current_proc.cred.gid,
		.egid = current_proc.cred.egid,
		.hwcap = arch_aux(AT_HWCAP, plat_cpu_aux(AT_HWCAP)),
		.hwcap2 = arch_aux(AT_HWCAP2, plat_cpu_aux(AT_HWCAP2)),
		.clktck = clktck ? clktck : 100,
		.minsigstksz = arch_aux(AT_MINSIGSTKSZ, plat_cpu_aux(AT_MINSIGSTKSZ)),
		.stack_top = { (uintptr_t)r + STACK_SIZE },
		.stack_size = STACK_SIZE,
		.stack_gap = l->stack_gap,
	};
	if (plat_fast_entry && bprm->img->abi_note) {
		fast_aux = (Elf64_auxv_t){ .a_type = AT_ABI_ENTRY, .a_un.a_val = plat_fast_entry };
		la.extra_aux = &fast_aux;
		la.n_extra_aux = 1;
	}
	current_proc.fastcall = la.n_extra_aux != 0;
	ops = kernel_loader_ops;
	ops.ctx = bprm;
	r = elf_exec(&ops, params, &la, bprm->img, bprm->file, (uint64_t)bprm->file->inode->size,
		     res, &bprm->why);
	bprm->interp_failed = bprm->img->interp_failed;
	if (r < 0)
		return r;
	kernel_mm.brk_start = kernel_mm.brk = exec_brk(l, bprm->img, res->brk.addr);
	save_auxv(res);
	return arch_exec_mappings();
}

/* An ET_EXEC file's fixed addresses must lie in the guest range (which on
 * the library platform lies high, where no ET_EXEC program fits): refused as
 * an image outside the address space is, before the point of no return. */
static long check_fixed_image(const struct elf_binary *bin, const char **why)
{
	u64 lo = ~0UL, hi = 0;

	if (bin->ehdr.e_type != ET_EXEC)
		return 0;
	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		lo = MIN(lo, ph->p_vaddr & PAGE_MASK);
		hi = MAX(hi, PAGE_ALIGN(ph->p_vaddr + ph->p_memsz));
	}
	if (lo < kernel_mm.base || hi > kernel_mm.limit) {
		*why = "the ET_EXEC image lies outside the guest address range";
		return -EINVAL;
	}
	if (mm_in_hole(&kernel_mm, lo, hi - lo)) {
		*why = "the ET_EXEC image lies in abi-run's own address range";
		return -EINVAL;
	}
	return 0;
}

long load_elf_binary(struct linux_binprm *bprm)
{
	struct loader_ops ops;
	struct exec_layout layout;
	struct loader_params params;
	struct loader_result res;
	const unsigned char *id = (const unsigned char *)bprm->buf;
	long r;

	/* Not ours unless it says ELF. */
	if (id[EI_MAG0] != ELFMAG0 || id[EI_MAG1] != ELFMAG1 || id[EI_MAG2] != ELFMAG2 ||
	    id[EI_MAG3] != ELFMAG3)
		return -ENOEXEC;
	exec_rnd_fill();
	exec_layout(&layout);
	params = exec_params(&layout);
	/* ~132 KiB of program headers: never on the stack. */
	if (!(bprm->img = kzalloc(sizeof *bprm->img)))
		return -ENOMEM;
	/* Every check of the program and its interpreter, while the old
	 * program can still be returned to. */
	ops = kernel_loader_ops;
	ops.ctx = bprm;
	r = elf_check_exec(&ops, &params, bprm->img, bprm->file, (uint64_t)bprm->file->inode->size,
			   &bprm->why);
	bprm->interp_failed = bprm->img->interp_failed;
	/* Linux puts a program without an interpreter (a static-pie, ld.so run
	 * as a program) in the mmap area, not at ELF_ET_DYN_BASE. */
	if (r == 0 && layout.linux_layout && !bprm->img->has_interp)
		params.dyn_base = (uptr){ 0 };
	if (r == 0 && bprm->refuse_dso && bprm->img->prog.ehdr.e_type == ET_DYN &&
	    bprm->img->prog.ehdr.e_entry == 0 && !bprm->img->has_interp) {
		bprm->is_dso = true;
		bprm->why = "a shared object, not a program";
		r = -ENOEXEC;
	}
	if (r == 0)
		r = check_fixed_image(&bprm->img->prog, &bprm->why);
	if (r == 0 && bprm->img->has_interp &&
	    (r = check_fixed_image(&bprm->img->interp, &bprm->why)))
		bprm->interp_failed = true;
	if (r == 0 && (r = begin_new_exec(bprm)) == 0 &&
	    (r = load_image(bprm, &layout, &params, &res)) == 0) {
		bprm->entry = res.entry.addr;
		bprm->sp = res.sp.addr;
	}
	kfree(bprm->img);
	bprm->img = NULL;
	return r;
}
