/* metrics: a run's counters in Prometheus' text exposition format (version 0.0.4), the
 * format node_exporter's textfile collector reads. The formatter knows nothing of where the
 * figures come from: a snapshot in, text out; metrics_file_write replaces a file with it
 * atomically, so a collector never reads half a file. */
#ifndef SMTPSCOPE_METRICS_H
#define SMTPSCOPE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One analyser flag's count: smtpscope_flags_total{protocol=...,flag=...}. */
typedef struct metrics_flag {
    const char *protocol, *name;
    uint64_t count;
} metrics_flag;

typedef struct metrics_snapshot {
    /* counters */
    uint64_t packets, packets_matched;      /* frames read, frames that matched */
    uint64_t drops_kernel, drops_interface; /* ps_drop, ps_ifdrop */
    uint64_t sessions_smtp, sessions_pop3;  /* ended */
    uint64_t flagged;                       /* ended with a flag, any analyser */
    const metrics_flag *flags;              /* nflags of them */
    size_t nflags;
    uint64_t not_analysed, connects_failed;
    uint64_t duplicate_groups, correlation_expired;
    /* gauges */
    uint64_t open_sessions, resident_bytes, correlation_bytes;
    const char *interface; /* live: the interface's name, else NULL (no interface gauge) */
    int interface_up;
} metrics_snapshot;

/* The exposition text of s into out; returns 0, or -1 when writing failed. */
int metrics_write(FILE *out, const metrics_snapshot *s);
/* A label value as the format wants it: backslash, double quote and newline escaped; any
 * other byte outside printable ASCII becomes '?' (the format wants UTF-8, and an interface
 * name is any bytes). Writes at most cap bytes with the NUL; returns the length written. */
size_t metrics_label_value(char *out, size_t cap, const char *value);
/* Writes path.tmp beside path, flushes it to disk and renames it over path. Returns 0, or -1
 * with a message in err (and path.tmp removed). */
int metrics_file_write(const char *path, const metrics_snapshot *s, char *err, size_t errlen);

#endif
