/* hostfs: a host directory at a guest path, read-write or read-only.
 *
 * Confinement: the host is only ever asked about one name in one directory.
 * Every operation reopens the directory that holds its file from the mount's
 * host directory fd, one component at a time with O_PATH | O_DIRECTORY |
 * O_NOFOLLOW, using the names of the guest's dentries (never "." or "..",
 * never a '/'), and then acts on a single name with the *at call's
 * no-follow form. So the host never resolves a "..", a symlink or a /proc
 * magic link on the guest's behalf: symlinks are read verbatim and resolved
 * by the guest's path walk in the guest namespace, and ".." at the mount
 * root leads to the guest parent as at any mount point. A few directory
 * descriptors are cached, each trusted only within the walk that verified
 * it under its name (see struct dirfd), so a directory moved away on the
 * host is simply not found any more; other host descriptors are per open
 * file.
 *
 * The dentry cache is checked against the host on every cached lookup
 * (revalidate): a name the host no longer has, or that now names another
 * file, is dropped with its cached subtree. Each hostfs inode belongs to
 * exactly one dentry (its alias); hard links are separate inodes carrying
 * the host's inode number. Attributes come from the host (stat refreshes
 * them); permission checks use those bits with the kernel's credentials.
 * Extended attributes are the host file's own, reached through a descriptor
 * of that file (as chmod is), after fs/xattr.c's checks. */
#include <abi/boot.h>
#include <kernel/fd.h>
#include <kernel/hostfs.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include "../../plat/plat.h"

#define BOUNCE_SIZE 16384

struct hostfs_sb {
	int rootfd;          /* O_PATH fd of the host directory */
	struct dentry *root; /* the mount's root dentry (not referenced) */
};

struct hostfs_inode {
	struct dentry *alias;  /* the dentry of this inode, once known */
	struct dentry *parent; /* where lookup found it, to find the alias */
	struct list files;     /* open hostfs files on this inode */
	int tmpfd;             /* O_TMPFILE: the host's O_RDWR fd of the nameless file, or -1 */
};

struct hostfs_file {
	int fd; /* the host descriptor */
	bool writable;
	struct list link;
};

static const struct inode_ops hostfs_dir_iops;
static const struct inode_ops hostfs_file_iops;
static const struct inode_ops hostfs_link_iops;
static const struct file_ops hostfs_dir_fops;
static const struct file_ops hostfs_file_fops;
static const struct file_ops hostfs_special_fops;

static u64 next_dev = 0x80; /* anonymous device numbers, apart from ramfs's */

static struct hostfs_sb *HSB(const struct inode *ino) { return ino->sb->priv; }
static struct hostfs_inode *HI(const struct inode *ino) { return ino->priv; }

/* --- Cached directory descriptors --------------------------------------- */

/* Host descriptors of directories, cached by inode: an O_PATH fd opened
 * by name and checked to be the inode's directory (type and inode number).
 * An entry is trusted from the moment it is verified, i.e. its inode is
 * found under its name in a trusted parent (the mount's root fd always is),
 * until the next path walk begins (vfs_walk_gen): so within one walk, and
 * for operations on descriptors after it, which act on files the guest
 * already holds. host_dir verifies an untrusted chain with one fstatat per
 * level, and revalidate marks what it checks on the way down, so a walk
 * costs one host call per component, and a directory the host moved out
 * of the mount fails verification under its old name. The
 * entries are few and replaced least recently used first, so a large tree
 * does not hold a host fd per directory. vfs_lock guards the table. */
#define DIRFDS 64

static struct dirfd {
	struct inode *ino; /* NULL: a free slot */
	int fd;
	unsigned int pins; /* host_dir results not yet host_put */
	u64 used;          /* the last use, for eviction */
	u64 walk;          /* the vfs_walk_gen that last verified it */
} dirfds[DIRFDS];
static u64 dirfd_clock;

static struct dirfd *dirfd_find(const struct inode *ino)
{
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino == ino) {
			dirfds[i].used = ++dirfd_clock;
			return &dirfds[i];
		}
	return NULL;
}

/* Caches fd for ino (just verified) in a free slot or the least recently
 * used unpinned one; NULL when every slot is pinned (the caller keeps fd). */
static struct dirfd *dirfd_keep(struct inode *ino, int fd)
{
	struct dirfd *victim = NULL;

	for (size_t i = 0; i < DIRFDS; i++) {
		struct dirfd *c = &dirfds[i];

		if (!c->ino) {
			victim = c;
			break;
		}
		if (!c->pins && (!victim || c->used < victim->used))
			victim = c;
	}
	if (!victim)
		return NULL;
	if (victim->ino)
		plat_host_close(victim->fd);
	*victim = (struct dirfd){ ino, fd, 0, ++dirfd_clock, vfs_walk_gen };
	return victim;
}

static void dirfd_drop(const struct inode *ino)
{
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino == ino) {
			plat_host_close(dirfds[i].fd);
			dirfds[i] = (struct dirfd){ 0 };
		}
}

