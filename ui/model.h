/* ui model: what the live screen shows, kept without a terminal so that it can be tested.
 *
 * The capture loop updates it (sessions opened, SMTP events, TCP ends, counters); the view
 * (view.h) reads it at a bounded rate. It holds a bounded number of sessions: when full, the
 * oldest ended session without flags makes room, then the oldest ended flagged one; open
 * sessions are never dropped, a new one that does not fit is counted in `untracked`.
 * Memory per session is fixed (UI_MAX_EVENTS events) plus its detail text once it ended
 * (at most UI_DETAIL_MAX bytes). */
#ifndef SMTPSCOPE_UI_MODEL_H
#define SMTPSCOPE_UI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "analyser/analyser.h"
#include "pop3/pop3.h"
#include "report/report.h"
#include "smtp/smtp.h"

/* What the timeline strip shows; the glyph of each is in ui_event_glyph. A POP3 session uses
 * the kinds that mean the same in both (connect, banner, STARTTLS for STLS, QUIT, its reply,
 * FIN, RST) and its own after UI_EV_POP3_FIRST (ui/timeline.c has a table per protocol). */
typedef enum {
    UI_EV_CONNECT,       /* three-way handshake seen */
    UI_EV_BANNER,        /* 220 greeting */
    UI_EV_BANNER_MASKED, /* greeting masked with '*' (SMTP inspection) */
    UI_EV_HELO,          /* HELO or EHLO */
    UI_EV_HELO_REFUSED,  /* EHLO answered 5xx */
    UI_EV_MAIL,
    UI_EV_RCPT,
    UI_EV_DATA,
    UI_EV_EOD_PART,       /* a segment holding terminator bytes (one per segment) */
    UI_EV_EOD_REPLY_OK,   /* 2xx to end of data */
    UI_EV_EOD_REPLY_FAIL, /* 4xx/5xx (or no valid code) to end of data */
    UI_EV_STARTTLS,
    UI_EV_QUIT,
    UI_EV_QUIT_REPLY, /* 221 */
    UI_EV_FIN,
    UI_EV_RST,
    UI_EV_POP3_FIRST,
    UI_EV_POP3_LOGIN = UI_EV_POP3_FIRST, /* PASS, APOP or AUTH answered +OK */
    UI_EV_POP3_LOGIN_REFUSED,            /* ... answered -ERR */
    UI_EV_POP3_LIST,                     /* LIST or UIDL (a run of them is one event) */
    UI_EV_POP3_RETR,                     /* RETR or TOP answered +OK: the message follows */
    UI_EV_POP3_RETR_DONE,                /* ... and ended with its terminator */
    UI_EV_POP3_RETR_CUT,                 /* ... and the connection ended inside it */
    UI_EV_POP3_DELE,                     /* DELE answered +OK (marked, not yet deleted) */
    UI_EV_COUNT
} ui_event_kind;

/* One glyph per kind, and its name for the legend. */
char ui_event_glyph(ui_event_kind k);
const char *ui_event_name(ui_event_kind k);

typedef struct ui_event {
    int64_t ts; /* microseconds since the epoch */
    uint64_t frame;
    uint8_t kind;   /* ui_event_kind */
    uint8_t from;   /* smtp_dir of the side that caused it (FIN, RST) */
    uint8_t nparts; /* EOD_PART: segments of its terminator (> 1: split, drawn as a symptom) */
} ui_event;

/* Glyph of an EOD_PART whose terminator was split over several segments. */
#define UI_GLYPH_SPLIT '/'

/* Events kept per session: the first UI_MAX_EVENTS/2 and the most recent others (a ring),
 * so both the start and the end of a long session stay visible. */
#define UI_MAX_EVENTS 48
#define UI_DETAIL_MAX 16384

typedef enum {
    UI_ST_GREETING, /* connected, waiting for the 220 */
    UI_ST_HELO,     /* greeted, before HELO/EHLO is answered */
    UI_ST_READY,    /* between transactions */
    UI_ST_MAIL,     /* MAIL/RCPT sent */
    UI_ST_DATA,     /* DATA sent, body being sent */
    UI_ST_WAIT_EOD, /* terminator sent, no reply yet: the client is waiting */
    UI_ST_TLS,      /* encrypted after STARTTLS */
    UI_ST_QUIT,     /* QUIT sent */
    UI_ST_CLOSED,   /* ended (end_reason says how) */
    UI_ST_LOGIN,    /* POP3: greeted, not logged in (RFC 1939's AUTHORIZATION state) */
    UI_ST_RETR,     /* POP3: a message is being downloaded */
    UI_ST_COUNT
} ui_state;
const char *ui_state_name(ui_state st);

