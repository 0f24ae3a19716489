/*
 * testnet.h - integration tests with real node processes: a temp dir with
 * a copy of topology.example rekeyed by `topology rekey` (the tests hold
 * every running node's and client's secret key) and moved to ports of its
 * own, with calendar.example beside it (the example names it, relative
 * to itself); nodes started as processes ($LD_NODE_BIN, $LD_COUNTY_BIN)
 * and stopped by signal; clients connected with the keys of the topology.
 */
#ifndef LD_TESTNET_H
#define LD_TESTNET_H

#include "testutil.h"
#include "client.h"
#include "keyfile.h"
#include "topo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

struct tn {
	char *dir;
	char topo[300];		/* the rekeyed topology */
	char keys[300];		/* DIR/keys: <id>.key per node and client */
	int port_base;		/* topology.example's 7100.. moved here */
	struct ld_topo *t;
};

static inline const char *
tn_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static inline void
tn_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Every "tcp://127.0.0.1:P" with P in 7000..7999 becomes port_base + P -
 * 7000, so that concurrent test runs do not collide. */
static inline void
tn_move_ports(const char *in, const char *out, int base)
{
	size_t len;
	char *s = tu_slurp(in, &len), *p;
	FILE *f = fopen(out, "w");
	const char *pat = "tcp://127.0.0.1:7";

	assert_non_null(s);
	assert_non_null(f);
	p = s;
	for (;;) {
		char *q = strstr(p, pat);

		if (q == NULL) {
			fputs(p, f);
			break;
		}
		q += strlen(pat) - 1;	/* at the port's first digit */
		fwrite(p, 1, (size_t)(q - p), f);
		fprintf(f, "%d", base + atoi(q) - 7000);
		while (*q >= '0' && *q <= '9')
			q++;
		p = q;
	}
	fclose(f);
	free(s);
}

/* The working-day calendar topology.example names (calendar.example,
 * relative to the topology) copied into dir, beside a copy of the
 * topology. */
static inline void
tn_copy_calendar(const char *dir)
{
	char path[400];
	size_t len = 0;
	char *s = tu_slurp("calendar.example", &len);
	FILE *f;

	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/calendar.example", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(s);
}

