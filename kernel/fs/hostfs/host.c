/* hostfs: confined host access. The host is only ever asked about names
 * below the mount's host directory, by a walk that cannot leave it: every
 * operation finds the host directory that holds its file (hostfs_host_dir)
 * and then acts on a single name there with the *at call's no-follow form,
 * or on a descriptor of the file itself. The directory is reached from the
 * nearest directory whose descriptor is cached (the mount's root fd at
 * worst) by openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS over the names of the guest's dentries (never "."
 * or "..", never a '/'), and checked to be the directory the guest looked
 * up (type and inode number). So the host never resolves a "..", a symlink
 * or a /proc magic link on the guest's behalf, however the names are
 * swapped meanwhile: symlinks are read verbatim and resolved by the guest's
 * path walk in the guest namespace, and ".." at the mount root leads to the
 * guest parent as at any mount point. A host without openat2 (Linux before
 * 5.6; probed once, hostfs_race_free) gets the same walk one name at a time
 * with O_PATH | O_DIRECTORY | O_NOFOLLOW. Other host descriptors are per
 * open file (hostfs_open_fd), or opened for one call (hostfs_own_fd). */
#include <kernel/hostfs.h>
#include "internal.h"

/* openat2 on the host: -1 not probed yet, 0 no, 1 yes. */
static int have_beneath = -1;

static bool beneath(void)
{
	/* a bad descriptor: EBADF where the call exists, ENOSYS where not */
	if (have_beneath < 0)
		have_beneath = plat_host_openat_beneath(-1, "x", O_PATH) != -ENOSYS;
	return have_beneath;
}

bool hostfs_race_free(void)
{
	return beneath() && plat_host_has_fchmodat2();
}

/* Host descriptors of directories, cached by inode: an O_PATH fd opened
 * through the confined walk and checked to be the inode's directory (type
 * and inode number). An entry stays good while its inode lives (freeing
 * the inode drops it): like a Linux process's working directory it follows
 * its directory wherever that is renamed, so an operation in a directory
 * costs the same at any depth, one host call for the name it acts on. A
 * dentry the host has removed or replaced fails revalidation the next time
 * the guest walks through its name, and hostfs_prune unlinks it and
 * everything cached below it, so their descriptors are no longer used. The
 * entries are few and replaced least recently used first, so a large tree
 * does not hold a host fd per directory; a miss walks down from the
 * nearest cached ancestor. vfs_lock guards the table. */
#define DIRFDS 64

static struct dirfd {
	struct inode *ino; /* NULL: a free slot */
	int fd;
	unsigned int pins; /* hostfs_host_dir results not yet hostfs_host_put */
	u64 used;          /* the last use, for eviction */
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
	*victim = (struct dirfd){ ino, fd, 0, ++dirfd_clock };
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

/* hostfs_host_dir results that are an open directory's own host fd
 * (borrowed from the guest's open file, which keeps it open). */
static struct borrow {
	int fd;
	unsigned int n;
} borrows[4];

static bool borrow(int fd)
{
	struct borrow *free = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(borrows); i++) {
		if (borrows[i].n && borrows[i].fd == fd) {
			borrows[i].n++;
			return true;
		}
		if (!borrows[i].n && !free)
			free = &borrows[i];
	}
	if (free)
		*free = (struct borrow){ fd, 1 };
	return free != NULL;
}

/* Releases what hostfs_host_dir gave: the root fd, cached fds and borrowed
 * ones stay open. */
void hostfs_host_put(struct hostfs_sb *hs, int fd)
{
	if (fd < 0 || fd == hs->rootfd)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(borrows); i++)
		if (borrows[i].n && borrows[i].fd == fd) {
			borrows[i].n--;
			return;
		}
	for (size_t i = 0; i < DIRFDS; i++)
		if (dirfds[i].ino && dirfds[i].fd == fd) {
			dirfds[i].pins--;
			return;
		}
	plat_host_close(fd);
}

/* From the host directory fd down path (names joined by '/') to dir's
 * directory: its fd, checked to be dir's. *owned says the caller must
 * close it (it is not cached). */
