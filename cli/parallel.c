/* parallel: --workers N. Each worker runs the pipeline on its share of the flows, its sink the
 * pipe to the parent (workers.h); the parent numbers the sessions, reports them as one process
 * would, and adds up the workers' counters for the summary. The same records, written as JSON
 * lines by a --sensor run, are what --merge (merge.c) gives this parent instead of pipes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/monitor.h"
#include "sniff/privs.h"

/* An opened record's server, its NUL included: at most an endpoint's text (wk_session_head). */
#define OPENED_MAX sizeof(((wk_session_head *)0)->server)

/* Records this side sends besides sessions (workers.h carries them as bytes). */
enum { WK_UNSEEN = 1, WK_TOTALS, WK_ERROR, WK_OPENED, WK_CONNECT_FAILED };

/* What a worker tells at its end: the capture's counters and its reassembly's. */
typedef struct wk_totals {
    sniff_stats sniff;
    reasm_stats reasm;
    int read_failed;
    char error[PCAP_ERRBUF_SIZE + 64];
    char compression[16]; /* the file's compressed format, "" for none */
} wk_totals;

/* The records a --sensor run writes, by name (a worker's error stays in its run), and the
 * size of what each carries: a start its session's number; a session at least its head (its
 * analyser's unpacking checks the rest); any other a byte count, then that many bytes, which
 * must be min..max. */
static const struct {
    uint32_t type;
    const char *name;
    size_t min, max;
} record_kinds[] = {
    {WK_REC_START, "start", sizeof(uint64_t), sizeof(uint64_t)},
    {WK_REC_SESSION, "session", sizeof(wk_session_head), SIZE_MAX},
    {WK_UNSEEN, "unseen", sizeof(unseen_conn), sizeof(unseen_conn)},
    {WK_TOTALS, "totals", sizeof(wk_totals), sizeof(wk_totals)},
    {WK_OPENED, "opened", 1, OPENED_MAX},
    {WK_CONNECT_FAILED, "connect_failed", sizeof(connect_failed), sizeof(connect_failed)}};

/* The parent's state besides the app. */
typedef struct merged {
    app *a;
    int same_capture; /* every source read the same capture: its counters are anyone's */
    /* --merge of different captures: says a source's sensor before each of its sessions */
    void (*before_session)(void *ctx, unsigned source, report *rep);
    void *before_ctx;
    wk_totals totals;
    unsigned ntotals;
    char worker_error[PCAP_ERRBUF_SIZE + 512];
    char source[4096]; /* the capture, as the summary names it (one.c's bound) */
} merged;

/* ---- a run's records: a worker's pipe, or a --sensor run's JSON lines ---- */

uint64_t app_record_start(app *a)
{
    reasm_position at;
    reasm_now(&at);
    return wk_start(a->writer, &at);
}

void app_record_session(app *a, const flow_report *f)
{
    reasm_position at;
    reasm_now(&at);
    wk_session(a->writer, &at, f);
}

void app_record_unseen(app *a, const unseen_conn *u)
{
    reasm_position at;
    reasm_now(&at);
    wk_blob(a->writer, &at, WK_UNSEEN, u, sizeof *u);
}

/* The server of an SMTP session just opened: sent where it happened, so the parent counts the
 * sessions open at once in the order one process would (the per-server figures are SMTP's:
 * report_opened). */
void app_record_opened(app *a, const flow_report *f)
{
    reasm_position at;
    if (f->proto != PROTO_SMTP)
        return;
    reasm_now(&at);
    wk_blob(a->writer, &at, WK_OPENED, f->server, strlen(f->server) + 1);
}

void app_record_connect_failed(app *a, const connect_failed *c)
{
    reasm_position at;
    reasm_now(&at);
    wk_blob(a->writer, &at, WK_CONNECT_FAILED, c, sizeof *c);
}

uint32_t app_record_type(const char *kind)
{
    for (size_t i = 0; i < sizeof record_kinds / sizeof record_kinds[0]; i++)
        if (!strcmp(record_kinds[i].name, kind))
            return record_kinds[i].type;
    return 0;
}

