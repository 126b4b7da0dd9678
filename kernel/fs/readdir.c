/* getdents64: directory entries as struct linux_dirent64 records. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>

#define GETDENTS_CHUNK (32 * 1024)

struct getdents_ctx {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	bool any, full;
};

static bool fill_dirent64(struct dir_context *ctx, const char *name, size_t len, u64 ino,
			  unsigned type, s64 next_pos)
{
	struct getdents_ctx *g = container_of(ctx, struct getdents_ctx, ctx);
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	struct linux_dirent64 *d;

	if (g->used + reclen > g->size) {
		g->full = true;
		return false;
	}
	d = (struct linux_dirent64 *)(void *)(g->buf + g->used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = next_pos;
	d->d_reclen = (u16)reclen;
	d->d_type = (u8)type;
	memcpy(d->d_name, name, len);
	g->used += reclen;
	g->any = true;
	return true;
}

/* sys_getdents64 fills dirent with entries from the directory position on;
 * 0 at the end, EINVAL when not even one entry fits. */
long sys_getdents64(unsigned int fd, uptr dirent, unsigned int count)
{
	struct file *f = fget((int)fd);
	struct getdents_ctx g = { .ctx = { .emit = fill_dirent64 } };
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
	ret = f->ops->iterate(f, &g.ctx);
	kmutex_unlock(&vfs_lock);
	if (ret == 0 && g.used)
		ret = copy_to_user(dirent, g.buf, g.used);
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
