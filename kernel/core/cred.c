/* Identity: process and thread ids, user and group ids. The one process has
 * a fixed pid (it is not init: a parent, pid 1, is pretended). */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/task.h>

/* sys_getpid returns the process id. */
long sys_getpid(void)
{
	return current_proc.pid;
}

/* sys_gettid returns the calling thread's id (the pid for the first). */
long sys_gettid(void)
{
	return current->tid;
}

/* sys_getppid returns the parent's pid: there is none, so 1, as for orphans. */
long sys_getppid(void)
{
	return 1;
}

/* sys_getuid returns the real user id. */
long sys_getuid(void)
{
	return current_proc.cred.uid;
}

/* sys_geteuid returns the effective user id. */
long sys_geteuid(void)
{
	return current_proc.cred.euid;
}

/* sys_getgid returns the real group id. */
long sys_getgid(void)
{
	return current_proc.cred.gid;
}

/* sys_getegid returns the effective group id. */
long sys_getegid(void)
{
	return current_proc.cred.egid;
}

static long put_ids(uptr a, uptr b, uptr c, u32 x, u32 y, u32 z)
{
	if (copy_to_user(a, &x, sizeof x) < 0 || copy_to_user(b, &y, sizeof y) < 0 ||
	    copy_to_user(c, &z, sizeof z) < 0)
		return -EFAULT;
	return 0;
}

/* sys_getresuid stores the real, effective and saved user ids. */
long sys_getresuid(uptr ruid, uptr euid, uptr suid)
{
	const struct cred *c = &current_proc.cred;

	return put_ids(ruid, euid, suid, c->uid, c->euid, c->suid);
}

/* sys_getresgid stores the real, effective and saved group ids. */
long sys_getresgid(uptr rgid, uptr egid, uptr sgid)
{
	const struct cred *c = &current_proc.cred;

	return put_ids(rgid, egid, sgid, c->gid, c->egid, c->sgid);
}

/* sys_getgroups returns the number of supplementary groups, storing them
 * when gidsetsize is not 0 (EINVAL when it is too small). */
long sys_getgroups(int gidsetsize, uptr grouplist)
{
	const struct cred *c = &current_proc.cred;

	if (gidsetsize < 0)
		return -EINVAL;
	if (gidsetsize == 0)
		return c->ngroups;
	if ((u32)gidsetsize < c->ngroups)
		return -EINVAL;
	if (copy_to_user(grouplist, c->groups, c->ngroups * sizeof(u32)) < 0)
		return -EFAULT;
	return c->ngroups;
}

/* --- Setting credentials ----------------------------------------------
 *
 * Linux's rules (kernel/sys.c) with the capability model of this kernel:
 * CAP_SETUID and CAP_SETGID are held exactly when the effective uid is 0,
 * which is what Linux's capability fix-ups give a root process that has
 * not used securebits: dropping euid 0 clears the effective set, getting it
 * back restores the permitted one, which is lost only once no uid is 0 and
 * then cannot come back. (uid_t)-1 means "unchanged" where Linux says so
 * and is EINVAL elsewhere. */

#define NO_ID ((u32)-1)
#define NGROUPS_MAX 65536

static bool capable_setid(void)
{
	return current_proc.cred.euid == 0;
}

/* Linux's commit_creds: the process has new credentials, so files opened
 * before were opened with other ones (linkat's AT_EMPTY_PATH check). */
static long commit_creds(void)
{
	current_proc.cred_gen++;
	prctl_commit_creds();
	return 0;
}

/* sys_setuid sets all of the uids when privileged, else the effective (and
 * fs) uid to the real or saved one. */
long sys_setuid(uid_t uid)
{
	struct cred *c = &current_proc.cred;

	if ((u32)uid == NO_ID)
		return -EINVAL;
	if (capable_setid())
		c->uid = c->suid = (u32)uid;
	else if ((u32)uid != c->uid && (u32)uid != c->suid)
		return -EPERM;
	c->euid = c->fsuid = (u32)uid;
	return commit_creds();
}

