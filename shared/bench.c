/* bench.c - what the benchmarks share (bench.h). */
#include "bench.h"

#include "keyfile.h"
#include "topo.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <lmdb.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BENCH_EXAMPLE_PORT 7101	/* LY's client port in topology.example */

/* ---- the machine and the output ------------------------------------------ */

/* CPU model from /proc/cpuinfo ("?" if none). */
static void
bench_cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, cap, "?");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || c == NULL)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, cap, "%s", c);
		break;
	}
	fclose(f);
}

/* Filesystem type and device of the mount holding dir (longest prefix in
 * /proc/self/mounts). */
static void
bench_fs_of(const char *dir, struct bench_machine *m)
{
	char real[PATH_MAX], line[1024], dev[256], mnt[PATH_MAX], type[64];
	size_t best = 0;
	FILE *f;

	snprintf(m->fs, sizeof(m->fs), "?");
	snprintf(m->dev, sizeof(m->dev), "?");
	if (realpath(dir, real) == NULL || (f = fopen("/proc/self/mounts",
	    "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) != 3)
			continue;
		size_t l = strlen(mnt);
		bool under = strncmp(real, mnt, l) == 0 && (real[l] == '/' ||
		    real[l] == '\0' || strcmp(mnt, "/") == 0);
		if (under && l >= best) {
			best = l;
			snprintf(m->fs, sizeof(m->fs), "%s", type);
			snprintf(m->dev, sizeof(m->dev), "%s", dev);
		}
	}
	fclose(f);
}

void
bench_machine_get(const char *dir, struct bench_machine *m)
{
	struct utsname u;

	memset(m, 0, sizeof(*m));
	bench_cpu_model(m->cpu, sizeof(m->cpu));
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
	m->mem_mib = (long)((double)sysconf(_SC_PHYS_PAGES) *
	    (double)sysconf(_SC_PAGESIZE) / 1048576.0);
	bench_fs_of(dir, m);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname,
		    u.release);
}

void
bench_machine_line(const struct bench_machine *m, bool network, char *out,
    size_t cap)
{
	char libs[128] = "";

	if (network)
		snprintf(libs, sizeof(libs), "libzmq %d.%d.%d, libsodium %s, ",
		    ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH,
		    sodium_version_string());
	snprintf(out, cap, "%s, %ld cores, %ld MiB RAM, %s, data dir on %s "
	    "(%s), %sLMDB %d.%d.%d", m->cpu, m->cores, m->mem_mib, m->kernel,
	    m->dev, m->fs, libs, MDB_VERSION_MAJOR, MDB_VERSION_MINOR,
	    MDB_VERSION_PATCH);
}

/* Print s as a JSON string. */
static void
bench_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

void
bench_json_num(const char *bench, const char *figure, double value,
    const char *unit, double baseline)
{
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"value\":%.3f,"
	    "\"unit\":\"%s\",", bench, figure, value, unit);
	if (baseline > 0)
		printf("\"baseline\":%.3f,\"ratio\":%.4g}\n", baseline,
		    value / baseline);
	else
		printf("\"baseline\":null,\"ratio\":null}\n");
}

void
bench_json_text(const char *bench, const char *figure, const char *value)
{
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"value\":", bench,
	    figure);
	bench_json_str(value);
	printf(",\"unit\":\"\",\"baseline\":null,\"ratio\":null}\n");
}

int
bench_parse_long(const char *opt, const char *s, long lo, long hi, long *v,
    struct ld_err *err)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || *v < lo || *v > hi)
		return err_set(err, LD_EINVAL, "%s: '%s' is not a whole number "
		    "from %ld to %ld", opt, s, lo, hi);
	return 0;
}

/* ---- clocks and numbers -------------------------------------------------- */

int64_t
bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bench_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

double
bench_thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

double
bench_proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the command name in parentheses: state is field 3, utime
	 * and stime are fields 14 and 15 */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* ---- files --------------------------------------------------------------- */

int
bench_path(char *out, size_t cap, const char *dir, const char *name,
    struct ld_err *err)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		return err_set(err, LD_ELIMIT, "path too long: %s/%s", dir,
		    name);
	return 0;
}

int
bench_workdir(const char *prefix, char *out, size_t cap, struct ld_err *err)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, cap, "%s/%s-XXXXXX", base != NULL && base[0] != '\0' ?
	    base : "/tmp", prefix);
	if (mkdtemp(out) == NULL)
		return err_set(err, LD_EIO, "mkdtemp %s: %s", out,
		    strerror(errno));
	return 0;
}

static const char *bench_rm_prog;	/* bench_rm_tree's, for bench_rm_one */

/* nftw callback: remove one entry. */
static int
bench_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "%s: cannot remove %s: %s\n", bench_rm_prog,
		    path, strerror(errno));
	return 0;
}

