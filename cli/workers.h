/* workers: --workers N. libnids is one global instance per process, so the capture is
 * analysed by N processes, each following the flows of its share of address pairs; their
 * records come back through pipes and are merged here into one stream, in the order a single
 * process would have produced them (reasm_position). This file knows processes, pipes and
 * the record format; parallel.c knows what the records mean. */
#ifndef SMTPSCOPE_WORKERS_H
#define SMTPSCOPE_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "analyser/analyser.h"
#include "reassembly/reasm.h"

#define WORKERS_MAX 64
#define WORKERS_MAX_TEXT "64"

typedef struct wk_writer wk_writer;

/* The records this module gives meaning to; the others (type > 0, below 100) are the
 * caller's. */
enum { WK_REC_START = 100, WK_REC_SESSION, WK_REC_PROGRESS };

/* One record as it travels: a worker's through its pipe, a --sensor run's as a JSON line
 * (cli/record.c), which --merge reads back. The payload of a start is the session's number
 * (uint64_t); of a session, a wk_session_head and the packed report; of any other, a
 * uint64_t byte count and those bytes. */
typedef struct wk_record {
    uint32_t type;
    reasm_position at;
    const void *payload;
    size_t len;
} wk_record;

typedef struct wk_session_head {
    uint64_t id;
    uint32_t proto; /* proto_id: whose analyser packed the report */
    uint32_t pad;
    char client[64], server[64];
    uint64_t first_frame, last_frame; /* flow_report's */
} wk_session_head;

/* ---- in a worker ---- */

/* A session got its number (where the single process would have numbered it): returns the
 * worker's own number for it, which wk_session names. */
uint64_t wk_start(wk_writer *w, const reasm_position *at);
/* A session ended: f->id is the worker's own number (wk_start's); its report travels packed
 * by its analyser (analyser.pack). */
void wk_session(wk_writer *w, const reasm_position *at, const flow_report *f);
/* at may be NULL for records that are not events (totals, errors): they sort last. */
/* Any other record (type > 0, below 100): bytes this module does not look into. */
void wk_blob(wk_writer *w, const reasm_position *at, int type, const void *data, size_t len);
/* After each frame: tells the merge that nothing more will come from before it. */
void wk_progress(wk_writer *w, uint64_t frame);

/* A writer in this process: each record goes to emit as it is made (a --sensor run's JSON
 * lines). NULL when out of memory. */
wk_writer *wk_writer_new(void (*emit)(void *ctx, const wk_record *r), void *ctx);
void wk_writer_free(wk_writer *w);

/* ---- in the parent ---- */

typedef struct wk_handlers {
    /* f->id is the merged number; f and its report are valid during the call; source: the
     * worker (the merged input's run) that sent it. */
    void (*session)(void *ctx, unsigned source, const flow_report *f);
    void (*blob)(void *ctx, unsigned worker, int type, const void *data, size_t len);
    void (*started)(void *ctx); /* every worker forked (the parent may give root up) */
    /* Or NULL: each start, session and other record before it is delivered, its session
     * number the merged one (a --sensor run with workers writes them out). */
    void (*record)(void *ctx, const wk_record *r);
    void *ctx;
} wk_handlers;

/* Runs in worker index (0 .. n-1); its return value is the worker's exit status. */
typedef int (*wk_main_fn)(void *ctx, unsigned index, wk_writer *w);

/* Forks n workers and merges what they send into h: in capture order when ordered (every
 * worker reads the same file), as it comes otherwise (a live capture, where each worker sees
 * other packets). Session numbers are given here, 1, 2, ... in that order. Returns 0 when
 * every worker ended normally, else -1 with a message in err. */
int workers_run(unsigned n, int ordered, wk_main_fn fn, void *ctx, const wk_handlers *h, char *err,
                size_t errlen);

/* ---- records read elsewhere (--merge) ---- */

typedef enum wk_order {
    WK_BY_POSITION, /* sources that read the same capture (partitions of it) */
    WK_BY_TIME,     /* sources that read different captures: by the frames' times */
    WK_AS_READ      /* one stream of several sources: in the order read */
} wk_order;

/* The next record of source *src (WK_AS_READ: of any source, *src set to it): 1, 0 when
 * that source (every source) has ended, -1 on an error the reader has said. r's payload is
 * valid until the next call. */
typedef int (*wk_next_fn)(void *ctx, unsigned *src, wk_record *r);

/* Merges n sources' records into h as workers_run does (numbering the sessions). 0, or -1
 * with a message in err (a reader's error leaves err empty). */
int workers_merge(unsigned n, wk_order order, wk_next_fn next, void *ctx, const wk_handlers *h,
                  char *err, size_t errlen);

/* Async-signal-safe: asks every worker to stop (they end their sessions and report). */
void workers_stop(void);

#endif