static bool is_host_dir_of(const struct plat_stat *st, const struct inode *ino)
{
	return st->ino == ino->ino && S_ISDIR(st->mode);
}

/* --- Inodes ------------------------------------------------------------- */

static void apply_stat(struct inode *ino, const struct plat_stat *st)
{
	ino->ino = st->ino;
	ino->mode = st->mode;
	ino->uid = st->uid;
	ino->gid = st->gid;
	ino->nlink = st->nlink;
	ino->size = st->size;
	ino->rdev = st->rdev;
	ino->blocks = st->blocks;
	ino->atime = (struct linux_timespec){ st->atime_sec, st->atime_nsec };
	ino->mtime = (struct linux_timespec){ st->mtime_sec, st->mtime_nsec };
	ino->ctime = (struct linux_timespec){ st->ctime_sec, st->ctime_nsec };
	ino->btime = ino->ctime;
}

static void hostfs_free(struct inode *ino)
{
	if (S_ISDIR(ino->mode))
		dirfd_drop(ino);
	if (HI(ino)->tmpfd >= 0)
		plat_host_close(HI(ino)->tmpfd);
	kfree(ino->priv);
}

static struct inode *hostfs_inode(struct super_block *sb, const struct plat_stat *st)
{
	struct inode *ino = inode_new(sb, st->mode);
	struct hostfs_inode *hi;

	if (!ino)
		return NULL;
	hi = kzalloc(sizeof *hi);
	if (!hi) {
		iput(ino);
		return NULL;
	}
	list_init(&hi->files);
	hi->tmpfd = -1;
	ino->priv = hi;
	ino->free_priv = hostfs_free;
	apply_stat(ino, st);
	switch (st->mode & S_IFMT) {
	case S_IFDIR:
		ino->iops = &hostfs_dir_iops;
		ino->fops = &hostfs_dir_fops;
		break;
	case S_IFLNK:
		ino->iops = &hostfs_link_iops;
		break;
	case S_IFREG:
		ino->iops = &hostfs_file_iops;
		ino->fops = &hostfs_file_fops;
		break;
	default:
		ino->fops = &hostfs_special_fops;
		break;
	}
	return ino;
}

/* The dentry of a hostfs inode: set by every operation that sees it, or
 * found among the children of the directory lookup found it in. */
static struct dentry *alias_of(struct inode *ino)
{
	struct hostfs_inode *hi = HI(ino);
	struct list *pos;

	if (hi->alias || !hi->parent)
		return hi->alias;
	list_for_each(pos, &hi->parent->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->inode == ino) {
			hi->alias = c;
			break;
		}
	}
	return hi->alias;
}

static void set_alias(struct dentry *d)
{
	if (d->inode && d->inode->sb->ops == d->parent->inode->sb->ops)
		HI(d->inode)->alias = d;
}

/* --- Confined host access ------------------------------------------------ */

/* Releases what host_dir gave: the root fd and cached fds stay open. */
static void host_put(struct hostfs_sb *hs, int fd)
{
	if (fd < 0 || fd == hs->rootfd)
		return;
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino && dirfds[i].fd == fd) {
			dirfds[i].pins--;
			return;
		}
	plat_host_close(fd);
}

/* One level down from the trusted host directory fd: dir's fd, verified
 * under its name. *owned says the caller must close it (it is not cached). */
