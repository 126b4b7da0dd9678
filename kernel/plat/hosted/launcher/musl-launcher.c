/* abi-run's launchers of shared-object applications on musl (OSv style),
 * guest programs built against musl(-compat) whose interpreter is musl's
 * dynamic linker. abi-run runs one as `LAUNCHER APP.so ARG...`; it loads
 * APP.so and exits with main(argc, argv, envp), argv[0] being APP.so's path.
 *
 * Built twice (kernel/plat/hosted/hosted.mk):
 *   so-launcher-musl     for objects built against musl (abi-cc -shared);
 *   so-launcher-compat   (GLIBC_COMPAT) for glibc-built objects, `abi-run
 *                        --libc=musl-compat`: linked with the glibc shim
 *                        (musl-compat/shim/), which comes before libc in the
 *                        global scope, so the object binds to it first. musl's
 *                        dynamic linker takes glibc's libc.so.6, libm.so.6,
 *                        libpthread.so.0 ... as itself and binds a versioned
 *                        reference (memcpy@GLIBC_2.14) to the plain name.
 *                        Before loading, every undefined symbol of the object
 *                        and of the libraries it needs is checked against
 *                        the covered list (COVERED_LIST: "name@version
 *                        provider" lines); one that is not covered is refused
 *                        with its name, exit status 127 (as a dynamic-linker
 *                        failure). Other libraries are found as musl finds
 *                        them: LD_LIBRARY_PATH, the RPATH or RUNPATH of the
 *                        objects that need them, then the launcher's own
 *                        RUNPATH, which holds the shim's directory and the
 *                        host glibc's (GLIBC_LIB_PATH). A glibc PIE is
 *                        loaded the same way, then started at its entry
 *                        point (start_pie). */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#ifdef GLIBC_COMPAT
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The covered list, in the launcher itself (sorted, "name@version provider\n"). */
__asm__(".section .rodata\n"
	".globl covered_list\n"
	"covered_list:\n"
	".incbin \"" COVERED_LIST "\"\n"
	".byte 0\n"
	".previous\n");
extern const char covered_list[];

#define MAX_OBJS 64
#define REFUSED 127

struct strtab {
	const char *base;
	size_t size;
};

/* What the check reads of an object, found through its section headers;
 * every pointer is inside the mapped file. */
struct obj {
	char path[4096];
	const char *name; /* as needed (or the app's path) */
	const unsigned char *map;
	size_t size;
	const Elf64_Sym *syms;
	size_t nsyms;
	struct strtab symstr;
	const Elf64_Half *versym;
	size_t nversym;
	const unsigned char *verneed;
	size_t verneed_size, nverneed;
	struct strtab verstr;
	const Elf64_Dyn *dyn;
	size_t ndyn;
	struct strtab dynstr;
	const Elf64_Rela *rela[8]; /* the SHT_RELA sections, for copy relocations */
	size_t nrela_ents[8];
	int nrela;
	int pie, tls; /* a program (PT_INTERP), thread-local storage (PT_TLS) */
	uintptr_t entry;
};

static struct obj objs[MAX_OBJS];
static int nobjs, refused;
static const char *app;
static char **covered;
static size_t ncovered;

/* One line "abi-run: APP.so: [LIB: ]why"; the run ends after the check. */
__attribute__((format(printf, 2, 3))) static void refuse(const struct obj *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "abi-run: %s: ", app);
	if (o != &objs[0])
		fprintf(stderr, "%s: ", o->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	refused++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The covered list as an array of "name@version" (the provider cut off). */
static void load_covered(void)
{
	char *list = strdup(covered_list), *line, *save = NULL;
	size_t cap = 4096;

	covered = malloc(cap * sizeof *covered);
	if (!list || !covered)
		abort();
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp)
			*sp = 0;
		if (ncovered == cap && !(covered = realloc(covered, (cap *= 2) * sizeof *covered)))
			abort();
		covered[ncovered++] = line;
	}
	qsort(covered, ncovered, sizeof *covered, cmp_str);
}

