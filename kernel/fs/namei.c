/* Path walk: components, "." and "..", mount crossings, symlinks (at most
 * MAXSYMLINKS per walk, then ELOOP) and the *at starting points. All under
 * vfs_lock. */
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

struct walk {
	struct path cur;   /* referenced */
	struct path root;  /* the process root (the scope of a scoped walk), not referenced */
	struct path scope; /* referenced start of a scoped walk, or NULL */
	unsigned flags;    /* LOOKUP_* */
	int nlinks;
	int link_depth; /* symlink bodies being walked */
	char *bufs[MAXSYMLINKS + 1];
	int nbufs;
};

long getname(uptr name, bool allow_empty, char **out)
{
	char *buf = kmalloc(PATH_MAX);
	long n;

	if (!buf)
		return -ENOMEM;
	n = strncpy_from_user(buf, name, PATH_MAX);
	if (n < 0 || n == PATH_MAX || (n == 0 && !allow_empty)) {
		kfree(buf);
		return n < 0 ? n : n == PATH_MAX ? -ENAMETOOLONG : -ENOENT;
	}
	*out = buf;
	return n;
}

static void walk_done(struct walk *w)
{
	path_put(&w->cur);
	w->cur.dentry = NULL;
	path_put(&w->scope);
	w->scope.dentry = NULL;
	for (int i = 0; i < w->nbufs; i++)
		kfree(w->bufs[i]);
	w->nbufs = 0;
}

static void set_cur(struct walk *w, struct path p)
{
	path_put(&w->cur);
	w->cur = p; /* takes p's reference */
}

/* Crosses mounts stacked on p->dentry (p is referenced). */
static void cross_mounts(struct path *p)
{
	while (p->dentry->mounted) {
		struct mount *m = p->dentry->mounted;

		dput(p->dentry);
		p->mnt = m;
		p->dentry = dget(m->root);
	}
}

/* The inode the walk's latest lookup refreshed from its backing store
 * (vfs_walk_refreshed); reset at every walk's start. */
static const struct inode *walk_fresh;

bool vfs_walk_refreshed(const struct inode *ino)
{
	bool fresh = ino == walk_fresh;

	walk_fresh = NULL;
	return fresh;
}

/* The open intent (do_filp_open sets it around its walk and open), whether
 * the lookup in progress is the walk's last component, and the walk count. */
static long open_intent = -1;
static bool walk_last;
static u64 walk_gen;

long vfs_open_intent(void)
{
	return open_intent;
}

bool vfs_walk_last(void)
{
	return walk_last;
}

u64 vfs_walk_gen(void)
{
	return walk_gen;
}

void vfs_set_open_intent(long flags)
{
	open_intent = flags;
}

static long open_flags = -1;

long vfs_open_flags(void)
{
	return open_flags;
}

void vfs_set_open_flags(long flags)
{
	open_flags = flags;
}

long lookup_child(struct path *dir, const char *name, size_t len, struct path *out)
{
	struct inode *di = dir->dentry->inode;
	struct dentry *d = d_lookup_cached(dir->dentry, name, len);
	struct inode *ino = NULL;
	bool refreshes = di->iops && di->iops->lookup_refreshes;
	long r;

	if (d && di->iops && di->iops->revalidate && !di->iops->revalidate(di, d)) {
		dget(d);
		d_unlink(d);
		dput(d);
		d = NULL;
	}
	/* a mount point is not asked (hostfs_revalidate keeps it as it is);
	 * under an open intent the check may have been left to the open */
	walk_fresh = d && refreshes && !d->mounted && open_intent < 0 ? d->inode : NULL;
	if (!d) {
		if (!di->iops || !di->iops->lookup)
			return -ENOENT;
		if ((r = di->iops->lookup(di, name, len, &ino)) < 0)
			return r;
		d = dentry_new(dir->dentry, name, len);
		if (!d) {
			iput(ino);
			return -ENOMEM;
		}
		d_link(d, ino);
		dput(d); /* the link reference keeps it cached */
		walk_fresh = refreshes && open_intent < 0 ? ino : NULL;
	}
	out->mnt = dir->mnt;
	out->dentry = dget(d);
	cross_mounts(out);
	return 0;
}

