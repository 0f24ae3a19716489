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
