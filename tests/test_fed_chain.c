/*
 * test_fed_chain.c - a deeper and wider tree, with the protocol unchanged
 * (docs/federation.md §1): topology.example plus a running town node XAT
 * below Xin'an, and Jili district (JL, a second county) running; all
 * rekeyed; four node processes on loopback.
 *
 *   t_up_the_chain    a ticket the town records goes up to the county and
 *                     on to the city (the county's up stream carries its
 *                     whole subtree);
 *   t_down_the_chain  a ticket the city records in the town's area goes
 *                     down to the county and on to the town, handed down
 *                     to the county, which accepts it;
 *   t_two_counties    convergence: the city and two counties under a
 *                     steady mixed load (own tickets, hand-downs to each
 *                     county, a cross-county escalation, units acting
 *                     wherever their terminals are); at the end every
 *                     node's copy of every ticket it holds is identical;
 *   t_city_urges_county  the city urges and supervises a county's late
 *                     unit: the owner records it, the answer comes back.
 */
#include "testnet.h"
#include "testmp.h"
#include "ltime.h"
#include "proto.h"

static struct tn net;
static struct tn_node ly, xa, xat, jl;

/* topology.example, with a town node XAT below XA and an operator there;
 * the key files of the new entries are made first, so that rekey takes
 * them. */
static void
chain_topology(struct tn *n)
{
	const char *tool = tn_env("LD_TOPOLOGY_BIN", "build/test/topology");
	char src[400], raw[400], cmd[1400], pub[5][64], line[256];
	const char *ids[5] = { "XAT", "op-xat-liu", "admin-xat", "op-jl-wu",
		"admin-jl" };
	char *base = tu_slurp("topology.example", NULL), *jl_status;
	FILE *f;

	memset(n, 0, sizeof(*n));
	n->dir = tu_tmpdir();
	/* a free block below the kernel's ephemeral ports (32768 ..): the
	 * node ports of LY, XA, JL and XAT in it */
	n->port_base = 20000 + (int)((getpid() + 17) % 12) * 1000;
	for (int i = 0; i < 12; i++) {
		static const int off[] = { 100, 101, 110, 111, 120, 121, 410,
			411 };
		int b = 20000 + (int)((getpid() + 17 + i) % 12) * 1000;
		bool free_all = true;

		for (size_t k = 0; k < sizeof(off) / sizeof(off[0]); k++)
			free_all = free_all && tn_port_free(b + off[k]);
		if (free_all) {
			n->port_base = b;
			break;
		}
	}
	snprintf(n->keys, sizeof(n->keys), "%s/keys", n->dir);
	assert_int_equal(mkdir(n->keys, 0700), 0);
	for (int i = 0; i < 5; i++) {
		char path[400];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "%s keygen %s --out %s/%s.key", tool,
		    ids[i], n->keys, ids[i]);
		p = popen(cmd, "r");
		assert_non_null(p);
		pub[i][0] = '\0';
		while (fgets(line, sizeof(line), p) != NULL)	/* its last line */
			if (strncmp(line, "public_key = ", 13) == 0)
				snprintf(pub[i], sizeof(pub[i]), "%.40s", line + 13);
		pclose(p);
		assert_int_equal(strlen(pub[i]), 40);
		snprintf(path, sizeof(path), "%s/%s.key", n->keys, ids[i]);
		assert_int_equal(access(path, R_OK), 0);
	}
	tn_copy_calendar(n->dir);	/* the example names it */
	snprintf(src, sizeof(src), "%s/chain.ini", n->dir);
	f = fopen(src, "w");
	assert_non_null(f);
	assert_non_null(base);
	/* Jili district runs too (a second county) */
	jl_status = strstr(strstr(base, "[node JL]"), "status = planned");
	assert_non_null(jl_status);
	memcpy(jl_status, "status = running", 16);
	fputs(base, f);
	fprintf(f, "\n[client op-jl-wu]\nname = 吉利区110联动办 吴接警员\n"
	    "role = operator\nnode = JL\npublic_key = %s\n\n"
	    "[client admin-jl]\nname = 吉利区110联动办 管理员\n"
	    "role = admin\nnode = JL\npublic_key = %s\n", pub[3], pub[4]);
	fprintf(f, "\n[node XAT]\nname = 新安县铁门镇联动站\nlevel = town\n"
	    "parent = XA\npeer = tcp://127.0.0.1:7410\n"
	    "client = tcp://127.0.0.1:7411\npublic_key = %s\n"
	    "status = running\nareas = tiemen\n\n"
	    "[area tiemen]\nname = 铁门镇\n\n"
	    "[client op-xat-liu]\nname = 铁门镇联动站 刘接警员\n"
	    "role = operator\nnode = XAT\npublic_key = %s\n\n"
	    "[client admin-xat]\nname = 铁门镇联动站 管理员\n"
	    "role = admin\nnode = XAT\npublic_key = %s\n", pub[0], pub[1],
	    pub[2]);
	fclose(f);
	free(base);
	snprintf(raw, sizeof(raw), "%s/rekeyed.ini", n->dir);
	snprintf(n->topo, sizeof(n->topo), "%s/topology.ini", n->dir);
	snprintf(cmd, sizeof(cmd), "%s rekey %s --keys %s --out %s", tool, src,
	    n->keys, raw);
	assert_int_equal(system(cmd), 0);
	tn_move_ports(raw, n->topo, n->port_base);
	assert_int_equal(topo_load(n->topo, &n->t), 0);
}

