/* The ELF program loader, after Linux's fs/binfmt_elf.c: check the ELF
 * header, read and check the program headers, find PT_INTERP, map each
 * PT_LOAD segment, and build the initial stack (create_elf_tables). Files
 * and guest memory are reached only through struct loader_ops. */
#include "loader.h"

#include <abi/errno.h>
#include <abi/flags.h>

#ifndef PROT_NONE
#define PROT_NONE 0 /* the table's flag sets list only the bits */
#endif

/* Reject with an errno and a message naming the failed check. */
#define REJECT(err, msg)       \
	do {                   \
		*why = (msg);  \
		return -(err); \
	} while (0)

static inline uint64_t page_start(uint64_t v, uint64_t pagesize)
{
	return v & ~(pagesize - 1);
}
static inline uint64_t page_offset(uint64_t v, uint64_t pagesize)
{
	return v & (pagesize - 1);
}
static inline int is_power_of_2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Round v up to a multiple of pagesize; 0 when that overflows (callers have
 * already bounded v below task_size, so 0 never means a real address). */
static inline uint64_t page_align(uint64_t v, uint64_t pagesize)
{
	return v > UINT64_MAX - (pagesize - 1) ? 0 : page_start(v + pagesize - 1, pagesize);
}

static size_t cstrlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Read exactly len bytes at off; a short read means the file ends early. */
static long read_exact(const struct loader_ops *ops, void *file, void *buf, size_t len,
		       uint64_t off)
{
	char *p = buf;
	while (len > 0) {
		long n = ops->pread(ops->ctx, file, p, len, off);
		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* p_flags -> mmap protection, as Linux's make_prot(). */
static int make_prot(Elf64_Word p_flags)
{
	int prot = 0;
	if (p_flags & PF_R)
		prot |= PROT_READ;
	if (p_flags & PF_W)
		prot |= PROT_WRITE;
	if (p_flags & PF_X)
		prot |= PROT_EXEC;
	return prot;
}

/* elf_check_header accepts a 64-bit little-endian ELF executable (ET_EXEC) or
 * position-independent executable/shared object (ET_DYN) for machine, whose
 * program header table Linux would read. Linux checks only the magic, e_type
 * and e_machine; the class, data and version checks are ours. */
long elf_check_header(const Elf64_Ehdr *ehdr, uint16_t machine, const char **why)
{
	const unsigned char *id = ehdr->e_ident;
	if (id[EI_MAG0] != ELFMAG0 || id[EI_MAG1] != ELFMAG1 || id[EI_MAG2] != ELFMAG2 ||
	    id[EI_MAG3] != ELFMAG3)
		REJECT(ENOEXEC, "not an ELF file (bad magic)");
	if (id[EI_CLASS] != ELFCLASS64)
		REJECT(ENOEXEC, "not a 64-bit ELF file (EI_CLASS)");
	if (id[EI_DATA] != ELFDATA2LSB)
		REJECT(ENOEXEC, "not a little-endian ELF file (EI_DATA)");
	if (id[EI_VERSION] != EV_CURRENT || ehdr->e_version != EV_CURRENT)
		REJECT(ENOEXEC, "unknown ELF version (EI_VERSION, e_version)");
	if (ehdr->e_type != ET_EXEC && ehdr->e_type != ET_DYN)
		REJECT(ENOEXEC, "not an executable (e_type is neither ET_EXEC nor ET_DYN)");
	if (machine != EM_X86_64 && machine != EM_AARCH64)
		REJECT(EINVAL, "the loader supports only EM_X86_64 and EM_AARCH64");
	if (ehdr->e_machine != machine)
		REJECT(ENOEXEC, "wrong machine (e_machine)");
	if (ehdr->e_phentsize != sizeof(Elf64_Phdr))
		REJECT(ENOEXEC, "e_phentsize is not the size of Elf64_Phdr");
	if (ehdr->e_phnum < 1 || ehdr->e_phnum > ELF_MAX_PHNUM)
		REJECT(ENOEXEC,
		       "e_phnum out of range (1..1170: at most 64 KiB of program headers)");
	return 0;
}

/* elf_read_phdrs reads the program header table, which must lie inside the
 * file, into bin->phdr. */
long elf_read_phdrs(const struct loader_ops *ops, struct elf_binary *bin, const char **why)
{
	uint64_t len = (uint64_t)bin->ehdr.e_phnum * sizeof(Elf64_Phdr);
	uint64_t off = bin->ehdr.e_phoff;
	if (off > bin->size || len > bin->size - off)
		REJECT(ENOEXEC, "program headers outside the file (e_phoff)");
	long err = read_exact(ops, bin->file, bin->phdr, len, off);
	if (err < 0)
		REJECT(-err, "cannot read the program headers");
	return 0;
}

/* elf_check_segments checks the PT_LOAD segments against the gABI's
 * "Program Loading" rules: in ascending p_vaddr order and not overlapping,
 * p_filesz <= p_memsz, file bytes inside the file, p_vaddr and p_offset
 * congruent modulo the page size, and the whole image inside the address
 * space. Where Linux has the same check we return its errno. */
long elf_check_segments(const struct elf_binary *bin, const struct loader_params *params,
			const char **why)
{
	uint64_t pagesize = params->pagesize;
	uint64_t task_size = params->task_size;
	uint64_t prev_vaddr = 0, prev_end = 0;
	int nload = 0;

	if (!is_power_of_2(pagesize) || task_size == 0 || page_offset(task_size, pagesize))
		REJECT(EINVAL, "bad loader parameters (pagesize, task_size)");
	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		/* Linux: EINVAL for each of these three (elf_load_binary's BAD_ADDR checks). */
		if (ph->p_filesz > ph->p_memsz)
			REJECT(EINVAL, "PT_LOAD with p_filesz > p_memsz");
		if (ph->p_memsz > task_size || ph->p_vaddr > task_size - ph->p_memsz)
			REJECT(EINVAL, "PT_LOAD outside the address space (p_vaddr + p_memsz)");
		/* Linux: the segment's mmap fails with EINVAL on an unaligned offset. */
		if (page_offset(ph->p_vaddr, pagesize) != page_offset(ph->p_offset, pagesize))
			REJECT(EINVAL, "PT_LOAD p_vaddr and p_offset differ modulo the page size");
		if (ph->p_offset > bin->size || ph->p_filesz > bin->size - ph->p_offset)
			REJECT(ENOEXEC,
			       "PT_LOAD file bytes outside the file (p_offset + p_filesz)");
		if (nload > 0 && ph->p_vaddr < prev_vaddr)
			REJECT(ENOEXEC, "PT_LOAD segments not in ascending p_vaddr order");
		if (nload > 0 && ph->p_vaddr < prev_end)
			REJECT(ENOEXEC, "PT_LOAD segments overlap");
		prev_vaddr = ph->p_vaddr;
		prev_end = ph->p_vaddr + ph->p_memsz;
		nload++;
	}
	if (nload == 0)
		REJECT(ENOEXEC, "no PT_LOAD segment");
	/* The span from the first page to the last is what a base is chosen for. */
	if (page_align(prev_end, pagesize) == 0 || page_align(prev_end, pagesize) > task_size)
		REJECT(EINVAL, "PT_LOAD segments do not fit in the address space");
	if (bin->ehdr.e_type == ET_EXEC && bin->ehdr.e_entry >= task_size)
		REJECT(EINVAL, "e_entry outside the address space");
	return 0;
}

/* elf_find_interp copies the first PT_INTERP's path (the interpreter, e.g.
 * /lib64/ld-linux-x86-64.so.2) into path: 1 if there is one, 0 if not.
 * Like Linux: 2..PATH_MAX bytes, inside the file, ending in NUL. */
long elf_find_interp(const struct loader_ops *ops, const struct elf_binary *bin, char *path,
		     size_t path_size, const char **why)
{
	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		if (ph->p_type != PT_INTERP)
			continue;
		if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX || ph->p_filesz > path_size)
			REJECT(ENOEXEC, "PT_INTERP size out of range (2..4096)");
		if (ph->p_offset > bin->size || ph->p_filesz > bin->size - ph->p_offset)
			REJECT(ENOEXEC, "PT_INTERP string outside the file");
		long err = read_exact(ops, bin->file, path, ph->p_filesz, ph->p_offset);
		if (err < 0)
			REJECT(-err, "cannot read the PT_INTERP string");
		if (path[ph->p_filesz - 1] != '\0')
			REJECT(ENOEXEC, "PT_INTERP string not NUL-terminated");
		return 1;
	}
	return 0;
}

