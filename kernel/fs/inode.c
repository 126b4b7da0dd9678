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

static s64 frozen_ns; /* inode_time_freeze's time, or 0 */

static struct linux_timespec now(void)
{
	return ns_to_timespec(frozen_ns ? frozen_ns : plat_clock_ns(PLAT_CLOCK_REALTIME));
}

void inode_time_freeze(bool on)
{
	frozen_ns = on ? plat_clock_ns(PLAT_CLOCK_REALTIME) : 0;
}

void inode_set_host_attrs(struct inode *ino, const struct plat_stat *st)
{
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

struct inode *inode_alloc(struct super_block *sb, u32 mode)
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
	return ino;
}

struct inode *inode_new(struct super_block *sb, u32 mode)
{
	struct inode *ino = inode_alloc(sb, mode);

	if (!ino)
		return NULL;
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

/* FNV-1a: names differ in their last bytes (f0000001, f0000002) as often
 * as in their first, and every byte moves every bit of the result. */
static u32 d_name_hash(const char *name, size_t len)
{
	u32 h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (u8)name[i]) * 16777619u;
	return h;
}

static void dhash_insert(struct dhash *t, struct dentry *d)
{
	struct dentry **b = &t->bucket[d->hash & (t->nbuckets - 1)];

	for (struct dentry *c = *b; c; c = c->hnext) {
		if (c == d)
			return; /* a rebuild took it in (d_exchange hashes two) */
	}
	d->hnext = *b;
	*b = d;
	t->count++;
}

/* A table of n buckets holding every child of dir (NULL: out of memory). */
static struct dhash *dhash_build(struct dentry *dir, u32 n)
{
	struct dhash *t = kzalloc(sizeof *t + n * sizeof t->bucket[0]);
	struct list *pos;

	if (!t)
		return NULL;
	t->nbuckets = n;
	list_for_each(pos, &dir->children)
		dhash_insert(t, list_entry(pos, struct dentry, sibling));
	return t;
}

/* Adds d, already on dir's children, to dir's names: the table doubles when
 * full and is rebuilt from the children, so it always holds all of them;
 * without memory for it the lookups scan (and a bigger table is tried on
 * the next link). */
static void d_hash(struct dentry *dir, struct dentry *d)
{
	struct dhash *t = dir->names, *bigger;

	if (!t || t->count >= t->nbuckets) {
		bigger = dhash_build(dir, t ? t->nbuckets * 2 : 8);
		if (bigger) {
			kfree(t);
			dir->names = bigger;
			return;
		}
		if (!t)
			return;
	}
	dhash_insert(t, d);
}

static void d_unhash(struct dentry *dir, struct dentry *d)
{
	struct dhash *t = dir->names;
	struct dentry **p;

	if (!t)
		return;
	for (p = &t->bucket[d->hash & (t->nbuckets - 1)]; *p; p = &(*p)->hnext) {
		if (*p == d) {
			*p = d->hnext;
			d->hnext = NULL;
			if (--t->count == 0) {
				kfree(t);
				dir->names = NULL;
			}
			return;
		}
	}
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
	d->hash = d_name_hash(name, len);
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

		KASSERT(!d->linked && list_empty(&d->children) && !d->names);
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
	d_hash(dir, d);
	d->linked = true;
	dget(d);
}

void d_unlink(struct dentry *d)
{
	if (!d->linked)
		return;
	d_unhash(d->parent, d);
	list_del(&d->sibling);
	d->linked = false;
	dput(d);
}

struct dentry *d_lookup_cached(struct dentry *dir, const char *name, size_t len)
{
	u32 h = d_name_hash(name, len);
	struct list *pos;

	if (dir->names) {
		for (struct dentry *c = dir->names->bucket[h & (dir->names->nbuckets - 1)]; c;
		     c = c->hnext) {
			if (c->hash == h && c->len == len && memcmp(c->name, name, len) == 0)
				return c;
		}
		return NULL;
	}
	list_for_each(pos, &dir->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->len == len && memcmp(c->name, name, len) == 0)
			return c;
	}
	return NULL;
}

/* Renames d (linked, out of every names table) and moves it under parent;
 * its place on the children lists is the caller's. */
static void d_rename(struct dentry *d, struct dentry *parent, char *name, size_t len)
{
	struct dentry *old = d->parent;

	kfree(d->name);
	d->name = name;
	d->len = len;
	d->hash = d_name_hash(name, len);
	if (parent != old) {
		d->parent = dget(parent);
		dput(old);
	}
}

/* As Linux's d_move, a moved entry goes to the newest end of its parent's
 * children (what getdents lists first on tmpfs) whatever its offset. */
void d_move(struct dentry *d, struct dentry *parent, char *name, size_t len, struct dentry *at)
{
	d_unhash(d->parent, d);
	list_del(&d->sibling);
	d_rename(d, parent, name, len);
	d->cookie = at ? at->cookie : parent->next_cookie++;
	list_add_tail(&d->sibling, &parent->children);
	d_hash(parent, d);
}

/* Linux's d_exchange puts b, then a, at the newest end of its new parent. */
void d_exchange(struct dentry *a, char *a_name, size_t a_len, struct dentry *b, char *b_name,
		size_t b_len)
{
	struct dentry *a_parent = dget(a->parent), *b_parent = b->parent;
	u64 a_cookie = a->cookie;

	d_unhash(a_parent, a);
	d_unhash(b_parent, b);
	list_del(&a->sibling);
	list_del(&b->sibling);
	a->cookie = b->cookie;
	b->cookie = a_cookie;
	d_rename(a, b_parent, a_name, a_len);
	d_rename(b, a_parent, b_name, b_len);
	list_add_tail(&b->sibling, &a_parent->children);
	list_add_tail(&a->sibling, &b_parent->children);
	d_hash(b_parent, a);
	d_hash(a_parent, b);
	dput(a_parent);
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
