/* kernel/fs and kernel/fd: path walk, ramfs, descriptors, on a booted kernel
 * driven through its sys_ functions (the Python tests compare with Linux). */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/proc.h>
#include "ktest.h"

static char *arena;
static size_t arena_used;

static uptr U(const void *p)
{
	return (uptr){ (uintptr_t)p };
}

/* A copy of s in guest memory. */
static uptr G(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena + arena_used;

	memcpy(p, s, n);
	arena_used += (n + 15) & ~(size_t)15;
	return U(p);
}

static void *gbuf(size_t n)
{
	char *p = arena + arena_used;

	arena_used += (n + 15) & ~(size_t)15;
	return p;
}

static void boot_with(const struct abi_boot_args *args)
{
	CHECK_EQ(abi_boot(args), 0);
	arena = (char *)sys_mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 (unsigned long)-1, 0);
	arena_used = 0;
}

static void boot(void)
{
	struct abi_boot_args a = { .size = sizeof a, .uid = 0, .gid = 0 };

	boot_with(&a); /* root, like the host these tests compare with */
}

static long creat_file(const char *path, const char *data)
{
	long fd = sys_openat(AT_FDCWD, G(path), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	size_t n = strlen(data);
	char *b = gbuf(n + 1);

	if (fd < 0)
		return fd;
	memcpy(b, data, n);
	CHECK_EQ(sys_write((unsigned)fd, U(b), n), (long)n);
	return sys_close((unsigned)fd);
}

static void test_read_write_seek(void)
{
	long fd;
	char *b;

	boot();
	b = gbuf(64);
	fd = sys_openat(AT_FDCWD, G("/tmp/f"), O_CREAT | O_RDWR, 0600);
	CHECK_EQ(fd, 0);
	memcpy(b, "hello world", 11);
	CHECK_EQ(sys_write(0, U(b), 11), 11);
	CHECK_EQ(sys_lseek(0, 0, SEEK_CUR), 11);
	CHECK_EQ(sys_lseek(0, 6, SEEK_SET), 6);
	memset(b, 0, 64);
	CHECK_EQ(sys_read(0, U(b), 64), 5);
	CHECK(memcmp(b, "world", 5) == 0);
	CHECK_EQ(sys_read(0, U(b), 64), 0);
	CHECK_EQ(sys_pread64(0, U(b), 5, 0), 5);
	CHECK(memcmp(b, "hello", 5) == 0);
	CHECK_EQ(sys_lseek(0, 0, SEEK_CUR), 11); /* pread leaves the position */
	/* a hole reads as zeros */
	CHECK_EQ(sys_pwrite64(0, U("Z"), 1, 10000), -EFAULT); /* a kernel pointer */
	memcpy(b, "Z", 1);
	CHECK_EQ(sys_pwrite64(0, U(b), 1, 10000), 1);
	CHECK_EQ(sys_pread64(0, U(b), 8, 9998), 3);
	CHECK(b[0] == 0 && b[1] == 0 && b[2] == 'Z');
	CHECK_EQ(sys_lseek(0, 0, SEEK_END), 10001);
	CHECK_EQ(sys_lseek(0, -1, SEEK_SET), -EINVAL);
	CHECK_EQ(sys_lseek(0, 0, 7), -EINVAL);
	CHECK_EQ(sys_lseek(0, 20000, SEEK_DATA), -ENXIO);
	CHECK_EQ(sys_pread64(0, U(b), 1, -1), -EINVAL);
	CHECK_EQ(sys_read(0, U(NULL), 1), 0); /* at EOF nothing is copied */
	CHECK_EQ(sys_lseek(0, 0, SEEK_SET), 0);
	CHECK_EQ(sys_read(0, U(NULL), 1), -EFAULT);
	CHECK_EQ(sys_close(0), 0);
	CHECK_EQ(sys_close(0), -EBADF);
	CHECK_EQ(sys_read(0, U(b), 1), -EBADF);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_open_flags(void)
{
	long fd;
	char *b;

	boot();
	b = gbuf(64);
	CHECK_EQ(creat_file("/tmp/a", "abcdef"), 0);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/a"), O_CREAT | O_EXCL | O_RDWR, 0600), -EEXIST);
	/* O_APPEND writes at the end whatever the position */
	fd = sys_openat(AT_FDCWD, G("/tmp/a"), O_WRONLY | O_APPEND, 0);
	memcpy(b, "XY", 2);
	CHECK_EQ(sys_write((unsigned)fd, U(b), 2), 2);
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_CUR), 8);
	CHECK_EQ(sys_read((unsigned)fd, U(b), 1), -EBADF);
	CHECK_EQ(sys_fcntl((unsigned)fd, F_GETFL, 0), O_WRONLY | O_APPEND | O_LARGEFILE);
	sys_close((unsigned)fd);
	/* O_TRUNC empties, even with O_RDONLY */
	fd = sys_openat(AT_FDCWD, G("/tmp/a"), O_RDONLY | O_TRUNC, 0);
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_END), 0);
	CHECK_EQ(sys_write((unsigned)fd, U(b), 1), -EBADF);
	sys_close((unsigned)fd);
	/* directories */
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp"), O_RDWR, 0), -EISDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp"), O_RDONLY | O_TRUNC, 0), -EISDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/"), O_CREAT | O_RDWR, 0600), -EISDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/new/"), O_CREAT | O_RDWR, 0600), -EISDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/a"), O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/a/"), O_RDONLY, 0), -ENOTDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/a/b"), O_RDONLY, 0), -ENOTDIR);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/x"), O_CREAT | O_DIRECTORY, 0600), -EINVAL);
	fd = sys_openat(AT_FDCWD, G("/tmp"), O_RDONLY | O_DIRECTORY, 0);
	CHECK(fd >= 0);
	CHECK_EQ(sys_read((unsigned)fd, U(b), 1), -EISDIR);
	sys_close((unsigned)fd);
	/* names */
	CHECK_EQ(sys_openat(AT_FDCWD, G(""), O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sys_openat(AT_FDCWD, U(NULL), O_RDONLY, 0), -EFAULT);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/nope"), O_RDONLY, 0), -ENOENT);
	{
		char *longname = gbuf(300);

		memset(longname, 'n', 299);
		longname[0] = '/';
		longname[299] = 0;
		CHECK_EQ(sys_openat(AT_FDCWD, U(longname), O_RDONLY, 0), -ENAMETOOLONG);
	}
	/* O_PATH: no I/O, F_GETFL shows O_PATH only */
	fd = sys_openat(AT_FDCWD, G("/tmp/a"), O_PATH | O_RDWR, 0);
	CHECK_EQ(sys_fcntl((unsigned)fd, F_GETFL, 0), O_PATH);
	CHECK_EQ(sys_read((unsigned)fd, U(b), 1), -EBADF);
	CHECK_EQ(sys_fstat((unsigned)fd, U(gbuf(sizeof(struct linux_stat)))), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_dirs(void)
{
	boot();
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/d"), 0755), 0);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/d"), 0755), -EEXIST);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/d/e/"), 0755), 0);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/"), 0755), -EEXIST);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/d/.."), 0755), -EEXIST);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/nope/x"), 0755), -ENOENT);
	CHECK_EQ(creat_file("/tmp/d/f", "x"), 0);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, G("/tmp/d/f/x"), 0755), -ENOTDIR);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d"), AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d"), 0), -EISDIR);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d/f"), AT_REMOVEDIR), -ENOTDIR);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d/f/"), 0), -ENOTDIR);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d/f"), 0x1), -EINVAL);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d/."), AT_REMOVEDIR), -EINVAL);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/tmp/d/e/.."), AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, G("/"), AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(sys_unlink(G("/tmp/d/f")), 0);
	CHECK_EQ(sys_unlink(G("/tmp/d/f")), -ENOENT);
	CHECK_EQ(sys_rmdir(G("/tmp/d/e")), 0);
	CHECK_EQ(sys_rmdir(G("/tmp/d")), 0);
	/* "." and ".." walk */
	CHECK_EQ(sys_mkdir(G("/tmp/x"), 0700), 0);
	CHECK_EQ(creat_file("/tmp/x/../x/./y", "1"), 0);
	CHECK(sys_openat(AT_FDCWD, G("/../../tmp//x///y"), O_RDONLY, 0) >= 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_stat(void)
{
	struct linux_stat *st;

	boot();
	st = gbuf(sizeof *st);
	CHECK_EQ(creat_file("/tmp/s", "12345"), 0);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, G("/tmp/s"), U(st), 0), 0);
	CHECK_EQ(st->st_size, 5);
	CHECK_EQ(st->st_mode, S_IFREG | 0644); /* umask 022 */
	CHECK_EQ(st->st_nlink, 1);
	CHECK_EQ(sys_stat(G("/tmp"), U(st)), 0);
	CHECK_EQ(st->st_mode, S_IFDIR | 01777);
	CHECK_EQ(st->st_nlink, 2);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, G("/tmp/s"), U(NULL), 0), -EFAULT);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, G("/tmp/s"), U(st), 0x4), -EINVAL);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, G(""), U(st), 0), -ENOENT);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, G(""), U(st), AT_EMPTY_PATH), 0); /* the cwd, "/" */
	CHECK_EQ(st->st_mode, S_IFDIR | 0755);
	CHECK_EQ(sys_fstat(99, U(st)), -EBADF);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_symlinks(void)
{
	char name[32], target[32];
	struct linux_stat *st;
	char *b;

	boot();
	st = gbuf(sizeof *st);
	b = gbuf(64);
	CHECK_EQ(creat_file("/tmp/t", "target"), 0);
	CHECK_EQ(sys_symlink(G("t"), G("/tmp/l")), 0);
	CHECK_EQ(sys_symlink(G("t"), G("/tmp/l")), -EEXIST);
	CHECK_EQ(sys_symlink(G(""), G("/tmp/e")), -ENOENT);
	CHECK_EQ(sys_stat(G("/tmp/l"), U(st)), 0);
	CHECK_EQ(st->st_size, 6);
	CHECK_EQ(sys_lstat(G("/tmp/l"), U(st)), 0);
	CHECK_EQ(st->st_mode, S_IFLNK | 0777);
	CHECK_EQ(st->st_size, 1);
	CHECK_EQ(sys_readlink(G("/tmp/l"), U(b), 64), 1);
	CHECK_EQ(b[0], 't');
	CHECK_EQ(sys_readlink(G("/tmp/t"), U(b), 64), -EINVAL);
	CHECK_EQ(sys_readlink(G("/tmp/l"), U(b), 0), -EINVAL);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/l"), O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	CHECK(sys_openat(AT_FDCWD, G("/tmp/l"), O_PATH | O_NOFOLLOW, 0) >= 0);
	/* dangling */
	CHECK_EQ(sys_symlink(G("/tmp/nothing"), G("/tmp/dang")), 0);
	CHECK_EQ(sys_stat(G("/tmp/dang"), U(st)), -ENOENT);
	CHECK_EQ(sys_lstat(G("/tmp/dang"), U(st)), 0);
	/* loops */
	CHECK_EQ(sys_symlink(G("self"), G("/tmp/self")), 0);
	CHECK_EQ(sys_stat(G("/tmp/self"), U(st)), -ELOOP);
	/* a chain of 40 links resolves; 41 is ELOOP */
	for (int i = 1; i <= 41; i++) {
		ksnprintf(name, sizeof name, "/tmp/c%d", i);
		ksnprintf(target, sizeof target, i == 1 ? "t" : "c%d", i - 1);
		CHECK_EQ(sys_symlink(G(target), G(name)), 0);
	}
	CHECK_EQ(sys_stat(G("/tmp/c40"), U(st)), 0);
	CHECK_EQ(sys_stat(G("/tmp/c41"), U(st)), -ELOOP);
	CHECK_EQ(sys_lstat(G("/tmp/c41"), U(st)), 0);
	/* symlinks to directories in the middle and with a trailing slash */
	CHECK_EQ(sys_mkdir(G("/tmp/dir"), 0755), 0);
	CHECK_EQ(sys_symlink(G("/tmp/dir"), G("/tmp/dl")), 0);
	CHECK_EQ(creat_file("/tmp/dl/inside", "x"), 0);
	CHECK_EQ(sys_stat(G("/tmp/dir/inside"), U(st)), 0);
	CHECK_EQ(sys_lstat(G("/tmp/dl/"), U(st)), 0);
	CHECK_EQ(st->st_mode & S_IFMT, S_IFDIR);
	CHECK_EQ(sys_symlink(G("../t"), G("/tmp/dir/up")), 0);
	CHECK_EQ(sys_stat(G("/tmp/dl/up"), U(st)), 0); /* relative to the link's directory */
	CHECK_EQ(st->st_size, 6);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_at_semantics(void)
{
	long dfd, ffd;
	struct linux_stat *st;

	boot();
	st = gbuf(sizeof *st);
	CHECK_EQ(sys_mkdir(G("/tmp/w"), 0755), 0);
	CHECK_EQ(creat_file("/tmp/w/f", "abc"), 0);
	dfd = sys_openat(AT_FDCWD, G("/tmp/w"), O_RDONLY | O_DIRECTORY, 0);
	ffd = sys_openat((int)dfd, G("f"), O_RDONLY, 0);
	CHECK(ffd >= 0);
	CHECK_EQ(sys_newfstatat((int)dfd, G("f"), U(st), 0), 0);
	CHECK_EQ(sys_newfstatat((int)ffd, G("x"), U(st), 0), -ENOTDIR);
	CHECK_EQ(sys_newfstatat(77, G("f"), U(st), 0), -EBADF);
	CHECK_EQ(sys_newfstatat(77, G("/tmp/w/f"), U(st), 0), 0); /* absolute: dfd unused */
	CHECK_EQ(sys_newfstatat((int)ffd, G(""), U(st), AT_EMPTY_PATH), 0);
	CHECK_EQ(st->st_size, 3);
	CHECK_EQ(sys_mkdirat((int)dfd, G("sub"), 0700), 0);
	CHECK_EQ(sys_unlinkat((int)dfd, G("sub"), AT_REMOVEDIR), 0);
	CHECK_EQ(sys_symlinkat(G("f"), (int)dfd, G("lnk")), 0);
	CHECK_EQ(sys_readlinkat((int)dfd, G("lnk"), U(gbuf(8)), 8), 1);
	CHECK_EQ(sys_newfstatat((int)dfd, G("lnk"), U(st), AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st->st_mode & S_IFMT, S_IFLNK);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

struct dirent_view {
	char names[16][32];
	unsigned char types[16];
	int n;
};

static void parse_dirents(const char *buf, long len, struct dirent_view *v)
{
	for (long off = 0; off < len;) {
		const struct linux_dirent64 *d = (const void *)(buf + off);

		if (v->n < 16) {
			strlcpy(v->names[v->n], d->d_name, 32);
			v->types[v->n] = d->d_type;
			v->n++;
		}
		off += d->d_reclen;
	}
}

static void test_getdents(void)
{
	struct dirent_view v = { .n = 0 };
	char *buf;
	long fd, n;

	boot();
	buf = gbuf(4096);
	CHECK_EQ(sys_mkdir(G("/tmp/g"), 0755), 0);
	CHECK_EQ(creat_file("/tmp/g/one", "1"), 0);
	CHECK_EQ(sys_mkdir(G("/tmp/g/two"), 0755), 0);
	CHECK_EQ(sys_symlink(G("one"), G("/tmp/g/three")), 0);
	fd = sys_openat(AT_FDCWD, G("/tmp/g"), O_RDONLY | O_DIRECTORY, 0);
	n = sys_getdents64((unsigned)fd, U(buf), 4096);
	parse_dirents(buf, n, &v);
	CHECK_EQ(v.n, 5);
	/* tmpfs's order (Linux 6.6+): newest first */
	CHECK(strcmp(v.names[0], ".") == 0 && strcmp(v.names[1], "..") == 0);
	CHECK(strcmp(v.names[2], "three") == 0 && v.types[2] == DT_LNK);
	CHECK(strcmp(v.names[3], "two") == 0 && v.types[3] == DT_DIR);
	CHECK(strcmp(v.names[4], "one") == 0 && v.types[4] == DT_REG);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(buf), 4096), 0);
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_CUR), 0x7fffffff); /* the end marker */
	/* resumable one record at a time; too small for one record is EINVAL */
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(buf), 10), -EINVAL);
	v.n = 0;
	while ((n = sys_getdents64((unsigned)fd, U(buf), 32)) > 0) /* "three" needs 32 */
		parse_dirents(buf, n, &v);
	CHECK_EQ(n, 0);
	CHECK_EQ(v.n, 5);
	CHECK(strcmp(v.names[4], "one") == 0);
	/* positions name entries: 3 is the oldest, "one"; 2 is "the newest" */
	CHECK_EQ(sys_lseek((unsigned)fd, 3, SEEK_SET), 3);
	v.n = 0;
	parse_dirents(buf, sys_getdents64((unsigned)fd, U(buf), 4096), &v);
	CHECK(v.n == 1 && strcmp(v.names[0], "one") == 0);
	CHECK_EQ(sys_lseek((unsigned)fd, 2, SEEK_SET), 2);
	v.n = 0;
	parse_dirents(buf, sys_getdents64((unsigned)fd, U(buf), 4096), &v);
	CHECK_EQ(v.n, 3);
	/* an entry removed mid-listing is skipped, the rest still come */
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(buf), 24 * 2 + 32), 80);
	CHECK_EQ(sys_rmdir(G("/tmp/g/two")), 0);
	v.n = 0;
	parse_dirents(buf, sys_getdents64((unsigned)fd, U(buf), 4096), &v);
	CHECK_EQ(v.n, 1);
	CHECK(strcmp(v.names[0], "one") == 0);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(NULL), 4096), 0); /* at the end */
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(NULL), 4096), -EFAULT);
	CHECK_EQ(sys_lseek((unsigned)fd, 0, SEEK_END), -EINVAL);
	CHECK_EQ(sys_getdents64(99, U(buf), 4096), -EBADF);
	fd = sys_openat(AT_FDCWD, G("/tmp/g/one"), O_RDONLY, 0);
	CHECK_EQ(sys_getdents64((unsigned)fd, U(buf), 4096), -ENOTDIR);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

