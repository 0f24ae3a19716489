/*
 * bench.h - what the benchmarks (tools/bench-store.c, tools/bench-node.c)
 * share: the description of the machine their figures come from, and
 * their JSON lines.  Not used by the nodes.
 */
#ifndef LD_BENCH_H
#define LD_BENCH_H

/* The machine a benchmark ran on. */
struct bench_machine {
	char cpu[128];		/* model name from /proc/cpuinfo, "?" */
	long cores;		/* online */
	long mem_mib;
	char fs[64];		/* filesystem type of the data dir */
	char dev[256];		/* and its device */
	char kernel[160];	/* "Linux 6.1.0" */
};

/* Describe the machine, with the filesystem that holds dir. */
void bench_machine_get(const char *dir, struct bench_machine *m);

/* One JSON line on stdout: {"bench": bench, "figure": figure, "value":
 * value, "unit": unit, "baseline": baseline, "ratio": value / baseline};
 * baseline <= 0 gives null for both. */
void bench_json_num(const char *bench, const char *figure, double value,
    const char *unit, double baseline);
/* The same with a string value, no unit, no baseline. */
void bench_json_text(const char *bench, const char *figure, const char *value);

#endif
