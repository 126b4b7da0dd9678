/* ramfs: the root filesystem. Every entry lives in the dentry cache; file data
 * is a radix tree of pages (a missing page is a hole and reads as zeros);
 * a symlink keeps its target. Sizes of directories follow tmpfs (20 bytes a
 * entry, plus 40), so stat looks as it does on Linux's tmpfs. The pages are
 * pool pages (mm/filemap.c), which mmap maps into the guest as they are. */
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/radix.h>
#include <kernel/vfs.h>

#define DIRENT_SIZE 20

struct ramfs_data {
	struct radix pages; /* page index -> page */
	/* page index -> (void *)1: fallocated and not yet written or mapped,
	 * tmpfs's !uptodate folios, which SEEK_DATA and SEEK_HOLE see as holes */
	struct radix unwritten;
	u64 npages;   /* pages present */
	char *target; /* symlinks */
	bool mapped;  /* mmap has seen it: size changes update mappings */
};

static const struct inode_ops ramfs_dir_iops;
static const struct inode_ops ramfs_file_iops;
static const struct inode_ops ramfs_link_iops;
static const struct file_ops ramfs_dir_fops;
static const struct file_ops ramfs_file_fops;

static u64 next_dev = 0x30; /* anonymous device numbers, as Linux's 0:N */

static void ramfs_free(struct inode *ino)
{
	struct ramfs_data *rd = ino->priv;

	if (!rd)
		return;
	radix_truncate(&rd->pages, 0, fpage_put);
	radix_truncate(&rd->unwritten, 0, NULL);
	kfree(rd->target);
	kfree(rd);
}

static struct inode *ramfs_inode(struct super_block *sb, struct inode *dir, u32 mode)
{
	struct inode *ino = inode_new(sb, mode);

	if (!ino)
		return NULL;
	ino->priv = kzalloc(sizeof(struct ramfs_data));
	if (!ino->priv) {
		iput(ino);
		return NULL;
	}
	ino->free_priv = ramfs_free;
	/* A set-group-ID directory passes its group on, and the bit to subdirs. */
	if (dir && (dir->mode & S_ISGID)) {
		ino->gid = dir->gid;
		if (S_ISDIR(mode))
			ino->mode |= S_ISGID;
	}
	switch (mode & S_IFMT) {
	case S_IFDIR:
		ino->iops = &ramfs_dir_iops;
		ino->fops = &ramfs_dir_fops;
		ino->nlink = 2;
		ino->size = 2 * DIRENT_SIZE;
		break;
	case S_IFLNK:
		ino->iops = &ramfs_link_iops;
		ino->nlink = 1;
		break;
	default:
		ino->iops = &ramfs_file_iops;
		ino->fops = &ramfs_file_fops;
		ino->nlink = 1;
		break;
	}
	return ino;
}

static void dir_changed(struct inode *dir, long entries)
{
	dir->size += entries * DIRENT_SIZE;
	inode_touch(dir, false, true, true);
}

static long ramfs_create(struct inode *dir, struct dentry *d, u32 mode)
{
	struct inode *ino = ramfs_inode(dir->sb, dir, mode);

	if (!ino)
		return -ENOMEM;
	d_link(d, ino);
	dir_changed(dir, 1);
	return 0;
}

/* O_TMPFILE: a file in no directory (the VFS names it); tmpfs does not
 * count it in dir's size either. */
static long ramfs_tmpfile(struct inode *dir, u32 mode, struct inode **out)
{
	struct inode *ino = ramfs_inode(dir->sb, dir, mode);

	if (!ino)
		return -ENOMEM;
	ino->nlink = 0;
	*out = ino;
	return 0;
}

static long ramfs_mkdir(struct inode *dir, struct dentry *d, u32 mode)
{
	long r = ramfs_create(dir, d, S_IFDIR | (mode & S_IALLUGO));

	if (r == 0)
		dir->nlink++;
	return r;
}

