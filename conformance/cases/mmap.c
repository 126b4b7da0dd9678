/* mmap: anonymous memory and the facts /proc/self/maps states about it.
 *
 * Addresses differ run to run, so the transcript states page offsets relative to
 * the mapping's base and the permissions of each piece, never an address.
 *
 * covers: mmap munmap mprotect mremap madvise mincore msync brk openat read close
 * covers: memfd_create ftruncate pread64 pwrite64
 */
#include "sys.h"
#include <sys/mman.h>

#define PAGE 4096L

static char maps[1 << 16];

/* Print the /proc/self/maps lines that overlap [base, base+len) as page offsets. */
static void maps_facts(const char *what, uintptr_t base, long len)
{
    long fd = SC(openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);
    if (fd < 0) {
        out("%s: open /proc/self/maps = %s\n", what, rv(fd));
        return;
    }
    long total = 0, n;
    while (total < (long)sizeof maps - 1 &&
           (n = SC(read, fd, maps + total, sizeof maps - 1 - total)) > 0)
        total += n;
    maps[total] = 0;
    SC(close, fd);
    out("%s:", what);
    int any = 0;
    for (char *line = maps; *line;) {
        char *end = strchr(line, '\n');
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo < base + len && hi > base) {
            unsigned long a = lo < base ? base : lo, b = hi > base + len ? base + len : hi;
            out(" [%ld,%ld)%s", (long)(a - base) / PAGE, (long)(b - base) / PAGE, perms);
            any = 1;
        }
        if (!end)
            break;
        line = end + 1;
    }
    out("%s\n", any ? "" : " (none)");
}

/* Print the file offset and name /proc/self/maps gives the mapping at base. */
static void maps_name(const char *what, uintptr_t base)
{
    long fd = SC(openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);
    long total = 0, n;
    if (fd < 0)
        return;
    while (total < (long)sizeof maps - 1 &&
           (n = SC(read, fd, maps + total, sizeof maps - 1 - total)) > 0)
        total += n;
    maps[total] = 0;
    SC(close, fd);
    for (char *line = maps; *line;) {
        char *end = strchr(line, '\n');
        unsigned long lo, off;
        int name = 0;
        if (end)
            *end = 0;
        if (sscanf(line, "%lx-%*x %*s %lx %*s %*u %n", &lo, &off, &name) == 2 && lo == base) {
            out("%s: offset %#lx name \"%s\"\n", what, off, name ? line + name : "");
            return;
        }
        if (!end)
            break;
        line = end + 1;
    }
    out("%s: (none)\n", what);
}

/* memfd_create + ftruncate + mmap: shared mappings are the file, private ones
 * copy on write. */
