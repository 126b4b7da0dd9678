/* Inodes and dentries with reference counts. A linked dentry holds one
 * reference for its place in the parent; a child holds one on its parent;
 * a dentry holds one on its inode. An inode with no links and no references
 * is freed. All under vfs_lock. */
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

struct kmutex vfs_lock = KMUTEX_INIT;

static struct linux_timespec now(void)
{
	return ns_to_timespec(plat_clock_ns(PLAT_CLOCK_REALTIME));
}

void inode_touch(struct inode *ino, bool atime, bool mtime, bool ctime)
{
	struct linux_timespec t = now();

	if (atime)
		ino->atime = t;
	if (mtime)
		ino->mtime = t;
	if (ctime)
		ino->ctime = t;
}

struct inode *inode_new(struct super_block *sb, u32 mode)
{
	struct inode *ino = kzalloc(sizeof *ino);

	if (!ino)
		return NULL;
	ino->refcnt = 1;
	ino->ino = sb->next_ino++;
	ino->mode = mode;
	ino->uid = current_proc.cred.fsuid;
	ino->gid = current_proc.cred.fsgid;
	ino->sb = sb;
	inode_touch(ino, true, true, true);
	ino->btime = ino->ctime;
	return ino;
}

struct inode *iget(struct inode *ino)
{
	ino->refcnt++;
	return ino;
}

void iput(struct inode *ino)
{
	if (!ino || --ino->refcnt > 0)
		return;
	if (ino->free_priv)
		ino->free_priv(ino);
	xattr_free_all(ino);
	kfree(ino);
}

struct dentry *dentry_new(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d = kzalloc(sizeof *d);

	if (!d)
		return NULL;
	d->name = kstrndup(name, len);
	if (!d->name) {
		kfree(d);
		return NULL;
	}
	d->len = len;
	d->refcnt = 1;
	list_init(&d->children);
	list_init(&d->sibling);
	d->next_cookie = 3; /* 0, 1 and 2 are ".", ".." and "the first entry" */
	d->parent = parent ? dget(parent) : d;
	return d;
}

struct dentry *dget(struct dentry *d)
{
	d->refcnt++;
	return d;
}

void dput(struct dentry *d)
{
	while (d && --d->refcnt == 0) {
		struct dentry *parent = d->parent;

		KASSERT(!d->linked && list_empty(&d->children));
		iput(d->inode);
		kfree(d->name);
		kfree(d);
		d = parent == d ? NULL : parent;
	}
}

void d_link(struct dentry *d, struct inode *ino)
{
	struct dentry *dir = d->parent;

	d->inode = ino; /* takes the caller's inode reference */
	d->cookie = dir->next_cookie++;
	list_add_tail(&d->sibling, &dir->children);
	d->linked = true;
	dget(d);
}

void d_unlink(struct dentry *d)
{
	if (!d->linked)
		return;
	list_del(&d->sibling);
	d->linked = false;
	dput(d);
}

struct dentry *d_lookup_cached(struct dentry *dir, const char *name, size_t len)
{
	struct list *pos;

	list_for_each(pos, &dir->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->len == len && memcmp(c->name, name, len) == 0)
			return c;
	}
	return NULL;
}

/* Keeps children sorted by cookie: a new cookie is the largest so far. */
static void insert_by_cookie(struct dentry *d, struct dentry *parent)
{
	struct list *pos = parent->children.prev;

	while (pos != &parent->children &&
	       list_entry(pos, struct dentry, sibling)->cookie > d->cookie)
		pos = pos->prev;
	list_insert_between(&d->sibling, pos, pos->next);
}

void d_move(struct dentry *d, struct dentry *parent, char *name, size_t len, u64 cookie)
{
	struct dentry *old = d->parent;

	list_del(&d->sibling);
	kfree(d->name);
	d->name = name;
	d->len = len;
	if (parent != old) {
		d->parent = dget(parent);
		dput(old);
	}
	d->cookie = cookie ? cookie : parent->next_cookie++;
	insert_by_cookie(d, parent);
}

bool d_is_ancestor(const struct dentry *a, const struct dentry *d)
{
	while (true) {
		if (d == a)
			return true;
		if (d->parent == d)
			return false;
		d = d->parent;
	}
}

void vfs_fill_stat(const struct inode *ino, struct linux_stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = ino->sb->dev;
	st->st_ino = ino->ino;
	st->st_nlink = ino->nlink;
	st->st_mode = ino->mode;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = ino->size;
	st->st_blksize = PAGE_SIZE;
	st->st_blocks = ino->blocks;
	st->st_atime_sec = (u64)ino->atime.tv_sec;
	st->st_atime_nsec = (u64)ino->atime.tv_nsec;
	st->st_mtime_sec = (u64)ino->mtime.tv_sec;
	st->st_mtime_nsec = (u64)ino->mtime.tv_nsec;
	st->st_ctime_sec = (u64)ino->ctime.tv_sec;
	st->st_ctime_nsec = (u64)ino->ctime.tv_nsec;
}

bool cred_in_group(const struct cred *c, u32 gid)
{
	if (c->fsgid == gid)
		return true;
	for (u32 i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == gid)
			return true;
	}
	return false;
}

/* Unix permission bits as Linux applies them; uid 0 has CAP_DAC_OVERRIDE
 * (read/write anything, search any directory, execute when some x bit is set). */
long inode_permission_cred(const struct cred *c, const struct inode *ino, int mask)
{
	u32 mode = ino->mode;
	u32 bits;

	/* a read-only filesystem refuses writing files, dirs and links first */
	if ((mask & MAY_WRITE) && ino->sb->rdonly &&
	    (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)))
		return -EROFS;
	if (cred_is_root(c)) {
		if (!(mask & MAY_EXEC) || S_ISDIR(mode) || (mode & 0111))
			return 0;
		return -EACCES;
	}
	if (c->fsuid == ino->uid)
		bits = (mode >> 6) & 7;
	else if (cred_in_group(c, ino->gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return ((u32)mask & ~bits) ? -EACCES : 0;
}

long inode_permission(const struct inode *ino, int mask)
{
	return inode_permission_cred(&current_proc.cred, ino, mask);
}

bool owner_or_capable(const struct inode *ino)
{
	const struct cred *c = &current_proc.cred;

	return cred_is_root(c) || c->fsuid == ino->uid;
}
