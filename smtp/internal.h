/* Internal to smtp/: the session's state, shared by the parser (smtp.c), the inspection
 * fingerprints (inspect.c) and the diagnostics (diagnose.c). */
#ifndef SMTPSCOPE_SMTP_INTERNAL_H
#define SMTPSCOPE_SMTP_INTERNAL_H

#include <xxhash.h>

#include "smtp/eod.h"
#include "smtp/smtp.h"

typedef struct pending {
    uint8_t verb;
    uint8_t last; /* BDAT ... LAST */
    int txn;      /* index, SPILL, or NO_TXN */
    unsigned rcpt;
} pending;

enum { NO_TXN = -1, SPILL = -2 };

typedef enum {
    CM_COMMAND,   /* command lines */
    CM_AUTH_LINE, /* the next line answers a 334 challenge */
    CM_HOLD,      /* DATA sent, reply not yet seen: bytes held until we know what they are */
    CM_BODY,      /* DATA accepted: message body until the terminator */
    CM_BDAT,      /* counted BDAT chunk */
    CM_TLS_PROBE, /* STARTTLS accepted: TLS record or (decrypted capture) plain commands */
    CM_STOP       /* encrypted or not SMTP: bytes are only counted */
} client_mode;

typedef enum { SM_REPLY, SM_TLS_PROBE, SM_STOP } server_mode;

typedef struct linebuf {
    char *buf; /* SMTP_LINE_MAX bytes once a line spans segments */
    size_t len;
    size_t full; /* the line's length so far, kept or not */
    int overflow;
    char last; /* last byte taken: tells a CR LF cut between segments */
} linebuf;

/* A complete line: what was kept, and its true length on the wire. */
typedef struct line_t {
    const char *text;
    size_t len;  /* kept (at most SMTP_LINE_MAX) */
    size_t full; /* as sent, line end excluded */
    int overflow;
    int crlf; /* ended by CR LF (not a bare LF) */
} line_t;

typedef struct held_seg {
    size_t len;
    uint64_t off; /* client stream offset of its first byte */
    eod_seg seg;
} held_seg;

enum { HOLD_SEGS = 32, HEAD_LINES = 8, TAIL_LINES = SMTP_TRANSCRIPT - HEAD_LINES };

typedef struct hold {
    uint8_t *buf;
    size_t len;
    held_seg segs[HOLD_SEGS];
    unsigned nsegs;
} hold;

struct smtp_session {
    smtp_report rep;
    smtp_txn *txns;
    smtp_txn spill; /* transactions past SMTP_MAX_TXNS: tracked, not kept */
    unsigned spill_split_unacked;
    int cur;
    pending *q; /* ring of qcap entries, grown up to SMTP_PIPELINE_MAX as pipelining needs */
    unsigned qhead, qlen, qcap;
    client_mode cm;
    server_mode sm;
    linebuf cl, sl; /* command and reply lines */
    linebuf hl;     /* header lines: they may span BDAT chunks, around command lines */
    uint64_t seg_ids;
    eod_seg now;               /* segment being parsed */
    uint64_t off[2];           /* stream offset of the next byte to parse, per direction */
    uint64_t line_end;         /* stream offset just past the line being handled */
    uint64_t reply_line_start; /* server stream offset of the reply line being handled */
    int64_t slow_reply;        /* microseconds */
    int no_transcript;
    int ehlo_sane; /* the last EHLO was an ordinary line: its refusal means something */
    /* message body */
    eod_scan eod;
    eod_seg data_line;
    int data_line_crlf;
    int in_headers;
    int msgid_folded; /* Message-ID: header with its value on the next line */
    uint64_t header_bytes;
    uint64_t body_start;  /* client stream offset of the first body byte */
    uint64_t digest_from; /* body offset where the digest starts (after the headers) */
    uint64_t digested;    /* body offset digested so far */
    int digest_ready;     /* digest_from is known */
    XXH3_state_t *digest;
    uint64_t bdat_left;
    int bdat_last;
    hold *hold; /* only while DATA awaits its reply */
    /* multi-line reply being read */
    int ml_active, ml_code;
    unsigned ml_lines;
    uint64_t ml_start; /* server stream offset where the reply began */
    smtp_seg_ref ml_at;
    char ml_first[SMTP_TRANSCRIPT_TEXT];
    smtp_tline *lines; /* HEAD_LINES first, then a ring of TAIL_LINES */
    smtp_event_fn observer;
    void *observer_ctx;
};

/* Shared helpers (smtp.c). */
smtp_txn *txn_at(smtp_session *s, int idx);
void copy_text(char *dst, size_t cap, const char *src, size_t len);
void note_event(smtp_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The verb table and the reply codes (classify.c). */
smtp_verb smtp_parse_verb(const char *line, size_t len);
int smtp_is_2xx(int code);

/* Fingerprints (inspect.c). */
void inspect_reply_line(smtp_session *s, smtp_verb v, const char *line, size_t len);
void inspect_reply(smtp_session *s, smtp_verb v, int code, const char *line, size_t len);
void inspect_record(smtp_session *s, unsigned print, const char *line, size_t len);
double inspect_confidence(const smtp_report *r);

/* Diagnostics at the end of a session (diagnose.c). */
unsigned diagnose(smtp_session *s);

/* Tells the observer, if any (ts and frame: the segment being parsed). */
void notify(smtp_session *s, smtp_event ev);

#endif
