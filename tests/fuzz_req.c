/*
 * fuzz_req.c - libFuzzer target for what a node does with a request: the
 * handlers (req_*) and the store behind them, with the topology of
 * topology.example (read from the working directory) and a store in a temp
 * dir seeded with four tickets of the article.
 *
 * Input: one byte choosing the caller (an operator, two unit terminals, an
 * administrator of LY), then a request frame.  A request that decodes goes
 * the node's way: role check, then req_query, or req_plan -> store_commit
 * -> req_result.  A ticket id the store does not hold is swapped for one
 * of the seeded tickets, so that mutations reach the state machine.
 * Nothing may crash, leak or write out of bounds; every reply must decode;
 * every error must carry its code and a message; and after every change
 * the ticket must still pass ticket_check.  Any violation abort()s.  The
 * store is started afresh every FUZZ_REQ_RESET inputs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ltime.h"
#include "proto.h"
#include "req.h"
#include "store.h"
#include "ticket.h"
#include "topo.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQ_RESET 5000
#define FUZZ_REQ_SEEDS 4

static const char *const fuzz_callers[] = {
	"op-ly-wang", "unit-unicom", "unit-zhujian", "admin-ly-liu",
};

static struct {
	struct ld_topo *t;
	struct ld_store *s;
	struct ld_req_env env;
	char dir[64];
	char seeds[FUZZ_REQ_SEEDS][LD_TICKET_MAX + 1];
	unsigned inputs;
	struct ld_event ev[LD_REQ_EVENTS_MAX];
	struct ld_store_item it[LD_REQ_EVENTS_MAX];
	struct ld_request req;
	uint8_t reply[LD_PROTO_REPLY_MAX];
} fz;

static void
fuzz_die(const char *what, const struct ld_err *err)
{
	fprintf(stderr, "fuzz_req: %s: %s\n", what, err ? err->msg : "");
	abort();
}

/* Plan, commit and answer r by caller c; returns the reply length. */
static int
fuzz_change(const struct ld_caller *c, struct ld_request *r)
{
	struct ld_req_plan p = { .ev = fz.ev };
	struct ld_ticket t;
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = req_plan(&fz.env, c, r, &p, req_events_max(r), &err);
	fuzz_check_err(rc, &err, "req_plan");
	if (rc != 0)
		return rc;
	if (p.n > req_events_max(r))
		fuzz_die("req_plan: more events than req_events_max", NULL);
	req_items(fz.ev, p.n, fz.it);
	if (store_commit(fz.s, fz.it, p.n, fz.env.now, &err) != 0)
		fuzz_die("store_commit", &err);
	if (p.n > 0 && fz.it[0].rc != 0)
		return fz.it[0].rc;	/* the state machine had the last word */
	for (size_t i = 0; i < p.n; i++)
		if (fz.it[i].ev->ticket[0] &&
		    store_get_ticket(fz.s, fz.it[i].ev->ticket, &t, &err) == 0 &&
		    ticket_check(&t, &err) != 0)
			fuzz_die("ticket_check after a change", &err);
	rc = req_result(&fz.env, c, r, &p, fz.reply, sizeof(fz.reply), &err);
	fuzz_check_err(rc, &err, "req_result");
	return rc;
}

/* Close the store and remove its directory (the last one, at exit). */
static void
fuzz_drop_store(void)
{
	char cmd[128];

	if (fz.s == NULL)
		return;
	store_close(fz.s);
	fz.s = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_req: could not remove %s\n", fz.dir);
}

