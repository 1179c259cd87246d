/* smtp: an incremental SMTP session analyser. Pure C, no I/O: it is fed the bytes of each
 * TCP segment of one session, in capture order, and keeps bounded state per session (no
 * message bodies). When the session ends it raises the diagnostics.
 *
 * Times are microseconds since the epoch; frames are the capture's 1-based frame numbers. */
#ifndef SMTPSCOPE_SMTP_H
#define SMTPSCOPE_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "analyser/analyser.h"

typedef enum { SMTP_CLIENT = 0, SMTP_SERVER = 1 } smtp_dir;

typedef enum {
    SMTP_END_FIN,
    SMTP_END_RST,
    SMTP_END_TIMEOUT,
    SMTP_END_CAPTURE_END,
    SMTP_END_EVICTED /* the reassembly table was full: how it really ended is unknown */
} smtp_end_reason;

/* The findings and the causes they point at, declared once in smtp/flags.def. */
enum {
#define FLAG(id, name, badge, serious, cause, weight, rule, advice) SMTP_FLAG_BIT_##id,
#include "smtp/flags.def"
    SMTP_FLAG_COUNT
};
enum {
#define FLAG(id, name, badge, serious, cause, weight, rule, advice)                                \
    SMTP_FLAG_##id = 1u << SMTP_FLAG_BIT_##id,
#include "smtp/flags.def"
};

typedef enum {
#define CAUSE(id, name, fix) CAUSE_##id,
#include "smtp/flags.def"
    CAUSE_COUNT,
    CAUSE_NONE = -1 /* a flag that points at no cause */
} cause_id;

/* When a flag counts as evidence for its cause (smtp/flags.def says more). */
typedef enum {
    CAUSE_RULE_ALWAYS,
    CAUSE_RULE_UNLESS_SPLIT,
    CAUSE_RULE_IF_ACCEPTED,
    CAUSE_RULE_CONFIDENCE
} cause_rule;

typedef struct smtp_flag_info {
    flag_info info; /* name, badge, advice, serious */
    cause_id cause;
    double weight;
    cause_rule rule;
} smtp_flag_info;

/* The row of flag index (0 .. SMTP_FLAG_COUNT-1); NULL past the end. */
const smtp_flag_info *smtp_flag(unsigned index);
/* Its name, "?" past the end. */
const char *smtp_flag_name(unsigned index);
/* A cause's name and fix; "?" and "" for anything else. */
const char *smtp_cause_name(cause_id id);
const char *smtp_cause_fix(cause_id id);

/* Bounds on what one session keeps. */
#define SMTP_LINE_MAX 1024    /* longest command/reply/header line kept (rest counted) */
#define SMTP_TEXT_MAX 256     /* addresses, Message-ID, reply texts */
#define SMTP_MAX_TXNS 32      /* transactions kept per session (more are counted) */
#define SMTP_MAX_RCPTS 32     /* recipients kept per transaction (more are counted) */
#define SMTP_PIPELINE_MAX 128 /* commands awaiting a reply */
#define SMTP_HOLD_MAX 8192    /* client bytes held while DATA awaits its reply */
#define SMTP_TRANSCRIPT 40    /* transcript lines kept (first few + most recent) */
#define SMTP_TRANSCRIPT_TEXT 96

typedef struct smtp_seg_ref {
    uint64_t frame;
    int64_t ts;
} smtp_seg_ref;

/* Where the end of a message was seen and what answered it. */
typedef struct smtp_eod {
    int seen;             /* terminator (or BDAT LAST chunk) seen */
    int bdat;             /* message ended by BDAT ... LAST, not by a terminator */
    int bare_lf;          /* terminator used bare LF line ends (LF . LF) */
    int nparts;           /* segments the terminator bytes lay in (1 = not split) */
    smtp_seg_ref part[5]; /* those segments, in order */
    uint8_t part_len[5];  /* terminator bytes in each */
    uint8_t cuts;         /* bit n set: cut after terminator byte n (1..4) */
    uint8_t term_len;     /* 5 for CR LF . CR LF; 3 or 4 with bare LF line ends */
    char term[5];         /* the terminator bytes */
    int replied;          /* a reply paired with end-of-data */
    int reply;            /* its code, 0 when the reply line had no valid code */
    smtp_seg_ref reply_at;
    char reply_text[SMTP_TRANSCRIPT_TEXT];
} smtp_eod;

/* What a kept reply answered: a command's smtp_verb (SMTP_VERB_EOD also for BDAT ... LAST),
 * or one of these. */
