/*
 * replay_topo.h - the federation a replay runs on (docs/replay.md §3):
 * the city LY and three counties (Xin'an XA, Yanshi YS, Mengjin MJ), each
 * a running node with its own areas; the city's linkage units (water,
 * power, housing, gas, heating, city management, traffic police, telecom,
 * environment) and each county's water, power and housing; eleven request
 * categories with their time limits and routing rules (a county's area to
 * the county's own unit where it has one, else to the city's unit, which
 * then works through its node); the water-plant emergency plan; one
 * operator per node, one terminal per unit, and the city's administrator
 * (admin-ly: the progress line reads the city's status).
 *
 * rtopo_write makes the key pairs (DIR/keys/ID.key) and writes
 * DIR/topology.ini with their public keys, loopback endpoints from
 * port_base on, and DIR/topology-XA.ini: the same, except that XA
 * reaches LY's peer endpoint through relay_port (the line the replay cuts).
 */
#ifndef LD_REPLAY_TOPO_H
#define LD_REPLAY_TOPO_H

#include <stdint.h>

#include "err.h"

#define RTOPO_NODES 4		/* LY, XA, YS, MJ */
#define RTOPO_CUT_NODE 1	/* XA: its line to the city is cut */

struct rtopo_node {
	const char *id, *name;
	const char *areas[8];	/* NULL-terminated */
	uint32_t share;		/* calls taken here, per mille */
};

struct rtopo_unit {
	const char *id, *name;
	int node;		/* index in rtopo_nodes */
};

struct rtopo_category {
	const char *id, *name;
	uint32_t weight;	/* share of the linkage requests */
	const char *city_unit;	/* the unit for the city's areas */
	const char *county_unit;	/* "C" + this for a county's areas
					 * ("water": xa.water), or NULL: the
					 * city's unit everywhere */
	const char *limits;	/* the [category] urgency lines */
	int slow;		/* 1: the slow limits (RTOPO_LIMITS) */
};

/* The limits of a category (slow 0 or 1) at urgency 1, 3 or 5 (2 and 4
 * take the next less urgent level's): sign and complete, ms. */
void rtopo_limits(int slow, unsigned urgency, int64_t *sign_ms,
    int64_t *complete_ms);

extern const struct rtopo_node rtopo_nodes[RTOPO_NODES];
extern const struct rtopo_unit rtopo_units[];
extern const int rtopo_n_units;
extern const struct rtopo_category rtopo_categories[];
extern const int rtopo_n_categories;
extern const char *const rtopo_plan_category;	/* power.waterplant */

/* The endpoints: node i's peer is port_base + 10 i, its client endpoint
 * port_base + 10 i + 1. */
int rtopo_client_port(int port_base, int node);
int rtopo_peer_port(int port_base, int node);

/* Write DIR/topology.ini, DIR/topology-XA.ini and DIR/keys/ (made if
 * missing; existing key files are reused).  LD_EIO with the path. */
int rtopo_write(const char *dir, int port_base, int relay_port,
    struct ld_err *err);

/* The unit index of id, -1 if none. */
int rtopo_unit(const char *id);

#endif