/* name@version covered (version NULL: any version of name). */
static int is_covered(const char *name, const char *version)
{
	char key[512];
	size_t lo = 0, hi = ncovered, n;

	n = (size_t)snprintf(key, sizeof key, "%s@%s", name, version ? version : "");
	if (n >= sizeof key)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(covered[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ncovered)
		return 0;
	return version ? strcmp(covered[lo], key) == 0 : strncmp(covered[lo], key, n) == 0;
}

/* A name musl's dynamic linker takes as itself: lib + c, pthread, rt, m,
 * dl, util or xnet, then a dot (libc.so.6, libm.so.6, libpthread.so.0);
 * or glibc's dynamic linker, whose stand-in in the shim's directory is
 * empty (its symbols are musl's: __tls_get_addr). */
static int is_libc_name(const char *name)
{
	static const char *const parts[] = {
		"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."
	};

	if (strcmp(name, "ld-linux-x86-64.so.2") == 0)
		return 1;
	if (strncmp(name, "lib", 3) != 0)
		return 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		if (strncmp(name + 3, parts[i], strlen(parts[i])) == 0)
			return 1;
	return 0;
}

static int in_map(const struct obj *o, const void *p, size_t len)
{
	const unsigned char *c = p;

	return c >= o->map && c <= o->map + o->size && len <= (size_t)(o->map + o->size - c);
}

/* The string at off in a string table, or NULL when it is not inside. */
static const char *str_at(const struct strtab *t, size_t off)
{
	if (!t->base || off >= t->size || !memchr(t->base + off, 0, t->size - off))
		return NULL;
	return t->base + off;
}

/* Maps the object and finds its dynamic symbols, versions and dynamic
 * section through the section headers; 0, or -1 after refusing it. */
static int open_obj(struct obj *o)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	int fd = open(o->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		refuse(o, "cannot open: %s", strerror(errno));
		return -1;
	}
	o->size = (size_t)st.st_size;
	o->map = o->size ? mmap(NULL, o->size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (o->map == MAP_FAILED || o->size < sizeof *eh) {
		refuse(o, "not an ELF object");
		return -1;
	}
	eh = (const void *)o->map;
	sh = (const void *)(o->map + eh->e_shoff);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_shentsize != sizeof *sh ||
	    !in_map(o, sh, (size_t)eh->e_shnum * sizeof *sh)) {
		refuse(o, "not an x86_64 ELF object with section headers");
		return -1;
	}
	if (in_map(o, o->map + eh->e_phoff, (size_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			const Elf64_Phdr *ph = (const Elf64_Phdr *)(o->map + eh->e_phoff) + i;

			o->pie |= ph->p_type == PT_INTERP;
			o->tls |= ph->p_type == PT_TLS;
		}
	o->entry = eh->e_entry;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const void *data = o->map + sh[i].sh_offset;
		const Elf64_Shdr *link = sh[i].sh_link < eh->e_shnum ? &sh[sh[i].sh_link] : NULL;
		struct strtab str = { NULL, 0 };

		if (sh[i].sh_offset > o->size || !in_map(o, data, sh[i].sh_size))
			continue;
		if (link && link->sh_offset <= o->size &&
		    in_map(o, o->map + link->sh_offset, link->sh_size))
			str = (struct strtab){ (const char *)o->map + link->sh_offset,
					       link->sh_size };
		switch (sh[i].sh_type) {
		case SHT_DYNSYM:
			o->syms = data;
			o->nsyms = sh[i].sh_size / sizeof *o->syms;
			o->symstr = str;
			break;
		case SHT_GNU_versym:
			o->versym = data;
			o->nversym = sh[i].sh_size / sizeof *o->versym;
			break;
		case SHT_GNU_verneed:
			o->verneed = data;
			o->verneed_size = sh[i].sh_size;
			o->nverneed = sh[i].sh_info;
			o->verstr = str;
			break;
		case SHT_DYNAMIC:
			o->dyn = data;
			o->ndyn = sh[i].sh_size / sizeof *o->dyn;
			o->dynstr = str;
			break;
		case SHT_RELA:
			if (o->nrela < 8) {
				o->rela[o->nrela] = data;
				o->nrela_ents[o->nrela++] = sh[i].sh_size / sizeof(Elf64_Rela);
			}
			break;
		}
	}
	if (!o->syms || !o->dyn || !o->symstr.base || !o->dynstr.base) {
		refuse(o, "not a dynamic object");
		return -1;
	}
	return 0;
}

/* The object's dynamic entries with tag, in order, through *i (start 0). */
static const Elf64_Dyn *next_dyn(const struct obj *o, size_t *i, Elf64_Sxword tag)
{
	for (; *i < o->ndyn && o->dyn[*i].d_tag != DT_NULL; (*i)++)
		if (o->dyn[*i].d_tag == tag)
			return &o->dyn[(*i)++];
	return NULL;
}

/* The version name and file a versym index refers to (verneed), or 0. */
static int version_of(const struct obj *o, unsigned idx, const char **ver, const char **file)
{
	const unsigned char *p = o->verneed, *end = o->verneed + o->verneed_size;

	for (size_t i = 0; p && i < o->nverneed && p + sizeof(Elf64_Verneed) <= end; i++) {
		const Elf64_Verneed *vn = (const void *)p;
		const unsigned char *q = p + vn->vn_aux;

		for (unsigned j = 0; j < vn->vn_cnt && q >= p && q + sizeof(Elf64_Vernaux) <= end;
		     j++) {
			const Elf64_Vernaux *va = (const void *)q;

			if ((va->vna_other & 0x7fff) == idx) {
				*ver = str_at(&o->verstr, va->vna_name);
				*file = str_at(&o->verstr, vn->vn_file);
				return *ver && *file;
			}
			if (!va->vna_next)
				break;
			q += va->vna_next;
		}
		if (!vn->vn_next)
			break;
		p += vn->vn_next;
	}
	return 0;
}

/* Whether an object of the closure other than o defines name. */
static int closure_defines(const struct obj *o, const char *name)
{
	for (int k = 0; k < nobjs; k++) {
		if (&objs[k] == o || !objs[k].map)
			continue;
		for (size_t i = 1; i < objs[k].nsyms; i++) {
			const Elf64_Sym *s = &objs[k].syms[i];

			const char *def = str_at(&objs[k].symstr, s->st_name);

			if (s->st_shndx != SHN_UNDEF && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
			    def && strcmp(def, name) == 0)
				return 1;
		}
	}
	return 0;
}

static void check_symbols(const struct obj *o)
{
	for (size_t i = 1; i < o->nsyms; i++) {
		const Elf64_Sym *s = &o->syms[i];
		const char *name = str_at(&o->symstr, s->st_name), *ver = NULL, *file = NULL;
		unsigned idx = i < o->nversym ? o->versym[i] & 0x7fff : 0;

		if (!name) {
			refuse(o, "a symbol's name is outside its string table");
			return;
		}
		if (s->st_shndx != SHN_UNDEF || ELF64_ST_BIND(s->st_info) != STB_GLOBAL || !*name)
			continue; /* defined, or weak: absent is allowed */
		if (idx > 1 && version_of(o, idx, &ver, &file) && is_libc_name(file)) {
			if (!is_covered(name, ver))
				refuse(o, "%s@%s: not provided by musl-compat or its glibc shim",
				       name, ver);
		} else if (!closure_defines(o, name) && !is_covered(name, NULL)) {
			refuse(o,
			       "%s: not provided by musl-compat, its glibc shim or a needed library",
			       name);
		}
	}
}

/* Adds dir/name to the closure if it exists; 1 when found. */
static int try_path(const char *dir, size_t dlen, const char *origin, const char *name)
{
	char path[4096];
	int n;

	if (dlen >= 7 && strncmp(dir, "$ORIGIN", 7) == 0)
		n = snprintf(path, sizeof path, "%s%.*s/%s", origin, (int)(dlen - 7), dir + 7,
			     name);
	else
		n = snprintf(path, sizeof path, "%.*s/%s", (int)dlen, dir, name);
	if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0)
		return 0;
	if (nobjs == MAX_OBJS) {
		refuse(&objs[0], "too many needed libraries");
		return 1;
	}
	strcpy(objs[nobjs].path, path);
	objs[nobjs].name = name;
	if (open_obj(&objs[nobjs]) == 0)
		nobjs++;
	return 1;
}