static long host_step(int fd, struct dentry *dir, int *next, bool *owned)
{
	struct dirfd *c = dirfd_find(dir->inode);
	struct plat_stat st;
	long r;

	if (c) {
		r = plat_host_fstatat(fd, dir->name, &st, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return r;
		if (!is_host_dir_of(&st, dir->inode))
			return -ENOENT;
		c->walk = vfs_walk_gen;
		*next = c->fd;
		*owned = false;
		return 0;
	}
	r = plat_host_openat(fd, dir->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (r < 0)
		return r;
	if (plat_host_fstatat((int)r, "", &st, AT_EMPTY_PATH) < 0 ||
	    !is_host_dir_of(&st, dir->inode)) {
		plat_host_close((int)r);
		return -ENOENT;
	}
	*next = (int)r;
	*owned = !dirfd_keep(dir->inode, (int)r);
	return 0;
}

/* The host directory of dir (a dentry of this mount): its cached fd when
 * this walk verified it, else the chain from the nearest trusted ancestor,
 * verified one name at a time. Release with host_put. -ENOENT when dir or
 * an ancestor was removed or is no longer the directory it was. */
static long host_dir(struct hostfs_sb *hs, struct dentry *dir, int *out)
{
	struct dentry *chain[64], **names = chain;
	size_t n = 0, cap = ARRAY_SIZE(chain);
	bool owned = false;
	int fd = hs->rootfd;
	long r = 0;

	for (struct dentry *x = dir; x != hs->root; x = x->parent) {
		struct dirfd *c;

		if (!x->linked || x->parent == x) {
			r = -ENOENT;
			goto out;
		}
		if ((c = dirfd_find(x->inode)) && c->walk == vfs_walk_gen) {
			fd = c->fd;
			break;
		}
		if (n == cap) {
			struct dentry **more = kmalloc(2 * cap * sizeof *more);

			if (!more) {
				r = -ENOMEM;
				goto out;
			}
			memcpy(more, names, n * sizeof *more);
			if (names != chain)
				kfree(names);
			names = more;
			cap *= 2;
		}
		names[n++] = x;
	}
	while (n > 0) {
		int next;
		bool next_owned;

		r = host_step(fd, names[--n], &next, &next_owned);
		if (owned)
			plat_host_close(fd);
		if (r < 0)
			goto out;
		fd = next;
		owned = next_owned;
	}
	if (!owned && fd != hs->rootfd) {
		struct dirfd *c = dirfd_find(dir->inode);

		if (c)
			c->pins++;
	}
	*out = fd;
out:
	if (names != chain)
		kfree(names);
	return r == -ENOTDIR || r == -ELOOP ? -ENOENT : r;
}

/* The host directory holding d and d's name in it. */
static long host_parent(struct dentry *d, int *dfd)
{
	return host_dir(HSB(d->parent->inode), d->parent, dfd);
}

/* A host fd of an open file on ino (writable when asked), an O_TMPFILE
 * file's own, or -1. */
static int open_fd(struct inode *ino, bool writable)
{
	struct list *pos;

	list_for_each(pos, &HI(ino)->files) {
		struct hostfs_file *hf = list_entry(pos, struct hostfs_file, link);

		if (!writable || hf->writable)
			return hf->fd;
	}
	return HI(ino)->tmpfd;
}

/* Stats what ino names on the host now: through an open file when there is
 * one, else by its name. */
static long host_stat(struct inode *ino, struct plat_stat *st)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = alias_of(ino);
	int fd = open_fd(ino, false);
	long r;

	if (fd >= 0)
		return plat_host_fstatat(fd, "", st, AT_EMPTY_PATH);
	if (d == hs->root)
		return plat_host_fstatat(hs->rootfd, "", st, AT_EMPTY_PATH);
	if (!d || !d->linked)
		return -ENOENT;
	if ((r = host_parent(d, &fd)) < 0)
		return r;
	r = plat_host_fstatat(fd, d->name, st, AT_SYMLINK_NOFOLLOW);
	host_put(hs, fd);
	return r;
}

/* Refreshes ino from the host, unless its name now holds another file
 * (then it keeps what it had, as Linux keeps a deleted file's inode). */
static void hostfs_getattr(struct inode *ino)
{
	struct plat_stat st;

	if (host_stat(ino, &st) == 0 && st.ino == ino->ino &&
	    (st.mode & S_IFMT) == (ino->mode & S_IFMT))
		apply_stat(ino, &st);
}

/* --- Namespace ------------------------------------------------------------ */

static long hostfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *dd = alias_of(dir);
	char buf[NAME_MAX + 1];
	struct plat_stat st;
	int dfd;
	long r;

	if (!dd || len > NAME_MAX)
		return -ENOENT;
	memcpy(buf, name, len);
	buf[len] = 0;
	if ((r = host_dir(hs, dd, &dfd)) < 0)
		return r;
	r = plat_host_fstatat(dfd, buf, &st, AT_SYMLINK_NOFOLLOW);
	host_put(hs, dfd);
	if (r < 0)
		return r == -ENOTDIR ? -ENOENT : r;
	if (!(*out = hostfs_inode(dir->sb, &st)))
		return -ENOMEM;
	HI(*out)->parent = dd;
	return 0;
}

/* Drops the cached subtree below d (its entries may be stale). */
static void prune(struct dentry *d)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->mounted)
			continue;
		dget(c);
		prune(c);
		d_unlink(c);
		dput(c);
	}
}

/* A cached d is still good when the host has the same file (type and
 * inode number) under its name; a mount point always is. */
static bool hostfs_revalidate(struct inode *dir, struct dentry *d)
{
	struct plat_stat st;
	int dfd;
	long r;

	(void)dir;
	if (d->mounted)
		return true;
	set_alias(d);
	if ((r = host_parent(d, &dfd)) == 0) {
		r = plat_host_fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW);
		host_put(HSB(d->inode), dfd);
	}
	if (r == 0 && st.ino == d->inode->ino && (st.mode & S_IFMT) == (d->inode->mode & S_IFMT)) {
		struct dirfd *c = S_ISDIR(st.mode) ? dirfd_find(d->inode) : NULL;

		if (c)
			c->walk = vfs_walk_gen; /* found under its name in a trusted parent */
		apply_stat(d->inode, &st);
		return true;
	}
	prune(d);
	return false;
}

/* Links d to the host file now named by d (just made). */
static long link_new(struct inode *dir, struct dentry *d, int dfd)
{
	struct plat_stat st;
	struct inode *ino;
	long r = plat_host_fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW);

	if (r < 0)
		return r;
	if (!(ino = hostfs_inode(dir->sb, &st)))
		return -ENOMEM;
	HI(ino)->alias = d;
	d_link(d, ino);
	hostfs_getattr(dir);
	return 0;
}

/* The host's umask is not the guest's: a new file or directory gets the
 * permission bits asked for, keeping the set-id and sticky bits the host
 * decided on (a set-group-ID parent's, say). */