static long step_dotdot(struct walk *w)
{
	struct path p = w->cur;

	if (p.mnt == w->root.mnt && p.dentry == w->root.dentry && (w->flags & LOOKUP_BENEATH))
		return -EXDEV; /* RESOLVE_BENEATH: ".." may not leave the starting directory */
	if ((w->flags & LOOKUP_NO_XDEV) && p.dentry == p.mnt->root && p.mnt->parent &&
	    !(p.mnt == w->root.mnt && p.dentry == w->root.dentry))
		return -EXDEV;
	while (!(p.mnt == w->root.mnt && p.dentry == w->root.dentry)) {
		if (p.dentry != p.mnt->root) {
			p.dentry = p.dentry->parent;
			break;
		}
		if (!p.mnt->parent)
			break;
		p.dentry = p.mnt->mountpoint;
		p.mnt = p.mnt->parent;
	}
	path_get(&p);
	set_cur(w, p);
	cross_mounts(&w->cur);
	return 0;
}

static long walk_path(struct walk *w, const char *s, bool follow_last, bool want_dir);

/* w->cur is the directory holding the symlink at link; resolves its body. */
static long follow_link(struct walk *w, struct path *link)
{
	struct inode *ino = link->dentry->inode;
	char *body;
	long n;

	if (++w->nlinks > MAXSYMLINKS)
		return -ELOOP;
	if (w->flags & LOOKUP_NO_SYMLINKS)
		return -ELOOP;
	if (ino->iops && ino->iops->get_link) {
		struct path to;
		long r;

		/* Linux's nd_jump_link: magic links are refused in scoped walks */
		if (w->flags & LOOKUP_NO_MAGICLINKS)
			return -ELOOP;
		if (w->flags & (LOOKUP_BENEATH | LOOKUP_IN_ROOT))
			return -EXDEV;
		if ((r = ino->iops->get_link(ino, &to)) < 0)
			return r;
		if ((w->flags & LOOKUP_NO_XDEV) && to.mnt != w->cur.mnt) {
			path_put(&to);
			return -EXDEV;
		}
		set_cur(w, to);
		return 0;
	}
	if (!ino->iops || !ino->iops->readlink)
		return -EINVAL;
	body = kmalloc(PATH_MAX);
	if (!body)
		return -ENOMEM;
	w->bufs[w->nbufs++] = body;
	n = ino->iops->readlink(ino, body, PATH_MAX - 1);
	if (n < 0)
		return n;
	body[n] = 0;
	if (n == 0)
		return -ENOENT;
	w->link_depth++;
	n = walk_path(w, body, true, false);
	w->link_depth--;
	return n;
}

/* Linux's may_lookup: the current directory must be searchable before any
 * component in it is looked at, the last one included. */
static long may_lookup(struct walk *w)
{
	if (!S_ISDIR(w->cur.dentry->inode->mode))
		return -ENOTDIR;
	return inode_permission(w->cur.dentry->inode, MAY_EXEC);
}

/* Moves w->cur (checked by may_lookup) to its child name, following a
 * symlink when asked. */
static long step(struct walk *w, const char *name, size_t len, bool follow)
{
	struct path child;
	long r;

	if (len == 1 && name[0] == '.')
		return 0;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return step_dotdot(w);
	if ((r = lookup_child(&w->cur, name, len, &child)) < 0)
		return r;
	if ((w->flags & LOOKUP_NO_XDEV) && child.mnt != w->cur.mnt) {
		path_put(&child);
		return -EXDEV;
	}
	if (follow && S_ISLNK(child.dentry->inode->mode)) {
		r = follow_link(w, &child);
		path_put(&child);
		return r;
	}
	set_cur(w, child);
	return 0;
}