/* Finds a needed library as musl's dynamic linker will: LD_LIBRARY_PATH,
 * the object's RUNPATH (or RPATH), then the host glibc's directories (the
 * launcher's RUNPATH). */
static void find_needed(const struct obj *o, const char *name)
{
	char origin[4096];
	const char *slash = strrchr(o->path, '/');
	const char *paths[3] = { getenv("LD_LIBRARY_PATH"), NULL, GLIBC_LIB_PATH };
	const Elf64_Dyn *d;
	size_t di = 0;

	for (int k = 0; k < nobjs; k++)
		if (strcmp(objs[k].name, name) == 0)
			return;
	snprintf(origin, sizeof origin, "%.*s", slash ? (int)(slash - o->path) : 1,
		 slash ? o->path : ".");
	while ((d = next_dyn(o, &di, DT_RPATH)))
		paths[1] = str_at(&o->dynstr, d->d_un.d_val);
	for (di = 0; (d = next_dyn(o, &di, DT_RUNPATH));)
		paths[1] = str_at(&o->dynstr, d->d_un.d_val);
	for (int p = 0; p < 3; p++) {
		const char *dir = paths[p];

		while (dir && *dir) {
			size_t len = strcspn(dir, ":");

			if (try_path(dir, len, origin, name))
				return;
			dir += len + (dir[len] == ':');
		}
	}
	refuse(o, "needs %s, which is not found", name);
}

