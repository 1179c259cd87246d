/* report: turns finished SMTP sessions into the human report or JSON Lines, and keeps the
 * totals for the closing summary. Nothing from a packet reaches the output unescaped. */
#ifndef SMTPSCOPE_REPORT_H
#define SMTPSCOPE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "smtp/smtp.h"

typedef enum { REPORT_TEXT, REPORT_JSON } report_format;

typedef struct report_capture {
    const char *source; /* file name, or "interface NAME" */
    uint64_t frames, matched, bytes;
    int64_t first, last; /* packet times, microseconds */
    uint64_t streams_evicted, idle_expired, warn_ip, warn_tcp;
    uint64_t not_analysed;    /* SMTP connections seen without their handshake (cli lists them) */
    const char *read_error;   /* NULL, or what went wrong reading the file */
    int live;                 /* captured from an interface: the drop counters mean something */
    uint64_t drops, if_drops; /* packets the kernel's buffer / the interface dropped */
} report_capture;

typedef struct report report;

report *report_new(FILE *out, report_format fmt, int verbose);
/* Sessions are counted and correlated but not written (the live screen shows them); the
 * summary still is. */
void report_quiet_sessions(report *r);
/* One finished session; client and server are printable "addr:port" strings. */
void report_session(report *r, uint64_t id, const char *client, const char *server,
                    const smtp_report *s);
/* The text report of one session with its transcript, flagged or not (for a detail view);
 * no totals are kept. */
void report_session_text(FILE *out, uint64_t id, const char *client, const char *server,
                         const smtp_report *s);
void report_summary(report *r, const report_capture *cap);
/* 0, or -1 when writing the output failed (disk full, closed pipe). */
int report_error(const report *r);
void report_free(report *r);

#endif
