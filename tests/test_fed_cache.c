/* test_fed_cache.c - the down scan's cache (fed_cache.c): an entry's scope
 * by apply index, a ticket's view scope good only while nothing was
 * applied since; its answers are those of reading afresh. */
#include "testutil.h"
#include "testgen.h"

#include "codec.h"
#include "fed.h"
#include "store.h"

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */

struct fx {
	char *dir;
	struct ld_store *s;
	struct fed_cache *c;
	struct ld_event *e, *scratch;
	struct ld_ticket *t;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ld_store_opts o = { .node = "XA", .no_sync = true };
	struct ld_err err;

	f->dir = tu_tmpdir();
	o.dir = f->dir;
	if (store_open(&f->s, &o, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	f->c = fed_cache_new();
	f->e = malloc(sizeof(*f->e));
	f->scratch = malloc(sizeof(*f->scratch));
	f->t = malloc(sizeof(*f->t));
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fed_cache_free(f->c);
	store_close(f->s);
	tu_rm_tree(f->dir);
	free(f->e);
	free(f->scratch);
	free(f->t);
	free(f);
	return 0;
}

static void
commit1(struct fx *f, int64_t now)
{
	struct ld_store_item it = { .ev = f->e };
	struct ld_err err;

	if (store_commit(f->s, &it, 1, now, &err) != 0 || it.rc != 0)
		fail_msg("commit: %s", it.err.msg);
}

/* The entry's scope, once decoded, is kept by apply index: the same
 * index answers from the cache; bytes that do not decode give NULL. */
static void
t_event_scope(void **state)
{
	struct fx *f = *state;
	uint8_t buf[LD_FRAME_MAX], junk[4] = { 0xc1, 0xc1, 0xc1, 0xc1 };
	const struct fed_ev_scope *sc;
	struct ld_err err;
	int n;

	event_init(f->e, LD_EV_TRANSFER_REQUESTED, "XA", T0, "op:wang",
	    "XA-2011-000007");
	f->e->seq = 3;
	event_set_str(f->e, LD_F_NODE, "LY");
	event_set_uint(f->e, LD_F_DIRECTION, LD_DIR_UP);
	event_set_str(f->e, LD_F_REASON, "涉及市属单位");
	n = codec_event_encode(f->e, buf, sizeof(buf), &err);
	assert_true(n > 0);
	sc = fed_cache_event(f->c, 41, buf, (size_t)n, f->scratch);
	assert_non_null(sc);
	assert_int_equal(sc->kind, LD_EV_TRANSFER_REQUESTED);
	assert_string_equal(sc->origin, "XA");
	assert_string_equal(sc->ticket, "XA-2011-000007");
	assert_string_equal(sc->node, "LY");
	assert_string_equal(sc->area, "");
	/* index 41 again: from the cache, whatever the bytes; and known
	 * without them (fed_cache_peek) */
	sc = fed_cache_event(f->c, 41, junk, sizeof(junk), f->scratch);
	assert_non_null(sc);
	assert_string_equal(sc->ticket, "XA-2011-000007");
	{
		bool known = false;

		sc = fed_cache_peek(f->c, 41, &known);
		assert_true(known);
		assert_non_null(sc);
		assert_string_equal(sc->ticket, "XA-2011-000007");
		assert_null(fed_cache_peek(f->c, 40, &known));
		assert_false(known);
		assert_null(fed_cache_peek(f->c, 0, &known));
		assert_false(known);
		assert_null(fed_cache_peek(f->c, 41 + 8192, &known));
		assert_false(known);	/* 41's slot, another index */
	}
	/* another index whose bytes do not decode; then one taking 41's
	 * slot: 41 is read afresh */
	assert_null(fed_cache_event(f->c, 42, junk, sizeof(junk), f->scratch));
	{
		bool known = false;

		/* known, and not ours: the bytes did not decode */
		assert_null(fed_cache_peek(f->c, 42, &known));
		assert_true(known);
	}
	assert_null(fed_cache_event(f->c, 41 + 8192, junk, sizeof(junk),
	    f->scratch));
	assert_null(fed_cache_event(f->c, 41, junk, sizeof(junk), f->scratch));
	/* put from a commit: known without bytes, the same scope */
	fed_cache_put(f->c, 44, f->e);
	{
		bool known = false;

		sc = fed_cache_peek(f->c, 44, &known);
		assert_true(known);
		assert_non_null(sc);
		assert_string_equal(sc->ticket, "XA-2011-000007");
		assert_string_equal(sc->node, "LY");
		fed_cache_put(f->c, 0, f->e);	/* no index: nothing */
		assert_null(fed_cache_peek(f->c, 0, &known));
		assert_false(known);
	}
	/* an announcement's area */
	event_init(f->e, LD_EV_ANNOUNCED, "LY", T0, "op:city", "LY-2011-000001");
	event_set_str(f->e, LD_F_CHANNEL, "platform");
	event_set_str(f->e, LD_F_TEXT, "新安县城东片区水压降低");
	event_set_str(f->e, LD_F_AREA, "xinan");
	f->e->seq = 9;
	n = codec_event_encode(f->e, buf, sizeof(buf), &err);
	assert_true(n > 0);
	sc = fed_cache_event(f->c, 43, buf, (size_t)n, f->scratch);
	assert_non_null(sc);
	assert_string_equal(sc->area, "xinan");
}

/* A ticket's view scope: read afresh after anything was applied (here a
 * transfer that sets transfer_to), kept while nothing was; a ticket not
 * held is NULL until it is created. */
static void
t_ticket_scope(void **state)
{
	struct fx *f = *state;
	const struct fed_tk_scope *sc;
	char id[LD_TICKET_MAX + 1];
	uint64_t last;

	/* a call first: the log is not empty, so "not held" is kept */
	tg_call(f->e, LD_EV_CALL_RECEIVED, "XA", T0, "XA-C-1");
	commit1(f, T0);
	last = store_applied_last(f->s);
	assert_int_equal(last, 1);
	assert_null(fed_cache_ticket(f->c, f->s, "XA-2011-000001", last, f->t));
	assert_null(fed_cache_ticket(f->c, f->s, "XA-2011-000001", last, f->t));
	tg_created(f->e, "XA", T0, "13912345678");
	commit1(f, T0);
	snprintf(id, sizeof(id), "%s", f->e->ticket);
	assert_string_equal(id, "XA-2011-000001");
	last = store_applied_last(f->s);
	sc = fed_cache_ticket(f->c, f->s, id, last, f->t);
	assert_non_null(sc);
	assert_string_equal(sc->area, "luolong");
	assert_string_equal(sc->transfer_to, "");
	assert_string_equal(sc->owner, "XA");

	event_init(f->e, LD_EV_TRANSFER_REQUESTED, "XA", T0 + 1000, "op:wang",
	    id);
	event_set_str(f->e, LD_F_NODE, "LY");
	event_set_uint(f->e, LD_F_DIRECTION, LD_DIR_UP);
	event_set_str(f->e, LD_F_REASON, "涉及市属单位");
	commit1(f, T0 + 1000);
	/* asked with the old last index (the caller's promise: nothing was
	 * applied since; fed_down_entry judges no entry past it): the view
	 * read then */
	sc = fed_cache_ticket(f->c, f->s, id, last, f->t);
	assert_string_equal(sc->transfer_to, "");
	/* with the new one: read afresh */
	last = store_applied_last(f->s);
	sc = fed_cache_ticket(f->c, f->s, id, last, f->t);
	assert_non_null(sc);
	assert_string_equal(sc->transfer_to, "LY");
	assert_string_equal(store_get_ticket(f->s, id, f->t, NULL) == 0 ?
	    f->t->transfer_to : "?", "LY");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_event_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(t_ticket_scope, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
