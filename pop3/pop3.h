/* pop3: an incremental POP3 session analyser (RFC 1939, 2449 CAPA and response codes, 5034
 * AUTH, 2595 STLS). Pure C, no I/O: it is fed the bytes of each TCP segment of one session in
 * capture order and keeps bounded state (no message bodies: each retrieved message is
 * scanned for its Message-ID and digested as it goes by). Credentials (PASS, the APOP
 * digest, SASL responses) never reach the report: the transcript shows a placeholder.
 *
 * Times are microseconds since the epoch; frames are the capture's 1-based frame numbers. */
#ifndef SMTPSCOPE_POP3_H
#define SMTPSCOPE_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "analyser/analyser.h"

/* The findings, declared once in pop3/flags.def. */
enum {
#define FLAG(id, name, badge, serious, advice) POP3_FLAG_BIT_##id,
#include "pop3/flags.def"
    POP3_FLAG_COUNT
};
enum {
#define FLAG(id, name, badge, serious, advice) POP3_FLAG_##id = 1u << POP3_FLAG_BIT_##id,
#include "pop3/flags.def"
};

/* The row of flag index (0 .. POP3_FLAG_COUNT-1); NULL past the end. */
const flag_info *pop3_flag(unsigned index);
/* Its name, "?" past the end. */
const char *pop3_flag_name(unsigned index);

/* Why a message was downloaded again (pop3/flags.def CAUSE rows; the report raises them). */
typedef enum {
#define CAUSE(id, name, fix) POP3_CAUSE_##id,
#include "pop3/flags.def"
    POP3_CAUSE_COUNT
} pop3_cause_id;

/* A cause's name and fix; "?" and "" past the end. */
const char *pop3_cause_name(unsigned id);
const char *pop3_cause_fix(unsigned id);

/* Bounds on what one session keeps. */
#define POP3_LINE_MAX 1024   /* longest command/response line kept (rest counted) */
#define POP3_TEXT_MAX 256    /* mailbox, Message-ID (as SMTP keeps it), response texts */
#define POP3_UIDL_MAX 72     /* a unique-id is 1 to 70 characters (RFC 1939) */
#define POP3_MAX_MSGS 64     /* messages kept per session (more are counted) */
#define POP3_MAX_LISTED 512  /* LIST/UIDL entries kept per session (more are counted) */
#define POP3_PIPELINE_MAX 64 /* commands awaiting a response (more are counted, not paired) */
#define POP3_TRANSCRIPT 40   /* transcript lines kept (first few + most recent) */
#define POP3_TRANSCRIPT_TEXT 96
#define POP3_HEAD_LINES 8

/* Credentials as the transcript shows them: the words SMTP's uses too. */
#define POP3_AUTH_PLACEHOLDER ANALYSER_AUTH_PLACEHOLDER

typedef struct pop3_ref {
    uint64_t frame;
    int64_t ts;
} pop3_ref;

/* One message the session touched (RETR, TOP or DELE), by its number in the mailbox. */
typedef struct pop3_msg {
    uint32_t number;
    uint8_t retrieved;   /* RETR answered +OK: its content followed */
    uint8_t top;         /* only TOP (headers and some lines): no digest */
    uint8_t complete;    /* a RETR (or TOP) response ended with its terminator */
    uint8_t deleted;     /* DELE answered +OK */
    uint8_t committed;   /* deleted, then QUIT answered +OK: the server removed it */
    uint8_t has_list;    /* list_size is known (LIST) */
    uint8_t has_digest;  /* a non-empty body was seen in full (RETR) */
    uint8_t uidl_known;  /* uidl is known (UIDL) */
    uint64_t octets;     /* the response's message octets as received (dot-stuffed,
                          * terminator excluded) */
    uint64_t list_size;  /* the size LIST gave */
    uint64_t body_bytes; /* octets after the header section: what the digest covers */
    uint8_t digest[16];  /* XXH3-128 of the body after the headers: SMTP's digest */
    pop3_ref retr_at;    /* the +OK that began the content */
    pop3_ref dele_at;    /* the +OK to DELE */
    char message_id[POP3_TEXT_MAX];
    char uidl[POP3_UIDL_MAX];
} pop3_msg;

typedef struct pop3_tline {
    int64_t ts;
    uint64_t frame;
    uint8_t dir; /* flow_side, or 2 for an event noted by the analyser */
    char text[POP3_TRANSCRIPT_TEXT];
} pop3_tline;

typedef struct pop3_counters {
    uint64_t client_bytes, server_bytes;
    uint64_t encrypted_bytes; /* after STLS or in a TLS session: counted, not parsed */
    unsigned commands, responses;
    unsigned unpaired_responses; /* responses with no command waiting */
    unsigned long_lines;         /* lines longer than POP3_LINE_MAX */
    unsigned bad_lines;          /* client lines that are no POP3 command */
    unsigned auth_lines;         /* SASL response lines (never kept) */
    unsigned pipeline_overflow;  /* commands past POP3_PIPELINE_MAX */
    unsigned msgs_not_kept;      /* messages past POP3_MAX_MSGS */
    unsigned deleted_not_kept;   /* of those, DELEted */
    unsigned listed_not_kept;    /* LIST/UIDL entries past POP3_MAX_LISTED */
    unsigned retrieved;          /* RETR responses begun */
    unsigned retrieved_complete; /* ... and ended by their terminator */
} pop3_counters;

