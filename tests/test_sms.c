/*
 * test_sms.c - the SMS follow-up on a running node (shared/sms.h): a
 * report by SMS becomes a message to the citizen's phone, delivered by
 * the node's --sms-command; a command that fails keeps the message (new,
 * then dead after its tries) and nothing is lost; a node without a
 * command keeps the messages, and the next node with one delivers them;
 * outbox.list and outbox.retry through the client protocol.
 */
#include "testnet.h"
#include "testmp.h"
#include "proto.h"
#include "ltime.h"

#include <sys/stat.h>

struct sms_net {
	struct tn net;
	struct tn_node ly;
	char out[300];		/* where the good command writes */
	char good[400], bad[200];
};

static struct ld_client *
sms_op(struct sms_net *s)
{
	struct ld_client *c = tn_client(&s->net, "LY", "op-ly-wang", 5000);

	assert_non_null(c);
	return c;
}

/* Call r; the reply's result into *u (msgpack_unpacked_destroy it). */
static void
sms_call(struct ld_client *c, struct ld_request *r, msgpack_unpacked *u,
    bool must_ok)
{
	struct ld_reply rep;
	struct ld_err err;

	if (client_call(c, r, &rep, &err) != 0)
		fail_msg("%s: %s", proto_op_name(r->op), err.msg);
	if (must_ok && !rep.ok)
		fail_msg("%s: %s", proto_op_name(r->op), rep.message);
	msgpack_unpacked_init(u);
	if (rep.ok)
		assert_int_equal(msgpack_unpack_next(u, (const char *)rep.result,
		    rep.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
}

/* A Unicom cover: created, signed, completed, reported by SMS. */
static void
sms_ticket(struct sms_net *s, const char *phone, char *id)
{
	struct ld_client *op = sms_op(s);
	struct ld_client *un = tn_client(&s->net, "LY", "unit-unicom", 5000);
	struct ld_request r;
	msgpack_unpacked u;

	assert_non_null(un);
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_TICKET_CREATE;
	event_set_str(&r.args, LD_F_PHONE, phone);
	event_set_str(&r.args, LD_F_PLACE, "王城大道与关林路交叉口西北50米");
	event_set_str(&r.args, LD_F_AREA, "luolong");
	event_set_str(&r.args, LD_F_CATEGORY, "manhole.unicom");
	event_set_uint(&r.args, LD_F_URGENCY, 3);
	event_set_str(&r.args, LD_F_TEXT, "联通井盖丢失");
	sms_call(op, &r, &u, true);
	tm_str(&u.data, "ticket.id", id, LD_TICKET_MAX + 1);
	msgpack_unpacked_destroy(&u);
	for (int k = 0; k < 2; k++) {
		memset(&r, 0, sizeof(r));
		r.op = k == 0 ? LD_OP_WO_SIGN : LD_OP_WO_COMPLETE;
		snprintf(r.ticket, sizeof(r.ticket), "%s", id);
		r.q_present |= 1u << LD_Q_TICKET;
		event_set_uint(&r.args, LD_F_WO, 1);
		if (k == 1)
			event_set_str(&r.args, LD_F_RESULT, "已更换井盖");
		sms_call(un, &r, &u, true);
		msgpack_unpacked_destroy(&u);
	}
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_TICKET_REPORT;
	snprintf(r.ticket, sizeof(r.ticket), "%s", id);
	r.q_present |= 1u << LD_Q_TICKET;
	event_set_str(&r.args, LD_F_NOTE, "井盖已由联通公司更换");
	event_set_uint(&r.args, LD_F_METHOD, LD_METHOD_SMS);
	sms_call(op, &r, &u, true);
	msgpack_unpacked_destroy(&u);
	client_close(un);
	client_close(op);
}

/* Wait up to 15 s for the good command's file for phone; its text. */
static char *
sms_wait_file(struct sms_net *s, const char *phone)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s.txt", s->out, phone);
	for (int i = 0; i < 300; i++) {
		struct stat st;

		if (stat(path, &st) == 0 && st.st_size > 0) {
			usleep(50000);	/* the command may still write */
			return tu_slurp(path, NULL);
		}
		usleep(50000);
	}
	return NULL;
}

/* outbox.list of box: the count of that box, and whether id is listed. */
static uint64_t
sms_box(struct sms_net *s, const char *box, const char *id_part,
    bool *listed, char *last, size_t cap)
{
	struct ld_client *op = sms_op(s);
	struct ld_request r;
	msgpack_unpacked u;
	char path[64], buf[256];
	uint64_t n;

	memset(&r, 0, sizeof(r));
	r.op = LD_OP_OUTBOX_LIST;
	snprintf(r.box, sizeof(r.box), "%s", box);
	r.q_present |= 1u << LD_Q_BOX;
	sms_call(op, &r, &u, true);
	snprintf(path, sizeof(path), "counts.%s", box);
	n = tm_uint(&u.data, path);
	*listed = false;
	for (long i = 0; i < tm_len(&u.data, "messages"); i++) {
		snprintf(path, sizeof(path), "messages.%ld.id", i);
		if (strstr(tm_str(&u.data, path, buf, sizeof(buf)), id_part)) {
			*listed = true;
			if (last != NULL) {
				snprintf(path, sizeof(path),
				    "messages.%ld.last", i);
				tm_str(&u.data, path, last, cap);
			}
		}
	}
	msgpack_unpacked_destroy(&u);
	client_close(op);
	return n;
}

static void
t_sms(void **state)
{
	struct sms_net *s = calloc(1, sizeof(*s));
	const char *good[] = { "--sms-command", s->good, NULL };
	const char *bad[] = { "--sms-command", s->bad, NULL };
	char id[LD_TICKET_MAX + 1], id2[LD_TICKET_MAX + 1];
	char id3[LD_TICKET_MAX + 1], last[256];
	bool listed;
	char *text;

	(void)state;
	tn_init(&s->net);
	snprintf(s->out, sizeof(s->out), "%s/sms-out", s->net.dir);
	assert_int_equal(mkdir(s->out, 0700), 0);
	snprintf(s->good, sizeof(s->good), "cat > '%s'/\"$1\".txt", s->out);
	snprintf(s->bad, sizeof(s->bad), "echo 网关拒绝 >&2; exit 3");

	/* 1. a working command: the citizen gets the result */
	assert_true(tn_start(&s->net, &s->ly, "LY", good));
	sms_ticket(s, "13903791234", id);
	text = sms_wait_file(s, "13903791234");
	assert_non_null(text);
	assert_non_null(strstr(text, id));
	assert_non_null(strstr(text, "井盖已由联通公司更换"));
	assert_non_null(strstr(text, "满意"));
	free(text);
	assert_true(sms_box(s, "sent", id, &listed, NULL, 0) >= 1);
	assert_true(listed);
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);

	/* a file in sent/ that is not a message (hand-made): listed as
	 * damaged, left where it is */
	{
		char path[400];
		FILE *g;

		snprintf(path, sizeof(path), "%s/outbox/sent/hand-made",
		    s->ly.data);
		g = fopen(path, "w");
		assert_non_null(g);
		fputs("not a message\n", g);
		fclose(g);
	}

	/* 2. a failing command: the message stays in new/ with the reason */
	assert_true(tn_start(&s->net, &s->ly, "LY", bad));
	{
		struct ld_client *op = sms_op(s);
		struct ld_request r;
		msgpack_unpacked u;
		char buf[300];

		memset(&r, 0, sizeof(r));
		r.op = LD_OP_OUTBOX_LIST;
		snprintf(r.box, sizeof(r.box), "sent");
		r.q_present |= 1u << LD_Q_BOX;
		sms_call(op, &r, &u, true);
		assert_non_null(strstr(tm_str(&u.data, "damaged", buf,
		    sizeof(buf)), "hand-made"));
		msgpack_unpacked_destroy(&u);
		client_close(op);
	}
	sms_ticket(s, "13903795555", id2);
	for (int i = 0; i < 200; i++) {
		last[0] = '\0';
		sms_box(s, "new", id2, &listed, last, sizeof(last));
		if (listed && strstr(last, "exit status 3"))
			break;
		usleep(50000);
	}
	assert_true(listed);
	assert_non_null(strstr(last, "网关拒绝"));
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);

	/* 3. no command: the message waits; kill -9 loses nothing */
	assert_true(tn_start(&s->net, &s->ly, "LY", NULL));
	sms_ticket(s, "13903796666", id3);
	assert_true(sms_box(s, "new", id3, &listed, NULL, 0) >= 2);
	assert_true(listed);
	tn_stop(&s->ly, SIGKILL);

	/* 4. the working command again: both waiting messages go out */
	assert_true(tn_start(&s->net, &s->ly, "LY", good));
	text = sms_wait_file(s, "13903796666");
	assert_non_null(text);
	assert_non_null(strstr(text, id3));
	free(text);
	/* the failed one waits for its backoff (a minute): not yet sent,
	 * still in new/; its retry comes by itself */
	sms_box(s, "new", id2, &listed, NULL, 0);
	assert_true(listed || sms_wait_file(s, "13903795555") != NULL);
	/* 5. a fixed line with an extension is no number to text: the
	 * message is kept in dead/ with the reason, not dropped */
	sms_ticket(s, "0379-63211234转8", id);
	for (int i = 0; i < 200; i++) {
		last[0] = '\0';
		sms_box(s, "dead", id, &listed, last, sizeof(last));
		if (listed)
			break;
		usleep(50000);
	}
	assert_true(listed);
	assert_non_null(strstr(last, "not a mobile number"));
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);

	/* 6. a command that hangs does not hold the node's stop: SIGTERM
	 * kills it; the message waits in new/ for the next start */
	snprintf(s->bad, sizeof(s->bad), "sleep 60");
	assert_true(tn_start(&s->net, &s->ly, "LY", bad));
	sms_ticket(s, "13903797777", id);
	usleep(500000);		/* the command is running by now, or soon */
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);
	assert_true(tn_start(&s->net, &s->ly, "LY", NULL));
	assert_true(sms_box(s, "new", id, &listed, NULL, 0) >= 1);
	assert_true(listed);
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);

	/* 7. the next day the node draws yesterday's spot check by itself
	 * and says so (every work order above was completed today) */
	{
		char today[24], want[64];
		uint32_t d = ltime_day(ltime_now());

		snprintf(today, sizeof(today), "%04u-%02u-%02u", d / 10000,
		    d / 100 % 100, d % 100);
		snprintf(want, sizeof(want), "spot check of %s", today);
		setenv("LD_CLOCK_OFFSET_MS", "86400000", 1);
		assert_true(tn_start(&s->net, &s->ly, "LY", NULL));
		unsetenv("LD_CLOCK_OFFSET_MS");
		for (int i = 0; i < 100 && !tn_log_has(&s->ly, want); i++)
			usleep(50000);
		assert_true(tn_log_has(&s->ly, want));
		assert_true(tn_log_has(&s->ly, "drawn for callbacks"));
		assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);
	}

	tn_fini(&s->net);
	free(s);
}