static void exact_mode(int fd, u32 mode)
{
	struct plat_stat st;

	if (plat_host_fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    (st.mode & 0777) != (mode & 0777))
		plat_host_fchmod(fd, (int)((mode & 0777) | (st.mode & 07000)));
}

static long hostfs_create(struct inode *dir, struct dentry *d, u32 mode)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r, fd;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	fd = plat_host_openat(dfd, d->name, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
			      (int)(mode & S_IALLUGO));
	if (fd < 0) {
		r = fd;
		goto out;
	}
	exact_mode((int)fd, mode);
	plat_host_close((int)fd);
	r = link_new(dir, d, dfd);
out:
	host_put(hs, dfd);
	return r;
}

/* O_TMPFILE on the host, in the host directory of dir: the inode keeps
 * the host's descriptor, the only way to the file until it is linked. */
static long hostfs_tmpfile(struct inode *dir, u32 mode, struct inode **out)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *dd = alias_of(dir);
	struct plat_stat st;
	bool borrowed = false;
	int dfd;
	long r, fd;

	if (dir->sb->rdonly)
		return -EROFS;
	r = dd ? host_dir(hs, dd, &dfd) : -ENOENT;
	if (r == -ENOENT && (dfd = open_fd(dir, false)) >= 0) {
		/* a directory removed since it was opened: through that open
		 * fd (Linux makes tmpfiles in removed directories too) */
		borrowed = true;
		r = 0;
	}
	if (r < 0)
		return r;
	fd = plat_host_openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, (int)(mode & S_IALLUGO));
	if (!borrowed)
		host_put(hs, dfd);
	if (fd < 0)
		return fd;
	exact_mode((int)fd, mode);
	if ((r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH)) < 0 ||
	    !(*out = hostfs_inode(dir->sb, &st))) {
		plat_host_close((int)fd);
		return r < 0 ? r : -ENOMEM;
	}
	HI(*out)->tmpfd = (int)fd;
	return 0;
}

static long hostfs_mkdir(struct inode *dir, struct dentry *d, u32 mode)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	if ((r = plat_host_mkdirat(dfd, d->name, (int)(mode & S_IALLUGO))) == 0) {
		long fd = plat_host_openat(dfd, d->name,
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);

		if (fd >= 0) {
			exact_mode((int)fd, mode);
			plat_host_close((int)fd);
		}
		r = link_new(dir, d, dfd);
	}
	host_put(hs, dfd);
	return r;
}

static long hostfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	if ((r = plat_host_symlinkat(target, dfd, d->name)) == 0)
		r = link_new(dir, d, dfd);
	host_put(hs, dfd);
	return r;
}

/* "/proc/self/fd/N" for a host descriptor: the host's magic link to the
 * file itself, the way to an O_TMPFILE file that has no name. */
/* Names an O_TMPFILE file on the host: linkat(AT_EMPTY_PATH), which the
 * host allows for a descriptor it opened itself (Linux 6.10), else through
 * its /proc link. The new name is an inode of its own, as every hostfs
 * hard link is. */
static long link_tmpfile(struct inode *dir, struct inode *ino, struct dentry *d)
{
	int fd = HI(ino)->tmpfd, dfd;
	char path[PLAT_FD_PATH_MAX];
	long r;

	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_linkat(fd, "", dfd, d->name, AT_EMPTY_PATH);
	if (r == -ENOENT)
		r = plat_host_linkat(AT_FDCWD, plat_host_fd_path(fd, path), dfd, d->name,
				     AT_SYMLINK_FOLLOW);
	if (r == 0)
		r = link_new(dir, d, dfd);
	host_put(HSB(dir), dfd);
	hostfs_getattr(ino);
	return r;
}

static long hostfs_link(struct inode *dir, struct inode *ino, struct dentry *d)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *old = alias_of(ino);
	int ofd, dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if (HI(ino)->tmpfd >= 0)
		return link_tmpfile(dir, ino, d);
	if (!old || !old->linked || old == hs->root)
		return -ENOENT;
	if ((r = host_parent(old, &ofd)) < 0)
		return r;
	if ((r = host_parent(d, &dfd)) == 0) {
		if ((r = plat_host_linkat(ofd, old->name, dfd, d->name, 0)) == 0)
			r = link_new(dir, d, dfd);
		host_put(hs, dfd);
	}
	host_put(hs, ofd);
	hostfs_getattr(ino);
	return r;
}

static long remove_name(struct inode *dir, struct dentry *d, int flags)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	set_alias(d);
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_unlinkat(dfd, d->name, flags);
	host_put(hs, dfd);
	if (r < 0)
		return r;
	/* An open file still sees its nlink: the host's, through its host fd;
	 * one less than before when it has none (an O_PATH open keeps none, and
	 * the name the host would be asked about is gone). */
	if (open_fd(d->inode, false) >= 0)
		hostfs_getattr(d->inode);
	else if (d->inode->nlink > 0)
		d->inode->nlink--;
	if (flags)
		d->inode->nlink = 0;
	prune(d);
	d_unlink(d);
	hostfs_getattr(dir);
	return 0;
}

