/* Readiness and waiting for pipes, eventfd, timerfd, epoll and the console.
 *
 * Every pollable object has a wait head: the epoll items watching it and
 * the tasks sleeping on it (a waitq of the one wait, wait.h). A state
 * change calls poll_wake(head, key), which queues the matching items on
 * their epoll's ready list (as Linux's ep_poll_callback does) and wakes the
 * sleepers, who look again. poll and select put one entry on the head of
 * each file they look at, epoll_wait one on its epoll's own head, and a
 * blocking read or write one on its object's head. A host-backed file (the
 * console) has no wake-ups of its own: its poll op names its host fd
 * (poll_wait_host), and the sleep is then one host ppoll over those fds and
 * the task's eventfd (wait.h). Everything here runs under vfs_lock, which a
 * sleeper drops while it sleeps. */
#ifndef KERNEL_POLL_H
#define KERNEL_POLL_H

#include <abi/types.h>
#include <kernel/fd.h>
#include <kernel/lib.h>
#include <kernel/signal.h>
#include <kernel/wait.h>

struct wait_head {
	struct list items; /* struct epitem.wh_link */
	struct waitq wq;   /* tasks asleep until the object changes */
};

#define WAIT_HEAD_INIT(wh)                                 \
	{                                                  \
		LIST_INIT((wh).items), WAITQ_INIT((wh).wq) \
	}

static inline void wait_head_init(struct wait_head *wh)
{
	list_init(&wh->items);
	waitq_init(&wh->wq);
}

/* The host files a sleeper waits on, gathered by the poll ops. */
struct host_waits {
	struct host_wait *v;
	int n, cap;
};

/* What a file's poll op fills in besides its answer. */
struct poll_table {
	struct wait_head *head;  /* the object's wait head (epoll watches it) */
	s64 deadline;            /* lowered to when readiness changes by itself
				 * (a timer), on the monotonic clock */
	u32 want;                /* the events the caller waits for */
	struct host_waits *host; /* where poll_wait_host adds a host fd; NULL
				  * when the caller does not sleep */
};

#define POLL_TABLE(want_, host_) ((struct poll_table){ NULL, NO_DEADLINE, (want_), (host_) })

/* A host-backed file's poll op: the sleep that follows waits on hostfd
 * for pt->want's events too. */
void poll_wait_host(struct poll_table *pt, int hostfd);
/* poll_wait_host for the given host poll events rather than pt->want's. */
void poll_wait_host_events(struct poll_table *pt, int hostfd, short events);
void host_waits_free(struct host_waits *hw);

/* A sleeper on many wait heads (poll, select): one entry per head, put on
 * as a pass finds the heads, taken off before the next pass. */
struct poll_wqueues {
	struct wait_entry *e;
	unsigned int n, cap;
	struct host_waits host;
};
/* Room for cap heads: 0 or -ENOMEM. */
long poll_wqueues_init(struct poll_wqueues *pw, unsigned int cap);
void poll_wqueues_add(struct poll_wqueues *pw, struct wait_head *wh);
/* Takes every entry off its head and forgets the host fds. vfs_lock held. */
void poll_wqueues_clear(struct poll_wqueues *pw);
void poll_wqueues_free(struct poll_wqueues *pw);

/* Drops vfs_lock, sleeps (task_sleep) until woken, a host fd of host
 * (NULL: none) is ready or deadline passes, then takes vfs_lock back:
 * task_sleep's 0, -ETIMEDOUT or -EINTR. */
long poll_sleep(u32 seq, s64 deadline, struct host_waits *host);
/* poll_sleep on the one wait head wh (a blocking read or write, epoll_wait):
 * seq is the wait_prepare taken before the caller looked at its object. */
long wait_head_sleep(struct wait_head *wh, u32 seq, s64 deadline, struct host_waits *host);

/* The readiness of f (DEFAULT_POLLMASK for files without a poll op);
 * vfs_lock held. */
unsigned int file_poll(struct file *f, struct poll_table *pt);
/* Tells watchers of wh that its state changed; key holds the events the
 * change is about (0: any): queues the epoll items key concerns and wakes
 * every sleeper on wh. vfs_lock held. */
void poll_wake(struct wait_head *wh, u32 key);
/* Wakes the sleepers on wh and on every epoll watching it, queueing
 * nothing: a timer was re-armed, and sleepers recompute their deadlines. */
void poll_rearm(struct wait_head *wh);
/* The monotonic clock, and deadline arithmetic that saturates. */
s64 poll_now(void);
s64 deadline_after(s64 ns);
/* A poll/select timeout as a deadline: -EINVAL for an invalid timespec;
 * zero is deadline 0 (one pass, no sleep). */
long poll_timeout_deadline(const struct linux_timespec *ts, s64 *deadline);
/* A timeout in milliseconds (poll, epoll_wait) as a deadline: negative is
 * NO_DEADLINE, zero is 0 (one pass). */
s64 poll_ms_deadline(int ms);
/* The signal mask argument of ppoll, pselect6 and epoll_pwait*, as Linux's
 * set_user_sigmask: none (NULL), or EINVAL for a size other than 8, EFAULT,
 * else the task's mask is saved and mask applied until the call ends. */
long set_user_sigmask(uptr mask, size_t size);
/* At the call's end: the saved mask comes back, unless the call was
 * interrupted by a signal, whose handler then runs under the call's mask
 * and the saved one is restored after it (Linux's
 * restore_saved_sigmask_unless). */
void restore_saved_sigmask_unless(bool interrupted);
/* Removes (and frees) the epoll items watching f on wh and wakes and takes
 * off wh every sleeper: f is going away (Linux's eventpoll_release at a
 * file's last reference); a sleeper looks again and finds it gone. */
void eventpoll_release(struct file *f, struct wait_head *wh);
/* Queues the epoll items on wh that key concerns, waking their epolls'
 * sleepers (eventpoll.c). */
void ep_wake_items(struct wait_head *wh, u32 key);
/* ep_wake_items for the level-triggered items only: a host-backed file
 * that finds itself ready queues those, and its EPOLLET items only on an
 * edge the host reports. */
void ep_wake_level_items(struct wait_head *wh, u32 key);
/* Wakes the sleepers of the epolls watching wh (poll_rearm). */
void ep_wake_watchers(struct wait_head *wh);

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
