/* player: replays a syscall sequence read from stdin and prints what each call
 * returned, so the property sequences of abi/conform/props.py run under any
 * runner (native, abi-run, the emulator, qemu-user) and not only through ctypes.
 *
 * covers: openat close read write pread64 pwrite64 lseek ftruncate fallocate
 * covers: mkdirat unlinkat renameat2 symlinkat readlinkat linkat fchmodat
 * covers: dup dup3 fcntl pipe2 newfstatat getdents64 faccessat
 *
 * One call a line, `#` starts a comment:
 *
 *     openat AT_FDCWD "d/a" O_CREAT|O_RDWR 0644
 *     write $0 data:68656c6c6f 5
 *     read $0 buf:16 16
 *
 * Arguments: an integer (decimal, 0x hex, 0 octal, negative), symbols from the
 * table below joined with `|` (values from the libc headers, so one sequence
 * means the same on every architecture), "text" (a string without blanks or
 * quotes), $N (what call N returned; calls count from 0), data:HEX (those
 * bytes), buf:N (N zero bytes; after the call the first min(result, N) are
 * printed), out:N (N zero bytes, all printed after a successful call) and bad
 * (an address nothing is mapped at, for EFAULT).
 *
 * Two lines are not syscalls but observations that do not depend on inode
 * numbers, times or directory order: `stat "path"` prints the type and
 * permission bits, link count and size (lstat semantics) and `ls "dir"` the
 * sorted names with their d_type.
 *
 * Each call prints `N <the line> = RESULT` with RESULT a number or -ENAME,
 * then `  bytes: "..."` for buffers, so a difference reads on its own. A malformed line prints `N error: why` and the
 * player exits 2: a sequence is data, and bad data is a clear error. */
#include "sys.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE          /* musl 1.2.3 has renameat2's flags in no header */
#define RENAME_NOREPLACE (1 << 0) /* linux/fs.h */
#define RENAME_EXCHANGE (1 << 1)
#endif

#define MAX_CALLS 512
#define MAX_ARGS 6
#define BUF_MAX 65536
#define BAD_ADDR 0x1000L /* below mmap_min_addr: never mapped */

struct call_name {
    const char *name;
    long nr;
};

#define CALL(n) { #n, SYS_##n },
static const struct call_name calls[] = {
    CALL(openat) CALL(close) CALL(read) CALL(write) CALL(pread64) CALL(pwrite64) CALL(lseek)
        CALL(ftruncate) CALL(fallocate) CALL(mkdirat) CALL(unlinkat) CALL(renameat2) CALL(symlinkat)
            CALL(readlinkat) CALL(linkat) CALL(fchmodat) CALL(dup) CALL(dup3) CALL(fcntl)
                CALL(pipe2) CALL(newfstatat) CALL(getdents64) CALL(faccessat)
};

struct symbol {
    const char *name;
    long value;
};

#define SYM(n) { #n, n },
static const struct symbol symbols[] = {
    SYM(AT_FDCWD) SYM(AT_REMOVEDIR) SYM(AT_SYMLINK_NOFOLLOW) SYM(AT_SYMLINK_FOLLOW)
        SYM(AT_EMPTY_PATH) SYM(AT_EACCESS) SYM(O_RDONLY) SYM(O_WRONLY) SYM(O_RDWR) SYM(O_CREAT)
            SYM(O_EXCL) SYM(O_TRUNC) SYM(O_APPEND) SYM(O_NONBLOCK) SYM(O_DIRECTORY) SYM(O_NOFOLLOW)
                SYM(O_CLOEXEC) SYM(O_PATH) SYM(SEEK_SET) SYM(SEEK_CUR) SYM(SEEK_END) SYM(SEEK_DATA)
                    SYM(SEEK_HOLE) SYM(F_DUPFD) SYM(F_DUPFD_CLOEXEC) SYM(F_GETFD) SYM(F_SETFD)
                        SYM(F_GETFL) SYM(F_SETFL) SYM(FD_CLOEXEC) SYM(FALLOC_FL_KEEP_SIZE)
                            SYM(FALLOC_FL_PUNCH_HOLE) SYM(RENAME_NOREPLACE) SYM(RENAME_EXCHANGE)
                                SYM(R_OK) SYM(W_OK) SYM(X_OK) SYM(F_OK)
};

struct arg {
    long value;
    unsigned char *buf; /* buf: and out: */
    long size;
    int print_all; /* out: */
};

static long results[MAX_CALLS];
static char line[8192];

static int fail(int n, const char *why, const char *tok)
{
    out("%d error: %s%s%s\n", n, why, tok ? ": " : "", tok ? tok : "");
    flush();
    return 2;
}

static long find_call(const char *name)
{
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(calls[i].name, name))
            return calls[i].nr;
    return -1;
}

static int parse_number(const char *s, long *v)
{
    char *end;

    if (!*s)
        return -1;
    *v = strtol(s, &end, 0);
    return *end ? -1 : 0;
}

