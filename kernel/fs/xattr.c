/* Extended attributes: the setxattr, getxattr, listxattr and removexattr
 * families, as fs/xattr.c and tmpfs's simple_xattr store do them. ramfs
 * (SB_XATTR_MEM) keeps user., trusted. and security. attributes per inode in
 * kernel memory; procfs and anonymous files behave as Linux's filesystems
 * without xattr handlers; hostfs (SB_XATTR_OPS) hands them, once this file's
 * checks pass, to the host file, whose filesystem stores them and resolves
 * the names. POSIX ACL names are understood; ramfs can only take the empty
 * ACL, hostfs stores ACLs on the host (permission checks use the mode bits
 * only). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536
#define ACL_ACCESS "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define CAPS_NAME "security.capability"

struct xattr {
	struct xattr *next;
	size_t size;
	char *value;
	char name[];
};

void xattr_free_all(struct inode *ino)
{
	struct xattr *x = ino->xattrs, *next;

	for (; x; x = next) {
		next = x->next;
		kfree(x->value);
		kfree(x);
	}
	ino->xattrs = NULL;
}

static bool has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* CAP_SYS_ADMIN: euid 0, as the credentials model has it. */
static bool capable_sys_admin(void)
{
	return current_proc.cred.euid == 0;
}

/* import_xattr_name: EFAULT, or ERANGE for "" and names over 255 bytes. */
static long import_name(uptr uname, char *buf)
{
	long n = strncpy_from_user(buf, uname, XATTR_NAME_MAX + 1);

	if (n < 0)
		return -EFAULT;
	if (n == 0 || n == XATTR_NAME_MAX + 1)
		return -ERANGE;
	return 0;
}

/* The inode an xattr call acts on: a path (vfs_lock held from lookup to
 * target_put) or an open file (locked after fget). */
struct target {
	struct path p;
	struct file *f;
	struct inode *ino;
};

static long target_path(uptr pathname, bool follow, struct target *t)
{
	char *name;
	long r = getname(pathname, false, &name);

	t->f = NULL;
	if (r < 0)
		return r;
	kmutex_lock(&vfs_lock);
	r = path_lookupat(AT_FDCWD, name, follow ? LOOKUP_FOLLOW : 0, &t->p);
	kfree(name);
	if (r < 0) {
		kmutex_unlock(&vfs_lock);
		return r;
	}
	t->ino = t->p.dentry->inode;
	return 0;
}

/* The f* calls pass a negative fd as this (EBADF after the arguments are
 * read, as Linux); the path calls pass -1. */
#define BAD_FD 0x7fffffff

static long target_fd(int fd, struct target *t)
{
	t->f = fd == BAD_FD ? NULL : fget(fd);
	if (!t->f || (t->f->flags & O_PATH)) {
		if (t->f)
			fput(t->f);
		return -EBADF;
	}
	t->ino = t->f->inode;
	kmutex_lock(&vfs_lock);
	return 0;
}

static void target_put(struct target *t)
{
	if (t->f) {
		kmutex_unlock(&vfs_lock);
		fput(t->f);
		return;
	}
	path_put(&t->p);
	kmutex_unlock(&vfs_lock);
}

/* xattr_permission: the namespace rules, then the inode's mode bits. */
static long xattr_permission(struct inode *ino, const char *name, int mask)
{
	if (has_prefix(name, "security.") || has_prefix(name, "system."))
		return 0;
	if (has_prefix(name, "trusted.")) {
		if (!capable_sys_admin())
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, "user.")) {
		if (!S_ISREG(ino->mode) && !S_ISDIR(ino->mode))
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		if (S_ISDIR(ino->mode) && (ino->mode & S_ISVTX) && (mask & MAY_WRITE) &&
		    !owner_or_capable(ino))
			return -EPERM;
	}
	return inode_permission(ino, mask);
}

/* The handler lookup of SB_XATTR_MEM: EOPNOTSUPP without xattr support or
 * for an unknown namespace, EINVAL for a bare prefix. */
