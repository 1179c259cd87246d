/* Internal to report/: the report's state, and the helpers its files share (output.c) or
 * report.c calls in them (findings.c, unseen.c, server_report.c). */
#ifndef SMTPSCOPE_REPORT_INTERNAL_H
#define SMTPSCOPE_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "pop3/pop3.h"
#include "report/correlate.h"
#include "report/json.h"
#include "report/redownload.h"
#include "report/report.h"
#include "report/servers.h"
#include "report/wireshark.h"

typedef struct totals {
    uint64_t sessions, flagged, tls, non_smtp;
    uint64_t per_flag[SMTP_FLAG_COUNT];
    uint64_t messages, eod_seen, eod_split, eod_split_acked, eod_unacked;
} totals;

typedef struct pop3_totals {
    uint64_t sessions, flagged, tls, retrieved, complete;
    uint64_t per_flag[POP3_FLAG_COUNT];
} pop3_totals;

/* capture_limits.c: sessions whose content the capture could not show. */
typedef struct limits_totals {
    uint64_t snaplen_cut, cut_smtp, cut_pop3; /* sessions whose payload the snaplen cut */
    uint64_t implicit_tls;                    /* sessions on an implicit-TLS port */
} limits_totals;

struct report {
    FILE *out;
    report_format fmt;
    int verbose;
    int quiet; /* report_quiet_sessions */
    int write_error;
    json j;
    totals t;
    pop3_totals pop3;
    limits_totals limits;
    correlate *corr;
    redownload *rd;                             /* POP3 re-downloads and concurrent mailboxes */
    uint64_t not_analysed;                      /* report_unseen */
    unseen_conn *unseen;                        /* text: the first REPORT_UNSEEN_LISTED of them */
    servers *servers;                           /* per-server figures */
    uint64_t connects_failed, connects_refused; /* report_connect_failed */
    connect_failed *connects;                   /* text: the first REPORT_CONNECTS_LISTED of them */
    struct connect_bursts *bursts;              /* JSON: floods of them, per client and server */
    report_dup_fn on_dup;                       /* report_on_duplicate */
    void *on_dup_ctx;
    int stream; /* report_set_correlation */
    int64_t window;
    uint64_t memory;
    corr_sink sink;
    char display_filter[WIRESHARK_FILTER_MAX]; /* of the session being written (report_flow) */
    struct html_doc *html;                     /* --html: what the page keeps, or NULL */
    char tag[REPORT_TAGS_MAX]; /* report_tag: ,"key":"value"... closing every JSON object */
    /* report_session_sensor: the sensor that saw the sessions being reported ("" none), and
     * its tag after tag, on their lines only */
    char session_sensor[72];
    char session_tag[REPORT_TAGS_MAX];
};

/* ---- handoff.c: the hand-off to Wireshark ---- */

/* r->display_filter for the session f (empty when its frames are not known). */
void report_fill_display_filter(report *r, const flow_report *f);
/* "  wireshark: FILTER" under a session's text header, when it has one. */
void report_display_filter_text(const report *r);

/* ---- output.c ---- */

/* The JSON line in j to out, closed by tags (",\"key\":\"value\"...", or NULL / ""): 0 or
 * -1 on a write error. j is reset. */
int report_json_flush_tagged(json *j, FILE *out, const char *tags);
/* Appends ,"key":"value" (value escaped) to the tags in tags[cap], if it fits. */
void report_tag_append(char *tags, size_t cap, const char *key, const char *value);
/* "2026-03-02 09:00:00.123456" (UTC). */
void report_format_time(char *out, size_t cap, int64_t usec);
/* "  => name: text", wrapped at 96 columns with a hanging indent. */
void report_advice(FILE *out, const char *name, const char *text);
/* lead, then "name (score)" for each of n > 0 causes, then the fix of the first. */
void report_causes_text(FILE *out, const char *lead, const cause *c, unsigned n);
/* "key":v with six decimals (a score, a confidence, seconds as a double). */
void report_json_decimal(json *j, const char *key, double v);
/* "causes":[{"cause","score","fix"}...] */
void report_causes_json(json *j, const cause *c, unsigned n);
/* One {"cause","score","fix"} of such a list (any analyser's causes). */
void report_cause_json(json *j, const char *name, double score, const char *fix);
/* "key":[n strings], the first at first, each stride bytes after the one before (a char
 * array's rows: evidence lines). */
void report_json_lines(json *j, const char *key, const char *first, size_t stride, unsigned n);
/* Ends the JSON line built in r->j and writes it; a failed write is remembered. */
void report_json_line(report *r);
/* A session's line: also closed by report_session_sensor's tag. */
void report_json_session_line(report *r);
/* The text of report_session_sensor, under a session's header. */
void report_session_sensor_text(const report *r);
/* "flags":[names of the bits set in flags], of an analyser's n flags. */
void report_json_flag_list(json *j, unsigned flags, unsigned n, const char *(*name)(unsigned));
/* "flags":{"name":count...} for an analyser's n flags. */
void report_json_flag_counts(json *j, const uint64_t *counts, unsigned n,
                             const char *(*name)(unsigned));
/* One transcript line: its frame, time since the session began, who ("C:", "S:", "--" for
 * dir 0, 1, 2), the text escaped. */
void report_transcript_line(FILE *out, uint64_t frame, int64_t since, unsigned dir,
                            const char *text);

