/* spot.c - the daily spot check sample. */
#include "spot.h"
#include "fed.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

uint64_t
spot_rank(uint64_t seed, uint32_t day, const char *ticket, uint32_t wo)
{
	unsigned char key[crypto_shorthash_KEYBYTES] = { 0 };
	unsigned char h[crypto_shorthash_BYTES];
	char msg[LD_TICKET_MAX + 16];
	uint64_t r = 0;
	int len;

	for (int i = 0; i < 8; i++)
		key[i] = (unsigned char)(seed >> (8 * i));
	for (int i = 0; i < 4; i++)
		key[8 + i] = (unsigned char)(day >> (8 * i));
	len = snprintf(msg, sizeof(msg), "%s#%u", ticket, (unsigned)wo);
	crypto_shorthash(h, (const unsigned char *)msg, (size_t)len, key);
	for (int i = 7; i >= 0; i--)
		r = r << 8 | h[i];
	return r;
}

struct spot_ctx {
	const struct ld_topo *t;
	int self;
	uint32_t day;
	unsigned k;			/* sample per unit */
	struct ld_spot_item *out;
	size_t cap, n, unit_at;		/* unit_at: first item of this unit */
	uint64_t total;
	bool unit_ok;
	bool truncated;		/* a unit found no room in out[] */
};

/* Insert it among the current unit's items, kept sorted by rank, at most
 * k of them. */
static void
spot_keep(struct spot_ctx *x, const struct ld_spot_item *it)
{
	size_t have = x->n - x->unit_at, i;

	if (x->n >= x->cap && have < x->k)
		x->truncated = true;	/* out[] holds this unit short */
	if (have == x->k || (x->n >= x->cap && have > 0)) {
		/* full (the unit's sample, or out[]): the new one replaces
		 * the unit's highest rank if it is lower */
		if (it->rank >= x->out[x->n - 1].rank)
			return;
		x->n--;		/* drop the highest */
		have--;
	} else if (x->n >= x->cap) {
		return;		/* no room at all for this unit */
	}
	i = x->n;
	while (i > x->unit_at && x->out[i - 1].rank > it->rank) {
		x->out[i] = x->out[i - 1];
		i--;
	}
	x->out[i] = *it;
	x->n++;
}

static int
spot_cb(const uint8_t *key, size_t len, void *arg)
{
	struct spot_ctx *x = arg;
	struct ld_spot_item it;
	const char *unit = (const char *)key + 4, *tid;
	size_t ul, tl;
	int u;

	/* day u32 | unit NUL | ticket NUL | wo u8 */
	if (len < 4 + 2 + 2 + 1)
		return 0;
	ul = strnlen(unit, len - 4);
	if (ul == 0 || ul > LD_ID_MAX || 4 + ul + 1 >= len)
		return 0;
	tid = unit + ul + 1;
	tl = strnlen(tid, len - 4 - ul - 1);
	if (tl == 0 || tl > LD_TICKET_MAX || 4 + ul + 1 + tl + 1 + 1 != len)
		return 0;
	if (x->n == x->unit_at || strcmp(x->out[x->unit_at].unit, unit) != 0) {
		/* a new unit */
		x->unit_at = x->n;
		u = topo_unit(x->t, unit);
		x->unit_ok = u >= 0 ? fed_in_subtree(x->t, x->t->units[u].node,
		    x->self) : x->t->nodes[x->self].parent < 0;
	}
	if (!x->unit_ok)
		return 0;
	x->total++;
	memset(&it, 0, sizeof(it));
	memcpy(it.unit, unit, ul);
	memcpy(it.ticket, tid, tl);
	it.wo = key[len - 1];
	it.rank = spot_rank(x->t->assess.spot_seed, x->day, it.ticket, it.wo);
	spot_keep(x, &it);
	return 0;
}

int
spot_draw(struct ld_store *s, const struct ld_topo *t, int self,
    uint32_t day, struct ld_spot_item *out, size_t cap, size_t *n,
    uint64_t *total, bool *truncated, struct ld_err *err)
{
	struct spot_ctx x = { .t = t, .self = self, .day = day, .out = out,
		.cap = cap };
	uint8_t prefix[4];
	int rc;

	*n = 0;
	*total = 0;
	if (self < 0 || self >= t->n_nodes)
		return err_set(err, LD_EINVAL, "spot check: no such node");
	x.k = t->assess.spot_sample > 0 ? t->assess.spot_sample : 2;
	prefix[0] = (uint8_t)(day >> 24);
	prefix[1] = (uint8_t)(day >> 16);
	prefix[2] = (uint8_t)(day >> 8);
	prefix[3] = (uint8_t)day;
	rc = store_scan(s, "by_done", prefix, 4, spot_cb, &x, err);
	*n = x.n;
	*total = x.total;
	if (truncated != NULL)
		*truncated = x.truncated;
	return rc;
}