int app_record_fits(uint32_t type, const void *payload, size_t len)
{
    for (size_t i = 0; i < sizeof record_kinds / sizeof record_kinds[0]; i++) {
        if (record_kinds[i].type != type)
            continue;
        uint64_t n = len; /* start and session: the payload itself */
        if (type != WK_REC_START && type != WK_REC_SESSION) {
            if (len < sizeof n)
                return 0;
            memcpy(&n, payload, sizeof n);
            if (n > len - sizeof n)
                return 0;
        }
        return n >= record_kinds[i].min && n <= record_kinds[i].max;
    }
    return 0;
}

/* What the records' bytes depend on besides the version: a merge refuses others'. */
uint64_t app_record_layout(void)
{
    return (uint64_t)sizeof(wk_session_head) << 48 ^ (uint64_t)sizeof(wk_totals) << 32 ^
           (uint64_t)sizeof(unseen_conn) << 16 ^ (uint64_t)sizeof(connect_failed);
}

/* One record as a JSON line of the report. */
static void write_record(void *ctx, const wk_record *r)
{
    app *a = ctx;
    for (size_t i = 0; i < sizeof record_kinds / sizeof record_kinds[0]; i++)
        if (record_kinds[i].type == r->type) {
            uint64_t at[3] = {r->at.frame, r->at.phase, r->at.sub};
            report_record(a->rep, record_kinds[i].name, at, r->at.usec, r->payload, r->len);
        }
}

int app_records_begin(app *a, const char *source)
{
    if (!a->opt.sensor || !a->opt.json)
        return 0;
    if (!(a->writer = wk_writer_new(write_record, a)))
        return -1;
    int several = a->opt.nfiles > 1;
    report_run run = {SMTPSCOPE_VERSION,
                      app_record_layout(),
                      source,
                      a->opt.part,
                      a->opt.nparts,
                      several ? a->opt.files : NULL,
                      several ? a->opt.nfiles : 0};
    report_record_run(a->rep, &run);
    return 0;
}

/* The run's counters, the last record (a worker's, or a --sensor run's). */
static void send_totals(app *a, sniff *sn, int loop_rc)
{
    wk_totals t;
    memset(&t, 0, sizeof t);
    sniff_poll_stats(sn);
    t.sniff = *sniff_get_stats(sn);
    t.reasm = *reasm_get_stats();
    t.read_failed = loop_rc < 0;
    snprintf(t.compression, sizeof t.compression, "%s",
             sniff_compression(sn) ? sniff_compression(sn) : "");
    if (t.read_failed)
        snprintf(t.error, sizeof t.error, "%s", sniff_error(sn));
    wk_blob(a->writer, NULL, WK_TOTALS, &t, sizeof t);
}

void app_records_end(app *a, sniff *sn, int loop_rc)
{
    if (!a->writer)
        return;
    send_totals(a, sn, loop_rc);
    wk_writer_free(a->writer);
    a->writer = NULL;
}

/* ---- in a worker: the pipeline's sink is the pipe ---- */

static uint64_t worker_number(void *ctx)
{
    return app_record_start(ctx);
}

static void worker_ended(void *ctx, void *watch, const flow_report *f)
{
    (void)watch;
    app_record_session(ctx, f);
}

static void worker_unseen(void *ctx, const unseen_conn *u)
{
    app_record_unseen(ctx, u);
}

static void *worker_opened(void *ctx, const flow_report *f, int64_t ts, uint64_t frame,
                           const pipeline_flow *flow)
{
    (void)ts, (void)frame, (void)flow;
    app_record_opened(ctx, f);
    return NULL;
}

static void worker_connect_failed(void *ctx, const connect_failed *c)
{
    app_record_connect_failed(ctx, c);
}

static void worker_progress(void *ctx, uint64_t frame)
{
    app *a = ctx;
    wk_progress(a->writer, frame);
}

static void worker_failed(wk_writer *w, const char *err)
{
    wk_blob(w, NULL, WK_ERROR, err, strlen(err) + 1);
}

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    app *a = ctx;
    pipeline_packet(a->pl, frame, hdr, bytes, sniff_decoded(a->sn));
}

/* Live: every worker watches the interface (a deleted one must end each capture); the first
 * says when it goes down and comes back. */
static void worker_tick(void *ctx)
{
    iface_watch_tick(ctx);
}

/* One worker: the whole pipeline on its share of the flows; what would be reported goes to
 * the parent instead. */
