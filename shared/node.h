/*
 * node.h - the node daemon's core, shared by city-node and county-node.
 *
 * For now (issue 2) a node opens its store, checks it, and either runs the
 * embedded demo (the article's cases through the real group-commit path)
 * or reports what it holds; either way it stays in the foreground until
 * SIGINT or SIGTERM and then closes the store cleanly.  The client
 * endpoint (issue 4) and federation (issue 5) plug into node_run().
 */
#ifndef LD_NODE_H
#define LD_NODE_H

#include "store.h"
#include "topo.h"

enum ld_level { LD_LEVEL_CITY = 1, LD_LEVEL_COUNTY = 2 };

/* main() of both daemons: parse argv, run, return the exit status
 * (0 clean stop, 1 runtime failure, 2 bad usage). */
int node_main(int argc, char **argv, enum ld_level level);

/* Load and check the topology for node id running at level (city-node:
 * province or city; county-node: county or town).  On any error prints
 * the diagnostics (as `topology check` does) and a reason to stderr and
 * returns NULL: the node must not start. */
struct ld_topo *node_topology(const char *path, const char *id,
    enum ld_level level);

/* The demo: run the article's cases on store s with a simulated clock
 * starting 2011-11-16 10:00 (local), routing by topology t, printing each
 * step to out.  Returns 0 or the first unexpected error. */
int demo_run(struct ld_store *s, const char *node, const struct ld_topo *t,
    void *out /* FILE * */);

#endif