int elf_has_note(const struct loader_ops *ops, const struct elf_binary *bin, const char *owner,
		 uint32_t type)
{
	size_t olen = cstrlen(owner) + 1;

	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		unsigned char buf[512];
		uint64_t off = 0;

		if (ph->p_type != PT_NOTE || ph->p_filesz > sizeof buf ||
		    ph->p_offset > bin->size || ph->p_filesz > bin->size - ph->p_offset ||
		    read_exact(ops, bin->file, buf, ph->p_filesz, ph->p_offset) < 0)
			continue;
		/* Elf64_Nhdr: namesz, descsz, type; name and desc 4-byte padded */
		while (ph->p_filesz - off >= 12) {
			uint32_t n[3];

			for (int k = 0; k < 3; k++)
				n[k] = (uint32_t)buf[off + 4 * k] |
				       (uint32_t)buf[off + 4 * k + 1] << 8 |
				       (uint32_t)buf[off + 4 * k + 2] << 16 |
				       (uint32_t)buf[off + 4 * k + 3] << 24;
			uint64_t name = off + 12, desc = name + ((n[0] + 3ULL) & ~3ULL);
			uint64_t next = desc + ((n[1] + 3ULL) & ~3ULL);
			if (next > ph->p_filesz)
				break;
			if (n[2] == type && n[0] == olen && n[1] >= 4) {
				size_t k = 0;

				while (k < olen && buf[name + k] == (unsigned char)owner[k])
					k++;
				if (k == olen)
					return 1;
			}
			off = next;
		}
	}
	return 0;
}

