/* flock: advisory whole-file locks owned by open file descriptions, within
 * the one process. A lock conflicts with locks of other open files on the
 * same inode (shared with shared never does); converting a lock is not
 * atomic, as on Linux. The last close of an open file drops its lock. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lock.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

#define LOCK_MAND 32

struct flock_entry {
	struct list link;
	struct inode *inode; /* not referenced: the owning file keeps it alive */
	struct file *owner;
	bool exclusive;
};

static struct list flocks = LIST_INIT(flocks);
static struct kmutex flock_lock = KMUTEX_INIT;
static u32 flock_gen; /* bumped on every release, for waiters */

static struct flock_entry *find_own(struct file *f)
{
	struct list *pos;

	list_for_each(pos, &flocks) {
		struct flock_entry *e = list_entry(pos, struct flock_entry, link);

		if (e->owner == f)
			return e;
	}
	return NULL;
}

static bool conflicts(struct file *f, bool exclusive)
{
	struct list *pos;

	list_for_each(pos, &flocks) {
		struct flock_entry *e = list_entry(pos, struct flock_entry, link);

		if (e->owner != f && e->inode == f->inode && (exclusive || e->exclusive))
			return true;
	}
	return false;
}

/* Drops f's lock; flock_lock held. */
static void unlock_own(struct file *f)
{
	struct flock_entry *e = find_own(f);

	if (!e)
		return;
	list_del(&e->link);
	kfree(e);
	__atomic_add_fetch(&flock_gen, 1, __ATOMIC_RELEASE);
	plat_wake(&flock_gen, 1 << 30);
}

void locks_remove_file(struct file *f)
{
	if (list_empty(&flocks))
		return;
	kmutex_lock(&flock_lock);
	unlock_own(f);
	kmutex_unlock(&flock_lock);
}

/* Takes (or converts to) a lock of the given kind, waiting unless nb. */
static long lock_file(struct file *f, bool exclusive, bool nb)
{
	struct flock_entry *e;
	long ret = 0;

	kmutex_lock(&flock_lock);
	e = find_own(f);
	if (e && e->exclusive == exclusive)
		goto out;
	/* Linux's flock_lock_inode drops the old lock before it waits */
	unlock_own(f);
	while (conflicts(f, exclusive)) {
		u32 gen = __atomic_load_n(&flock_gen, __ATOMIC_ACQUIRE);

		if (nb) {
			ret = -EWOULDBLOCK;
			goto out;
		}
		kmutex_unlock(&flock_lock);
		plat_wait(&flock_gen, gen, -1);
		kmutex_lock(&flock_lock);
	}
	e = kzalloc(sizeof *e);
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	e->inode = f->inode;
	e->owner = f;
	e->exclusive = exclusive;
	list_add_tail(&e->link, &flocks);
out:
	kmutex_unlock(&flock_lock);
	return ret;
}

/* sys_flock applies or removes an advisory lock on fd's open file. */
long sys_flock(unsigned int fd, unsigned int cmd)
{
	unsigned int op = cmd & ~(unsigned int)LOCK_NB;
	struct file *f;
	long ret;

	/* Linux ignores LOCK_MAND (never enforced), whatever else is asked */
	if (cmd & LOCK_MAND)
		return 0;
	/* the command is checked before the descriptor, as on Linux */
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return -EINVAL;
	f = fget((int)fd);
	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		ret = -EBADF;
		goto out;
	}
	if (op == LOCK_UN) {
		locks_remove_file(f);
		ret = 0;
	} else {
		ret = lock_file(f, op == LOCK_EX, cmd & LOCK_NB);
	}
out:
	fput(f);
	return ret;
}

void locks_reset(void)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &flocks) {
		list_del(pos);
		kfree(list_entry(pos, struct flock_entry, link));
	}
	list_init(&flocks);
	flock_lock = (struct kmutex)KMUTEX_INIT;
	flock_gen = 0;
}
