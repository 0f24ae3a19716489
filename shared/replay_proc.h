/*
 * replay_proc.h - the node processes of a replay: started on the
 * simulated clock (LD_CLOCK_FILE), watched for memory while they run,
 * stopped with SIGTERM (a clean stop, so each logs what it served), and
 * measured afterwards (events in the log, database size).
 */
#ifndef LD_REPLAY_PROC_H
#define LD_REPLAY_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define RPROC_MAX 8
/* The nodes' --link-dead-ms: the hours of the cut pass in milliseconds,
 * so the replay holds the line cut in real time until both sides saw it
 * down (replay.c); a shorter time is a shorter wait. */
#define RPROC_LINK_DEAD_MS 1000

struct rproc_node {
	char id[16];
	pid_t pid;		/* 0: not running */
	char data[512];		/* its data dir */
	char log[512];		/* its stderr */
	/* peaks seen by the sampler, KiB (/proc/PID/status) */
	uint64_t peak_anon_kib, peak_file_kib, peak_rss_kib;
	/* after the stop */
	uint64_t events;	/* "store: N events" of its last report */
	uint64_t requests;	/* "served N requests" */
	uint64_t commits;	/* "... in M group commits" */
	uint64_t db_bytes;	/* data.mdb: bytes allocated on disk */
	int status;		/* its exit status; -1 if killed or unknown */
	double cpu_s;		/* CPU seconds it used (user + system) */
};

struct rproc {
	int n;
	struct rproc_node node[RPROC_MAX];
	int sample_ms;		/* sampler period */
	/* private */
	bool run;
	void *thread;
};

/* Start node id (bin: city-node or county-node) with its topology, key and
 * data dir DIR/ID, the clock file and stderr in DIR/ID.log.  LD_EIO. */
int rproc_start(struct rproc *p, const char *bin, const char *id,
    const char *topo, const char *key, const char *dir,
    const char *clock_file, struct ld_err *err);

/* Start the memory sampler over the started nodes. */
int rproc_sample_start(struct rproc *p, struct ld_err *err);
void rproc_sample_stop(struct rproc *p);

/* A node still running? (false once it exited: its status is kept) */
bool rproc_alive(struct rproc_node *n);

/* SIGTERM every node, wait up to timeout_ms for each (then SIGKILL), and
 * read the figures of its log and data dir. */
void rproc_stop_all(struct rproc *p, int timeout_ms);

#endif