/* elf_read_binary reads and checks one ELF file: header, program headers,
 * segments. It maps nothing. */
long elf_read_binary(const struct loader_ops *ops, const struct loader_params *params,
		     struct elf_binary *bin, void *file, uint64_t size, const char **why)
{
	bin->file = file;
	bin->size = size;
	bin->load_bias = 0;
	bin->entry = bin->phdr_addr = bin->end = (uptr){ 0 };
	if (size < sizeof(Elf64_Ehdr))
		REJECT(ENOEXEC, "file too short for an ELF header");
	long err = read_exact(ops, file, &bin->ehdr, sizeof(bin->ehdr), 0);
	if (err < 0)
		REJECT(-err, "cannot read the ELF header");
	err = elf_check_header(&bin->ehdr, params->machine, why);
	if (err < 0)
		return err;
	err = elf_read_phdrs(ops, bin, why);
	if (err < 0)
		return err;
	return elf_check_segments(bin, params, why);
}

/* Copy file bytes [off, off + len) to the guest at dst, for a caller without
 * map_file. */
static long copy_file_in(const struct loader_ops *ops, void *file, uptr dst, uint64_t len,
			 uint64_t off)
{
	char buf[1024];
	while (len > 0) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		long err = read_exact(ops, file, buf, n, off);
		if (err < 0)
			return err;
		err = ops->copy_out(ops->ctx, dst, buf, n);
		if (err < 0)
			return err;
		dst = uptr_add(dst, n);
		off += n;
		len -= n;
	}
	return 0;
}

/* elf_map_segment maps one PT_LOAD at p_vaddr + load_bias: the pages holding
 * its p_filesz file bytes, then zero-filled pages up to p_memsz (the bss).
 * The gABI says the bytes past p_filesz read as zero, so the rest of the last
 * file page is cleared, even in a read-only segment (Linux skips that case). */
