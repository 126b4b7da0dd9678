/* The Linux implementation of kernel/plat/plat.h: raw host syscalls, no libc.
 * Shared by the library platform (libabik.so) and, later, the hosted one. */
#include <kernel/kmalloc.h>
#include <kernel/linux.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat.h"
#include "seed.h"
#include "syscall.h"

#define HOST_MAP_ANON_PRIVATE (MAP_PRIVATE | MAP_ANONYMOUS)
#define HOST_FUTEX_BITSET_ANY 0xffffffffu

void (*plat_mem_hook)(int op, uintptr_t addr, size_t len, int prot, uintptr_t to);

/* Tells the engines (plat_mem_hook) of a change that succeeded. */
static long mem_changed(long r, int op, uintptr_t addr, size_t len, int prot, uintptr_t to)
{
	if (r >= 0 && plat_mem_hook)
		plat_mem_hook(op, addr, len, prot, to);
	return r;
}

static long host_mmap(uintptr_t addr, size_t len, int prot, int flags)
{
	return host_syscall6(HOST_NR(mmap), (long)addr, (long)len, prot, flags, -1, 0);
}

long plat_mem_reserve(uintptr_t hint, size_t len, uintptr_t *out)
{
	int flags = HOST_MAP_ANON_PRIVATE | MAP_NORESERVE;
	long r = -EEXIST;

	if (hint)
		r = host_mmap(hint, len, PROT_NONE, flags | MAP_FIXED_NOREPLACE);
	/* Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and may place it elsewhere. */
	if (hint && !IS_ERR_VALUE(r) && (uintptr_t)r != hint) {
		host_syscall2(HOST_NR(munmap), r, len);
		r = -EEXIST;
	}
	if (IS_ERR_VALUE(r))
		r = host_mmap(0, len, PROT_NONE, flags);
	if (IS_ERR_VALUE(r))
		return r;
	*out = (uintptr_t)r;
	return 0;
}

long plat_mem_release(uintptr_t addr, size_t len)
{
	return mem_changed(host_syscall2(HOST_NR(munmap), addr, len), PLAT_MEM_UNMAP, addr, len, 0,
			   0);
}

long plat_mem_commit(uintptr_t addr, size_t len, int prot, bool shared)
{
	int flags = MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);
	long r = host_mmap(addr, len, prot, flags);

	return mem_changed(IS_ERR_VALUE(r) ? r : 0, PLAT_MEM_MAP, addr, len, prot, 0);
}

long plat_mem_commit_noreserve(uintptr_t addr, size_t len, int prot, bool shared)
{
	int flags = MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | (shared ? MAP_SHARED : MAP_PRIVATE);
	long r = host_mmap(addr, len, prot, flags);

	return mem_changed(IS_ERR_VALUE(r) ? r : 0, PLAT_MEM_MAP, addr, len, prot, 0);
}

long plat_mem_decommit(uintptr_t addr, size_t len)
{
	long r = host_mmap(addr, len, PROT_NONE, HOST_MAP_ANON_PRIVATE | MAP_FIXED | MAP_NORESERVE);

	return mem_changed(IS_ERR_VALUE(r) ? r : 0, PLAT_MEM_UNMAP, addr, len, 0, 0);
}

long plat_mem_protect(uintptr_t addr, size_t len, int prot)
{
	return mem_changed(host_syscall3(HOST_NR(mprotect), addr, len, prot), PLAT_MEM_PROTECT,
			   addr, len, prot, 0);
}

long plat_mem_move(uintptr_t from, size_t len, uintptr_t to)
{
	/* DONTUNMAP leaves [from, +len) mapped (and empty), so no other host
	 * mapping can slip into the reservation between the two calls. */
	long r = host_syscall5(HOST_NR(mremap), from, len, len,
			       MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);

	if (r == -EINVAL) /* hosts before 5.7, or shared memory before 5.13 */
		r = host_syscall5(HOST_NR(mremap), from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				  to);
	if (IS_ERR_VALUE(r))
		return r;
	mem_changed(0, PLAT_MEM_MOVE, from, len, 0, to);
	return plat_mem_decommit(from, len);
}