/* outbox.retry of an id that is not dead: ENOTFOUND, node goes on. */
static void
t_retry_unknown(void **state)
{
	struct tn net;
	struct tn_node ly;
	struct ld_client *op;
	struct ld_request r;
	struct ld_reply rep;
	struct ld_err err;

	(void)state;
	tn_init(&net);
	assert_true(tn_start(&net, &ly, "LY", NULL));
	op = tn_client(&net, "LY", "op-ly-wang", 5000);
	assert_non_null(op);
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_OUTBOX_RETRY;
	snprintf(r.q, sizeof(r.q), "LY-2011-000001.LY.9");
	r.q_present |= 1u << LD_Q_Q;
	assert_int_equal(client_call(op, &r, &rep, &err), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.code, "ENOTFOUND");
	snprintf(r.q, sizeof(r.q), "../etc/passwd");
	assert_int_equal(client_call(op, &r, &rep, &err), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.code, "EINVAL");
	/* a unit may not see the outbox */
	client_close(op);
	op = tn_client(&net, "LY", "unit-unicom", 5000);
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_OUTBOX_LIST;
	assert_int_equal(client_call(op, &r, &rep, &err), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.code, "EREFUSED");
	client_close(op);
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	tn_fini(&net);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sms),
		cmocka_unit_test(t_retry_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