static long hostfs_unlink(struct inode *dir, struct dentry *d)
{
	return remove_name(dir, d, 0);
}

static long hostfs_rmdir(struct inode *dir, struct dentry *d)
{
	return remove_name(dir, d, AT_REMOVEDIR);
}

static long hostfs_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			  const char *new_name, struct dentry *target, unsigned int flags)
{
	struct hostfs_sb *hs = HSB(old_dir);
	int ofd, nfd;
	long r;

	if (old_dir->sb->rdonly)
		return -EROFS;
	set_alias(old);
	if (target)
		set_alias(target);
	if ((r = host_parent(old, &ofd)) < 0)
		return r;
	if ((r = host_dir(hs, alias_of(new_dir), &nfd)) == 0) {
		r = plat_host_renameat2(ofd, old->name, nfd, new_name, flags);
		host_put(hs, nfd);
	}
	host_put(hs, ofd);
	if (r < 0)
		return r;
	/* a replaced directory was empty on the host: what the cache holds
	 * below it is stale */
	if (target && !(flags & RENAME_EXCHANGE))
		prune(target);
	hostfs_getattr(old_dir);
	if (new_dir != old_dir)
		hostfs_getattr(new_dir);
	return 0;
}

static long hostfs_readlink(struct inode *ino, char *buf, size_t len)
{
	struct dentry *d = alias_of(ino);
	int dfd;
	long r;

	if (!d || !d->linked)
		return -ENOENT;
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_readlinkat(dfd, d->name, buf, len);
	host_put(HSB(ino), dfd);
	return r;
}

/* Runs fn on a writable host fd of ino: an open file's, or one opened by
 * name for the call. */
static long with_writable(struct inode *ino, long (*fn)(int fd, s64 a, s64 b, int mode), s64 a,
			  s64 b, int mode)
{
	struct dentry *d = alias_of(ino);
	int fd = open_fd(ino, true), dfd;
	long r, tmp;

	if (ino->sb->rdonly)
		return -EROFS;
	if (fd >= 0) {
		r = fn(fd, a, b, mode);
	} else {
		if (!d || !d->linked)
			return -ENOENT;
		if ((r = host_parent(d, &dfd)) < 0)
			return r;
		tmp = plat_host_openat(dfd, d->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
		host_put(HSB(ino), dfd);
		if (tmp < 0)
			return tmp;
		r = fn((int)tmp, a, b, mode);
		plat_host_close((int)tmp);
	}
	hostfs_getattr(ino);
	return r;
}

static long do_ftruncate(int fd, s64 size, s64 unused, int mode)
{
	(void)unused, (void)mode;
	return plat_host_ftruncate(fd, size);
}

static long do_fallocate(int fd, s64 off, s64 len, int mode)
{
	return plat_host_fallocate(fd, mode, off, len);
}

static long hostfs_truncate(struct inode *ino, s64 size)
{
	return with_writable(ino, do_ftruncate, size, 0, 0);
}

static long hostfs_fallocate(struct inode *ino, int mode, s64 off, s64 len)
{
	return with_writable(ino, do_fallocate, off, len, mode);
}

/* A host fd on ino for chmod, chown and utimes: an open file's, or one
 * opened by name without following (O_PATH for what cannot be read: fchownat
 * and utimensat take it with AT_EMPTY_PATH, fchmod does not). *tmp is set
 * when the caller must close it. */
static long attr_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = alias_of(ino);
	int dfd, fl = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	long r;

	*tmp = false;
	if ((*fd = open_fd(ino, false)) >= 0)
		return 0;
	if (d == hs->root) {
		/* readable when the host allows: fchmod refuses the O_PATH root fd,
		 * and the root has no name to chmod by */
		r = plat_host_openat(hs->rootfd, ".", fl | O_RDONLY | O_DIRECTORY, 0);
		*tmp = r >= 0;
		*fd = r >= 0 ? (int)r : hs->rootfd;
		return 0;
	}
	if (!d || !d->linked)
		return -ENOENT;
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	r = -EACCES;
	if (S_ISREG(ino->mode) || S_ISDIR(ino->mode))
		r = plat_host_openat(dfd, d->name, fl | O_RDONLY, 0);
	if (r < 0)
		r = plat_host_openat(dfd, d->name, fl | O_PATH, 0);
	host_put(hs, dfd);
	if (r < 0)
		return r;
	*fd = (int)r;
	*tmp = true;
	return 0;
}

/* attr_fd, checked to be the file the guest looked up: -ENOENT when the
 * host now has another file under its name (nothing is left to close). */
static long own_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct plat_stat st;
	long r = attr_fd(ino, fd, tmp);

	if (r == 0 && (r = plat_host_fstatat(*fd, "", &st, AT_EMPTY_PATH)) == 0 &&
	    (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT)))
		r = -ENOENT;
	if (r < 0 && *tmp) {
		plat_host_close(*fd);
		*tmp = false;
	}
	return r;
}

