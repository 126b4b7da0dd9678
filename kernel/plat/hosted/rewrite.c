/* Rewritten syscall sites: how a program that was not built for abi (glibc's,
 * the host's own binaries) stops paying a host SIGSYS for every call
 * (docs/DESIGN.md, "Rewritten syscall sites").
 *
 * Such a program makes its calls with the `syscall` instruction, and each
 * one is a Syscall User Dispatch trap (about 2.3 µs here, against 0.2 µs for
 * the native call). Most sites are the one shape compilers and libcs emit,
 *
 *	b8 NN NN NN NN    mov $nr, %eax
 *	0f 05             syscall
 *
 * (436 of the 526 in Debian 12's libc.so.6). When such a site has trapped
 * REWRITE_AFTER times, the kernel replaces the mov, and only the mov, with a
 * jmp of the same length to a stub that makes the same call through the
 * function-call entry (fast.c), with the instruction's own contract:
 *
 *	site:  e9 rel32           jmp stub
 *	       0f 05              syscall (kept: a jump to it still traps)
 *	stub:  b8 NN NN NN NN     mov $nr, %eax (the site's own bytes)
 *	       f3 48 0f ae c9     rdgsbase %rcx
 *	       e3 0d              jrcxz 1f
 *	       48 8d 0d rel32     lea site+7(%rip), %rcx
 *	       ff 25 rel32        jmp *page(%rip) -> hosted_site_entry
 *	1:     e9 rel32           jmp site+5, the syscall: it traps
 *
 * The stub jumps, never calls, so the program's stack and red zone are not
 * written (glibc is built with a red zone), and the entry returns to the
 * instruction after the syscall with rax set, rcx and r11 clobbered, as
 * `syscall` leaves them (jrcxz leaves the flags alone).
 *
 * A thread's GS base, by which the entry finds its kernel stack, is set the
 * first time it reaches a stub: while it is 0 the stub takes the kept
 * syscall instead, whose trap sets it (hosted_rewrite_site). So a thread
 * that never runs a rewritten site keeps Linux's GS base of 0.
 *
 * One whole instruction is replaced by another: a thread inside the old mov
 * or already past it runs either, and a jump to the kept syscall
 * instruction traps as before. The five bytes change with one locked
 * compare-and-exchange of the aligned 8 or 16 bytes that hold them, so
 * another thread's fetch sees the old instruction or the new one, never a
 * mix; a site that straddles a 16-byte boundary is rewritten only while the
 * process has one thread.
 *
 * Only sites in a private, read-only, executable mapping of a file (program
 * images and libraries) are rewritten: a JIT's code changes under it. The
 * stubs live in pages of the guest range within the jmp's reach, kept by
 * the kernel (VMA_KERNEL): a hole to the guest, above the mmap base for the
 * libraries (where top-down mmap never goes) and below the image for a
 * program far from it. When the guest maps over a stub page, unmaps it or
 * changes it, every site it serves gets its mov back first (evict below).
 * --no-rewrite, --no-fastcall and --sandbox rewrite nothing. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include "../plat.h"
#include "hosted.h"

#define REWRITE_AFTER 3 /* traps at a site before it is rewritten */
#define STUB_SIZE 32
#define STUB_FIRST 32 /* the page's header: the entry's address, the slots used */
#define STUB_SLOTS ((PAGE_SIZE - STUB_FIRST) / STUB_SIZE)
#define REACH ((1L << 31) - 2 * (long)PAGE_SIZE) /* a rel32's, with room */
#define SEEN_SLOTS 1024
#define MOV_EAX 0xb8
#define JMP_REL32 0xe9

struct stub_page {
	u64 entry;
	u32 used;
};

bool hosted_rewrite;
static u64 n_rewritten;
/* The sites that trapped, as (address << 8 | traps), open addressing;
 * when it is full, sites are no longer counted (and no longer rewritten). */
static u64 seen[SEEN_SLOTS];

extern const char hosted_site_entry[];

