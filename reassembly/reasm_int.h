/* reasm_int: what the files of the reassembler share (internal to reassembly/).
 *
 * reasm.c sets it up and tears it down; reasm_packet.c feeds libnids one packet at a time and
 * takes the TCP evidence from it on the way; reasm_session.c follows the sessions libnids
 * holds streams for, to their end. They share one state, because libnids is one global
 * instance and calls back into them without a context pointer, and the few readers of
 * libnids' stream state below, inline because the packet path calls them for every packet. */
#ifndef SMTPSCOPE_REASM_INT_H
#define SMTPSCOPE_REASM_INT_H

#include <nids.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "reassembly/reasm.h"

enum { BY_ACTIVITY, BY_OPENING, N_ORDERS };

/* A segment that arrived ahead of a gap. libnids queues it and hands it over later, inside
 * the callback of the packet that fills the gap; its own frame and time are kept here so
 * the evidence names the packet that really carried those bytes. */
typedef struct early_seg {
    uint32_t seq, len;
    uint64_t frame; /* 0: slot unused */
    struct timeval ts;
    int dir;
} early_seg;

enum { EARLY_SEGS = 4 };

/* One session libnids holds a stream for. libnids owns the stream; this only links it to
 * the caller's handle and keeps it in two lists, so no search is ever needed. A session the
 * caller refused (or stopped following) stays, with a NULL handle and no data collected, so
 * that its later packets are known as its own and not taken for a connection without a
 * handshake; libnids keeps it because it listens for urgent data. */
typedef struct session {
    void *handle; /* NULL: not followed */
    struct tcp_stream *tcp;
    struct {
        struct session *prev, *next;
    } link[N_ORDERS];
    struct timeval last;             /* time of the latest packet of the stream */
    uint64_t last_frame, open_frame; /* its latest packet's frame, and the one that opened it */
    uint64_t syn_frame;              /* its handshake's first SYN (open_frame when unknown) */
    int fin_first;       /* reasm_dir of the side seen sending the first FIN, -1 none yet */
    int snaplen_cut;     /* a packet's payload was cut by the snaplen: no more data is delivered */
    unsigned early_next; /* early segments noted so far: while 0, early[] is never read */
    struct session *hash_next, **hash_prev; /* reasm_table.c's chain */
    early_seg early[EARLY_SEGS];
} session;

typedef struct list {
    session *head, *tail;
} list;

/* The TCP packet libnids is processing, as its IP layer saw it (after defragmentation), and
 * the stream it belonged to before libnids processed it. The header fields are read once, in
 * reasm_on_ip, while the packet's bytes are at hand. */
typedef struct current_tcp {
    int valid;
    uint32_t saddr, daddr; /* network order, as in struct tuple4 */
    uint16_t sport, dport; /* host order, as in struct tuple4 */
    uint8_t flags;
    uint32_t seq;
    uint16_t window;
    uint32_t len;                        /* payload bytes */
    struct tcp_stream *stream;           /* with a session; NULL once that session ends */
    int unfollowed;                      /* no session held a stream for it */
    uint8_t sample[REASM_UNSEEN_SAMPLE]; /* its first payload bytes, when unfollowed */
} current_tcp;

typedef struct reasm_global {
    int active;
    reasm_config cfg;
    reasm_callbacks cb;
    reasm_stats stats;
    struct timeval idle; /* cfg.idle_timeout as a timeval; 0 when disabled */
    uint64_t frame;      /* the frame being processed: callbacks report it */
    struct timeval ts;
    current_tcp pkt;
    list order[N_ORDERS];
    pcap_t *raw;       /* the DLT_RAW handle libnids reads the link type from */
    int dlt;           /* the link type of the frames */
    int unfollow;      /* set by reasm_unfollow during a data callback */
    int payload_cut;   /* the packet being fed lost payload to the snaplen (snapcut.h) */
    reasm_position at; /* where the callbacks being made happen (reasm_now) */
} reasm_global;

/* libnids is one global instance, so this is too (defined in reasm.c). */
extern reasm_global reasm_state;

/* ---- libnids' stream state, read where it is needed ---- */

/* libnids' private half-stream states (tcp.c, not in nids.h). A half in one of them has
 * sent a FIN: FIN_SENT/FIN_CONFIRMED once it is in order, TCP_CLOSING while it waits in the
 * out-of-order queue. */
#define NIDS_HALF_FIN_SENT 120
#define NIDS_HALF_FIN_CONFIRMED 121
#define NIDS_HALF_CLOSING 11

static inline int reasm_half_sent_fin(const struct half_stream *h)
{
    return h->state == NIDS_HALF_FIN_SENT || h->state == NIDS_HALF_FIN_CONFIRMED ||
           h->state == NIDS_HALF_CLOSING;
}

static inline int reasm_any_fin(const struct tcp_stream *a)
{
    return reasm_half_sent_fin(&a->client) || reasm_half_sent_fin(&a->server);
}

/* Remembers which side sent the first FIN. Called after every packet of the stream: one
 * packet can add a FIN for its sender only, so when exactly one half shows a FIN, that
 * half's side was first. */
static inline void reasm_note_fin(session *s)
{
    int c = reasm_half_sent_fin(&s->tcp->client), v = reasm_half_sent_fin(&s->tcp->server);

    if (s->fin_first < 0 && c != v)
        s->fin_first = c ? REASM_FROM_CLIENT : REASM_FROM_SERVER;
}

static inline struct tcp_stream *reasm_find_stream(uint32_t saddr, uint16_t sport, uint32_t daddr,
                                                   uint16_t dport)
{
    struct tuple4 t;

    memset(&t, 0, sizeof t); /* libnids compares tuples with memcmp */
    t.saddr = saddr;
    t.source = sport;
    t.daddr = daddr;
    t.dest = dport;
    return nids_find_tcp_stream(&t);
}

/* The sequence number of the next in-order byte a half expects (libnids' EXP_SEQ). */
static inline uint32_t reasm_expected_seq(const struct half_stream *rcv,
                                          const struct half_stream *snd)
{
    return snd->first_data_seq + (uint32_t)rcv->count + (uint32_t)rcv->urg_count;
}

static inline int reasm_seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* ---- reasm_session.c: sessions from the handshake to their end ---- */

void reasm_out_of_memory(char *where);
reasm_endpoint reasm_endpoint_of(uint32_t addr, uint16_t port);
void reasm_on_tcp(struct tcp_stream *a, void **unused);
void reasm_end_fin_or(session *s, reasm_end_reason otherwise, uint64_t frame, struct timeval ts);
void reasm_session_seen(session *s);
void reasm_expire_idle(void);
void reasm_end_all(void);

/* ---- reasm_table.c: the sessions by their addresses and ports ---- */

int reasm_table_init(int max_streams); /* -1: out of memory */
void reasm_table_free(void);
void reasm_table_add(session *s);
void reasm_table_remove(session *s);
/* The session of a packet from saddr:sport to daddr:dport, and the side that sent it
 * (reasm_dir); NULL when no session holds that connection. */
session *reasm_table_find(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, int *dir);

/* ---- reasm_packet.c: one packet through libnids ---- */

void reasm_on_ip(struct ip *iph, int skblen);

#endif
