/* path: two vantage points of one mail path (--outside, --inside). The sessions seen outside
 * a box (sender <-> box) are paired with those seen inside it (box <-> server) by content
 * (Message-ID, body digest, MAIL FROM, RCPT, HELO), time and server, and each pair is compared
 * for what the box changed: the findings below. Pure: no I/O; what it keeps of a session is a
 * compact copy (path_session), so the analysers' reports may go as soon as they are given. */
#ifndef SMTPSCOPE_PATH_H
#define SMTPSCOPE_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "smtp/smtp.h"

typedef enum { PATH_OUTSIDE, PATH_INSIDE } path_vantage;

/* What the box changed, in the order the verdict weighs them (the first is the gravest). */
typedef enum {
    PATH_DROPPED_EOD,
    PATH_RESET,
    PATH_ANSWERED,
    PATH_REWROTE_COMMAND,
    PATH_MASKED_BANNER,
    PATH_DELAY,
    PATH_FINDING_COUNT
} path_finding;

/* "middlebox_dropped_eod", ...; "?" past the end. */
const char *path_finding_name(unsigned f);
/* One line: what it means and what to do. */
const char *path_finding_advice(unsigned f);
/* "outside", "inside". */
const char *path_vantage_name(path_vantage v);

/* Bounds on what is kept of a session. */
#define PATH_STEPS 16     /* commands and replies of the dialogue compared */
#define PATH_STEP_TEXT 48 /* of each, as the transcript has it */
#define PATH_TXNS 4       /* transactions compared */
#define PATH_ID_TEXT 80   /* the Message-ID kept for the verdict */
#define PATH_BANNER_TEXT 96
/* Sessions kept per side (about 2.1 KB each): past it sessions are counted, not compared. */
#define PATH_DEFAULT_MAX_SESSIONS 100000
/* How far apart the two captures' clocks may be (seconds) and still be paired. */
#define PATH_MAX_CLOCK_OFFSET 300.0
/* How much later (or earlier) than the clock offset says an inside session may begin. */
#define PATH_WINDOW 5.0
/* Sessions that carry no message (refused before MAIL) pair when they began this close. */
#define PATH_NEAR 0.5

/* The dialogue's step for an end of data (a terminator is no line of the transcript). */
#define PATH_EOD_STEP "<end of data>"

/* One line of the dialogue: a command (or the end of data, as "<end of data>"), its reply. */
typedef struct path_step {
    int64_t ts;
    uint64_t frame;
    uint8_t dir; /* 0 the client's, 1 the server's */
    char text[PATH_STEP_TEXT];
} path_step;

typedef struct path_txn {
    uint64_t id_hash, from_hash, rcpt_hash; /* 0: none */
    int has_digest;
    uint8_t digest[16];
    uint64_t bytes;
    int eod_seen, eod_parts, bdat;
    uint64_t eod_frame[2]; /* first and last segment of the terminator */
    int64_t eod_ts[2];
    int replied, reply;
    uint64_t data_frame;
    int64_t data_at; /* the DATA command (or the first BDAT) */
    char message_id[PATH_ID_TEXT];
} path_txn;

typedef struct path_session {
    uint64_t id;
    char client[64], server[64];
    int64_t start, end;
    uint64_t start_frame, end_frame;
    int end_reason; /* smtp_end_reason */
    int closed_by;  /* -1, or 0 client / 1 server */
    int banner_seen;
    uint64_t banner_frame;
    int64_t banner_ts;
    char banner[PATH_BANNER_TEXT];
    uint64_t helo_hash;
    unsigned nsteps;
    int steps_cut; /* the transcript dropped lines: only the first ones are compared */
    path_step steps[PATH_STEPS];
    unsigned ntxn;
    path_txn txn[PATH_TXNS];
} path_session;

/* How it ended: "ended by RST from the server", "went silent (idle timeout)", ... */
const char *path_end_text(const path_session *s);

/* Fills s from an SMTP session's report (its transcript must have been kept). */
void path_session_from(path_session *s, uint64_t id, const char *client, const char *server,
                       const smtp_report *r);

/* What one pair shows. Evidence lines are plain text (from packets: escape when written). */
#define PATH_EVIDENCE 8
#define PATH_EVIDENCE_TEXT 320
typedef struct path_delays {
    unsigned n;
    double median, max; /* seconds, the clock offset taken out */
} path_delays;

typedef struct path_pair {
    const path_session *outside, *inside; /* one of them NULL: seen on one side only */
    const char *matched_by;               /* "Message-ID", "body digest", "MAIL FROM and RCPT"... */
    unsigned findings;                    /* bit per path_finding */
    path_delays to_server, to_client;
    unsigned nevidence;
    char (*evidence)[PATH_EVIDENCE_TEXT]; /* PATH_EVIDENCE lines, allocated at the first */
    /* dropped_eod: the message of the first one, for the verdict */
    const char *dropped_id;
} path_pair;

/* The result over both sides. */
typedef struct path_result {
    path_pair *pairs; /* paired first (in the outside's order), then outside only, inside only */
    size_t npairs, paired, outside_only, inside_only;
    double coarse_offset;    /* seconds the inside's session starts lie after the outside's */
    int offset_from_content; /* the offset came from content-matched pairs (else assumed 0) */
    double clock_offset;     /* seconds the inside's clock is ahead, as taken out of delays */
    int clock_estimated;     /* some crossing ran back in time: the offset was estimated */
    unsigned with[PATH_FINDING_COUNT]; /* pairs with each finding */
    path_delays to_server, to_client;  /* over every pair */
    char verdict[600];
} path_result;

typedef struct path path;

/* How the caller names a frame of a side (its number, or NAME#N with several files). */
#define PATH_FRAME_TEXT 280
typedef void (*path_frame_fn)(void *ctx, path_vantage v, uint64_t frame, char *out, size_t cap);

path *path_new(size_t max_sessions, path_frame_fn name_frame, void *ctx);
void path_free(path *p);
/* A finished SMTP session of one side (kept as a path_session). */
void path_add(path *p, path_vantage v, uint64_t id, const char *client, const char *server,
              const smtp_report *r);
/* Sessions not kept because max_sessions was reached, per side. */
uint64_t path_not_kept(const path *p, path_vantage v);
/* Pairs and compares; the result lives as long as p. NULL when out of memory. */
const path_result *path_compare(path *p);

#endif