/* sys_setgid is setuid for the group ids. */
long sys_setgid(gid_t gid)
{
	struct cred *c = &current_proc.cred;

	if ((u32)gid == NO_ID)
		return -EINVAL;
	if (capable_setid())
		c->gid = c->sgid = (u32)gid;
	else if ((u32)gid != c->gid && (u32)gid != c->sgid)
		return -EPERM;
	c->egid = c->fsgid = (u32)gid;
	return commit_creds();
}

/* The common body of setreuid and setregid on (real, effective, saved, fs). */
static long set_re(u32 *r, u32 *e, u32 *s, u32 *fs, u32 nr, u32 ne)
{
	bool cap = capable_setid();

	if (nr != NO_ID && nr != *r && nr != *e && !cap)
		return -EPERM;
	if (ne != NO_ID && ne != *r && ne != *e && ne != *s && !cap)
		return -EPERM;
	/* the saved id follows the effective one when the real id is set or
	 * the effective one moves away from the old real id */
	if (nr != NO_ID || (ne != NO_ID && ne != *r))
		*s = ne != NO_ID ? ne : *e;
	if (nr != NO_ID)
		*r = nr;
	if (ne != NO_ID)
		*e = ne;
	*fs = *e;
	return commit_creds();
}

/* sys_setreuid sets the real and/or effective uid (-1: unchanged). */
long sys_setreuid(uid_t ruid, uid_t euid)
{
	struct cred *c = &current_proc.cred;

	return set_re(&c->uid, &c->euid, &c->suid, &c->fsuid, (u32)ruid, (u32)euid);
}

/* sys_setregid sets the real and/or effective gid (-1: unchanged). */
long sys_setregid(gid_t rgid, gid_t egid)
{
	struct cred *c = &current_proc.cred;

	return set_re(&c->gid, &c->egid, &c->sgid, &c->fsgid, (u32)rgid, (u32)egid);
}

/* The common body of setresuid and setresgid: an unprivileged caller may
 * only pick among the current real, effective and saved ids. */
static long set_res(u32 *r, u32 *e, u32 *s, u32 *fs, u32 nr, u32 ne, u32 ns)
{
	const u32 ids[3] = { nr, ne, ns };

	if (!capable_setid()) {
		for (int i = 0; i < 3; i++)
			if (ids[i] != NO_ID && ids[i] != *r && ids[i] != *e && ids[i] != *s)
				return -EPERM;
	}
	/* Linux returns early, keeping the credentials, when nothing changes */
	if ((nr == NO_ID || nr == *r) && (ne == NO_ID || (ne == *e && ne == *fs)) &&
	    (ns == NO_ID || ns == *s))
		return 0;
	if (nr != NO_ID)
		*r = nr;
	if (ne != NO_ID)
		*e = ne;
	if (ns != NO_ID)
		*s = ns;
	*fs = *e;
	return commit_creds();
}

/* sys_setresuid sets the real, effective and saved uids (-1: unchanged). */
long sys_setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	struct cred *c = &current_proc.cred;

	return set_res(&c->uid, &c->euid, &c->suid, &c->fsuid, (u32)ruid, (u32)euid, (u32)suid);
}

/* sys_setresgid sets the real, effective and saved gids (-1: unchanged). */
long sys_setresgid(gid_t rgid, gid_t egid, gid_t sgid)
{
	struct cred *c = &current_proc.cred;

	return set_res(&c->gid, &c->egid, &c->sgid, &c->fsgid, (u32)rgid, (u32)egid, (u32)sgid);
}

/* sys_setfsuid sets the filesystem uid to one of the others (any, when
 * privileged) and returns the old one whether or not it changed: Linux
 * reports no error here, not even for -1. */
long sys_setfsuid(uid_t uid)
{
	struct cred *c = &current_proc.cred;
	u32 old = c->fsuid, u = (u32)uid;

	if (u != NO_ID && u != old &&
	    (u == c->uid || u == c->euid || u == c->suid || capable_setid())) {
		c->fsuid = u;
		commit_creds();
	}
	return old;
}

/* sys_setfsgid is setfsuid for the filesystem gid. */
long sys_setfsgid(gid_t gid)
{
	struct cred *c = &current_proc.cred;
	u32 old = c->fsgid, g = (u32)gid;

	if (g != NO_ID && g != old &&
	    (g == c->gid || g == c->egid || g == c->sgid || capable_setid())) {
		c->fsgid = g;
		commit_creds();
	}
	return old;
}

