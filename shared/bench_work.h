/*
 * bench_work.h - the texts of the ticket workload that bench-node and
 * bench-pg both run (docs/performance.md): places (a printf format with
 * one %u, the house number), descriptions, results, callers and the notes
 * of each step, realistic Chinese text in UTF-8.  A workload picks from
 * them with its own random numbers.
 */
#ifndef LD_BENCH_WORK_H
#define LD_BENCH_WORK_H

#include <stddef.h>

extern const char *const bench_work_places[];
extern const char *const bench_work_texts[];
extern const char *const bench_work_results[];
extern const char *const bench_work_callers[];
extern const size_t bench_work_n_places, bench_work_n_texts,
    bench_work_n_results, bench_work_n_callers;

#define BENCH_WORK_SIGN_NOTE "已签收，抢修班组正在赶往现场。"
#define BENCH_WORK_REPORT_NOTE \
	"已电话告知市民处理结果：井盖已更换，道路恢复通行。"
#define BENCH_WORK_CALLBACK_NOTE "回访市民，对处理速度和结果表示满意。"
#define BENCH_WORK_CLOSE_NOTE "市民满意，工单办结归档。"

#endif