/* chmod by name, for a file only O_PATH could open (unreadable to us):
 * fchmodat follows a symlink the host might swap in meanwhile (fchmodat2
 * with AT_SYMLINK_NOFOLLOW is not in the table yet). */
static long chmod_by_name(struct inode *ino, u32 mode)
{
	struct dentry *d = alias_of(ino);
	int dfd;
	long r;

	if (S_ISLNK(ino->mode))
		return -EOPNOTSUPP; /* Linux's lchmod */
	if ((r = host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_fchmodat(dfd, d->name, (int)mode);
	host_put(HSB(ino), dfd);
	return r;
}

/* chmod, chown and utimes, on a descriptor of the file itself, so nothing
 * is followed. */
static long hostfs_setattr(struct inode *ino, unsigned int what)
{
	bool tmp = false;
	int fd = -1;
	long r;

	if (ino->sb->rdonly) {
		r = -EROFS;
		goto out;
	}
	if ((r = own_fd(ino, &fd, &tmp)) < 0)
		goto out;
	if (what & SETATTR_MODE) {
		r = plat_host_fchmod(fd, (int)(ino->mode & S_IALLUGO));
		if (r == -EBADF && tmp) /* an O_PATH fd */
			r = chmod_by_name(ino, ino->mode & S_IALLUGO);
	}
	if (r == 0 && (what & (SETATTR_UID | SETATTR_GID)))
		r = plat_host_fchownat(fd, "", (what & SETATTR_UID) ? ino->uid : (u32)-1,
				       (what & SETATTR_GID) ? ino->gid : (u32)-1, AT_EMPTY_PATH);
	if (r == 0 && (what & (SETATTR_ATIME | SETATTR_MTIME))) {
		s64 t[4] = { ino->atime.tv_sec, ino->atime.tv_nsec, ino->mtime.tv_sec,
			     ino->mtime.tv_nsec };

		if (!(what & SETATTR_ATIME))
			t[1] = UTIME_OMIT;
		if (!(what & SETATTR_MTIME))
			t[3] = UTIME_OMIT;
		r = plat_host_utimensat(fd, "", (what & SETATTR_TIMES_NOW) ? NULL : t,
					AT_EMPTY_PATH);
	}
	if (tmp)
		plat_host_close(fd);
out:
	hostfs_getattr(ino);
	return r;
}

/* --- Extended attributes ------------------------------------------------------ */

enum xattr_op { XATTR_GET, XATTR_SET, XATTR_LIST, XATTR_REMOVE };

/* One xattr call on the host file of ino, through own_fd: an open file's
 * descriptor, or one opened by name (O_PATH for a symlink or special file,
 * which the platform reaches through /proc/self/fd), so the host follows
 * nothing. The host's filesystem answers: which namespaces it has, ENODATA,
 * ERANGE, EEXIST, its list order. */
static long host_xattr(struct inode *ino, enum xattr_op op, const char *name, void *buf,
		       size_t size, int flags)
{
	bool tmp;
	int fd;
	long r = own_fd(ino, &fd, &tmp);

	if (r < 0)
		return r;
	switch (op) {
	case XATTR_GET:
		r = plat_host_fgetxattr(fd, name, buf, size);
		break;
	case XATTR_SET:
		r = plat_host_fsetxattr(fd, name, buf, size, flags);
		break;
	case XATTR_LIST:
		r = plat_host_flistxattr(fd, buf, size);
		break;
	case XATTR_REMOVE:
		r = plat_host_fremovexattr(fd, name);
		break;
	}
	if (tmp)
		plat_host_close(fd);
	if (op == XATTR_SET || op == XATTR_REMOVE)
		hostfs_getattr(ino); /* the new ctime, and the mode an ACL sets */
	return r;
}

static long hostfs_getxattr(struct inode *ino, const char *name, void *buf, size_t size)
{
	return host_xattr(ino, XATTR_GET, name, buf, size, 0);
}

static long hostfs_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
			    int flags)
{
	return host_xattr(ino, XATTR_SET, name, (void *)value, size, flags);
}

static long hostfs_listxattr(struct inode *ino, char *buf, size_t size)
{
	return host_xattr(ino, XATTR_LIST, NULL, buf, size, 0);
}

static long hostfs_removexattr(struct inode *ino, const char *name)
{
	return host_xattr(ino, XATTR_REMOVE, name, NULL, 0, 0);
}

/* --- Open files ------------------------------------------------------------ */

static long hostfs_open(struct inode *ino, struct file *f)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = f->path.dentry;
	struct hostfs_file *hf = NULL;
	struct plat_stat st;
	int dfd, flags = O_NOFOLLOW | O_CLOEXEC;
	const char *name = d->name;
	char path[PLAT_FD_PATH_MAX];
	long fd, r;

	set_alias(d);
	if (S_ISDIR(ino->mode)) {
		flags |= O_RDONLY | O_DIRECTORY;
	} else {
		flags |= (int)(f->flags & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_NOATIME));
		if (ino->sb->rdonly && file_writable(f))
			return -EROFS;
	}
	if (HI(ino)->tmpfd >= 0) {
		/* nameless: a file description of its own, through the host's /proc */
		fd = plat_host_openat(AT_FDCWD, plat_host_fd_path(HI(ino)->tmpfd, path),
				      flags & ~O_NOFOLLOW, 0);
		goto opened;
	}
	if (d == hs->root) {
		dfd = hs->rootfd;
		name = ".";
	} else if ((r = host_parent(d, &dfd)) < 0) {
		return r;
	}
	fd = plat_host_openat(dfd, name, flags, 0);
	host_put(hs, dfd);