enum { SMTP_ANSWERED_GREETING = -1, SMTP_ANSWERED_NOTHING = -2 /* no command was waiting */ };

/* A reply kept as evidence: its code, its first line, where it came and what it answered. */
typedef struct smtp_reply_ref {
    int code; /* 0: none kept */
    int answered;
    smtp_seg_ref at;
    char text[SMTP_TRANSCRIPT_TEXT];
} smtp_reply_ref;

typedef struct smtp_txn {
    char *mail_from; /* NULL: no MAIL command (envelope-less DATA) */
    int mail_reply;
    int has_size;           /* MAIL FROM declared SIZE= with a number (RFC 1870) */
    uint64_t size_declared; /* that number */
    char *rcpt[SMTP_MAX_RCPTS];
    int rcpt_reply[SMTP_MAX_RCPTS];
    unsigned nrcpt;                /* kept */
    unsigned rcpt_total;           /* sent */
    int data_reply;                /* reply to DATA (354 expected), 0 if none */
    unsigned bdat_chunks;          /* BDAT commands */
    char *message_id;              /* NULL: none seen in the headers */
    uint64_t bytes;                /* message octets as sent (dot-stuffed; terminator excluded) */
    uint64_t body_bytes;           /* octets after the header section: what the digest covers */
    int has_digest;                /* a non-empty body was seen in full */
    uint8_t digest[16];            /* XXH3-128 of the body after the headers */
    unsigned header_line_max;      /* longest header line, octets without line end */
    uint64_t header_line_frame;    /* where it was */
    unsigned mail_from_len;        /* sender address length as sent (before truncation) */
    unsigned received;             /* Received: header lines in the header section scanned */
    uint64_t term_off;             /* client stream offset of the terminator's first byte */
    uint64_t reply_off, reply_end; /* server stream offsets of the reply to end of data */
    smtp_seg_ref data_at;
    smtp_eod eod;
    smtp_reply_ref too_big; /* the first reply that refused the message as too big */
} smtp_txn;

typedef struct smtp_banner {
    int seen;         /* at least one greeting line */
    int done;         /* a final greeting line ("NNN text") ended it */
    int code;         /* its code */
    int masked;       /* some greeting line is masked with '*' */
    int masked_lines; /* how many */
    int unterminated; /* masked and never ended by a valid final line */
    unsigned lines;
    smtp_seg_ref at;
    char text[SMTP_TEXT_MAX]; /* first greeting line as received */
} smtp_banner;

/* One SMTP-inspection fingerprint: the line that shows it. */
typedef struct smtp_print {
    int seen;
    uint64_t frame;
    char line[SMTP_TRANSCRIPT_TEXT];
} smtp_print;

enum {
    SMTP_PRINT_MASKED_BANNER,
    SMTP_PRINT_EHLO_REFUSED, /* the 5xx to EHLO */
    SMTP_PRINT_HELO_ACCEPTED,
    SMTP_PRINT_ESMTP_MASKED, /* first X-masked EHLO keyword */
    SMTP_PRINT_COMMAND_MASKED,
    SMTP_PRINT_STARTTLS_REFUSED,
    SMTP_PRINT_SPLIT_EOD_UNACKED,
    SMTP_PRINT_COUNT
};
const char *smtp_print_name(unsigned index);

/* What TCP showed around the messages (fed by smtp_tcp_* from the reassembly layer). */
typedef struct smtp_tcp {
    int64_t fin_ts[2]; /* first FIN of each side (smtp_dir index), 0 if none */
    uint64_t fin_frame[2];
    unsigned eod_retrans, reply_retrans, zero_windows;
    uint64_t eod_retrans_frame, reply_retrans_frame, zero_window_frame;
    unsigned retrans[2]; /* retransmitted segments per sender */
} smtp_tcp;

/* What an ASA 'inspect esmtp' default policy would drop. */
typedef struct smtp_asa {
    unsigned command_line_max; /* octets; policy limit 512 */
    uint64_t command_line_frame;
    unsigned rcpt_max;        /* recipients in one transaction; limit 100 */
    unsigned header_line_max; /* limit 998 */
    uint64_t header_line_frame;
    unsigned sender_max; /* limit 320 */
} smtp_asa;

#define SMTP_ASA_COMMAND_LINE 512
#define SMTP_ASA_RCPT 100
#define SMTP_ASA_HEADER_LINE 998
#define SMTP_ASA_SENDER 320