/* SYM|SYM|0x10: each part a symbol or a number. */
static int parse_flags(char *s, long *v)
{
    *v = 0;
    for (char *part = strtok(s, "|"); part; part = strtok(NULL, "|")) {
        long x;
        size_t i;

        for (i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
            if (!strcmp(symbols[i].name, part))
                break;
        if (i < sizeof symbols / sizeof symbols[0])
            x = symbols[i].value;
        else if (parse_number(part, &x))
            return -1;
        *v |= x;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses one argument; returns NULL or why it is malformed. */
static const char *parse_arg(char *tok, int n, struct arg *a)
{
    long k;

    memset(a, 0, sizeof *a);
    if (tok[0] == '"') {
        size_t len = strlen(tok);
        if (len < 2 || tok[len - 1] != '"')
            return "unterminated string";
        tok[len - 1] = 0;
        a->value = (long)(tok + 1);
    } else if (tok[0] == '$') {
        if (parse_number(tok + 1, &k) || k < 0 || k >= n)
            return "$N must name an earlier call";
        a->value = results[k];
    } else if (!strcmp(tok, "bad")) {
        a->value = BAD_ADDR;
    } else if (!strncmp(tok, "data:", 5)) {
        size_t len = strlen(tok + 5);
        if (len % 2)
            return "data: needs an even number of hex digits";
        a->buf = calloc(len / 2 + 1, 1);
        for (size_t i = 0; i < len / 2; i++) {
            int hi = hexval(tok[5 + 2 * i]), lo = hexval(tok[6 + 2 * i]);
            if (hi < 0 || lo < 0)
                return "data: needs lower-case hex digits";
            a->buf[i] = (unsigned char)(hi << 4 | lo);
        }
        a->value = (long)a->buf;
    } else if (!strncmp(tok, "buf:", 4) || !strncmp(tok, "out:", 4)) {
        if (parse_number(tok + 4, &a->size) || a->size < 0 || a->size > BUF_MAX)
            return "buffer size must be 0..65536";
        a->buf = calloc((size_t)a->size + 1, 1);
        a->print_all = tok[0] == 'o';
        a->value = (long)a->buf;
    } else if (parse_flags(tok, &a->value)) {
        return "not a number, symbol, string, $N, data:, buf:, out: or bad";
    }
    return NULL;
}

static void observe_stat(const char *path)
{
    struct stat st;
    long r = SC(newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);

    if (r < 0)
        out("  stat %s: %s\n", path, rv(r));
    else
        out("  stat %s: mode=%o nlink=%ld size=%lld\n", path, (unsigned)st.st_mode,
            (long)st.st_nlink, (long long)st.st_size);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void observe_ls(const char *path)
{
    static unsigned char dents[BUF_MAX];
    char *names[1024];
    int count = 0;
    long fd = SC(openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n;

    if (fd < 0) {
        out("  ls %s: %s\n", path, rv(fd));
        return;
    }
    while ((n = SC(getdents64, fd, dents, sizeof dents)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(dents + off + 16);
            const char *name = (const char *)dents + off + 19;
            if (strcmp(name, ".") && strcmp(name, "..") && count < 1024) {
                names[count] = malloc(strlen(name) + 4);
                sprintf(names[count++], "%s/%u", name, dents[off + 18]);
            }
            off += reclen;
        }
    }
    SC(close, fd);
    qsort(names, (size_t)count, sizeof names[0], cmp_names);
    out("  ls %s:", path);
    for (int i = 0; i < count; i++) {
        out(" %s", names[i]);
        free(names[i]);
    }
    out("%s\n", n < 0 ? rv(n) : "");
}

int main(void)
{
    int n = 0;
    size_t have = 0;
    long got;
    static char input[1 << 20];

    while (have < sizeof input - 1 &&
           (got = SC(read, 0, input + have, sizeof input - 1 - have)) > 0)
        have += (size_t)got;
    if (have >= sizeof input - 1)
        return fail(0, "sequence longer than 1 MiB", NULL);
    for (char *save = NULL, *l = strtok_r(input, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *tok, *tsave = NULL, *name;
        struct arg args[MAX_ARGS];
        int nargs = 0;
        long nr, r;
        const char *why;

        if (strlen(l) >= sizeof line)
            return fail(n, "line too long", NULL);
        strcpy(line, l);
        if (!(name = strtok_r(line, " \t", &tsave)) || name[0] == '#')
            continue;
        if (n >= MAX_CALLS)
            return fail(n, "more than 512 calls", NULL);
        while ((tok = strtok_r(NULL, " \t", &tsave))) {
            if (nargs == MAX_ARGS)
                return fail(n, "more than 6 arguments", NULL);
            if ((why = parse_arg(tok, n, &args[nargs++])))
                return fail(n, why, tok);
        }
        if (!strcmp(name, "stat") || !strcmp(name, "ls")) {
            if (nargs != 1 || !args[0].value)
                return fail(n, "stat and ls take one \"path\"", name);
            out("%d %s\n", n, name);
            (name[0] == 's' ? observe_stat : observe_ls)((const char *)args[0].value);
            results[n++] = 0;
            continue;
        }
        if ((nr = find_call(name)) < 0)
            return fail(n, "unknown call", name);
        while (nargs < MAX_ARGS)
            memset(&args[nargs++], 0, sizeof args[0]);
        r = sc6(nr, args[0].value, args[1].value, args[2].value, args[3].value, args[4].value,
                args[5].value);
        out("%d %s = %s\n", n, l, rv(r));
        for (int i = 0; i < MAX_ARGS; i++) {
            if (args[i].size && r >= 0)
                bytes("  bytes", args[i].buf,
                      args[i].print_all ? args[i].size : (r < args[i].size ? r : args[i].size));
            free(args[i].buf);
        }
        results[n++] = r;
    }
    return done();
}
