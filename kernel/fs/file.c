/* struct file: an open file description, shared by dup'ed descriptors. */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>

/* Linux's i_writecount and i_readcount (what F_SETLEASE checks): files
 * open for writing, and open for reading only. */
static void count_open(struct file *f, int delta)
{
	if (file_writable(f))
		__atomic_add_fetch(&f->inode->writecount, delta, __ATOMIC_RELAXED);
	else if (file_readable(f))
		__atomic_add_fetch(&f->inode->readcount, delta, __ATOMIC_RELAXED);
}

struct file *file_open_path(const struct path *p, u32 flags)
{
	struct file *f = kzalloc(sizeof *f);

	if (!f)
		return NULL;
	f->refcnt = 1;
	f->flags = flags;
	f->path = *p;
	path_get(&f->path);
	f->inode = iget(p->dentry->inode);
	f->ops = (flags & O_PATH) ? NULL : f->inode->fops;
	f->cred_gen = current_proc.cred_gen;
	f->counted = true;
	count_open(f, 1);
	return f;
}

struct file *fget_raw(struct file *f)
{
	__atomic_add_fetch(&f->refcnt, 1, __ATOMIC_RELAXED);
	return f;
}

void fput(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refcnt, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	locks_remove_file(f);
	if (f->counted)
		count_open(f, -1);
	kmutex_lock(&vfs_lock);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	iput(f->inode);
	path_put(&f->path);
	kmutex_unlock(&vfs_lock);
	kfree(f);
}

void filp_close(struct file *f)
{
	locks_remove_posix(f);
	fput(f);
}
