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

/* ---- in the parent ---- */

typedef struct wk_handlers {
    /* f->id is the merged number; f and its report are valid during the call. */
    void (*session)(void *ctx, const flow_report *f);
    void (*blob)(void *ctx, unsigned worker, int type, const void *data, size_t len);
    void (*started)(void *ctx); /* every worker forked (the parent may give root up) */
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
/* Async-signal-safe: asks every worker to stop (they end their sessions and report). */
void workers_stop(void);

#endif