static long resolve_name(struct inode *ino, const char *name)
{
	static const char *const prefixes[] = { "user.", "trusted.", "security." };

	if (ino->sb->xattr != SB_XATTR_MEM)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (has_prefix(name, prefixes[i]))
			return name[strlen(prefixes[i])] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
}

static bool is_acl_name(const char *name)
{
	return strcmp(name, ACL_ACCESS) == 0 || strcmp(name, ACL_DEFAULT) == 0;
}

/* set_posix_acl for an ACL being removed (!acl) or set (value, size):
 * ramfs can serve only the removal (and the empty ACL, which is one);
 * SB_XATTR_OPS filesystems store it (and check its entries). */
static long acl_set(struct inode *ino, const char *name, bool acl, const u8 *value, size_t size)
{
	const struct super_ops *ops = ino->sb->ops;

	if ((ino->sb->xattr != SB_XATTR_MEM && ino->sb->xattr != SB_XATTR_OPS) ||
	    S_ISLNK(ino->mode))
		return -EOPNOTSUPP;
	if (strcmp(name, ACL_DEFAULT) == 0 && !S_ISDIR(ino->mode))
		return acl ? -EACCES : 0;
	if (!owner_or_capable(ino))
		return -EPERM;
	if (ino->sb->xattr == SB_XATTR_OPS)
		return acl ? ops->setxattr(ino, name, value, size, 0) : ops->removexattr(ino, name);
	return acl ? -EOPNOTSUPP : 0; /* no ACLs are stored: nothing to remove */
}

/* posix_acl_from_xattr's checks: 0 for no ACL (NULL or no entries), 1 for
 * an ACL with entries, or -errno (EINVAL for an unknown tag or an invalid
 * uid or gid, before any permission check). */
static long acl_parse(const u8 *value, size_t size)
{
	enum { ACL_USER = 0x02, ACL_GROUP = 0x08, KNOWN_TAGS = 0x3f };
	u32 version, id;
	u16 tag;

	if (!value)
		return 0;
	if (size < 4)
		return -EINVAL;
	memcpy(&version, value, 4);
	if (version != 2)
		return -EOPNOTSUPP;
	if ((size - 4) % 8)
		return -EINVAL;
	for (size_t off = 4; off < size; off += 8) {
		memcpy(&tag, value + off, 2);
		memcpy(&id, value + off + 4, 4);
		/* exactly one of USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER */
		if (!tag || (tag & ~KNOWN_TAGS) || (tag & (tag - 1)))
			return -EINVAL;
		if ((tag == ACL_USER || tag == ACL_GROUP) && id == (u32)-1)
			return -EINVAL;
	}
	return size > 4;
}

/* cap_convert_nscap's header check for security.capability: a revision 2
 * (20 bytes) or 3 (24 bytes) vfs_cap_data. */
static bool caps_valid(const u8 *value, size_t size)
{
	u32 magic;

	if (size < 4)
		return false;
	memcpy(&magic, value, 4);
	magic &= ~(u32)1; /* VFS_CAP_FLAGS_EFFECTIVE */
	return (size == 20 && magic == 0x02000000) || (size == 24 && magic == 0x03000000);
}

static struct xattr **xattr_find(struct inode *ino, const char *name, bool *found)
{
	struct xattr **pp = &ino->xattrs;
	int c = 1;

	while (*pp && (c = strcmp((*pp)->name, name)) > 0)
		pp = &(*pp)->next;
	*found = *pp && c == 0;
	return pp;
}

static long xattr_store(struct inode *ino, const char *name, const void *value, size_t size,
			int flags)
{
	bool found;
	struct xattr **pp = xattr_find(ino, name, &found), *x;
	char *copy;

	if (found && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!found && (flags & XATTR_REPLACE))
		return -ENODATA;
	copy = kmalloc(size ? size : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, size);
	if (found) {
		x = *pp;
		kfree(x->value);
	} else {
		size_t len = strlen(name);

		x = kmalloc(sizeof *x + len + 1);
		if (!x) {
			kfree(copy);
			return -ENOMEM;
		}
		memcpy(x->name, name, len + 1);
		x->next = *pp;
		*pp = x;
	}
	x->value = copy;
	x->size = size;
	inode_touch(ino, false, false, true);
	return 0;
}

