/* Per-thread state seen from /proc and prctl with several threads: names
 * (PR_SET_NAME, pthread_setname_np, /proc/self/task/N/comm, thread-self),
 * the task directory and Threads:, affinity per tid, pidfds of threads, and
 * a signalfd read that blocks until another thread sends the signal.
 * Prints one line per check, without ids, so that the output is the same
 * wherever it runs; exits 1 on the first check that fails. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 3
#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif

static pthread_barrier_t ready, done;
static pid_t tids[NTHREADS];

#define CHECK(cond, ...)                                            \
	do {                                                        \
		if (!(cond)) {                                      \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                        \
			printf("\n");                               \
			exit(1);                                    \
		}                                                   \
	} while (0)

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	CHECK(f, "open %s: %s", path, strerror(errno));
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* The value of "Key:\t" in a status file. */
static void status_field(const char *path, const char *key, char *out, size_t len)
{
	char buf[8192], *p;

	slurp(path, buf, sizeof buf);
	p = strstr(buf, key);
	CHECK(p, "%s has no %s", path, key);
	p += strlen(key) + 2;
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	char name[16], buf[64], link[64], want[64];
	ssize_t n;

	tids[i] = gettid();
	snprintf(name, sizeof name, "worker-%d", i);
	CHECK(prctl(PR_SET_NAME, name) == 0, "PR_SET_NAME");
	CHECK(prctl(PR_GET_NAME, buf) == 0 && strcmp(buf, name) == 0, "PR_GET_NAME %s", buf);
	slurp("/proc/thread-self/comm", buf, sizeof buf);
	CHECK(strncmp(buf, name, strlen(name)) == 0, "thread-self/comm %s", buf);
	n = readlink("/proc/thread-self", link, sizeof link - 1);
	CHECK(n > 0, "readlink thread-self");
	link[n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", getpid(), gettid());
	CHECK(strcmp(link, want) == 0, "thread-self -> %s", link);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&done);
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void *send_later(void *arg)
{
	(void)arg;
	usleep(100000);
	kill(getpid(), SIGUSR1);
	return NULL;
}

/* What one thread can see of all this: run with "single" (it needs no
 * clone). */
static int single(const char *argv0)
{
	char buf[256], link[64], want[64], val[64];
	ssize_t n;
	DIR *d;
	struct dirent *e;
	int count = 0;

	CHECK(prctl(PR_SET_NAME, "only-thread-xxxxxx") == 0, "PR_SET_NAME");
	CHECK(prctl(PR_GET_NAME, buf) == 0, "PR_GET_NAME");
	printf("PR_GET_NAME: %s\n", buf);
	slurp("/proc/self/comm", buf, sizeof buf);
	printf("self/comm: %s", buf);
	slurp("/proc/thread-self/comm", buf, sizeof buf);
	printf("thread-self/comm: %s", buf);
	snprintf(link, sizeof link, "/proc/self/task/%d/comm", getpid());
	slurp(link, buf, sizeof buf);
	printf("task/<pid>/comm: %s", buf);
	n = readlink("/proc/thread-self", link, sizeof link - 1);
	CHECK(n > 0, "readlink thread-self");
	link[n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", getpid(), getpid());
	CHECK(strcmp(link, want) == 0, "thread-self -> %s", link);
	d = opendir("/proc/self/task");
	CHECK(d, "opendir task");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			CHECK(atoi(e->d_name) == getpid(), "task lists %s", e->d_name);
			count++;
		}
	closedir(d);
	printf("task/ lists %d\n", count);
	status_field("/proc/self/status", "Threads", val, sizeof val);
	printf("Threads: %s\n", val);
	/* writing comm renames the thread: 15 bytes, a newline kept */
	{
		FILE *f = fopen("/proc/self/comm", "w");

		CHECK(f, "open comm for writing");
		fputs("written-name-that-is-long\n", f);
		fclose(f);
	}
	CHECK(prctl(PR_GET_NAME, buf) == 0, "PR_GET_NAME");
	printf("after a write to comm: %s\n", buf);
	status_field("/proc/self/status", "Name", val, sizeof val);
	printf("status Name: %s\n", val);
	/* PR_GET_AUXV gives the auxv the program started with */
	{
		unsigned long aux[64] = { 0 };
		long size = prctl(PR_GET_AUXV, aux, sizeof aux, 0, 0);
		int pairs = 0;

		printf("PR_GET_AUXV: %ld\n", size);
		for (int i = 0; i + 1 < 64 && aux[i] != AT_NULL; i += 2, pairs++)
			/* glibc's AT_HWCAP and AT_HWCAP2 are its own view of the CPU */
			CHECK(aux[i] == AT_HWCAP || aux[i] == AT_HWCAP2 ||
				      getauxval(aux[i]) == aux[i + 1],
			      "auxv entry %lu", aux[i]);
		CHECK(pairs > 10 && getauxval(AT_PAGESZ) == 4096, "auxv pairs %d", pairs);
		printf("auxv agrees with getauxval\n");
	}
	/* /proc/self/stat's arg_start and env_start: where exec put argv[0]'s
	 * and the first environment variable's strings */
	{
		unsigned long f[64] = { 0 };
		char line[1024], *q;
		int nf = 4; /* fields count from 1 (pid); q starts at ppid */

		slurp("/proc/self/stat", line, sizeof line);
		q = strrchr(line, ')') + 4; /* past ") R " */
		while (nf < 64 && *q && *q != '\n') {
			f[nf++] = strtoul(q, &q, 10);
			while (*q == ' ')
				q++;
		}
		CHECK(f[48] == (unsigned long)argv0, "arg_start %#lx %p", f[48], (void *)argv0);
		CHECK(f[50] == (unsigned long)environ[0], "env_start %#lx %p", f[50],
		      (void *)environ[0]);
		printf("stat's arg_start and env_start are where the strings are\n");
	}
	/* signals sent by kill and through a pidfd, read from a signalfd */
	{
		sigset_t mask;
		struct signalfd_siginfo si[4];
		struct pollfd p;
		int fd, pfd, ready;
		ssize_t got;

		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		sigaddset(&mask, SIGTERM);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		fd = signalfd(-1, &mask, SFD_CLOEXEC);
		CHECK(fd >= 0, "signalfd");
		p = (struct pollfd){ fd, POLLIN, 0 };
		printf("poll before: %d\n", poll(&p, 1, 0));
		kill(getpid(), SIGTERM);
		pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		CHECK(pfd >= 0, "pidfd_open");
		CHECK(syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0) == 0,
		      "pidfd_send_signal");
		ready = poll(&p, 1, -1);
		printf("poll after: %d %#x\n", ready, p.revents);
		got = read(fd, si, sizeof si);
		printf("signalfd read %zd:", got);
		for (int i = 0; i < got / (ssize_t)sizeof si[0]; i++)
			printf(" %u/%d/%s", si[i].ssi_signo, si[i].ssi_code,
			       si[i].ssi_pid == (unsigned)getpid() ? "me" : "other");
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS], sender;
	char path[128], buf[8192], val[64];
	int listed[16], nlisted = 0, sorted[NTHREADS + 1];
	DIR *d;
	struct dirent *e;
	cpu_set_t set;

	if (argc > 1 && strcmp(argv[1], "single") == 0)
		return single(argv[0]);
	CHECK(prctl(PR_SET_NAME, "main-thread") == 0, "PR_SET_NAME main");
	pthread_barrier_init(&ready, NULL, NTHREADS + 1);
	pthread_barrier_init(&done, NULL, NTHREADS + 1);
	for (long i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, (void *)i) == 0, "pthread_create");
	pthread_barrier_wait(&ready);
	printf("names set in %d threads\n", NTHREADS);

	/* /proc/self/task lists every thread, the process's first */
	d = opendir("/proc/self/task");
	CHECK(d, "opendir task");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			listed[nlisted++] = atoi(e->d_name);
	closedir(d);
	CHECK(nlisted == NTHREADS + 1, "task lists %d", nlisted);
	CHECK(listed[0] == getpid(), "task's first is the process");
	sorted[0] = getpid();
	memcpy(sorted + 1, tids, sizeof tids);
	qsort(listed, (size_t)nlisted, sizeof *listed, cmp_int);
	qsort(sorted, NTHREADS + 1, sizeof *sorted, cmp_int);
	CHECK(memcmp(listed, sorted, sizeof sorted) == 0, "task lists the threads");
	printf("task/ lists %d threads\n", nlisted);
	status_field("/proc/self/status", "Threads", val, sizeof val);
	printf("Threads: %s\n", val);
	slurp("/proc/self/comm", buf, sizeof buf);
	printf("self/comm: %s", buf);
	status_field("/proc/self/status", "Name", val, sizeof val);
	printf("self/status Name: %s\n", val);

	/* each thread's own files */
	for (int i = 0; i < NTHREADS; i++) {
		char want[32];

		snprintf(want, sizeof want, "worker-%d\n", i);
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
		slurp(path, buf, sizeof buf);
		CHECK(strcmp(buf, want) == 0, "%s: %s", path, buf);
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
		slurp(path, buf, sizeof buf);
		CHECK(atoi(buf) == tids[i], "stat pid");
		CHECK(strstr(buf, "(worker-"), "stat comm %s", buf);
		snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
		status_field(path, "Pid", val, sizeof val);
		CHECK(atoi(val) == tids[i], "status Pid %s", val);
		status_field(path, "Tgid", val, sizeof val);
		CHECK(atoi(val) == getpid(), "status Tgid %s", val);
		status_field(path, "Name", val, sizeof val);
		CHECK(strncmp(val, "worker-", 7) == 0, "status Name %s", val);
		/* /proc/<tid> of a thread is there, though not listed */
		snprintf(path, sizeof path, "/proc/%d/comm", tids[i]);
		slurp(path, buf, sizeof buf);
		CHECK(strcmp(buf, want) == 0, "%s: %s", path, buf);
	}
	printf("task/<tid>/{comm,stat,status} are each thread's\n");

	/* glibc names another thread through /proc/self/task/<tid>/comm */
	CHECK(pthread_setname_np(th[1], "renamed") == 0, "pthread_setname_np");
	CHECK(pthread_getname_np(th[1], buf, 16) == 0 && strcmp(buf, "renamed") == 0,
	      "pthread_getname_np %s", buf);
	printf("pthread_setname_np: %s\n", buf);

	/* affinity is per thread */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK(sched_setaffinity(tids[0], sizeof set, &set) == 0, "setaffinity tid");
	CHECK(sched_getaffinity(tids[0], sizeof set, &set) == 0 && CPU_COUNT(&set) == 1,
	      "getaffinity tid");
	CHECK(sched_getaffinity(0, sizeof set, &set) == 0, "getaffinity self");
	printf("main keeps %s CPU\n",
	       CPU_COUNT(&set) == sysconf(_SC_NPROCESSORS_ONLN) ? "every" : "one");
	CHECK(sched_getaffinity(0x7ffffff0, sizeof set, &set) < 0 && errno == ESRCH, "ESRCH");

	/* pidfds of threads: a thread needs PIDFD_THREAD */
	errno = 0;
	CHECK(syscall(SYS_pidfd_open, tids[0], 0) < 0, "pidfd_open thread");
	printf("pidfd_open(thread, 0): %s\n", strerror(errno));
	CHECK(syscall(SYS_pidfd_open, tids[0], 0x80 /* PIDFD_THREAD */) >= 0, "PIDFD_THREAD");

	pthread_barrier_wait(&done);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	/* a joined thread may still be on its way out for a moment */
	for (int tries = 0; tries < 1000; tries++) {
		status_field("/proc/self/status", "Threads", val, sizeof val);
		if (atoi(val) == 1)
			break;
		usleep(1000);
	}
	printf("Threads after join: %s\n", val);
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[0]);
	for (int tries = 0; tries < 1000 && access(path, F_OK) == 0; tries++)
		usleep(1000);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT, "an exited thread's directory");
	printf("an exited thread's directory is gone\n");

	/* a signalfd read sleeps until another thread sends the signal */
	{
		sigset_t mask;
		struct signalfd_siginfo si;
		int fd;

		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &mask, NULL);
		fd = signalfd(-1, &mask, SFD_CLOEXEC);
		CHECK(fd >= 0, "signalfd");
		pthread_create(&sender, NULL, send_later, NULL);
		CHECK(read(fd, &si, sizeof si) == sizeof si, "signalfd read");
		printf("signalfd woke with signal %u, code %d\n", si.ssi_signo, si.ssi_code);
		pthread_join(sender, NULL);
	}
	return 0;
}
