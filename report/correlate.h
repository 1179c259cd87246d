/* correlate: finds the same message sent more than once across sessions (by Message-ID,
 * and independently by a digest of its body), and ranks the likely causes of duplicates and
 * of each flagged session from the evidence. Memory: one small record per message sent,
 * strings only for messages seen twice. */
#ifndef SMTPSCOPE_CORRELATE_H
#define SMTPSCOPE_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "smtp/smtp.h"

typedef struct cause {
    cause_id id;
    double score; /* 0..1 */
} cause;

/* Ranks causes for one session from its flags; returns how many (best first). */
unsigned correlate_rank_session(const smtp_report *s, cause out[CAUSE_COUNT]);

/* One transmission of a message: 24 bytes, since a capture may hold millions. */
typedef struct corr_attempt {
    int64_t time;     /* end of data, or DATA when it never ended */
    uint32_t session; /* saturates at UINT32_MAX */
    uint32_t flags;   /* of its session */
    uint16_t reply;   /* reply to end of data, 0 none */
    uint8_t txn;
    uint8_t quit; /* its session sent QUIT */
} corr_attempt;

typedef struct corr_group {
    int by_digest; /* found by body digest (Message-IDs differ or are absent) */
    char *message_id, *mail_from, *rcpt; /* of the second attempt seen */
    uint8_t digest[16];
    int has_digest;
    uint32_t *members; /* attempt indices, in capture order */
    unsigned n, cap;
    /* filled by correlate_finish */
    unsigned acknowledged;
    double interval_median; /* seconds; 0 with two attempts at the same time */
    cause causes[CAUSE_COUNT];
    unsigned ncauses;
    int resent_after_ack;
} corr_group;

typedef struct correlate correlate;

correlate *correlate_new(void);
void correlate_free(correlate *c);
/* Records each message of a finished session. */
void correlate_session(correlate *c, uint64_t id, const smtp_report *s);
/* Groups of two or more attempts, worst first. Valid until correlate_free. */
void correlate_finish(correlate *c);
unsigned correlate_ngroups(const correlate *c);
const corr_group *correlate_group(const correlate *c, unsigned i);
const corr_attempt *correlate_attempt(const correlate *c, uint32_t index);
/* Accepted as far as the client can know: a 2xx that came after the client had closed never
 * reached it. */
int correlate_delivered(const corr_attempt *a);

/* Clients that ended every one of several sessions without QUIT. */
typedef struct corr_client {
    char *address; /* without port */
    unsigned sessions, missing_quit;
} corr_client;
void correlate_client(correlate *c, const char *endpoint, const smtp_report *s);
unsigned correlate_nclients_never_quit(const correlate *c, unsigned min_sessions);
const corr_client *correlate_client_never_quit(const correlate *c, unsigned min_sessions,
                                               unsigned i);

void correlate_digest_hex(const uint8_t digest[16], char out[33]);

#endif