void
bench_rm_tree(const char *prog, const char *dir)
{
	bench_rm_prog = prog;
	nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
bench_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) !=
	    NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

bool
bench_file_has(const char *path, const char *text)
{
	char *s = bench_slurp(path);
	bool has = s != NULL && strstr(s, text) != NULL;

	free(s);
	return has;
}

void
bench_show_log(const char *path)
{
	char *s = bench_slurp(path);
	const char *p;
	int lines = 0;

	if (s == NULL)
		return;
	p = s + strlen(s);
	while (p > s && lines < 12)
		if (*--p == '\n')
			lines++;
	fprintf(stderr, "--- %s ---\n%s", path, p);
	free(s);
}

/* ---- child processes ----------------------------------------------------- */

int
bench_find_bindir(const char *argv0, const char *const need[], char *out,
    size_t cap, struct ld_err *err)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0)
		self[n] = '\0';
	else if (realpath(argv0, self) == NULL)
		return err_set(err, LD_ENOTFOUND, "cannot find this binary's "
		    "directory (%s)", argv0);
	if ((slash = strrchr(self, '/')) == NULL)
		return err_set(err, LD_ENOTFOUND, "cannot find this binary's "
		    "directory (%s)", self);
	*slash = '\0';
	snprintf(out, cap, "%s", self[0] ? self : "/");
	for (size_t i = 0; need[i] != NULL; i++) {
		char bin[PATH_MAX];
		int rc = bench_path(bin, sizeof(bin), out, need[i], err);

		if (rc != 0)
			return rc;
		if (access(bin, X_OK) != 0)
			return err_set(err, LD_ENOTFOUND, "%s: %s (build it: "
			    "make)", bin, strerror(errno));
	}
	return 0;
}