long elf_map_segment(const struct loader_ops *ops, const struct elf_binary *bin,
		     const Elf64_Phdr *phdr, uint64_t pagesize, const char **why)
{
	uint64_t addr = bin->load_bias + phdr->p_vaddr;
	uint64_t start = page_start(addr, pagesize);
	uint64_t file_end = addr + phdr->p_filesz; /* first byte of the bss */
	uint64_t mem_end = page_align(addr + phdr->p_memsz, pagesize);
	uint64_t zero_start = start;
	int prot = make_prot(phdr->p_flags);
	long err;

	if (phdr->p_filesz > 0) {
		uint64_t len = page_align(file_end, pagesize) - start;
		uint64_t off = phdr->p_offset - (addr - start);
		uint64_t tail = page_align(file_end, pagesize) - file_end;
		int clear_tail = phdr->p_memsz > phdr->p_filesz && tail > 0;
		/* Writable while we fill or clear it; the final prot comes after. */
		int fill_prot = (ops->map_file ? prot : PROT_READ) | PROT_WRITE;
		if (ops->map_file) {
			err = ops->map_file(ops->ctx, bin->file, (uptr){ start }, len,
					    clear_tail ? fill_prot : prot, off);
		} else {
			uptr at = { start };
			err = ops->map_anon(ops->ctx, &at, len, fill_prot, LOADER_MAP_FIXED);
			if (err >= 0) {
				/* Like a file mapping, the whole pages hold file bytes. */
				uint64_t n = len < bin->size - off ? len : bin->size - off;
				err = copy_file_in(ops, bin->file, (uptr){ start }, n, off);
			}
		}
		if (err < 0)
			REJECT(-err, "cannot map a PT_LOAD segment's file bytes");
		if (clear_tail) {
			err = clear_user((uptr){ file_end }, tail);
			if (err < 0)
				REJECT(-err,
				       "cannot clear the bss part of a segment's last file page");
		}
		/* (a writable segment has its prot already: no call) */
		if ((clear_tail && fill_prot != prot) || !ops->map_file) {
			err = ops->protect(ops->ctx, (uptr){ start }, len, prot);
			if (err < 0)
				REJECT(-err, "cannot set a PT_LOAD segment's protection");
		}
		zero_start = page_align(file_end, pagesize);
	}
	if (mem_end > zero_start && phdr->p_memsz > phdr->p_filesz) {
		uptr at = { zero_start };
		err = ops->map_anon(ops->ctx, &at, mem_end - zero_start, prot, LOADER_MAP_FIXED);
		if (err < 0)
			REJECT(-err, "cannot map a PT_LOAD segment's bss");
	}
	return 0;
}

/* The largest power-of-two p_align of the PT_LOAD segments, at least a page,
 * as Linux's maximum_alignment(): an ET_DYN base honours it. */
static uint64_t maximum_alignment(const struct elf_binary *bin, uint64_t pagesize)
{
	uint64_t align = pagesize;
	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		if (ph->p_type == PT_LOAD && is_power_of_2(ph->p_align) && ph->p_align > align)
			align = ph->p_align;
	}
	return align;
}

/* Reserve the span [lo, hi) of the image: at lo for ET_EXEC, at a base
 * aligned to the segments' p_align (near hint) for ET_DYN. Sets load_bias. */