static long ramfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct inode *ino = ramfs_inode(dir->sb, dir, S_IFLNK | 0777);
	struct ramfs_data *rd;
	size_t len = strlen(target);

	if (!ino)
		return -ENOMEM;
	rd = ino->priv;
	rd->target = kstrndup(target, len);
	if (!rd->target) {
		iput(ino);
		return -ENOMEM;
	}
	ino->size = (s64)len;
	d_link(d, ino);
	dir_changed(dir, 1);
	return 0;
}

static long ramfs_link(struct inode *dir, struct inode *ino, struct dentry *d)
{
	ino->nlink++;
	inode_touch(ino, false, false, true);
	d_link(d, iget(ino));
	dir_changed(dir, 1);
	return 0;
}

/* Inode bookkeeping of a rename; the VFS moves the dentries afterwards (the
 * names live there only, so new_name is not needed). */
static long ramfs_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			 const char *new_name, struct dentry *target, unsigned int flags)
{
	bool old_is_dir = S_ISDIR(old->inode->mode);

	(void)new_name;
	if (flags & RENAME_EXCHANGE) {
		bool new_is_dir = S_ISDIR(target->inode->mode);

		/* a directory's ".." moves with it */
		if (old_dir != new_dir && old_is_dir != new_is_dir) {
			if (old_is_dir) {
				old_dir->nlink--;
				new_dir->nlink++;
			} else {
				new_dir->nlink--;
				old_dir->nlink++;
			}
		}
		inode_touch(target->inode, false, false, true);
	} else if (target) {
		if (S_ISDIR(target->inode->mode)) {
			if (!list_empty(&target->children))
				return -ENOTEMPTY;
			target->inode->nlink = 0;
			new_dir->nlink--;
		} else {
			target->inode->nlink--;
		}
		inode_touch(target->inode, false, false, true);
		dir_changed(new_dir, -1);
	}
	if (!(flags & RENAME_EXCHANGE)) {
		if (old_is_dir && old_dir != new_dir) {
			old_dir->nlink--;
			new_dir->nlink++;
		}
		dir_changed(old_dir, -1);
		dir_changed(new_dir, 1);
	} else {
		dir_changed(old_dir, 0);
		dir_changed(new_dir, 0);
	}
	inode_touch(old->inode, false, false, true);
	return 0;
}

static long ramfs_unlink(struct inode *dir, struct dentry *d)
{
	d->inode->nlink--;
	inode_touch(d->inode, false, false, true);
	d_unlink(d);
	dir_changed(dir, -1);
	return 0;
}

static long ramfs_rmdir(struct inode *dir, struct dentry *d)
{
	if (!list_empty(&d->children))
		return -ENOTEMPTY;
	d->inode->nlink = 0;
	dir->nlink--;
	d_unlink(d);
	dir_changed(dir, -1);
	return 0;
}

static long ramfs_readlink(struct inode *ino, char *buf, size_t len)
{
	struct ramfs_data *rd = ino->priv;
	size_t n = MIN(len, (size_t)ino->size);

	memcpy(buf, rd->target, n);
	return (long)n;
}

static void count_blocks(struct inode *ino)
{
	struct ramfs_data *rd = ino->priv;

	ino->blocks = (s64)rd->npages * (s64)(PAGE_SIZE / 512);
}

