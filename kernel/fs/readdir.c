/* getdents64 and getdents: directory entries as struct linux_dirent64 records,
 * or as the older struct linux_dirent (x86_64 only), whose d_type is the
 * record's last byte, after the name's NUL and padding. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>

/* The most a call lists at once; under kmalloc's largest size class (32 KiB
 * with its header), so that it is not a host mapping per call. */
#define GETDENTS_CHUNK (32 * 1024 - 64)

struct getdents_ctx {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	bool any, full, old;
};

/* The old record: d_ino, d_off, d_reclen, then the name. */
#define OLD_DIRENT_NAME 18

static bool fill_dirent(struct dir_context *ctx, const char *name, size_t len, u64 ino,
			unsigned type, s64 next_pos)
{
	struct getdents_ctx *g = container_of(ctx, struct getdents_ctx, ctx);
	size_t reclen = g->old ? (OLD_DIRENT_NAME + len + 2 + 7) & ~(size_t)7
			       : (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) &
					 ~(size_t)7;
	char *rec = g->buf + g->used;
	struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)rec;

	if (g->used + reclen > g->size) {
		g->full = true;
		return false;
	}
	memset(rec, 0, reclen);
	if (g->old) {
		u16 r = (u16)reclen;
		s64 off = next_pos;

		memcpy(rec, &ino, 8);
		memcpy(rec + 8, &off, 8);
		memcpy(rec + 16, &r, 2);
		memcpy(rec + OLD_DIRENT_NAME, name, len);
		rec[reclen - 1] = (char)type;
		g->used += reclen;
		g->any = true;
		return true;
	}
	d->d_ino = ino;
	d->d_off = next_pos;
	d->d_reclen = (u16)reclen;
	d->d_type = (u8)type;
	memcpy(d->d_name, name, len);
	g->used += reclen;
	g->any = true;
	if (!g->old)
		ctx->room = g->size - g->used;
	return true;
}

/* Copies the records out: 0 when all went. Linux writes record by record,
 * so after a fault the records wholly before it stand: their length is
 * returned and *pos moves to the end of the last (both layouts keep d_off at
 * 8 and d_reclen at 16). -EFAULT when not one record made it. */
static long copy_records(struct getdents_ctx *g, uptr dirent, s64 *pos)
{
	size_t got = copy_to_user_partial(dirent, g->buf, g->used), keep = 0;

	if (got == g->used)
		return 0;
	for (;;) {
		u16 reclen;

		memcpy(&reclen, g->buf + keep + 16, 2);
		if (keep + reclen > got)
			break;
		memcpy(pos, g->buf + keep + 8, 8);
		keep += reclen;
	}
	return keep ? (long)keep : -EFAULT;
}

/* Fills dirent with entries from the directory position on; 0 at the end,
 * EINVAL when not even one entry fits. */
static long do_getdents(unsigned int fd, uptr dirent, unsigned int count, bool old)
{
	struct file *f = fget((int)fd);
	struct getdents_ctx g = { .ctx = { .emit = fill_dirent }, .old = old };
	long ret;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		ret = -EBADF;
		goto out;
	}
	if (!f->ops || !f->ops->iterate) {
		ret = -ENOTDIR;
		goto out;
	}
	g.size = MIN((size_t)count, GETDENTS_CHUNK);
	g.buf = kmalloc(g.size ? g.size : 1);
	if (!g.buf) {
		ret = -ENOMEM;
		goto out;
	}
	kmutex_lock(&f->pos_lock);
	kmutex_lock(&vfs_lock);
	if (!S_ISDIR(f->inode->mode) || f->inode->nlink == 0) {
		/* Linux's IS_DEADDIR: a removed directory cannot be listed */
		ret = S_ISDIR(f->inode->mode) ? -ENOENT : -ENOTDIR;
		kmutex_unlock(&vfs_lock);
		kmutex_unlock(&f->pos_lock);
		goto out_free;
	}
	g.ctx.pos = f->pos;
	g.ctx.room = old ? DIR_ROOM_UNCOUNTED : g.size;
	ret = f->ops->iterate(f, &g.ctx);
	kmutex_unlock(&vfs_lock);
	if (ret == 0 && g.used)
		ret = copy_records(&g, dirent, &f->pos);
	/* the position moves even when nothing fit (EINVAL) or nothing was left */
	if (ret == 0)
		f->pos = g.ctx.pos;
	if (ret == 0)
		ret = (!g.any && g.full) ? -EINVAL : (long)g.used;
	kmutex_unlock(&f->pos_lock);
out_free:
	kfree(g.buf);
out:
	fput(f);
	return ret;
}

/* sys_getdents64 lists a directory as struct linux_dirent64 records. */
long sys_getdents64(unsigned int fd, uptr dirent, unsigned int count)
{
	return do_getdents(fd, dirent, count, false);
}

/* sys_getdents is getdents64 with the old record layout. */
long sys_getdents(unsigned int fd, uptr dirent, unsigned int count)
{
	return do_getdents(fd, dirent, count, true);
}