/* sys_setgroups replaces the supplementary groups (privileged only); they
 * are kept sorted, as Linux keeps them (getgroups shows the order). */
long sys_setgroups(int gidsetsize, uptr grouplist)
{
	struct cred *c = &current_proc.cred;
	u32 groups[sizeof c->groups / sizeof c->groups[0]];
	u32 n = (u32)gidsetsize;

	if (!capable_setid())
		return -EPERM;
	if (n > NGROUPS_MAX)
		return -EINVAL;
	/* this kernel's credentials hold fewer groups than NGROUPS_MAX */
	if (n > sizeof groups / sizeof groups[0])
		return -ENOMEM;
	if (n && copy_from_user(groups, grouplist, n * sizeof(u32)) < 0)
		return -EFAULT;
	for (u32 i = 0; i < n; i++) {
		u32 g = groups[i];
		u32 j = i;

		if (g == NO_ID)
			return -EINVAL;
		for (; j > 0 && groups[j - 1] > g; j--)
			groups[j] = groups[j - 1];
		groups[j] = g;
	}
	memcpy(c->groups, groups, n * sizeof(u32));
	c->ngroups = n;
	return commit_creds();
}

/* --- Capabilities --------------------------------------------------------- */

#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define CAP_LAST_CAP 40
#define CAP_FULL_SET ((1ull << (CAP_LAST_CAP + 1)) - 1)
/* CAP_FS_SET: CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID,
 * LINUX_IMMUTABLE, MKNOD, MAC_OVERRIDE: what the fsuid moves in and out. */
#define CAP_FS_SET                                                                           \
	((1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 9) | \
	 (1ull << 27) | (1ull << 32))

struct cap_header {
	u32 version;
	int pid;
};

struct cap_data {
	u32 effective, permitted, inheritable;
};

/* The sets Linux's fix-ups leave a root-started process with: permitted
 * while any uid is 0, effective while the euid is 0, the filesystem ones
 * following the fsuid. */
static void cred_caps(const struct cred *c, u64 *eff, u64 *perm)
{
	*perm = (c->uid == 0 || c->euid == 0 || c->suid == 0) ? CAP_FULL_SET : 0;
	*eff = c->euid == 0 ? *perm : 0;
	if (c->fsuid == 0)
		*eff |= *perm & CAP_FS_SET;
	else
		*eff &= ~CAP_FS_SET;
}

/* Checks the header's version: how many data structs it means, or EINVAL
 * after writing the preferred version back (how callers probe it). */
static long cap_validate_magic(uptr header, unsigned *tocopy)
{
	u32 version, preferred = LINUX_CAPABILITY_VERSION_3;

	if (copy_from_user(&version, header, sizeof version) < 0)
		return -EFAULT;
	switch (version) {
	case LINUX_CAPABILITY_VERSION_1:
		*tocopy = 1;
		return 0;
	case LINUX_CAPABILITY_VERSION_2:
	case LINUX_CAPABILITY_VERSION_3:
		*tocopy = 2;
		return 0;
	}
	if (copy_to_user(header, &preferred, sizeof preferred) < 0)
		return -EFAULT;
	return -EINVAL;
}

/* sys_capget stores the capability sets of pid (0: the caller); with a NULL
 * dataptr it only checks the version (0 even for a wrong one). */
long sys_capget(uptr header, uptr dataptr)
{
	struct cap_data d[2];
	unsigned tocopy = 0;
	u64 eff, perm;
	long ret = cap_validate_magic(header, &tocopy);
	int pid;

	if (uptr_is_null(dataptr) || ret != 0)
		return uptr_is_null(dataptr) && ret == -EINVAL ? 0 : ret;
	if (copy_from_user(&pid, uptr_add(header, 4), sizeof pid) < 0)
		return -EFAULT;
	if (pid < 0)
		return -EINVAL;
	if (pid != 0 && pid != current_proc.pid)
		return -ESRCH;
	cred_caps(&current_proc.cred, &eff, &perm);
	d[0] = (struct cap_data){ (u32)eff, (u32)perm, 0 };
	d[1] = (struct cap_data){ (u32)(eff >> 32), (u32)(perm >> 32), 0 };
	return copy_to_user(dataptr, d, tocopy * sizeof d[0]);
}