static long host_down(int fd, const char *path, struct dentry *dir, int *next, bool *owned)
{
	const int fl = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct plat_stat st;
	long r = beneath() ? plat_host_openat_beneath(fd, path, fl)
			   : plat_host_openat(fd, path, fl, 0);

	if (r < 0)
		return r;
	if (plat_host_fstatat((int)r, "", &st, AT_EMPTY_PATH) < 0 || st.ino != dir->inode->ino ||
	    !S_ISDIR(st.mode)) {
		plat_host_close((int)r);
		return -ENOENT;
	}
	*next = (int)r;
	*owned = !dirfd_keep(dir->inode, (int)r);
	return 0;
}

bool hostfs_pending(const struct dentry *d)
{
	return d->inode && HI(d->inode)->pending == vfs_walk_gen();
}

/* Checks on the host, from the top down, the names above dir that this
 * walk passed unchecked (hostfs_pending): -ESTALE under an open intent
 * (do_filp_open walks again, checking each name), else -ENOENT, when one is
 * no longer the file it was (it is pruned). They are a run from dir up:
 * a walk goes down, and whatever checks a name checks those above it
 * first, so the first name not pending ends the run (and a walk from a
 * deep working directory does not climb to the root). */
static long verify_pending(struct hostfs_sb *hs, struct dentry *dir)
{
	for (;;) {
		struct dentry *top = NULL;

		for (struct dentry *x = dir;
		     x != hs->root && x->linked && x->parent != x && hostfs_pending(x);
		     x = x->parent)
			top = x;
		if (!top)
			return 0;
		HI(top->inode)->pending = 0;
		if (!hostfs_check_name(top))
			return vfs_open_intent() >= 0 ? -ESTALE : -ENOENT;
	}
}

/* The longest path openat2 is given at once (the host's PATH_MAX is 4096):
 * a deeper chain goes down in several steps. */
#define CHUNK_MAX 4000

/* The host directory of dir (a dentry of this mount): its cached fd, else
 * the walk down from the nearest cached ancestor (or the mount's root),
 * checked at the end (and at each step of a long chain, each cached).
 * Release with hostfs_host_put. -ENOENT when dir or an ancestor up to that
 * one was removed or is no longer the directory it was. */
