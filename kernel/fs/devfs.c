/* /dev: a ramfs instance holding the character devices, the /dev/fd family
 * of symlinks, and /dev/shm, a ramfs of its own (1777). */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

extern const struct file_ops dev_null_fops, dev_zero_fops, dev_full_fops, dev_random_fops,
	dev_tty_fops, dev_ptmx_fops, dev_pts_fops;

/* clang-format off */
/* Linux's new_encode_dev. */
#define MKDEV(ma, mi) ((u64)(((mi) & 0xff) | ((ma) << 8) | (((mi) & ~0xffu) << 12)))

static const struct {
	const char *name;
	u32 major, minor;
	u32 mode;
	const struct file_ops *fops;
} devices[] = {
	{ "null", 1, 3, 0666, &dev_null_fops },
	{ "zero", 1, 5, 0666, &dev_zero_fops },
	{ "full", 1, 7, 0666, &dev_full_fops },
	{ "random", 1, 8, 0666, &dev_random_fops },
	{ "urandom", 1, 9, 0666, &dev_random_fops },
	{ "tty", 5, 0, 0666, &dev_tty_fops },
	{ "ptmx", 5, 2, 0666, &dev_ptmx_fops },
};
/* clang-format on */

static const struct {
	const char *name, *target;
} links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* Makes name in dir with the given create-like operation. */
static long add(struct dentry *dir, const char *name, struct inode **out,
		long (*make)(struct inode *, struct dentry *, u32), u32 mode)
{
	struct dentry *d = dentry_new(dir, name, strlen(name));
	long r;

	if (!d)
		return -ENOMEM;
	r = make(dir->inode, d, mode);
	if (r == 0 && out)
		*out = d->inode;
	dput(d);
	return r;
}

static long add_devices(struct dentry *root)
{
	struct inode *ino;
	long r;

	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		if ((r = add(root, devices[i].name, &ino, root->inode->iops->create,
			     S_IFCHR | devices[i].mode)) < 0)
			return r;
		ino->rdev = MKDEV(devices[i].major, devices[i].minor);
		ino->fops = devices[i].fops;
		ino->iops = NULL;
		ino->size = 0;
		ino->uid = ino->gid = 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		struct dentry *d = dentry_new(root, links[i].name, strlen(links[i].name));

		if (!d)
			return -ENOMEM;
		r = root->inode->iops->symlink(root->inode, d, links[i].target);
		if (r == 0)
			d->inode->uid = d->inode->gid = 0;
		dput(d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Mounts a fresh ramfs (named fstype) on dir/name, made with mode. */
static long mount_ramfs(struct path *dir, const char *name, u32 mode, const char *fstype,
			struct path *out)
{
	struct dentry *root, *d;
	struct super_block *sb;
	struct inode *ino = NULL;
	struct path where;
	long r;

	if ((r = add(dir->dentry, name, &ino, dir->dentry->inode->iops->mkdir, mode)) < 0)
		return r;
	ino->uid = ino->gid = 0;
	d = d_lookup_cached(dir->dentry, name, strlen(name));
	sb = ramfs_new(&root, mode);
	if (!sb)
		return -ENOMEM;
	root->inode->uid = root->inode->gid = 0;
	where = (struct path){ dir->mnt, d };
	if ((r = vfs_mount_at(&where, sb, root, fstype, fstype)) < 0)
		return r;
	out->mnt = d->mounted;
	out->dentry = root;
	return 0;
}

static struct path shm_root, pts_root;

#define UNIX98_PTY_SLAVE_MAJOR 136
#define TTY_GID 5

static void pts_name(char *buf, unsigned int n)
{
	ksnprintf(buf, 16, "%u", n);
}

/* /dev/pts/N for host pty N while the guest holds its master (the host's
 * devpts has one node per pty; ours shows those the guest made). */
long devfs_pts_add(unsigned int n, u32 uid)
{
	struct inode *ino;
	char name[16];
	long r;

	if (!pts_root.dentry)
		return -ENOENT;
	pts_name(name, n);
	if (d_lookup_cached(pts_root.dentry, name, strlen(name)))
		return -EEXIST;
	if ((r = add(pts_root.dentry, name, &ino, pts_root.dentry->inode->iops->create,
		     S_IFCHR | 0620)) < 0)
		return r;
	ino->rdev = MKDEV(UNIX98_PTY_SLAVE_MAJOR, n);
	ino->fops = &dev_pts_fops;
	ino->iops = NULL;
	ino->size = 0;
	ino->uid = uid;
	ino->gid = TTY_GID;
	return 0;
}

struct file *devfs_pts_file(unsigned int n, u32 uid, u32 gid, u32 mode, u32 flags)
{
	struct dentry *d;
	struct path p;
	char name[16];
	long r = devfs_pts_add(n, uid);

	if (r < 0 && r != -EEXIST)
		return NULL;
	pts_name(name, n);
	d = d_lookup_cached(pts_root.dentry, name, strlen(name));
	if (!d || !d->inode)
		return NULL;
	d->inode->uid = uid;
	d->inode->gid = gid;
	d->inode->mode = S_IFCHR | (mode & 07777);
	p = (struct path){ pts_root.mnt, d };
	return file_open_path(&p, flags);
}

void devfs_pts_remove(unsigned int n)
{
	struct dentry *d;
	char name[16];

	if (!pts_root.dentry)
		return;
	pts_name(name, n);
	d = d_lookup_cached(pts_root.dentry, name, strlen(name));
	if (d && d->inode)
		pts_root.dentry->inode->iops->unlink(pts_root.dentry->inode, d);
}

struct path devfs_shm(void)
{
	return shm_root;
}

long devfs_init(void)
{
	struct path root = vfs_root(), dev;
	long r;

	shm_root = (struct path){ NULL, NULL };
	if ((r = mount_ramfs(&root, "dev", 0755, "devtmpfs", &dev)) < 0)
		return r;
	if ((r = add_devices(dev.dentry)) < 0)
		return r;
	pts_root = (struct path){ NULL, NULL };
	if ((r = mount_ramfs(&dev, "pts", 0755, "devpts", &pts_root)) < 0)
		return r;
	return mount_ramfs(&dev, "shm", 01777, "tmpfs", &shm_root);
}