typedef struct smtp_tline {
    int64_t ts;
    uint64_t frame;
    uint8_t dir; /* smtp_dir, or 2 for an event noted by the analyser */
    char text[SMTP_TRANSCRIPT_TEXT];
} smtp_tline;

typedef struct smtp_counters {
    uint64_t client_bytes, server_bytes;
    unsigned commands, replies;
    unsigned unpaired_replies; /* replies with no command waiting */
    unsigned long_lines;       /* lines longer than SMTP_LINE_MAX */
    unsigned bad_lines;        /* lines that are not SMTP (binary, no verb, no code) */
    unsigned pipeline_overflow;
    unsigned txn_overflow;
} smtp_counters;

typedef struct smtp_session smtp_session;

typedef struct smtp_report {
    unsigned flags;
    smtp_end_reason end_reason;
    int closed_by; /* -1 unknown, else smtp_dir */
    int64_t start, end;
    uint64_t start_frame; /* the packet that completed the handshake */
    uint64_t end_frame;
    char helo[SMTP_TEXT_MAX];
    int ehlo_reply;
    smtp_banner banner;
    smtp_reply_ref busy;   /* the first 421 (service not available), greeting or reply */
    unsigned busy_replies; /* 421s in all */
    int starttls;          /* STARTTLS accepted (220) */
    int tls;               /* the rest of the session is encrypted: commands no longer visible */
    int implicit_tls;      /* ... from the first byte, on an SMTPS port (465) */
    int snaplen_cut;       /* the capture's snaplen cut its payload: the rest is not analysed */
    uint64_t snaplen_cut_frame; /* the first packet whose payload was cut */
    int quit;                   /* client sent QUIT */
    int quit_reply;             /* server's reply to it */
    int non_smtp;               /* the stream is not SMTP: parsing gave up */
    smtp_counters count;
    smtp_print prints[SMTP_PRINT_COUNT];
    double inspection_confidence; /* 0..1, from the fingerprints seen */
    smtp_tcp tcp;
    smtp_asa asa;
    const smtp_txn *txns;
    unsigned ntxn;
    const smtp_tline *head; /* first transcript lines */
    unsigned nhead;
    const smtp_tline *tail; /* ring of the latest lines; oldest first via smtp_tail_line */
    unsigned ntail, tail_start;
    unsigned dropped_lines; /* transcript lines overwritten between head and tail */
} smtp_report;

typedef struct smtp_options {
    double slow_reply;  /* seconds: a slower reply to end of data is flagged (default 60) */
    double slow_banner; /* seconds: a later greeting is flagged (default 30) */
    int no_transcript;  /* keep no transcript lines (JSON output has none): 4 KB less a session */
} smtp_options;
#define SMTP_DEFAULT_SLOW_REPLY 60.0
#define SMTP_DEFAULT_SLOW_BANNER 30.0

/* Commands as the analyser tells them apart, declared in smtp/verbs.def (SMTP_VERB_EOD: the
 * end of a message, which the server answers like a command). */
typedef enum {
    SMTP_VERB_OTHER,
#define VERB(id, name, opens) SMTP_VERB_##id,
#define NOT_COMMAND(id) SMTP_VERB_##id,
#include "smtp/verbs.def"
    SMTP_VERB_COUNT
} smtp_verb;

/* What a kept reply answered as reports name it: the command ("MAIL"), "end of data" for
 * SMTP_VERB_EOD, "other command" for SMTP_VERB_OTHER, "greeting"; NULL for
 * SMTP_ANSWERED_NOTHING and anything else. */
const char *smtp_answered_name(int answered);

/* What SMTP looks like, for telling a connection's protocol from its first bytes. */

/* p starts with the first four letters of a verb of smtp/verbs.def, in any case. */
int smtp_looks_like_command(const uint8_t *p, size_t n);
/* line (the client's first line, with its line end if any) is EHLO, HELO or QUIT: its first
 * four bytes, in any case, then nothing or ' ', CR or LF. */
int smtp_opens_session(const uint8_t *line, size_t n);
/* The reply code of a line without its line end: three digits, then the end or ' ' (last line
 * of the reply) or '-' (*more set: more lines follow). -1 when there is none. */
int smtp_reply_code(const char *line, size_t len, int *more);
/* The first line of p (up to LF or the end, a trailing CR removed) has a reply code of RFC
 * 5321's range: first digit 2 to 5, second 0 to 5. */
int smtp_looks_like_reply(const uint8_t *p, size_t n);
/* p could begin a 220 greeting: its first bytes (up to 3) match "220" and, if there is a
 * fourth, it is ' ', '-', CR or LF. */