static int worker_main(void *ctx, unsigned index, wk_writer *w)
{
    app *a = ctx;
    char err[PCAP_ERRBUF_SIZE + 512];
    wk_writer_free(a->writer); /* the parent's (a --sensor run's JSON): its copy, not ours */
    a->writer = w;
    sniff *sn = app_open_source(a, err, sizeof err);
    if (!sn)
        return worker_failed(w, err), EXIT_ERROR;
    pipeline_config cfg;
    /* live, the kernel's fanout splits the flows: every packet read is this worker's */
    app_pipeline_config(a, &cfg, index, a->opt.file ? a->nworkers : 0);
    cfg.reasm.max_streams = (a->opt.max_streams + (int)a->nworkers - 1) / (int)a->nworkers;
    if (cfg.reasm.max_streams < 16)
        cfg.reasm.max_streams = 16;
    pipeline_sink sink = {.ctx = a,
                          .number = worker_number,
                          .opened = worker_opened,
                          .ended = worker_ended,
                          .unseen = worker_unseen,
                          .connect_failed = worker_connect_failed,
                          .progress = worker_progress};
    if (!(a->pl = pipeline_open(&cfg, &sink, sniff_handle(sn), err, sizeof err))) {
        sniff_close(sn);
        return worker_failed(w, err), EXIT_ERROR;
    }
    a->sn = sn;
    app_catch_stop_signals(sn, app_on_stop_signal, 0);
    iface_watch iw;
    iface_watch_init(&iw, sn, a->opt.iface, index == 0);
    sniff_set_tick(sn, worker_tick, &iw);
    int loop_rc = sniff_loop(sn, on_packet, a);
    pipeline_finish(a->pl);
    send_totals(a, sn, loop_rc);
    pipeline_close(a->pl);
    sniff_close(sn);
    return EXIT_OK;
}

/* ---- in the parent ---- */

static void merged_session(void *ctx, unsigned source, const flow_report *f)
{
    merged *m = ctx;
    if (m->before_session)
        m->before_session(m->before_ctx, source, m->a->rep);
    app_report_session(m->a, f);
}

/* A file: every worker read the same frames, so its counters are anyone's (the largest, if
 * a signal stopped them apart); live: each saw its own packets, so they add up. */
static void add_totals(merged *m, const wk_totals *t)
{
    if (m->ntotals++ == 0) {
        m->totals = *t;
        return;
    }
    sniff_stats_merge(&m->totals.sniff, &t->sniff, m->same_capture);
    reasm_stats_add(&m->totals.reasm, &t->reasm);
    if (t->read_failed && !m->totals.read_failed) {
        m->totals.read_failed = 1;
        memcpy(m->totals.error, t->error, sizeof t->error);
    }
}

static void merged_blob(void *ctx, unsigned worker, int type, const void *data, size_t len)
{
    merged *m = ctx;
    (void)worker;
    if (type == WK_UNSEEN && len == sizeof(unseen_conn)) {
        unseen_conn u;
        memcpy(&u, data, sizeof u);
        u.client[sizeof u.client - 1] = u.server[sizeof u.server - 1] = '\0';
        app_report_unseen(m->a, &u);
    } else if (type == WK_OPENED && len > 0 && len <= OPENED_MAX) {
        char server[OPENED_MAX];
        memcpy(server, data, len);
        server[len - 1] = '\0';
        flow_report f = {.server = server};
        app_report_opened(m->a, &f);
    } else if (type == WK_CONNECT_FAILED && len == sizeof(connect_failed)) {
        connect_failed c;
        memcpy(&c, data, sizeof c);
        c.client[sizeof c.client - 1] = c.server[sizeof c.server - 1] = '\0';
        app_report_connect_failed(m->a, &c);
    } else if (type == WK_TOTALS && len == sizeof(wk_totals)) {
        wk_totals t;
        memcpy(&t, data, sizeof t);
        t.error[sizeof t.error - 1] = '\0';
        t.compression[sizeof t.compression - 1] = '\0';
        add_totals(m, &t);
    } else if (type == WK_ERROR && len > 0 && !m->worker_error[0]) {
        snprintf(m->worker_error, sizeof m->worker_error, "%.*s", (int)len, (const char *)data);
    }
}

/* The parent reads no packets, but gives root up all the same. */
static void parent_started(void *ctx)
{
    merged *m = ctx;
    char err[512];
    if (privs_drop(m->a->opt.user, err, sizeof err) < 0 && !m->worker_error[0]) {
        snprintf(m->worker_error, sizeof m->worker_error, "%s", err);
        workers_stop();
    }
}