static long reserve_image(const struct loader_ops *ops, const struct loader_params *params,
			  struct elf_binary *bin, uint64_t lo, uint64_t hi, uptr hint,
			  const char **why)
{
	uint64_t span = hi - lo;
	long err;

	if (bin->ehdr.e_type == ET_EXEC) {
		uptr at = { lo };
		err = ops->map_anon(ops->ctx, &at, span, PROT_NONE, LOADER_MAP_FIXED_NOREPLACE);
		if (err < 0)
			REJECT(-err, "cannot reserve the ET_EXEC image at its fixed address");
		bin->load_bias = 0;
		return 0;
	}
	uint64_t align = maximum_alignment(bin, params->pagesize);
	uint64_t extra = align - params->pagesize;
	if (align > params->task_size || span > params->task_size - align)
		REJECT(ENOMEM, "ET_DYN image too large for its p_align");
	uptr at = { hint.addr & ~(align - 1) };
	err = ops->map_anon(ops->ctx, &at, span + extra, PROT_NONE, LOADER_MAP_ANYWHERE);
	if (err < 0)
		REJECT(-err, "cannot reserve address space for the ET_DYN image");
	uint64_t base = (at.addr + align - 1) & ~(align - 1);
	/* Give back what alignment did not need. */
	if (base > at.addr)
		ops->unmap(ops->ctx, at, base - at.addr);
	if (at.addr + span + extra > base + span)
		ops->unmap(ops->ctx, (uptr){ base + span }, at.addr + span + extra - (base + span));
	bin->load_bias = base - lo;
	return 0;
}

/* elf_load_binary maps one checked ELF file: ET_EXEC at its own addresses,
 * ET_DYN (static-pie, PIE, interpreter) at a base near base (0: anywhere).
 * The image is reserved whole first, so a base is only chosen where all of
 * it fits; the holes between segments are unmapped again, as on Linux. */
long elf_load_binary(const struct loader_ops *ops, const struct loader_params *params,
		     struct elf_binary *bin, uptr base, const char **why)
{
	uint64_t pagesize = params->pagesize;
	const Elf64_Phdr *first = 0, *last = 0;
	uint64_t phdr_vaddr = 0;
	long err;

	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (!first)
			first = ph;
		last = ph;
		/* AT_PHDR: where the segment holding the table maps it (Linux >= 5.18). */
		if (ph->p_offset <= bin->ehdr.e_phoff &&
		    bin->ehdr.e_phoff < ph->p_offset + ph->p_filesz)
			phdr_vaddr = bin->ehdr.e_phoff - ph->p_offset + ph->p_vaddr;
	}
	if (!first)
		REJECT(ENOEXEC, "no PT_LOAD segment");
	uint64_t lo = page_start(first->p_vaddr, pagesize);
	uint64_t hi = page_align(last->p_vaddr + last->p_memsz, pagesize);

	err = reserve_image(ops, params, bin, lo, hi, base, why);
	if (err < 0)
		return err;
	uint64_t prev_end = 0;
	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		uint64_t seg_start = page_start(bin->load_bias + ph->p_vaddr, pagesize);
		if (prev_end && seg_start > prev_end)
			ops->unmap(ops->ctx, (uptr){ prev_end }, seg_start - prev_end);
		err = elf_map_segment(ops, bin, ph, pagesize, why);
		if (err < 0)
			return err;
		prev_end = page_align(bin->load_bias + ph->p_vaddr + ph->p_memsz, pagesize);
	}
	uint64_t entry = bin->ehdr.e_entry + bin->load_bias;
	if (entry < bin->ehdr.e_entry || entry >= params->task_size)
		REJECT(EINVAL, "e_entry outside the address space");
	bin->entry = (uptr){ entry };
	bin->phdr_addr = (uptr){ phdr_vaddr + bin->load_bias };
	bin->end = (uptr){ hi + bin->load_bias };
	return 0;
}

/* elf_check_exec reads and checks the program and, when it has PT_INTERP,
 * opens and checks its interpreter (left open in img->interp.file). */