/* glibc's stdout: fully buffered when it is not a terminal, in a buffer of
 * the file's st_blksize. musl's writes out its first line before it finds
 * that out, which a program killed after printing it would show. */
static void glibc_stdout(void)
{
	struct stat st;
	size_t size = BUFSIZ;
	char *buf;

	if (isatty(1))
		return;
	if (fstat(1, &st) == 0 && st.st_blksize > 0)
		size = (size_t)st.st_blksize;
	if ((buf = malloc(size)))
		setvbuf(stdout, buf, _IOFBF, size);
}

/* A glibc PIE is loaded as a library, so its own thread-local storage
 * (local-exec, at offsets fixed for a main program) cannot work, nor can a
 * copy relocation of a libc variable that musl changes after loading
 * (environ, tzname ...): its copy would not follow. Copies of variables
 * that never change once the program runs (stdin, stdout, stderr; the
 * program's name, set before the PIE is loaded) are right, and the shim's
 * getopt functions copy the getopt variables in and out at each call. */
static void check_pie(const struct obj *o)
{
	static const char *const constant[] = {
		"stdin",
		"stdout",
		"stderr",
		"__progname",
		"__progname_full",
		"program_invocation_name",
		"program_invocation_short_name",
		"optind",
		"optarg",
		"opterr",
		"optopt",
	};

	if (o->tls)
		refuse(o, "a PIE with thread-local storage cannot run on musl-compat (build it "
			  "with -shared -fPIC)");
	for (int r = 0; r < o->nrela; r++)
		for (size_t i = 0; i < o->nrela_ents[r]; i++) {
			const Elf64_Rela *rel = &o->rela[r][i];
			size_t sym = ELF64_R_SYM(rel->r_info);
			const char *name;
			size_t k;

			if (ELF64_R_TYPE(rel->r_info) != R_X86_64_COPY || sym >= o->nsyms ||
			    !(name = str_at(&o->symstr, o->syms[sym].st_name)))
				continue;
			for (k = 0; k < sizeof constant / sizeof *constant; k++)
				if (strcmp(name, constant[k]) == 0)
					break;
			if (k == sizeof constant / sizeof *constant)
				refuse(o,
				       "%s: the PIE has its own copy of this variable (a copy "
				       "relocation), which musl's would not update (build it with "
				       "-shared -fPIC)",
				       name);
		}
}

