/*
 * fuzz_replay.c - run a fuzz target (LLVMFuzzerTestOneInput) without libFuzzer.
 *
 *   fuzz_replay DIR [MUTATIONS]
 *
 * Feeds every file in DIR to LLVMFuzzerTestOneInput, then MUTATIONS
 * (default 5000) seeded random mutations of them: bit flips, byte sets,
 * truncations, insertions, deletions and splices of two files.  Each input
 * lives in a buffer of exactly its size, so the sanitizers catch any read
 * past its end.  Prints one summary line; exits 0 unless something
 * crashed (a crash, sanitizer report or abort ends the process).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_FILES_MAX 1024
#define REPLAY_SIZE_MAX (32768 + 64)	/* the largest decoder input + slack */

struct replay_file {
	uint8_t *data;
	size_t size;
};

static uint64_t replay_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: the same sequence on every run. */
static uint64_t
replay_rand(void)
{
	replay_state ^= replay_state >> 12;
	replay_state ^= replay_state << 25;
	replay_state ^= replay_state >> 27;
	return replay_state * 0x2545f4914f6cdd1dull;
}

static size_t
replay_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(replay_rand() % n);
}

/* Read all of path; NULL if it cannot be read or is too large. */
static uint8_t *
replay_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(REPLAY_SIZE_MAX + 1);
	n = fread(buf, 1, REPLAY_SIZE_MAX + 1, f);
	fclose(f);
	if (n > REPLAY_SIZE_MAX) {
		free(buf);
		return NULL;
	}
	*size = n;
	return buf;
}

/* Run one input from a copy of exactly its size. */
static void
replay_run(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

/* Apply one random mutation to buf (holding *n of cap bytes). */
static void
replay_mutate(uint8_t *buf, size_t *n, size_t cap,
    const struct replay_file *files, size_t nfiles)
{
	static const uint8_t special[] = { 0x00, 0x7f, 0x80, 0x8f, 0x9f,
		0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xcc, 0xcd, 0xce, 0xcf,
		0xd0, 0xd3, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0,
		0xff };
	const struct replay_file *o;
	size_t at, k;

	switch (replay_below(7)) {
	case 0:			/* flip a bit */
		if (*n > 0)
			buf[replay_below(*n)] ^= (uint8_t)(1u << replay_below(8));
		break;
	case 1:			/* set a byte to a msgpack type byte */
		if (*n > 0)
			buf[replay_below(*n)] = special[replay_below(
			    sizeof(special))];
		break;
	case 2:			/* truncate */
		*n = replay_below(*n + 1);
		break;
	case 3:			/* insert random bytes */
		k = 1 + replay_below(8);
		if (*n + k > cap)
			break;
		at = replay_below(*n + 1);
		memmove(buf + at + k, buf + at, *n - at);
		for (size_t i = 0; i < k; i++)
			buf[at + i] = (uint8_t)replay_rand();
		*n += k;
		break;
	case 4:			/* delete bytes */
		if (*n == 0)
			break;
		at = replay_below(*n);
		k = 1 + replay_below(*n - at);
		memmove(buf + at, buf + at + k, *n - at - k);
		*n -= k;
		break;
	case 5:			/* splice: our head, another file's tail */
		o = &files[replay_below(nfiles)];
		at = replay_below(*n + 1);
		k = replay_below(o->size + 1);
		if (at + (o->size - k) > cap)
			break;
		memcpy(buf + at, o->data + k, o->size - k);
		*n = at + (o->size - k);
		break;
	default:		/* duplicate a slice in place */
		if (*n == 0)
			break;
		at = replay_below(*n);
		k = 1 + replay_below(*n - at < 16 ? *n - at : 16);
		if (*n + k > cap)
			break;
		memmove(buf + at + k, buf + at, *n - at);
		*n += k;
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct replay_file files[REPLAY_FILES_MAX];
	static uint8_t buf[REPLAY_SIZE_MAX * 2];
	size_t nfiles = 0;
	long mutations = 5000;
	struct dirent *de;
	DIR *d;

	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_replay DIR [MUTATIONS]\n");
		return 2;
	}
	if (argc > 2)
		mutations = strtol(argv[2], NULL, 10);
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 2;
	}
	while ((de = readdir(d)) != NULL && nfiles < REPLAY_FILES_MAX) {
		char path[4096];
		struct replay_file *f = &files[nfiles];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if ((f->data = replay_read(path, &f->size)) == NULL)
			continue;
		replay_run(f->data, f->size);
		nfiles++;
	}
	closedir(d);
	if (nfiles == 0) {
		fprintf(stderr, "fuzz_replay: no files in %s\n", argv[1]);
		return 2;
	}
	for (long i = 0; i < mutations; i++) {
		const struct replay_file *f = &files[replay_below(nfiles)];
		size_t n = f->size, rounds = 1 + replay_below(4);

		memcpy(buf, f->data, n);
		for (size_t r = 0; r < rounds; r++)
			replay_mutate(buf, &n, sizeof(buf), files, nfiles);
		replay_run(buf, n);
	}
	printf("fuzz_replay: %zu files, %ld mutations, no crash\n", nfiles,
	    mutations);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].data);
	return 0;
}
