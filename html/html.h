/* html: the report as one self-contained HTML page (--html) to attach to a ticket: the
 * verdict, the capture's facts, a timeline per duplicate group and a ladder diagram per
 * flagged session, in inline SVG, with no script and no external resource. It keeps a
 * bounded copy of what it draws; no I/O beyond the FILE* it is given, and everything from
 * packets is HTML-escaped. */
#ifndef SMTPSCOPE_HTML_H
#define SMTPSCOPE_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "pop3/pop3.h"
#include "smtp/smtp.h"

/* Bounds: a capture of a million sessions still gives a page a browser opens. */
#define HTML_SESSIONS_DRAWN 200      /* flagged sessions drawn in full (--html-sessions) */
#define HTML_SESSIONS_DRAWN_MAX 2000 /* its most: 20 KB kept for each, up to 50 KB of page */
#define HTML_SESSIONS_LISTED 10000   /* flagged ones past those: a line each */
#define HTML_CLEAN_LISTED 1000       /* sessions without findings: a table row each */
#define HTML_GROUPS_DRAWN 100        /* duplicate groups drawn (the rest counted) */
#define HTML_ATTEMPTS_DRAWN 200      /* attempts marked on one group's timeline */

typedef struct html_doc html_doc;

/* drawn: flagged sessions drawn in full (0: none, only listed). NULL when out of memory. */
html_doc *html_new(unsigned drawn);
void html_free(html_doc *d);

/* How the page names a frame (several capture files read as one: NAME#N); without one, its
 * number. Set before the first session. */
typedef void (*html_frame_name_fn)(uint64_t frame, char *out, size_t cap);
void html_set_frame_namer(html_doc *d, html_frame_name_fn fn);

typedef struct html_cause {
    cause_id id;
    double score; /* 0..1 */
} html_cause;

/* A finished SMTP session; strings and the report are copied as far as the page needs. */
typedef struct html_session_in {
    uint64_t id;
    const char *client, *server; /* "addr:port" */
    const char *display_filter;  /* Wireshark's, or NULL */
    const smtp_report *s;        /* with its transcript, when one was kept */
    const html_cause *causes;    /* best first */
    unsigned ncauses;
} html_session_in;
void html_add_session(html_doc *d, const html_session_in *in);

/* A finished POP3 session: drawn, listed or counted as an SMTP one is, by its own findings. */
typedef struct html_pop3_in {
    uint64_t id;
    const char *client, *server; /* "addr:port" */
    const char *display_filter;  /* Wireshark's, or NULL */
    const pop3_report *s;
} html_pop3_in;
void html_add_pop3_session(html_doc *d, const html_pop3_in *in);
/* A session of another protocol: counted in the facts only. */
void html_count_other(html_doc *d);

/* The capture's facts and the counts the verdict stands on. */
typedef struct html_facts {
    const char *source, *compression; /* from the command line: escaped */
    uint64_t packets, matched, bytes;
    int64_t first, last; /* usec; valid when packets */
    int live;
    uint64_t drops, if_drops;
    const char *read_error;
    uint64_t sessions, flagged, messages, eod_split, eod_unacked;
    uint64_t not_analysed, connects_failed;
    const uint64_t *per_flag; /* SMTP_FLAG_COUNT sessions per flag */
    unsigned groups;          /* duplicate groups in all */
    uint64_t pop3_sessions, pop3_flagged;
    const uint64_t *pop3_per_flag; /* POP3_FLAG_COUNT sessions per flag */
    unsigned redownloads;          /* messages downloaded more than once by POP3 */
    /* the cause of the most downloaded message, when no SMTP cause leads (NULL: none) */
    const char *pop3_cause, *pop3_fix;
    double pop3_score;
    /* the triage's other lines ("- ...\n" each, plain text, escaped when written): loops,
     * relays, fan-out, clients that never QUIT, re-downloads, overloaded servers */
    const char *triage_more;
} html_facts;

typedef struct html_attempt {
    uint64_t session;
    int64_t time;      /* usec */
    int reply;         /* the code that answered its end of data, 0 none */
    int acked;         /* HTML_ACKED, HTML_NOT_ACKED, HTML_KEPT */
    const char *label; /* under the mark instead of the reply (POP3: what became of it) */
} html_attempt;
/* A mark: delivered (or a POP3 deletion committed), never answered (or a deletion rolled
 * back), or left on the server (POP3, no deletion asked). */
enum { HTML_NOT_ACKED = 0, HTML_ACKED = 1, HTML_KEPT = 2 };

/* A message sent more than once (SMTP), or downloaded more than once (POP3: pop3 set, the
 * cause in pop3_cause/pop3_fix, key its Message-ID, UIDL or digest, mail_from the mailbox). */
typedef struct html_group {
    uint64_t id;
    int pop3;
    const char *pop3_cause, *pop3_fix; /* NULL: none visible; its score in cause.score */
    int by_digest;
    const char *key; /* its Message-ID, or the body digest in hex */
    const char *mail_from, *rcpt;
    unsigned acknowledged;
    double interval_median;       /* seconds */
    const html_attempt *attempts; /* in time order */
    unsigned n;
    html_cause cause; /* id CAUSE_NONE: none visible */
    const char *const *evidence;
    unsigned nevidence;
} html_group;

/* The page: html_begin (head, verdict from top: the worst groups, facts), html_group for
 * each duplicate group worst first, html_redownloads then html_group for each re-downloaded
 * message, html_end (the sessions). Write errors show in ferror. A doc can be written any
 * number of times (live: each period), sessions added between. */
void html_begin(html_doc *d, FILE *out, const html_facts *f, const html_group *top, unsigned ntop);
void html_group_timeline(html_doc *d, FILE *out, const html_group *g);
void html_redownloads(html_doc *d, FILE *out, unsigned n);
void html_end(html_doc *d, FILE *out);

/* ---- geometry (ladder.c), for the tests ---- */

/* Ladder rows: at least HTML_ROW apart; a gap up to HTML_GAP_LINEAR seconds adds
 * HTML_PX_PER_S a second, a longer one a fixed HTML_BREAK_PX drawn as a break with its
 * length written. */
#define HTML_ROW 22.0
#define HTML_GAP_LINEAR 5.0
#define HTML_PX_PER_S 12.0
#define HTML_BREAK_PX 44.0
/* y of each of n ascending times (usec) starting at top; broken[i] set when the gap before
 * i was compressed. Returns the y below the last row. */
double html_ladder_rows(const int64_t *ts, unsigned n, double top, double *y,
                        unsigned char *broken);
/* x of t on a time axis from first to last drawn from left over width (the middle when
 * first == last). */
double html_axis_x(int64_t t, int64_t first, int64_t last, double left, double width);

#endif
