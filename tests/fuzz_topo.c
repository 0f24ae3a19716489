/*
 * fuzz_topo.c - libFuzzer target for the topology parser and checks.
 *
 * Every input is loaded with topo_load_mem (it may hold anything: binary,
 * huge lines, thousands of sections) and freed with topo_free; the
 * sanitizers watch for crashes, leaks and reads outside the input.  What
 * loaded is then exercised: diagnostics printed, every category routed in
 * every area at every urgency (a route must name existing units and
 * deadlines within limits: a clock time or working days, never both, and
 * a due time after dispatch), and the dot drawing written.  A violated
 * invariant abort()s.  An input may name a calendar file (relative to the
 * current directory): it is read like any other; the replay runs from the
 * repository root, where calendar.example is.
 *
 * Built with clang -fsanitize=fuzzer and, for the corpus replay in
 * `make test`, linked with tests/fuzz_replay.c (corpus: tests/corpus/topo).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ROUTES_MAX 4096	/* routes tried per input */

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_topo: %s\n", what);
	abort();
}

/* Route one (category, area, urgency) and check the answer. */
static void
fuzz_route_one(const struct ld_topo *t, int c, int a, unsigned u)
{
	struct ld_topo_route r;
	struct ld_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = topo_route(t, t->categories[c].id, t->areas[a].id, u, &r, &err);
	if (rc != 0) {
		if (err.code != rc || err.msg[0] == '\0')
			fuzz_fail("route error without message");
		return;
	}
	if (r.node < 0 || r.node >= t->n_nodes || r.n_units < 1 ||
	    r.n_units > LD_UNITS_MAX || (r.rule < 0) == (r.fallback < 0) ||
	    r.why[0] == '\0')
		fuzz_fail("bad route");
	for (int k = 0; k < r.n_units; k++) {
		int64_t from = 1317366000000LL;	/* 2011-09-30 15:00 +08:00 */

		if (r.units[k] < 0 || r.units[k] >= t->n_units ||
		    r.sign_ms[k] <= 0 || (r.complete_ms[k] > 0) ==
		    (r.complete_wd[k] > 0))
			fuzz_fail("bad routed unit");
		if (topo_due(t, from, r.complete_ms[k], r.complete_wd[k]) <=
		    from + (r.complete_wd[k] > 0 ? 86400000LL *
		    r.complete_wd[k] : 0))
			fuzz_fail("due too soon");
	}
}

/* Route some categories in some areas; a few lookups. */
static void
fuzz_routes(const struct ld_topo *t)
{
	struct ld_topo_route r;
	int n = 0;

	for (int c = 0; c < t->n_categories; c++)
		for (int a = 0; a < t->n_areas; a++)
			for (unsigned u = 0; u <= LD_URGENCY_MAX + 1; u++) {
				if (n++ == FUZZ_ROUTES_MAX)
					return;
				if (u >= 1 && u <= LD_URGENCY_MAX)
					fuzz_route_one(t, c, a, u);
				else if (topo_route(t, t->categories[c].id,
				    t->areas[a].id, u, &r, NULL) == 0)
					fuzz_fail("urgency out of range "
					    "routed");
			}
	if (topo_route(t, "no such category!", "x", 1, &r, NULL) == 0)
		fuzz_fail("unknown category routed");
	for (int i = 0; i < t->n_clients && i < 64; i++)
		if (t->clients[i].public_key[0] &&
		    topo_client_by_key(t, t->clients[i].public_key) < 0)
			fuzz_fail("client key not found");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ld_topo *t = NULL;
	FILE *null = fopen("/dev/null", "w");
	int rc;

	rc = topo_load_mem("fuzz", (const char *)data, size, &t);
	if (t == NULL) {
		if (rc != LD_ENOMEM)
			fuzz_fail("no topology without ENOMEM");
	} else {
		if (t->cal == NULL)
			fuzz_fail("no calendar");
		if ((rc == 0) != (t->n_errors == 0) || t->n_diags >
		    LD_TOPO_DIAG_MAX || t->n_diags > t->n_errors +
		    t->n_warnings)
			fuzz_fail("diagnostics do not add up");
		if (null != NULL) {
			topo_print_diags(t, null);
			topo_draw_dot(t, null);
		}
		fuzz_routes(t);
	}
	topo_free(t);
	if (null != NULL)
		fclose(null);
	return 0;
}
