/* map: open addressing with backward-shift deletion. See map.h. */
#include "base/map.h"

#include <stdlib.h>

/* Keys are often structured (a worker's number in the top byte) or hashes already: a
 * multiplicative mix spreads both over the table. */
static size_t home(const map *m, uint64_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);
}

static size_t next(const map *m, size_t i)
{
    return (i + 1) & (m->cap - 1);
}

static void place(map *m, uint64_t key, uint64_t value)
{
    size_t i = home(m, key);
    while (m->slot[i].key)
        i = next(m, i);
    m->slot[i] = (map_slot){key, value};
    m->used++;
}

static int grow(map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    map bigger = {calloc(cap, sizeof(map_slot)), cap, 0};
    if (!bigger.slot)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key)
            place(&bigger, m->slot[i].key, m->slot[i].value);
    free(m->slot);
    *m = bigger;
    return 0;
}

/* Room for one more entry: at most 3/4 full afterwards. */
static int make_room(map *m)
{
    return (m->used + 1) * 4 > m->cap * 3 ? grow(m) : 0;
}

static size_t find_index(const map *m, uint64_t key, map_match_fn match, const void *arg)
{
    if (!m->cap || !key)
        return SIZE_MAX;
    for (size_t i = home(m, key); m->slot[i].key; i = next(m, i))
        if (m->slot[i].key == key && (!match || match(m->slot[i].value, arg)))
            return i;
    return SIZE_MAX;
}

uint64_t *map_find(const map *m, uint64_t key, map_match_fn match, const void *arg)
{
    size_t i = find_index(m, key, match, arg);
    return i == SIZE_MAX ? NULL : &m->slot[i].value;
}

int map_add(map *m, uint64_t key, uint64_t value)
{
    if (!key || make_room(m) < 0)
        return -1;
    place(m, key, value);
    return 0;
}

uint64_t *map_upsert(map *m, uint64_t key, int *added)
{
    uint64_t *v = map_find(m, key, NULL, NULL);
    *added = v == NULL;
    if (v)
        return v;
    if (map_add(m, key, 0) < 0)
        return NULL;
    return map_find(m, key, NULL, NULL);
}

/* Closes the hole at i: each later entry of the run moves back into it unless its home lies
 * cyclically in (i, j], where it would no longer be found. */
static void close_hole(map *m, size_t i)
{
    for (size_t j = next(m, i); m->slot[j].key; j = next(m, j)) {
        size_t h = home(m, m->slot[j].key);
        int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (!stays) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i].key = 0;
}

int map_remove(map *m, uint64_t key, map_match_fn match, const void *arg, uint64_t *value)
{
    size_t i = find_index(m, key, match, arg);
    if (i == SIZE_MAX)
        return 0;
    if (value)
        *value = m->slot[i].value;
    close_hole(m, i);
    m->used--;
    return 1;
}

void map_free(map *m)
{
    free(m->slot);
    *m = (map){0};
}