int smtp_greeting_prefix(const uint8_t *p, size_t n);

/* What a live view is told as it happens (smtp_set_observer). */
typedef enum {
    SMTP_EV_GREETING, /* the greeting ended: code, masked */
    SMTP_EV_COMMAND,  /* a command line: verb */
    SMTP_EV_REPLY,    /* a complete reply: code (0: no valid code), verb it answers
                       * (SMTP_VERB_EOD for the end of data and for BDAT ... LAST) */
    SMTP_EV_EOD,      /* a message ended: part[0 .. nparts-1] are its terminator's segments
                       * (one part, eod->bdat set, for BDAT ... LAST) */
    SMTP_EV_TLS       /* the rest of the session is encrypted */
} smtp_event_kind;

typedef struct smtp_event {
    smtp_event_kind kind;
    int64_t ts;
    uint64_t frame;
    smtp_verb verb;
    int code;
    int masked;
    const smtp_eod *eod; /* SMTP_EV_EOD only */
} smtp_event;

typedef void (*smtp_event_fn)(void *ctx, const smtp_event *ev);

smtp_session *smtp_session_new(int64_t ts, uint64_t frame);
/* Tells fn about each event from now on (NULL: stop). */
void smtp_set_observer(smtp_session *s, smtp_event_fn fn, void *ctx);
void smtp_session_configure(smtp_session *s, const smtp_options *o);
/* Feed one TCP segment's new in-order bytes. */
void smtp_feed(smtp_session *s, smtp_dir dir, const uint8_t *data, size_t len, int64_t ts,
               uint64_t frame);
/* TCP-level events from the reassembly layer. Offsets count the direction's stream bytes
 * from 0 (the first byte after the handshake). */
void smtp_tcp_fin(smtp_session *s, smtp_dir from, int64_t ts, uint64_t frame);
void smtp_tcp_retransmission(smtp_session *s, smtp_dir from, uint64_t offset, uint64_t len,
                             int64_t ts, uint64_t frame);
void smtp_tcp_zero_window(smtp_session *s, smtp_dir advertiser, int64_t ts, uint64_t frame);
/* The capture's snaplen cut a packet's payload: nothing more of the session is parsed, and
 * findings that stand on something not seen (no QUIT, no reply) are not raised. */
void smtp_snaplen_cut(smtp_session *s, int64_t ts, uint64_t frame);
/* A session on an implicit-TLS port (SMTPS). When its first bytes are a TLS record it is
 * encrypted (tls, implicit_tls) and only counted; when they are plain SMTP (a server without
 * TLS on the port) it is parsed as any session. */
void smtp_implicit_tls(smtp_session *s);

/* The connection ended: settle pending state and raise the diagnostics. */
void smtp_end(smtp_session *s, smtp_end_reason why, int closed_by, int64_t ts, uint64_t frame);
const smtp_report *smtp_get_report(const smtp_session *s);
/* The rule of message_too_big: a 5xx reply (code, first line) that refuses a message as too
 * big: 552 without an enhanced status or with X.3.4 / X.2.3 (RFC 3463: too big for the
 * system, over the administrative limit), or any 5xx with 5.3.4 or 5.2.3. */
int smtp_reply_too_big(int code, const char *line, size_t len);
/* The rule of split_eod_unacked: a terminator cut across segments (not BDAT) that got no 2xx. */
int smtp_eod_split_unacked(const smtp_eod *e);
/* The terminator as text with '|' at each segment boundary, e.g. "CRLF|.CRLF". */
void smtp_format_cut(const smtp_eod *eod, char *out, size_t cap);
/* i-th most recent-window transcript line, oldest first (i < report->ntail). */
const smtp_tline *smtp_tail_line(const smtp_report *r, unsigned i);
void smtp_session_free(smtp_session *s);

/* A finished session's report as flat bytes, to hand it to another process of the same
 * program (--workers). Returns the size needed; writes buf only when that is <= cap. */
size_t smtp_report_pack(const smtp_report *r, uint8_t *buf, size_t cap);
/* Turns packed bytes back into a report in place: buf (8-byte aligned, len bytes) is
 * rewritten so that *out and everything it points to lie inside buf. Every length, count
 * and offset is checked: returns -1 (and leaves *out unset) for bytes that are not a
 * packed report, whatever they are. */
int smtp_report_unpack(uint8_t *buf, size_t len, const smtp_report **out);

/* The analyser the pipeline hands SMTP flows to (analyser/analyser.h; smtp/analyser.c). */
extern const analyser smtp_analyser;

#endif