static u64 pages_of(s64 size)
{
	return ((u64)size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* The file's size went from old to ino->size: its mappings follow, as Linux
 * shows new pages to mappings and zaps those past the new end. */
static void size_changed(struct inode *ino, s64 old)
{
	struct ramfs_data *rd = ino->priv;

	if (!rd->mapped || old == ino->size)
		return;
	if (ino->size > old)
		filemap_update(ino, pages_of(old), pages_of(ino->size), false);
	else
		filemap_update(ino, pages_of(ino->size), pages_of(old), false);
}

static u8 *page_at(struct ramfs_data *rd, s64 pos)
{
	return radix_get(&rd->pages, (u64)pos >> PAGE_SHIFT);
}

/* The page holding pos, allocated (zeroed) when missing, for data about to
 * be written (or mapped): it is no longer a fallocated hole. */
static u8 *page_for_write(struct ramfs_data *rd, s64 pos)
{
	u64 idx = (u64)pos >> PAGE_SHIFT;
	void **slot = radix_slot(&rd->pages, idx);

	if (!slot)
		return NULL;
	if (!*slot && (*slot = fpage_alloc()))
		rd->npages++;
	radix_remove_range(&rd->unwritten, idx, idx + 1, NULL);
	return *slot;
}

/* A present page that holds data (SEEK_DATA's view). */
static bool page_has_data(struct ramfs_data *rd, u64 idx)
{
	return radix_get(&rd->pages, idx) && !radix_get(&rd->unwritten, idx);
}

/* The page mmap maps (mm/filemap.c): holes within the file get pages. */
static long ramfs_get_page(struct inode *ino, u64 idx, void **page)
{
	struct ramfs_data *rd = ino->priv;

	rd->mapped = true;
	if (idx >= pages_of(ino->size))
		return -ENXIO;
	if (!(*page = page_for_write(rd, (s64)(idx << PAGE_SHIFT))))
		return -ENOMEM;
	count_blocks(ino);
	return 0;
}

static long ramfs_truncate(struct inode *ino, s64 size)
{
	struct ramfs_data *rd = ino->priv;
	s64 old = ino->size;
	u8 *last;

	if (size < 0)
		return -EINVAL;
	/* As tmpfs: shrinking frees every page past the end, KEEP_SIZE
	 * preallocations included; growing frees nothing. */
	if (size < ino->size) {
		rd->npages -= radix_truncate(&rd->pages, pages_of(size), fpage_release);
		radix_truncate(&rd->unwritten, pages_of(size), NULL);
	}
	/* Bytes past the new end of a kept page read as zeros. Growing zeroes
	 * nothing: what a mapping stored past the old end shows, as on tmpfs. */
	if (size < old && (size & (s64)~PAGE_MASK) && (last = page_at(rd, size)))
		memset(last + (size & (s64)~PAGE_MASK), 0,
		       PAGE_SIZE - (size_t)(size & (s64)~PAGE_MASK));
	ino->size = size;
	count_blocks(ino);
	inode_touch(ino, false, true, true);
	size_changed(ino, old);
	return 0;
}

/* fallocate: mode 0 allocates (and may extend), KEEP_SIZE allocates only,
 * PUNCH_HOLE | KEEP_SIZE frees whole pages and zeroes the partial ends; the
 * other modes are EOPNOTSUPP and the seals are checked after, as on tmpfs. */
static long ramfs_fallocate(struct inode *ino, int mode, s64 off, s64 len)
{
	struct ramfs_data *rd = ino->priv;
	s64 end = off + len, old = ino->size;
	long r;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((r = seals_fallocate(ino, mode, off, len)) < 0)
		return r;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		u64 first = ((u64)off + PAGE_SIZE - 1) >> PAGE_SHIFT, last = (u64)end >> PAGE_SHIFT;
		s64 zero_to = MIN(end, (s64)(first << PAGE_SHIFT));
		u8 *p;

		if (off < zero_to && (p = page_at(rd, off)))
			memset(p + (off & (s64)~PAGE_MASK), 0, (size_t)(zero_to - off));
		if (first < last) {
			rd->npages -= radix_remove_range(&rd->pages, first, last, fpage_release);
			radix_remove_range(&rd->unwritten, first, last, NULL);
			if (rd->mapped)
				filemap_update(ino, first, last, true);
		}
		if ((s64)(last << PAGE_SHIFT) < end && (s64)(last << PAGE_SHIFT) >= off &&
		    (p = page_at(rd, (s64)(last << PAGE_SHIFT))))
			memset(p, 0, (size_t)(end - (s64)(last << PAGE_SHIFT)));
	} else {
		/* As tmpfs: a new page is allocated but unwritten (a hole to
		 * SEEK_DATA); one fallocated before is cleared and becomes data. */
		for (s64 pos = off & (s64)PAGE_MASK; pos < end; pos += (s64)PAGE_SIZE) {
			u64 idx = (u64)pos >> PAGE_SHIFT;
			bool fresh = !radix_get(&rd->pages, idx);
			void **mark;

			if (!page_for_write(rd, pos))
				return -ENOSPC;
			if (fresh) {
				if (!(mark = radix_slot(&rd->unwritten, idx)))
					return -ENOSPC;
				*mark = (void *)1;
			}
		}
		if (!(mode & FALLOC_FL_KEEP_SIZE) && end > ino->size)
			ino->size = end;
	}
	count_blocks(ino);
	inode_touch(ino, false, true, true);
	size_changed(ino, old);
	return 0;
}

/* SEEK_DATA and SEEK_HOLE, page by page as tmpfs does (a present, written
 * page is all data; a fallocated one is a hole until written); other seeks
 * are the generic ones. */
static long ramfs_llseek(struct file *f, s64 off, int whence)
{
	struct inode *ino = f->inode;
	struct ramfs_data *rd = ino->priv;
	u64 idx;
	s64 pos;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek(f, off, whence);
	if (off < 0 || off >= ino->size)
		return -ENXIO;
	if (whence == SEEK_DATA) {
		for (idx = (u64)off >> PAGE_SHIFT;; idx++) {
			if (!radix_next(&rd->pages, idx, &idx) ||
			    (s64)(idx << PAGE_SHIFT) >= ino->size)
				return -ENXIO;
			if (page_has_data(rd, idx))
				break;
		}
		pos = MAX(off, (s64)(idx << PAGE_SHIFT));
	} else {
		for (idx = (u64)off >> PAGE_SHIFT; page_has_data(rd, idx); idx++)
			;
		pos = MIN(MAX(off, (s64)(idx << PAGE_SHIFT)), ino->size);
	}
	f->pos = pos;
	return pos;
}

static long ramfs_read(struct file *f, struct uio *u, s64 pos)
{
	struct inode *ino = f->inode;
	struct ramfs_data *rd = ino->priv;
	size_t done = 0, want;

	if (pos >= ino->size)
		return 0;
	want = MIN(u->resid, (size_t)(ino->size - pos));
	while (done < want) {
		size_t idx = (size_t)(pos + (s64)done) >> PAGE_SHIFT;
		size_t off = (size_t)(pos + (s64)done) & ~PAGE_MASK;
		size_t chunk = MIN(want - done, PAGE_SIZE - off), got;
		u8 *page = radix_get(&rd->pages, idx);

		got = page ? uio_copy_out(u, page + off, chunk) : uio_zero(u, chunk);
		done += got;
		if (got < chunk)
			break;
	}
	inode_touch(ino, true, false, false);
	return done == 0 && u->fault ? -EFAULT : (long)done;
}

static long ramfs_write(struct file *f, struct uio *u, s64 pos)
{
	struct inode *ino = f->inode;
	struct ramfs_data *rd = ino->priv;
	size_t done = 0, want = u->resid;
	s64 old = ino->size;
	long err = 0;

	/* Linux writes what fits below the maximum size, EFBIG only at it */
	if (pos >= MAX_LFS_FILESIZE)
		return -EFBIG;
	want = MIN(want, (size_t)(MAX_LFS_FILESIZE - pos));
	while (done < want) {
		size_t off = (size_t)(pos + (s64)done) & ~PAGE_MASK;
		size_t chunk = MIN(want - done, PAGE_SIZE - off), got;
		u8 *page = page_for_write(rd, pos + (s64)done);

		if (!page) {
			err = -ENOSPC;
			break;
		}
		got = uio_copy_in(u, page + off, chunk);
		done += got;
		if (got < chunk) {
			err = -EFAULT;
			break;
		}
	}
	if (pos + (s64)done > ino->size)
		ino->size = pos + (s64)done;
	if (done) {
		count_blocks(ino);
		inode_touch(ino, false, true, true);
		size_changed(ino, old);
	}
	return done ? (long)done : err;
}

/* Directory offsets as tmpfs (Linux 6.6 and later, as 6.18 lists) gives
 * them: entries are listed from the newest linked or moved in (the end of
 * the children list) to the oldest, each with its offset (cookie); a
 * position names the entry to list next, 2 means "the newest" and DIR_EOD
 * "nothing left". Any other position starts at the entry with the greatest
 * offset at or below it, and at the newest when none is (a position left
 * behind by removals or an lseek).
 *
 * Listing goes from entry to entry at a constant cost; where to start is
 * the open file's cursor (f->priv, referenced): the entry getdents stopped
 * at, which still names the position unless it was removed or the file was
 * lseeked. Only then are the entries searched for the position. */
#define DIR_FIRST 2
#define DIR_EOD 0x7fffffff

static s64 below(struct dentry *dir, struct list *pos)
{
	return pos->prev == &dir->children
		       ? DIR_EOD
		       : (s64)list_entry(pos->prev, struct dentry, sibling)->cookie;
}

static void set_cursor(struct file *f, struct dentry *c)
{
	struct dentry *old = f->priv;

	f->priv = c ? dget(c) : NULL;
	if (old)
		dput(old);
}

/* Where to list from for position p (neither ".", ".." nor DIR_EOD). */
static struct list *seek(struct file *f, struct dentry *d, s64 p)
{
	struct dentry *cur = f->priv;
	struct list *pos, *best = d->children.prev;
	s64 best_cookie = -1;

	if (cur && cur->linked && cur->parent == d && (s64)cur->cookie == p)
		return &cur->sibling;
	if (p == DIR_FIRST)
		return best;
	list_for_each(pos, &d->children) {
		s64 c = (s64)list_entry(pos, struct dentry, sibling)->cookie;

		if (c <= p && c > best_cookie) {
			best = pos;
			best_cookie = c;
		}
	}
	return best;
}

static long ramfs_iterate(struct file *f, struct dir_context *ctx)
{
	struct dentry *d = f->path.dentry;
	struct list *pos;

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, d->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		s64 next = list_empty(&d->children) ? DIR_EOD : below(d, &d->children);

		if (!ctx->emit(ctx, "..", 2, d->parent->inode->ino, DT_DIR, next))
			return 0;
		ctx->pos = next;
	}
	if (ctx->pos == DIR_EOD)
		return 0;
	for (pos = seek(f, d, ctx->pos); pos != &d->children; pos = pos->prev) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (!ctx->emit(ctx, c->name, c->len, c->inode->ino, (c->inode->mode & S_IFMT) >> 12,
			       below(d, pos))) {
			ctx->pos = (s64)c->cookie;
			set_cursor(f, c);
			return 0;
		}
	}
	ctx->pos = DIR_EOD;
	set_cursor(f, NULL);
	return 0;
}