static bool in_reach(uintptr_t a, uintptr_t b)
{
	return (a > b ? a - b : b - a) < (uintptr_t)REACH;
}

/* site's entry in seen (a new one if it has none), or NULL when full. */
static u64 *seen_entry(uintptr_t site)
{
	u64 h = (site * 0x9e3779b97f4a7c15ULL) >> 54; /* 10 bits */

	for (unsigned n = 0; n < SEEN_SLOTS; n++, h = (h + 1) % SEEN_SLOTS) {
		if (!seen[h])
			seen[h] = (u64)site << 8;
		if (seen[h] >> 8 == site)
			return &seen[h];
	}
	return NULL;
}

/* A site's count that says it is not to be looked at again (not of the
 * shape, or it could not be rewritten); counts stop below it. */
#define NEVER 0xff

/* The VMA a site's seven bytes lie in, if it may be rewritten. */
static const struct vma *site_vma(struct mm *mm, uintptr_t m)
{
	const struct vma *v = vma_find(mm, m);

	if (!v || !v->file || (v->flags & (VMA_SHARED | VMA_PAGES | VMA_KERNEL)))
		return NULL;
	if (!(v->prot & PROT_EXEC) || (v->prot & PROT_WRITE) || m + 7 > v->end)
		return NULL;
	return v;
}

static bool cas8(u64 *p, u64 old, u64 new)
{
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static bool cas16(u64 *p, const u64 old[2], const u64 new[2])
{
	u64 lo = old[0], hi = old[1];
	bool ok;

	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(ok), "+m"(*(u64(*)[2])p), "+a"(lo), "+d"(hi)
			 : "b"(new[0]), "c"(new[1])
			 : "memory");
	return ok;
}

/* Replaces the five bytes at m, which are from, with to, in the host's
 * memory, as one store another thread can see (the file comment). The
 * page is made writable for the while. false if it cannot be done safely. */
static bool swap5(u32 prot, uintptr_t m, const u8 from[5], const u8 to[5])
{
	uintptr_t lo = m & PAGE_MASK, hi = PAGE_ALIGN(m + 5);
	unsigned o8 = m & 7, o16 = m & 15;
	bool ok = false;

	if (o8 > 3 && o16 > 11 && task_count() > 1)
		return false;
	if (plat_mem_protect(lo, hi - lo, (int)(prot | PROT_WRITE)) < 0)
		return false;
	if (o8 <= 3) {
		u64 *w = (u64 *)(m - o8), old, new;

		if (!uaccess_copy(&old, w, 8) && memcmp((u8 *)&old + o8, from, 5) == 0) {
			new = old;
			memcpy((u8 *)&new + o8, to, 5);
			ok = cas8(w, old, new);
		}
	} else if (o16 <= 11) {
		u64 *w = (u64 *)(m - o16), old[2], new[2];

		if (!uaccess_copy(old, w, 16) && memcmp((u8 *)old + o16, from, 5) == 0) {
			memcpy(new, old, 16);
			memcpy((u8 *)new + o16, to, 5);
			ok = cas16(w, old, new);
		}
	} else {
		u8 cur[5];

		/* one thread: nobody else runs the site */
		ok = !uaccess_copy(cur, (u8 *)m, 5) && memcmp(cur, from, 5) == 0 &&
		     !uaccess_copy((u8 *)m, to, 5);
	}
	plat_mem_protect(lo, hi - lo, (int)prot);
	return ok;
}

static void put32(u8 *p, s64 v)
{
	s32 w = (s32)v;

	memcpy(p, &w, 4);
}

static s32 get32(const u8 *p)
{
	s32 w;

	memcpy(&w, p, 4);
	return w;
}

/* The site's jmp, at m, to its stub's slot. */
static void site_jmp(u8 jmp[5], uintptr_t m, const u8 *slot)
{
	jmp[0] = JMP_REL32;
	put32(jmp + 1, (s64)(uintptr_t)slot - (s64)(m + 5));
}

