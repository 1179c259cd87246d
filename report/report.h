/* report: turns finished SMTP sessions into the human report or JSON Lines, and keeps the
 * totals for the closing summary. Nothing from a packet reaches the output unescaped. */
#ifndef SMTPSCOPE_REPORT_H
#define SMTPSCOPE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "analyser/analyser.h"
#include "pipeline/summary.h"
#include "smtp/smtp.h"

typedef enum { REPORT_TEXT, REPORT_JSON } report_format;

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
/* A finished session of any analyser (report_session for SMTP). */
void report_flow(report *r, const flow_report *f);
/* Its full text (report_session_text for SMTP). */
void report_flow_text(FILE *out, const flow_report *f);
/* A connection seen without its handshake: JSON writes it at once; text lists the first
 * REPORT_UNSEEN_LISTED before the summary. Both summaries count them all. */
#define REPORT_UNSEEN_LISTED 100
void report_unseen(report *r, const unseen_conn *u);
void report_summary(report *r, const capture_summary *cap);
/* 0, or -1 when writing the output failed (disk full, closed pipe). */
int report_error(const report *r);
void report_free(report *r);

/* Escapes bytes for a terminal: printable ASCII stays, anything else becomes \xNN (with
 * keep_newlines, LF stays: multi-line text that is already a report). Stops before an escape
 * would be cut; out is always terminated. Returns the length written. */
size_t report_escape(char *out, size_t cap, const char *in, size_t len, int keep_newlines);
/* report_escape on one line. */
void report_sanitize(char *out, size_t cap, const char *in, size_t len);

#endif
