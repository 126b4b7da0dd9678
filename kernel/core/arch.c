/* What differs between the two ABIs the kernel serves, x86_64's (the
 * kernel's own) and aarch64's (the emulated platform's): the process's
 * arch, set by the platform before its first exec (abi_set_arch), and every
 * struct whose layout differs, each described here once (asm-generic's
 * layouts, which aarch64 uses; checked against linux-libc-dev's arm64
 * headers by tests/kernel/test_aarch64.py). Flag bits that differ are the
 * table's (syscalls/flags.yaml) and converted by generated code. Structs
 * that do not differ on 64-bit (statfs, sigaction, siginfo, stack_t,
 * flock, termios, rlimit, timespec, dirent64, statx) need nothing; semctl's
 * semid64_ds would (104 bytes against 88) but semctl is ENOSYS. */
#include <abi/syscalls.h>
#include <abi/unistd_aarch64.h>
#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "elf.h" /* the loader's: EM_*, AT_* */

#define AARCH64_HWCAP_FP 0x1
#define AARCH64_HWCAP_ASIMD 0x2

/* asm-generic/stat.h's struct stat: aarch64's. */
struct aarch64_stat {
	u64 st_dev;
	u64 st_ino;
	u32 st_mode;
	u32 st_nlink;
	u32 st_uid;
	u32 st_gid;
	u64 st_rdev;
	u64 __pad1;
	s64 st_size;
	s32 st_blksize;
	s32 __pad2;
	s64 st_blocks;
	s64 st_atime_sec;
	u64 st_atime_nsec;
	s64 st_mtime_sec;
	u64 st_mtime_nsec;
	s64 st_ctime_sec;
	u64 st_ctime_nsec;
	u32 __unused4;
	u32 __unused5;
};
_Static_assert(sizeof(struct aarch64_stat) == 128, "aarch64 struct stat is 128 bytes");

/* x86_64's struct epoll_event is packed (its own uapi __EPOLL_PACKED). */
struct x86_64_epoll_event {
	u32 events;
	u64 data;
} __attribute__((packed));
_Static_assert(sizeof(struct x86_64_epoll_event) == 12, "x86_64 epoll_event is 12 bytes");

/* asm-generic's: aligned, 16 bytes. */
struct aarch64_epoll_event {
	u32 events;
	u64 data;
};
_Static_assert(sizeof(struct aarch64_epoll_event) == 16, "aarch64 epoll_event is 16 bytes");

/* abi_set_arch makes the process an arch's: its syscalls come through that
 * arch's dispatch table and its structs are that arch's. The platform calls
 * it before the first exec (which then accepts only that arch's programs);
 * -EINVAL for an arch the kernel does not serve. */
int abi_set_arch(int arch)
{
	if (arch != ABI_ARCH_X86_64 && arch != ABI_ARCH_AARCH64)
		return -EINVAL;
	current_proc.arch = (u8)arch;
	return 0;
}

int arch_current(void)
{
	return current_proc.arch;
}

static bool is_aarch64(void)
{
	return current_proc.arch == ABI_ARCH_AARCH64;
}

const char *arch_name(void)
{
	return is_aarch64() ? "aarch64" : "x86_64";
}

u16 arch_elf_machine(void)
{
	return is_aarch64() ? EM_AARCH64 : EM_X86_64;
}

u64 arch_aux(u64 type, u64 host_value)
{
	if (!is_aarch64())
		return host_value;
	return type == AT_HWCAP ? AARCH64_HWCAP_FP | AARCH64_HWCAP_ASIMD : 0;
}

u64 arch_minsigstksz(void)
{
	return is_aarch64() ? 5120 : 2048;
}

/* mov x8, #__NR_rt_sigreturn; svc #0 (the table's aarch64 number) */
#define A64_MOVZ_X8(imm) (0xd2800008u | ((u32)(imm) << 5))
#define A64_SVC0 0xd4000001u

