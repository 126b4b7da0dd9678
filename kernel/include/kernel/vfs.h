/* The VFS core: inodes, dentries, mounts, paths and the filesystem
 * operation tables. One global lock (vfs_lock) serialises namespace changes
 * and file data for now; blocking files (pipes, later) must drop it to wait. */
#ifndef KERNEL_VFS_H
#define KERNEL_VFS_H

#include <abi/types.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/lock.h>

struct inode;
struct dentry;
struct file;
struct mount;
struct super_block;
struct uio;
struct poll_table;

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/* Filesystem type: what a mount instantiates. */
struct linux_statfs;

struct super_ops {
	void (*destroy)(struct super_block *sb);
	/* Fills in statfs(2)'s answer for a file of the filesystem (after
	 * the VFS set f_flags, f_fsid and tmpfs-like defaults); NULL: the
	 * defaults stand. */
	void (*statfs)(struct inode *ino, struct linux_statfs *st);
	/* SB_XATTR_OPS: the filesystem's own extended attributes, called with
	 * vfs_lock held once fs/xattr.c has made the VFS's checks (arguments,
	 * namespace rules, permissions, flags); the filesystem resolves the
	 * name (EOPNOTSUPP, EINVAL) and answers as getxattr(2) (size 0: the
	 * length), setxattr(2), listxattr(2) (every name it has, trusted.*
	 * included) and removexattr(2) do. */
	long (*getxattr)(struct inode *ino, const char *name, void *buf, size_t size);
	long (*setxattr)(struct inode *ino, const char *name, const void *value, size_t size,
			 int flags);
	long (*listxattr)(struct inode *ino, char *buf, size_t size);
	long (*removexattr)(struct inode *ino, const char *name);
};

struct super_block {
	const struct super_ops *ops;
	u64 dev; /* st_dev */
	u64 next_ino;
	void *priv;
	bool rdonly; /* a read-only filesystem: writing gives EROFS */
	u8 xattr;    /* SB_XATTR_*: what the xattr syscalls find here */
	/* The backing store sets the change time itself (hostfs: the host's,
	 * which a stat fetches): chmod, chown and utimes read no clock for it. */
	bool own_ctime;
};

/* Extended attributes (fs/xattr.c). NONE: a Linux filesystem without xattr
 * handlers (procfs, pipes); MEM: user./trusted./security. kept per inode in
 * kernel memory (ramfs, as tmpfs); UNSUPPORTED: not offered, every xattr
 * call on it gives EOPNOTSUPP; OPS: the super_ops xattr calls store them
 * (hostfs: on the host file). */
#define SB_XATTR_NONE 0
#define SB_XATTR_MEM 1
#define SB_XATTR_UNSUPPORTED 2
#define SB_XATTR_OPS 3
struct xattr;
/* Frees an inode's extended attributes (iput). */
void xattr_free_all(struct inode *ino);

/* Namespace operations on directories (and readlink on symlinks). Each is
 * called with vfs_lock held; a NULL entry means the fs does not support it
 * (EPERM for create-like operations, as Linux does). */