/* A directory of thousands of entries (hashed names, grown tables): every
 * name is found after renames, exchanges and moves across directories;
 * a listing a few records at a time that unlinks what it saw (rm -r's way)
 * sees every entry once; the emptied directory frees its table. */
static void test_big_directory(void)
{
	enum { N = 3000 };
	char *a = gbuf(64), *b = gbuf(64), *buf = gbuf(256);
	static unsigned char seen[N];
	long fd, n, total = 0;

	boot();
	CHECK_EQ(sys_mkdir(G("/tmp/b"), 0755), 0);
	CHECK_EQ(sys_mkdir(G("/tmp/c"), 0755), 0);
	for (int i = 0; i < N; i++) {
		snprintf(a, 64, "/tmp/b/n%d", i);
		fd = sys_openat(AT_FDCWD, U(a), O_CREAT | O_EXCL | O_WRONLY, 0644);
		CHECK(fd >= 0);
		sys_close((unsigned)fd);
	}
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/b/n1234"), O_CREAT | O_EXCL | O_WRONLY, 0644),
		 -EEXIST);
	CHECK_EQ(sys_faccessat(AT_FDCWD, G("/tmp/b/n3000"), F_OK), -ENOENT);
	CHECK_EQ(sys_renameat2(AT_FDCWD, G("/tmp/b/n0"), AT_FDCWD, G("/tmp/c/m0"), 0), 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, G("/tmp/b/n1"), AT_FDCWD, G("/tmp/b/n2"), RENAME_EXCHANGE),
		 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, G("/tmp/b/n3"), AT_FDCWD, G("/tmp/b/n4"), 0), 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, G("/tmp/c/m0"), AT_FDCWD, G("/tmp/b/n2999"),
			       RENAME_EXCHANGE),
		 0);
	CHECK_EQ(sys_faccessat(AT_FDCWD, G("/tmp/b/n0"), F_OK), -ENOENT);
	CHECK_EQ(sys_faccessat(AT_FDCWD, G("/tmp/b/n3"), F_OK), -ENOENT);
	CHECK_EQ(sys_faccessat(AT_FDCWD, G("/tmp/c/m0"), F_OK), 0);
	for (int i = 4; i < N; i++) {
		snprintf(a, 64, "/tmp/b/n%d", i);
		CHECK_EQ(sys_faccessat(AT_FDCWD, U(a), F_OK), 0);
	}
	fd = sys_openat(AT_FDCWD, G("/tmp/b"), O_RDONLY | O_DIRECTORY, 0);
	while ((n = sys_getdents64((unsigned)fd, U(buf), 256)) > 0) {
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			int i;

			off += d->d_reclen;
			if (d->d_name[0] != 'n')
				continue;
			i = atoi(d->d_name + 1);
			CHECK(i >= 0 && i < N && !seen[i]);
			seen[i] = 1;
			total++;
			snprintf(b, 64, "/tmp/b/%s", d->d_name);
			CHECK_EQ(sys_unlinkat(AT_FDCWD, U(b), 0), 0);
		}
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(total, N - 2); /* n0 left, n3 replaced n4 */
	sys_close((unsigned)fd);
	CHECK_EQ(sys_rmdir(G("/tmp/b")), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_descriptors(void)
{
	struct abi_boot_args a = { .size = sizeof a, .uid = 0, .gid = 0, .nofile = 8 };
	long fd, i;

	boot_with(&a);
	CHECK_EQ(creat_file("/tmp/d", "x"), 0);
	fd = sys_openat(AT_FDCWD, G("/tmp/d"), O_RDONLY | O_CLOEXEC, 0);
	CHECK_EQ(fd, 0);
	CHECK_EQ(sys_fcntl(0, F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_dup(0), 1);
	CHECK_EQ(sys_fcntl(1, F_GETFD, 0), 0);
	CHECK_EQ(sys_dup2(0, 5), 5);
	CHECK_EQ(sys_dup2(5, 5), 5);
	CHECK_EQ(sys_dup2(6, 6), -EBADF);
	CHECK_EQ(sys_dup3(0, 0, 0), -EINVAL);
	CHECK_EQ(sys_dup3(0, 4, 0x1), -EINVAL);
	CHECK_EQ(sys_dup3(0, 4, O_CLOEXEC), 4);
	CHECK_EQ(sys_fcntl(4, F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_dup3(0, 8, 0), -EBADF); /* at RLIMIT_NOFILE */
	CHECK_EQ(sys_fcntl(0, F_DUPFD, 3), 2 + 1);
	CHECK_EQ(sys_fcntl(0, F_DUPFD_CLOEXEC, 6), 6);
	CHECK_EQ(sys_fcntl(0, F_DUPFD, 8), -EINVAL);
	CHECK_EQ(sys_fcntl(0, F_SETFD, 0), 0);
	CHECK_EQ(sys_fcntl(0, F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(0, F_SETFL, O_NONBLOCK | O_APPEND | O_RDWR), 0);
	CHECK_EQ(sys_fcntl(1, F_GETFL, 0),
		 O_RDONLY | O_NONBLOCK | O_APPEND | O_LARGEFILE); /* shared */
	CHECK_EQ(sys_fcntl(0, 9999, 0), -EINVAL);
	CHECK_EQ(sys_fcntl(99, F_GETFD, 0), -EBADF);
	/* fds 0,1,3,4,5,6 used: 2 and 7 are left */
	CHECK_EQ(sys_dup(0), 2);
	CHECK_EQ(sys_dup(0), 7);
	CHECK_EQ(sys_dup(0), -EMFILE);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/nonexistent"), O_RDONLY, 0), -EMFILE);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/new"), O_CREAT | O_RDONLY, 0600), -EMFILE);
	CHECK_EQ(sys_stat(G("/tmp/new"), U(gbuf(sizeof(struct linux_stat)))), -ENOENT);
	/* close_range */
	CHECK_EQ(sys_close_range(5, 3, 0), -EINVAL);
	CHECK_EQ(sys_close_range(0, ~0u, 0x8), -EINVAL);
	CHECK_EQ(sys_close_range(5, ~0u, CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(sys_fcntl(5, F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_close_range(3, ~0u, 0), 0);
	for (i = 3; i < 8; i++)
		CHECK_EQ(sys_close((unsigned)i), -EBADF);
	/* an unlinked file stays readable through its descriptor */
	CHECK_EQ(sys_unlink(G("/tmp/d")), 0);
	CHECK_EQ(sys_read(0, U(gbuf(4)), 4), 1);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_permissions(void)
{
	struct abi_boot_args a = { .size = sizeof a, .uid = 1000, .gid = 1000 };

	boot_with(&a);
	/* as uid 1000: / is root's 0755, /tmp is 1777 */
	CHECK_EQ(sys_mkdir(G("/mine"), 0755), -EACCES);
	CHECK_EQ(sys_mkdir(G("/tmp/me"), 0700), 0);
	CHECK_EQ(creat_file("/tmp/me/f", "x"), 0);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/me/ro"), O_CREAT | O_WRONLY, 0400), 0);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/me/ro"), O_WRONLY, 0), -EACCES);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/me/ro"), O_RDONLY | O_TRUNC, 0), -EACCES);
	CHECK(sys_openat(AT_FDCWD, G("/tmp/me/ro"), O_RDONLY, 0) >= 0);
	/* another user: no search permission in 0700 */
	current_proc.cred.fsuid = 1001;
	CHECK_EQ(sys_openat(AT_FDCWD, G("/tmp/me/f"), O_RDONLY, 0), -EACCES);
	/* the sticky /tmp: others cannot remove my directory */
	CHECK_EQ(sys_rmdir(G("/tmp/me")), -EPERM);
	current_proc.cred.fsuid = 0; /* root may do anything but execute non-executables */
	CHECK(sys_openat(AT_FDCWD, G("/tmp/me/ro"), O_RDWR, 0) >= 0);
	CHECK_EQ(sys_mkdir(G("/rootdir"), 0755), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_dev_and_mounts(void)
{
	struct linux_stat *st;
	char *b, *cwd;
	long fd;

	boot();
	st = gbuf(sizeof *st);
	b = gbuf(64);
	cwd = gbuf(64);
	CHECK_EQ(sys_stat(G("/dev/null"), U(st)), 0);
	CHECK_EQ(st->st_mode, S_IFCHR | 0666);
	CHECK_EQ(st->st_rdev, 0x103);
	fd = sys_openat(AT_FDCWD, G("/dev/null"), O_RDWR, 0);
	memset(b, 'x', 64);
	CHECK_EQ(sys_write((unsigned)fd, U(b), 64), 64);
	CHECK_EQ(sys_write((unsigned)fd, U(NULL), 64), 64); /* the buffer is never read */
	CHECK_EQ(sys_read((unsigned)fd, U(b), 64), 0);
	fd = sys_openat(AT_FDCWD, G("/dev/zero"), O_RDONLY, 0);
	CHECK_EQ(sys_read((unsigned)fd, U(b), 64), 64);
	CHECK(b[0] == 0 && b[63] == 0);
	CHECK_EQ(sys_read((unsigned)fd, U(NULL), 64), -EFAULT);
	fd = sys_openat(AT_FDCWD, G("/dev/full"), O_WRONLY, 0);
	CHECK_EQ(sys_write((unsigned)fd, U(b), 1), -ENOSPC);
	fd = sys_openat(AT_FDCWD, G("/dev/urandom"), O_RDONLY, 0);
	CHECK_EQ(sys_read((unsigned)fd, U(b), 64), 64);
	CHECK_EQ(sys_openat(AT_FDCWD, G("/dev/tty"), O_RDWR, 0), -ENXIO);
	CHECK_EQ(sys_readlink(G("/dev/fd"), U(b), 64), 13);
	CHECK(memcmp(b, "/proc/self/fd", 13) == 0);
	/* /dev/shm is a filesystem of its own: ".." crosses back, rename and link
	 * across are EXDEV, getcwd names the path through the mounts */
	CHECK_EQ(sys_stat(G("/dev/shm"), U(st)), 0);
	CHECK_EQ(st->st_mode, S_IFDIR | 01777);
	CHECK_EQ(creat_file("/dev/shm/x", "abc"), 0);
	CHECK_EQ(creat_file("/tmp/y", "abc"), 0);
	CHECK_EQ(sys_rename(G("/dev/shm/x"), G("/tmp/x")), -EXDEV);
	CHECK_EQ(sys_link(G("/tmp/y"), G("/dev/shm/y")), -EXDEV);
	CHECK_EQ(sys_stat(G("/dev/shm/../null"), U(st)), 0);
	CHECK_EQ(st->st_mode & S_IFMT, S_IFCHR);
	CHECK_EQ(sys_stat(G("/dev/shm/../../tmp/y"), U(st)), 0);
	CHECK_EQ(sys_chdir(G("/dev/shm")), 0);
	CHECK_EQ(sys_getcwd(U(cwd), 64), 9);
	CHECK(strcmp(cwd, "/dev/shm") == 0);
	CHECK_EQ(sys_chdir(G("..")), 0);
	CHECK_EQ(sys_getcwd(U(cwd), 64), 5);
	CHECK(strcmp(cwd, "/dev") == 0);
	CHECK_EQ(sys_rmdir(G("/dev/shm")), -EBUSY);
	CHECK_EQ(sys_unlink(G("/dev/null")), 0); /* root may; the mount stays sound */
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

int main(void)
{
	RUN(test_read_write_seek);
	RUN(test_open_flags);
	RUN(test_dirs);
	RUN(test_stat);
	RUN(test_symlinks);
	RUN(test_at_semantics);
	RUN(test_getdents);
	RUN(test_big_directory);
	RUN(test_descriptors);
	RUN(test_permissions);
	RUN(test_dev_and_mounts);
	CHECK_EQ(kmalloc_in_use(), 0);
	KTEST_DONE();
}