static long read_exec(const struct loader_ops *ops, const struct loader_params *params,
		      struct loader_image *img, void *file, uint64_t size, const char **why)
{
	img->has_interp = 0;
	img->interp.file = 0;
	long err = elf_read_binary(ops, params, &img->prog, file, size, why);
	if (err < 0)
		return err;
	err = elf_find_interp(ops, &img->prog, img->interp_path, sizeof(img->interp_path), why);
	if (err <= 0)
		return err;
	if (!ops->open)
		REJECT(ENOEXEC, "PT_INTERP program, but no way to open an interpreter");
	void *ifile;
	uint64_t isize;
	err = ops->open(ops->ctx, img->interp_path, &ifile, &isize);
	if (err < 0)
		REJECT(-err, "cannot open the PT_INTERP interpreter");
	img->has_interp = 1;
	err = elf_read_binary(ops, params, &img->interp, ifile, isize, why);
	if (err < 0) {
		ops->close(ops->ctx, ifile);
		img->interp.file = 0;
		img->has_interp = 0;
		img->interp_failed = 1;
	}
	return err;
}

long elf_check_exec(const struct loader_ops *ops, const struct loader_params *params,
		    struct loader_image *img, void *file, uint64_t size, const char **why)
{
	img->interp_failed = 0;
	long err = read_exec(ops, params, img, file, size, why);
	img->abi_note = err == 0 &&
			(elf_has_note(ops, &img->prog, ABI_NOTE_OWNER, ABI_NOTE_TYPE) ||
			 (img->has_interp &&
			  elf_has_note(ops, &img->interp, ABI_NOTE_OWNER, ABI_NOTE_TYPE)));
	if (err == 0 && img->has_interp)
		ops->close(ops->ctx, img->interp.file);
	return err;
}

/* A buffered writer of consecutive 64-bit words to the guest. */
struct word_writer {
	const struct loader_ops *ops;
	uptr at;
	unsigned n;
	long err;
	uint64_t buf[64];
};

static void put_word(struct word_writer *w, uint64_t v)
{
	w->buf[w->n++] = v;
	if (w->n == sizeof(w->buf) / sizeof(w->buf[0])) {
		if (w->err == 0)
			w->err = w->ops->copy_out(w->ops->ctx, w->at, w->buf, sizeof(w->buf));
		w->at = uptr_add(w->at, sizeof(w->buf));
		w->n = 0;
	}
}

static long flush_words(struct word_writer *w)
{
	if (w->n > 0 && w->err == 0)
		w->err = w->ops->copy_out(w->ops->ctx, w->at, w->buf, w->n * sizeof(uint64_t));
	return w->err;
}

/* Linux's MAX_ARG_STRLEN: one argument or environment string, NUL included. */
#define MAX_ARG_STRLEN (32 * 4096)
#define MAX_EXTRA_AUX 16

/* Push the strings of a NULL-terminated array below *p, so that they lie in
 * order, contiguous, from the returned *p up (as execve's copy_strings()).
 * Sets *count. */
static long push_strings(const struct loader_ops *ops, uint64_t *p, uint64_t bottom,
			 const char *const *strs, uint64_t *count, const char **why)
{
	uint64_t n = 0;
	while (strs && strs[n])
		n++;
	*count = n;
	while (n-- > 0) {
		uint64_t len = cstrlen(strs[n]) + 1;
		if (len > MAX_ARG_STRLEN)
			REJECT(E2BIG, "an argument or environment string is too long");
		if (*p - bottom < len)
			REJECT(E2BIG, "arguments and environment do not fit on the stack");
		*p -= len;
		long err = ops->copy_out(ops->ctx, (uptr){ *p }, strs[n], len);
		if (err < 0)
			REJECT(-err, "cannot write the argument strings");
	}
	return 0;
}

/* create_elf_tables builds the initial stack as Linux's execve does (see
 * loader/README.md): from the top, an 8-byte NUL, the AT_EXECFN string, the
 * environment and argument strings, a gap and 16-byte alignment, the
 * AT_PLATFORM string, the 16 AT_RANDOM bytes, then, 16-byte aligned at sp,
 * argc, argv[], NULL, envp[], NULL and the auxv pairs ending in AT_NULL. */
long create_elf_tables(const struct loader_ops *ops, const struct loader_params *params,
		       const struct loader_args *args, const struct loader_image *img,
		       struct loader_result *res, const char **why)
{
	uint64_t top = args->stack_top.addr;
	uint64_t bottom = top - args->stack_size;
	uint64_t p = top, argc, envc;
	long err;

