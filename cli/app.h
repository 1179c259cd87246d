/* Internal to cli/: the state of one run, shared by main.c (one process, the live screen)
 * and parallel.c (--workers). */
#ifndef SMTPSCOPE_CLI_APP_H
#define SMTPSCOPE_CLI_APP_H

#include <signal.h>

#include "cli/options.h"
#include "cli/workers.h"
#include "pipeline/pipeline.h"
#include "report/report.h"
#include "ui/model.h"

struct monitor;

typedef struct app {
    options opt;
    report *rep;
    pipeline *pl;
    sniff *sn;
    uint64_t next_id;
    uint64_t ended;          /* sessions ended: next_id - ended are open */
    struct monitor *monitor; /* --stats, --metrics, the interface (one process, no screen) */
    int warned_evicted;
    ui_model *model;         /* the live screen's, or NULL */
    wk_writer *writer;       /* in a worker: where its records go */
    unsigned nworkers;       /* --workers, as resolved */
    unsigned fanout_group;   /* live workers share the interface through it */
    struct handoff *handoff; /* --extract, or NULL */
    FILE *html_out;          /* --html: the page's file, created before root is given up */
    struct html_doc *html;   /* what the page keeps of the sessions */
    int html_each_period;    /* live with --stats: rewritten each period, atomically */
    struct path *path;       /* --outside/--inside: where each side's SMTP sessions also go */
    int path_side;           /* the side being read (path_vantage) */
} app;

/* ---- main.c, for parallel.c ---- */

/* --html: creates its file (as -w is, while still privileged) and what the page keeps; 0, or
 * -1 with a message in err. */
int app_open_html(app *a, char *err, size_t errlen);
/* Closes the file (when the page was never written) and frees what it kept. */
void app_close_html(app *a);
/* Live with --stats: the page as it stands written beside its file (FILE.tmp) and renamed
 * over it, so a browser reloading it reads a whole page. -1 with a message in err. */
int app_write_html_now(app *a, const capture_summary *cap, char *err, size_t errlen);

/* Opens the capture (and -w) while privileged, then gives root up. */
sniff *app_open_source(app *a, char *err, size_t errlen);
/* The files as the summary names them: "a.pcap, b.pcap" (cut to len). Returns out. */
const char *app_files_text(const char *const *files, unsigned n, char *out, size_t len);
/* Opens the -r files (a->opt.files) and nothing else; privileges are kept. */
sniff *app_open_files(const app *a, char *err, size_t errlen);
/* ---- one.c ---- */

/* One process reads sn to its end into a->rep: the summary and the exit status. */
int app_run_one(app *a, sniff *sn, char *err, size_t errlen);
/* The live screen: on a live capture when the output is a terminal, or asked for. */
int app_wants_tui(const options *o);
/* The pipeline's configuration from the options; with nparts > 0, the flows of part. */
void app_pipeline_config(const app *a, pipeline_config *cfg, unsigned part, unsigned nparts);
/* The report the options ask for (format, correlation window), on stdout. */
report *app_new_report(const app *a);
/* --extract after the summary (the capture closed): the status to exit with. */
int app_finish_extract(app *a, int status);
/* A finished session into the report. */
void app_report_session(app *a, const flow_report *f);
void app_report_unseen(app *a, const unseen_conn *u);
/* A session recognised (its server's open sessions are counted), and a failed attempt to
 * connect, into the report. */
void app_report_opened(app *a, const flow_report *f);
void app_report_connect_failed(app *a, const connect_failed *c);
/* The unseen list, the summary and the exit status; cap from pipeline_summary. */
int app_report_end(app *a, const capture_summary *cap);
/* Ctrl-C, SIGTERM, SIGHUP call handler; once: the next one is not caught. */
void app_catch_stop_signals(sniff *sn, void (*handler)(int), int once);
extern volatile sig_atomic_t app_stop_requested;
void app_on_stop_signal(int sig);

/* ---- parallel.c ---- */

int app_run_workers(app *a, unsigned n);
/* --merge: n sources' records (merge.c reads them) reported as one run; source names what
 * they read, for the summary, once read; before_session says a source's sensor and how its
 * frames are named before each of its sessions (not for partitions of one capture,
 * WK_BY_POSITION: one numbering, files' names given in files). */
typedef struct app_merge_files {
    const char *const *names; /* partitions of several -r files: those files, or NULL */
    unsigned n;
} app_merge_files;
int app_merge_records(app *a, unsigned n, wk_order order, wk_next_fn next, void *ctx,
                      void (*source)(void *ctx, char *out, size_t len),
                      void (*before_session)(void *ctx, unsigned source, report *rep),
                      const app_merge_files *files);

/* A run's records, to a->writer (a worker's pipe; a --sensor run's JSON lines), each where
 * reasm is now. */
uint64_t app_record_start(app *a);
void app_record_session(app *a, const flow_report *f);
void app_record_unseen(app *a, const unseen_conn *u);
void app_record_opened(app *a, const flow_report *f);
void app_record_connect_failed(app *a, const connect_failed *c);
/* A --sensor run in JSON: the run's line, and a->writer writing records into the report;
 * nothing otherwise. -1 when out of memory. */
int app_records_begin(app *a, const char *source);
/* The counters' record, and the writer freed (nothing without one). */
void app_records_end(app *a, sniff *sn, int loop_rc);
/* A record kind's type (0: none such), and the layout --merge checks. */
uint32_t app_record_type(const char *kind);
/* Whether a record's bytes are the size its kind carries (a --merge input, which anyone may
 * have edited, is checked before its records are used). */
int app_record_fits(uint32_t type, const void *payload, size_t len);
uint64_t app_record_layout(void);

/* ---- merge.c ---- */

/* --merge: the records of --sensor runs' JSON, reported as one run. */
int app_run_merge(app *a);

/* ---- path.c ---- */

/* --outside/--inside: each side read and reported in turn, then the two compared. */
int app_run_path(app *a);

#endif