/* vfs_setxattr on a found inode (vfs_lock held). */
static long do_set(struct inode *ino, const char *name, u8 *value, size_t size, int flags)
{
	u32 magic, rootid;
	long r;

	if (ino->sb->rdonly)
		return -EROFS;
	if (ino->sb->xattr == SB_XATTR_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (is_acl_name(name)) {
		if ((r = acl_parse(value, size)) < 0)
			return r;
		return acl_set(ino, name, r > 0, value, size);
	}
	if (strcmp(name, CAPS_NAME) == 0) {
		/* every value is checked and converted: Linux 6.18.44 gives EINVAL
		 * for an empty one too (earlier kernels stored it as is) */
		if (!caps_valid(value, size))
			return -EINVAL;
		if (!capable_sys_admin()) /* CAP_SETFCAP */
			return -EPERM;
		/* a v3 header for root of the initial namespace is stored as v2 */
		memcpy(&magic, value, 4);
		if (size == 24 && (magic & ~(u32)1) == 0x03000000 &&
		    (memcpy(&rootid, value + 20, 4), rootid == 0)) {
			magic = 0x02000000 | (magic & 1);
			memcpy(value, &magic, 4);
			size = 20;
		}
	}
	if ((r = xattr_permission(ino, name, MAY_WRITE)) < 0)
		return r;
	/* cap_inode_setxattr: security.* (but capabilities) needs CAP_SYS_ADMIN */
	if (has_prefix(name, "security.") && strcmp(name, CAPS_NAME) != 0 && !capable_sys_admin())
		return -EPERM;
	if (ino->sb->xattr == SB_XATTR_OPS)
		return ino->sb->ops->setxattr(ino, name, value ? value : (const u8 *)"", size,
					      flags);
	if ((r = resolve_name(ino, name)) < 0)
		return r;
	return xattr_store(ino, name, value ? value : (const u8 *)"", size, flags);
}

/* Copies the arguments in as setxattr_copy does: flags, name, size, value. */
static long set_args(uptr uname, uptr uvalue, size_t size, int flags, char *name, u8 **value)
{
	long r;

	*value = NULL;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if ((r = import_name(uname, name)) < 0)
		return r;
	if (!size)
		return 0;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (!(*value = kmalloc(size)))
		return -ENOMEM;
	if (copy_from_user(*value, uvalue, size) < 0) {
		kfree(*value);
		*value = NULL;
		return -EFAULT;
	}
	return 0;
}

static long setxattr_common(int fd, uptr pathname, bool follow, uptr uname, uptr uvalue,
			    size_t size, int flags)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;
	u8 *value;
	long ret;

	if ((ret = set_args(uname, uvalue, size, flags, name, &value)) < 0)
		return ret;
	ret = fd >= 0 ? target_fd(fd, &t) : target_path(pathname, follow, &t);
	if (ret == 0) {
		ret = do_set(t.ino, name, value, size, flags);
		target_put(&t);
	}
	kfree(value);
	return ret;
}

/* sys_setxattr sets the extended attribute name of pathname (following
 * symlinks); XATTR_CREATE and XATTR_REPLACE as Linux. */
long sys_setxattr(uptr pathname, uptr name, uptr value, size_t size, int flags)
{
	return setxattr_common(-1, pathname, true, name, value, size, flags);
}

/* sys_lsetxattr is setxattr on a symlink itself. */
long sys_lsetxattr(uptr pathname, uptr name, uptr value, size_t size, int flags)
{
	return setxattr_common(-1, pathname, false, name, value, size, flags);
}

/* sys_fsetxattr is setxattr on the file open on fd (not O_PATH). */
long sys_fsetxattr(int fd, uptr name, uptr value, size_t size, int flags)
{
	return setxattr_common(fd < 0 ? BAD_FD : fd, (uptr){ 0 }, false, name, value, size, flags);
}

