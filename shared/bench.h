/*
 * bench.h - what the benchmarks (tools/bench-store.c, tools/bench-node.c,
 * tools/bench-fed.c) share: the description of the machine their figures
 * come from, their JSON lines, clocks, files, child processes and the
 * rekeyed topology they run nodes on.  Not used by the nodes.
 *
 * Nothing here exits or gives up on the caller's behalf: a function that
 * can fail returns 0 or an LD_E* code with the message in err (err.h), and
 * the tool says it and exits as it chooses.
 */
#ifndef LD_BENCH_H
#define LD_BENCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "event.h"

struct ld_keypair;
struct ld_topo;
struct rusage;

/* ---- the machine and the output ------------------------------------------ */

/* The machine a benchmark ran on. */
struct bench_machine {
	char cpu[128];		/* model name from /proc/cpuinfo, "?" */
	long cores;		/* online */
	long mem_mib;
	char fs[64];		/* filesystem type of the data dir */
	char dev[256];		/* and its device */
	char kernel[160];	/* "Linux 6.1.0" */
};

/* Describe the machine, with the filesystem that holds dir. */
void bench_machine_get(const char *dir, struct bench_machine *m);

/* The machine as one line into out: CPU, cores, RAM, kernel, the data
 * dir's device and filesystem, then the library versions: libzmq and
 * libsodium if network (the benchmarks over CURVE), and LMDB. */
void bench_machine_line(const struct bench_machine *m, bool network,
    char *out, size_t cap);

/* One JSON line on stdout: {"bench": bench, "figure": figure, "value":
 * value, "unit": unit, "baseline": baseline, "ratio": value / baseline};
 * baseline <= 0 gives null for both. */
void bench_json_num(const char *bench, const char *figure, double value,
    const char *unit, double baseline);
/* The same with a string value, no unit, no baseline. */
void bench_json_text(const char *bench, const char *figure, const char *value);

/* The value of option opt (for the message), s, as a whole number from lo
 * to hi into *v: 0, or LD_EINVAL ("--port: 'x' is not a whole number from
 * 1 to 9"). */
int bench_parse_long(const char *opt, const char *s, long lo, long hi,
    long *v, struct ld_err *err);

/* ---- clocks and numbers -------------------------------------------------- */

/* Monotonic nanoseconds. */
int64_t bench_ns(void);

/* Sleep ms milliseconds (the rest of them after a signal). */
void bench_sleep_ms(int ms);

/* CPU seconds (user + system) of the calling thread so far. */
double bench_thread_cpu(void);
/* CPU seconds (user + system) of this process, all threads, so far. */
double bench_self_cpu(void);

/* CPU seconds (user + system) of process pid so far, all its threads, from
 * /proc/PID/stat; -1 if it cannot be read. */
double bench_proc_cpu(pid_t pid);

/* The index of the q-quantile (nearest rank) among n > 0 sorted samples. */
size_t bench_rank(size_t n, double q);

/* xorshift64*: the next number of the state *s (not 0). */
uint64_t bench_rand(uint64_t *s);

/* ---- files --------------------------------------------------------------- */

/* dir/name into out: 0, or LD_ELIMIT if it does not fit ("path too long:
 * DIR/NAME"). */
int bench_path(char *out, size_t cap, const char *dir, const char *name,
    struct ld_err *err);

/* A fresh directory $TMPDIR/PREFIX-XXXXXX (/tmp without TMPDIR) into out:
 * 0, or LD_EIO ("mkdtemp DIR: why"). */
int bench_workdir(const char *prefix, char *out, size_t cap,
    struct ld_err *err);

/* Remove the tree at dir (links are removed, not followed); whatever
 * cannot be removed is named on stderr as "prog: cannot remove PATH: why".
 * Not thread-safe. */
void bench_rm_tree(const char *prog, const char *dir);

/* A whole file (NUL-terminated; free it), NULL if it cannot be read. */
char *bench_slurp(const char *path);

/* Does the file at path hold text? */
bool bench_file_has(const char *path, const char *text);

/* The last 12 lines of the file at path (a child's log) on stderr, under
 * "--- PATH ---"; nothing if it cannot be read. */
