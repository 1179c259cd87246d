/* names: strings kept once each and known by a small index (see names.h). */
#include "report/names.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int grow_names(names *t)
{
    if (t->n < t->cap)
        return 0;
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    char **s = realloc(t->s, (size_t)cap * sizeof *s);
    if (!s)
        return -1;
    t->s = s;
    t->cap = cap;
    return 0;
}

uint32_t names_add(names *t, const char *s, size_t len)
{
    /* 64-bit hashes of the few thousand names a capture holds do not collide in practice */
    uint64_t key = map_key(XXH3_64bits_withSeed(s, len, 5));
    uint64_t *v = map_find(&t->index, key, NULL, NULL);
    if (v)
        return (uint32_t)*v;
    if ((t->max && t->n >= t->max) || grow_names(t) < 0)
        return NAMES_NONE;
    char *copy = malloc(len + 1);
    if (!copy || map_add(&t->index, key, t->n) < 0) {
        free(copy);
        return NAMES_NONE;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->text += len + 1;
    t->s[t->n] = copy;
    return t->n++;
}

const char *names_get(const names *t, uint32_t i)
{
    return i < t->n ? t->s[i] : NULL;
}

void names_free(names *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    map_free(&t->index);
    uint32_t max = t->max;
    memset(t, 0, sizeof *t);
    t->max = max;
}

uint32_t names_carry(const names *from, names *to, uint32_t i)
{
    const char *s = names_get(from, i);
    return s ? names_add(to, s, strlen(s)) : NAMES_NONE;
}

uint64_t names_bytes(const names *t)
{
    return t->index.cap * sizeof(map_slot) + (uint64_t)t->cap * sizeof(char *) + t->text;
}

size_t names_host_part(const char *endpoint, const char **start)
{
    const char *colon = strrchr(endpoint, ':');
    size_t n = colon ? (size_t)(colon - endpoint) : strlen(endpoint);
    *start = endpoint;
    if (n >= 2 && endpoint[0] == '[' && endpoint[n - 1] == ']') {
        (*start)++;
        n -= 2;
    }
    return n;
}