/* vfs_getxattr: the value's length, copied into buf when size allows. */
static long do_get(struct inode *ino, const char *name, u8 *buf, size_t size)
{
	struct xattr *x;
	bool found;
	long r;

	if (ino->sb->xattr == SB_XATTR_UNSUPPORTED)
		return -EOPNOTSUPP;
	if ((r = xattr_permission(ino, name, MAY_READ)) < 0)
		return r;
	if (ino->sb->xattr == SB_XATTR_OPS)
		return ino->sb->ops->getxattr(ino, name, buf, size);
	if (is_acl_name(name))
		return ino->sb->xattr != SB_XATTR_MEM || S_ISLNK(ino->mode) ? -EOPNOTSUPP
									    : -ENODATA;
	if ((r = resolve_name(ino, name)) < 0)
		return r;
	x = *xattr_find(ino, name, &found);
	if (!found)
		return -ENODATA;
	if (size) {
		if (x->size > size)
			return -ERANGE;
		memcpy(buf, x->value, x->size);
	}
	return (long)x->size;
}

static long getxattr_common(int fd, uptr pathname, bool follow, uptr uname, uptr uvalue,
			    size_t size)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;
	u8 *buf = NULL;
	long ret;

	if ((ret = import_name(uname, name)) < 0)
		return ret;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if (size && !(buf = kmalloc(size)))
		return -ENOMEM;
	ret = fd >= 0 ? target_fd(fd, &t) : target_path(pathname, follow, &t);
	if (ret == 0) {
		ret = do_get(t.ino, name, buf, size);
		target_put(&t);
	}
	if (ret > 0 && size && copy_to_user(uvalue, buf, (size_t)ret) < 0)
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

/* sys_getxattr copies the value of name of pathname (following symlinks);
 * size 0 asks for its length, ERANGE when it does not fit. */
long sys_getxattr(uptr pathname, uptr name, uptr value, size_t size)
{
	return getxattr_common(-1, pathname, true, name, value, size);
}

/* sys_lgetxattr is getxattr on a symlink itself. */
long sys_lgetxattr(uptr pathname, uptr name, uptr value, size_t size)
{
	return getxattr_common(-1, pathname, false, name, value, size);
}

/* sys_fgetxattr is getxattr on the file open on fd (not O_PATH). */
long sys_fgetxattr(int fd, uptr name, uptr value, size_t size)
{
	return getxattr_common(fd < 0 ? BAD_FD : fd, (uptr){ 0 }, false, name, value, size);
}

/* Adds name to a list of *len bytes (trusted.* only for CAP_SYS_ADMIN);
 * size 0 only counts. */
static long list_add(char *buf, size_t size, size_t *len, const char *name)
{
	size_t n = strlen(name) + 1;

	if (has_prefix(name, "trusted.") && !capable_sys_admin())
		return 0;
	if (size) {
		if (*len + n > size)
			return -ERANGE;
		memcpy(buf + *len, name, n);
	}
	*len += n;
	return 0;
}

/* A first try at the filesystem's list: most lists are short, and a
 * buffer of XATTR_LIST_MAX is a host mapping per call. */
#define LIST_FIRST 4096

/* The names the filesystem lists, in its order, filtered by list_add; a
 * list the largest buffer cannot hold is E2BIG. */
static long list_ops(struct inode *ino, char *buf, size_t size, size_t *len)
{
	char *all = kmalloc(LIST_FIRST);
	long n, r = 0;

	if (!all)
		return -ENOMEM;
	n = ino->sb->ops->listxattr(ino, all, LIST_FIRST);
	if (n == -ERANGE) {
		kfree(all);
		if (!(all = kmalloc(XATTR_LIST_MAX)))
			return -ENOMEM;
		n = ino->sb->ops->listxattr(ino, all, XATTR_LIST_MAX);
	}
	if (n < 0)
		r = n == -ERANGE ? -E2BIG : n;
	else if (n > 0 && all[n - 1]) /* not a list of terminated names */
		r = -EIO;
	for (long off = 0; r == 0 && off < n; off += (long)strlen(all + off) + 1)
		r = list_add(buf, size, len, all + off);
	kfree(all);
	return r;
}

