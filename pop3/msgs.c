/* The messages a session touched (by number), what LIST and UIDL said of them, and the queue
 * of commands awaiting a response (RFC 2449 PIPELINING: responses come in order). */
#include <stdlib.h>
#include <string.h>

#include "pop3/internal.h"

static pop3_msg *find_msg(pop3_session *s, uint32_t n)
{
    for (unsigned i = 0; i < s->rep.nmsgs; i++)
        if (s->msgs[i].number == n)
            return &s->msgs[i];
    return NULL;
}

/* Doubles an array of *cap elements of `size` bytes (4 at first), up to max; NULL when out of
 * memory (the array is unchanged). Messages and listing entries are few in most sessions, so
 * both start small rather than at their bounds. */
static void *grow(void *array, unsigned *cap, unsigned max, size_t size)
{
    unsigned want = *cap ? *cap * 2 : 4;
    want = want > max ? max : want;
    void *a = realloc(array, want * size);
    if (a)
        *cap = want;
    return a;
}

static int grow_msgs(pop3_session *s)
{
    pop3_msg *m = grow(s->msgs, &s->msgs_cap, POP3_MAX_MSGS, sizeof *m);
    if (!m)
        return 0;
    s->msgs = m;
    s->rep.msgs = m;
    return 1;
}

pop3_msg *pop3_msg_get(pop3_session *s, uint32_t n)
{
    pop3_msg *m = find_msg(s, n);
    if (m)
        return m;
    if (s->rep.nmsgs == POP3_MAX_MSGS || (s->rep.nmsgs == s->msgs_cap && !grow_msgs(s))) {
        s->rep.count.msgs_not_kept++;
        return NULL;
    }
    m = &s->msgs[s->rep.nmsgs++];
    memset(m, 0, sizeof *m);
    m->number = n;
    pop3_listed_apply(s, m);
    return m;
}

/* Servers list messages in ascending order: then a binary search, else a scan. */
static listed *find_listed(const pop3_session *s, uint32_t n)
{
    if (!s->listing_unsorted) {
        unsigned lo = 0, hi = s->nlisted;
        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2;
            if (s->listing[mid].number < n)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < s->nlisted && s->listing[lo].number == n ? &s->listing[lo] : NULL;
    }
    for (unsigned i = 0; i < s->nlisted; i++)
        if (s->listing[i].number == n)
            return &s->listing[i];
    return NULL;
}

/* Grown as entries come, like msgs: zeroing room for POP3_MAX_LISTED entries (44 KiB) in every
 * session that sends UIDL cost a POP3 capture about a sixth of its instructions. Entries are
 * cleared one by one as they are taken. */
static int grow_listing(pop3_session *s)
{
    listed *l = grow(s->listing, &s->listed_cap, POP3_MAX_LISTED, sizeof *l);
    if (!l)
        return 0;
    s->listing = l;
    return 1;
}

static listed *get_listed(pop3_session *s, uint32_t n)
{
    listed *l = find_listed(s, n);
    if (l)
        return l;
    if (s->nlisted == POP3_MAX_LISTED) {
        s->rep.count.listed_not_kept++;
        return NULL;
    }
    if (s->nlisted == s->listed_cap && !grow_listing(s))
        return NULL;
    s->listing_unsorted |= s->nlisted > 0 && s->listing[s->nlisted - 1].number > n;
    l = &s->listing[s->nlisted++];
    memset(l, 0, sizeof *l);
    l->number = n;
    return l;
}

void pop3_listed_size(pop3_session *s, uint32_t n, uint64_t size)
{
    listed *l = get_listed(s, n);
    if (l) {
        l->has_size = 1;
        l->size = size;
    }
    pop3_msg *m = find_msg(s, n);
    if (m) {
        m->has_list = 1;
        m->list_size = size;
    }
}

void pop3_listed_uidl(pop3_session *s, uint32_t n, const char *uidl, size_t len)
{
    listed *l = get_listed(s, n);
    if (l) {
        l->has_uidl = 1;
        pop3_copy_text(l->uidl, sizeof l->uidl, uidl, len);
    }
    pop3_msg *m = find_msg(s, n);
    if (m) {
        m->uidl_known = 1;
        pop3_copy_text(m->uidl, sizeof m->uidl, uidl, len);
    }
}

void pop3_listed_apply(const pop3_session *s, pop3_msg *m)
{
    const listed *l = find_listed(s, m->number);
    if (!l)
        return;
    if (l->has_size) {
        m->has_list = 1;
        m->list_size = l->size;
    }
    if (l->has_uidl) {
        m->uidl_known = 1;
        memcpy(m->uidl, l->uidl, sizeof m->uidl);
    }
}

void pop3_enqueue(pop3_session *s, pop3_verb v, int has_arg, uint32_t arg)
{
    if (s->qlen == POP3_PIPELINE_MAX) {
        s->rep.count.pipeline_overflow++;
        return;
    }
    s->q[(s->qhead + s->qlen++) % POP3_PIPELINE_MAX] = (pending){(uint8_t)v, (uint8_t)has_arg, arg};
}

pending *pop3_queue_head(pop3_session *s)
{
    return s->qlen ? &s->q[s->qhead] : NULL;
}

void pop3_dequeue(pop3_session *s)
{
    if (!s->qlen)
        return;
    s->qhead = (s->qhead + 1) % POP3_PIPELINE_MAX;
    s->qlen--;
}

uint32_t pop3_parse_number(const char *p, size_t len, size_t *used)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9' && v <= UINT32_MAX)
        v = v * 10 + (uint64_t)(p[i++] - '0');
    if (used)
        *used = i;
    return i > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}