/* ---- findings.c: duplicates, clients that never QUIT, the triage summary ---- */

/* The worst duplicate groups the triage (and the HTML verdict) names. */
enum { REPORT_TRIAGE_GROUPS = 5, DUP_EVIDENCE_MAX = 8, DUP_EVIDENCE_LEN = 200 };
typedef struct dup_evidence {
    char line[DUP_EVIDENCE_MAX][DUP_EVIDENCE_LEN];
    unsigned n;
} dup_evidence;
/* The lines of evidence under a duplicate group, in the order shown. */
void report_group_evidence(const correlate *c, const corr_group *g, dup_evidence *e);

void report_findings_json(report *r);
/* One duplicate group as a JSON line ("final": it will not change again). */
void report_group_json(report *r, const corr_group *g, int final);
/* One line for a group as it changes (--stream text) or leaves the window. */
void report_group_update_text(report *r, const corr_group *g, int final);
void report_findings_text(report *r);
void report_findings_triage(report *r);
/* The triage's lines on the clients that never send QUIT. */
void report_never_quit_triage(report *r);

/* ---- server_report.c ---- */

/* ---- connect_burst.c ---- */

typedef struct connect_bursts connect_bursts;
/* 1 when c is counted in its client and server's burst instead of a line of its own (past
 * the first few of a minute). */
int report_connect_burst(report *r, const connect_failed *c);
/* The bursts not yet written; at the end. */
void report_connect_bursts_end(report *r);
void report_connect_bursts_free(report *r);

/* "Connection attempts that failed: ..." and the attempts kept, when there were any. */
void report_connects_text(report *r);
/* "Servers: ..." and a line per server (the first REPORT_SERVERS_LISTED). */
void report_servers_text(report *r);
/* Triage lines for the servers that look overloaded or closed (text). */
void report_servers_triage(report *r);
/* A "server" line per server seen. */
void report_servers_json(report *r);
/* ---- pop3.c: POP3 sessions and their totals ---- */

void report_pop3_session(report *r, const flow_report *f);
void report_pop3_session_text(FILE *out, const flow_report *f);
/* The summary's "pop3" object (its last key); the text summary's POP3 lines when any. */
void report_pop3_summary_json(report *r);
void report_pop3_summary_text(report *r);

/* ---- capture_limits.c: snaplen cuts and implicit TLS ---- */

void report_limits_count(report *r, proto_id proto, int snaplen_cut, int implicit_tls);
/* The session object's "implicit_tls" and "snaplen_cut". */
void report_limits_session_json(json *j, int snaplen_cut, int implicit_tls);
/* A line for each, when set; proto: "SMTP", "POP3". */
void report_limits_session_text(report *r, const char *proto, int snaplen_cut, uint64_t cut_frame,
                                int implicit_tls);
/* The summary's "snaplen", "snaplen_cut", "snaplen_cut_packets", "snaplen_unusable",
 * "implicit_tls"; the text summary's lines when packets were cut or sessions encrypted. */
void report_limits_summary_json(report *r, const capture_summary *c);
void report_limits_summary_text(report *r, const capture_summary *c);

/* ---- redownload_out.c: the POP3 correlator's findings ---- */

void report_redownload_json(report *r);
void report_redownload_text(report *r);
void report_redownload_triage(report *r);
/* Orders them and counts the sessions flagged concurrent late in the summary. */
void report_redownload_finish(report *r);
/* The correlator's sink (rd_leave_fn, ctx the report): a message leaving the window. */
void report_redownload_leaving(void *ctx, const redownload *rd, const rd_message *m);

/* ---- paths.c: mail loops, relay paths, fan-out ---- */

void report_paths_json(report *r);
void report_paths_text(report *r);
void report_paths_triage(report *r);
/* A path written at once (found as its group left the correlation window). */
void report_path_now(report *r, const corr_path *p);

/* ---- stream.c: duplicate groups as they change and leave the window ---- */

/* After a session was correlated: its groups' updates, then what leaves the window. */
void report_stream_session(report *r);
/* At the end: each group reported final to the duplicate hook. */
void report_stream_finish(report *r);
/* The summary's "correlation" object: the window, and what left it before the end. */
void report_correlation_json(report *r);
/* The text summary's line on what left the window, when anything did. */
void report_correlation_text(report *r);

/* ---- html_out.c: the --html page's data ---- */

/* A finished SMTP session kept for the page, when there is one. */
void report_html_session(report *r, uint64_t id, const char *client, const char *server,
                         const smtp_report *s);
/* A finished POP3 session (its flags as its line has them), the same. */
void report_html_pop3(report *r, const flow_report *f, const pop3_report *s);
/* A session of another protocol, counted on the page. */
void report_html_other(report *r);
/* The page's timelines of the messages downloaded more than once (redownload_out.c). */
int report_redownload_html(report *r, FILE *out);
/* The cause of the most downloaded message (NULL: none), for the page's headline. */
const char *report_redownload_lead(report *r, const char **fix, double *score);
/* The triage's lines for loops, relays, fan-out, clients that never QUIT, re-downloads and
 * servers, as the text report writes them, into out. */
void report_triage_more(report *r, FILE *out);

/* ---- unseen.c ---- */

/* "Not analysed: ..." and the connections kept, when there were any. */
void report_unseen_text(report *r);

#endif
