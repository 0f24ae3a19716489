/*
 * bench_work.c - the texts of the ticket workload that bench-node and
 * bench-pg both run (bench_work.h): one copy, so that both store the same
 * bytes.
 */
#include "bench_work.h"

const char *const bench_work_places[] = {
	"洛阳市洛龙区王城大道与关林路交叉口向南%u米人行道",
	"洛阳市洛龙区开元大道%u号洛阳理工学院东门对面",
	"洛阳市洛龙区通济街与太康路交叉口西北角%u米",
	"洛阳市洛龙区龙门大道%u号市民之家公交站旁",
};

const char *const bench_work_texts[] = {
	"人行道上一个联通井盖破损下陷，井口边缘松动，晚上路灯昏暗看不清，"
	"刚才有一位老人踩空险些摔倒，附近是学校，学生上下学人很多，"
	"请联通公司尽快派人更换井盖并设置警示标志。",
	"路口东侧的联通通信井盖丢失，只剩一个黑洞洞的井口，市民已经临时放了"
	"几块砖头提醒，但车辆经过时很危险，电动车晚上根本看不见，"
	"请相关单位马上处理，避免发生事故。",
	"公交站旁边的联通井盖被车压碎了，碎片掉进井里，井口露出一半，"
	"等车的人很多，还有推婴儿车的家长，非常不安全，"
	"希望尽快修好，修好前先围起来。",
	"小区门口的联通井盖翘起来了，一踩就响，边上裂开一道缝，"
	"下雨天积水看不见，已经有人崴了脚，物业说不归他们管，"
	"请联通公司来看看，尽快更换。",
};

const char *const bench_work_results[] = {
	"抢修人员已到达现场，更换了新的复合材料防盗井盖并加固井圈，清理了井内"
	"碎片，现场警示标志已撤除，道路恢复正常通行，同时对周边五个联通井盖"
	"进行了排查，未发现其他隐患。",
	"已补装新井盖并用水泥重新固定井座，经过车辆碾压测试无松动，现场已"
	"清理完毕，已电话告知报警市民处理结果，市民表示满意。",
};

const char *const bench_work_callers[] = { "王先生", "李女士", "张师傅",
	"刘阿姨", "陈先生", "杨女士", "赵大爷", "黄女士" };

const size_t bench_work_n_places =
    sizeof(bench_work_places) / sizeof(bench_work_places[0]);
const size_t bench_work_n_texts =
    sizeof(bench_work_texts) / sizeof(bench_work_texts[0]);
const size_t bench_work_n_results =
    sizeof(bench_work_results) / sizeof(bench_work_results[0]);
const size_t bench_work_n_callers =
    sizeof(bench_work_callers) / sizeof(bench_work_callers[0]);