void bench_show_log(const char *path);

/* ---- child processes ----------------------------------------------------- */

/* The directory of this binary (from /proc/self/exe, else argv0) into
 * out, where every program of the NULL-terminated need must be: 0, or
 * LD_ENOTFOUND ("cannot find this binary's directory (ARGV0)", or
 * "DIR/PROG: why (build it: make)"). */
int bench_find_bindir(const char *argv0, const char *const need[],
    char *out, size_t cap, struct ld_err *err);

/* Start argv[0] (a path) with argv, its stdout and stderr in the file log
 * (truncated, mode 0600); with_parent: it gets SIGKILL when this process
 * dies (PR_SET_PDEATHSIG).  Its pid, or -1 with err ("fork: why"). */
pid_t bench_spawn(char *const argv[], const char *log, bool with_parent,
    struct ld_err *err);

/* How bench_wait_log ended. */
enum bench_wait {
	BENCH_READY,		/* the log holds the text */
	BENCH_EXITED,		/* the process exited first (reaped) */
	BENCH_LATE		/* neither within the time */
};

/* Poll every poll_ms, for up to wait_ms, until the file log holds text;
 * if process pid exits first its wait status goes into *status. */
enum bench_wait bench_wait_log(pid_t pid, const char *log, const char *text,
    int wait_ms, int poll_ms, int *status);

/* Stop process pid: SIGTERM, then reap it, polling every 10 ms; SIGKILL
 * after wait_ms.  Its wait status into *status and, if ru is not NULL, its
 * resource usage into *ru.  True if it had to be killed. */
bool bench_stop(pid_t pid, int wait_ms, int *status, struct rusage *ru);

/* ---- the topology of the nodes ------------------------------------------- */

/*
 * The topology a benchmark runs its nodes on, in its work dir dir:
 * `BINDIR/topology rekey TOPOLOGY --keys DIR/keys --out DIR/rekeyed.ini`
 * gives the file fresh keys that this run holds (its output in
 * DIR/rekey.log, shown on stderr if it fails), then every
 * "tcp://127.0.0.1:P" with P in 7000..7999 becomes P - 7101 + port in
 * DIR/topo.ini, so that LY's client endpoint (7101 in topology.example) is
 * on port and no endpoint collides with the example's ports (or the
 * tests', which move them to 20000..59999); its working-day calendar
 * ([federation] calendar, relative to TOPOLOGY) is named there by its
 * absolute path.  That file's path goes into out and the topology loaded
 * from it into *t (topo_free it).  0, or an
 * LD_E* code with err (a topology that does not load has its diagnostics
 * on stderr: "DIR/topo.ini: not a valid topology").
 */
int bench_topology(const char *bindir, const char *dir, const char *topology,
    int port, char *out, size_t cap, struct ld_topo **t, struct ld_err *err);

/* The key pair of node or client id from DIR/keys/ID.key (bench_topology's
 * keys): 0, or keyfile_read's code and message. */
int bench_read_key(const char *dir, const char *id, struct ld_keypair *kp,
    struct ld_err *err);

/* ---- events and replies -------------------------------------------------- */

/*
 * event_set_str, event_set_uint and event_set_time (event.h) that say what
 * failed in err: "field NAME: 'S' is over its limit", "field NAME: N out of
 * range", "field NAME: bad time" (for a benchmark, a bug of its own).
 * Sticky: once err holds an error (err->code != 0) they set nothing and
 * return it, so that the fields of an event are set one after another and
 * err is looked at once (start it cleared: = { 0 }).
 */
int bench_set_str(struct ld_event *ev, enum ld_field f, const char *s,
    struct ld_err *err);
int bench_set_uint(struct ld_event *ev, enum ld_field f, uint64_t v,
    struct ld_err *err);
int bench_set_time(struct ld_event *ev, enum ld_field f, int64_t ms,
    struct ld_err *err);

/* The value of key in msgpack map o, or NULL (also when o is NULL or not a
 * map). */
const msgpack_object *bench_mp_get(const msgpack_object *o, const char *key);

#endif