/* Splits off the next component of *s: returns its length, and sets *last
 * and *trailing when nothing but slashes follows it. */
static size_t next_component(const char **s, const char **comp, bool *last, bool *trailing)
{
	const char *p = *s, *e = p;
	size_t len;

	while (*e && *e != '/')
		e++;
	len = (size_t)(e - p);
	*comp = p;
	*trailing = *e == '/';
	while (*e == '/')
		e++;
	*last = *e == 0;
	*s = e;
	return len;
}

/* Walks every component of s up to its last, which is left in *pl-like
 * out parameters (not resolved). */
static long walk_parent(struct walk *w, const char *s, const char **last, size_t *last_len,
			enum last_type *type, bool *trailing)
{
	if (*s == '/') {
		if (w->flags & LOOKUP_BENEATH)
			return -EXDEV;
		path_get(&w->root);
		set_cur(w, w->root);
		while (*s == '/')
			s++;
		if (!*s) {
			*last = s;
			*last_len = 0;
			*type = LAST_ROOT;
			*trailing = false;
			return 0;
		}
	}
	while (true) {
		const char *comp;
		bool is_last, slash;
		size_t len = next_component(&s, &comp, &is_last, &slash);
		long r;

		if ((r = may_lookup(w)) < 0)
			return r;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (is_last) {
			*last = comp;
			*last_len = len;
			*trailing = slash;
			*type = (len == 1 && comp[0] == '.')                     ? LAST_DOT
				: (len == 2 && comp[0] == '.' && comp[1] == '.') ? LAST_DOTDOT
										 : LAST_NORM;
			return 0;
		}
		walk_last = false; /* a name on the way (also inside a symlink's body) */
		if ((r = step(w, comp, len, true)) < 0)
			return r;
	}
}

static long walk_path(struct walk *w, const char *s, bool follow_last, bool want_dir)
{
	const char *last;
	size_t len;
	enum last_type type;
	bool trailing;
	long r;

	if ((r = walk_parent(w, s, &last, &len, &type, &trailing)) < 0)
		return r;
	walk_last = w->link_depth == 0;
	r = type != LAST_ROOT ? step(w, last, len, follow_last || trailing) : 0;
	walk_last = false;
	if (r < 0)
		return r;
	if ((want_dir || trailing) && !S_ISDIR(w->cur.dentry->inode->mode))
		return -ENOTDIR;
	return 0;
}

/* The starting point of a walk: the root, the cwd, or dfd. */
static long walk_init(struct walk *w, int dfd, const char *name, unsigned flags)
{
	memset(w, 0, sizeof *w);
	walk_fresh = NULL;
	walk_last = false;
	walk_gen++;
	w->root = current_proc.root;
	w->flags = flags;
	if (flags & (LOOKUP_BENEATH | LOOKUP_IN_ROOT)) {
		/* the scope is dfd (or the cwd), also for an absolute name */
		long r = 0;

		if (dfd == AT_FDCWD) {
			w->scope = current_proc.cwd;
			path_get(&w->scope);
		} else if ((r = fd_path(dfd, &w->scope)) < 0) {
			return r;
		}
		if (name[0] && !S_ISDIR(w->scope.dentry->inode->mode)) {
			walk_done(w);
			return -ENOTDIR;
		}
		w->root = w->scope;
		w->cur = w->scope;
		path_get(&w->cur);
		return 0;
	}
	if (name[0] == '/') {
		w->cur = w->root;
	} else if (dfd == AT_FDCWD) {
		w->cur = current_proc.cwd;
	} else {
		long r = fd_path(dfd, &w->cur);

		if (r < 0)
			return r;
		if (name[0] && !S_ISDIR(w->cur.dentry->inode->mode))
			r = -ENOTDIR;
		else if (!name[0] && !(flags & LOOKUP_EMPTY))
			r = -ENOENT;
		if (r < 0)
			walk_done(w);
		return r;
	}
	path_get(&w->cur);
	return 0;
}

