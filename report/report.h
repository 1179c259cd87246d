/* report: turns finished SMTP sessions into the human report or JSON Lines, and keeps the
 * totals for the closing summary. Nothing from a packet reaches the output unescaped. */
#ifndef SMTPSCOPE_REPORT_H
#define SMTPSCOPE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "analyser/analyser.h"
#include "path/path.h"
#include "pipeline/summary.h"
#include "smtp/smtp.h"
#include "sniff/extract.h"

typedef enum { REPORT_TEXT, REPORT_JSON } report_format;

/* Connections without a handshake that the text report lists (all are counted; JSON lists
 * all). */
#define REPORT_UNSEEN_LISTED 100
/* Failed connection attempts and servers the text report lists (JSON lists all). */
#define REPORT_CONNECTS_LISTED 100
#define REPORT_SERVERS_LISTED 100

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
/* A connection seen without its handshake: with JSON a "not_analysed" line at once, in text
 * kept (the first REPORT_UNSEEN_LISTED) for a list before the summary; counted either way,
 * also while sessions are quiet. */
void report_unseen(report *r, const unseen_conn *u);
/* A session was recognised (its handshake): its server's sessions open at once are counted
 * from these and the ends (report_flow). */
void report_opened(report *r, const flow_report *f);
/* An attempt to connect to a server's port that failed: with JSON a "connect_failed" line at
 * once, in text kept (the first REPORT_CONNECTS_LISTED) for a list before the summary;
 * counted at its server either way, also while sessions are quiet. */
void report_connect_failed(report *r, const connect_failed *c);
/* A -w file was begun: frame first_frame of the report is its frame 1 (with -G and -C the
 * files follow each other). JSON: a "capture_file" line; text: "capture file NAME begins at
 * frame N", not written while sessions are quiet (the live screen). capture_file.c. */
void report_capture_file(report *r, const char *name, uint64_t first_frame);

/* How a frame is named (frameref.c): its number, or when several capture files are read as one
 * (report_frame_files, set before the first packet) NAME#N, the file's base name and its frame
 * in that file (sniff.h). One function for every frame the report and the screen write. */
#define REPORT_FRAME_REF_LEN 280
typedef struct frame_ref {
    char s[REPORT_FRAME_REF_LEN];
} frame_ref;
void report_frame_files(const char *const *files, unsigned n);
int report_frame_named(void); /* several files: frames are NAME#N */
frame_ref report_frame_ref(uint64_t frame);
/* Between the two ends of a range of frames: "-", or " to " between names (which may hold
 * dashes: smtp-09.pcap#5 to smtp-10.pcap#7). */
const char *report_frame_dash(void);
/* A frame in 32 bits, for tables that keep many (redownload.c): with one file the number,
 * saturating; with several the file's index in the top bits (as few as the files need) and
 * its frame, saturating at what the rest holds (2^30 with up to 4 files). */
uint32_t report_frame_pack32(uint64_t frame);
uint64_t report_frame_unpack32(uint32_t packed);
/* Duplicates and other findings across sessions, the servers, the connections not analysed (text),
 * and the totals. */
void report_summary(report *r, const capture_summary *cap);
/* The correlation of messages across sessions: stream writes each duplicate group as it
 * changes (final false), else only final ones; window (usec) and memory (bytes) bound what
 * is kept, 0 for no bound (REPORT_DUP_WINDOW and REPORT_DUP_MEMORY are the defaults). */
#define REPORT_DUP_WINDOW (5 * 86400 * (int64_t)1000000)
#define REPORT_DUP_MEMORY ((uint64_t)64 << 20)
void report_set_correlation(report *r, int stream, int64_t window, uint64_t memory);

/* What a run has counted so far, for --stats and --metrics. */
typedef struct report_counts {
    uint64_t sessions, flagged; /* ended, every analyser */
    uint64_t smtp_sessions, pop3_sessions;
    const uint64_t *smtp_flags; /* SMTP_FLAG_COUNT, named by smtp_flag_name */
    const uint64_t *pop3_flags; /* POP3_FLAG_COUNT, named by pop3_flag_name */
    uint64_t not_analysed, connects_failed;
    uint64_t dup_groups;          /* duplicate groups formed so far */
    uint64_t correlation_expired; /* attempts the correlator let go (window, memory) */
    uint64_t correlation_bytes;   /* memory the correlator holds now */
} report_counts;
void report_get_counts(const report *r, report_counts *out);

/* A --stats line: what the caller knows of the capture and the process; the report adds
 * its own counts (report_get_counts). JSON: {"type":"stats",...}; text: one "stats:" line. */
