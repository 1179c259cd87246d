/* correlate store: the correlator's growing tables (groups and their members) and the small
 * facts of one attempt that correlate.c, hops.c and the report all read; it calls neither. */
#include <stdlib.h>
#include <string.h>

#include "report/correlate_impl.h"

char *correlate_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

int correlate_grow(void **p, size_t size, uint32_t *cap, uint32_t need, uint32_t first)
{
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap * 2 : first;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

int correlate_add_member(corr_group *g, uint32_t attempt)
{
    /* groups are many and mostly small */
    if (correlate_grow((void **)&g->members, sizeof *g->members, &g->cap, g->n + 1, 4) < 0)
        return -1;
    g->members[g->n++] = attempt;
    return 0;
}

corr_group *correlate_new_group(correlate *c)
{
    if (c->nfree && !c->no_reuse) {
        corr_group *g = &c->groups[c->free_groups[--c->nfree]];
        memset(g, 0, sizeof *g);
        return g;
    }
    uint32_t cap = c->gcap;
    if (correlate_grow((void **)&c->groups, sizeof *c->groups, &cap, c->ngroups + 1, 256) < 0)
        return NULL;
    c->gcap = cap;
    corr_group *g = &c->groups[c->ngroups++];
    memset(g, 0, sizeof *g);
    return g;
}

/* Accepted as far as the client can know: a 2xx that came after the client had closed
 * never reached it, so the client rightly sends again. */
int correlate_delivered(const corr_attempt *a)
{
    return a->reply / 100 == 2 && !(a->flags & SMTP_FLAG_REPLY_AFTER_CLOSE);
}
