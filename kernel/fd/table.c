/* The descriptor table: a growable array of file pointers plus a close-on-exec
 * bit per slot. RLIMIT_NOFILE bounds the descriptors handed out. */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>

#define FDT_MAX (1u << 20) /* Linux's default fs.nr_open */
/* A slot taken by fd_reserve whose file is not there yet. */
#define FD_RESERVED ((struct file *)-1L)

static struct file *slot(const struct fdtable *t, int fd)
{
	struct file *f;

	if (fd < 0 || (unsigned int)fd >= t->size)
		return NULL;
	f = t->files[fd];
	return f == FD_RESERVED ? NULL : f;
}

void fdtable_init(struct fdtable *t)
{
	memset(t, 0, sizeof *t);
}

void fdtable_destroy(struct fdtable *t)
{
	for (unsigned int i = 0; i < t->size; i++) {
		if (slot(t, (int)i))
			fput(t->files[i]);
	}
	kfree(t->files);
	kfree(t->cloexec);
	fdtable_init(t);
}

static bool expand(struct fdtable *t, unsigned int need)
{
	unsigned int size = t->size ? t->size : 64;
	struct file **files;
	u8 *cloexec;

	while (size <= need)
		size *= 2;
	files = kzalloc(size * sizeof *files);
	cloexec = kzalloc(size);
	if (!files || !cloexec) {
		kfree(files);
		kfree(cloexec);
		return false;
	}
	if (t->size) {
		memcpy(files, t->files, t->size * sizeof *files);
		memcpy(cloexec, t->cloexec, t->size);
	}
	kfree(t->files);
	kfree(t->cloexec);
	t->files = files;
	t->cloexec = cloexec;
	t->size = size;
	return true;
}

static u64 nofile_limit(void)
{
	u64 lim = current_proc.rlim[RLIMIT_NOFILE].rlim_cur;

	return lim > FDT_MAX ? FDT_MAX : lim;
}

struct file *fget(int fd)
{
	struct fdtable *t = &current_proc.fdt;
	struct file *f = NULL;

	kmutex_lock(&t->lock);
	if ((f = slot(t, fd)))
		fget_raw(f);
	kmutex_unlock(&t->lock);
	return f;
}

struct file *fget_no_path(int fd)
{
	struct file *f = fget(fd);

	if (f && (f->flags & O_PATH)) {
		fput(f);
		return NULL;
	}
	return f;
}

long fd_install(struct file *f, unsigned int minfd, bool cloexec)
{
	struct fdtable *t = &current_proc.fdt;
	u64 lim = nofile_limit();
	unsigned int fd;
	long ret = -EMFILE;

	kmutex_lock(&t->lock);
	for (fd = minfd; fd < lim; fd++) {
		if (fd >= t->size || !t->files[fd])
			break;
	}
	if (fd >= lim)
		goto out;
	if (fd >= t->size && !expand(t, fd)) {
		ret = -ENOMEM;
		goto out;
	}
	t->files[fd] = f;
	t->cloexec[fd] = cloexec;
	ret = fd;
out:
	kmutex_unlock(&t->lock);
	return ret;
}

long fd_replace(unsigned int fd, struct file *f, bool cloexec)
{
	struct fdtable *t = &current_proc.fdt;
	struct file *old = NULL;
	long ret = fd;

	kmutex_lock(&t->lock);
	if (fd >= nofile_limit()) {
		ret = -EBADF;
		goto out;
	}
	if (fd >= t->size && !expand(t, fd)) {
		ret = -ENOMEM;
		goto out;
	}
	old = t->files[fd];
	if (old == FD_RESERVED) {
		/* Linux: dup2 onto a descriptor another thread is still opening */
		old = NULL;
		ret = -EBUSY;
		goto out;
	}
	t->files[fd] = f;
	t->cloexec[fd] = cloexec;
out:
	kmutex_unlock(&t->lock);
	if (old)
		filp_close(old); /* dup2 closes what newfd was: its POSIX locks go */
	return ret;
}

struct file *fd_detach(unsigned int fd)
{
	struct fdtable *t = &current_proc.fdt;
	struct file *f = NULL;

	kmutex_lock(&t->lock);
	if ((f = slot(t, (int)fd))) {
		t->files[fd] = NULL;
		t->cloexec[fd] = 0;
	}
	kmutex_unlock(&t->lock);
	return f;
}

long fd_get_cloexec(unsigned int fd)
{
	struct fdtable *t = &current_proc.fdt;
	long ret = -EBADF;

	kmutex_lock(&t->lock);
	if (slot(t, (int)fd))
		ret = t->cloexec[fd];
	kmutex_unlock(&t->lock);
	return ret;
}

long fd_set_cloexec(unsigned int fd, bool on)
{
	struct fdtable *t = &current_proc.fdt;
	long ret = -EBADF;

	kmutex_lock(&t->lock);
	if (slot(t, (int)fd)) {
		t->cloexec[fd] = on;
		ret = 0;
	}
	kmutex_unlock(&t->lock);
	return ret;
}

long fd_path(int fd, struct path *out)
{
	struct fdtable *t = &current_proc.fdt;
	long ret = -EBADF;

	kmutex_lock(&t->lock);
	if (slot(t, fd)) {
		*out = t->files[fd]->path;
		path_get(out);
		ret = 0;
	}
	kmutex_unlock(&t->lock);
	return ret;
}

long fd_reserve(unsigned int minfd, bool cloexec)
{
	return fd_install(FD_RESERVED, minfd, cloexec);
}

void fd_commit(unsigned int fd, struct file *f)
{
	struct fdtable *t = &current_proc.fdt;

	kmutex_lock(&t->lock);
	KASSERT(fd < t->size && t->files[fd] == FD_RESERVED);
	t->files[fd] = f;
	kmutex_unlock(&t->lock);
}

void fd_unreserve(unsigned int fd)
{
	struct fdtable *t = &current_proc.fdt;

	kmutex_lock(&t->lock);
	KASSERT(fd < t->size && t->files[fd] == FD_RESERVED);
	t->files[fd] = NULL;
	t->cloexec[fd] = 0;
	kmutex_unlock(&t->lock);
}

struct file *fd_peek(int fd)
{
	struct fdtable *t = &current_proc.fdt;
	struct file *f;

	kmutex_lock(&t->lock);
	f = slot(t, fd);
	kmutex_unlock(&t->lock);
	return f;
}

unsigned int fd_table_size(void)
{
	return current_proc.fdt.size;
}