typedef struct report_stats_line {
    int64_t time; /* usec: the period's boundary in capture time (file), the clock (live) */
    int final;    /* the line written at the end of the run */
    uint64_t packets, matched, drops, if_drops; /* sniff_stats */
    uint64_t open_sessions;
    const char *interface;       /* live: its name, else NULL */
    const char *interface_state; /* live: "up", "down", "no_carrier" or "unknown" */
    uint64_t resident_bytes;     /* the process's RSS; 0 when unknown */
} report_stats_line;
void report_stats(report *r, const report_stats_line *s);

/* A duplicate group as it stands (the live screen; --stream writes the same as JSON):
 * handed to the hook each time an attempt joins it, and once more with final set when the
 * capture ends or the group leaves the correlation window. Valid during the call only. */
typedef struct report_dup {
    uint64_t group; /* stable id, the same in every update of one group */
    int final;
    int by_digest;
    const char *message_id, *digest_hex, *mail_from, *rcpt; /* from packets, may be NULL */
    unsigned attempts, acknowledged;
    double interval_median;   /* seconds */
    const char *cause;        /* the likely cause's name, "unknown" when none */
    int64_t first, last;      /* its first and last attempt, usec */
    const uint32_t *sessions; /* attempts' sessions, in time order (attempts of them) */
} report_dup;
typedef void (*report_dup_fn)(void *ctx, const report_dup *d);
void report_on_duplicate(report *r, report_dup_fn fn, void *ctx);

/* --extract: the packets of n sessions were written to file (the report's session numbers,
 * the runs of their frames). JSON: a line {"type":"extract","file","session","packets",
 * "frames":[[new,orig,count]...]} per session; text: a heading and a line per session, its
 * first REPORT_EXTRACT_RUNS_LISTED runs. handoff.c. */
#define REPORT_EXTRACT_RUNS_LISTED 8
void report_extract(report *r, const char *file, const extract_session *s, size_t n,
                    uint64_t packets);

/* --html: every session from now on is also kept (bounded) in doc for the page, which
 * report_write_html writes after report_summary. The report does not own doc. */
struct html_doc;
void report_set_html(report *r, struct html_doc *doc);
/* The whole page to out; 0, or -1 when out of memory or the write failed. html_out.c. */
int report_write_html(report *r, const capture_summary *cap, FILE *out);

/* Every JSON object the report writes from now on also carries "key":"value" (last, after
 * the tags given before), e.g. "sensor":"mx1", "vantage":"outside"; key a program constant,
 * value escaped here (a tag that does not fit in 320 bytes with the others is left out, and
 * options refuse such names). Text is unchanged. */
#define REPORT_TAGS_MAX 320
void report_tag(report *r, const char *key, const char *value);
/* --merge of different captures: the sessions reported from now on (name NULL: none) were
 * seen by that sensor, whose capture their frames number: JSON "sensor":"NAME" on their lines
 * (unless the report's own tags name a sensor), text "  sensor: NAME" under their header. */
void report_session_sensor(report *r, const char *name);
/* --sensor: the lines --merge reads (record.c). First the run: who wrote the records and from
 * what; then each record: {"type":"record","kind":K,"at":[frame,phase,sub,usec],"data":B64}. */
typedef struct report_run {
    const char *version;
    uint64_t layout; /* the records' binary layout (cli/ says what it covers) */
    const char *source;
    unsigned part, nparts;    /* --partition, nparts 0 when none */
    const char *const *files; /* the -r files when several (their frames are FILE#N), or NULL */
    unsigned nfiles;
} report_run;
void report_record_run(report *r, const report_run *run);
void report_record(report *r, const char *kind, const uint64_t at[3], int64_t usec,
                   const void *data, size_t len);

/* --outside/--inside: the comparison of the two capture points after both sides' reports:
 * text "Between the two capture points", or JSON "path" lines and a "path_summary". path_out.c.
 * 0, or -1 when the write failed. */
typedef struct report_path_sides {
    const char *source[2]; /* each side's files, as its summary names them */
    uint64_t not_kept[2];  /* sessions past max_sessions, not compared */
    size_t max_sessions;
    const char *sensor; /* --sensor: the tag of the comparison's JSON lines, or NULL */
} report_path_sides;
int report_path(FILE *out, report_format fmt, int verbose, const path_result *r,
                const report_path_sides *sides);
/* A frame of a file among files (as report_frame_ref names it when they are the -r files). */
frame_ref report_frame_ref_among(const char *const *files, unsigned n, uint64_t frame);
/* 0, or -1 when writing the output failed (disk full, closed pipe). */
int report_error(const report *r);
void report_free(report *r);

#endif