long plat_mem_discard(uintptr_t addr, size_t len)
{
	return host_syscall3(HOST_NR(madvise), addr, len, MADV_DONTNEED);
}

long plat_mem_residency(uintptr_t addr, size_t len, u8 *vec)
{
	return host_syscall3(HOST_NR(mincore), addr, len, vec);
}

long plat_mem_copied(uintptr_t addr, size_t len, u8 *vec)
{
	/* /proc/self/pagemap: bit 63 present, 62 swapped, 61 a file page (or
	 * shared anonymous): a present or swapped page that is not a file
	 * page is the mapping's own copy */
	long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, "/proc/self/pagemap",
				O_RDONLY | O_CLOEXEC, 0);
	size_t pages = len >> PAGE_SHIFT, done = 0;
	u64 e[64]; /* a batch of entries */
	long r = 0;

	if (fd < 0)
		return fd;
	while (r == 0 && done < pages) {
		size_t n = pages - done < 64 ? pages - done : 64;

		r = host_syscall4(HOST_NR(pread64), fd, e, n * sizeof e[0],
				  ((addr >> PAGE_SHIFT) + done) * sizeof e[0]);
		if (r == (long)(n * sizeof e[0])) {
			for (size_t i = 0; i < n; i++)
				vec[done + i] = (e[i] >> 62) && !((e[i] >> 61) & 1);
			done += n;
			r = 0;
		} else if (r >= 0) {
			r = -EIO;
		}
	}
	host_syscall1(HOST_NR(close), fd);
	return r;
}

long plat_mem_sync(uintptr_t addr, size_t len, int flags)
{
	return host_syscall3(HOST_NR(msync), addr, len, flags);
}

u64 plat_ram_total(void)
{
	/* struct sysinfo: totalram at byte 32, mem_unit (an int) at 104 */
	static u64 total;
	u64 si[16] = { 0 };

	if (!total && host_syscall1(HOST_NR(sysinfo), si) == 0)
		total = si[4] * (u32)si[13];
	return total;
}

void *plat_kmem_map(size_t len)
{
	long r = host_mmap(0, len, PROT_READ | PROT_WRITE, HOST_MAP_ANON_PRIVATE);

	return IS_ERR_VALUE(r) ? NULL : (void *)r;
}

void plat_kmem_unmap(void *p, size_t len)
{
	host_syscall2(HOST_NR(munmap), p, len);
}