static int
setup(void **state)
{
	(void)state;
	chain_topology(&net);
	if (!tn_start(&net, &ly, "LY", NULL) || !tn_start(&net, &xa, "XA",
	    NULL) || !tn_start(&net, &xat, "XAT", NULL) ||
	    !tn_start(&net, &jl, "JL", NULL)) {
		fprintf(stderr, "a node did not start; logs in %s\n", net.dir);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(tn_stop(&jl, SIGTERM), 0);
	assert_int_equal(tn_stop(&xat, SIGTERM), 0);
	assert_int_equal(tn_stop(&xa, SIGTERM), 0);
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	tn_fini(&net);
	return 0;
}

/* One request; the reply's result unpacked into *u (ok) or NULL. */
static const msgpack_object *
call(struct ld_client *c, struct ld_request *r, msgpack_unpacked *u,
    struct ld_reply *rep)
{
	struct ld_err err;

	if (client_call(c, r, rep, &err) != 0 || !rep->ok)
		return NULL;
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, (const char *)rep->result, rep->result_len,
	    NULL) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(u);
		return NULL;
	}
	return &u->data;
}

static void
show_req(struct ld_request *r, const char *id)
{
	memset(r, 0, sizeof(*r));
	r->op = LD_OP_TICKET_SHOW;
	snprintf(r->ticket, sizeof(r->ticket), "%s", id);
	r->q_present |= 1u << LD_Q_TICKET;
}

/* Wait (up to 15 s) until client c's node shows ticket id with owner
 * (and, if want_wo, at least that many work orders). */
static bool
wait_ticket(struct ld_client *c, const char *id, const char *owner,
    long want_wo)
{
	for (int i = 0; i < 300; i++) {
		struct ld_request r;
		struct ld_reply rep;
		msgpack_unpacked u;
		const msgpack_object *o;
		char buf[32];
		bool done = false;

		show_req(&r, id);
		o = call(c, &r, &u, &rep);
		if (o != NULL) {
			done = strcmp(tm_str(o, "ticket.owner", buf, sizeof(buf)),
			    owner) == 0 && tm_len(o, "ticket.work_orders") >=
			    want_wo;
			msgpack_unpacked_destroy(&u);
		}
		if (done)
			return true;
		tn_sleep_ms(50);
	}
	return false;
}

