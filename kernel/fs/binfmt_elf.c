/* ELF programs, after Linux's fs/binfmt_elf.c: the loader in loader/ does
 * the reading, checking, mapping and stack building, through loader_ops
 * made of the kernel's own calls (kernel_read, vm_mmap, copy_to_user), so
 * the new image is in the VMA map as any mmap would put it. */
#include <abi/syscalls.h>
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
/* An ET_DYN program (PIE, static-pie) goes at the first 4 GiB boundary
 * above the guest base, as Linux's ELF_ET_DYN_BASE sits far below the
 * top-down mmap area, so the brk after it has room to grow. */
#define DYN_BASE_ALIGN (4UL << 30)
#define BOUNCE_SIZE (64UL << 10)

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

static long op_pread(void *ctx, void *file, void *buf, size_t len, uint64_t off)
{
	s64 pos = (s64)off;
	size_t done = 0;

	(void)ctx;
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
	return plat_entropy(buf, len);
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

static struct loader_params exec_params(void)
{
	return (struct loader_params){
		.machine = EM_X86_64,
		.pagesize = PAGE_SIZE,
		.dyn_base = { (kernel_mm.base + DYN_BASE_ALIGN) & ~(DYN_BASE_ALIGN - 1) },
		.task_size = 1UL << 47,
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

static long load_image(struct linux_binprm *bprm, const struct loader_params *params,
		       struct loader_result *res)
{
	struct loader_args la;
	u64 clktck = plat_cpu_aux(AT_CLKTCK);
	long r;

	r = vm_mmap(NULL, 0, STACK_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_STACK, 0);
	if (IS_ERR_VALUE(r)) {
		bprm->why = "cannot map the stack";
		return r;
	}
	la = (struct loader_args){
		.argv = bprm->ptrs,
		.envp = bprm->ptrs + bprm->argc + 1,
		.execfn = bprm->filename,
		.platform = "x86_64",
		.uid = current_proc.cred.uid,
		.euid = current_proc.cred.euid,
		.gid = current_proc.cred.gid,
		.egid = current_proc.cred.egid,
		.hwcap = plat_cpu_aux(AT_HWCAP),
		.hwcap2 = plat_cpu_aux(AT_HWCAP2),
		.clktck = clktck ? clktck : 100,
		.minsigstksz = plat_cpu_aux(AT_MINSIGSTKSZ),
		.stack_top = { (uintptr_t)r + STACK_SIZE },
		.stack_size = STACK_SIZE,
	};
	r = elf_exec(&kernel_loader_ops, params, &la, bprm->img, bprm->file,
		     (uint64_t)bprm->file->inode->size, res, &bprm->why);
	bprm->interp_failed = bprm->img->interp_failed;
	if (r < 0)
		return r;
	kernel_mm.brk_start = kernel_mm.brk = res->brk.addr;
	save_auxv(res);
	return 0;
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
	return 0;
}

long load_elf_binary(struct linux_binprm *bprm)
{
	struct loader_params params = exec_params();
	struct loader_result res;
	const unsigned char *id = (const unsigned char *)bprm->buf;
	long r;

	/* Not ours unless it says ELF. */
	if (id[EI_MAG0] != ELFMAG0 || id[EI_MAG1] != ELFMAG1 || id[EI_MAG2] != ELFMAG2 ||
	    id[EI_MAG3] != ELFMAG3)
		return -ENOEXEC;
	/* ~132 KiB of program headers: never on the stack. */
	if (!(bprm->img = kzalloc(sizeof *bprm->img)))
		return -ENOMEM;
	/* Every check of the program and its interpreter, while the old
	 * program can still be returned to. */
	r = elf_check_exec(&kernel_loader_ops, &params, bprm->img, bprm->file,
			   (uint64_t)bprm->file->inode->size, &bprm->why);
	bprm->interp_failed = bprm->img->interp_failed;
	if (r == 0)
		r = check_fixed_image(&bprm->img->prog, &bprm->why);
	if (r == 0 && bprm->img->has_interp &&
	    (r = check_fixed_image(&bprm->img->interp, &bprm->why)))
		bprm->interp_failed = true;
	if (r == 0 && (r = begin_new_exec(bprm)) == 0 &&
	    (r = load_image(bprm, &params, &res)) == 0) {
		bprm->entry = res.entry.addr;
		bprm->sp = res.sp.addr;
	}
	kfree(bprm->img);
	bprm->img = NULL;
	return r;
}
