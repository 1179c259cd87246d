/* smtp: an incremental SMTP session analyser. Pure C, no I/O: it is fed the bytes of each
 * TCP segment of one session, in capture order, and keeps bounded state per session (no
 * message bodies). When the session ends it raises the diagnostics.
 *
 * Times are microseconds since the epoch; frames are the capture's 1-based frame numbers. */
#ifndef SMTPSCOPE_SMTP_H
#define SMTPSCOPE_SMTP_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SMTP_CLIENT = 0, SMTP_SERVER = 1 } smtp_dir;

typedef enum { SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT, SMTP_END_CAPTURE_END } smtp_end_reason;

enum {
    SMTP_FLAG_SPLIT_EOD_UNACKED = 1u << 0,
    SMTP_FLAG_MISSING_QUIT = 1u << 1,
    SMTP_FLAG_MASKED_BANNER = 1u << 2,
};
#define SMTP_FLAG_COUNT 3
/* Flag name by bit index (0 .. SMTP_FLAG_COUNT-1), as used in reports. */
const char *smtp_flag_name(unsigned index);

/* Bounds on what one session keeps. */
#define SMTP_LINE_MAX 1024     /* longest command/reply/header line kept (rest counted) */
#define SMTP_TEXT_MAX 256      /* addresses, Message-ID, reply texts */
#define SMTP_MAX_TXNS 32       /* transactions kept per session (more are counted) */
#define SMTP_MAX_RCPTS 32      /* recipients kept per transaction (more are counted) */
#define SMTP_PIPELINE_MAX 128  /* commands awaiting a reply */
#define SMTP_HOLD_MAX 8192     /* client bytes held while DATA awaits its reply */
#define SMTP_HEADER_SCAN 65536 /* header bytes scanned for Message-ID */
#define SMTP_TRANSCRIPT 40     /* transcript lines kept (first few + most recent) */
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

typedef struct smtp_txn {
    char *mail_from; /* NULL: no MAIL command (envelope-less DATA) */
    int mail_reply;
    char *rcpt[SMTP_MAX_RCPTS];
    int rcpt_reply[SMTP_MAX_RCPTS];
    unsigned nrcpt;       /* kept */
    unsigned rcpt_total;  /* sent */
    int data_reply;       /* reply to DATA (354 expected), 0 if none */
    unsigned bdat_chunks; /* BDAT commands */
    char *message_id;     /* NULL: none seen in the headers */
    uint64_t bytes;       /* message octets as sent (dot-stuffed; terminator excluded) */
    smtp_seg_ref data_at;
    smtp_eod eod;
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
    uint64_t end_frame;
    char helo[SMTP_TEXT_MAX];
    int ehlo_reply;
    smtp_banner banner;
    int starttls;   /* STARTTLS accepted (220) */
    int tls;        /* the rest of the session is encrypted: commands no longer visible */
    int quit;       /* client sent QUIT */
    int quit_reply; /* server's reply to it */
    int non_smtp;   /* the stream is not SMTP: parsing gave up */
    smtp_counters count;
    const smtp_txn *txns;
    unsigned ntxn;
    const smtp_tline *head; /* first transcript lines */
    unsigned nhead;
    const smtp_tline *tail; /* ring of the latest lines; oldest first via smtp_tail_line */
    unsigned ntail, tail_start;
    unsigned dropped_lines; /* transcript lines overwritten between head and tail */
} smtp_report;

smtp_session *smtp_session_new(int64_t ts, uint64_t frame);
/* Feed one TCP segment's new in-order bytes. */
void smtp_feed(smtp_session *s, smtp_dir dir, const uint8_t *data, size_t len, int64_t ts,
               uint64_t frame);
/* The connection ended: settle pending state and raise the diagnostics. */
void smtp_end(smtp_session *s, smtp_end_reason why, int closed_by, int64_t ts, uint64_t frame);
const smtp_report *smtp_get_report(const smtp_session *s);
/* The terminator as text with '|' at each segment boundary, e.g. "CRLF|.CRLF". */
void smtp_format_cut(const smtp_eod *eod, char *out, size_t cap);
/* i-th most recent-window transcript line, oldest first (i < report->ntail). */
const smtp_tline *smtp_tail_line(const smtp_report *r, unsigned i);
void smtp_session_free(smtp_session *s);

#endif