long hostfs_host_dir(struct hostfs_sb *hs, struct dentry *dir, int *out)
{
	struct dentry *chain[64], **names = chain;
	size_t n = 0, cap = ARRAY_SIZE(chain);
	char *path = NULL;
	bool owned = false, borrowed = false;
	int fd = hs->rootfd, ofd;
	long r = verify_pending(hs, dir);

	if (r < 0)
		return r;
	for (struct dentry *x = dir; x != hs->root; x = x->parent) {
		struct dirfd *c;

		if (!x->linked || x->parent == x) {
			r = -ENOENT;
			goto out;
		}
		if ((c = dirfd_find(x->inode))) {
			fd = c->fd;
			break;
		}
		/* a directory the guest has open: its own host fd, which is the
		 * directory as a cached one would be (and follows it likewise) */
		if ((ofd = hostfs_open_fd(x->inode, false)) >= 0 && (x != dir || borrow(ofd))) {
			fd = ofd;
			borrowed = x == dir;
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
	if (n > 0 && !(path = kmalloc(CHUNK_MAX + NAME_MAX + 2))) {
		r = -ENOMEM;
		goto out;
	}
	while (n > 0) {
		size_t len = 0;
		int next;
		bool next_owned;

		/* as many names as fit (one per step without openat2) */
		do {
			struct dentry *x = names[--n];
			size_t l = strlen(x->name);

			if (len)
				path[len++] = '/';
			memcpy(path + len, x->name, l);
			len += l;
		} while (n > 0 && beneath() && len + 1 + strlen(names[n - 1]->name) <= CHUNK_MAX);
		path[len] = 0;
		r = host_down(fd, path, names[n], &next, &next_owned);
		if (owned)
			plat_host_close(fd);
		if (r < 0)
			goto out;
		fd = next;
		owned = next_owned;
	}
	if (!owned && !borrowed && fd != hs->rootfd) {
		struct dirfd *c = dirfd_find(dir->inode);

		if (c)
			c->pins++;
	}
	*out = fd;
out:
	kfree(path);
	if (names != chain)
		kfree(names);
	return r == -ENOTDIR || r == -ELOOP || r == -EXDEV ? -ENOENT : r;
}

/* The host directory holding d and d's name in it. */
long hostfs_host_parent(struct dentry *d, int *dfd)
{
	return hostfs_host_dir(HSB(d->parent->inode), d->parent, dfd);
}

/* The open intent: name in dir, opened by the path from the nearest
 * dentry this walk checked (or did not pass by name: where it started, the
 * mount's root, a directory reached by "..") down through the names it
 * left unchecked, in one host call: openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, as hostfs_host_dir walks.
 * A host without openat2, or a path longer than one call takes, checks the
 * names one by one first. */
long hostfs_intent_open(struct dentry *dir, const char *name, int flags, bool *chained)
{
	struct hostfs_sb *hs = HSB(dir->inode);
	struct dentry *anchor = dir;
	size_t len = strlen(name) + 1, pos;
	char *path;
	int afd;
	long r;

	*chained = false;
	while (anchor != hs->root && anchor->linked && anchor->parent != anchor &&
	       hostfs_pending(anchor)) {
		len += strlen(anchor->name) + 1;
		anchor = anchor->parent;
	}
	if (anchor != dir && (!beneath() || len > CHUNK_MAX))
		anchor = dir; /* hostfs_host_dir checks the names first */
	if ((r = hostfs_host_dir(hs, anchor, &afd)) < 0)
		return r;
	if (anchor == dir) {
		r = plat_host_openat(afd, name, flags, 0);
		hostfs_host_put(hs, afd);
		return r;
	}
	*chained = true;
	if (!(path = kmalloc(len))) {
		hostfs_host_put(hs, afd);
		return -ENOMEM;
	}
	pos = len - 1 - strlen(name);
	memcpy(path + pos, name, strlen(name) + 1);
	for (struct dentry *x = dir; x != anchor; x = x->parent) {
		size_t l = strlen(x->name);

		path[--pos] = '/';
		pos -= l;
		memcpy(path + pos, x->name, l);
	}
	r = plat_host_openat_beneath(afd, path, flags);
	hostfs_host_put(hs, afd);
	kfree(path);
	return r;
}

/* The fd the open intent's lookup or a create opened, for the open that
 * follows it in the same do_filp_open (or closed: by the next stash, a
 * mismatched open, or the inode's end). */
static struct {
	struct inode *ino; /* compared, never followed */
	int fd;
	int flags;
	u64 gen; /* the walk that opened it: only its own open takes it */
} stash = { NULL, -1, 0, 0 };

void hostfs_stash(struct inode *ino, int fd, int flags)
{
	if (stash.ino)
		plat_host_close(stash.fd);
	stash.ino = ino;
	stash.fd = fd;
	stash.flags = flags;
	stash.gen = vfs_walk_gen();
}

int hostfs_unstash(struct inode *ino, int flags)
{
	int fd = stash.fd;

	if (!stash.ino)
		return -1;
	if (stash.ino != ino || stash.gen != vfs_walk_gen() || vfs_open_flags() < 0 ||
	    (stash.flags & HOSTFS_OPEN_FLAGS) != (flags & HOSTFS_OPEN_FLAGS)) {
		plat_host_close(fd);
		fd = -1;
	}
	stash.ino = NULL;
	stash.fd = -1;
	return fd;
}

void hostfs_stash_drop(const struct inode *ino)
{
	if (stash.ino && stash.ino == ino) {
		plat_host_close(stash.fd);
		stash.ino = NULL;
		stash.fd = -1;
	}
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

/* A host fd on ino for chmod, chown and utimes: an open file's, a
 * directory's cached one (O_PATH, checked when cached), or one opened by
 * name without following (O_PATH for what cannot be read: fchownat and
 * utimensat take it with AT_EMPTY_PATH, fchmod does not). *tmp is set when
 * the caller must close it. */
static long attr_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = hostfs_alias(ino);
	int dfd, fl = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct dirfd *c;
	long r;

	*tmp = false;
	if ((*fd = hostfs_open_fd(ino, false)) >= 0)
		return 0;
	if (S_ISDIR(ino->mode) && (c = dirfd_find(ino))) {
		*fd = c->fd;
		return 0;
	}
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
 * host now has another file under its name (nothing is left to close). An
 * open file's descriptor and a cached directory's are that file (checked
 * when opened): no host call. */
long hostfs_own_fd(struct inode *ino, int *fd, bool *tmp)
{
	struct plat_stat st;
	long r = attr_fd(ino, fd, tmp);

	if (r == 0 && *tmp && (r = plat_host_fstatat(*fd, "", &st, AT_EMPTY_PATH)) == 0 &&
	    (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT)))
		r = -ENOENT;
	if (r < 0 && *tmp) {
		plat_host_close(*fd);
		*tmp = false;
	}
	return r;
}
