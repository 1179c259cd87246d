/* A small JSON Lines writer into a growable buffer. Strings from packets are arbitrary
 * bytes: control characters are escaped and invalid UTF-8 becomes \u00XX (each byte read as
 * Latin-1), so every line is valid JSON and valid UTF-8. */
#ifndef SMTPSCOPE_JSON_H
#define SMTPSCOPE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct json {
    char *buf;
    size_t len, cap;
    int need_comma; /* a value was written at this nesting level */
    int failed;     /* out of memory: the line is dropped */
} json;

void json_init(json *j);
void json_free(json *j);
void json_reset(json *j);

void json_begin_object(json *j);
void json_end_object(json *j);
void json_begin_array(json *j);
void json_end_array(json *j);
/* Keys are program constants: not escaped. The inline wrappers below take their length where
 * the key is a literal, so the compiler folds the strlen. */
void json_key_n(json *j, const char *key, size_t n);
static inline void json_key(json *j, const char *key)
{
    json_key_n(j, key, strlen(key));
}

void json_str(json *j, const char *s);             /* NULL writes null */
void json_bytes(json *j, const char *s, size_t n); /* arbitrary bytes, escaped */
void json_int(json *j, int64_t v);
void json_uint(json *j, uint64_t v);
void json_bool(json *j, int v);
void json_null(json *j);
void json_time(json *j, int64_t usec);    /* seconds since the epoch with 6 decimals */
void json_seconds(json *j, int64_t usec); /* a duration, seconds with 6 decimals */

/* n bytes of data as a base64 string (written straight into the line: no escaping needed). */
void json_field_base64(json *j, const char *key, const void *data, size_t n);
/* A frame: its number, or with several capture files the string "NAME#N" (frameref.c). */
void json_frame(json *j, uint64_t frame);

/* "key":value in one call. */
#define JSON_FIELD(name, type)                                                                     \
    static inline void json_field_##name(json *j, const char *key, type v)                         \
    {                                                                                              \
        json_key(j, key);                                                                          \
        json_##name(j, v);                                                                         \
    }
JSON_FIELD(str, const char *)
JSON_FIELD(int, int64_t)
JSON_FIELD(uint, uint64_t)
JSON_FIELD(bool, int)
JSON_FIELD(time, int64_t)
JSON_FIELD(seconds, int64_t)
JSON_FIELD(frame, uint64_t)

/* "key": and, when !present, null; returns present (then the caller writes the value). */
static inline int json_key_or_null(json *j, const char *key, int present)
{
    json_key(j, key);
    if (!present)
        json_null(j);
    return present;
}

/* "key":v, or "key":null when !present. */
#define JSON_FIELD_OR_NULL(name, type)                                                             \
    static inline void json_field_##name##_or_null(json *j, const char *key, int present, type v)  \
    {                                                                                              \
        if (json_key_or_null(j, key, present))                                                     \
            json_##name(j, v);                                                                     \
    }
JSON_FIELD_OR_NULL(int, int64_t)
JSON_FIELD_OR_NULL(uint, uint64_t)
JSON_FIELD_OR_NULL(time, int64_t)
JSON_FIELD_OR_NULL(seconds, int64_t)
JSON_FIELD_OR_NULL(frame, uint64_t)

/* Writes the buffer and a newline; returns 0 or -1 on a write error. */
int json_flush_line(json *j, FILE *out);

#endif