pid_t
bench_spawn(char *const argv[], const char *log, bool with_parent,
    struct ld_err *err)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_set(err, LD_EIO, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (with_parent)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((with_parent && getppid() != parent) || fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

enum bench_wait
bench_wait_log(pid_t pid, const char *log, const char *text, int wait_ms,
    int poll_ms, int *status)
{
	for (int waited = 0; waited < wait_ms; waited += poll_ms) {
		if (bench_file_has(log, text))
			return BENCH_READY;
		if (waitpid(pid, status, WNOHANG) == pid)
			return BENCH_EXITED;
		bench_sleep_ms(poll_ms);
	}
	return BENCH_LATE;
}

bool
bench_stop(pid_t pid, int wait_ms, int *status, struct rusage *ru)
{
	*status = 0;
	if (ru != NULL)
		memset(ru, 0, sizeof(*ru));
	kill(pid, SIGTERM);
	for (int waited = 0; waited < wait_ms; waited += 10) {
		if (wait4(pid, status, WNOHANG, ru) == pid)
			return false;
		bench_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	wait4(pid, status, 0, ru);
	return true;
}

/* ---- the topology of the nodes ------------------------------------------- */

/* The calendar the topology at path names, as an absolute path into
 * abs[PATH_MAX] ("" if it names none): a copy of the topology in another
 * directory must read the same one. */
static int
bench_calendar(const char *path, char *abs, struct ld_err *err)
{
	struct ld_topo *t = NULL;
	int rc = topo_load(path, &t);

	abs[0] = '\0';
	if (rc == 0 && t->cal_path[0] != '\0' && realpath(t->cal_path, abs) ==
	    NULL)
		rc = err_set(err, LD_EIO, "%s: %s", t->cal_path,
		    strerror(errno));
	else if (rc != 0)
		rc = err_set(err, rc, "%s: not a valid topology", path);
	topo_free(t);
	return rc;
}

/* s (malloc'd) with its "calendar = ..." line (the [federation] key), if
 * any, naming cal instead; s itself if cal is "". */
static char *
bench_put_calendar(char *s, const char *cal)
{
	for (char *line = s; cal[0] != '\0' && line != NULL;
	    line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = line + strspn(line, " \t");
		size_t n;
		char *out;

		if (strncmp(p, "calendar", 8) != 0)
			continue;
		p += 8 + strspn(p + 8, " \t");
		if (*p != '=' && *p != ':')
			continue;
		n = strlen(s) + strlen(cal) + sizeof("calendar = ");
		if ((out = malloc(n)) == NULL)
			return s;
		snprintf(out, n, "%.*scalendar = %s%s", (int)(line - s), s, cal,
		    line + strcspn(line, "\r\n"));
		free(s);
		return out;
	}
	return s;
}

/* Copy the file in to out with every "tcp://127.0.0.1:P", P in 7000..7999,
 * moved to P - BENCH_EXAMPLE_PORT + port, and its calendar named by the
 * absolute path cal (bench_topology). */
static int
bench_move_ports(const char *in, const char *out, int port, const char *cal,
    struct ld_err *err)
{
	const char *pat = "tcp://127.0.0.1:7";
	char *s = bench_slurp(in), *p;
	FILE *f;

	if (s == NULL)
		return err_set(err, LD_EIO, "%s: %s", in, strerror(errno));
	s = bench_put_calendar(s, cal);
	if ((f = fopen(out, "w")) == NULL) {
		err_set(err, LD_EIO, "%s: %s", out, strerror(errno));
		free(s);
		return LD_EIO;
	}
	for (p = s;;) {
		char *q = strstr(p, pat), *end;
		long old;

		if (q == NULL) {
			fputs(p, f);
			break;
		}
		q += strlen(pat) - 1;	/* at the port's first digit */
		old = strtol(q, &end, 10);
		fwrite(p, 1, (size_t)(q - p), f);
		if (old >= 7000 && old <= 7999)
			fprintf(f, "%ld", old - BENCH_EXAMPLE_PORT + port);
		else
			fwrite(q, 1, (size_t)(end - q), f);
		p = end;
	}
	free(s);
	if (fclose(f) != 0)
		return err_set(err, LD_EIO, "%s: %s", out, strerror(errno));
	return 0;
}

int
bench_topology(const char *bindir, const char *dir, const char *topology,
    int port, char *out, size_t cap, struct ld_topo **t, struct ld_err *err)
{
	char tool[PATH_MAX], keys[PATH_MAX], raw[PATH_MAX], log[PATH_MAX];
	char cal[PATH_MAX];
	char *const argv[] = { tool, "rekey", (char *)topology, "--keys", keys,
		"--out", raw, NULL };
	pid_t pid;
	int rc, st;

	*t = NULL;
	if ((rc = bench_path(tool, sizeof(tool), bindir, "topology", err)) ||
	    (rc = bench_path(keys, sizeof(keys), dir, "keys", err)) ||
	    (rc = bench_path(raw, sizeof(raw), dir, "rekeyed.ini", err)) ||
	    (rc = bench_path(log, sizeof(log), dir, "rekey.log", err)) ||
	    (rc = bench_path(out, cap, dir, "topo.ini", err)))
		return rc;
	if ((pid = bench_spawn(argv, log, false, err)) < 0)
		return LD_EIO;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		bench_show_log(log);
		return err_set(err, LD_EIO, "%s rekey %s failed", tool,
		    topology);
	}
	if ((rc = bench_calendar(topology, cal, err)) != 0 ||
	    (rc = bench_move_ports(raw, out, port, cal, err)) != 0)
		return rc;
	if (topo_load(out, t) != 0) {
		if (*t != NULL)
			topo_print_diags(*t, stderr);
		topo_free(*t);
		*t = NULL;
		return err_set(err, LD_EINVAL, "%s: not a valid topology", out);
	}
	return 0;
}

int
bench_read_key(const char *dir, const char *id, struct ld_keypair *kp,
    struct ld_err *err)
{
	char path[PATH_MAX], name[64];
	int rc;

	snprintf(name, sizeof(name), "keys/%s.key", id);
	if ((rc = bench_path(path, sizeof(path), dir, name, err)) != 0)
		return rc;
	return keyfile_read(path, kp, err);
}

/* ---- events and replies -------------------------------------------------- */

/* If rc (a setter's) is not 0: rc and "field NAME: " fmt into err. */
static void __attribute__((format(printf, 4, 5)))
bench_field_err(struct ld_err *err, int rc, enum ld_field f,
    const char *fmt, ...)
{
	char what[LD_ERR_MSG_MAX];
	va_list ap;

	if (rc == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err_set(err, rc, "field %s: %s", event_fields[f].name, what);
}

int
bench_set_str(struct ld_event *ev, enum ld_field f, const char *s,
    struct ld_err *err)
{
	if (err->code == 0)
		bench_field_err(err, event_set_str(ev, f, s), f,
		    "'%s' is over its limit", s);
	return err->code;
}

int
bench_set_uint(struct ld_event *ev, enum ld_field f, uint64_t v,
    struct ld_err *err)
{
	if (err->code == 0)
		bench_field_err(err, event_set_uint(ev, f, v), f,
		    "%llu out of range", (unsigned long long)v);
	return err->code;
}

int
bench_set_time(struct ld_event *ev, enum ld_field f, int64_t ms,
    struct ld_err *err)
{
	if (err->code == 0)
		bench_field_err(err, event_set_time(ev, f, ms), f, "bad time");
	return err->code;
}

const msgpack_object *
bench_mp_get(const msgpack_object *o, const char *key)
{
	size_t n = strlen(key);

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

size_t
bench_rank(size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.5);

	i = i == 0 ? 0 : i - 1;
	return i >= n ? n - 1 : i;
}
