/* Readiness and waiting for pipes, eventfd, timerfd and epoll.
 *
 * Every pollable object has a wait head: the epoll items watching it. A
 * state change calls poll_wake(head, key), which queues the matching items
 * on their epoll's ready list (as Linux's ep_poll_callback does) and bumps
 * one global word, poll_seq, that every sleeper waits on with plat_wait.
 * One word for all waiters is coarse (a wake rouses every sleeper, who
 * re-check) but lets poll and epoll sleep on many objects at once with the
 * platform's single futex-style primitive. Everything here runs under
 * vfs_lock, which a sleeper drops while it waits. */
#ifndef KERNEL_POLL_H
#define KERNEL_POLL_H

#include <abi/types.h>
#include <kernel/fd.h>
#include <kernel/lib.h>
#include <kernel/signal.h>

#include <kernel/wait.h> /* NO_DEADLINE */

struct wait_head {
	struct list items; /* struct epitem.wh_link */
};

static inline void wait_head_init(struct wait_head *wh)
{
	list_init(&wh->items);
}

/* What a file's poll op fills in besides its answer. */
struct poll_table {
	struct wait_head *head; /* the object's wait head (epoll watches it) */
	s64 deadline;           /* lowered to when readiness changes by itself
				 * (a timer), on the monotonic clock */
};

extern u32 poll_seq;

/* The readiness of f (DEFAULT_POLLMASK for files without a poll op);
 * vfs_lock held. */
unsigned int file_poll(struct file *f, struct poll_table *pt);
/* Tells watchers of wh that its state changed; key holds the events the
 * change is about (0: any). vfs_lock held. */
void poll_wake(struct wait_head *wh, u32 key);
/* Drops vfs_lock and sleeps until poll_seq moves from seq or deadline
 * (monotonic ns, NO_DEADLINE: none) passes, then takes it back. */
void poll_sleep(u32 seq, s64 deadline);
/* The monotonic clock, and deadline arithmetic that saturates. */
s64 poll_now(void);
s64 deadline_after(s64 ns);
/* A poll/select timeout as a deadline: -EINVAL for an invalid timespec;
 * zero is deadline 0 (one pass, no sleep). */
long poll_timeout_deadline(const struct linux_timespec *ts, s64 *deadline);
/* A timeout in milliseconds (poll, epoll_wait) as a deadline: negative is
 * NO_DEADLINE, zero is 0 (one pass). */
s64 poll_ms_deadline(int ms);
/* A signal mask argument of ppoll, pselect6 and epoll_pwait*: checked and
 * read (EINVAL for a size other than 8, EFAULT), not applied (no signals). */
long check_sigmask(uptr mask, size_t size);
/* Removes (and frees) the epoll items watching f on wh: f is going away
 * (Linux's eventpoll_release at a file's last reference). */
void eventpoll_release(struct file *f, struct wait_head *wh);
/* Queues the epoll items on wh that key concerns (eventpoll.c). */
void ep_wake_items(struct wait_head *wh, u32 key);

/* An open file on an anonymous inode (pipefs and anon_inodefs): flags are
 * the file's status flags; ino may be shared (the two ends of a pipe). */
struct file *anon_file_new(struct inode *ino, const struct file_ops *fops, u32 flags, void *priv);
/* A fresh anonymous inode (mode with its type), or NULL. */
struct inode *anon_inode_new(u32 mode);

/* fsync of pipes and anonymous files: EINVAL. */
long anon_fsync(struct file *f, bool datasync);
/* F_GETPIPE_SZ and F_SETPIPE_SZ (-EBADF on something not a pipe). */
long pipe_fcntl(struct file *f, unsigned int cmd, unsigned long arg);

#endif