long path_lookupat(int dfd, const char *name, unsigned flags, struct path *out)
{
	struct walk w;
	long r = walk_init(&w, dfd, name, flags);

	if (r < 0)
		return r;
	if (name[0])
		r = walk_path(&w, name, flags & LOOKUP_FOLLOW, flags & LOOKUP_DIRECTORY);
	else if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(w.cur.dentry->inode->mode))
		r = -ENOTDIR;
	if (r == 0) {
		*out = w.cur;
		path_get(out);
	}
	walk_done(&w);
	return r;
}

long path_parentat(int dfd, const char *name, unsigned flags, struct parent_lookup *pl)
{
	struct walk w;
	long r = walk_init(&w, dfd, name, flags);

	memset(pl, 0, sizeof *pl);
	if (r < 0)
		return r;
	r = walk_parent(&w, name, &pl->last, &pl->last_len, &pl->type, &pl->trailing_slash);
	if (r == 0 && !S_ISDIR(w.cur.dentry->inode->mode))
		r = -ENOTDIR;
	if (r == 0) {
		pl->dir = w.cur;
		path_get(&pl->dir);
	}
	walk_done(&w);
	return r;
}

void parent_lookup_put(struct parent_lookup *pl)
{
	path_put(&pl->dir);
	pl->dir.dentry = NULL;
	kfree(pl->buf);
	pl->buf = NULL;
}

long path_create_lookup_flags(int dfd, const char *name, unsigned flags, bool follow, bool excl,
			      struct path *out, struct parent_lookup *pl)
{
	struct walk w;
	const char *last;
	size_t len;
	enum last_type type;
	bool trailing;
	struct path found;
	long r = walk_init(&w, dfd, name, flags);

	memset(pl, 0, sizeof *pl);
	out->dentry = NULL;
	if (r < 0)
		return r;
	r = walk_parent(&w, name, &last, &len, &type, &trailing);
	while (r == 0) {
		if (type != LAST_NORM || trailing) {
			r = -EISDIR;
			break;
		}
		r = lookup_child(&w.cur, last, len, &found);
		if (r == -ENOENT) {
			/* to be created: hand over the parent and a copy of the name */
			pl->buf = kstrndup(last, len);
			if (!pl->buf) {
				r = -ENOMEM;
				break;
			}
			pl->last = pl->buf;
			pl->last_len = len;
			pl->type = LAST_NORM;
			pl->dir = w.cur;
			path_get(&pl->dir);
			r = 0;
			break;
		}
		if (r < 0)
			break;
		if (!S_ISLNK(found.dentry->inode->mode) || !follow || excl) {
			*out = found;
			break;
		}
		/* O_CREAT through a symlink: its target is what gets opened or made */
		r = -ELOOP;
		if (found.dentry->inode->iops && found.dentry->inode->iops->get_link) {
			/* a magic link names an existing file: jump to it */
			r = follow_link(&w, &found);
			path_put(&found);
			if (r == 0) {
				*out = w.cur;
				path_get(out);
			}
			break;
		}
		if (++w.nlinks <= MAXSYMLINKS && !(flags & LOOKUP_NO_SYMLINKS)) {
			struct inode *ino = found.dentry->inode;
			char *body = kmalloc(PATH_MAX);
			long n = body ? ino->iops->readlink(ino, body, PATH_MAX - 1) : -ENOMEM;

			if (body)
				w.bufs[w.nbufs++] = body;
			r = n < 0 ? n : n == 0 ? -ENOENT : 0;
			if (r == 0) {
				body[n] = 0;
				r = walk_parent(&w, body, &last, &len, &type, &trailing);
			}
		}
		path_put(&found);
	}
	walk_done(&w);
	return r;
}
