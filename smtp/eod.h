/* End-of-data scanner (internal to smtp/): finds the CR LF . CR LF that ends a DATA body,
 * even when it is cut across TCP segments, and tells which segments held which bytes. */
#ifndef SMTPSCOPE_EOD_H
#define SMTPSCOPE_EOD_H

#include "smtp/smtp.h"

typedef struct eod_seg {
    smtp_seg_ref ref;
    uint64_t id; /* segment identity: several segments can share a frame number */
} eod_seg;

typedef struct eod_scan {
    uint8_t tail[4]; /* last body bytes, for terminators that span segments */
    eod_seg tseg[4];
    unsigned tn;
    uint64_t offset; /* body bytes consumed so far */
} eod_scan;

/* Start a body. The line end of the DATA command (CR LF, or bare LF) counts as the
 * terminator's leading line end when the body is empty. */
void smtp_eod_scan_start(eod_scan *e, eod_seg data_line, int data_line_crlf);

/* Scan one segment's body bytes. Returns how many bytes belong to the body including the
 * terminator: len when none ended here. On a terminator, fills eod (seen, parts, cuts,
 * bare_lf) and *body_bytes (octets before the terminating dot). */
size_t smtp_eod_scan_feed(eod_scan *e, const uint8_t *d, size_t len, eod_seg seg, smtp_eod *eod,
                          uint64_t *body_bytes, int *found);

#endif
