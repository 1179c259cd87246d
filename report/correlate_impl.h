/* Internal to the correlator (correlate.c records and groups the attempts, hops.c sorts each
 * group into hops, loops and copies, correlate_store.c keeps the tables both grow): its
 * state and what they share. */
#ifndef SMTPSCOPE_CORRELATE_IMPL_H
#define SMTPSCOPE_CORRELATE_IMPL_H

#include <stdint.h>

#include "base/map.h"
#include "report/correlate.h"
#include "report/names.h"

/* Recipient addresses kept for the fan-out report, however many messages: the rest print as
 * null. Hosts are few and all kept. */
#define CORR_RCPT_NAMES_MAX 65536

/* What the correlator keeps of an attempt beside its record: the keys it is filed under (to
 * take them back when it leaves the window), its causes, whether a Message-ID group holds it. */
typedef struct corr_extra {
    uint64_t key[2];            /* Message-ID key, digest key; 0: none */
    uint8_t score[CAUSE_COUNT]; /* percent */
    uint8_t in_id_group;
} corr_extra;

struct correlate {
    /* Attempts live in a ring: serial s at s & (cap - 1), the live ones [oldest, next) (serials
     * are 32-bit and wrap; differences stay right). next64 counts every attempt ever recorded:
     * it names groups. */
    corr_attempt *attempts;
    corr_extra *extra;
    uint32_t oldest, next, cap;
    uint64_t next64;
    map keys; /* Message-ID and digest hashes -> filed() */
    corr_group *groups;
    unsigned ngroups, gcap;
    unsigned *free_groups; /* slots of groups that left the window, for reuse */
    unsigned nfree, fcap;
    int no_reuse;      /* while a group's standing is worked out: new groups go at the end */
    unsigned *touched; /* raw groups the last correlate_session added to */
    unsigned ntouched, tcap;
    uint32_t session_first; /* serial of the last correlate_session's first attempt */
    unsigned *order;        /* groups worth reporting, worst first */
    unsigned norder;
    corr_path *paths[CORR_PATH_KINDS];
    unsigned npaths[CORR_PATH_KINDS], pcap[CORR_PATH_KINDS];
    names hosts;     /* client hosts, server hosts and server endpoints */
    names rcpts;     /* first recipient of each attempt, capped */
    map client_keys; /* hash of a client's address -> index in clients, UINT32_MAX: none */
    corr_client *clients;
    unsigned nclients, ccap;
    /* the window (correlate_set_window) and what it let go */
    int64_t window, now;    /* usec; now: the latest attempt's time */
    uint64_t budget;        /* bytes; 0: none */
    uint64_t heap;          /* bytes of group members and strings */
    uint64_t peak;          /* the most held_bytes after a correlate_expire */
    uint64_t client_heap;   /* bytes of the clients' addresses */
    uint64_t groups_formed; /* duplicate groups handed over with their second attempt */
    uint64_t expired, groups_expired, clients_expired;
    int64_t swept_at;          /* clients last swept */
    const struct servers *srv; /* correlate_set_sink */
    const corr_sink *sink;
};

static inline corr_attempt *corr_at(const correlate *c, uint32_t serial)
{
    return &c->attempts[serial & (c->cap - 1)];
}

static inline corr_extra *corr_extra_of(const correlate *c, uint32_t serial)
{
    return &c->extra[serial & (c->cap - 1)];
}

/* ---- correlate_store.c ---- */

/* Grows *p (cap elements of size) to hold need, doubling from first. */
int correlate_grow(void **p, size_t size, uint32_t *cap, uint32_t need, uint32_t first);
/* A new empty group: a free slot, else at the end of c->groups (which may move); NULL when
 * out of memory. */
corr_group *correlate_new_group(correlate *c);
int correlate_add_member(corr_group *g, uint32_t attempt);
/* A copy of s (NULL stays NULL, and out of memory gives NULL). */
char *correlate_dup(const char *s);

/* ---- hops.c ---- */

/* Sorts group gi's attempts by hop: a loop, a relay path, per-recipient copies become paths;
 * re-sends over one hop stay (or become) duplicate groups; marks gi split when it is. */
void hops_sort_out(correlate *c, unsigned gi);
/* Orders each kind's paths by their first attempt. */
void hops_order(correlate *c);

#endif