struct inode_ops {
	/* Finds name in dir when it is not in the dentry cache (filesystems
	 * whose entries all live in the cache, like ramfs, leave this NULL). */
	long (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	long (*create)(struct inode *dir, struct dentry *d, u32 mode);
	/* O_TMPFILE: makes an unnamed regular file (nlink 0) of mode in dir;
	 * the VFS gives it a dentry of its own, outside dir's entries. */
	long (*tmpfile)(struct inode *dir, u32 mode, struct inode **out);
	long (*mkdir)(struct inode *dir, struct dentry *d, u32 mode);
	long (*symlink)(struct inode *dir, struct dentry *d, const char *target);
	/* Adds d (negative) in dir as another name of ino. */
	long (*link)(struct inode *dir, struct inode *ino, struct dentry *d);
	long (*unlink)(struct inode *dir, struct dentry *d);
	long (*rmdir)(struct inode *dir, struct dentry *d);
	/* Moves old (in old_dir) to the name new_name (NUL-terminated) in
	 * new_dir, replacing target (or swapping with it for RENAME_EXCHANGE)
	 * when not NULL. The VFS has made Linux's checks; the fs does its part
	 * (inode counts for ramfs, the host's renameat2 for hostfs) and the VFS
	 * then moves the dentries. A filesystem that keeps its names in the
	 * dentry cache only may ignore new_name. */
	long (*rename)(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
		       const char *new_name, struct dentry *target, unsigned int flags);
	/* Copies the target into buf (not NUL-terminated); returns its length. */
	long (*readlink)(struct inode *ino, char *buf, size_t len);
	long (*truncate)(struct inode *ino, s64 size);
	/* fallocate(2) on a regular file; mode is already validated. */
	long (*fallocate)(struct inode *ino, int mode, s64 off, s64 len);
	/* A regular file whose data are pool pages (mm/filemap.c), which mmap
	 * maps into the guest directly: *page gets the page holding page idx,
	 * allocated when missing (a hole), with the file's reference only;
	 * -ENXIO past the end of the file, -ENOMEM. */
	long (*get_page)(struct inode *ino, u64 idx, void **page);
	/* A magic link (procfs): the referenced path it stands for, which a
	 * walk jumps to instead of resolving a body. */
	long (*get_link)(struct inode *ino, struct path *out);
	/* On a directory: false when a cached child d is stale and must be
	 * looked up again (procfs's fd/). */
	bool (*revalidate)(struct inode *dir, struct dentry *d);
	/* On a directory: lookup and a successful revalidate leave the child's
	 * attributes as getattr would (hostfs stats the name either way), so a
	 * stat right after the walk need not ask again (vfs_walk_refreshed). */
	bool lookup_refreshes;
	/* Refreshes the inode from its backing store (hostfs) before stat
	 * reads it; NULL: the inode is the truth. */
	void (*getattr)(struct inode *ino);
	/* Writes the SETATTR_* fields the VFS has just changed in the inode
	 * to the backing store; on failure the fs restores the inode. */
	long (*setattr)(struct inode *ino, unsigned int what);
};

/* What setattr writes back. */
#define SETATTR_MODE 0x1
#define SETATTR_UID 0x2
#define SETATTR_GID 0x4
#define SETATTR_ATIME 0x8
#define SETATTR_MTIME 0x10
#define SETATTR_TIMES_NOW 0x20 /* both times are "now" (utimensat with NULL) */

/* An iterator over guest (or kernel) memory segments for read and write. */
struct uio {
	const struct linux_iovec *iov; /* guest buffers, or one kernel buffer */
	size_t iovcnt;
	size_t idx, off; /* the current segment and offset in it */
	size_t resid;    /* bytes left */
	bool kernel;     /* iov_base values are kernel pointers */
	bool fault;      /* a copy stopped at a bad guest address */
};

void uio_init_user(struct uio *u, const struct linux_iovec *iov, size_t cnt, size_t total);
void uio_init_kernel(struct uio *u, struct linux_iovec *one, void *buf, size_t len);
/* Moves up to n bytes between the uio and src/dst; returns bytes moved
 * (fewer when a guest page is missing, with u->fault set). */
size_t uio_copy_out(struct uio *u, const void *src, size_t n); /* into the uio's buffers */
size_t uio_copy_in(struct uio *u, void *dst, size_t n);        /* from the uio's buffers */
size_t uio_zero(struct uio *u, size_t n);

/* Filled by getdents: returns false when the record did not fit. */
struct dir_context {
	bool (*emit)(struct dir_context *ctx, const char *name, size_t len, u64 ino, unsigned type,
		     s64 next_pos);
	s64 pos;
	/* Bytes of struct linux_dirent64 records (Linux's record lengths) that
	 * still fit, or DIR_ROOM_UNCOUNTED: a filesystem that lists its backing
	 * store's getdents64 can ask it for no more than fit. */
	size_t room;
};
#define DIR_ROOM_UNCOUNTED ((size_t)-1)

struct file_ops {
	long (*open)(struct inode *ino, struct file *f);
	void (*release)(struct file *f);
	/* pos is the file position to use; returns bytes or -errno. */
	long (*read)(struct file *f, struct uio *u, s64 pos);
	long (*write)(struct file *f, struct uio *u, s64 pos);
	/* Lists entries from ctx->pos on; 0 at the end or when the buffer is full. */
	long (*iterate)(struct file *f, struct dir_context *ctx);
	/* SEEK_DATA/SEEK_HOLE and device-specific seeking; NULL: generic. */
	long (*llseek)(struct file *f, s64 off, int whence);
	/* The name /proc/self/fd shows for a file without a path of its own
	 * ("pipe:[N]", "anon_inode:[eventfd]"); returns its length. NULL: the
	 * path's name. */
	long (*dname)(struct file *f, char *buf, size_t len);
	/* fsync/fdatasync; NULL: nothing to write back. */
	long (*fsync)(struct file *f, bool datasync);
	/* Maps [off, off+len) of the file at the guest range [addr, addr+len),
	 * replacing what is there (mmap checked flags and access); NULL: the
	 * file cannot be mapped (ENODEV) unless its inode has get_page. */
	long (*mmap)(struct file *f, uintptr_t addr, size_t len, s64 off, int prot, bool shared);
	/* Readiness (POLLIN, POLLOUT, ...) for poll, select and epoll
	 * (kernel/include/kernel/poll.h); pt, when not NULL, gets the object's
	 * wait head and may have its deadline lowered. NULL: always ready for
	 * reading and writing, and epoll refuses the file (EPERM). */
	unsigned int (*poll)(struct file *f, struct poll_table *pt);
	/* The file's own ioctl commands (after the generic ones of
	 * fd/ioctl.c); -ENOTTY for one it does not know. NULL: none. */
	long (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
	/* pread/pwrite give ESPIPE (Linux files without FMODE_PREAD: pipes,
	 * eventfd, timerfd, epoll). */
	bool no_pread;
	/* A stream (Linux's FMODE_STREAM): read and write leave the file
	 * position alone and get pos -1 (pread/pwrite: theirs, unless
	 * no_pread); the console forwards both to its host descriptor. */
	bool stream;
	/* F_SETFL may set FASYNC (Linux files with a fasync op: pipes, ttys);
	 * elsewhere Linux ignores it. No SIGIO is sent either way. */
	bool fasync;
};

struct inode {
	int refcnt;
	u64 ino;
	u32 mode;
	u32 uid, gid;
	u64 nlink;
	s64 size;
	u64 rdev;
	s64 blocks; /* 512-byte units */
	struct linux_timespec atime, mtime, ctime, btime;
	struct super_block *sb;
	const struct inode_ops *iops;
	const struct file_ops *fops;
	void *priv;
	void (*free_priv)(struct inode *ino);
	struct xattr *xattrs; /* SB_XATTR_MEM: by decreasing name, as tmpfs lists */
	bool linkable;        /* an O_TMPFILE file without O_EXCL, never linked yet */
	/* Record locks and leases (fs/locks.c); NULL while there are none. */
	struct file_lock_ctx *flctx;
	/* Open files for writing, and for reading only (Linux's i_writecount
	 * and i_readcount): what F_SETLEASE may grant (fs/file.c counts). */
	int writecount, readcount;
	/* Running programs of this file (the process's exe): opening it for
	 * writing, or truncate(2), is ETXTBSY (Linux's deny_write_access). */
	int execcount;
	u32 seals;     /* a memfd's F_SEAL_* (mm/memfd.c); 0 for other files */
	u8 write_hint; /* F_SET_RW_HINT's value, recorded only */
};

/* A directory's children by name: a hash table of singly linked buckets,
 * grown (doubled, rebuilt from the children list) when it holds as many
 * entries as buckets, freed when the directory empties; so a lookup or a
 * link costs the same with 10 entries or 100,000. */
struct dhash {
	u32 nbuckets; /* a power of two */
	u32 count;
	struct dentry *bucket[];
};

struct dentry {
	int refcnt;
	char *name;
	size_t len;
	u32 hash;              /* of name (d_name_hash) */
	struct dentry *parent; /* holds a reference; the root is its own parent */
	struct inode *inode;   /* holds a reference */
	/* linked children, oldest first: in the order they were linked or
	 * last moved (renamed) in, Linux's d_children reversed; their cookies
	 * increase along it except where a rename kept one */
	struct list children;
	struct list sibling;
	/* children by name; NULL when there are none or the table could not
	 * be allocated (lookups then scan children) */
	struct dhash *names;
	struct dentry *hnext; /* next in the parent's names bucket */
	u64 cookie;           /* directory offset in the parent, for getdents */
	u64 next_cookie;
	struct mount *mounted; /* mounted on this dentry, or NULL */
	bool linked;           /* in the parent's children (holds one ref) */
};

struct mount {
	int id;               /* statx's stx_mnt_id */
	struct mount *parent; /* NULL for the root mount */
	struct dentry *mountpoint;
	struct dentry *root;
	struct super_block *sb;
	struct list link;
	char *source, *fstype;
};

extern struct kmutex vfs_lock;

/* --- Objects ----------------------------------------------------------- */

struct inode *inode_new(struct super_block *sb, u32 mode);
/* inode_new without the timestamps, for a filesystem that sets them from
 * its backing store (hostfs: no clock read per inode). */
struct inode *inode_alloc(struct super_block *sb, u32 mode);
struct inode *iget(struct inode *ino);
void iput(struct inode *ino);
void inode_touch(struct inode *ino, bool atime, bool mtime, bool ctime);
/* While on, every new or touched inode gets one time, read when it was
 * turned on: the boot's dozens of inodes (/, /dev, /proc) cost one host
 * clock read instead of one each. */
void inode_time_freeze(bool on);
struct plat_stat;
/* Takes a host file's attributes (mode, owner, links, size, device, times)
 * into ino; its inode number stays the file system's to choose. */
void inode_set_host_attrs(struct inode *ino, const struct plat_stat *st);

/* memfd seals (mm/memfd.c), asked before a file's data or size changes:
 * how many bytes of a write of len at pos may go ahead (len, fewer, or
 * -EPERM, as shmem's write_begin refuses page by page); 0 or -EPERM for a
 * new size, an fallocate, a mode change, a shared mapping. */
long seals_write(const struct inode *ino, s64 pos, size_t len);
long seals_resize(const struct inode *ino, s64 size);
long seals_fallocate(const struct inode *ino, int mode, s64 off, s64 len);
long seals_chmod(const struct inode *ino, u32 mode);
long seals_mmap(const struct inode *ino, int prot, bool shared);
/* Breaks the leases (fs/locks.c) that an open with these flags conflicts
 * with (truncate passes O_WRONLY): -EWOULDBLOCK with O_NONBLOCK while any
 * remain; otherwise waits, vfs_lock dropped, until their holders give way
 * or lease-break-time (45 s) passes. Called with vfs_lock held. */
long lease_break(struct inode *ino, u32 flags);

struct dentry *dentry_new(struct dentry *parent, const char *name, size_t len);
struct dentry *dget(struct dentry *d);
void dput(struct dentry *d);
/* Links d (with inode) into its parent's children; takes the link ref. */
void d_link(struct dentry *d, struct inode *ino);
/* Removes d from its parent's children and drops the link ref. */
void d_unlink(struct dentry *d);
struct dentry *d_lookup_cached(struct dentry *dir, const char *name, size_t len);
/* Moves a linked d under parent as name (owned by d afterwards), to the
 * newest end of parent's children. With at NULL it takes a new directory
 * offset; otherwise the offset of at, the child of parent it replaces (the
 * caller unlinks at next). */
void d_move(struct dentry *d, struct dentry *parent, char *name, size_t len, struct dentry *at);
/* Swaps a and b (RENAME_EXCHANGE): each takes the other's parent and
 * offset and the new name given (owned by the dentry afterwards). */
void d_exchange(struct dentry *a, char *a_name, size_t a_len, struct dentry *b, char *b_name,
		size_t b_len);
/* True when a is d or one of its ancestors. */
bool d_is_ancestor(const struct dentry *a, const struct dentry *d);

static inline void path_get(const struct path *p)
{
	dget(p->dentry);
}
static inline void path_put(const struct path *p)
{
	if (p->dentry)
		dput(p->dentry);
}

/* --- Mounts --------------------------------------------------------------- */

long vfs_mount_root(struct super_block *sb, struct dentry *root);
long vfs_mount_at(const struct path *where, struct super_block *sb, struct dentry *root,
		  const char *source, const char *fstype);
/* Mounts sb over the process root and makes the new mount the root (and
 * the working directory when that was the root); the mounts on the old
 * root's top directory (/dev, /proc) move to the same names in the new
 * one where those are directories. Takes the caller's reference to root. */
long vfs_mount_over_root(struct super_block *sb, struct dentry *root, const char *source,
			 const char *fstype);
void vfs_shutdown(void);
struct path vfs_root(void);

/* --- Credentials and permission ------------------------------------------- */

#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
long inode_permission(const struct inode *ino, int mask);
struct cred;
/* The same check for other credentials (access(2) uses the real ids). */
long inode_permission_cred(const struct cred *c, const struct inode *ino, int mask);
bool owner_or_capable(const struct inode *ino);

/* --- Path walk -------------------------------------------------------------- */

#define LOOKUP_FOLLOW 0x1    /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
#define LOOKUP_EMPTY 0x4     /* "" names dfd itself (AT_EMPTY_PATH) */
/* openat2's RESOLVE_* restrictions. */
#define LOOKUP_NO_SYMLINKS 0x10   /* any symlink: ELOOP */
#define LOOKUP_NO_MAGICLINKS 0x20 /* a procfs magic link: ELOOP */
#define LOOKUP_BENEATH 0x40       /* never leave dfd: EXDEV */
#define LOOKUP_IN_ROOT 0x80       /* dfd is the root for "/", ".." and symlinks */
#define LOOKUP_NO_XDEV 0x100      /* no mount crossing: EXDEV */

/* What an *at call's AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH ask of the walk. */
static inline unsigned at_lookup_flags(unsigned int at_flags)
{
	return ((at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
	       ((at_flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
}

/* Resolves name against dfd (AT_FDCWD or a directory fd). */
long path_lookupat(int dfd, const char *name, unsigned flags, struct path *out);
/* Whether the last path walk refreshed ino's attributes itself (its final
 * lookup, on a filesystem whose lookups do: inode_ops.lookup_refreshes);
 * asked once, right after the walk, under vfs_lock. */
bool vfs_walk_refreshed(const struct inode *ino);

/* An open's walk (do_filp_open, no O_CREAT, O_TMPFILE or O_PATH) tells the
 * filesystem what it will do with the result, so that a filesystem whose
 * cache is checked against a backing store (hostfs) can check the names of
 * the walk with the open itself (Linux's open intent): vfs_open_intent()
 * gives the open's flags while such a walk or its open runs, else -1.
 * vfs_walk_last() says whether the lookup in progress is the walk's last
 * component (not one inside a symlink's body); vfs_walk_gen() numbers the
 * walks. A filesystem that deferred a check and then finds the name stale
 * returns -ESTALE, and do_filp_open walks once more without the intent. */
long vfs_open_intent(void);
bool vfs_walk_last(void);
u64 vfs_walk_gen(void);
void vfs_set_open_intent(long flags); /* do_filp_open's: flags, or -1 */
/* The flags of the open in progress (do_filp_open, with O_CREAT too) while
 * its walk, create and open run, else -1: a filesystem's create can open
 * the new file as the open that follows will (hostfs: one host open). */
long vfs_open_flags(void);
void vfs_set_open_flags(long flags);

/* The parent of a path's last component, for create/unlink. */
enum last_type { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };
struct parent_lookup {
	struct path dir;  /* the parent, referenced */
	const char *last; /* points into name or a symlink body kept in buf */
	size_t last_len;
	enum last_type type;
	bool trailing_slash;
	char *buf; /* owned symlink body, or NULL */
};
long path_parentat(int dfd, const char *name, unsigned flags, struct parent_lookup *pl);
void parent_lookup_put(struct parent_lookup *pl);
/* open(O_CREAT)'s walk under LOOKUP_* restrictions (openat2's): the
 * existing file in *out (a final symlink followed when follow and not excl),
 * or out->dentry NULL and pl holding the parent and name to create, also
 * when they came from a dangling symlink. */
long path_create_lookup_flags(int dfd, const char *name, unsigned flags, bool follow, bool excl,
			      struct path *out, struct parent_lookup *pl);
/* The parent of a name to create (mkdir, symlink, link, mknod), with write
 * and search permission on it: EEXIST for an existing entry or ".", "..",
 * "/"; ENOENT for "name/" unless is_dir. Release pl with parent_lookup_put. */
long create_lookup(int dfd, const char *name, struct parent_lookup *pl, bool is_dir);
/* Looks up (and for ENOENT returns a negative) child of a directory. */
long lookup_child(struct path *dir, const char *name, size_t len, struct path *out);

/* Copies a path argument from the guest: -EFAULT, -ENAMETOOLONG, or
 * -ENOENT for "" (unless allow_empty). The result is kfree'd by the caller. */
long getname(uptr name, bool allow_empty, char **out);

/* mkdir(2) and chdir(2) on a kernel string, for the platform's start-up
 * (Linux's init_mkdir and init_chdir). */
long init_mkdir(const char *name, umode_t mode);
long init_chdir(const char *name);

/* The name of p relative to the process root, built at the end of buf;
 * *start gets its first byte. Returns the length with the NUL. */
long d_path(const struct path *p, char *buf, size_t size, char **start);
/* True for a dentry removed from its directory. */
bool d_unlinked(const struct dentry *d);

/* lseek for files whose whole content is data (SEEK_SET/CUR/END/DATA/HOLE). */
long generic_file_llseek(struct file *f, s64 off, int whence);
/* The seek of directories (Linux's dcache_dir_lseek): SEEK_SET and SEEK_CUR. */
long dir_llseek(struct file *f, s64 off, int whence);

/* Fills a struct stat from an inode. */
void vfs_fill_stat(const struct inode *ino, struct linux_stat *st);

/* The ramfs filesystem (the root). */
struct super_block *ramfs_new(struct dentry **root, u32 root_mode);
/* Mounts /dev (devices, /dev/fd links) and /dev/shm; called at boot. */
long devfs_init(void);
/* The root of /dev/shm (not referenced; mounts live until shutdown). */
struct path devfs_shm(void);
/* /dev/pts/N for a host pty the guest opened (/dev/ptmx), and its removal
 * when the master closes. vfs_lock held. */
long devfs_pts_add(unsigned int n, u32 uid);
/* A file on /dev/pts/N (made if missing, with the host's owner and mode):
 * the console of a host pty slave shows as that node, so that ttyname
 * finds it. NULL when out of memory. vfs_lock held. */
struct file *devfs_pts_file(unsigned int n, u32 uid, u32 gid, u32 mode, u32 flags);
void devfs_pts_remove(unsigned int n);
/* Mounts procfs at /proc; called at boot. */
long procfs_init(void);
/* The process a /proc/<pid> directory of f stands for, or -EBADF (Linux's
 * tgid_pidfd_to_pid: pidfd_send_signal takes such a directory as a pidfd). */
int procfs_pid_dir(const struct file *f);
/* Calls fn for every mount, in mount order (vfs_lock held). */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg);

#endif