/* The stub slot's bytes for the site whose mov is at m (the file comment). */
static void stub_fill(u8 *slot, uintptr_t page, uintptr_t m, const u8 mov[5])
{
	static const u8 gs_check[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc9, 0xe3, 0x0d };
	uintptr_t s = (uintptr_t)slot;

	memset(slot, 0xcc, STUB_SIZE);
	memcpy(slot, mov, 5);
	memcpy(slot + 5, gs_check, sizeof gs_check);
	slot[12] = 0x48, slot[13] = 0x8d, slot[14] = 0x0d; /* lea rel32(%rip), %rcx */
	put32(slot + 15, (s64)(m + 7) - (s64)(s + 19));
	slot[19] = 0xff, slot[20] = 0x25; /* jmp *rel32(%rip) */
	put32(slot + 21, (s64)page - (s64)(s + 25));
	slot[25] = JMP_REL32; /* the jrcxz lands here */
	put32(slot + 26, (s64)(m + 5) - (s64)(s + 30));
}

/* Where the slot's stub returns to: the byte after the site's syscall. */
static uintptr_t stub_return(const u8 *slot)
{
	return (uintptr_t)slot + 19 + (uintptr_t)(s64)get32(slot + 15);
}

/* A stub page within reach of m with a free slot, or one whose slot already
 * serves this very site (the same library mapped again at the same place);
 * *slot is set. 0 when there is none. */
static uintptr_t find_page(struct mm *mm, uintptr_t m, const u8 mov[5], u8 **slot)
{
	uintptr_t found = 0;

	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		struct stub_page *p = (struct stub_page *)v->start;

		if (!(v->flags & VMA_KERNEL) || !in_reach(v->start, m))
			continue;
		for (u32 k = 0; k < p->used; k++) {
			u8 *s = (u8 *)v->start + STUB_FIRST + k * STUB_SIZE;

			if (stub_return(s) == m + 7 && memcmp(s, mov, 5) == 0) {
				*slot = s;
				return v->start;
			}
		}
		if (!found && p->used < STUB_SLOTS)
			found = v->start;
	}
	if (found)
		*slot = (u8 *)found + STUB_FIRST + ((struct stub_page *)found)->used * STUB_SIZE;
	return found;
}

/* A free page of the guest range within reach of m, searched from `from`
 * by steps of dir pages (at most 4096 of them). */
static uintptr_t free_page_from(struct mm *mm, uintptr_t m, uintptr_t from, long dir)
{
	uintptr_t a = from;

	for (int n = 0; n < 4096 && in_reach(a, m); n++, a += (uintptr_t)(dir * (long)PAGE_SIZE))
		if (mm_range_ok(mm, a, PAGE_SIZE) && !vma_intersects(mm, a, a + PAGE_SIZE))
			return a;
	return 0;
}

/* A new stub page for m: above the mmap base when m is within reach of it
 * (a library), else below the image m is in (a program mapped low). */
static uintptr_t new_page(struct mm *mm, uintptr_t m)
{
	size_t i = vma_index(mm, m);
	uintptr_t a = 0;

	if (mm->mmap_top < mm->limit && in_reach(mm->mmap_top, m))
		a = free_page_from(mm, m, mm->mmap_top, 1);
	if (!a) {
		while (i > 0 && mm->vmas[i - 1].end == mm->vmas[i].start &&
		       mm->vmas[i - 1].file == mm->vmas[i].file)
			i--;
		a = free_page_from(mm, m, mm->vmas[i].start - PAGE_SIZE, -1);
	}
	if (!a || plat_mem_commit(a, PAGE_SIZE, PROT_READ | PROT_WRITE, false) < 0)
		return 0;
	if (vma_insert(mm, a, a + PAGE_SIZE, PROT_READ | PROT_EXEC, VMA_KERNEL, 0, NULL) < 0) {
		plat_mem_decommit(a, PAGE_SIZE);
		return 0;
	}
	mm->n_kernel++;
	((struct stub_page *)a)->entry = (u64)(uintptr_t)hosted_site_entry;
	plat_mem_protect(a, PAGE_SIZE, PROT_READ | PROT_EXEC);
	return a;
}

