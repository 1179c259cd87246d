/* Internal to report/: the report's state and helpers shared by its files. */
#ifndef SMTPSCOPE_REPORT_INTERNAL_H
#define SMTPSCOPE_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "report/correlate.h"
#include "report/json.h"
#include "report/report.h"

typedef struct totals {
    uint64_t sessions, flagged, tls, non_smtp;
    uint64_t per_flag[SMTP_FLAG_COUNT];
    uint64_t messages, eod_seen, eod_split, eod_split_acked, eod_unacked;
} totals;

struct report {
    FILE *out;
    report_format fmt;
    int verbose;
    int quiet; /* report_quiet_sessions */
    int write_error;
    json j;
    totals t;
    correlate *corr;
    uint64_t not_analysed;
    unseen_conn *unseen; /* text: the first REPORT_UNSEEN_LISTED of them */
};

void format_time(char *out, size_t cap, int64_t usec);
double secs(int64_t usec);
/* "  => name: text", wrapped at 96 columns with a hanging indent. */
void text_advice(FILE *out, const char *name, const char *text);

/* Duplicates, clients that never QUIT, and the triage summary (findings.c). */
void findings_json(report *r);
void findings_text(report *r);
void findings_triage(report *r);

#endif
