/* hostfs: extended attributes. They are the host file's own, reached
 * through a descriptor of that file (as chmod is: hostfs_own_fd), after
 * fs/xattr.c's checks; the host's filesystem decides which namespaces
 * exist and answers ENODATA, ERANGE and EEXIST itself. */
#include "internal.h"

enum xattr_op { XATTR_GET, XATTR_SET, XATTR_LIST, XATTR_REMOVE };

/* One xattr call on the host file of ino, through hostfs_own_fd: an open file's
 * descriptor, or one opened by name (O_PATH for a symlink or special file,
 * which the platform reaches through /proc/self/fd), so the host follows
 * nothing. The host's filesystem answers: which namespaces it has, ENODATA,
 * ERANGE, EEXIST, its list order. */
static long host_xattr(struct inode *ino, enum xattr_op op, const char *name, void *buf,
		       size_t size, int flags)
{
	bool tmp;
	int fd;
	long r = hostfs_own_fd(ino, &fd, &tmp);

	if (r < 0)
		return r;
	switch (op) {
	case XATTR_GET:
		r = plat_host_fgetxattr(fd, name, buf, size);
		break;
	case XATTR_SET:
		r = plat_host_fsetxattr(fd, name, buf, size, flags);
		break;
	case XATTR_LIST:
		r = plat_host_flistxattr(fd, buf, size);
		break;
	case XATTR_REMOVE:
		r = plat_host_fremovexattr(fd, name);
		break;
	}
	if (tmp)
		plat_host_close(fd);
	/* the mode an access ACL sets (the new ctime: when a stat asks) */
	if ((op == XATTR_SET || op == XATTR_REMOVE) && !strcmp(name, "system.posix_acl_access"))
		hostfs_getattr(ino);
	return r;
}

long hostfs_getxattr(struct inode *ino, const char *name, void *buf, size_t size)
{
	return host_xattr(ino, XATTR_GET, name, buf, size, 0);
}

long hostfs_setxattr(struct inode *ino, const char *name, const void *value, size_t size, int flags)
{
	return host_xattr(ino, XATTR_SET, name, (void *)value, size, flags);
}

long hostfs_listxattr(struct inode *ino, char *buf, size_t size)
{
	return host_xattr(ino, XATTR_LIST, NULL, buf, size, 0);
}

long hostfs_removexattr(struct inode *ino, const char *name)
{
	return host_xattr(ino, XATTR_REMOVE, name, NULL, 0, 0);
}
