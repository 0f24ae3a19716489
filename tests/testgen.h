/* testgen.h - build realistic events for tests (the article's cases). */
#ifndef LD_TESTGEN_H
#define LD_TESTGEN_H

#include "event.h"
#include "ltime.h"

#include <stdio.h>
#include <string.h>

#define TG_HOUR (3600LL * 1000)

static inline void
tg_created(struct ld_event *e, const char *origin, int64_t t, const char *phone)
{
	event_init(e, LD_EV_TICKET_CREATED, origin, t, "op:wang", "");
	event_set_str(e, LD_F_CALLER, "李先生");
	event_set_str(e, LD_F_PHONE, phone);
	event_set_str(e, LD_F_PLACE,
	    "王城大道与关林路交叉口西北50米，洛阳理工学院附近");
	event_set_str(e, LD_F_AREA, "luolong");
	event_set_str(e, LD_F_TEXT, "路边井盖丢失，夜间行人容易掉入，请尽快处理。");
	event_set_str(e, LD_F_CATEGORY, "manhole");
	event_set_uint(e, LD_F_URGENCY, 2);
}

static inline void
tg_dispatched(struct ld_event *e, const char *origin, int64_t t,
    const char *ticket, unsigned wo, const char *unit)
{
	event_init(e, LD_EV_DISPATCHED, origin, t, "op:wang", ticket);
	event_set_uint(e, LD_F_WO, wo);
	event_set_str(e, LD_F_UNIT, unit);
	event_set_time(e, LD_F_DUE_SIGN, t + TG_HOUR / 2);
	event_set_time(e, LD_F_DUE_DONE, t + 4 * TG_HOUR);
}

static inline void
tg_wo_event(struct ld_event *e, enum ld_event_kind k, const char *origin,
    int64_t t, const char *ticket, unsigned wo)
{
	event_init(e, k, origin, t, "unit:unicom", ticket);
	event_set_uint(e, LD_F_WO, wo);
	if (k == LD_EV_COMPLETED)
		event_set_str(e, LD_F_RESULT, "已更换新井盖，现场已恢复。");
	if (k == LD_EV_PROGRESS)
		event_set_str(e, LD_F_NOTE, "抢修人员已到场");
	if (k == LD_EV_RETURNED)
		event_set_str(e, LD_F_REASON, "不属于本单位管辖");
}

static inline void
tg_call(struct ld_event *e, enum ld_event_kind k, const char *origin,
    int64_t t, const char *call)
{
	event_init(e, k, origin, t, "op:wang", "");
	event_set_str(e, LD_F_CALL, call);
	if (k == LD_EV_CALL_RECEIVED)
		event_set_str(e, LD_F_PHONE, "13800000000");
}

#endif