typedef struct pop3_report {
    unsigned flags;
    flow_end end_reason;
    int closed_by; /* -1 unknown, else flow_side */
    int64_t start, end;
    uint64_t start_frame, end_frame;
    int greeting; /* +1 +OK, -1 -ERR, 0 none */
    int apop;     /* the greeting offered APOP (a <timestamp>) */
    char greeting_text[POP3_TRANSCRIPT_TEXT];
    char mailbox[POP3_TEXT_MAX]; /* USER or APOP name (or AUTH PLAIN's); "" when unknown */
    int login;                   /* +1 logged in, -1 refused, 0 not seen */
    int login_method;            /* 0 none, 'U' USER/PASS, 'A' APOP, 'S' AUTH */
    char login_error[POP3_TRANSCRIPT_TEXT]; /* the -ERR that refused it */
    pop3_ref login_error_at;
    int locked;       /* that -ERR said the mailbox was in use */
    int stls;         /* STLS answered +OK */
    int tls;          /* encrypted (after STLS, or TLS from the first byte: POP3S) */
    int non_pop3;     /* the stream is not POP3: parsing gave up */
    int implicit_tls; /* TLS from the first byte on a POP3S port (995) */
    int snaplen_cut;  /* the capture's snaplen cut its payload: the rest is not analysed */
    uint64_t snaplen_cut_frame; /* the first packet whose payload was cut */
    int quit;                   /* client sent QUIT */
    int quit_reply;             /* +1 +OK, -1 -ERR, 0 none */
    char quit_text[POP3_TRANSCRIPT_TEXT];
    pop3_ref quit_at; /* the response to QUIT */
    int cut_inside;   /* ended inside a RETR/TOP response: cut_number, cut_octets */
    uint32_t cut_number;
    uint64_t cut_octets;
    int cut_top;
    pop3_counters count;
    int64_t fin_ts[2];    /* first FIN of each side (flow_side index), 0 if none */
    const pop3_msg *msgs; /* in the order first touched */
    unsigned nmsgs;
    const pop3_tline *lines; /* nhead first lines, then the latest, oldest first */
    unsigned nhead, nlines;
    unsigned dropped_lines; /* transcript lines not kept between them */
} pop3_report;

/* What a live view is told as it happens (pop3_set_observer). */
typedef enum {
    POP3_EV_GREETING, /* ok */
    POP3_EV_COMMAND,  /* verb */
    POP3_EV_RESPONSE, /* ok, verb it answers */
    POP3_EV_MESSAGE,  /* a RETR/TOP response ended (ok: with its terminator) */
    POP3_EV_TLS
} pop3_event_kind;

typedef struct pop3_event {
    pop3_event_kind kind;
    int64_t ts;
    uint64_t frame;
    const char *verb; /* "RETR", or NULL */
    int ok;
    int login; /* RESPONSE: it settled a login (PASS, APOP, AUTH; not AUTH's mechanism list) */
} pop3_event;

typedef void (*pop3_event_fn)(void *ctx, const pop3_event *ev);

typedef struct pop3_session pop3_session;

/* The analyser's options (pipeline_config.analyser_config[PROTO_POP3]). */
typedef struct pop3_options {
    int no_transcript; /* keep no transcript lines (JSON output has none) */
} pop3_options;

pop3_session *pop3_session_new(int64_t ts, uint64_t frame);
/* Keep no transcript: nothing formatted or stored for lines no output will show. */
void pop3_keep_no_transcript(pop3_session *s);
void pop3_set_observer(pop3_session *s, pop3_event_fn fn, void *ctx);
/* Feed one TCP segment's new in-order bytes. */
void pop3_feed(pop3_session *s, flow_side from, const uint8_t *data, size_t len, int64_t ts,
               uint64_t frame);
void pop3_tcp_fin(pop3_session *s, flow_side from, int64_t ts, uint64_t frame);
/* The capture's snaplen cut a packet's payload: nothing more is parsed, and findings that
 * stand on something not seen (no QUIT, no end of a message) are not raised. */
void pop3_snaplen_cut(pop3_session *s, int64_t ts, uint64_t frame);
/* A session on an implicit-TLS port (POP3S): when its first bytes are a TLS record it is
 * encrypted (tls, implicit_tls) and only counted; plain POP3 there is parsed. */
void pop3_implicit_tls(pop3_session *s);
/* The connection ended: settle pending state and raise the flags. */
void pop3_end(pop3_session *s, flow_end why, int closed_by, int64_t ts, uint64_t frame);
const pop3_report *pop3_get_report(const pop3_session *s);
void pop3_session_free(pop3_session *s);

/* What POP3 looks like, for --detect and connections without a handshake. */
/* p starts with "+OK" or "-ERR" (what of it there is). */
int pop3_looks_like_response(const uint8_t *p, size_t n);
/* p starts with a POP3 command (four letters of the table, then ' ', CR or LF), any case. */
int pop3_looks_like_command(const uint8_t *p, size_t n);

/* A finished report as flat bytes for --workers, and back (in place, everything checked:
 * -1 for bytes that are not one). */
size_t pop3_report_pack(const pop3_report *r, uint8_t *buf, size_t cap);
int pop3_report_unpack(uint8_t *buf, size_t len, const pop3_report **out);

extern const analyser pop3_analyser;

#endif
