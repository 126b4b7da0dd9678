/* tasks: what each thread is: gettid distinct for every thread and the
 * main thread's equal to the pid, set_tid_address, /proc/self/task/<tid>/
 * (one directory per thread, comm and stat's name following PR_SET_NAME
 * per thread), sched_getaffinity, getcpu and sched_yield in threads, and
 * the prctl options an unprivileged runtime uses. */
#include "check.h"
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/prctl.h>

#define NT 8

static pid_t tids[NT];
static pthread_barrier_t bar;
static atomic_int affinity_same, getcpu_ok, yield_ok;
static cpu_set_t main_set;

static void *worker(void *arg)
{
	long id = (long)arg;
	tids[id] = sys_gettid();
	char name[16];
	snprintf(name, sizeof name, "worker-%ld", id);
	CHECK(prctl(PR_SET_NAME, name, 0, 0, 0) == 0);
	cpu_set_t set;
	CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
	if (CPU_EQUAL(&set, &main_set))
		atomic_fetch_add(&affinity_same, 1);
	unsigned cpu = 0, node = 0;
	if (syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && CPU_ISSET(cpu, &set))
		atomic_fetch_add(&getcpu_ok, 1);
	if (sched_yield() == 0)
		atomic_fetch_add(&yield_ok, 1);
	pthread_barrier_wait(&bar); /* main looks at /proc while all are alive */
	pthread_barrier_wait(&bar);
	return NULL;
}

