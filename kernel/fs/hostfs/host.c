/* hostfs: confined host access. The host is only ever asked about one name
 * in one directory. Every operation reopens the directory that holds its
 * file from the mount's host directory fd, one component at a time with
 * O_PATH | O_DIRECTORY | O_NOFOLLOW, using the names of the guest's dentries
 * (never "." or "..", never a '/'), and then acts on a single name with the
 * *at call's no-follow form. So the host never resolves a "..", a symlink or
 * a /proc magic link on the guest's behalf: symlinks are read verbatim and
 * resolved by the guest's path walk in the guest namespace, and ".." at the
 * mount root leads to the guest parent as at any mount point. A few
 * directory descriptors are cached, each trusted only within the walk that
 * verified it under its name (see struct dirfd), so a directory moved away
 * on the host is simply not found any more; other host descriptors are per
 * open file (hostfs_open_fd), or opened for one call (hostfs_own_fd). */
#include "internal.h"

/* Host descriptors of directories, cached by inode: an O_PATH fd opened
 * by name and checked to be the inode's directory (type and inode number).
 * An entry is trusted from the moment it is verified, i.e. its inode is
 * found under its name in a trusted parent (the mount's root fd always is),
 * until the next path walk begins (vfs_walk_gen): so within one walk, and
 * for operations on descriptors after it, which act on files the guest
 * already holds. hostfs_host_dir verifies an untrusted chain with one fstatat per
 * level, and revalidate marks what it checks on the way down, so a walk
 * costs one host call per component, and a directory the host moved out
 * of the mount fails verification under its old name. The
 * entries are few and replaced least recently used first, so a large tree
 * does not hold a host fd per directory. vfs_lock guards the table. */
#define DIRFDS 64

static struct dirfd {
	struct inode *ino; /* NULL: a free slot */
	int fd;
	unsigned int pins; /* hostfs_host_dir results not yet hostfs_host_put */
	u64 used;          /* the last use, for eviction */
	u64 walk;          /* the vfs_walk_gen that last verified it */
} dirfds[DIRFDS];
static u64 dirfd_clock;

static struct dirfd *dirfd_find(const struct inode *ino)
{
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino == ino) {
			dirfds[i].used = ++dirfd_clock;
			return &dirfds[i];
		}
	return NULL;
}

/* Caches fd for ino (just verified) in a free slot or the least recently
 * used unpinned one; NULL when every slot is pinned (the caller keeps fd). */
static struct dirfd *dirfd_keep(struct inode *ino, int fd)
{
	struct dirfd *victim = NULL;

	for (size_t i = 0; i < DIRFDS; i++) {
		struct dirfd *c = &dirfds[i];

		if (!c->ino) {
			victim = c;
			break;
		}
		if (!c->pins && (!victim || c->used < victim->used))
			victim = c;
	}
	if (!victim)
		return NULL;
	if (victim->ino)
		plat_host_close(victim->fd);
	*victim = (struct dirfd){ ino, fd, 0, ++dirfd_clock, vfs_walk_gen };
	return victim;
}

void hostfs_dirfd_drop(const struct inode *ino)
{
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino == ino) {
			plat_host_close(dirfds[i].fd);
			dirfds[i] = (struct dirfd){ 0 };
		}
}

static bool is_host_dir_of(const struct plat_stat *st, const struct inode *ino)
{
	return st->ino == ino->ino && S_ISDIR(st->mode);
}

void hostfs_dir_verified(const struct inode *ino)
{
	struct dirfd *c = dirfd_find(ino);

	if (c)
		c->walk = vfs_walk_gen;
}

/* Releases what hostfs_host_dir gave: the root fd and cached fds stay open. */
void hostfs_host_put(struct hostfs_sb *hs, int fd)
{
	if (fd < 0 || fd == hs->rootfd)
		return;
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino && dirfds[i].fd == fd) {
			dirfds[i].pins--;
			return;
		}
	plat_host_close(fd);
}

/* One level down from the trusted host directory fd: dir's fd, verified
 * under its name. *owned says the caller must close it (it is not cached). */