opened:
	if (fd < 0)
		return fd;
	/* it must still be the file the guest looked up */
	r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH);
	if (r == 0 && (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT)))
		r = -ENOENT;
	if (r == 0 && !(hf = kzalloc(sizeof *hf)))
		r = -ENOMEM;
	if (r < 0) {
		plat_host_close((int)fd);
		return r;
	}
	apply_stat(ino, &st);
	hf->fd = (int)fd;
	hf->writable = file_writable(f);
	list_add_tail(&hf->link, &HI(ino)->files);
	f->priv = hf;
	return 0;
}

static void hostfs_release(struct file *f)
{
	struct hostfs_file *hf = f->priv;

	if (!hf)
		return;
	plat_host_close(hf->fd);
	list_del(&hf->link);
	kfree(hf);
	f->priv = NULL;
}

static long hostfs_read(struct file *f, struct uio *u, s64 pos)
{
	struct hostfs_file *hf = f->priv;
	size_t done = 0;
	long r = 0;
	u8 *buf = kmalloc(BOUNCE_SIZE);

	if (!buf)
		return -ENOMEM;
	while (u->resid > 0) {
		size_t want = MIN(u->resid, (size_t)BOUNCE_SIZE), got;

		r = plat_host_pread(hf->fd, buf, want, pos + (s64)done);
		if (r <= 0)
			break;
		got = uio_copy_out(u, buf, (size_t)r);
		done += got;
		if (got < (size_t)r) {
			r = -EFAULT;
			break;
		}
		if ((size_t)r < want)
			break;
	}
	kfree(buf);
	return done ? (long)done : r;
}

static long hostfs_write(struct file *f, struct uio *u, s64 pos)
{
	struct hostfs_file *hf = f->priv;
	size_t done = 0;
	long r = 0;
	u8 *buf;

	if (f->inode->sb->rdonly)
		return -EROFS;
	if (!(buf = kmalloc(BOUNCE_SIZE)))
		return -ENOMEM;
	while (u->resid > 0) {
		size_t want = MIN(u->resid, (size_t)BOUNCE_SIZE);
		size_t got = uio_copy_in(u, buf, want);

		/* the host fd has O_APPEND when the file does: it appends */
		r = got ? plat_host_pwrite(hf->fd, buf, got, pos + (s64)done) : -EFAULT;
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < want) {
			r = (size_t)r < got ? 0 : -EFAULT;
			break;
		}
	}
	kfree(buf);
	hostfs_getattr(f->inode);
	return done ? (long)done : r;
}

static long hostfs_llseek(struct file *f, s64 off, int whence)
{
	struct hostfs_file *hf = f->priv;
	long r;

	hostfs_getattr(f->inode);
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek(f, off, whence);
	if ((r = plat_host_lseek(hf->fd, off, whence)) >= 0)
		f->pos = r;
	return r;
}

static long hostfs_fsync(struct file *f, bool datasync)
{
	struct hostfs_file *hf = f->priv;

	return datasync ? plat_host_fdatasync(hf->fd) : plat_host_fsync(hf->fd);
}

/* The host maps its own file: private mappings copy on write as on Linux,
 * shared ones write to the host file directly. */
static long hostfs_mmap(struct file *f, uintptr_t addr, size_t len, s64 off, int prot, bool shared)
{
	struct hostfs_file *hf = f->priv;

	if (shared && (prot & PROT_WRITE) && f->inode->sb->rdonly)
		return -EROFS;
	return plat_host_mmap_file(addr, len, prot, shared, hf->fd, off);
}

/* When not even the first entry fits, the position moves as the host's
 * filesystem moves it in that case (tmpfs may normalise it): ask the host
 * the same question with a buffer too small for anything. */
static void nothing_fit(int fd, s64 start, struct dir_context *ctx)
{
	char tiny[1];
	long pos;

	if (plat_host_lseek(fd, start, SEEK_SET) < 0)
		return;
	plat_host_getdents64(fd, tiny, sizeof tiny);
	if ((pos = plat_host_lseek(fd, 0, SEEK_CUR)) >= 0)
		ctx->pos = pos;
}

/* Lists the host directory from ctx->pos, a host directory offset (0: the
 * start); d_off values are the host's, so positions resume exactly. */