static void
create_req(struct ld_request *r, const char *area, const char *category)
{
	memset(r, 0, sizeof(*r));
	r->op = LD_OP_TICKET_CREATE;
	event_set_str(&r->args, LD_F_PHONE, "13703790123");
	event_set_str(&r->args, LD_F_PLACE, "新安县铁门镇千唐志斋附近");
	event_set_str(&r->args, LD_F_AREA, area);
	event_set_str(&r->args, LD_F_CATEGORY, category);
	event_set_uint(&r->args, LD_F_URGENCY, 3);
	event_set_str(&r->args, LD_F_TEXT, "路面塌陷");
}

/* The town's own ticket reaches the county and the city. */
static void
t_up_the_chain(void **state)
{
	struct ld_client *town = tn_client(&net, "XAT", "op-xat-liu", 5000);
	struct ld_client *county = tn_client(&net, "XA", "admin-xa-sun", 5000);
	struct ld_client *city = tn_client(&net, "LY", "admin-ly-liu", 5000);
	struct ld_request r;
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *o;
	char id[LD_TICKET_MAX + 1];

	(void)state;
	assert_non_null(town);
	assert_non_null(county);
	assert_non_null(city);
	/* the town's area: routed by the '*' rules to city units, but owned
	 * by the town, which records it */
	create_req(&r, "tiemen", "road");
	o = call(town, &r, &u, &rep);
	if (o == NULL)
		fail_msg("create at XAT: %s %s", rep.code, rep.message);
	tm_str(o, "ticket.id", id, sizeof(id));
	msgpack_unpacked_destroy(&u);
	assert_int_equal(strncmp(id, "XAT-", 4), 0);
	assert_true(wait_ticket(county, id, "XAT", 1));
	assert_true(wait_ticket(city, id, "XAT", 1));
	client_close(town);
	client_close(county);
	client_close(city);
}

/* The city records a request in the town's area: handed down to the
 * county (the child towards the town), which sees it, accepts it; the
 * town sees it too, with the county as owner. */
static void
t_down_the_chain(void **state)
{
	struct ld_client *city = tn_client(&net, "LY", "op-ly-wang", 5000);
	struct ld_client *county = tn_client(&net, "XA", "op-xa-zhao", 5000);
	struct ld_client *town = tn_client(&net, "XAT", "admin-xat", 5000);
	struct ld_request r;
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *o;
	char id[LD_TICKET_MAX + 1], buf[32];

	(void)state;
	create_req(&r, "tiemen", "road");
	o = call(city, &r, &u, &rep);
	if (o == NULL)
		fail_msg("create at LY: %s %s", rep.code, rep.message);
	tm_str(o, "ticket.id", id, sizeof(id));
	assert_string_equal(tm_str(o, "ticket.transfer_to", buf, sizeof(buf)),
	    "XA");
	msgpack_unpacked_destroy(&u);
	assert_true(wait_ticket(county, id, "LY", 0));
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_TRANSFER_ACCEPT;
	snprintf(r.ticket, sizeof(r.ticket), "%s", id);
	r.q_present |= 1u << LD_Q_TICKET;
	o = call(county, &r, &u, &rep);
	if (o == NULL)
		fail_msg("accept at XA: %s %s", rep.code, rep.message);
	msgpack_unpacked_destroy(&u);
	assert_true(wait_ticket(city, id, "XA", 1));
	/* two hops down: the town holds it too (its area; its operators
	 * see only the town's own tickets, its administrator sees all) */
	assert_true(wait_ticket(town, id, "XA", 1));
	client_close(city);
	client_close(county);
	client_close(town);
}

/* ---- t_two_counties --------------------------------------------------- */

struct cview {
	bool ok;
	char owner[LD_NODE_MAX + 1], state[24], transfer[LD_NODE_MAX + 1];
	uint64_t updated;
	long n_wo, n_hist;
	char wo[LD_WO_MAX][72];		/* "unit state" */
};