long plat_shm_create(size_t max, void **view)
{
	long fd = host_syscall2(HOST_NR(memfd_create), "abi-file-pages", MFD_CLOEXEC);
	long r;

	if (fd < 0)
		return fd;
	/* The view may reach past the object's end: only the sized part is used. */
	r = host_syscall6(HOST_NR(mmap), 0, (long)max, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (IS_ERR_VALUE(r)) {
		host_syscall1(HOST_NR(close), fd);
		return r;
	}
	*view = (void *)r;
	return fd;
}

long plat_shm_resize(int fd, size_t size)
{
	return host_syscall2(HOST_NR(ftruncate), fd, size);
}

void plat_shm_destroy(int fd, void *view, size_t max)
{
	host_syscall2(HOST_NR(munmap), view, max);
	host_syscall1(HOST_NR(close), fd);
}

long plat_wait(const u32 *word, u32 expected, s64 deadline_ns)
{
	struct linux_timespec ts;
	struct linux_timespec *tp = NULL;

	if (deadline_ns >= 0) {
		ts = ns_to_timespec(deadline_ns);
		tp = &ts;
	}
	/* WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
	return host_syscall6(HOST_NR(futex), (long)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
			     expected, (long)tp, 0, HOST_FUTEX_BITSET_ANY);
}

long plat_wake(const u32 *word, int n)
{
	return host_syscall3(HOST_NR(futex), word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n);
}

/* The host-file half of the one wait. The task says it sleeps in a host
 * ppoll (host_waiting) before it looks at its word one last time; a waker
 * moves the word before it looks at host_waiting. Both are sequentially
 * consistent, so either the sleeper sees the new word and does not sleep,
 * or the waker sees host_waiting and writes the eventfd, which stays
 * readable until the next host wait drains it: no wake-up is lost. */
#define HOST_WAIT_STACK 16

static long wake_fd(struct task *t)
{
	long fd;

	if (t->host_wake_fd)
		return t->host_wake_fd - 1;
	fd = host_syscall2(HOST_NR(eventfd2), 0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return fd;
	t->host_wake_fd = (int)fd + 1;
	return fd;
}

long plat_wait_host(struct task *t, u32 expected, s64 deadline_ns, struct host_wait *hw, int nhw)
{
	struct host_wait stack[HOST_WAIT_STACK], *p = stack;
	struct linux_timespec ts, *tp = NULL;
	long efd = wake_fd(t), r;
	u64 drain;

	if (efd < 0) /* no eventfd (EMFILE): the word alone, host files unseen */
		return plat_wait(&t->wake_seq, expected, deadline_ns);
	if (nhw + 1 > HOST_WAIT_STACK && !(p = kmalloc((size_t)(nhw + 1) * sizeof *p)))
		return plat_wait(&t->wake_seq, expected, deadline_ns);
	for (int i = 0; i < nhw; i++)
		p[i] = (struct host_wait){ hw[i].fd, hw[i].events, 0 };
	p[nhw] = (struct host_wait){ (int)efd, POLLIN, 0 };
	host_syscall3(HOST_NR(read), efd, &drain, sizeof drain);
	__atomic_store_n(&t->host_waiting, true, __ATOMIC_SEQ_CST);
	r = 0;
	if (__atomic_load_n(&t->wake_seq, __ATOMIC_SEQ_CST) == expected) {
		if (deadline_ns >= 0) {
			s64 left = deadline_ns - plat_clock_ns(PLAT_CLOCK_MONOTONIC);

			ts = ns_to_timespec(left > 0 ? left : 0);
			tp = &ts;
		}
		r = host_syscall5(HOST_NR(ppoll), p, nhw + 1, tp, 0, 8);
	}
	__atomic_store_n(&t->host_waiting, false, __ATOMIC_SEQ_CST);
	for (int i = 0; i < nhw; i++)
		hw[i].revents = r > 0 ? p[i].revents : 0;
	if (p != stack)
		kfree(p);
	if (r == 0 && tp)
		return -ETIMEDOUT;
	return 0; /* ready, woken, or a host signal: the caller looks again */
}

void plat_wake_task(struct task *t)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the word's move before the look */
	if (__atomic_load_n(&t->host_waiting, __ATOMIC_SEQ_CST)) {
		u64 one = 1;

		host_syscall3(HOST_NR(write), t->host_wake_fd - 1, &one, sizeof one);
		return;
	}
	plat_wake(&t->wake_seq, 1);
}

void plat_task_release(struct task *t)
{
	if (t->host_wake_fd) {
		host_syscall1(HOST_NR(close), t->host_wake_fd - 1);
		t->host_wake_fd = 0;
	}
}

static int host_clock(int clock)
{
	switch (clock) {
	case PLAT_CLOCK_REALTIME:
		return CLOCK_REALTIME;
	case PLAT_CLOCK_BOOTTIME:
		return CLOCK_BOOTTIME;
	case PLAT_CLOCK_TAI:
		return CLOCK_TAI;
	case PLAT_CLOCK_PROCESS_CPU:
		return CLOCK_PROCESS_CPUTIME_ID;
	case PLAT_CLOCK_THREAD_CPU:
		return CLOCK_THREAD_CPUTIME_ID;
	case PLAT_CLOCK_MONOTONIC_RAW:
		return CLOCK_MONOTONIC_RAW;
	case PLAT_CLOCK_REALTIME_COARSE:
		return CLOCK_REALTIME_COARSE;
	case PLAT_CLOCK_MONOTONIC_COARSE:
		return CLOCK_MONOTONIC_COARSE;
	/* the host's own CPU clocks of pid/tid 0: ~0 << 3 | 4 (thread) | which */
	case PLAT_CLOCK_PROCESS_PROF:
		return -8;
	case PLAT_CLOCK_PROCESS_VIRT:
		return -7;
	case PLAT_CLOCK_THREAD_PROF:
		return -4;
	case PLAT_CLOCK_THREAD_VIRT:
		return -3;
	default:
		return CLOCK_MONOTONIC;
	}
}

s64 plat_clock_ns(int clock)
{
	struct linux_timespec ts = { 0, 0 };

	host_syscall2(HOST_NR(clock_gettime), host_clock(clock), &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

s64 plat_clock_res_ns(int clock)
{
	struct linux_timespec ts = { 0, 1 };

	host_syscall2(HOST_NR(clock_getres), host_clock(clock), &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

long plat_entropy(void *buf, size_t len)
{
	u8 *p = buf;
	size_t done = 0;

	if (plat_seeded_entropy(buf, len) == 0) /* abi-run --seed */
		return 0;

	while (done < len) {
		long r = host_syscall3(HOST_NR(getrandom), p + done, len - done, 0);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		done += (size_t)r;
	}
	return 0;
}

void plat_log(const char *msg, size_t len)
{
	while (len) {
		long r = host_syscall3(HOST_NR(write), 2, msg, len);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		msg += r;
		len -= (size_t)r;
	}
}

_Noreturn void plat_abort(const char *msg)
{
	size_t n = 0;

	while (msg[n])
		n++;
	plat_log("abi: kernel abort: ", 19);
	plat_log(msg, n);
	plat_log("\n", 1);
	__builtin_trap();
}

u32 plat_host_uid(void)
{
	return (u32)host_syscall0(HOST_NR(getuid));
}

u32 plat_host_gid(void)
{
	return (u32)host_syscall0(HOST_NR(getgid));
}

int plat_cpu_count(void)
{
	u64 mask[16];
	long n = host_syscall3(HOST_NR(sched_getaffinity), 0, sizeof mask, mask);
	int count = 0;

	for (long i = 0; i < n / 8; i++)
		count += __builtin_popcountll(mask[i]);
	return count > 0 ? count : 1;
}

unsigned int plat_cpumask_size(void)
{
	static unsigned int size;
	u64 mask[128];
	long n;

	if (!size) {
		n = host_syscall3(HOST_NR(sched_getaffinity), 0, sizeof mask, mask);
		size = n > 0 ? (unsigned int)n : 8;
	}
	return size;
}

bool plat_cpuid(u32 leaf, u32 r[4])
{
#if defined(__x86_64__)
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
	return true;
#else
	(void)leaf, (void)r;
	return false;
#endif
}

s64 plat_sched_slice_ns(void)
{
	/* struct sched_attr (VER1): size, policy, flags, nice, priority, then
	 * runtime at byte 24 */
	u64 attr[7] = { 0 };

	if (host_syscall4(HOST_NR(sched_getattr), 0, attr, sizeof attr, 0) < 0)
		return 0;
	return (s64)attr[3];
}

long plat_rusage(int who, s64 ru[18])
{
	return host_syscall2(HOST_NR(getrusage), who, ru);
}

long plat_host_mmap_file(uintptr_t addr, size_t len, int prot, bool shared, int fd, s64 off)
{
	long r = host_syscall6(HOST_NR(mmap), (long)addr, (long)len, prot,
			       MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE), fd, off);
	struct plat_stat st;
	size_t backed = len;

	/* the engines leave the pages past the object's end out of their map */
	if (!IS_ERR_VALUE(r) && plat_mem_hook && plat_console_stat(fd, &st) == 0)
		backed = st.size <= off ? 0 : MIN((u64)(st.size - off), (u64)len);
	return mem_changed(IS_ERR_VALUE(r) ? r : 0, PLAT_MEM_MAP_FILE, addr, len, prot, backed);
}