typedef struct ui_session {
    uint64_t id; /* the report's session number */
    char client[64], server[64];
    int64_t start, last; /* first and latest event times */
    int64_t eod_wait;    /* time the latest terminator was complete while no reply came, or 0 */
    ui_state state;
    int ended;
    smtp_end_reason end_reason;
    proto_id proto; /* whose events and flags (ui_model_set_proto), PROTO_SMTP by default */
    unsigned flags; /* its analyser's flag bits (SMTP_FLAG_*, POP3_FLAG_*), known once ended */
    unsigned messages;
    char mail_from[64]; /* first sender (POP3: the mailbox) seen, sanitised (for / filter) */
    ui_event ev[UI_MAX_EVENTS];
    unsigned nev;        /* kept */
    unsigned ev_dropped; /* overwritten in the ring between the kept halves */
    unsigned ring_start; /* oldest entry of the ring part */
    char *detail;        /* report text once ended (sanitised), NULL before */
    size_t detail_len;
    void *owner;    /* the capture side's handle while open (for a live detail), else NULL */
    uint64_t order; /* insertion order: the newest has the highest */
    int dup;        /* an attempt of duplicate group dup_group (the list marks it) */
    uint64_t dup_group;
} ui_session;

typedef struct ui_capture {
    char source[128]; /* "interface eth0" or "file x.pcap", sanitised */
    int live;
    uint64_t packets, bytes;
    uint64_t drops, if_drops; /* pcap_stats: kernel buffer and interface drops */
    int64_t first, now;       /* capture time of the first packet and of the latest */
    int finished;             /* end of file reached, or capture stopped */
} ui_capture;

typedef struct ui_model ui_model;

#define UI_DEFAULT_CAPACITY 20000 /* sessions kept on screen (about 25 MB at most) */

ui_model *ui_model_new(size_t capacity);
void ui_model_free(ui_model *m);

/* A session began; returns its entry, or NULL when it could not be kept (counted). */
ui_session *ui_model_open(ui_model *m, uint64_t id, const char *client, const char *server,
                          int64_t ts, uint64_t frame, void *owner);
/* The session is of protocol p (the pipeline knows it when the session opens). */
void ui_model_set_proto(ui_model *m, ui_session *s, proto_id p);
/* An SMTP event of an open session (smtp_set_observer). */
void ui_model_smtp_event(ui_model *m, ui_session *s, const smtp_event *ev);
/* A POP3 event of an open session (pop3_set_observer). */
void ui_model_pop3_event(ui_model *m, ui_session *s, const pop3_event *ev);
/* An analyser's event of an open session (analyser_observer): to the protocol's own above. */
void ui_model_event(ui_model *m, ui_session *s, proto_id proto, const void *event);
/* TCP FIN or RST seen from a side. */
void ui_model_tcp_end(ui_model *m, ui_session *s, int rst, smtp_dir from, int64_t ts,
                      uint64_t frame);
/* The session ended: flags and reason from its report, detail is its report text (copied,
 * truncated to UI_DETAIL_MAX). s->owner becomes NULL. Forget s afterwards: an ended entry
 * may be dropped to make room for a new session. All of these accept s == NULL (untracked). */
void ui_model_end(ui_model *m, ui_session *s, const flow_report *f, const char *detail, size_t len);

/* Short badge of a flag by bit index ("SPLIT", "NOQUIT", ...), and whether it is one of the
 * serious ones (weighted first by the worst sort, drawn in the alarm colour). */
const char *ui_flag_badge(unsigned index);
/* Flag i of protocol p's analyser (its table's row), NULL past the end. */
const flag_info *ui_proto_flag(proto_id p, unsigned i);
/* Flag i of the session's own analyser, NULL past the end. */
const flag_info *ui_session_flag(const ui_session *s, unsigned i);
int ui_flag_serious(unsigned index);

ui_capture *ui_model_capture(ui_model *m);
size_t ui_model_count(const ui_model *m);
/* i-th kept session, oldest first. */
const ui_session *ui_model_session(const ui_model *m, size_t i);
/* i of the kept session whose id is id, or -1 (the pipeline numbers sessions as they open,
 * so ids ascend with the kept order and are found by bisection; otherwise by a scan). */
long ui_model_find_id(const ui_model *m, uint64_t id);
/* i of the kept session whose ui_session.order is order, or -1 when it is no longer kept. */
long ui_model_find_order(const ui_model *m, uint64_t order);
uint64_t ui_model_untracked(const ui_model *m);
/* Sessions open / ended so far (ended counts those that made room too). */
uint64_t ui_model_open_count(const ui_model *m);
uint64_t ui_model_ended_count(const ui_model *m);
/* Ended SMTP sessions per flag (bit index), including those that made room. */
uint64_t ui_model_flag_count(const ui_model *m, unsigned flag_index);
/* The same for protocol p's flags, and how many sessions of p were seen (POP3: the header
 * shows its counts only once there was one). */
uint64_t ui_model_proto_flag_count(const ui_model *m, proto_id p, unsigned flag_index);
uint64_t ui_model_proto_sessions(const ui_model *m, proto_id p);
/* Kept events of s in time order: i < s->nev. */
const ui_event *ui_session_event(const ui_session *s, unsigned i);

/* ---- duplicate groups (ui/dups.c): the report's hook, report_on_duplicate ---- */

