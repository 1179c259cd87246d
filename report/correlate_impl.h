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

struct correlate {
    corr_attempt *attempts;
    uint8_t (*scores)[CAUSE_COUNT]; /* per attempt, percent */
    uint8_t *in_id_group;           /* per attempt: already in a Message-ID group */
    uint32_t nattempts, cap;
    map keys; /* Message-ID and digest hashes -> filed() */
    corr_group *groups;
    unsigned ngroups, gcap;
    unsigned *order; /* groups worth reporting, worst first */
    unsigned norder;
    corr_path *paths[CORR_PATH_KINDS];
    unsigned npaths[CORR_PATH_KINDS], pcap[CORR_PATH_KINDS];
    names hosts;     /* client hosts, server hosts and server endpoints */
    names rcpts;     /* first recipient of each attempt, capped */
    map client_keys; /* hash of a client's address -> index in clients, UINT32_MAX: none */
    corr_client *clients;
    unsigned nclients, ccap;
};

/* ---- correlate_store.c ---- */

/* Grows *p (cap elements of size) to hold need, doubling from first. */
int correlate_grow(void **p, size_t size, uint32_t *cap, uint32_t need, uint32_t first);
/* A new empty group at the end of c->groups (which may move); NULL when out of memory. */
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