/* The object and the closure of its needed libraries, each checked. */
static void check(const char *path)
{
	strcpy(objs[0].path, path);
	objs[0].name = path;
	if (open_obj(&objs[0]) < 0)
		exit(REFUSED);
	nobjs = 1;
	if (objs[0].pie)
		check_pie(&objs[0]);
	for (int k = 0; k < nobjs; k++) {
		const Elf64_Dyn *d;
		size_t di = 0;

		while ((d = next_dyn(&objs[k], &di, DT_NEEDED))) {
			const char *name = str_at(&objs[k].dynstr, d->d_un.d_val);

			if (!name)
				refuse(&objs[k],
				       "a needed library's name is outside its string table");
			else if (!is_libc_name(name))
				find_needed(&objs[k], name);
		}
	}
	load_covered();
	for (int k = 0; k < nobjs; k++)
		check_symbols(&objs[k]);
	if (refused)
		exit(REFUSED);
}

/* Runs a glibc PIE that musl loaded as a library: its entry point, on an
 * initial stack of argc, argv, envp and an empty aux vector (glibc's _start
 * reads only argc and argv and hands them to __libc_start_main, the shim's,
 * which calls main), with rdx 0: no dynamic linker's fini. */
static _Noreturn void start_pie(uintptr_t entry, int argc, char **argv)
{
	size_t nenv = 0, n, i = 0;
	uintptr_t *v;

	while (environ[nenv])
		nenv++;
	n = 1 + (size_t)argc + 1 + nenv + 1 + 2;
	v = __builtin_alloca(n * sizeof *v + 16);
	v = (uintptr_t *)(((uintptr_t)v + 15) & ~(uintptr_t)15);
	v[i++] = (uintptr_t)argc;
	for (int a = 0; a < argc; a++)
		v[i++] = (uintptr_t)argv[a];
	v[i++] = 0;
	for (size_t e = 0; e < nenv; e++)
		v[i++] = (uintptr_t)environ[e];
	v[i++] = 0;
	v[i++] = AT_NULL;
	v[i++] = 0;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%1"
			 :
			 : "r"(v), "r"(entry)
			 : "memory");
	__builtin_unreachable();
}
#endif

int main(int argc, char **argv)
{
	int (*app_main)(int, char **, char **);
	char *slash;
	void *h;

	if (argc < 2) {
		fprintf(stderr, "usage: %s APP.so [ARG...]\n", argv[0]);
		return 2;
	}
#ifdef GLIBC_COMPAT
	app = argv[1];
	check(argv[1]);
	glibc_stdout();
#endif
	/* The program's name is the object's, as argv[0] is (assert, error, err). */
	program_invocation_name = argv[1];
	slash = strrchr(argv[1], '/');
	program_invocation_short_name = slash ? slash + 1 : argv[1];
	h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "abi-run: %s\n", dlerror());
		return 127;
	}
#ifdef GLIBC_COMPAT
	if (objs[0].pie) {
		struct link_map *lm;

		if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0)
			return 127;
		start_pie(lm->l_addr + objs[0].entry, argc - 1, argv + 1);
	}
#endif
	*(void **)&app_main = dlsym(h, "main");
	if (!app_main) {
		fprintf(stderr, "abi-run: %s: the shared object has no main\n", argv[1]);
		return 2;
	}
	exit(app_main(argc - 1, argv + 1, environ));
}
