/* Internal to html/: the bounded copy of what the page draws, and the helpers its files
 * share (text.c). */
#ifndef SMTPSCOPE_HTML_INTERNAL_H
#define SMTPSCOPE_HTML_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "html/html.h"

/* What a ladder draws, in time order. */
typedef enum {
    HEV_OPEN,     /* the handshake completed */
    HEV_CMD,      /* a client line (transcript) */
    HEV_REPLY,    /* a server line (transcript) */
    HEV_NOTE,     /* the analyser's note (transcript only, not drawn) */
    HEV_LINES,    /* transcript lines not kept here (n) */
    HEV_EOD_PART, /* a segment holding bytes of the end-of-data terminator (part n of m) */
    HEV_NO_REPLY, /* the end of data was never answered: where the client stopped waiting */
    HEV_MARK,     /* what the analyser saw end there (text): a cut download, a rollback */
    HEV_FIN,
    HEV_RST
} html_ev_kind;

typedef struct html_event {
    int64_t ts;
    uint64_t frame;
    uint8_t kind, dir; /* dir: smtp_dir of the sender, 2 when neither */
    unsigned n, m;     /* HEV_LINES: lines; HEV_EOD_PART: part n of m, bytes in extra */
    unsigned extra;
    unsigned seq;                    /* the order it was added: ties at one time keep it */
    char text[SMTP_TRANSCRIPT_TEXT]; /* from packets: escaped when written */
} html_event;

enum {
    HTML_EVENTS_MAX = 120,
    HTML_MESSAGES_KEPT = 4,
    HTML_ADDR = 64,
    HTML_CAUSES = 3,
    HTML_NOTES = 8, /* a POP3 session's facts under its ladder */
    HTML_NOTE_LEN = 400
};

/* One message of a drawn session, for the findings under its ladder. */
typedef struct html_message {
    char id[SMTP_TEXT_MAX], from[SMTP_TEXT_MAX], to[SMTP_TEXT_MAX];
    uint64_t bytes;
    int eod_seen, bdat, nparts, replied, reply;
    char cut[32];
    int64_t waited; /* usec from the last terminator byte to the reply, or to the end */
} html_message;

/* A flagged session drawn in full. */
typedef struct html_sess {
    uint64_t id;
    int pop3;                 /* flags are POP3's; notes instead of messages, no causes */
    html_frame_name_fn namer; /* the doc's, or NULL */
    char client[HTML_ADDR], server[HTML_ADDR], filter[512];
    unsigned flags;
    int64_t start, end;
    int end_reason, closed_by;
    html_cause causes[HTML_CAUSES];
    unsigned ncauses;
    char banner[SMTP_TEXT_MAX];
    unsigned nmsg, msg_total;
    html_message msg[HTML_MESSAGES_KEPT];
    unsigned nnotes;
    char notes[HTML_NOTES][HTML_NOTE_LEN]; /* from packets in part: escaped when written */
    unsigned nev;
    html_event ev[HTML_EVENTS_MAX];
} html_sess;

/* A session in a line: flagged past the drawn ones, or without findings. */
typedef struct html_row {
    uint64_t id;
    int pop3;
    char client[HTML_ADDR], server[HTML_ADDR];
    unsigned flags;
    int64_t start, end;
    int end_reason;
    unsigned messages;
    cause_id cause;
} html_row;

struct html_doc {
    unsigned drawn_max;
    html_sess *drawn; /* drawn_max of them */
    unsigned ndrawn;
    html_row *listed; /* HTML_SESSIONS_LISTED */
    uint64_t nlisted; /* all flagged past the drawn ones; the first kept */
    html_row *clean;  /* HTML_CLEAN_LISTED */
    uint64_t nclean;
    uint64_t others;             /* sessions of other protocols */
    uint64_t pop3, pop3_flagged; /* POP3 sessions seen, with findings */
    /* per cause: flagged sessions it heads, and its best score (the verdict without groups) */
    uint64_t cause_sessions[CAUSE_COUNT];
    double cause_best[CAUSE_COUNT];
    unsigned groups_written[2]; /* duplicate groups, re-downloaded messages */
    html_frame_name_fn namer;
};

/* ---- doc.c ---- */

/* What a session's drawing and its row begin with, whatever its protocol. */
typedef struct html_basics {
    uint64_t id;
    int pop3;
    const char *client, *server, *filter;
    unsigned flags;
    int64_t start, end;
    int end_reason, closed_by;
} html_basics;
/* h cleared and its heading kept. */
void html_keep_basics(html_sess *h, const html_basics *b);
void html_keep_row(html_row *r, const html_basics *b, unsigned messages, cause_id cause);
/* A transcript line (dir: the sender, 2 the analyser's note), and the mark for n lines not
 * kept, where the kept ones resume. */
void html_add_line(html_sess *h, int dir, int64_t ts, uint64_t frame, const char *text);
void html_add_dropped(html_sess *h, unsigned n, int64_t ts, uint64_t frame);

/* Where a finished session goes: a drawn slot (flagged, while there is room), else *row (a
 * listed or clean line while there is room, else NULL); counted either way. */
html_sess *html_take(html_doc *d, int flagged, html_row **row);
/* An event of a drawn session (NULL past HTML_EVENTS_MAX); then html_sort_events. */
html_event *html_add_event(html_sess *h, html_ev_kind kind, int dir, int64_t ts, uint64_t frame);
void html_sort_events(html_sess *h);
/* s (NULL: "") into out, cut to cap. */
void html_copy(char *out, size_t cap, const char *s);

/* ---- text.c ---- */

/* The n bytes of s (a string: NULL is "") as HTML text. */
void html_text(FILE *out, const char *s);
void html_textn(FILE *out, const char *s, size_t n);
/* At most max bytes of s, "..." when cut: a label that fits its arrow. */
void html_text_cut(FILE *out, const char *s, size_t max);
/* "2026-03-02 09:00:00.123" (UTC). */
void html_format_time(char *out, size_t cap, int64_t usec);
/* The flags' names (POP3's when pop3), space separated. */
void html_flag_names(FILE *out, int pop3, unsigned flags);

/* ---- ladder.c ---- */

/* One drawn session: its heading, ladder, findings and transcript. */
void html_session_section(FILE *out, const html_sess *s);

#endif
