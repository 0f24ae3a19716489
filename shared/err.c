/* err.c - error codes and messages (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
err_name(int code)
{
	switch (code) {
	case LD_OK: return "OK";
	case LD_EINVAL: return "EINVAL";
	case LD_ENOMEM: return "ENOMEM";
	case LD_EMALFORMED: return "EMALFORMED";
	case LD_ELIMIT: return "ELIMIT";
	case LD_ETYPE: return "ETYPE";
	case LD_EMISSING: return "EMISSING";
	case LD_EUNKNOWN: return "EUNKNOWN";
	case LD_EUTF8: return "EUTF8";
	case LD_EREFUSED: return "EREFUSED";
	case LD_ESCHEMA: return "ESCHEMA";
	case LD_ECORRUPT: return "ECORRUPT";
	case LD_EFULL: return "EFULL";
	case LD_EIO: return "EIO";
	case LD_EEXIST: return "EEXIST";
	case LD_ENOTFOUND: return "ENOTFOUND";
	case LD_EGAP: return "EGAP";
	case LD_EDUP: return "EDUP";
	case LD_EBUSY: return "EBUSY";
	default: return "E?";
	}
}

int
err_set(struct ld_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
err_prefix(struct ld_err *e, const char *fmt, ...)
{
	char head[LD_ERR_MSG_MAX], old[LD_ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return LD_EINVAL;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	{
		size_t h = strlen(head), o = strlen(old);

		if (h > sizeof(e->msg) - 3)
			h = sizeof(e->msg) - 3;
		memcpy(e->msg, head, h);
		memcpy(e->msg + h, ": ", 2);
		if (o > sizeof(e->msg) - h - 3)
			o = sizeof(e->msg) - h - 3;
		memcpy(e->msg + h + 2, old, o);
		e->msg[h + 2 + o] = '\0';
	}
	return e->code;
}

void
err_clear(struct ld_err *e)
{
	if (e == NULL)
		return;
	e->code = LD_OK;
	e->msg[0] = '\0';
}