static void ramfs_dir_release(struct file *f)
{
	set_cursor(f, NULL);
}

static const struct inode_ops ramfs_dir_iops = {
	.create = ramfs_create,
	.tmpfile = ramfs_tmpfile,
	.mkdir = ramfs_mkdir,
	.symlink = ramfs_symlink,
	.link = ramfs_link,
	.unlink = ramfs_unlink,
	.rename = ramfs_rename,
	.rmdir = ramfs_rmdir,
};

static const struct inode_ops ramfs_file_iops = {
	.truncate = ramfs_truncate,
	.fallocate = ramfs_fallocate,
	.get_page = ramfs_get_page,
};

static const struct inode_ops ramfs_link_iops = {
	.readlink = ramfs_readlink,
};

static const struct file_ops ramfs_dir_fops = {
	.iterate = ramfs_iterate,
	.release = ramfs_dir_release,
};

static const struct file_ops ramfs_file_fops = {
	.read = ramfs_read,
	.write = ramfs_write,
	.llseek = ramfs_llseek,
};

static void ramfs_destroy(struct super_block *sb)
{
	kfree(sb);
}

static const struct super_ops ramfs_sops = { .destroy = ramfs_destroy };

struct super_block *ramfs_new(struct dentry **root, u32 root_mode)
{
	struct super_block *sb = kzalloc(sizeof *sb);
	struct inode *ino;

	if (!sb)
		return NULL;
	sb->ops = &ramfs_sops;
	sb->dev = next_dev++;
	sb->next_ino = 1;
	sb->xattr = SB_XATTR_MEM;
	ino = ramfs_inode(sb, NULL, S_IFDIR | (root_mode & S_IALLUGO));
	*root = ino ? dentry_new(NULL, "/", 1) : NULL;
	if (!*root) {
		iput(ino);
		kfree(sb);
		return NULL;
	}
	(*root)->inode = ino;
	return sb;
}
