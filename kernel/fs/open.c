/* open, openat, creat: resolve or create, check access, make a file, install
 * a descriptor. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define VALID_OPEN_FLAGS                                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
	 FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |  \
	 O_SYNC | O_PATH | O_TMPFILE)
#define O_PATH_KEEP (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
/* Flags that only matter while opening; F_GETFL never shows them. */
#define OPEN_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)
/* Linux's __O_TMPFILE: O_TMPFILE is this bit with O_DIRECTORY, so that
 * kernels without it fail with ENOTDIR. */
#define O_TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)

static int acc_mode(u32 flags)
{
	static const int modes[4] = { MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE,
				      MAY_READ | MAY_WRITE };
	int m = modes[flags & O_ACCMODE];

	if (flags & O_TRUNC)
		m |= MAY_WRITE; /* O_TRUNC needs write permission even with O_RDONLY */
	return m;
}

/* Creates the last component of pl in its directory as a regular file. */
static long create_in(struct parent_lookup *pl, u32 mode, struct path *out)
{
	struct inode *dir = pl->dir.dentry->inode;
	struct dentry *d;
	long r;

	if ((r = inode_permission(dir, MAY_WRITE | MAY_EXEC)) < 0)
		return r;
	if (dir->nlink == 0)
		return -ENOENT; /* the directory was removed */
	if (!dir->iops || !dir->iops->create)
		return -EACCES;
	d = dentry_new(pl->dir.dentry, pl->last, pl->last_len);
	if (!d)
		return -ENOMEM;
	r = dir->iops->create(dir, d, S_IFREG | (mode & ~current_proc.umask & S_IALLUGO));
	if (r == 0) {
		out->mnt = pl->dir.mnt;
		out->dentry = d; /* our reference */
	} else {
		dput(d);
	}
	return r;
}

/* Resolves name for O_CREAT: the existing file, or a new one. */
static long open_create(int dfd, const char *name, u32 flags, u32 mode, unsigned lookup,
			struct path *out, bool *created)
{
	struct parent_lookup pl;
	long r;

	r = path_create_lookup_flags(dfd, name, lookup, !(flags & O_NOFOLLOW), flags & O_EXCL, out,
				     &pl);
	if (r < 0)
		goto out;
	if (!out->dentry) {
		r = create_in(&pl, mode, out);
		*created = r == 0;
	} else if (flags & O_EXCL) {
		r = -EEXIST; /* a symlink too, whatever it points to */
	} else if (S_ISLNK(out->dentry->inode->mode)) {
		r = -ELOOP; /* O_NOFOLLOW */
	} else if (S_ISDIR(out->dentry->inode->mode)) {
		r = -EISDIR;
	}
	if (r < 0 && out->dentry) {
		path_put(out);
		out->dentry = NULL;
	}
out:
	parent_lookup_put(&pl);
	return r;
}

/* O_TMPFILE, as Linux's do_tmpfile: an unnamed regular file (nlink 0) in
 * the directory name resolves to, which needs write and search permission
 * there but no open checks of its own. Its dentry, "#<ino>", is outside the
 * directory's entries, so /proc/self/fd shows "dir/#<ino> (deleted)"; with
 * O_EXCL it can never be linked. */
static long open_tmpfile(int dfd, const char *name, u32 flags, u32 mode, unsigned lookup,
			 struct path *out)
{
	struct inode *di, *ino;
	struct path dir;
	struct dentry *d;
	char id[24];
	long r;

	r = path_lookupat(dfd, name,
			  lookup | LOOKUP_DIRECTORY | ((flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW),
			  &dir);
	if (r < 0)
		return r;
	di = dir.dentry->inode;
	if ((r = inode_permission(di, MAY_WRITE | MAY_EXEC)) < 0)
		goto out;
	if (!di->iops || !di->iops->tmpfile) {
		r = -EOPNOTSUPP;
		goto out;
	}
	/* Linux allows this in a removed directory too */
	r = di->iops->tmpfile(di, S_IFREG | (mode & ~current_proc.umask & S_IALLUGO), &ino);
	if (r < 0)
		goto out;
	ksnprintf(id, sizeof id, "#%llu", (unsigned long long)ino->ino);
	if (!(d = dentry_new(dir.dentry, id, strlen(id)))) {
		iput(ino);
		r = -ENOMEM;
		goto out;
	}
	d->inode = ino; /* takes the new inode's reference */
	ino->linkable = !(flags & O_EXCL);
	out->mnt = dir.mnt;
	out->dentry = d;
out:
	path_put(&dir);
	return r;
}

/* Linux's build_open_flags checks of the flags themselves, for open,
 * openat and openat2 alike (after openat's O_PATH has dropped the rest). */
static long check_open_flags(u64 flags)
{
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return -EINVAL; /* since Linux 6.4 */
	if (flags & O_TMPFILE_BIT) {
		if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE)
			return -EINVAL;
		if (!(acc_mode((u32)flags & ~(u32)O_TRUNC) & MAY_WRITE))
			return -EINVAL; /* O_TRUNC does not count here */
	}
	return 0;
}

