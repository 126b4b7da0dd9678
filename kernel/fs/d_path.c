/* Names of paths: the dentry chain up to the process root, crossing mounts. */
#include <kernel/proc.h>
#include <kernel/vfs.h>

bool d_unlinked(const struct dentry *d)
{
	return !d->linked && d->parent != d;
}

long d_path(const struct path *p, char *buf, size_t size, char **start)
{
	struct path cur = *p;
	struct path root = current_proc.root;
	char *end = buf + size;
	bool reachable = true;

	if (size == 0)
		return -ENAMETOOLONG;
	*--end = 0;
	while (!(cur.dentry == root.dentry && cur.mnt == root.mnt)) {
		struct dentry *d = cur.dentry;

		if (d == cur.mnt->root) {
			if (!cur.mnt->parent) {
				reachable = false; /* outside the process root (chroot) */
				break;
			}
			cur.dentry = cur.mnt->mountpoint;
			cur.mnt = cur.mnt->parent;
			continue;
		}
		if ((size_t)(end - buf) < d->len + 1)
			return -ENAMETOOLONG;
		end -= d->len;
		memcpy(end, d->name, d->len);
		*--end = '/';
		cur.dentry = d->parent;
	}
	if (*end == 0) {
		if (end == buf)
			return -ENAMETOOLONG;
		*--end = '/';
	}
	if (!reachable) {
		static const char prefix[] = "(unreachable)";

		if ((size_t)(end - buf) < sizeof prefix - 1)
			return -ENAMETOOLONG;
		end -= sizeof prefix - 1;
		memcpy(end, prefix, sizeof prefix - 1);
	}
	*start = end;
	return (long)(buf + size - end); /* with the NUL */
}