/* Ticket id as node's administrator sees it. */
static void
cview_get(struct ld_client *adm, const char *id, struct cview *v)
{
	struct ld_request r;
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *o;
	char path[64], a[40], b[24];

	memset(v, 0, sizeof(*v));
	show_req(&r, id);
	o = call(adm, &r, &u, &rep);
	if (o == NULL)
		return;
	v->ok = true;
	tm_str(o, "ticket.owner", v->owner, sizeof(v->owner));
	tm_str(o, "ticket.state", v->state, sizeof(v->state));
	tm_str(o, "ticket.transfer_to", v->transfer, sizeof(v->transfer));
	v->updated = tm_uint(o, "ticket.updated");
	v->n_wo = tm_len(o, "ticket.work_orders");
	v->n_hist = tm_len(o, "history");
	for (long i = 0; i < v->n_wo && i < LD_WO_MAX; i++) {
		snprintf(path, sizeof(path), "ticket.work_orders.%ld.unit", i);
		tm_str(o, path, a, sizeof(a));
		snprintf(path, sizeof(path), "ticket.work_orders.%ld.state", i);
		tm_str(o, path, b, sizeof(b));
		snprintf(v->wo[i], sizeof(v->wo[i]), "%s %s", a, b);
	}
	msgpack_unpacked_destroy(&u);
}

static bool
cview_same(const struct cview *a, const struct cview *b)
{
	if (!a->ok || !b->ok || strcmp(a->owner, b->owner) ||
	    strcmp(a->state, b->state) || strcmp(a->transfer, b->transfer) ||
	    a->updated != b->updated || a->n_wo != b->n_wo ||
	    a->n_hist != b->n_hist)
		return false;
	for (long i = 0; i < a->n_wo && i < LD_WO_MAX; i++)
		if (strcmp(a->wo[i], b->wo[i]) != 0)
			return false;
	return true;
}

/* A request by client cid at node; the result's ticket id in id (or "",
 * and the error in why). */
static bool
act(const char *node, const char *cid, struct ld_request *r, char *id,
    char *why, size_t cap)
{
	struct ld_client *c = tn_client(&net, node, cid, 5000);
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *o;

	assert_non_null(c);
	o = call(c, r, &u, &rep);
	if (o != NULL) {
		if (id != NULL)
			tm_str(o, "ticket.id", id, LD_TICKET_MAX + 1);
		msgpack_unpacked_destroy(&u);
	} else {
		snprintf(why, cap, "%s %s", rep.code, rep.message);
	}
	client_close(c);
	return o != NULL;
}

/* The unit terminal of the unit named first in v's work order i. */
static const char *
unit_client_of(const char *wo, char *out, size_t cap)
{
	char unit[40];

	sscanf(wo, "%39s", unit);
	for (int i = 0; i < net.t->n_clients; i++)
		if (net.t->clients[i].role == LD_ROLE_UNIT &&
		    strcmp(net.t->units[net.t->clients[i].unit].id, unit) == 0) {
			snprintf(out, cap, "%s", net.t->clients[i].id);
			return net.t->nodes[net.t->clients[i].node].id;
		}
	return NULL;
}

#define TC_N 24

