/* names: strings kept once each (hosts, servers, recipient addresses) and known by a small
 * index, so that a per-message record can name them in 4 bytes. A table may be capped: past
 * its cap a new string gets NAMES_NONE and is not kept. */
#ifndef SMTPSCOPE_NAMES_H
#define SMTPSCOPE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "base/map.h"

#define NAMES_NONE UINT32_MAX

/* All zero is an empty table without a cap; set max for one. */
typedef struct names {
    map index; /* hash of the string -> its index */
    char **s;
    uint32_t n, cap;
    uint32_t max;  /* 0: no cap */
    uint64_t text; /* bytes of the strings */
} names;

/* The index of the len bytes at s, added when new; NAMES_NONE when the table is full or
 * memory ran out. */
uint32_t names_add(names *t, const char *s, size_t len);
/* The string of index i; NULL for NAMES_NONE. */
const char *names_get(const names *t, uint32_t i);
void names_free(names *t);
/* Index i of table from in table to (added when new): what a rebuild of a table from the
 * records still held does for each; NAMES_NONE for NAMES_NONE or a full table. */
uint32_t names_carry(const names *from, names *to, uint32_t i);
/* Bytes the table holds: its index, its array, its strings. */
uint64_t names_bytes(const names *t);

/* The host of an endpoint: "198.51.100.7:40001" -> "198.51.100.7", "[2001:db8::1]:25" ->
 * "2001:db8::1". Sets *start, returns the length. */
size_t names_host_part(const char *endpoint, const char **start);

#endif