static long hostfs_iterate(struct file *f, struct dir_context *ctx)
{
	struct hostfs_file *hf = f->priv;
	u8 *buf = kmalloc(BOUNCE_SIZE);
	long n, r = 0;

	if (!buf)
		return -ENOMEM;
	s64 start = ctx->pos;
	bool any = false;

	if ((r = plat_host_lseek(hf->fd, start, SEEK_SET)) < 0)
		goto out;
	r = 0;
	while ((n = plat_host_getdents64(hf->fd, buf, BOUNCE_SIZE)) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);

			if (!ctx->emit(ctx, de->d_name, strlen(de->d_name), de->d_ino, de->d_type,
				       de->d_off)) {
				if (!any)
					nothing_fit(hf->fd, start, ctx);
				goto out;
			}
			any = true;
			ctx->pos = de->d_off;
			off += de->d_reclen;
		}
	}
	if (n < 0) {
		r = n;
	} else {
		/* at the end: where the host leaves it (tmpfs: its "end" offset) */
		long end = plat_host_lseek(hf->fd, 0, SEEK_CUR);

		if (end >= 0)
			ctx->pos = end;
	}
out:
	kfree(buf);
	return r;
}

static long hostfs_special_open(struct inode *ino, struct file *f)
{
	(void)ino, (void)f;
	return -ENXIO; /* host FIFOs, devices and sockets are not opened */
}

static const struct inode_ops hostfs_dir_iops = {
	.lookup = hostfs_lookup,
	.create = hostfs_create,
	.tmpfile = hostfs_tmpfile,
	.mkdir = hostfs_mkdir,
	.symlink = hostfs_symlink,
	.link = hostfs_link,
	.unlink = hostfs_unlink,
	.rmdir = hostfs_rmdir,
	.rename = hostfs_rename,
	.revalidate = hostfs_revalidate,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

static const struct inode_ops hostfs_file_iops = {
	.truncate = hostfs_truncate,
	.fallocate = hostfs_fallocate,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

static const struct inode_ops hostfs_link_iops = {
	.readlink = hostfs_readlink,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

static const struct file_ops hostfs_dir_fops = {
	.open = hostfs_open,
	.release = hostfs_release,
	.iterate = hostfs_iterate,
};

static const struct file_ops hostfs_file_fops = {
	.open = hostfs_open,
	.release = hostfs_release,
	.read = hostfs_read,
	.write = hostfs_write,
	.llseek = hostfs_llseek,
	.fsync = hostfs_fsync,
	.mmap = hostfs_mmap,
};

static const struct file_ops hostfs_special_fops = {
	.open = hostfs_special_open,
};

/* --- Mounting ----------------------------------------------------------------- */

static void hostfs_destroy(struct super_block *sb)
{
	struct hostfs_sb *hs = sb->priv;

	plat_host_close(hs->rootfd);
	kfree(hs);
	kfree(sb);
}

static const struct super_ops hostfs_sops = {
	.destroy = hostfs_destroy,
	.getxattr = hostfs_getxattr,
	.setxattr = hostfs_setxattr,
	.listxattr = hostfs_listxattr,
	.removexattr = hostfs_removexattr,
};

static struct super_block *hostfs_new(int rootfd, bool ro, struct dentry **root)
{
	struct super_block *sb = kzalloc(sizeof *sb);
	struct hostfs_sb *hs = kzalloc(sizeof *hs);
	struct plat_stat st;
	struct inode *ino = NULL;

	*root = NULL;
	if (sb && hs && plat_host_fstatat(rootfd, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.mode)) {
		sb->ops = &hostfs_sops;
		sb->dev = next_dev++;
		sb->priv = hs;
		sb->rdonly = ro;
		sb->xattr = SB_XATTR_OPS;
		hs->rootfd = rootfd;
		if ((ino = hostfs_inode(sb, &st)))
			*root = dentry_new(NULL, "/", 1);
	}
	if (!*root) {
		iput(ino);
		kfree(hs);
		kfree(sb);
		return NULL;
	}
	(*root)->inode = ino;
	HI(ino)->alias = *root;
	hs->root = *root;
	return sb;
}

long hostfs_mount(const char *host_dir, const char *guest_path, bool read_only)
{
	struct super_block *sb;
	struct dentry *root;
	struct path where;
	long fd, r;
	const char *s = guest_path;

	while (*s == '/')
		s++;
	fd = plat_host_openat(AT_FDCWD, host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	kmutex_lock(&vfs_lock);
	if (!(sb = hostfs_new((int)fd, read_only, &root))) {
		kmutex_unlock(&vfs_lock);
		plat_host_close((int)fd);
		return -ENOMEM;
	}
	if (guest_path[0] == '/' && *s == 0) {
		r = vfs_mount_over_root(sb, root, host_dir, "hostfs");
	} else if ((r = path_lookupat(AT_FDCWD, guest_path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
				      &where)) == 0) {
		r = vfs_mount_at(&where, sb, root, host_dir, "hostfs");
		path_put(&where);
	}
	if (r < 0) {
		dput(root);
		hostfs_destroy(sb);
	}
	kmutex_unlock(&vfs_lock);
	return r;
}

/* abi_mount_host is hostfs_mount for the library platform's callers. */
int abi_mount_host(const char *host_dir, const char *guest_path, int read_only)
{
	if (!host_dir || !guest_path)
		return -EINVAL;
	return (int)hostfs_mount(host_dir, guest_path, read_only != 0);
}