static void on_parent_signal(int sig)
{
    (void)sig;
    workers_stop();
}

/* A --sensor run with workers: the records as one process would write them (the counters
 * once, at the end). */
static void parent_record(void *ctx, const wk_record *r)
{
    merged *m = ctx;
    if (r->type != WK_TOTALS)
        write_record(m->a, r);
}

static int merged_end(merged *m)
{
    app *a = m->a;
    capture_summary cap;
    if (a->writer) {
        wk_blob(a->writer, NULL, WK_TOTALS, &m->totals, sizeof m->totals);
        wk_writer_free(a->writer);
        a->writer = NULL;
    }
    pipeline_summary(&cap, m->source, &m->totals.sniff, &m->totals.reasm,
                     m->totals.read_failed ? m->totals.error : NULL);
    cap.compression = m->totals.compression[0] ? m->totals.compression : NULL;
    return app_finish_extract(a, app_report_end(a, &cap));
}

int app_run_workers(app *a, unsigned n)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    merged m = {.a = a, .same_capture = a->opt.file != NULL};
    if (a->opt.file)
        snprintf(m.source, sizeof m.source, "%s", a->opt.file);
    else
        snprintf(m.source, sizeof m.source, "interface %s", a->opt.iface);
    a->rep = app_new_report(a);
    if (!a->rep || app_records_begin(a, m.source) < 0)
        return cli_fail("%s", "out of memory"), report_free(a->rep), EXIT_ERROR;
    if (a->opt.iface)
        setvbuf(stdout, NULL, _IOLBF, 0);
    a->nworkers = n;
    a->fanout_group = ((unsigned)getpid() & 0xffff) | 1u << 16; /* bit 16: "set" */
    app_catch_stop_signals(NULL, on_parent_signal, 1);
    wk_handlers h = {merged_session, merged_blob, parent_started, NULL, &m};
    if (a->writer)
        h.record = parent_record;
    int rc = workers_run(n, a->opt.file != NULL, worker_main, a, &h, err, sizeof err);
    int status;
    if (m.worker_error[0])
        status = (cli_fail("%s", m.worker_error), EXIT_ERROR);
    else if (rc < 0)
        status = (cli_fail("%s", err), EXIT_ERROR);
    else if (m.ntotals != n)
        status = (cli_fail("%s", "a worker ended without its counters"), EXIT_ERROR);
    else
        status = merged_end(&m);
    report_free(a->rep);
    wk_writer_free(a->writer);
    a->writer = NULL;
    return status;
}

int app_merge_records(app *a, unsigned n, wk_order order, wk_next_fn next, void *ctx,
                      void (*source)(void *ctx, char *out, size_t len),
                      void (*before_session)(void *ctx, unsigned source, report *rep),
                      const app_merge_files *files)
{
    char err[512];
    merged m = {.a = a,
                .same_capture = order == WK_BY_POSITION,
                .before_session = order == WK_BY_POSITION ? NULL : before_session,
                .before_ctx = ctx};
    a->rep = app_new_report(a);
    if (!a->rep)
        return cli_fail("%s", "out of memory"), EXIT_ERROR;
    /* partitions of several files: named and announced as the single run does (one.c) */
    report_frame_files(files->names, files->n);
    for (unsigned i = 0; i < files->n; i++)
        report_capture_file(a->rep, files->names[i], sniff_frame_make(i, 1));
    wk_handlers h = {merged_session, merged_blob, NULL, NULL, &m};
    int status, rc = workers_merge(n, order, next, ctx, &h, err, sizeof err);
    if (m.before_session) /* what follows is every run's: frames as numbers */
        report_frame_files(files->names, files->n);
    source(ctx, m.source, sizeof m.source);
    if (rc < 0)
        status = err[0] ? (cli_fail("--merge: %s", err), EXIT_ERROR) : EXIT_ERROR;
    else if (m.ntotals == 0)
        status = (cli_fail("%s", "--merge: no run's counters (a run that did not end: its "
                                 "records are merged, its packets not counted)"),
                  merged_end(&m), EXIT_ERROR);
    else
        status = merged_end(&m);
    report_free(a->rep);
    report_frame_files(NULL, 0); /* the names are the caller's */
    return status;
}