/* Rewrites the site at m, whose bytes were code (mm->lock held); false if
 * it cannot be. */
static bool rewrite(struct mm *mm, uintptr_t m, const u8 code[7])
{
	const struct vma *v = site_vma(mm, m);
	u8 jmp[5], *slot = NULL;
	uintptr_t page;
	bool fresh, done;
	u32 prot;

	if (!v)
		return false;
	prot = v->prot; /* v moves when a new page joins the map */
	if (!(page = find_page(mm, m, code, &slot))) {
		if (!(page = new_page(mm, m)))
			return false;
		slot = (u8 *)page + STUB_FIRST;
	}
	site_jmp(jmp, m, slot);
	fresh = stub_return(slot) != m + 7 || memcmp(slot, code, 5) != 0;
	/* executable still: other threads may be in the page's other stubs */
	if (plat_mem_protect(page, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
		return false;
	if (fresh)
		stub_fill(slot, page, m, code);
	done = swap5(prot, m, code, jmp);
	if (done && fresh)
		((struct stub_page *)page)->used++;
	plat_mem_protect(page, PAGE_SIZE, PROT_READ | PROT_EXEC);
	n_rewritten += done;
	return done;
}

void hosted_rewrite_site(const struct host_ucontext *uc)
{
	uintptr_t m = uc->gregs[REG_RIP] - 7;
	u64 *e = seen_entry(m), gs;
	u8 code[7];
	bool done;

	if (!e || (*e & 0xff) == NEVER)
		return;
	if ((*e & 0xff) < NEVER - 1)
		++*e;
	if ((*e & 0xff) < REWRITE_AFTER)
		return;
	if (copy_from_user(code, (uptr){ m }, sizeof code) < 0 || code[5] != 0x0f ||
	    code[6] != 0x05 || (code[0] != MOV_EAX && code[0] != JMP_REL32)) {
		*e |= NEVER;
		return;
	}
	if (code[0] == MOV_EAX) {
		/* the entry's frames are modelled on a host one: uc's */
		hosted_fast_template(uc);
		kmutex_lock(&kernel_mm.lock);
		done = rewrite(&kernel_mm, m, code);
		kmutex_unlock(&kernel_mm.lock);
		if (!done) {
			*e |= NEVER;
			return;
		}
	}
	/* rewritten: by now, or before, and this thread came through the
	 * stub with no GS base yet, or jumped to the syscall itself */
	__asm__ volatile("rdgsbase %0" : "=r"(gs));
	if (!gs)
		hosted_fast_gs(hosted_kstack_top(current));
}

/* mm_kernel_evict: the guest takes the stub page's place; every site the
 * page serves gets its mov back first. */
static void evict(struct mm *mm, const struct vma *pv)
{
	const struct stub_page *p = (const struct stub_page *)pv->start;

	for (u32 k = 0; k < p->used; k++) {
		const u8 *s = (const u8 *)pv->start + STUB_FIRST + k * STUB_SIZE;
		uintptr_t m = stub_return(s) - 7;
		const struct vma *v = site_vma(mm, m);
		u64 *e = seen_entry(m);
		u8 jmp[5];

		site_jmp(jmp, m, s);
		if (v && swap5(v->prot, m, jmp, s) && e)
			*e &= ~0xffULL; /* counted afresh: it may be rewritten again */
	}
	plat_mem_decommit(pv->start, PAGE_SIZE);
}

void hosted_rewrite_setup(bool allowed)
{
	hosted_rewrite = allowed && plat_fast_entry;
	mm_kernel_evict = evict;
}

/* A new program: its sites are counted afresh. */
void hosted_rewrite_exec(void)
{
	memset(seen, 0, sizeof seen);
}

u64 hosted_rewrite_count(void)
{
	return n_rewritten;
}
