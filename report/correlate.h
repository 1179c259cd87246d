/* correlate: finds the same message sent more than once across sessions (by Message-ID,
 * and independently by a digest of its body), and ranks the likely causes of duplicates and
 * of each flagged session from the evidence; tells relay hops, loops and per-recipient copies
 * from duplicates. Memory: one 64-byte record (plus 6 bytes of scores and flags) per message
 * sent, strings only for messages seen twice, hosts and (capped) recipients once each. */
#ifndef SMTPSCOPE_CORRELATE_H
#define SMTPSCOPE_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "report/servers.h"
#include "smtp/smtp.h"

struct servers; /* report/servers.h */

typedef struct cause {
    cause_id id;
    double score; /* 0..1 */
} cause;

/* Ranks causes for one session from its flags; returns how many (best first). */
unsigned correlate_rank_session(const smtp_report *s, cause out[CAUSE_COUNT]);

/* The lowest hashes of a message's recipients an attempt keeps: enough to tell per-recipient
 * copies (disjoint sets) from re-sends (the same set) without keeping the addresses. */
#define CORR_RCPT_HASHES 4

/* One transmission of a message: 64 bytes, since a capture may hold millions. Hosts, servers
 * and the first recipient are indices into the correlator's name tables (correlate_name). */
typedef struct corr_attempt {
    int64_t time;     /* end of data, or DATA when it never ended */
    uint32_t session; /* saturates at UINT32_MAX */
    uint32_t flags;   /* of its session */
    uint32_t client;  /* the client's host (no port) */
    uint32_t server;  /* the server's endpoint (host:port) */
    uint32_t server_host;
    uint32_t rcpt_name;                   /* its first recipient; NAMES_NONE when not kept */
    uint32_t rcpt_hash[CORR_RCPT_HASHES]; /* lowest recipient hashes, ascending; 0: none */
    int32_t sent_ms;                      /* DATA was sent this many ms before time */
    int32_t accepted_ms; /* the reply to end of data came this many ms after time; -1: none */
    uint16_t reply;      /* reply to end of data, 0 none */
    uint8_t txn;
    uint8_t quit;     /* its session sent QUIT */
    uint8_t received; /* Received: header lines, saturating at 255 */
    uint8_t nrcpt;    /* recipients sent, saturating at 255 */
} corr_attempt;

/* Servers of a duplicate group that showed the signs of overload around its attempts (in
 * sessions other than the group's own), kept for the evidence; every such server adds to
 * server_overloaded, kept or not. */
#define CORR_SIGN_SERVERS 4

typedef struct corr_server_signs {
    uint32_t server; /* its endpoint, as corr_attempt.server */
    /* per server_sign (report/servers.h), from 600 s before the group's first attempt to 60 s
     * after its last */
    unsigned n[SERVER_SIGN_COUNT];
} corr_server_signs;

typedef struct corr_group {
    uint64_t key;   /* the Message-ID or digest key it is filed under (0: split from one) */
    uint32_t first; /* serial of its first attempt (correlate_attempt) */
    int dead;       /* left the window; its slot is free */
    int by_digest;  /* found by body digest (Message-IDs differ or are absent) */
    char *message_id, *mail_from, *rcpt; /* of the second attempt seen */
    uint8_t digest[16];
    int has_digest;
    uint32_t *members; /* attempt indices, in capture order */
    unsigned n, cap;
    /* filled by correlate_finish */
    int split; /* its attempts were hops, copies or a loop: reported as those instead */
    unsigned acknowledged;
    double interval_median; /* seconds; 0 with two attempts at the same time */
    cause causes[CAUSE_COUNT];
    unsigned ncauses;
    int resent_after_ack;
    corr_server_signs signs[CORR_SIGN_SERVERS];
    unsigned nsigns;
} corr_group;

/* What a message's attempts are when they are not the same message sent again over the same
 * hop (README "Likely causes and duplicates"). */
typedef enum {
    CORR_LOOP,   /* carried back and forth between the same servers, Received: growing */
    CORR_RELAY,  /* carried on along a path of relays, one more Received: per hop */
    CORR_FANOUT, /* copies accepted for disjoint recipient sets */
    CORR_PATH_KINDS
} corr_path_kind;

typedef struct corr_path {
    corr_path_kind kind;
    const char *message_id; /* of the group it came from; may be NULL (found by digest) */
    uint32_t *members;      /* attempt indices: one per hop (by Received: count) or per copy */
    unsigned n;
} corr_path;

typedef struct correlate correlate;

