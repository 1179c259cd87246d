/* Internal to smtp/: the session's state and the functions the analyser's files share.
 *
 * The files, each using only those listed after it:
 *   session.c     the public session API: new, configure, feed, end, free
 *   server.c      the server's bytes: greeting and replies, paired with their commands
 *   client.c      the client's bytes by mode: lines, hold while DATA waits, body, BDAT, TLS
 *   commands.c    what each command line records and queues
 *   body.c        the message body: its end, its headers, its digest
 *   headers.c     the header section: Message-ID, header line lengths
 *   digest.c      XXH3-128 of the body after the headers
 *   lines.c       line assembly across segments
 *   diagnose.c    the diagnostics when a session ends
 *   inspect.c     fingerprints of an SMTP-inspecting firewall
 *   tcp.c         TCP-level evidence from the reassembly layer
 *   txn.c         transactions and the queue of commands awaiting a reply
 *   transcript.c  the transcript and the live observer
 *   eod.c         the end-of-data scanner and the rules on what it found
 *   classify.c    the verb table, command and reply classifiers
 *   text.c        bounded copies and text checks
 * Beside them: banner.c (the greeting classifier), flags.c (the flag table), pack.c (reports
 * as bytes). */
#ifndef SMTPSCOPE_SMTP_INTERNAL_H
#define SMTPSCOPE_SMTP_INTERNAL_H

#include <xxhash.h>

#include "message/message.h"
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

/* What the transcript shows for credentials: an AUTH initial response, the lines answering a
 * 334 challenge. */
#define SMTP_AUTH_PLACEHOLDER ANALYSER_AUTH_PLACEHOLDER

typedef struct hold {
    uint8_t *buf;
    size_t len;
    held_seg segs[HOLD_SEGS];
    unsigned nsegs;
} hold;

struct smtp_session {
    /* What every segment reads and writes, first and together: with thousands of sessions
     * open each segment finds its session cold, and every cache line it touches is a miss. */
    uint64_t seg_ids;
    eod_seg now;               /* segment being parsed */
    uint64_t off[2];           /* stream offset of the next byte to parse, per direction */
    uint64_t line_end;         /* stream offset just past the line being handled */
    uint64_t reply_line_start; /* server stream offset of the reply line being handled */
    client_mode cm;
    server_mode sm;
    int tls_port; /* on an implicit-TLS port, its first bytes not seen yet (smtp_implicit_tls) */
    int no_transcript;
    int cur;
    unsigned qhead, qlen, qcap;
    pending *q; /* ring of qcap entries, grown up to SMTP_PIPELINE_MAX as pipelining needs */
    smtp_txn *txns;
    smtp_event_fn observer;
    void *observer_ctx;
    linebuf cl, sl; /* command and reply lines */
    /* multi-line reply being read */
    int ml_active, ml_code;
    unsigned ml_lines;
    uint64_t ml_start; /* server stream offset where the reply began */
    smtp_seg_ref ml_at;
    /* message body */
    eod_scan eod;
    eod_seg data_line;
    int data_line_crlf;
    int in_headers;
    message_header mh; /* the header line being read: a folded Message-ID */
    uint64_t header_bytes;
    uint64_t body_start;  /* client stream offset of the first body byte */
    uint64_t digest_from; /* body offset where the digest starts (after the headers) */
    uint64_t digested;    /* body offset digested so far */
    int digest_ready;     /* digest_from is known */
    XXH3_state_t *digest;
    uint64_t bdat_left;
    int bdat_last;
    hold *hold; /* only while DATA awaits its reply */
    linebuf hl; /* header lines: they may span BDAT chunks, around command lines */
    /* the rest: read at a few points of the session, or rarely */
    int64_t slow_reply;  /* microseconds */
    int64_t slow_banner; /* microseconds */
    int ehlo_sane;       /* the last EHLO was an ordinary line: its refusal means something */
    /* transactions past SMTP_MAX_TXNS: tracked, not kept; allocated at the first (880 bytes
     * that every session zeroed at its start, 14 cache misses, for the rare one that has
     * more than SMTP_MAX_TXNS) */
    smtp_txn *spill;
    unsigned spill_split_unacked;
    unsigned spill_too_big; /* spilled transactions refused as too big, before the last */
    char ml_first[SMTP_TRANSCRIPT_TEXT];
    smtp_tline *lines; /* HEAD_LINES first, then a ring of TAIL_LINES */
    smtp_report rep;
};

/* Text (text.c). */
void smtp_copy_text(char *dst, size_t cap, const char *src, size_t len);
/* A malloc'ed copy, cut to SMTP_TEXT_MAX - 1 bytes; NULL when out of memory. */
char *smtp_dup_text(const char *src, size_t len);
int smtp_prefix_nocase(const char *s, size_t len, const char *prefix);
/* Control bytes other than tab and CR, or DEL. */
int smtp_has_binary(const char *s, size_t len);