/* The NUL-separated names: the list's length, written to buf when size
 * allows. */
static long do_list(struct inode *ino, char *buf, size_t size)
{
	size_t len = 0;
	long r = 0;

	if (ino->sb->xattr == SB_XATTR_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (ino->sb->xattr == SB_XATTR_OPS)
		r = list_ops(ino, buf, size, &len);
	for (struct xattr *x = ino->xattrs; r == 0 && x; x = x->next)
		r = list_add(buf, size, &len, x->name);
	return r < 0 ? r : (long)len;
}

static long listxattr_common(int fd, uptr pathname, bool follow, uptr ulist, size_t size)
{
	struct target t;
	char *buf = NULL;
	long ret;

	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	if (size && !(buf = kmalloc(size)))
		return -ENOMEM;
	ret = fd >= 0 ? target_fd(fd, &t) : target_path(pathname, follow, &t);
	if (ret == 0) {
		ret = do_list(t.ino, buf, size);
		target_put(&t);
	}
	if (ret == -ERANGE && size >= XATTR_LIST_MAX)
		ret = -E2BIG;
	if (ret > 0 && size && copy_to_user(ulist, buf, (size_t)ret) < 0)
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

/* sys_listxattr lists the attribute names of pathname (following
 * symlinks); size 0 asks for the list's length. */
long sys_listxattr(uptr pathname, uptr list, size_t size)
{
	return listxattr_common(-1, pathname, true, list, size);
}

/* sys_llistxattr is listxattr on a symlink itself. */
long sys_llistxattr(uptr pathname, uptr list, size_t size)
{
	return listxattr_common(-1, pathname, false, list, size);
}

/* sys_flistxattr is listxattr on the file open on fd (not O_PATH). */
long sys_flistxattr(int fd, uptr list, size_t size)
{
	return listxattr_common(fd < 0 ? BAD_FD : fd, (uptr){ 0 }, false, list, size);
}

/* vfs_removexattr on a found inode (vfs_lock held). */
static long do_remove(struct inode *ino, const char *name)
{
	struct xattr **pp, *x;
	bool found;
	long r;

	if (ino->sb->rdonly)
		return -EROFS;
	if (ino->sb->xattr == SB_XATTR_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (is_acl_name(name))
		return acl_set(ino, name, false, NULL, 0);
	if ((r = xattr_permission(ino, name, MAY_WRITE)) < 0)
		return r;
	if (has_prefix(name, "security.") && strcmp(name, CAPS_NAME) != 0 && !capable_sys_admin())
		return -EPERM;
	if (ino->sb->xattr == SB_XATTR_OPS)
		return ino->sb->ops->removexattr(ino, name);
	if ((r = resolve_name(ino, name)) < 0)
		return r;
	pp = xattr_find(ino, name, &found);
	if (!found)
		return -ENODATA;
	x = *pp;
	*pp = x->next;
	kfree(x->value);
	kfree(x);
	inode_touch(ino, false, false, true);
	return 0;
}

static long removexattr_common(int fd, uptr pathname, bool follow, uptr uname)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;
	long ret;

	if ((ret = import_name(uname, name)) < 0)
		return ret;
	ret = fd >= 0 ? target_fd(fd, &t) : target_path(pathname, follow, &t);
	if (ret == 0) {
		ret = do_remove(t.ino, name);
		target_put(&t);
	}
	return ret;
}

/* sys_removexattr removes name from pathname (following symlinks). */
long sys_removexattr(uptr pathname, uptr name)
{
	return removexattr_common(-1, pathname, true, name);
}

/* sys_lremovexattr is removexattr on a symlink itself. */
long sys_lremovexattr(uptr pathname, uptr name)
{
	return removexattr_common(-1, pathname, false, name);
}

/* sys_fremovexattr is removexattr on the file open on fd (not O_PATH). */
long sys_fremovexattr(int fd, uptr name)
{
	return removexattr_common(fd < 0 ? BAD_FD : fd, (uptr){ 0 }, false, name);
}