correlate *correlate_new(void);
void correlate_free(correlate *c);
/* Records each message of a finished session between client and server ("ADDR:PORT"). */
void correlate_session(correlate *c, uint64_t id, const char *client, const char *server,
                       const smtp_report *s);
/* Sorts the attempts into duplicate groups (the same message more than once over the same
 * hop), loops, relay paths and fan-out; srv (may be NULL) tells what each group's servers
 * did around its attempts (failed connects, 421s, late greetings and replies), evidence of an
 * overloaded server. Valid until correlate_free. */
void correlate_finish(correlate *c, const struct servers *srv);
/* Duplicate groups of two or more attempts, worst first. */
unsigned correlate_ngroups(const correlate *c);
const corr_group *correlate_group(const correlate *c, unsigned i);
const corr_attempt *correlate_attempt(const correlate *c, uint32_t index);
/* Loops, relay paths, fan-out: each kind in the order its first attempt was seen. */
unsigned correlate_npaths(const correlate *c, corr_path_kind kind);
const corr_path *correlate_path(const correlate *c, corr_path_kind kind, unsigned i);
/* A host, server or recipient of an attempt by its index; NULL when not kept. */
const char *correlate_host(const correlate *c, uint32_t index);
const char *correlate_rcpt(const correlate *c, uint32_t index);
/* Microseconds (to the millisecond) a relay held the message between hop a's acceptance
 * (its end of data when unanswered) and hop b's DATA; negative when b started first, as a
 * relay that passes mail through before accepting it does. */
int64_t correlate_held(const corr_attempt *a, const corr_attempt *b);
/* Accepted as far as the client can know: a 2xx that came after the client had closed never
 * reached it. */
int correlate_delivered(const corr_attempt *a);

/* Clients that ended every one of several sessions without QUIT. */
typedef struct corr_client {
    char *address; /* without port */
    unsigned sessions, missing_quit;
    int64_t last; /* the latest attempt's time when it last ended a session */
} corr_client;
void correlate_client(correlate *c, const char *endpoint, const smtp_report *s);
unsigned correlate_nclients_never_quit(const correlate *c, unsigned min_sessions);
/* The next such client from *pos on (start at 0), *pos moved past it; NULL after the last.
 * A cursor, not an index: walking them all is one pass over the clients. */
const corr_client *correlate_next_never_quit(const correlate *c, unsigned min_sessions,
                                             unsigned *pos);

/* Bounds the correlator: attempts older than window (usec; 0: none) before the latest one,
 * and the oldest ones while it holds more than budget bytes (0: none), are let go; a group
 * leaves with its first attempt. */
void correlate_set_window(correlate *c, int64_t window, uint64_t budget);

/* Hands over a duplicate group (final: it will not change again) or a path found as a group
 * left the window. */
typedef struct corr_sink {
    void (*group)(void *ctx, const correlate *c, const corr_group *g, int final);
    void (*path)(void *ctx, const correlate *c, const corr_path *p);
    void *ctx;
} corr_sink;
/* Where groups go as they change or leave, and the servers (may be NULL) whose signs rank
 * their causes; both must outlive the correlator's use of them. */
void correlate_set_sink(correlate *c, const struct servers *srv, const corr_sink *sink);
/* After correlate_session: each duplicate group the session's attempts joined, as it stands
 * (the groups split from one by hop that hold one of them), to the sink; a group of more than
 * CORR_UPDATE_EVERY attempts only when its count is a power of two. */
#define CORR_UPDATE_EVERY 64
void correlate_updates(correlate *c);
/* Lets go of what is past the window or the budget; groups leaving go to the sink final,
 * with any loop, relay path or fan-out they are. */
void correlate_expire(correlate *c);
/* A group's id, the same in every update: its first-recorded attempt's serial (counting
 * from 1 over the whole run), doubled, plus one when found by digest. */
uint64_t correlate_group_id(const correlate *c, const corr_group *g);

/* Duplicate groups formed so far (handed to the sink with their second attempt), attempts
 * let go (window, memory), bytes held. */
typedef struct corr_counts {
    uint64_t groups, expired, bytes;
    uint64_t attempts;       /* held now */
    uint64_t peak;           /* the most bytes held once a session was correlated */
    uint64_t groups_expired; /* groups that left the window before the end */
    uint64_t clients_expired;
} corr_counts;
void correlate_counts(const correlate *c, corr_counts *out);

void correlate_digest_hex(const uint8_t digest[16], char out[33]);

#endif