static long host_step(int fd, struct dentry *dir, int *next, bool *owned)
{
	struct dirfd *c = dirfd_find(dir->inode);
	struct plat_stat st;
	long r;

	if (c) {
		r = plat_host_fstatat(fd, dir->name, &st, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return r;
		if (!is_host_dir_of(&st, dir->inode))
			return -ENOENT;
		c->walk = vfs_walk_gen;
		*next = c->fd;
		*owned = false;
		return 0;
	}
	r = plat_host_openat(fd, dir->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (r < 0)
		return r;
	if (plat_host_fstatat((int)r, "", &st, AT_EMPTY_PATH) < 0 ||
	    !is_host_dir_of(&st, dir->inode)) {
		plat_host_close((int)r);
		return -ENOENT;
	}
	*next = (int)r;
	*owned = !dirfd_keep(dir->inode, (int)r);
	return 0;
}

/* The host directory of dir (a dentry of this mount): its cached fd when
 * this walk verified it, else the chain from the nearest trusted ancestor,
 * verified one name at a time. Release with hostfs_host_put. -ENOENT when dir or
 * an ancestor was removed or is no longer the directory it was. */
long hostfs_host_dir(struct hostfs_sb *hs, struct dentry *dir, int *out)
{
	struct dentry *chain[64], **names = chain;
	size_t n = 0, cap = ARRAY_SIZE(chain);
	bool owned = false;
	int fd = hs->rootfd;
	long r = 0;

	for (struct dentry *x = dir; x != hs->root; x = x->parent) {
		struct dirfd *c;

		if (!x->linked || x->parent == x) {
			r = -ENOENT;
			goto out;
		}
		if ((c = dirfd_find(x->inode)) && c->walk == vfs_walk_gen) {
			fd = c->fd;
			break;
		}
		if (n == cap) {
			struct dentry **more = kmalloc(2 * cap * sizeof *more);

			if (!more) {
				r = -ENOMEM;
				goto out;
			}
			memcpy(more, names, n * sizeof *more);
			if (names != chain)
				kfree(names);
			names = more;
			cap *= 2;
		}
		names[n++] = x;
	}
	while (n > 0) {
		int next;
		bool next_owned;

		r = host_step(fd, names[--n], &next, &next_owned);
		if (owned)
			plat_host_close(fd);
		if (r < 0)
			goto out;
		fd = next;
		owned = next_owned;
	}
	if (!owned && fd != hs->rootfd) {
		struct dirfd *c = dirfd_find(dir->inode);

		if (c)
			c->pins++;
	}
	*out = fd;
out:
	if (names != chain)
		kfree(names);
	return r == -ENOTDIR || r == -ELOOP ? -ENOENT : r;
}

/* The host directory holding d and d's name in it. */
long hostfs_host_parent(struct dentry *d, int *dfd)
{
	return hostfs_host_dir(HSB(d->parent->inode), d->parent, dfd);
}

/* A host fd of an open file on ino (writable when asked), an O_TMPFILE
 * file's own, or -1. */
int hostfs_open_fd(struct inode *ino, bool writable)
{
	struct list *pos;

	list_for_each(pos, &HI(ino)->files) {
		struct hostfs_file *hf = list_entry(pos, struct hostfs_file, link);

		if (!writable || hf->writable)
			return hf->fd;
	}
	return HI(ino)->tmpfd;
}

/* A host fd on ino for chmod, chown and utimes: an open file's, or one
 * opened by name without following (O_PATH for what cannot be read: fchownat
 * and utimensat take it with AT_EMPTY_PATH, fchmod does not). *tmp is set
 * when the caller must close it. */
static long attr_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = hostfs_alias(ino);
	int dfd, fl = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	long r;

	*tmp = false;
	if ((*fd = hostfs_open_fd(ino, false)) >= 0)
		return 0;
	if (d == hs->root) {
		/* readable when the host allows: fchmod refuses the O_PATH root fd,
		 * and the root has no name to chmod by */
		r = plat_host_openat(hs->rootfd, ".", fl | O_RDONLY | O_DIRECTORY, 0);
		*tmp = r >= 0;
		*fd = r >= 0 ? (int)r : hs->rootfd;
		return 0;
	}
	if (!d || !d->linked)
		return -ENOENT;
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	r = -EACCES;
	if (S_ISREG(ino->mode) || S_ISDIR(ino->mode))
		r = plat_host_openat(dfd, d->name, fl | O_RDONLY, 0);
	if (r < 0)
		r = plat_host_openat(dfd, d->name, fl | O_PATH, 0);
	hostfs_host_put(hs, dfd);
	if (r < 0)
		return r;
	*fd = (int)r;
	*tmp = true;
	return 0;
}

/* attr_fd, checked to be the file the guest looked up: -ENOENT when the
 * host now has another file under its name (nothing is left to close). */
long hostfs_own_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct plat_stat st;
	long r = attr_fd(ino, fd, tmp);

	if (r == 0 && (r = plat_host_fstatat(*fd, "", &st, AT_EMPTY_PATH)) == 0 &&
	    (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT)))
		r = -ENOENT;
	if (r < 0 && *tmp) {
		plat_host_close(*fd);
		*tmp = false;
	}
	return r;
}
