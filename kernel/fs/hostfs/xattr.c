/* hostfs: extended attributes. They are the host file's own, reached
 * through a descriptor of that file (as chmod is: hostfs_own_fd), after
 * fs/xattr.c's checks; the host's filesystem decides which namespaces
 * exist and answers ENODATA, ERANGE and EEXIST itself. */
#include "internal.h"

enum xattr_op { XATTR_GET, XATTR_SET, XATTR_LIST, XATTR_REMOVE };

/* The permission bits an access ACL the host took gives its file
 * (posix_acl_equiv_mode: the owner's entry, the mask's or else the owning
 * group's, the others'), or -1 when the value is not one to read so. */
static int acl_mode(const u8 *v, size_t size)
{
	int user = -1, group = -1, mask = -1, other = -1;
	u32 version;

	if (size < 4 || (size - 4) % 8)
		return -1;
	memcpy(&version, v, 4);
	if (version != 2)
		return -1;
	for (size_t off = 4; off < size; off += 8) {
		u16 tag, perm;

		memcpy(&tag, v + off, 2);
		memcpy(&perm, v + off + 2, 2);
		perm &= 7;
		if (tag == 0x01) /* ACL_USER_OBJ */
			user = perm;
		else if (tag == 0x04) /* ACL_GROUP_OBJ */
			group = perm;
		else if (tag == 0x10) /* ACL_MASK */
			mask = perm;
		else if (tag == 0x20) /* ACL_OTHER */
			other = perm;
	}
	if (user < 0 || group < 0 || other < 0)
		return -1;
	return user << 6 | (mask >= 0 ? mask : group) << 3 | other;
}

/* An access ACL sets the mode: the bits it gives, unless the host may also
 * have cleared the set-group-ID bit (posix_acl_update_mode, by its own
 * credentials) or the value is not one to read: then ask the host. */
static void acl_set(struct inode *ino, const void *value, size_t size)
{
	int bits = acl_mode(value, size);

	if (bits < 0 || (ino->mode & S_ISGID))
		hostfs_getattr(ino);
	else
		ino->mode = (ino->mode & ~(u32)0777) | (u32)bits;
}

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
	if (r == 0 && op == XATTR_SET && !strcmp(name, "system.posix_acl_access"))
		acl_set(ino, buf, size);
	else if (op == XATTR_REMOVE && !strcmp(name, "system.posix_acl_access"))
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
