/* bench.c - the machine description shared by the benchmarks (bench.h). */
#include "bench.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* CPU model from /proc/cpuinfo ("?" if none). */
static void
bench_cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, cap, "?");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || c == NULL)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, cap, "%s", c);
		break;
	}
	fclose(f);
}

/* Filesystem type and device of the mount holding dir (longest prefix in
 * /proc/self/mounts). */
static void
bench_fs_of(const char *dir, struct bench_machine *m)
{
	char real[PATH_MAX], line[1024], dev[256], mnt[PATH_MAX], type[64];
	size_t best = 0;
	FILE *f;

	snprintf(m->fs, sizeof(m->fs), "?");
	snprintf(m->dev, sizeof(m->dev), "?");
	if (realpath(dir, real) == NULL || (f = fopen("/proc/self/mounts",
	    "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) != 3)
			continue;
		size_t l = strlen(mnt);
		bool under = strncmp(real, mnt, l) == 0 && (real[l] == '/' ||
		    real[l] == '\0' || strcmp(mnt, "/") == 0);
		if (under && l >= best) {
			best = l;
			snprintf(m->fs, sizeof(m->fs), "%s", type);
			snprintf(m->dev, sizeof(m->dev), "%s", dev);
		}
	}
	fclose(f);
}

void
bench_machine_get(const char *dir, struct bench_machine *m)
{
	struct utsname u;

	memset(m, 0, sizeof(*m));
	bench_cpu_model(m->cpu, sizeof(m->cpu));
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
	m->mem_mib = (long)((double)sysconf(_SC_PHYS_PAGES) *
	    (double)sysconf(_SC_PAGESIZE) / 1048576.0);
	bench_fs_of(dir, m);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname,
		    u.release);
}

/* Print s as a JSON string. */
static void
bench_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

void
bench_json_num(const char *bench, const char *figure, double value,
    const char *unit, double baseline)
{
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"value\":%.3f,"
	    "\"unit\":\"%s\",", bench, figure, value, unit);
	if (baseline > 0)
		printf("\"baseline\":%.3f,\"ratio\":%.3f}\n", baseline,
		    value / baseline);
	else
		printf("\"baseline\":null,\"ratio\":null}\n");
}

void
bench_json_text(const char *bench, const char *figure, const char *value)
{
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"value\":", bench,
	    figure);
	bench_json_str(value);
	printf(",\"unit\":\"\",\"baseline\":null,\"ratio\":null}\n");
}
