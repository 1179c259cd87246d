/* servers: what each mail server went through across the capture, from its sessions as they
 * open and end and from the failed attempts to connect to it: sessions, most open at once,
 * failed connects, 421 replies, how long its greetings and its replies to end of data took
 * (percentiles from base/quantile.h), ends of data it never answered. Memory is bounded: at
 * most SERVERS_MAX servers (events at any other are counted, not kept), each a fixed size. */
#ifndef SMTPSCOPE_SERVERS_H
#define SMTPSCOPE_SERVERS_H

#include <stdint.h>

#include "base/quantile.h"
#include "base/timeline.h"
#include "pipeline/summary.h"
#include "smtp/smtp.h"

#define SERVERS_MAX 1024

/* What an overloaded server does, counted over time per server for the evidence of a
 * duplicate group ("what went on at that server around the attempts"): failed connects (at
 * the first SYN), and sessions (at their start) answered 421, greeted late (slow_banner) or
 * whose end of data was answered late (slow_eod_reply). */
typedef enum {
    SERVER_SIGN_CONNECT_FAILED,
    SERVER_SIGN_BUSY_421,
    SERVER_SIGN_LATE_GREETING,
    SERVER_SIGN_LATE_REPLY,
    SERVER_SIGN_COUNT
} server_sign;

typedef struct server_stats {
    char address[64]; /* "addr:port", as sessions name it */
    uint64_t sessions, open, peak_concurrent, connect_failed, replies_421, unanswered_eod;
    uint64_t connect_refused;                 /* of connect_failed, refused with a RST */
    quantile *banner_delay, *eod_reply_delay; /* NULL until a first sample */
    timeline *signs; /* SERVER_SIGN_COUNT of them; NULL until a first sign */
} server_stats;

typedef struct servers servers;

servers *servers_new(void);
void servers_free(servers *s);
/* A session opened at server (the handshake); the opened and ended calls count the sessions
 * open at once. */
void servers_opened(servers *s, const char *server);
/* A session at server ended with report r. */
void servers_session(servers *s, const char *server, const smtp_report *r);
void servers_connect_failed(servers *s, const connect_failed *c);
/* The servers seen, in the order they were first seen. */
unsigned servers_count(const servers *s);
const server_stats *servers_get(const servers *s, unsigned i);
/* Sessions and failed connects at servers past SERVERS_MAX, in no server's figures. */
uint64_t servers_over_limit(const servers *s);

/* Evidence for an overloaded server: the sign at server whose time lies in [from, to]
 * (microseconds), within a bucket's width on each side (base/timeline.h). */
unsigned servers_signs_between(const servers *s, const char *server, server_sign sign, int64_t from,
                               int64_t to);
/* The signs a session's flags show (a bit per server_sign): a correlation, which keeps only
 * the flags of a group's own sessions, leaves them out of "around the attempts". */
unsigned servers_session_signs(uint32_t flags);
/* 421 replies in a session, in all (the report's busy_replies, whatever command they
 * answered). */
unsigned servers_replies_421(const smtp_report *r);

#endif
