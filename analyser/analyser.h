/* analyser: what a protocol analyser offers the pipeline, in terms of no protocol. Each
 * analyser (smtp/ today) fills one `analyser` with its functions; pipeline/ keeps the list
 * and hands every TCP flow of the analyser's ports (or recognised by content with --detect)
 * to it: open, the bytes of each segment with its side and frame, TCP evidence, end, then the
 * report. The analysers stay pure (no I/O) and know nothing of one another or of the
 * pipeline. Types only: nothing here is compiled. */
#ifndef SMTPSCOPE_ANALYSER_H
#define SMTPSCOPE_ANALYSER_H

#include <stddef.h>
#include <stdint.h>

/* The analysers there are, in the order they are tried (pipeline/registry.c). */
typedef enum { PROTO_SMTP, PROTO_POP3, PROTO_COUNT } proto_id;

typedef enum { FLOW_CLIENT = 0, FLOW_SERVER = 1 } flow_side;

/* How a flow ended. */
typedef enum {
    FLOW_END_FIN,
    FLOW_END_RST,
    FLOW_END_TIMEOUT,
    FLOW_END_CAPTURE_END, /* still open when the packets ran out */
    FLOW_END_EVICTED      /* dropped from a full stream table: how it really ended is unknown */
} flow_end;

/* How every output names an end ("fin", "rst", "timeout", "capture_end", "evicted"); "?" past
 * them. SMTP's smtp_end_reason has the same values. */
static inline const char *flow_end_name(int why)
{
    static const char *const names[] = {"fin", "rst", "timeout", "capture_end", "evicted"};
    return why >= FLOW_END_FIN && why <= FLOW_END_EVICTED ? names[why] : "?";
}

/* The words every output gives a 0..1 confidence (an inspection's, a cause's score). */
static inline const char *confidence_level(double score)
{
    return score >= 0.9 ? "high" : score >= 0.75 ? "medium" : score > 0.0 ? "low" : "none";
}

/* One TCP segment's new in-order bytes. Times are microseconds since the epoch, frames the
 * capture's 1-based frame numbers. */
typedef struct flow_segment {
    flow_side from;
    const uint8_t *data;
    size_t len;
    int64_t ts;
    uint64_t frame;
} flow_segment;

/* TCP evidence seen before the bytes reach the analyser. FLOW_TCP_SNAPLEN_CUT: the capture's
 * snaplen cut this packet's payload; no more bytes of the session will come (once). */
typedef enum {
    FLOW_TCP_FIN,
    FLOW_TCP_RETRANSMISSION,
    FLOW_TCP_ZERO_WINDOW,
    FLOW_TCP_SNAPLEN_CUT
} flow_tcp_kind;

typedef struct flow_tcp {
    flow_tcp_kind kind;
    flow_side from;
    uint64_t offset, len; /* retransmission: the old bytes' stream offsets, from 0 */
    int64_t ts;
    uint64_t frame;
} flow_tcp;

/* A finished session as the report and the live screen see it: who, and what its analyser
 * made of it. */
typedef struct flow_report {
    uint64_t id; /* the report's session number */
    const char *client, *server;
    proto_id proto;
    const void *report; /* PROTO_SMTP: const smtp_report *, PROTO_POP3: const pop3_report * */
    /* An ended session's packets: every packet of its two endpoints from first_frame (its
     * first SYN) to last_frame; 0 while it is open. */
    uint64_t first_frame, last_frame;
} flow_report;

/* Events as they happen, for the live screen: event points at the analyser's own event type
 * (PROTO_SMTP: const smtp_event *). The observer outlives the session it watches. */
typedef struct analyser_observer {
    void (*fn)(void *ctx, proto_id proto, const void *event);
    void *ctx;
} analyser_observer;

/* One finding an analyser can raise, as the reports and the live screen show it; each
 * analyser declares its own in a table (smtp/flags.def). */
typedef struct flag_info {
    const char *name;   /* as reports and JSON name it */
    const char *badge;  /* the live screen's short label */
    const char *advice; /* one line: what it means */
    int serious;        /* mail lost (or may be), or a device in the way: the alarm colour */
} flag_info;

/* What every analyser's transcript shows in place of credentials (passwords, digests, SASL
 * responses): they never leave the analyser. */
#define ANALYSER_AUTH_PLACEHOLDER "[authentication data]"

/* --detect: is this flow the analyser's protocol, from the first bytes of each side? */
typedef enum { DETECT_NO, DETECT_YES, DETECT_UNDECIDED } detect_verdict;

typedef struct analyser {
    proto_id proto;
    const char *name;          /* "smtp" */
    const char *title;         /* "SMTP", as the help names it */
    const char *ports_option;  /* its long option for server ports: "ports" */
    const char *default_ports; /* "25,587,2525" */
    /* Its implicit-TLS ports (TLS from the first byte: SMTPS, POP3S), their long option and
     * default; a session on one is opened, then told at once with implicit_tls: it counts
     * the session as encrypted and parses nothing. NULL option: the analyser has none. */
    const char *tls_ports_option;  /* "smtps-ports" */
    const char *default_tls_ports; /* "465" */
    void (*implicit_tls)(void *session);

    /* Its findings: bit i of a report's flags is flag(i), i < nflags. */
    unsigned nflags;
    const flag_info *(*flag)(unsigned index);

    /* A session of the protocol began (the handshake's frame and time). config: the
     * analyser's options (pipeline_config.analyser_config); NULL when out of memory. */
    void *(*open)(const void *config, int64_t ts, uint64_t frame);
    void (*data)(void *session, const flow_segment *seg);
    void (*tcp)(void *session, const flow_tcp *ev);
    /* closed_by: -1 unknown, else a flow_side. Settles the session's findings. */
    void (*end)(void *session, flow_end why, int closed_by, int64_t ts, uint64_t frame);
    const void *(*report)(const void *session);
    void (*free)(void *session);
    void (*observe)(void *session, const analyser_observer *o);

    /* A finished session's report as flat bytes for another process (--workers), and back:
     * unpack rewrites buf in place and checks everything; -1 for bytes that are not one. */
    size_t (*pack)(const void *report, uint8_t *buf, size_t cap);
    int (*unpack)(uint8_t *buf, size_t len, const void **report);

    /* The first bytes of each side (server bytes, client bytes); final: no more will come.
     * DETECT_UNDECIDED only when !final. */
    detect_verdict (*detect)(const uint8_t *server, size_t server_len, const uint8_t *client,
                             size_t client_len, int final);
    /* A connection seen without its handshake: do these first bytes of one side look like
     * the protocol's server, or its client? */
    int (*looks_like_server)(const uint8_t *p, size_t n);
    int (*looks_like_client)(const uint8_t *p, size_t n);
} analyser;

#endif