static void file_mappings(void)
{
    section("file mappings");
    long fd = SC(memfd_create, "conform", 0);
    fact("memfd_create", fd >= 0);
    show("ftruncate 3 pages", SC(ftruncate, fd, 3 * PAGE));
    long r = SC(mmap, 0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    fact("mmap shared", r > 0);
    if (r <= 0)
        return;
    char *m = (char *)r, buf[8] = { 0 };
    fact("a fresh file reads zero", m[0] == 0 && m[3 * PAGE - 1] == 0);
    memcpy(m + PAGE, "stored", 6);
    show("pread at page 1", SC(pread64, fd, buf, 6, PAGE));
    out("pread sees the store: %s\n", buf);
    show("pwrite at page 2", SC(pwrite64, fd, "written", 7, 2 * PAGE));
    fact("the mapping sees the write", memcmp(m + 2 * PAGE, "written", 7) == 0);
    long r2 = SC(mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
    char *m2 = (char *)r2;
    fact("a second mapping aliases the first", r2 > 0 && memcmp(m2, "stored", 6) == 0);
    m2[0] = 'S';
    fact("both ways", m[PAGE] == 'S');
    long rp = SC(mmap, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
    char *p = (char *)rp;
    fact("a private mapping shows the file", rp > 0 && p[0] == 'S');
    p[0] = 'P';
    show("pread after a private store", SC(pread64, fd, buf, 1, PAGE));
    out("the file keeps: %c\n", buf[0]);
    SC(pwrite64, fd, "W", 1, 2 * PAGE);
    fact("an untouched private page sees a later write", p[PAGE] == 'W');
    maps_facts("maps of the shared mapping", (uintptr_t)m, 3 * PAGE);
    maps_name("shared", (uintptr_t)m);
    maps_name("second", (uintptr_t)m2);
    maps_name("private", (uintptr_t)p);
    show("ftruncate to 1 page", SC(ftruncate, fd, PAGE));
    show("pwrite from a mapped page past the end", SC(pwrite64, fd, m + 2 * PAGE, 4, 0));
    show("munmap", SC(munmap, m, 3 * PAGE));
    show("munmap", SC(munmap, m2, PAGE));
    show("munmap", SC(munmap, p, 2 * PAGE));
    show("close", SC(close, fd));
}

int main(void)
{
    section("anonymous");
    long r = SC(mmap, 0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fact("mmap 4 pages succeeded", r > 0 && r % PAGE == 0);
    char *p = (char *)r;
    uintptr_t base = (uintptr_t)p;
    fact("fresh memory is zero", p[0] == 0 && p[4 * PAGE - 1] == 0);
    for (long i = 0; i < 4; i++)
        memset(p + i * PAGE, 'a' + (int)i, PAGE);
    maps_facts("maps after mmap", base, 4 * PAGE);
    unsigned char vec[8];
    show("mincore 4 pages", SC(mincore, p, 4 * PAGE, vec));
    out("resident: %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    show("msync", SC(msync, p, PAGE, MS_SYNC));

    section("mprotect");
    show("mprotect page 1 PROT_READ", SC(mprotect, p + PAGE, PAGE, PROT_READ));
    maps_facts("maps after mprotect", base, 4 * PAGE);
    show("mprotect unaligned", SC(mprotect, p + 1, PAGE, PROT_READ));
    show("mprotect bad prot", SC(mprotect, p, PAGE, 0x100000));
    show("mprotect page 1 back to RW", SC(mprotect, p + PAGE, PAGE, PROT_READ | PROT_WRITE));
    maps_facts("maps after restore", base, 4 * PAGE);

    section("munmap");
    show("munmap page 2", SC(munmap, p + 2 * PAGE, PAGE));
    maps_facts("maps after munmap", base, 4 * PAGE);
    show("mincore on the hole", SC(mincore, p + 2 * PAGE, PAGE, vec));
    show("munmap unaligned", SC(munmap, p + 1, PAGE));
    show("munmap length 0", SC(munmap, p, 0));
    show("munmap the hole again", SC(munmap, p + 2 * PAGE, PAGE));
    fact("page 3 intact", p[3 * PAGE] == 'd' && p[4 * PAGE - 1] == 'd');

    section("MAP_FIXED");
    r = SC(mmap, p + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    fact("MAP_FIXED into the hole returns its address", r == (long)(p + 2 * PAGE));
    maps_facts("maps after MAP_FIXED", base, 4 * PAGE);
#ifdef MAP_FIXED_NOREPLACE
    r = SC(mmap, p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    showaddr("MAP_FIXED_NOREPLACE over a mapping", r);
#endif

    section("madvise");
    show("madvise DONTNEED page 0", SC(madvise, p, PAGE, MADV_DONTNEED));
    fact("page 0 reads zero", p[0] == 0 && p[PAGE - 1] == 0);
    fact("page 1 kept", p[PAGE] == 'b');
    show("madvise bad advice", SC(madvise, p, PAGE, 12345));
    show("madvise unaligned", SC(madvise, p + 1, PAGE, MADV_NORMAL));

    section("mremap");
    long m = SC(mmap, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *q = (char *)m;
    memset(q, 'x', 2 * PAGE);
    r = SC(mremap, q, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
    fact("mremap grow MAYMOVE succeeded", r > 0);
    char *q2 = (char *)r;
    fact("contents preserved", q2[0] == 'x' && q2[2 * PAGE - 1] == 'x');
    fact("new tail zero", q2[2 * PAGE] == 0 && q2[8 * PAGE - 1] == 0);
    maps_facts("maps after grow", (uintptr_t)q2, 8 * PAGE);
    r = SC(mremap, q2, 8 * PAGE, 1 * PAGE, 0);
    fact("mremap shrink in place", r == (long)q2);
    maps_facts("maps after shrink", (uintptr_t)q2, 8 * PAGE);
    show("mremap bad flags", SC(mremap, q2, PAGE, 2 * PAGE, 0x80));
    show("mremap unaligned", SC(mremap, q2 + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
    show("munmap grown", SC(munmap, q2, PAGE));

    file_mappings();

    section("errors");
    showaddr("mmap length 0", SC(mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    showaddr("mmap no type", SC(mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
    showaddr("mmap file on bad fd", SC(mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0));
    showaddr("mmap unaligned offset",
             SC(mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));
    show("munmap everything left", SC(munmap, p, 4 * PAGE));
    maps_facts("maps after munmap all", base, 4 * PAGE);

    section("brk");
    long b0 = SC(brk, 0);
    fact("brk(0) returns the break", b0 > 0);
    long b1 = SC(brk, b0 + 4 * PAGE);
    fact("brk grows", b1 == b0 + 4 * PAGE);
    char *heap = (char *)b0;
    heap[0] = 1;
    heap[4 * PAGE - 1] = 2;
    fact("grown break is usable", heap[0] == 1 && heap[4 * PAGE - 1] == 2);
    fact("brk shrinks", SC(brk, b0) == b0);
    return done();
}
