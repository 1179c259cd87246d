/* Internal to path/: the state of a comparison and what its files share. */
#ifndef SMTPSCOPE_PATH_INTERNAL_H
#define SMTPSCOPE_PATH_INTERNAL_H

#include <stdarg.h>

#include "path/path.h"

/* One pair's crossing times as measured, before the clocks' offset is taken out (usec):
 * [0] client to server (inside minus outside), [1] server to client (outside minus inside). */
typedef struct path_work {
    int64_t raw[2][PATH_STEPS + 1];
    unsigned nraw[2];
    path_frame_fn name_frame;
    void *name_ctx;
} path_work;

typedef struct path_frame_text {
    char s[PATH_FRAME_TEXT];
} path_frame_text;

path_frame_text path_frame(const path_work *w, path_vantage v, uint64_t frame);
void path_evidence(path_pair *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compares one pair: its findings (but PATH_DELAY), evidence and raw crossings into w. */
void path_compare_pair(path_pair *p, path_work *w);

/* The one sentence on what the box did (r->verdict), from the pairs' findings. */
void path_verdict(path_result *r);

#endif