static void
t_two_counties(void **state)
{
	static const struct { const char *node, *op, *area, *cat; } mix[] = {
		{ "XA", "op-xa-zhao", "xinan", "water.cut" },	/* own */
		{ "JL", "op-jl-wu", "jili", "road" },		/* own */
		{ "LY", "op-ly-wang", "luolong", "streetlight" },	/* own */
		{ "LY", "op-ly-li", "xinan", "road" },		/* down to XA */
		{ "LY", "op-ly-zhang", "jili", "streetlight" },	/* down to JL */
		{ "XA", "op-xa-chen", "jili", "road" },		/* up to LY */
	};
	const size_t n_mix = sizeof(mix) / sizeof(mix[0]);
	static char ids[TC_N][LD_TICKET_MAX + 1];
	static struct cview v[4];
	const char *admins[4][2] = { { "LY", "admin-ly-liu" },
		{ "XA", "admin-xa-sun" }, { "JL", "admin-jl" },
		{ "XAT", "admin-xat" } };
	struct ld_client *adm[4];
	char why[300];
	int signed_n = 0, compared = 0;

	(void)state;
	for (int k = 0; k < 4; k++) {
		adm[k] = tn_client(&net, admins[k][0], admins[k][1], 5000);
		assert_non_null(adm[k]);
	}
	/* the load: every kind of ticket, in turn */
	for (int i = 0; i < TC_N; i++) {
		struct ld_request r;

		create_req(&r, mix[i % n_mix].area, mix[i % n_mix].cat);
		if (!act(mix[i % n_mix].node, mix[i % n_mix].op, &r, ids[i], why,
		    sizeof(why)))
			fail_msg("create %d at %s: %s", i, mix[i % n_mix].node,
			    why);
	}
	/* every transfer answered by its target (once it has the ticket),
	 * then units sign their first work order where their terminals are */
	for (int i = 0; i < TC_N; i++) {
		struct cview c;
		int k;

		cview_get(adm[0], ids[i], &c);
		for (int w = 0; w < 300 && !c.ok; w++) {
			tn_sleep_ms(50);
			cview_get(adm[0], ids[i], &c);
		}
		assert_true(c.ok);
		if (c.transfer[0]) {
			struct ld_request r;
			const char *op = strcmp(c.transfer, "LY") == 0 ?
			    "op-ly-wang" : strcmp(c.transfer, "XA") == 0 ?
			    "op-xa-zhao" : "op-jl-wu";

			for (k = 0; strcmp(admins[k][0], c.transfer) != 0; k++)
				;
			for (int w = 0; w < 300; w++) {	/* it arrived there */
				struct cview t;

				cview_get(adm[k], ids[i], &t);
				if (t.ok && t.transfer[0])
					break;
				tn_sleep_ms(50);
			}
			memset(&r, 0, sizeof(r));
			r.op = LD_OP_TRANSFER_ACCEPT;
			memcpy(r.ticket, ids[i], sizeof(r.ticket));
			r.q_present |= 1u << LD_Q_TICKET;
			if (!act(c.transfer, op, &r, NULL, why, sizeof(why)))
				fail_msg("accept %s at %s: %s", ids[i],
				    c.transfer, why);
		}
	}
	for (int i = 0; i < TC_N; i += 2) {
		struct ld_request r;
		struct cview c;
		char uc[48];
		const char *home;
		int k;

		cview_get(adm[0], ids[i], &c);
		for (int w = 0; w < 300 && (!c.ok || c.n_wo < 1); w++) {
			tn_sleep_ms(50);
			cview_get(adm[0], ids[i], &c);
		}
		assert_true(c.n_wo >= 1);
		home = unit_client_of(c.wo[0], uc, sizeof(uc));
		assert_non_null(home);
		for (k = 0; strcmp(admins[k][0], home) != 0; k++)
			;
		for (int w = 0; w < 300; w++) {	/* the unit's node has it */
			struct cview t;

			cview_get(adm[k], ids[i], &t);
			if (t.ok && t.n_wo >= 1)
				break;
			tn_sleep_ms(50);
		}
		memset(&r, 0, sizeof(r));
		r.op = LD_OP_WO_SIGN;
		memcpy(r.ticket, ids[i], sizeof(r.ticket));
		r.q_present |= 1u << LD_Q_TICKET;
		event_set_uint(&r.args, LD_F_WO, 1);
		if (!act(home, uc, &r, NULL, why, sizeof(why)))
			fail_msg("%s signs %s at %s: %s", uc, ids[i], home, why);
		signed_n++;
	}
	/* convergence: wherever a ticket is held, it is the same */
	for (int i = 0; i < TC_N; i++) {
		bool same = false;

		for (int w = 0; w < 300 && !same; w++) {
			same = true;
			cview_get(adm[0], ids[i], &v[0]);
			for (int k = 1; k < 4; k++) {
				cview_get(adm[k], ids[i], &v[k]);
				if (v[k].ok && !cview_same(&v[0], &v[k]))
					same = false;
			}
			if (!same)
				tn_sleep_ms(50);
		}
		if (!same)
			fail_msg("%s differs between nodes (LY: %s %s, %ld wo, "
			    "%ld events)", ids[i], v[0].owner, v[0].state,
			    v[0].n_wo, v[0].n_hist);
		/* the owner and the city always hold it */
		assert_true(v[0].ok);
		for (int k = 1; k < 4; k++)
			if (strcmp(admins[k][0], v[0].owner) == 0) {
				assert_true(v[k].ok);
				compared++;
			}
	}
	fprintf(stderr, "    %d tickets over 4 nodes, %d signed by their "
	    "units, every copy identical\n", TC_N, signed_n);
	(void)compared;
	for (int k = 0; k < 4; k++)
		client_close(adm[k]);
}