	if (args->stack_size > top || page_offset(top, 16) || !args->execfn ||
	    args->n_extra_aux > MAX_EXTRA_AUX || args->stack_gap > 65536)
		REJECT(EINVAL, "bad loader arguments (stack, execfn, extra auxv)");
	if (p - bottom < 8)
		REJECT(E2BIG, "arguments and environment do not fit on the stack");
	p -= 8; /* the NULL word at the very top */
	err = clear_user((uptr){ p }, 8);
	if (err < 0)
		REJECT(-err, "cannot write the initial stack");

	const char *execfn_arr[] = { args->execfn, 0 };
	uint64_t one;
	err = push_strings(ops, &p, bottom, execfn_arr, &one, why);
	if (err < 0)
		return err;
	uint64_t u_execfn = p;
	err = push_strings(ops, &p, bottom, args->envp, &envc, why);
	if (err < 0)
		return err;
	uint64_t env_start = p;
	/* Linux (>= 5.18) gives a program started with no arguments one empty
	 * argv[0], so that argv[0] is never envp[0]. */
	static const char *const empty_argv[] = { "", 0 };
	const char *const *argv = args->argv && args->argv[0] ? args->argv : empty_argv;
	err = push_strings(ops, &p, bottom, argv, &argc, why);
	if (err < 0)
		return err;
	uint64_t arg_start = p;

	/* arch_align_stack(): a (random) gap, then 16-byte alignment. */
	if (p - bottom < args->stack_gap + 16 + 64 + 16)
		REJECT(E2BIG, "arguments and environment do not fit on the stack");
	p = page_start(p - args->stack_gap, 16);
	uint64_t u_platform = 0;
	if (args->platform) {
		uint64_t len = cstrlen(args->platform) + 1;
		if (len > 64)
			REJECT(EINVAL, "AT_PLATFORM string too long");
		p -= len;
		err = ops->copy_out(ops->ctx, (uptr){ p }, args->platform, len);
		if (err < 0)
			REJECT(-err, "cannot write the AT_PLATFORM string");
		u_platform = p;
	}
	unsigned char rand_bytes[16];
	err = ops->random(ops->ctx, rand_bytes, sizeof(rand_bytes));
	if (err < 0)
		REJECT(-err, "cannot get the AT_RANDOM bytes");
	p -= sizeof(rand_bytes);
	err = ops->copy_out(ops->ctx, (uptr){ p }, rand_bytes, sizeof(rand_bytes));
	if (err < 0)
		REJECT(-err, "cannot write the AT_RANDOM bytes");
	uint64_t u_rand = p;

	/* The auxv, in Linux's order for x86_64: ARCH_DLINFO (AT_SYSINFO_EHDR,
	 * omitted: no host vDSO; AT_MINSIGSTKSZ) first, then the generic ones. */
	const struct elf_binary *prog = &img->prog;
	Elf64_auxv_t aux[20 + MAX_EXTRA_AUX + 1];
	size_t na = 0;
#define NEW_AUX_ENT(id, val) (aux[na].a_type = (id), aux[na].a_un.a_val = (val), na++)
	NEW_AUX_ENT(AT_MINSIGSTKSZ, args->minsigstksz);
	NEW_AUX_ENT(AT_HWCAP, args->hwcap);
	NEW_AUX_ENT(AT_PAGESZ, params->pagesize);
	NEW_AUX_ENT(AT_CLKTCK, args->clktck);
	NEW_AUX_ENT(AT_PHDR, prog->phdr_addr.addr);
	NEW_AUX_ENT(AT_PHENT, sizeof(Elf64_Phdr));
	NEW_AUX_ENT(AT_PHNUM, prog->ehdr.e_phnum);
	NEW_AUX_ENT(AT_BASE, img->has_interp ? img->interp.load_bias : 0);
	NEW_AUX_ENT(AT_FLAGS, args->flags);
	NEW_AUX_ENT(AT_ENTRY, prog->entry.addr);
	NEW_AUX_ENT(AT_UID, args->uid);
	NEW_AUX_ENT(AT_EUID, args->euid);
	NEW_AUX_ENT(AT_GID, args->gid);
	NEW_AUX_ENT(AT_EGID, args->egid);
	NEW_AUX_ENT(AT_SECURE, args->secure);
	NEW_AUX_ENT(AT_RANDOM, u_rand);
	NEW_AUX_ENT(AT_HWCAP2, args->hwcap2);
	NEW_AUX_ENT(AT_EXECFN, u_execfn);
	if (u_platform)
		NEW_AUX_ENT(AT_PLATFORM, u_platform);
	for (size_t i = 0; i < args->n_extra_aux; i++)
		NEW_AUX_ENT(args->extra_aux[i].a_type, args->extra_aux[i].a_un.a_val);
	NEW_AUX_ENT(AT_NULL, 0);
#undef NEW_AUX_ENT

