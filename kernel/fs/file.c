/* struct file: an open file description, shared by dup'ed descriptors. */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>

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
	kmutex_lock(&vfs_lock);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	iput(f->inode);
	path_put(&f->path);
	kmutex_unlock(&vfs_lock);
	kfree(f);
}