/* Groups kept: past it a new group makes room by dropping the least bad final one (fewest
 * unacknowledged attempts, then fewest attempts, then the least recently updated), or when
 * every kept group is still open, the least bad open one (it is counted again if it comes
 * back). About 600 bytes each. */
#define UI_DUP_CAPACITY 1000
/* Sessions kept per group: the first and the latest UI_DUP_SESSIONS / 2 when there are more
 * (a mail loop can make thousands of attempts). */
#define UI_DUP_SESSIONS 32

typedef struct ui_dup {
    uint64_t group; /* report_dup.group */
    int final, by_digest;
    char message[160];  /* Message-ID, or "digest <hex>" when grouped by body digest; escaped */
    char mail_from[96]; /* escaped, "" when unknown */
    char rcpt[96];      /* escaped, "" when unknown */
    char cause[48];     /* escaped */
    unsigned attempts, acknowledged;
    double interval_median; /* seconds */
    int64_t first, last;
    uint32_t sessions[UI_DUP_SESSIONS]; /* the attempts' session ids, in time order */
    unsigned nsessions;                 /* kept: attempts when it fits */
    uint64_t updated;                   /* the model's update counter at its latest update */
} ui_dup;

/* A report_dup_fn: ctx is the ui_model. Creates the group or updates it in place (its id
 * came before), copies and escapes the strings (valid only during the call), and marks the
 * kept sessions that are its attempts. */
void ui_model_duplicate(void *ctx, const report_dup *d);
/* Groups seen (the header's count: kept plus those dropped to make room). */
uint64_t ui_model_dup_groups(const ui_model *m);
/* Groups kept, and the i-th of them (in no particular order: see ui_dup_rows). */
size_t ui_model_dup_count(const ui_model *m);
const ui_dup *ui_model_dup(const ui_model *m, size_t i);
/* i of the kept group with this id, or -1. */
long ui_model_find_dup(const ui_model *m, uint64_t group);
/* Indexes (for ui_model_dup) worst first: the most unacknowledged attempts, then the most
 * attempts, then the latest updated; returns how many (at most cap). */
size_t ui_dup_rows(const ui_model *m, size_t *rows, size_t cap);
/* Attempts not kept in sessions[] (they lie between its two halves), 0 when all are. */
unsigned ui_dup_unlisted(const ui_dup *g);

/* ---- rows: what the list shows, in what order ---- */

typedef enum { UI_SORT_NEWEST, UI_SORT_WORST, UI_SORT_OLDEST, UI_SORT_COUNT } ui_sort;
const char *ui_sort_name(ui_sort s);

typedef struct ui_filter {
    int flagged_only;
    char text[64]; /* case-insensitive substring of client, server, sender or mailbox; "" all */
} ui_filter;

/* Fills rows with indexes (for ui_model_session) of the sessions that pass the filter, in
 * the sort order; returns how many (at most cap). Worst: more severe flags first, open
 * sessions waiting for a reply to end of data count as severe; ties newest first. */
size_t ui_rows(const ui_model *m, const ui_filter *f, ui_sort sort, size_t *rows, size_t cap);

/* ---- timeline: events placed on a shared time axis ---- */

typedef struct ui_axis {
    int64_t start; /* time at column 0 */
    int64_t span;  /* microseconds across the strip's width (> 0) */
    int width;     /* columns */
} ui_axis;

/* Column of time ts, or -1 when outside the axis. */
int ui_axis_column(const ui_axis *a, int64_t ts);
/* An axis that shows [from, to] in width columns (a small margin at the right). */
ui_axis ui_axis_fit(int64_t from, int64_t to, int width);
/* Zoom by factor (< 1 zooms in) around the centre, pan by a fraction of the span. */
void ui_axis_zoom(ui_axis *a, double factor);
void ui_axis_pan(ui_axis *a, double fraction);

/* Kinds of cell in a strip, for colour. */
typedef enum {
    UI_CELL_EMPTY,  /* nothing: ' ' */
    UI_CELL_LIFE,   /* the session is open here: '-' */
    UI_CELL_WAIT,   /* the client waits for the reply to end of data: '~' */
    UI_CELL_EVENT,  /* an ordinary event glyph */
    UI_CELL_BAD,    /* an event that is a symptom (masked banner, refused, failed reply, RST) */
    UI_CELL_GOOD,   /* 2xx to end of data, 221 */
    UI_CELL_OFFAXIS /* '<' or '>' at an edge: events beyond the axis */
} ui_cell;

/* The cell kind an event is drawn with (UI_CELL_EVENT, UI_CELL_GOOD or UI_CELL_BAD). */
ui_cell ui_event_cell(const ui_event *e);

/* Draws s on axis a into text (a->width chars + NUL) and cells (a->width entries). now is
 * the latest capture time: an open session's life and wait run up to it. When several events
 * fall in one column the one that matters most is shown (symptoms over ordinary events). */
void ui_timeline(const ui_session *s, const ui_axis *a, int64_t now, char *text, uint8_t *cells);

#endif