long arch_exec_mappings(void)
{
	const u32 tramp[2] = { A64_MOVZ_X8(ABI_AARCH64_NR_rt_sigreturn), A64_SVC0 };
	struct vma *v;
	long addr, r;

	kernel_mm.sigpage = 0;
	if (!is_aarch64())
		return 0;
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (copy_to_user((uptr){ (uintptr_t)addr }, tramp, sizeof tramp) < 0)
		return -EFAULT;
	if ((r = sys_mprotect((unsigned long)addr, PAGE_SIZE, PROT_READ | PROT_EXEC)) < 0)
		return r;
	kmutex_lock(&kernel_mm.lock);
	if ((v = vma_find(&kernel_mm, (uintptr_t)addr)))
		v->flags |= VMA_SIGPAGE;
	kmutex_unlock(&kernel_mm.lock);
	kernel_mm.sigpage = (uintptr_t)addr;
	return 0;
}

u64 arch_sigreturn_trampoline(void)
{
	return kernel_mm.sigpage;
}

long arch_put_stat(uptr dst, const struct linux_stat *st)
{
	struct aarch64_stat a;

	if (!is_aarch64())
		return copy_to_user(dst, st, sizeof *st);
	a = (struct aarch64_stat){
		.st_dev = st->st_dev,
		.st_ino = st->st_ino,
		.st_mode = st->st_mode,
		.st_nlink = (u32)st->st_nlink,
		.st_uid = st->st_uid,
		.st_gid = st->st_gid,
		.st_rdev = st->st_rdev,
		.st_size = st->st_size,
		.st_blksize = (s32)st->st_blksize,
		.st_blocks = st->st_blocks,
		.st_atime_sec = (s64)st->st_atime_sec,
		.st_atime_nsec = st->st_atime_nsec,
		.st_mtime_sec = (s64)st->st_mtime_sec,
		.st_mtime_nsec = st->st_mtime_nsec,
		.st_ctime_sec = (s64)st->st_ctime_sec,
		.st_ctime_nsec = st->st_ctime_nsec,
	};
	return copy_to_user(dst, &a, sizeof a);
}

long arch_get_stat(struct linux_stat *st, uptr src)
{
	struct aarch64_stat a;

	if (!is_aarch64())
		return copy_from_user(st, src, sizeof *st);
	if (copy_from_user(&a, src, sizeof a) < 0)
		return -EFAULT;
	*st = (struct linux_stat){
		.st_dev = a.st_dev,
		.st_ino = a.st_ino,
		.st_nlink = a.st_nlink,
		.st_mode = a.st_mode,
		.st_uid = a.st_uid,
		.st_gid = a.st_gid,
		.st_rdev = a.st_rdev,
		.st_size = a.st_size,
		.st_blksize = a.st_blksize,
		.st_blocks = a.st_blocks,
		.st_atime_sec = (u64)a.st_atime_sec,
		.st_atime_nsec = a.st_atime_nsec,
		.st_mtime_sec = (u64)a.st_mtime_sec,
		.st_mtime_nsec = a.st_mtime_nsec,
		.st_ctime_sec = (u64)a.st_ctime_sec,
		.st_ctime_nsec = a.st_ctime_nsec,
	};
	return 0;
}

size_t arch_epoll_event_size(void)
{
	return is_aarch64() ? sizeof(struct aarch64_epoll_event)
			    : sizeof(struct x86_64_epoll_event);
}

long arch_get_epoll_event(struct arch_epoll_event *ev, uptr src)
{
	if (is_aarch64()) {
		struct aarch64_epoll_event a;

		if (copy_from_user(&a, src, sizeof a) < 0)
			return -EFAULT;
		*ev = (struct arch_epoll_event){ a.events, a.data };
	} else {
		struct x86_64_epoll_event x;

		if (copy_from_user(&x, src, sizeof x) < 0)
			return -EFAULT;
		*ev = (struct arch_epoll_event){ x.events, x.data };
	}
	return 0;
}

long arch_put_epoll_event(uptr dst, const struct arch_epoll_event *ev)
{
	if (is_aarch64()) {
		struct aarch64_epoll_event a = { ev->events, ev->data };

		return copy_to_user(dst, &a, sizeof a);
	}
	struct x86_64_epoll_event x = { ev->events, ev->data };

	return copy_to_user(dst, &x, sizeof x);
}

u32 arch_open_flags_in(u32 flags)
{
	return is_aarch64() ? (u32)abi_flags_open_flags_from_aarch64(flags) : flags;
}

u32 arch_open_flags_out(u32 flags)
{
	return is_aarch64() ? (u32)abi_flags_open_flags_to_aarch64(flags) : flags;
}
