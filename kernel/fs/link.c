/* Namespace changes: mkdir(at), rmdir, unlink(at), symlink(at), link(at),
 * rename(at)(2). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

/* create_lookup: see vfs.h. */
long create_lookup(int dfd, const char *name, struct parent_lookup *pl, bool is_dir)
{
	struct path existing;
	long r;

	if ((r = path_parentat(dfd, name, 0, pl)) < 0)
		return r;
	if (pl->type != LAST_NORM) {
		r = -EEXIST;
		goto fail;
	}
	r = lookup_child(&pl->dir, pl->last, pl->last_len, &existing);
	if (r == 0) {
		path_put(&existing);
		r = -EEXIST;
		goto fail;
	}
	if (r != -ENOENT)
		goto fail;
	/* "name/" can only be created as a directory */
	if (pl->trailing_slash && !is_dir) {
		r = -ENOENT;
		goto fail;
	}
	if ((r = inode_permission(pl->dir.dentry->inode, MAY_WRITE | MAY_EXEC)) < 0)
		goto fail;
	if (pl->dir.dentry->inode->nlink == 0) {
		r = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	parent_lookup_put(pl);
	return r;
}

/* The sticky-bit rule: in a +t directory only the owner of the entry or of
 * the directory (or root) may remove or rename it. */
static bool sticky_denies(const struct inode *dir, const struct inode *ino)
{
	const struct cred *c = &current_proc.cred;

	return (dir->mode & S_ISVTX) && !cred_is_root(c) && c->fsuid != ino->uid &&
	       c->fsuid != dir->uid;
}

static long may_delete(struct path *dir, struct dentry *victim, bool isdir)
{
	long r;

	if ((r = inode_permission(dir->dentry->inode, MAY_WRITE | MAY_EXEC)) < 0)
		return r;
	if (sticky_denies(dir->dentry->inode, victim->inode))
		return -EPERM;
	if (isdir && !S_ISDIR(victim->inode->mode))
		return -ENOTDIR;
	if (!isdir && S_ISDIR(victim->inode->mode))
		return -EISDIR;
	if (victim->mounted)
		return -EBUSY;
	return 0;
}

static long do_mkdirat(int dfd, const char *name, u32 mode)
{
	struct parent_lookup pl;
	struct inode *dir;
	struct dentry *d;
	long ret;

	kmutex_lock(&vfs_lock);
	if ((ret = create_lookup(dfd, name, &pl, true)) < 0)
		goto unlock;
	dir = pl.dir.dentry->inode;
	d = dentry_new(pl.dir.dentry, pl.last, pl.last_len);
	if (!d)
		ret = -ENOMEM;
	else if (!dir->iops || !dir->iops->mkdir)
		ret = -EPERM;
	else
		ret = dir->iops->mkdir(
			dir, d, mode & (S_IALLUGO & ~(S_ISUID | S_ISGID)) & ~current_proc.umask);
	dput(d);
	parent_lookup_put(&pl);
unlock:
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_mkdirat makes a directory relative to dfd (mode masked by the umask). */
long sys_mkdirat(int dfd, uptr pathname, umode_t mode)
{
	char *name;
	long ret;

	if ((ret = getname(pathname, false, &name)) < 0)
		return ret;
	ret = do_mkdirat(dfd, name, mode);
	kfree(name);
	return ret;
}

/* sys_mkdir is mkdirat(AT_FDCWD, ...). */
long sys_mkdir(uptr pathname, umode_t mode)
{
	return sys_mkdirat(AT_FDCWD, pathname, mode);
}

long init_mkdir(const char *name, umode_t mode)
{
	return do_mkdirat(AT_FDCWD, name, mode);
}

/* The dentry of pl's last component itself (not what is mounted on it). */
static long find_victim(struct parent_lookup *pl, struct dentry **out)
{
	struct dentry *victim = d_lookup_cached(pl->dir.dentry, pl->last, pl->last_len);
	struct inode *di = pl->dir.dentry->inode;
	struct path tmp;
	long r;

	/* a cache that can go stale (hostfs) is checked, as lookup_child does */
	if (victim && di->iops && di->iops->revalidate && !di->iops->revalidate(di, victim)) {
		dget(victim);
		d_unlink(victim);
		dput(victim);
		victim = NULL;
	}
	if (!victim) {
		/* filesystems that look entries up on demand fill the cache here */
		if ((r = lookup_child(&pl->dir, pl->last, pl->last_len, &tmp)) < 0)
			return r;
		path_put(&tmp);
		victim = d_lookup_cached(pl->dir.dentry, pl->last, pl->last_len);
		if (!victim)
			return -ENOENT;
	}
	*out = dget(victim);
	return 0;
}

static long do_rmdir(int dfd, const char *name)
{
	struct parent_lookup pl;
	struct dentry *victim;
	struct inode *dir;
	long ret;

	if ((ret = path_parentat(dfd, name, 0, &pl)) < 0)
		return ret;
	switch (pl.type) {
	case LAST_DOTDOT:
		ret = -ENOTEMPTY;
		goto out;
	case LAST_DOT:
		ret = -EINVAL;
		goto out;
	case LAST_ROOT:
		ret = -EBUSY;
		goto out;
	case LAST_NORM:
		break;
	}
	if ((ret = find_victim(&pl, &victim)) < 0)
		goto out;
	dir = pl.dir.dentry->inode;
	if ((ret = may_delete(&pl.dir, victim, true)) == 0)
		ret = dir->iops && dir->iops->rmdir ? dir->iops->rmdir(dir, victim) : -EPERM;
	dput(victim);
out:
	parent_lookup_put(&pl);
	return ret;
}

static long do_unlink(int dfd, const char *name)
{
	struct parent_lookup pl;
	struct dentry *victim;
	struct inode *dir;
	long ret;

	if ((ret = path_parentat(dfd, name, 0, &pl)) < 0)
		return ret;
	if (pl.type != LAST_NORM) {
		ret = -EISDIR;
		goto out;
	}
	if ((ret = find_victim(&pl, &victim)) < 0)
		goto out;
	dir = pl.dir.dentry->inode;
	if (pl.trailing_slash)
		ret = S_ISDIR(victim->inode->mode) ? -EISDIR : -ENOTDIR;
	else if ((ret = may_delete(&pl.dir, victim, false)) == 0)
		ret = dir->iops && dir->iops->unlink ? dir->iops->unlink(dir, victim) : -EPERM;
	dput(victim);
out:
	parent_lookup_put(&pl);
	return ret;
}

/* sys_unlinkat removes a name (or with AT_REMOVEDIR an empty directory). */
long sys_unlinkat(int dfd, uptr pathname, int flag)
{
	char *name;
	long ret;

	if (flag & ~AT_REMOVEDIR)
		return -EINVAL;
	if ((ret = getname(pathname, false, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = (flag & AT_REMOVEDIR) ? do_rmdir(dfd, name) : do_unlink(dfd, name);
	kmutex_unlock(&vfs_lock);
	kfree(name);
	return ret;
}

/* sys_unlink is unlinkat(AT_FDCWD, ..., 0). */
long sys_unlink(uptr pathname)
{
	return sys_unlinkat(AT_FDCWD, pathname, 0);
}

/* sys_rmdir is unlinkat(AT_FDCWD, ..., AT_REMOVEDIR). */
long sys_rmdir(uptr pathname)
{
	return sys_unlinkat(AT_FDCWD, pathname, AT_REMOVEDIR);
}

/* sys_symlinkat makes newname a symlink whose target is the text oldname. */
long sys_symlinkat(uptr oldname, int newdfd, uptr newname)
{
	struct parent_lookup pl;
	struct inode *dir;
	struct dentry *d;
	char *target, *name = NULL;
	long ret;

	if ((ret = getname(oldname, false, &target)) < 0)
		return ret;
	if ((ret = getname(newname, false, &name)) < 0)
		goto out;
	kmutex_lock(&vfs_lock);
	if ((ret = create_lookup(newdfd, name, &pl, false)) < 0)
		goto unlock;
	dir = pl.dir.dentry->inode;
	d = dentry_new(pl.dir.dentry, pl.last, pl.last_len);
	if (!d)
		ret = -ENOMEM;
	else if (!dir->iops || !dir->iops->symlink)
		ret = -EPERM;
	else
		ret = dir->iops->symlink(dir, d, target);
	dput(d);
	parent_lookup_put(&pl);
unlock:
	kmutex_unlock(&vfs_lock);
out:
	kfree(name);
	kfree(target);
	return ret;
}

/* sys_symlink is symlinkat(oldname, AT_FDCWD, newname). */
long sys_symlink(uptr oldname, uptr newname)
{
	return sys_symlinkat(oldname, AT_FDCWD, newname);
}

/* fs.protected_hardlinks (on by default): others' files may be linked only
 * when they are regular, not set-id, and readable and writable by us. */
static bool may_linkat(const struct inode *ino)
{
	if (owner_or_capable(ino))
		return true;
	if (!S_ISREG(ino->mode) || (ino->mode & S_ISUID) ||
	    (ino->mode & (S_ISGID | 0010)) == (S_ISGID | 0010))
		return false;
	return inode_permission(ino, MAY_READ | MAY_WRITE) == 0;
}

static long do_linkat(int olddfd, const char *oldname, int newdfd, const char *newname, int flags)
{
	struct parent_lookup pl;
	struct path old;
	struct inode *dir, *ino;
	struct dentry *d;
	long ret;

	/* AT_EMPTY_PATH from a descriptor needs CAP_DAC_READ_SEARCH or a file
	 * opened with the caller's present credentials (Linux 6.10's path_init;
	 * asked even when the name is not empty) */
	if ((flags & AT_EMPTY_PATH) && olddfd != AT_FDCWD && oldname[0] != '/' &&
	    !cred_is_root(&current_proc.cred)) {
		struct file *f = fd_peek(olddfd);

		if (!f)
			return -EBADF;
		if (f->cred_gen != current_proc.cred_gen)
			return -ENOENT;
	}
	ret = path_lookupat(olddfd, oldname,
			    ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
				    ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			    &old);
	if (ret < 0)
		return ret;
	if ((ret = create_lookup(newdfd, newname, &pl, false)) < 0)
		goto out;
	dir = pl.dir.dentry->inode;
	ino = old.dentry->inode;
	if (pl.dir.mnt != old.mnt)
		ret = -EXDEV;
	else if (!may_linkat(ino))
		ret = -EPERM;
	else if (!dir->iops || !dir->iops->link)
		ret = -EPERM;
	else if (S_ISDIR(ino->mode))
		ret = -EPERM;
	else if (ino->nlink == 0 && !ino->linkable)
		ret = -ENOENT; /* an unlinked file cannot come back, an O_TMPFILE one can once */
	else if (!(d = dentry_new(pl.dir.dentry, pl.last, pl.last_len)))
		ret = -ENOMEM;
	else {
		ret = dir->iops->link(dir, ino, d);
		if (ret == 0)
			ino->linkable = false;
		dput(d);
	}
	parent_lookup_put(&pl);
out:
	path_put(&old);
	return ret;
}

/* sys_linkat gives oldname's inode a new name; AT_SYMLINK_FOLLOW links a
 * symlink's target, AT_EMPTY_PATH links olddfd itself (an O_TMPFILE file
 * gets its first name this way). */
long sys_linkat(int olddfd, uptr oldname, int newdfd, uptr newname, int flags)
{
	char *from = NULL, *to = NULL;
	long ret;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((ret = getname(oldname, flags & AT_EMPTY_PATH, &from)) < 0)
		return ret;
	if ((ret = getname(newname, false, &to)) < 0)
		goto out;
	kmutex_lock(&vfs_lock);
	ret = do_linkat(olddfd, from, newdfd, to, flags);
	kmutex_unlock(&vfs_lock);
out:
	kfree(to);
	kfree(from);
	return ret;
}

/* sys_link is linkat(AT_FDCWD, oldname, AT_FDCWD, newname, 0). */
long sys_link(uptr oldname, uptr newname)
{
	return sys_linkat(AT_FDCWD, oldname, AT_FDCWD, newname, 0);
}

/* The lookups and checks of rename, in Linux's order. */
struct rename_op {
	struct parent_lookup from, to;
	struct dentry *old, *target;
	unsigned int flags;
};

static long rename_checks(struct rename_op *op)
{
	struct dentry *old = op->old, *target = op->target;
	bool exchange = op->flags & RENAME_EXCHANGE;
	bool is_dir = S_ISDIR(old->inode->mode);
	struct inode *new_dir = op->to.dir.dentry->inode;
	long r;

	if ((op->flags & RENAME_NOREPLACE) && target)
		return -EEXIST;
	if (exchange && !target)
		return -ENOENT;
	if (exchange && !S_ISDIR(target->inode->mode) && op->to.trailing_slash)
		return -ENOTDIR;
	if (!is_dir && (op->from.trailing_slash || (!exchange && op->to.trailing_slash)))
		return -ENOTDIR;
	/* a directory cannot move below itself, nor replace one of its ancestors */
	if (d_is_ancestor(old, op->to.dir.dentry))
		return -EINVAL;
	if (target && d_is_ancestor(target, op->from.dir.dentry))
		return exchange ? -EINVAL : -ENOTEMPTY;
	if (target && target->inode == old->inode)
		return 1; /* the same file: nothing to do */
	if ((r = may_delete(&op->from.dir, old, is_dir)) < 0)
		return r;
	if (!target) {
		if ((r = inode_permission(new_dir, MAY_WRITE | MAY_EXEC)) < 0)
			return r;
		if (new_dir->nlink == 0)
			return -ENOENT;
	} else if ((r = may_delete(&op->to.dir, target,
				   exchange ? S_ISDIR(target->inode->mode) : is_dir)) < 0) {
		return r;
	}
	if (!op->from.dir.dentry->inode->iops || !op->from.dir.dentry->inode->iops->rename)
		return -EPERM;
	/* moving a directory rewrites its "..": that needs write permission on it */
	if (op->from.dir.dentry != op->to.dir.dentry) {
		if (is_dir && (r = inode_permission(old->inode, MAY_WRITE)) < 0)
			return r;
		if (exchange && S_ISDIR(target->inode->mode) &&
		    (r = inode_permission(target->inode, MAY_WRITE)) < 0)
			return r;
	}
	return 0;
}

static long do_rename(struct rename_op *op)
{
	struct inode *old_dir = op->from.dir.dentry->inode, *new_dir = op->to.dir.dentry->inode;
	char *new_name, *old_name = NULL;
	long r;

	if ((r = rename_checks(op)) != 0)
		return r < 0 ? r : 0;
	new_name = kstrndup(op->to.last, op->to.last_len);
	if ((op->flags & RENAME_EXCHANGE))
		old_name = kstrndup(op->from.last, op->from.last_len);
	if (!new_name || ((op->flags & RENAME_EXCHANGE) && !old_name)) {
		kfree(new_name);
		kfree(old_name);
		return -ENOMEM;
	}
	r = old_dir->iops->rename(old_dir, op->old, new_dir, new_name, op->target, op->flags);
	if (r < 0) {
		kfree(new_name);
		kfree(old_name);
		return r;
	}
	/* Directory offsets as tmpfs keeps them: an exchange swaps them, a
	 * replacement inherits the target's, a plain move takes a new one;
	 * either way the moved entries are listed first (d_move). */
	if (op->flags & RENAME_EXCHANGE) {
		d_exchange(op->old, new_name, op->to.last_len, op->target, old_name,
			   op->from.last_len);
	} else if (op->target) {
		d_move(op->old, op->to.dir.dentry, new_name, op->to.last_len, op->target);
		d_unlink(op->target);
	} else {
		d_move(op->old, op->to.dir.dentry, new_name, op->to.last_len, NULL);
	}
	return 0;
}

static long do_renameat2(int olddfd, const char *oldname, int newdfd, const char *newname,
			 unsigned int flags)
{
	struct rename_op op = { .flags = flags };
	long r;

	if ((r = path_parentat(olddfd, oldname, 0, &op.from)) < 0)
		return r;
	if ((r = path_parentat(newdfd, newname, 0, &op.to)) < 0)
		goto out_from;
	if (op.from.dir.mnt != op.to.dir.mnt)
		r = -EXDEV;
	else if (op.from.type != LAST_NORM)
		r = -EBUSY;
	else if (op.to.type != LAST_NORM)
		r = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	else if ((r = find_victim(&op.from, &op.old)) == 0) {
		r = find_victim(&op.to, &op.target);
		if (r == -ENOENT) {
			op.target = NULL;
			r = 0;
		}
		if (r == 0)
			r = do_rename(&op);
	}
	if (op.target)
		dput(op.target);
	if (op.old)
		dput(op.old);
	parent_lookup_put(&op.to);
out_from:
	parent_lookup_put(&op.from);
	return r;
}

/* sys_renameat2 moves oldname to newname; RENAME_NOREPLACE refuses to replace,
 * RENAME_EXCHANGE swaps the two. */
long sys_renameat2(int olddfd, uptr oldname, int newdfd, uptr newname, unsigned int flags)
{
	char *from = NULL, *to = NULL;
	long ret;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL; /* whiteouts are for overlay filesystems; not supported */
	if ((ret = getname(oldname, false, &from)) < 0)
		return ret;
	if ((ret = getname(newname, false, &to)) < 0)
		goto out;
	kmutex_lock(&vfs_lock);
	ret = do_renameat2(olddfd, from, newdfd, to, flags);
	kmutex_unlock(&vfs_lock);
out:
	kfree(to);
	kfree(from);
	return ret;
}

/* sys_renameat is renameat2 without flags. */
long sys_renameat(int olddfd, uptr oldname, int newdfd, uptr newname)
{
	return sys_renameat2(olddfd, oldname, newdfd, newname, 0);
}

/* sys_rename is renameat2(AT_FDCWD, oldname, AT_FDCWD, newname, 0). */
long sys_rename(uptr oldname, uptr newname)
{
	return sys_renameat2(AT_FDCWD, oldname, AT_FDCWD, newname, 0);
}
