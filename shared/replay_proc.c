/* replay_proc.c - the replay's node processes (replay_proc.h). */
#include "replay_proc.h"

#define RPROC_STR_(x) #x
#define RPROC_STR(x) RPROC_STR_(x)	/* a number macro as a string */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
rproc_start(struct rproc *p, const char *bin, const char *id,
    const char *topo, const char *key, const char *dir,
    const char *clock_file, struct ld_err *err)
{
	struct rproc_node *n;
	pid_t pid;
	int fd;

	if (p->n >= RPROC_MAX)
		return err_set(err, LD_ELIMIT, "replay: more than %d nodes",
		    RPROC_MAX);
	n = &p->node[p->n];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->data, sizeof(n->data), "%s/%s", dir, id);
	snprintf(n->log, sizeof(n->log), "%s/%s.log", dir, id);
	if (mkdir(n->data, 0700) != 0 && errno != EEXIST)
		return err_set(err, LD_EIO, "replay: %s: %s", n->data,
		    strerror(errno));
	if ((fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0)
		return err_set(err, LD_EIO, "replay: %s: %s", n->log,
		    strerror(errno));
	if ((pid = fork()) < 0) {
		close(fd);
		return err_set(err, LD_EIO, "replay: fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("LD_CLOCK_FILE", clock_file, 1);
		unsetenv("LD_CLOCK_OFFSET_MS");
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* not without us */
		execl(bin, bin, "--topology", topo, "--id", id, "--key", key,
		    "--data", n->data, "--pull-idle-ms", "2", "--link-dead-ms",
		    RPROC_STR(RPROC_LINK_DEAD_MS), (char *)NULL);
		fprintf(stderr, "replay: cannot run %s: %s\n", bin,
		    strerror(errno));
		_exit(127);
	}
	close(fd);
	n->pid = pid;
	n->status = -1;
	p->n++;
	return LD_OK;
}

bool
rproc_alive(struct rproc_node *n)
{
	struct rusage ru;
	int st;
	pid_t r;

	if (n->pid <= 0)
		return false;
	r = wait4(n->pid, &st, WNOHANG, &ru);
	if (r == 0)
		return true;
	if (r == n->pid) {
		n->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		n->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec /
		    1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	__atomic_store_n(&n->pid, 0, __ATOMIC_RELEASE);
	return false;
}

/* "Key:   1234 kB" of /proc/PID/status. */
static uint64_t
rproc_kib(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p != NULL ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void *
rproc_sampler(void *arg)
{
	struct rproc *p = arg;
	char path[64], buf[4096];

	while (__atomic_load_n(&p->run, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < p->n; i++) {
			struct rproc_node *n = &p->node[i];
			pid_t pid = __atomic_load_n(&n->pid, __ATOMIC_ACQUIRE);
			uint64_t v;
			ssize_t len;
			int fd;

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (len <= 0)
				continue;
			buf[len] = '\0';
			if ((v = rproc_kib(buf, "RssAnon:")) > n->peak_anon_kib)
				n->peak_anon_kib = v;
			if ((v = rproc_kib(buf, "RssFile:")) > n->peak_file_kib)
				n->peak_file_kib = v;
			if ((v = rproc_kib(buf, "VmHWM:")) > n->peak_rss_kib)
				n->peak_rss_kib = v;
		}
		struct timespec ts = { 0, (long)p->sample_ms * 1000000L };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int
rproc_sample_start(struct rproc *p, struct ld_err *err)
{
	pthread_t *th = malloc(sizeof(*th));

	if (p->sample_ms <= 0)
		p->sample_ms = 100;
	p->run = true;
	if (th == NULL || pthread_create(th, NULL, rproc_sampler, p) != 0) {
		free(th);
		p->run = false;
		return err_set(err, LD_EIO, "replay: cannot start the memory "
		    "sampler");
	}
	p->thread = th;
	return LD_OK;
}

void
rproc_sample_stop(struct rproc *p)
{
	if (p->thread == NULL)
		return;
	__atomic_store_n(&p->run, false, __ATOMIC_RELEASE);
	pthread_join(*(pthread_t *)p->thread, NULL);
	free(p->thread);
	p->thread = NULL;
}

/* The figures of a node's log: the last "store: N events" and "served N
 * requests ... in M group commits". */
static void
rproc_read_log(struct rproc_node *n)
{
	FILE *f = fopen(n->log, "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *s;

		if ((s = strstr(line, "store: ")) != NULL &&
		    strstr(s, " events") != NULL)
			n->events = strtoull(s + 7, NULL, 10);
		if ((s = strstr(line, "served ")) != NULL &&
		    strstr(s, "group commits") != NULL) {
			const char *in = strstr(s, ") in ");

			n->requests = strtoull(s + 7, NULL, 10);
			if (in != NULL)
				n->commits = strtoull(in + 5, NULL, 10);
		}
	}
	fclose(f);
}

void
rproc_stop_all(struct rproc *p, int timeout_ms)
{
	for (int i = 0; i < p->n; i++)
		if (p->node[i].pid > 0)
			kill(p->node[i].pid, SIGTERM);
	for (int i = 0; i < p->n; i++) {
		struct rproc_node *n = &p->node[i];
		char path[600];
		struct stat st;

		for (int t = 0; t < timeout_ms && rproc_alive(n); t += 10) {
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (rproc_alive(n)) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, NULL, 0);
			__atomic_store_n(&n->pid, 0, __ATOMIC_RELEASE);
			n->status = -1;
		}
		rproc_read_log(n);
		snprintf(path, sizeof(path), "%s/data.mdb", n->data);
		if (stat(path, &st) == 0)
			n->db_bytes = (uint64_t)st.st_blocks * 512;
	}
}