/* The verb table and the reply codes (classify.c). */
smtp_verb smtp_parse_verb(const char *line, size_t len);
int smtp_is_2xx(int code);

/* Transcript and observer (transcript.c); at: where the line was seen, dir: smtp_dir or 2 for
 * an event noted by the analyser. smtp_note_event and smtp_notify stamp the segment being
 * parsed (s->now). */
void smtp_note_line(smtp_session *s, int dir, smtp_seg_ref at, const char *text, size_t len);
void smtp_note_event(smtp_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void smtp_notify(smtp_session *s, smtp_event ev);

/* Transactions and pending commands (txn.c). */
/* Transaction idx (SPILL: the spill slot), NULL for NO_TXN or out of range. */
smtp_txn *smtp_txn_at(smtp_session *s, int idx);
/* A new transaction: its index, SPILL past SMTP_MAX_TXNS, NO_TXN when out of memory. */
int smtp_txn_new(smtp_session *s);
void smtp_txn_clear(smtp_txn *t);
/* Frees what a transaction points to, and nothing else: for a transaction about to be freed
 * (clearing its kilobyte too wrote cache lines nothing would read: 15 misses a session). */
void smtp_txn_free_text(smtp_txn *t);
/* The current transaction, started first if there is none and create is set. */
smtp_txn *smtp_current_txn(smtp_session *s, int create);
void smtp_enqueue(smtp_session *s, smtp_verb v, int txn, unsigned rcpt, int last);
/* The oldest command awaiting a reply, NULL if none. */
pending *smtp_queue_head(smtp_session *s);
void smtp_dequeue(smtp_session *s);

/* Line assembly (lines.c). Takes the next line from *p. Returns 1 with the line (without its
 * line end) when one is complete, 0 when the bytes ran out (kept in lb for the next segment). */
int smtp_take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out);
void smtp_linebuf_reset(linebuf *lb);

/* The message body (digest.c, headers.c, body.c). */
void smtp_digest_start(smtp_session *s);
/* The header section ended at body offset from: the digest covers what follows. */
void smtp_digest_from(smtp_session *s, uint64_t from);
/* Digests body offsets up to hi. They lie in the scanner's old tail (the tn bytes just before
 * data_off) or in d (from data_off on). Bytes before the end of the headers are skipped. */
void smtp_digest_upto(smtp_session *s, uint64_t hi, const uint8_t *tail, unsigned tn,
                      uint64_t data_off, const uint8_t *d);
/* The body ended at body offset end: the digest goes into t. */
void smtp_digest_finish(smtp_session *s, smtp_txn *t, uint64_t end);
/* A message begins: headers first, then the digested body. */
void smtp_start_headers(smtp_session *s);
/* d holds len body octets from body offset data_off on. */
void smtp_scan_headers(smtp_session *s, const uint8_t *d, size_t len, uint64_t data_off);
/* DATA was accepted: the body follows, up to its terminator. */
void smtp_start_body(smtp_session *s);
size_t smtp_feed_body(smtp_session *s, const uint8_t *d, size_t len);
size_t smtp_feed_bdat(smtp_session *s, const uint8_t *d, size_t len);

/* One complete command line (commands.c). */
void smtp_on_command(smtp_session *s, const line_t *l);

/* The client's bytes (client.c). */
void smtp_feed_client(smtp_session *s, const uint8_t *d, size_t len);
/* DATA was answered: the bytes held meanwhile are parsed in the mode that follows. */
void smtp_hold_replay(smtp_session *s);
/* tcp.c: on an implicit-TLS port, the session's first bytes (d, at least one) decide whether
 * it is encrypted; a session that ends without any is counted as encrypted. */
void smtp_first_bytes_on_tls_port(smtp_session *s, const uint8_t *d);
void smtp_settle_tls_port(smtp_session *s);
/* After an accepted STARTTLS, d (at least one byte) is a TLS record or plain SMTP. */
size_t smtp_tls_probe(smtp_session *s, const uint8_t *d);

/* The server's bytes (server.c). */
void smtp_feed_server(smtp_session *s, const uint8_t *d, size_t len);

/* Fingerprints (inspect.c). */
void smtp_inspect_reply_line(smtp_session *s, smtp_verb v, const char *line, size_t len);
void smtp_inspect_reply(smtp_session *s, smtp_verb v, int code, const char *line, size_t len);
/* Keeps the first sighting of fingerprint print: the frame and the line that shows it. */
void smtp_inspect_record(smtp_report *r, unsigned print, uint64_t frame, const char *line,
                         size_t len);
double smtp_inspect_confidence(const smtp_report *r);

/* Diagnostics at the end of a session (diagnose.c): the flags. */
unsigned smtp_diagnose(smtp_session *s);

#endif
