/* A small JSON Lines writer into a growable buffer. Strings from packets are arbitrary
 * bytes: control characters are escaped and invalid UTF-8 becomes \u00XX (each byte read as
 * Latin-1), so every line is valid JSON and valid UTF-8. */
#ifndef SMTPSCOPE_JSON_H
#define SMTPSCOPE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
void json_key(json *j, const char *key); /* keys are program constants: not escaped */

void json_str(json *j, const char *s);             /* NULL writes null */
void json_bytes(json *j, const char *s, size_t n); /* arbitrary bytes, escaped */
void json_int(json *j, int64_t v);
void json_uint(json *j, uint64_t v);
void json_bool(json *j, int v);
void json_null(json *j);
void json_time(json *j, int64_t usec);    /* seconds since the epoch with 6 decimals */
void json_seconds(json *j, int64_t usec); /* a duration, seconds with 6 decimals */

/* "key":value in one call. */
void json_field_str(json *j, const char *key, const char *s);
/* n bytes of data as a base64 string (written straight into the line: no escaping needed). */
void json_field_base64(json *j, const char *key, const void *data, size_t n);
void json_field_int(json *j, const char *key, int64_t v);
void json_field_uint(json *j, const char *key, uint64_t v);
void json_field_bool(json *j, const char *key, int v);
void json_field_time(json *j, const char *key, int64_t usec);
void json_field_seconds(json *j, const char *key, int64_t usec);

/* "key": and, when !present, null; returns present (then the caller writes the value). */
int json_key_or_null(json *j, const char *key, int present);
/* "key":v, or "key":null when !present. */
void json_field_int_or_null(json *j, const char *key, int present, int64_t v);
void json_field_uint_or_null(json *j, const char *key, int present, uint64_t v);
void json_field_time_or_null(json *j, const char *key, int present, int64_t usec);
void json_field_seconds_or_null(json *j, const char *key, int present, int64_t usec);

/* A frame: its number, or with several capture files the string "NAME#N" (frameref.c). */
void json_frame(json *j, uint64_t frame);
void json_field_frame(json *j, const char *key, uint64_t frame);
void json_field_frame_or_null(json *j, const char *key, int present, uint64_t frame);
/* Writes the buffer and a newline; returns 0 or -1 on a write error. */
int json_flush_line(json *j, FILE *out);

#endif