/* The city urges, then supervises, a county's late unit: the requests go
 * to the owner XA over the link, XA records them as its own events (the
 * actor says who, and where), and the answers come back to the city's
 * operator. */
static void
t_city_urges_county(void **state)
{
	struct ld_client *county = tn_client(&net, "XA", "op-xa-zhao", 5000);
	struct ld_client *city = tn_client(&net, "LY", "op-ly-wang", 5000);
	struct ld_client *xadm = tn_client(&net, "XA", "admin-xa-sun", 5000);
	static const enum ld_op ops[2] = { LD_OP_WO_URGE, LD_OP_WO_SUPERVISE };
	struct ld_request r;
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *o;
	char id[LD_TICKET_MAX + 1], actor[64], path[64];
	long n;

	(void)state;
	create_req(&r, "xinan", "water.cut");
	o = call(county, &r, &u, &rep);
	if (o == NULL)
		fail_msg("create at XA: %s %s", rep.code, rep.message);
	tm_str(o, "ticket.id", id, sizeof(id));
	msgpack_unpacked_destroy(&u);
	assert_true(wait_ticket(city, id, "XA", 1));
	for (int k = 0; k < 2; k++) {
		memset(&r, 0, sizeof(r));
		r.op = ops[k];
		memcpy(r.ticket, id, sizeof(r.ticket));
		r.q_present |= 1u << LD_Q_TICKET;
		event_set_uint(&r.args, LD_F_WO, 1);
		event_set_str(&r.args, LD_F_NOTE, "请尽快处理");
		o = call(city, &r, &u, &rep);
		if (o == NULL)
			fail_msg("%s at LY: %s %s", proto_op_name(ops[k]),
			    rep.code, rep.message);
		/* the owner's answer: its view after recording it */
		assert_int_equal(tm_uint(o, k == 0 ?
		    "ticket.work_orders.0.urges" :
		    "ticket.work_orders.0.supervisions"), 1);
		msgpack_unpacked_destroy(&u);
	}
	/* recorded at the owner, by the city's operator */
	show_req(&r, id);
	o = call(xadm, &r, &u, &rep);
	assert_non_null(o);
	n = tm_len(o, "history");
	snprintf(path, sizeof(path), "history.%ld.actor", n - 1);
	assert_string_equal(tm_str(o, path, actor, sizeof(actor)),
	    "op:op-ly-wang@LY");
	snprintf(path, sizeof(path), "history.%ld.origin", n - 1);
	assert_string_equal(tm_str(o, path, actor, sizeof(actor)), "XA");
	msgpack_unpacked_destroy(&u);
	client_close(county);
	client_close(city);
	client_close(xadm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_up_the_chain),
		cmocka_unit_test(t_down_the_chain),
		cmocka_unit_test(t_two_counties),
		cmocka_unit_test(t_city_urges_county),
	};

	return cmocka_run_group_tests_name("fed_chain", tests, setup,
	    teardown);
}
