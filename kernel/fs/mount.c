/* The mount tree: the root mount, mounts at a path, a mount that becomes
 * the new root (abi-run's --root, hostfs at "/"), and shutdown. Mounts live
 * until vfs_shutdown (no umount yet). */
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

static struct list mounts = LIST_INIT(mounts);
static struct mount *root_mount;
static int next_mount_id;

static struct mount *mount_new(struct super_block *sb, struct dentry *root, const char *source,
			       const char *fstype)
{
	struct mount *m = kzalloc(sizeof *m);

	if (!m)
		return NULL;
	m->id = ++next_mount_id;
	m->sb = sb;
	m->root = root; /* takes the caller's reference */
	m->source = kstrndup(source, strlen(source));
	m->fstype = kstrndup(fstype, strlen(fstype));
	list_add_tail(&m->link, &mounts);
	return m;
}

long vfs_mount_root(struct super_block *sb, struct dentry *root)
{
	root_mount = mount_new(sb, root, "none", "ramfs");
	if (!root_mount)
		return -ENOMEM;
	root_mount->mountpoint = dget(root);
	return 0;
}

long vfs_mount_at(const struct path *where, struct super_block *sb, struct dentry *root,
		  const char *source, const char *fstype)
{
	struct mount *m;

	if (where->dentry->mounted)
		return -EBUSY;
	m = mount_new(sb, root, source, fstype);
	if (!m)
		return -ENOMEM;
	m->parent = where->mnt;
	m->mountpoint = dget(where->dentry);
	where->dentry->mounted = m;
	return 0;
}

/* Moves m, a mount on the old root's top directory (/dev, /proc), onto the
 * same name in the new root mount, when that is a directory there. */
static void move_onto(struct mount *m, struct mount *from, struct mount *to)
{
	struct dentry *mp = m->mountpoint;
	struct path in_new;

	if (m->parent != from || m == to || mp->parent != from->root || mp == from->root)
		return;
	in_new = (struct path){ to, to->root };
	if (lookup_child(&in_new, mp->name, mp->len, &in_new) < 0)
		return;
	if (in_new.mnt == to && S_ISDIR(in_new.dentry->inode->mode) && !in_new.dentry->mounted) {
		mp->mounted = NULL;
		dput(mp);
		m->parent = to;
		m->mountpoint = dget(in_new.dentry);
		in_new.dentry->mounted = m;
	}
	path_put(&in_new);
}

long vfs_mount_over_root(struct super_block *sb, struct dentry *root, const char *source,
			 const char *fstype)
{
	struct path old = current_proc.root, nr;
	struct mount *to;
	struct list *pos;
	long r;

	if ((r = vfs_mount_at(&old, sb, root, source, fstype)) < 0)
		return r;
	to = old.dentry->mounted;
	nr = (struct path){ to, to->root };
	list_for_each(pos, &mounts)
		move_onto(list_entry(pos, struct mount, link), old.mnt, to);
	if (current_proc.cwd.mnt == old.mnt && current_proc.cwd.dentry == old.dentry) {
		path_put(&current_proc.cwd);
		path_get(&nr);
		current_proc.cwd = nr;
	}
	path_get(&nr);
	current_proc.root = nr;
	path_put(&old);
	return 0;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg)
{
	struct list *pos;

	list_for_each(pos, &mounts)
		fn(list_entry(pos, struct mount, link), arg);
}

struct path vfs_root(void)
{
	return (struct path){ root_mount, root_mount ? root_mount->root : NULL };
}

/* Frees every dentry below d that only the tree keeps alive. */
static void prune(struct dentry *d)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		dget(c);
		prune(c);
		d_unlink(c);
		dput(c);
	}
}

void vfs_shutdown(void)
{
	struct list *pos, *tmp;

	/* abi_reset frees the whole heap afterwards; this only keeps the
	 * objects consistent for anything that runs before that. */
	list_for_each_safe(pos, tmp, &mounts) {
		struct mount *m = list_entry(pos, struct mount, link);

		if (m->mountpoint)
			m->mountpoint->mounted = NULL;
	}
	list_for_each_safe(pos, tmp, &mounts) {
		struct mount *m = list_entry(pos, struct mount, link);

		prune(m->root);
		list_del(&m->link);
		dput(m->mountpoint);
		dput(m->root);
		if (m->sb->ops && m->sb->ops->destroy)
			m->sb->ops->destroy(m->sb);
		kfree(m->source);
		kfree(m->fstype);
		kfree(m);
	}
	root_mount = NULL;
	next_mount_id = 0;
}
