/* Internal to pop3/: the session's state and the functions its files share.
 *
 * The files, each using only those listed after it:
 *   session.c     the public session API: new, feed, end, free, and the flags
 *   server.c      the server's bytes: greeting, responses paired with their commands, lists
 *   client.c      the client's bytes: commands (credentials replaced), SASL lines; the
 *                 switch to TLS
 *   content.c     a RETR/TOP response's message: its end, its headers, its digest
 *   msgs.c        the messages touched, the LIST/UIDL listing, the command queue
 *   transcript.c  the transcript and the live observer
 *   plain.c       AUTH PLAIN's user name
 *   lines.c       line assembly across segments, bounded
 * Beside them: flags.c (the flag table), pack.c (reports as bytes), analyser.c. */
#ifndef SMTPSCOPE_POP3_INTERNAL_H
#define SMTPSCOPE_POP3_INTERNAL_H

#include <xxhash.h>

#include "message/message.h"
#include "pop3/pop3.h"

/* The commands told apart. */
typedef enum {
    V_OTHER,
    V_USER,
    V_PASS,
    V_APOP,
    V_AUTH,
    V_STAT,
    V_LIST,
    V_RETR,
    V_DELE,
    V_NOOP,
    V_RSET,
    V_QUIT,
    V_TOP,
    V_UIDL,
    V_CAPA,
    V_STLS,
    V_COUNT
} pop3_verb;

const char *pop3_verb_name(pop3_verb v);
/* The verb of a command line (its first word, any case); V_OTHER when none matches. */
pop3_verb pop3_parse_verb(const char *line, size_t len);

typedef struct pending {
    uint8_t verb;
    uint8_t has_arg; /* a message number was given */
    uint32_t arg;
} pending;

typedef struct linebuf {
    char buf[POP3_LINE_MAX];
    size_t len;
    size_t full; /* the line's length so far, kept or not */
} linebuf;

/* A complete line without its line end: what was kept, and whether some was not. */
typedef struct line_t {
    const char *text;
    size_t len;
    int overflow;
} line_t;

/* A LIST or UIDL entry: message number, size, unique-id. */
typedef struct listed {
    uint32_t number;
    uint8_t has_size, has_uidl;
    uint64_t size;
    char uidl[POP3_UIDL_MAX];
} listed;

typedef enum {
    SM_GREETING,
    SM_RESPONSE,
    SM_LIST,    /* a multi-line LIST, UIDL, CAPA (or AUTH's mechanism list) until "." */
    SM_CONTENT, /* a RETR or TOP response: the message until CRLF.CRLF */
    SM_STOP     /* encrypted or not POP3: bytes are only counted */
} server_mode;

typedef enum { CM_COMMAND, CM_STOP } client_mode;

/* A RETR/TOP response's message as it goes by. */
typedef struct content {
    int msg; /* index in msgs, -1 when not kept */
    uint32_t number;
    int top;
    int bol;       /* at the beginning of a line */
    unsigned held; /* 1: "." held at a line start, 2: ".\r": maybe the terminator */
    uint64_t octets;
    int in_headers;
    uint64_t header_bytes;
    message_header mh;
    linebuf hl; /* the header line being read */
    int digesting;
    uint64_t body_bytes;
    char message_id[POP3_TEXT_MAX];
} content;

struct pop3_session {
    pop3_report rep;
    pop3_msg *msgs; /* grown up to POP3_MAX_MSGS */
    unsigned msgs_cap;
    listed *listing; /* allocated with the first LIST/UIDL entry, grown up to POP3_MAX_LISTED */
    unsigned nlisted, listed_cap;
    int listing_unsorted; /* an entry came after a higher number: searched by a scan */
    pending q[POP3_PIPELINE_MAX];
    unsigned qhead, qlen;
    int tls_port;        /* on an implicit-TLS port, no byte seen yet (pop3_implicit_tls) */
    int auth_active;     /* AUTH sent, not yet answered +OK/-ERR: client lines are credentials */
    int auth_plain;      /* AUTH PLAIN without an initial response: the next line carries it */
    pop3_verb list_verb; /* what the multi-line list in SM_LIST answers */
    server_mode sm;
    client_mode cm;
    linebuf cl, sl;
    content c;
    XXH3_state_t *digest;
    pop3_ref now; /* the segment being parsed */
    int ended;
    int no_transcript;
    pop3_tline *lines; /* POP3_HEAD_LINES first, then a ring */
    unsigned nlines_total;
    pop3_event_fn observer;
    void *observer_ctx;
};

/* Line assembly (lines.c): takes the next line from *p; 1 with the line when complete, 0
 * when the bytes ran out (kept in lb for the next segment). */
int pop3_take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out);
void pop3_copy_text(char *dst, size_t cap, const char *src, size_t len);
int pop3_prefix_nocase(const char *s, size_t len, const char *prefix);

/* Transcript and observer (transcript.c): dir is a flow_side or 2 for an event. */
void pop3_note_line(pop3_session *s, int dir, const char *text, size_t len);
void pop3_note_event(pop3_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pop3_notify(pop3_session *s, pop3_event ev);
/* The ring in order behind the head, for the report. */
void pop3_transcript_settle(pop3_session *s);

/* Messages, listing, queue (msgs.c). */
/* The message of number n, added when new; NULL past POP3_MAX_MSGS (counted) or out of
 * memory. */
pop3_msg *pop3_msg_get(pop3_session *s, uint32_t n);
/* A LIST or UIDL entry of message n (size or uidl). */
void pop3_listed_size(pop3_session *s, uint32_t n, uint64_t size);
void pop3_listed_uidl(pop3_session *s, uint32_t n, const char *uidl, size_t len);
/* What the listing knows of message n goes into m. */
void pop3_listed_apply(const pop3_session *s, pop3_msg *m);
void pop3_enqueue(pop3_session *s, pop3_verb v, int has_arg, uint32_t arg);
pending *pop3_queue_head(pop3_session *s);
void pop3_dequeue(pop3_session *s);
/* A message number argument (1 .. 2^32-1) at the start of p; 0 when there is none. */
uint32_t pop3_parse_number(const char *p, size_t len, size_t *used);

/* A RETR/TOP response's content (content.c). */
void pop3_content_start(pop3_session *s, uint32_t number, int top);
/* Returns how many bytes were the content's (len when it did not end here). */
size_t pop3_content_feed(pop3_session *s, const uint8_t *d, size_t len);
/* The connection ended inside it. */
void pop3_content_cut(pop3_session *s);

/* AUTH PLAIN's initial response (base64): the user name into out, when well formed (plain.c). */
void pop3_plain_name(const char *b64, size_t n, char *out, size_t cap);

/* The two sides (server.c, client.c). */
void pop3_feed_server(pop3_session *s, const uint8_t *d, size_t len);
void pop3_feed_client(pop3_session *s, const uint8_t *d, size_t len);
/* The session is encrypted from here on (STLS accepted, or a TLS record). */
void pop3_go_tls(pop3_session *s, const char *why);

#endif
