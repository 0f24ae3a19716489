/*
 * testmp.h - reading reply results in tests: msgpack-c unpacks the result
 * map, and a path ("ticket.work_orders.0.unit") picks a value out of it.
 */
#ifndef LD_TESTMP_H
#define LD_TESTMP_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The value at path in o (keys and array indexes joined by '.'), or NULL. */
static inline const msgpack_object *
tm_at(const msgpack_object *o, const char *path)
{
	char part[64];

	while (o != NULL && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		path += n + (path[n] == '.');
		if (o->type == MSGPACK_OBJECT_ARRAY) {
			char *end;
			unsigned long i = strtoul(part, &end, 10);

			o = *end == '\0' && i < o->via.array.size ?
			    &o->via.array.ptr[i] : NULL;
		} else if (o->type == MSGPACK_OBJECT_MAP) {
			const msgpack_object *found = NULL;

			for (uint32_t i = 0; i < o->via.map.size; i++) {
				const msgpack_object *k = &o->via.map.ptr[i].key;

				if (k->type == MSGPACK_OBJECT_STR &&
				    k->via.str.size == n &&
				    memcmp(k->via.str.ptr, part, n) == 0)
					found = &o->via.map.ptr[i].val;
			}
			o = found;
		} else {
			return NULL;
		}
	}
	return o;
}

/* The string at path as a NUL-terminated copy in buf ("" if not a str). */
static inline const char *
tm_str(const msgpack_object *o, const char *path, char *buf, size_t cap)
{
	const msgpack_object *v = tm_at(o, path);
	size_t n;

	buf[0] = '\0';
	if (v == NULL || v->type != MSGPACK_OBJECT_STR)
		return buf;
	n = v->via.str.size < cap - 1 ? v->via.str.size : cap - 1;
	memcpy(buf, v->via.str.ptr, n);
	buf[n] = '\0';
	return buf;
}

static inline uint64_t
tm_uint(const msgpack_object *o, const char *path)
{
	const msgpack_object *v = tm_at(o, path);

	return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    v->via.u64 : UINT64_MAX;
}

static inline bool
tm_is_nil(const msgpack_object *o, const char *path)
{
	const msgpack_object *v = tm_at(o, path);

	return v != NULL && v->type == MSGPACK_OBJECT_NIL;
}

static inline int
tm_bool(const msgpack_object *o, const char *path)
{
	const msgpack_object *v = tm_at(o, path);

	return v && v->type == MSGPACK_OBJECT_BOOLEAN ? v->via.boolean : -1;
}

/* Entries of the array (or map) at path; -1 if neither. */
static inline long
tm_len(const msgpack_object *o, const char *path)
{
	const msgpack_object *v = tm_at(o, path);

	if (v && v->type == MSGPACK_OBJECT_ARRAY)
		return (long)v->via.array.size;
	if (v && v->type == MSGPACK_OBJECT_MAP)
		return (long)v->via.map.size;
	return -1;
}

#endif
