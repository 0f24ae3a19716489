/*
 * test_fed_chain.c - a three-level chain, city LY > county XA > town XAT,
 * with the protocol unchanged (docs/federation.md §1): topology.example
 * plus a running town node below Xin'an, all rekeyed; three node
 * processes on loopback.
 *
 *   - a ticket the town records goes up to the county and on to the city
 *     (the county's up stream carries its whole subtree);
 *   - a ticket the city records in the town's area goes down to the county
 *     and on to the town (it concerns both: the area's node lies in each
 *     one's subtree), handed down to the county, which accepts it.
 */
#include "testnet.h"
#include "testmp.h"
#include "ltime.h"
#include "proto.h"

static struct tn net;
static struct tn_node ly, xa, xat;

/* topology.example, with a town node XAT below XA and an operator there;
 * the key files of the new entries are made first, so that rekey takes
 * them. */
static void
chain_topology(struct tn *n)
{
	const char *tool = tn_env("LD_TOPOLOGY_BIN", "build/test/topology");
	char src[400], raw[400], cmd[1400], pub[3][64], line[256];
	const char *ids[3] = { "XAT", "op-xat-liu", "admin-xat" };
	char *base = tu_slurp("topology.example", NULL);
	FILE *f;

	memset(n, 0, sizeof(*n));
	n->dir = tu_tmpdir();
	n->port_base = 20000 + (int)((getpid() + 17) % 40) * 1000;
	snprintf(n->keys, sizeof(n->keys), "%s/keys", n->dir);
	assert_int_equal(mkdir(n->keys, 0700), 0);
	for (int i = 0; i < 3; i++) {
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
	snprintf(src, sizeof(src), "%s/chain.ini", n->dir);
	f = fopen(src, "w");
	assert_non_null(f);
	assert_non_null(base);
	fputs(base, f);
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
	    NULL) || !tn_start(&net, &xat, "XAT", NULL)) {
		fprintf(stderr, "a node did not start; logs in %s\n", net.dir);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_up_the_chain),
		cmocka_unit_test(t_down_the_chain),
	};

	return cmocka_run_group_tests_name("fed_chain", tests, setup,
	    teardown);
}