static int read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *r = fgets(buf, (int)n, f);
	fclose(f);
	if (!r)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static void test_prctl(void)
{
	char name[32] = { 0 };
	CHECK(prctl(PR_SET_NAME, "a-very-long-thread-name", 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
	say("prctl: PR_SET_NAME truncates to 15: \"%s\"\n", name);
	CHECK(prctl(PR_SET_NAME, "tasks", 0, 0, 0) == 0);
	say("prctl: PR_GET_DUMPABLE %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	int set0 = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	say("prctl: PR_SET_DUMPABLE 0 -> %d, then %d\n", set0, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	int r = prctl(PR_SET_DUMPABLE, 7, 0, 0, 0);
	say("prctl: PR_SET_DUMPABLE 7 -> %d %s\n", r, ename(r ? errno : 0));
	int pd = -1;
	CHECK(prctl(PR_GET_PDEATHSIG, &pd, 0, 0, 0) == 0);
	say("prctl: PR_GET_PDEATHSIG %d\n", pd);
	CHECK(prctl(PR_SET_PDEATHSIG, 10, 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_PDEATHSIG, &pd, 0, 0, 0) == 0);
	say("prctl: PR_SET_PDEATHSIG 10 -> %d\n", pd);
	r = prctl(PR_SET_PDEATHSIG, 99, 0, 0, 0);
	say("prctl: PR_SET_PDEATHSIG 99 -> %d %s\n", r, ename(r ? errno : 0));
	CHECK(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) == 0);
	say("prctl: PR_GET_KEEPCAPS %d\n", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	int sub = -1;
	r = prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0);
	say("prctl: PR_GET_CHILD_SUBREAPER %d %d\n", r, sub);
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0) == 0);
	say("prctl: PR_SET_CHILD_SUBREAPER 1 -> %d\n", sub);
	CHECK(prctl(PR_SET_TIMERSLACK, 12345, 0, 0, 0) == 0);
	say("prctl: PR_SET_TIMERSLACK 12345 -> %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	say("prctl: PR_GET_THP_DISABLE %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0);
	say("prctl: PR_SET_THP_DISABLE 1 -> %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	say("prctl: PR_GET_NO_NEW_PRIVS %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	say("prctl: PR_SET_NO_NEW_PRIVS 1 -> %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	r = prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0);
	say("prctl: PR_SET_NO_NEW_PRIVS 0 -> %d %s\n", r, ename(r ? errno : 0));
	int *tidaddr = NULL;
	r = prctl(PR_GET_TID_ADDRESS, &tidaddr, 0, 0, 0);
	say("prctl: PR_GET_TID_ADDRESS %d, set %s\n", r, tidaddr ? "yes" : "no");
	r = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
	say("prctl: PR_MCE_KILL_GET %d %s\n", r, ename(r < 0 ? errno : 0));
	r = prctl(9999, 0, 0, 0, 0);
	say("prctl: option 9999 %d %s\n", r, ename(r ? errno : 0));
}

int main(void)
{
	say("main: gettid == getpid %s\n", sys_gettid() == getpid() ? "yes" : "no");
	int word;
	long t = syscall(SYS_set_tid_address, &word);
	say("set_tid_address returns my tid %s\n", t == sys_gettid() ? "yes" : "no");
	CHECK(sched_getaffinity(0, sizeof main_set, &main_set) == 0);
	test_prctl();

	PCHECK(pthread_barrier_init(&bar, NULL, NT + 1));
	pthread_t th[NT];
	for (long i = 0; i < NT; i++)
		PCHECK(pthread_create(&th[i], NULL, worker, (void *)i));
	pthread_barrier_wait(&bar);
	int distinct = 1;
	for (int i = 0; i < NT; i++) {
		if (tids[i] == getpid() || tids[i] <= 0)
			distinct = 0;
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j])
				distinct = 0;
	}
	say("threads: %d tids, distinct and not the pid: %s\n", NT, distinct ? "yes" : "no");
	say("threads: same affinity as main %d, getcpu in it %d, sched_yield %d\n",
	    (int)affinity_same, (int)getcpu_ok, (int)yield_ok);
	DIR *d = opendir("/proc/self/task");
	CHECK(d != NULL);
	int entries = 0, mine = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		entries++;
		int id = atoi(e->d_name);
		if (id == getpid())
			mine++;
		for (int i = 0; i < NT; i++)
			mine += id == tids[i];
	}
	closedir(d);
	say("/proc/self/task: %d entries, all of them ours: %s\n", entries,
	    mine == entries ? "yes" : "no");
	for (int i = 0; i < NT; i += 3) {
		char path[64], comm[64], stat[256];
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tids[i]);
		CHECK(read_line(path, comm, sizeof comm) == 0);
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tids[i]);
		CHECK(read_line(path, stat, sizeof stat) == 0);
		char *open = strchr(stat, '('), *close = strrchr(stat, ')');
		CHECK(open && close);
		*close = 0;
		say("task %d: comm \"%s\", stat name \"%s\", stat pid is its tid %s\n", i, comm,
		    open + 1, atoi(stat) == tids[i] ? "yes" : "no");
		snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tids[i]);
		FILE *f = fopen(path, "r");
		CHECK(f != NULL);
		char line[256];
		int tgid_ok = 0, pid_ok = 0;
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "Tgid:", 5) == 0)
				tgid_ok = atoi(line + 5) == getpid();
			if (strncmp(line, "Pid:", 4) == 0)
				pid_ok = atoi(line + 4) == tids[i];
		}
		fclose(f);
		say("task %d: status Tgid is the pid %s, Pid is its tid %s\n", i,
		    tgid_ok ? "yes" : "no", pid_ok ? "yes" : "no");
	}
	char comm[64];
	CHECK(read_line("/proc/self/comm", comm, sizeof comm) == 0);
	say("/proc/self/comm (the main thread) \"%s\"\n", comm);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < NT; i++)
		PCHECK(pthread_join(th[i], NULL));
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tids[0]);
	/* join returns at the CHILD_CLEARTID wake, a moment before the task is reaped */
	int gone = 0;
	for (int i = 0; i < 200 && !gone; i++) {
		gone = read_line(path, comm, sizeof comm) != 0;
		if (!gone)
			sleep_ms(10);
	}
	say("an ended thread's /proc/self/task entry is gone: %s\n", gone ? "yes" : "no");
	return 0;
}
