/* testutil.h - what every cmocka test file includes. */
#ifndef LD_TESTUTIL_H
#define LD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* A fresh temp dir (mkdtemp under $TMPDIR or /tmp); removed by rm_tree. */
static inline char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(256);

	snprintf(p, 256, "%s/liandong-test-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

/* The store in dir for node, with the map's first size and maximum (0:
 * the defaults); the test fails if it does not open. */
static inline struct ld_store *
tu_open_store(const char *dir, const char *node, size_t map, size_t max)
{
	struct ld_store_opts o = { .dir = dir, .node = node, .map_size = map,
		.map_max = max };
	struct ld_store *s = NULL;
	struct ld_err err;

	if (store_open(&s, &o, &err) != 0)
		fail_msg("store_open %s: %s", dir, err.msg);
	return s;
}

/* The whole file at path, NUL-terminated (free it), its length in *len
 * if len; NULL if it cannot be read. */
static inline char *
tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static inline void
tu_rm_tree(char *p)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", p);
	free(p);
}

#endif
