/* map: a hash map from 64-bit keys to 64-bit values, for every table in smtpscope that maps
 * a number or a hash to a record (session numbers across workers, messages by Message-ID,
 * IPv6 address pairs, connections seen without a handshake).
 *
 * Open addressing with linear probing, at most 3/4 full (it doubles when it would be fuller),
 * deletion by backward shift: no tombstones, so a map that sees millions of keys come and go
 * probes as little as a fresh one. A key may be added more than once: a caller that keys by a
 * hash of a longer key (an address pair, a 4-tuple) tells its entries apart with a match
 * function. Key 0 marks an empty slot: pass a key that may be 0 through map_key. */
#ifndef SMTPSCOPE_MAP_H
#define SMTPSCOPE_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct map_slot {
    uint64_t key; /* 0: empty */
    uint64_t value;
} map_slot;

/* All zero is an empty map; nothing is allocated before the first map_add. */
typedef struct map {
    map_slot *slot;
    size_t cap, used;
} map;

/* Tells an entry of a repeated key apart: 1 when value is the one wanted. */
typedef int (*map_match_fn)(uint64_t value, const void *arg);

static inline uint64_t map_key(uint64_t k)
{
    return k ? k : 1;
}

/* The value of the first entry of key that match accepts (NULL: any), or NULL. The pointer
 * is valid until the map next changes. */
uint64_t *map_find(const map *m, uint64_t key, map_match_fn match, const void *arg);
/* Adds key -> value, even when key is there already. 0, or -1 when out of memory. */
int map_add(map *m, uint64_t key, uint64_t value);
/* The value of key, added as 0 when absent (*added says which); NULL when out of memory. */
uint64_t *map_upsert(map *m, uint64_t key, int *added);
/* Removes the first entry of key that match accepts (NULL: any); 1 with its value in *value
 * (may be NULL), 0 when there is none. */
int map_remove(map *m, uint64_t key, map_match_fn match, const void *arg, uint64_t *value);
void map_free(map *m);

#endif