/* A fresh store with the seeded tickets. */
static void
fuzz_reset(void)
{
	static const char *const cases[FUZZ_REQ_SEEDS][3] = {
		{ "manhole.unicom", "luolong", "王城大道与关林路交叉口" },
		{ "manhole", "xigong", "中州路与解放路口东侧" },
		{ "livestock", "baimasi", "白马寺镇某奶牛场" },
		{ "power.waterplant", "luolong", "关林水厂" },
	};
	struct ld_store_opts o = { 0 };
	struct ld_caller adm;
	struct ld_err err;
	static bool registered;

	if (!registered) {
		atexit(fuzz_drop_store);
		registered = true;
	}
	fuzz_drop_store();
	snprintf(fz.dir, sizeof(fz.dir), "/tmp/liandong-fuzz-req-XXXXXX");
	if (mkdtemp(fz.dir) == NULL)
		fuzz_die("mkdtemp", NULL);
	o.dir = fz.dir;
	o.node = "LY";
	o.no_sync = true;
	if (store_open(&fz.s, &o, &err) != 0)
		fuzz_die("store_open", &err);
	fz.env.s = fz.s;
	if (req_caller(&fz.env, "admin-ly-liu", &adm, &err) != 0)
		fuzz_die("req_caller", &err);
	for (int i = 0; i < FUZZ_REQ_SEEDS; i++) {
		struct ld_request *r = &fz.req;

		memset(r, 0, sizeof(*r));
		r->op = LD_OP_TICKET_CREATE;
		event_set_str(&r->args, LD_F_PHONE, "13903791234");
		event_set_str(&r->args, LD_F_PLACE, cases[i][2]);
		event_set_str(&r->args, LD_F_AREA, cases[i][1]);
		event_set_str(&r->args, LD_F_CATEGORY, cases[i][0]);
		event_set_uint(&r->args, LD_F_URGENCY, 2);
		event_set_str(&r->args, LD_F_TEXT, "井盖丢失");
		if (fuzz_change(&adm, r) <= 0)
			fuzz_die("seeding", NULL);
		snprintf(fz.seeds[i], sizeof(fz.seeds[i]), "%s", fz.ev[0].ticket);
	}
	fz.inputs = 0;
}

static void
fuzz_init(void)
{
	if (topo_load("topology.example", &fz.t) != 0)
		fuzz_die("topology.example does not load (run from the "
		    "repository's root)", NULL);
	fz.env.t = fz.t;
	fz.env.self = topo_node(fz.t, "LY");
	fz.env.now = ltime_parse("2011-11-16 10:00");
	fz.env.started = fz.env.now;
	fz.env.version = "fuzz";
	fuzz_reset();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ld_request *r = &fz.req;
	struct ld_caller c;
	struct ld_ticket t;
	struct ld_reply rep;
	struct ld_err err;
	int rc;

	if (fz.t == NULL)
		fuzz_init();
	if (++fz.inputs > FUZZ_REQ_RESET)
		fuzz_reset();
	if (size < 1)
		return 0;
	fz.env.now += 1000;	/* time moves on: deadlines pass */
	if (req_caller(&fz.env, fuzz_callers[data[0] % 4], &c, &err) != 0)
		fuzz_die("req_caller", &err);
	err_clear(&err);
	rc = proto_request_decode(data + 1, size - 1, r, &err);
	fuzz_check_err(rc, &err, "decode");
	if (rc != 0 || req_allowed(&c, r->op, &err) != 0)
		return 0;
	if ((r->q_present & (1u << LD_Q_TICKET)) &&
	    store_get_ticket(fz.s, r->ticket, &t, &err) != 0)
		snprintf(r->ticket, sizeof(r->ticket), "%s",
		    fz.seeds[(data[0] >> 2) % FUZZ_REQ_SEEDS]);
	err_clear(&err);
	if (req_is_query(r->op)) {
		rc = req_query(&fz.env, &c, r, fz.reply, sizeof(fz.reply), &err);
		fuzz_check_err(rc, &err, "req_query");
	} else {
		rc = fuzz_change(&c, r);
	}
	if (rc > 0 && proto_reply_decode(fz.reply, (size_t)rc, &rep, &err) != 0)
		fuzz_die("a reply that does not decode", &err);
	return 0;
}