/* Checks an existing file against the open flags and truncates it. */
static long may_open(struct path *p, u32 flags)
{
	struct inode *ino = p->dentry->inode;
	long r;

	if (S_ISLNK(ino->mode))
		return (flags & O_PATH) ? 0 : -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (flags & O_PATH)
		return 0;
	if (S_ISDIR(ino->mode) && (acc_mode(flags) & MAY_WRITE))
		return -EISDIR;
	if ((r = inode_permission(ino, acc_mode(flags))) < 0)
		return r;
	if ((acc_mode(flags) & MAY_WRITE) && ino->execcount)
		return -ETXTBSY; /* a running program's file: get_write_access */
	if ((r = lease_break(ino, flags)) < 0)
		return r;
	if ((flags & O_TRUNC) && S_ISREG(ino->mode)) {
		if (!ino->iops || !ino->iops->truncate)
			return -EINVAL;
		if ((r = seals_resize(ino, 0)) < 0)
			return r;
		return ino->iops->truncate(ino, 0);
	}
	return 0;
}

/* Resolves (or creates) name and makes an open file of it, with no
 * descriptor: the walk and checks of open(2). flags are already masked;
 * lookup: LOOKUP_* restrictions from openat2's resolve. */
static long filp_open_once(int dfd, const char *name, u32 flags, u32 mode, unsigned lookup,
			   bool intent, struct file **out)
{
	struct path p = { NULL, NULL };
	struct file *f = NULL;
	bool created = false;
	long ret;

	kmutex_lock(&vfs_lock);
	vfs_set_open_intent(intent ? (long)flags : -1);
	vfs_set_open_flags((long)flags);
	if (flags & O_TMPFILE_BIT)
		ret = open_tmpfile(dfd, name, flags, mode, lookup, &p);
	else if (flags & O_CREAT)
		ret = open_create(dfd, name, flags, mode, lookup, &p, &created);
	else
		ret = path_lookupat(dfd, name,
				    lookup | ((flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
					    ((flags & O_DIRECTORY) ? LOOKUP_DIRECTORY : 0),
				    &p);
	if (ret == 0 && !created && !(flags & O_TMPFILE_BIT))
		ret = may_open(&p, flags);
	if (ret == 0) {
		f = file_open_path(&p, flags & ~(u32)OPEN_ONLY_FLAGS);
		if (!f)
			ret = -ENOMEM;
		else
			f->created = created;
	}
	if (ret == 0 && f->ops && f->ops->open)
		ret = f->ops->open(f->inode, f);
	vfs_set_open_intent(-1);
	vfs_set_open_flags(-1);
	path_put(&p);
	kmutex_unlock(&vfs_lock);
	if (ret < 0 && f)
		fput(f);
	else
		*out = f;
	return ret;
}

/* Resolves (or creates) name and makes an open file of it, with no
 * descriptor: the walk and checks of open(2). flags are already masked;
 * lookup: LOOKUP_* restrictions from openat2's resolve. A plain open (no
 * O_CREAT, O_TMPFILE or O_PATH) walks with the open intent first
 * (vfs_open_intent): when a filesystem finds that a name it trusted for the
 * open was stale (-ESTALE), or the walk failed on what such a name could
 * have said wrong, the walk is made once more, checking every name as it
 * goes, as Linux retries with LOOKUP_REVAL. */
long do_filp_open(int dfd, const char *name, u32 flags, u32 mode, unsigned lookup,
		  struct file **out)
{
	bool intent = !(flags & (O_CREAT | O_TMPFILE_BIT | O_PATH));
	long ret = filp_open_once(dfd, name, flags, mode, lookup, intent, out);

	/* the answers a name left unchecked could have given (its type, its
	 * permission bits): asked again with every name checked */
	if (intent && (ret == -ESTALE || ret == -ENOTDIR || ret == -EISDIR || ret == -EACCES ||
		       ret == -EPERM))
		ret = filp_open_once(dfd, name, flags, mode, lookup, false, out);
	return ret;
}

/* open(2)'s flag rules: what do_openat and filp_open pass to do_filp_open. */
static long build_open_flags(u32 *flags)
{
	*flags &= VALID_OPEN_FLAGS;
	*flags |= O_LARGEFILE; /* always on 64-bit */
	/* O_PATH first, before any check (so O_PATH | O_TMPFILE opens the
	 * directory); it drops O_LARGEFILE, as F_GETFL shows on Linux */
	if (*flags & O_PATH)
		*flags &= O_PATH_KEEP;
	return check_open_flags(*flags);
}

long filp_open(const char *name, int flags, umode_t mode, struct file **out)
{
	u32 fl = (u32)flags;
	long ret = build_open_flags(&fl);

	if (ret < 0)
		return ret;
	if (!*name)
		return -ENOENT;
	return do_filp_open(AT_FDCWD, name, fl, mode, 0, out);
}

static long do_openat(int dfd, uptr filename, u32 flags, u32 mode, unsigned lookup)
{
	struct file *f;
	char *name = NULL;
	long ret, fd;

	if ((ret = build_open_flags(&flags)) < 0)
		return ret;
	if ((ret = getname(filename, false, &name)) < 0)
		return ret;
	if ((fd = fd_reserve(0, flags & O_CLOEXEC)) < 0) {
		kfree(name);
		return fd;
	}
	ret = do_filp_open(dfd, name, flags, mode, lookup, &f);
	if (ret == 0) {
		fd_commit((unsigned int)fd, f);
		ret = fd;
	} else {
		fd_unreserve((unsigned int)fd);
	}
	kfree(name);
	return ret;
}

/* sys_openat opens (or with O_CREAT makes) filename relative to dfd. */
long sys_openat(int dfd, uptr filename, int flags, umode_t mode)
{
	return do_openat(dfd, filename, (u32)flags, mode, 0);
}

/* sys_open is openat(AT_FDCWD, ...). */
long sys_open(uptr filename, int flags, umode_t mode)
{
	return do_openat(AT_FDCWD, filename, (u32)flags, mode, 0);
}

/* sys_creat is open(O_CREAT | O_WRONLY | O_TRUNC). */
long sys_creat(uptr pathname, umode_t mode)
{
	return do_openat(AT_FDCWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode, 0);
}

struct open_how {
	u64 flags, mode, resolve;
};

#define OPEN_HOW_SIZE_VER0 24
#define RESOLVE_ALL                                                                        \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | \
	 RESOLVE_IN_ROOT | RESOLVE_CACHED)

/* Linux's build_open_flags for openat2: unknown bits are errors here. */
static long check_how(const struct open_how *how, unsigned *lookup)
{
	u64 flags = how->flags;
	long r;

	if (flags & ~(u64)(VALID_OPEN_FLAGS | O_LARGEFILE))
		return -EINVAL;
	if (how->resolve & ~(u64)RESOLVE_ALL)
		return -EINVAL;
	if (how->mode & ~(u64)S_IALLUGO)
		return -EINVAL;
	if (how->mode && !(flags & (O_CREAT | O_TMPFILE_BIT)))
		return -EINVAL;
	if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if ((r = check_open_flags(flags)) < 0)
		return r;
	if ((flags & O_PATH) && (flags & ~(u64)O_PATH_KEEP))
		return -EINVAL;
	if ((how->resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT)))
		return -EAGAIN;
	*lookup = ((how->resolve & RESOLVE_NO_XDEV) ? LOOKUP_NO_XDEV : 0) |
		  ((how->resolve & RESOLVE_NO_MAGICLINKS) ? LOOKUP_NO_MAGICLINKS : 0) |
		  ((how->resolve & RESOLVE_NO_SYMLINKS) ? LOOKUP_NO_SYMLINKS : 0) |
		  ((how->resolve & RESOLVE_BENEATH) ? LOOKUP_BENEATH : 0) |
		  ((how->resolve & RESOLVE_IN_ROOT) ? LOOKUP_IN_ROOT : 0);
	return 0;
}

/* sys_openat2 is openat with a struct open_how: strict flags and RESOLVE_*
 * restrictions on the walk (RESOLVE_CACHED always finds the cache warm). */
long sys_openat2(int dfd, uptr filename, uptr uhow, size_t usize)
{
	struct open_how how;
	unsigned lookup = 0;
	long r;

	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if ((r = copy_struct_from_user(&how, sizeof how, uhow, usize)) < 0)
		return r;
	/* the open_how's upper 32 bits stay: unknown bits are EINVAL */
	how.flags = (how.flags & ~0xffffffffULL) | arch_open_flags_in((u32)how.flags);
	if ((r = check_how(&how, &lookup)) < 0)
		return r;
	return do_openat(dfd, filename, (u32)how.flags, (u32)how.mode, lookup);
}