	/* STACK_ROUND: argc lands on a 16-byte boundary. */
	uint64_t items = (argc + 1) + (envc + 1) + 1;
	uint64_t words = items + 2 * na;
	if ((p - bottom) / 8 < words + 2)
		REJECT(E2BIG, "arguments and environment do not fit on the stack");
	uint64_t sp = page_start(p - words * 8, 16);

	struct word_writer w = { .ops = ops, .at = { sp } };
	put_word(&w, argc);
	for (uint64_t i = 0, s = arg_start; i < argc; s += cstrlen(argv[i]) + 1, i++)
		put_word(&w, s);
	put_word(&w, 0);
	for (uint64_t i = 0, s = env_start; i < envc; s += cstrlen(args->envp[i]) + 1, i++)
		put_word(&w, s);
	put_word(&w, 0);
	for (size_t i = 0; i < na; i++) {
		put_word(&w, aux[i].a_type);
		put_word(&w, aux[i].a_un.a_val);
	}
	err = flush_words(&w);
	if (err < 0)
		REJECT(-err, "cannot write the initial stack");

	res->sp = (uptr){ sp };
	res->arg_start = (uptr){ arg_start };
	res->arg_end = res->env_start = (uptr){ env_start };
	res->env_end = (uptr){ u_execfn };
	res->auxv = (uptr){ sp + items * 8 };
	res->auxv_len = na * sizeof(Elf64_auxv_t);
	res->random = (uptr){ u_rand };
	return 0;
}

/* elf_exec is Linux's load_elf_binary past the point of no return: check the
 * program and its interpreter, map both, build the stack. */
long elf_exec(const struct loader_ops *ops, const struct loader_params *params,
	      const struct loader_args *args, struct loader_image *img, void *file, uint64_t size,
	      struct loader_result *res, const char **why)
{
	img->interp_failed = 0;
	long err = read_exec(ops, params, img, file, size, why);
	if (err < 0)
		return err;
	uptr base = img->prog.ehdr.e_type == ET_DYN ? params->dyn_base : (uptr){ 0 };
	err = elf_load_binary(ops, params, &img->prog, base, why);
	if (err == 0 && img->has_interp) {
		err = elf_load_binary(ops, params, &img->interp, (uptr){ 0 }, why);
		if (err < 0)
			img->interp_failed = 1;
	}
	if (img->has_interp) {
		/* Its mappings hold their own references, as mmap's do. */
		ops->close(ops->ctx, img->interp.file);
		img->interp.file = 0;
	}
	if (err < 0)
		return err;
	err = create_elf_tables(ops, params, args, img, res, why);
	if (err < 0)
		return err;
	res->entry = img->has_interp ? img->interp.entry : img->prog.entry;
	res->prog_entry = img->prog.entry;
	res->phdr = img->prog.phdr_addr;
	res->interp_base = (uptr){ img->has_interp ? img->interp.load_bias : 0 };
	res->brk = img->prog.end;
	return 0;
}
