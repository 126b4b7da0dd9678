/* hostfs: the superblock and mounting. hostfs_mount opens the host
 * directory (an O_PATH descriptor the mount keeps), makes a superblock with
 * an anonymous device number and the root inode, and mounts it at a guest
 * directory or, for "/", over the root (vfs_mount_over_root);
 * abi_mount_host is the same for the library platform's callers. */
#include <abi/boot.h>
#include <kernel/hostfs.h>
#include <kernel/proc.h>
#include "internal.h"

static u64 next_dev = 0x80; /* anonymous device numbers, apart from ramfs's */

static void hostfs_destroy(struct super_block *sb)
{
	struct hostfs_sb *hs = sb->priv;

	plat_host_close(hs->rootfd);
	kfree(hs);
	kfree(sb);
}

/* statfs(2) of a hostfs file is the host's statfs of that very file (its
 * filesystem may be another than the mount root's: /run, /sys, a bind
 * mount below --root), all fields as the host gives them. Only a read-only
 * mount adds ST_RDONLY, as the guest cannot write there whatever the host
 * allows. A file the host no longer has by its name answers for the mount's
 * root directory. */
static void hostfs_statfs(struct inode *ino, struct linux_statfs *st)
{
	struct hostfs_sb *hs = HSB(ino);
	struct linux_statfs host;
	bool tmp = false;
	int fd = hostfs_open_fd(ino, false);

	if (fd < 0 && hostfs_own_fd(ino, &fd, &tmp) < 0) {
		fd = hs->rootfd;
		tmp = false;
	}
	if (plat_host_fstatfs(fd, &host) == 0) {
		host.f_flags |= ino->sb->rdonly ? ST_RDONLY : 0;
		*st = host;
	}
	if (tmp)
		plat_host_close(fd);
}

static const struct super_ops hostfs_sops = {
	.destroy = hostfs_destroy,
	.statfs = hostfs_statfs,
	.getxattr = hostfs_getxattr,
	.setxattr = hostfs_setxattr,
	.listxattr = hostfs_listxattr,
	.removexattr = hostfs_removexattr,
};

static struct super_block *hostfs_new(int rootfd, bool ro, struct dentry **root)
{
	struct super_block *sb = kzalloc(sizeof *sb);
	struct hostfs_sb *hs = kzalloc(sizeof *hs);
	struct plat_stat st;
	struct inode *ino = NULL;

	*root = NULL;
	if (sb && hs && plat_host_fstatat(rootfd, "", &st, AT_EMPTY_PATH) == 0 &&
	    S_ISDIR(st.mode)) {
		sb->ops = &hostfs_sops;
		sb->dev = next_dev++;
		sb->priv = hs;
		sb->rdonly = ro;
		sb->xattr = SB_XATTR_OPS;
		sb->own_ctime = true;
		hs->rootfd = rootfd;
		list_init(&hs->open);
		if ((ino = hostfs_inode(sb, &st)))
			*root = dentry_new(NULL, "/", 1);
	}
	if (!*root) {
		iput(ino);
		kfree(hs);
		kfree(sb);
		return NULL;
	}
	(*root)->inode = ino;
	HI(ino)->alias = *root;
	hs->root = *root;
	return sb;
}

long hostfs_mount(const char *host_dir, const char *guest_path, bool read_only)
{
	struct super_block *sb;
	struct dentry *root;
	struct path where;
	long fd, r;
	const char *s = guest_path;

	while (*s == '/')
		s++;
	(void)hostfs_race_free(); /* probe the host now, while every call is allowed */
	fd = plat_host_openat(AT_FDCWD, host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	kmutex_lock(&vfs_lock);
	if (!(sb = hostfs_new((int)fd, read_only, &root))) {
		kmutex_unlock(&vfs_lock);
		plat_host_close((int)fd);
		return -ENOMEM;
	}
	if (guest_path[0] == '/' && *s == 0) {
		r = vfs_mount_over_root(sb, root, host_dir, "hostfs");
	} else if ((r = path_lookupat(AT_FDCWD, guest_path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
				      &where)) == 0) {
		r = vfs_mount_at(&where, sb, root, host_dir, "hostfs");
		path_put(&where);
	}
	if (r < 0) {
		dput(root);
		hostfs_destroy(sb);
	}
	kmutex_unlock(&vfs_lock);
	return r;
}

/* abi_mount_host is hostfs_mount for the library platform's callers. */
int abi_mount_host(const char *host_dir, const char *guest_path, int read_only)
{
	if (!host_dir || !guest_path)
		return -EINVAL;
	return (int)hostfs_mount(host_dir, guest_path, read_only != 0);
}