/* Is TCP port p on loopback free to bind now? */
static inline bool
tn_port_free(int p)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	bool ok;

	if (fd < 0)
		return true;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)p);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Set up n: temp dir, rekeyed topology on ports of its own: a block of
 * 1,000 chosen by the pid, or the next one whose main ports are free
 * (another test's nodes may still hold a block). */
static inline void
tn_init(struct tn *n)
{
	char cmd[1200], raw[320];
	const char *tool = tn_env("LD_TOPOLOGY_BIN", "build/test/topology");

	memset(n, 0, sizeof(*n));
	n->dir = tu_tmpdir();
	/* below the kernel's ephemeral ports (32768 ..): an outgoing
	 * connection of another test cannot hold one of ours */
	n->port_base = 20000 + (int)(getpid() % 12) * 1000;
	for (int i = 0; i < 12; i++) {
		int b = 20000 + (int)((getpid() + i) % 12) * 1000;

		if (tn_port_free(b + 100) && tn_port_free(b + 101) &&
		    tn_port_free(b + 110) && tn_port_free(b + 111) &&
		    tn_port_free(b + 950) && tn_port_free(b + 951)) {
			n->port_base = b;
			break;
		}
	}
	snprintf(n->keys, sizeof(n->keys), "%s/keys", n->dir);
	snprintf(raw, sizeof(raw), "%s/rekeyed.ini", n->dir);
	snprintf(n->topo, sizeof(n->topo), "%s/topology.ini", n->dir);
	tn_copy_calendar(n->dir);
	snprintf(cmd, sizeof(cmd), "%s rekey topology.example --keys %s --out "
	    "%s 2>/dev/null", tool, n->keys, raw);
	assert_int_equal(system(cmd), 0);
	tn_move_ports(raw, n->topo, n->port_base);
	assert_int_equal(topo_load(n->topo, &n->t), 0);
}

static inline void
tn_fini(struct tn *n)
{
	topo_free(n->t);
	tu_rm_tree(n->dir);
}

struct tn_node {
	pid_t pid;
	char id[16];
	char data[320];
	char log[320];		/* its stderr */
	char out[320];		/* its stdout */
};

/* Does the node's log hold text? */
static inline bool
tn_log_has(const struct tn_node *nd, const char *text)
{
	char *s = tu_slurp(nd->log, NULL);
	bool has = s != NULL && strstr(s, text) != NULL;

	free(s);
	return has;
}

/* Start node id (city-node or county-node by its level) on its data dir
 * under n->dir with extra arguments (NULL-terminated, may be NULL); wait
 * until it logs "ready;" (returns true) or exits (false).  The node reads
 * the topology at topo (tn_start: n->topo; a variant of it, e.g. with a
 * peer endpoint moved behind a test relay). */
static inline bool
tn_start_topo(struct tn *n, struct tn_node *nd, const char *id,
    const char *topo, const char *const *extra)
{
	int self = topo_node(n->t, id);
	const char *bin = n->t->nodes[self].level <= LD_TL_CITY ?
	    tn_env("LD_NODE_BIN", "build/test/city-node") :
	    tn_env("LD_COUNTY_BIN", "build/test/county-node");
	char key[320];

	memset(nd, 0, sizeof(*nd));
	snprintf(nd->id, sizeof(nd->id), "%s", id);
	snprintf(nd->data, sizeof(nd->data), "%s/%s", n->dir, id);
	snprintf(nd->log, sizeof(nd->log), "%s/%s.log", n->dir, id);
	snprintf(nd->out, sizeof(nd->out), "%s/%s.out", n->dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", n->keys, id);
	unlink(nd->log);
	nd->pid = fork();
	assert_true(nd->pid >= 0);
	if (nd->pid == 0) {
		const char *argv[32] = { bin, "--topology", topo, "--id", id,
			"--key", key, "--data", nd->data };
		int a = 9;
		int e = open(nd->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int o = open(nd->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		for (int i = 0; extra && extra[i] && a < 31; i++)
			argv[a++] = extra[i];
		argv[a] = NULL;
		dup2(o, 1);
		dup2(e, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {	/* up to 30 s */
		int st;

		if (tn_log_has(nd, "ready;"))
			return true;
		if (waitpid(nd->pid, &st, WNOHANG) == nd->pid) {
			nd->pid = 0;
			return false;
		}
		tn_sleep_ms(10);
	}
	return false;
}

static inline bool
tn_start(struct tn *n, struct tn_node *nd, const char *id,
    const char *const *extra)
{
	return tn_start_topo(n, nd, id, n->topo, extra);
}

/* Stop a node with sig; its exit status (-1: killed by a signal). */
static inline int
tn_stop(struct tn_node *nd, int sig)
{
	int st = 0;

	if (nd->pid <= 0)
		return -1;
	kill(nd->pid, sig);
	waitpid(nd->pid, &st, 0);
	nd->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A client of node id with the key of client cid (NULL on failure). */
static inline struct ld_client *
tn_client(struct tn *n, const char *id, const char *cid, int timeout_ms)
{
	const struct ld_topo_node *nd = &n->t->nodes[topo_node(n->t, id)];
	struct ld_client_opts o;
	struct ld_keypair kp;
	struct ld_client *c = NULL;
	struct ld_err err;
	char path[320];

	snprintf(path, sizeof(path), "%s/%s.key", n->keys, cid);
	if (keyfile_read(path, &kp, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.endpoint = nd->client;
	o.keys = &kp;
	o.timeout_ms = timeout_ms;
	if (zmq_z85_decode(o.server_key, nd->public_key) == NULL ||
	    client_open(&c, &o, &err) != 0) {
		fprintf(stderr, "client %s: %s\n", cid, err.msg);
		c = NULL;
	}
	keyfile_wipe(&kp);
	return c;
}

#endif
