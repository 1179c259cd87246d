/* one: a capture read by this one process (no --workers): the pipeline's sink is the report
 * or the live screen, the loop feeds the monitor (--stats, --metrics); main.c runs it for -r
 * and -i, path.c once for each side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/handoff.h"
#include "cli/monitor.h"
#include "cli/tui.h"

/* ---- one process: the pipeline's sink ---- */

/* With --sensor, each also goes to the run's records (a->writer) for --merge. */

static uint64_t next_number(void *ctx)
{
    app *a = ctx;
    if (a->writer)
        app_record_start(a); /* numbers as this one: both count from 1 */
    return ++a->next_id;
}

static void session_ended(void *ctx, void *watch, const flow_report *f)
{
    app *a = ctx;
    (void)watch;
    if (a->writer)
        app_record_session(a, f);
    app_report_session(a, f);
}

static void unseen(void *ctx, const unseen_conn *u)
{
    app *a = ctx;
    if (a->writer)
        app_record_unseen(a, u);
    app_report_unseen(a, u);
}

/* Not watched (NULL): the report only counts the sessions open at each server. */
static void *session_opened(void *ctx, const flow_report *f, int64_t ts, uint64_t frame,
                            const pipeline_flow *flow)
{
    app *a = ctx;
    (void)ts, (void)frame, (void)flow;
    if (a->writer)
        app_record_opened(a, f);
    app_report_opened(a, f);
    return NULL;
}

static void connect_failed_at(void *ctx, const connect_failed *c)
{
    app *a = ctx;
    if (a->writer)
        app_record_connect_failed(a, c);
    app_report_connect_failed(a, c);
}

/* A -w file begun: where its frames start in the report's numbering. */
static void capture_file_begun(void *ctx, const char *name, uint64_t first_frame)
{
    app *a = ctx;
    report_capture_file(a->rep, name, first_frame);
}

/* ---- the live screen's view of the sessions ---- */

static void *screen_opened(void *ctx, const flow_report *f, int64_t ts, uint64_t frame,
                           const pipeline_flow *flow)
{
    app *a = ctx;
    app_report_opened(a, f);
    ui_session *s = ui_model_open(a->model, f->id, f->client, f->server, ts, frame, (void *)flow);
    ui_model_set_proto(a->model, s, f->proto);
    return s;
}

static void screen_event(void *ctx, void *watch, proto_id proto, const void *event)
{
    app *a = ctx;
    ui_model_event(a->model, watch, proto, event);
}

static void screen_tcp_end(void *ctx, void *watch, int rst, flow_side from, int64_t ts,
                           uint64_t frame)
{
    app *a = ctx;
    ui_model_tcp_end(a->model, watch, rst, (smtp_dir)from, ts, frame);
}

/* The screen keeps a session's report text for its detail pane. */
static void write_detail(void *ctx, void *owner, FILE *out)
{
    (void)ctx;
    flow_report f = pipeline_flow_report(owner);
    report_flow_text(out, &f);
}

static void screen_ended(void *ctx, void *watch, const flow_report *f)
{
    app *a = ctx;
    app_report_session(a, f);
    if (!watch)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        report_flow_text(out, f);
        fclose(out);
    }
    ui_model_end(a->model, watch, f, text ? text : "", text ? len : 0);
    free(text);
}

/* ---- one process ---- */

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    app *a = ctx;
    if (a->monitor)
        monitor_packet(a->monitor, sniff_usec(hdr->ts));
    pipeline_packet(a->pl, frame, hdr, bytes, sniff_decoded(a->sn));
}

static void finish(void *ctx)
{
    app *a = ctx;
    pipeline_finish(a->pl);
}

/* The live screen: on a live capture when the output is a terminal, or asked for. */
int app_wants_tui(const options *o)
{
    if (o->tui >= 0)
        return o->tui;
    if (o->workers > 1)
        return 0;
    return o->iface && !o->json && o->stats <= 0 && !o->metrics && isatty(STDIN_FILENO) &&
           isatty(STDOUT_FILENO);
}

/* The report's loop: the monitor sees every packet (a file's periods) and every read (live:
 * the clock's periods and the interface, also while no packet comes). */
static int report_loop(app *a, sniff *sn, char *err, size_t errlen)
{
    monitor mon;
    if (monitor_start(&mon, a, err, errlen) < 0)
        return -2;
    a->monitor = &mon;
    sniff_set_tick(sn, monitor_tick, &mon);
    int rc = sniff_loop(sn, on_packet, a);
    pipeline_finish(a->pl);
    monitor_end(&mon);
    sniff_set_tick(sn, NULL, NULL);
    a->monitor = NULL;
    return rc;
}

/* Several -r files: each is announced with its first frame's name (JSON: capture_file). */
static void announce_files(app *a)
{
    for (unsigned i = 0; a->opt.nfiles > 1 && i < a->opt.nfiles; i++)
        report_capture_file(a->rep, a->opt.files[i], sniff_frame_make(i, 1));
}

/* The summary's source: the file, the files ("a.pcap, b.pcap"), or the interface. */
static const char *source_name(const app *a, const sniff *sn, char *out, size_t len)
{
    if (a->opt.nfiles < 2)
        return a->opt.file ? a->opt.file : sniff_source(sn);
    return app_files_text(a->opt.files, a->opt.nfiles, out, len);
}

static int run_loop(app *a, sniff *sn, char *err, size_t errlen)
{
    if (!app_wants_tui(&a->opt)) {
        announce_files(a);
        sniff_on_capture_file(sn, capture_file_begun, a);
        return report_loop(a, sn, err, errlen);
    }
    /* the live screen owns the terminal: no session lines, no capture_file lines */
    report_quiet_sessions(a->rep);
    report_on_duplicate(a->rep, ui_model_duplicate, a->model); /* groups as they form */
    tui_hooks h = {on_packet, finish, write_detail, a};
    return tui_run(a->model, sn, &h, a->opt.speed, &app_stop_requested, err, errlen);
}

int app_run_one(app *a, sniff *sn, char *err, size_t errlen)
{
    int tui = app_wants_tui(&a->opt);
    pipeline_config cfg;
    pipeline_sink sink = {.ctx = a,
                          .number = next_number,
                          .opened = session_opened,
                          .ended = session_ended,
                          .unseen = unseen,
                          .connect_failed = connect_failed_at};
    if (tui && !(a->model = ui_model_new(UI_DEFAULT_CAPACITY)))
        return cli_fail("%s", "out of memory"), EXIT_ERROR;
    if (tui)
        sink = (pipeline_sink){.ctx = a,
                               .number = next_number,
                               .opened = screen_opened,
                               .event = screen_event,
                               .tcp_end = screen_tcp_end,
                               .ended = screen_ended,
                               .unseen = unseen,
                               .connect_failed = connect_failed_at};
    /* --partition K/N: the flows whose address pair hashes to K - 1 of N (as a worker's) */
    app_pipeline_config(a, &cfg, a->opt.nparts ? a->opt.part - 1 : 0, a->opt.nparts);
    if (!(a->pl = pipeline_open(&cfg, &sink, sniff_handle(sn), err, errlen)))
        return cli_fail("%s", err), EXIT_ERROR;
    a->sn = sn;
    char src[4096];
    if (!a->path && app_records_begin(a, source_name(a, sn, src, sizeof src)) < 0)
        return cli_fail("%s", "out of memory"), EXIT_ERROR;
    if (a->opt.iface) /* each session's report as it ends, not when a buffer fills */
        setvbuf(stdout, NULL, _IOLBF, 0);
    app_catch_stop_signals(sn, app_on_stop_signal, 1);
    int loop_rc = run_loop(a, sn, err, errlen);
    if (sniff_files_done(sn))
        fprintf(stderr,
                "smtpscope: -W %u: the last of %u files is written, the capture ends "
                "(as tcpdump -G -W)\n",
                a->opt.rotate_files, a->opt.rotate_files);
    pipeline_finish(a->pl);
    app_records_end(a, sn, loop_rc);
    capture_summary cap;
    sniff_poll_stats(sn);
    pipeline_summary(&cap, source_name(a, sn, src, sizeof src), sniff_get_stats(sn),
                     reasm_get_stats(), loop_rc < 0 ? sniff_error(sn) : NULL);
    cap.compression = sniff_compression(sn);
    int status = loop_rc == -2 ? (cli_fail("%s", err), EXIT_ERROR) : app_report_end(a, &cap);
    pipeline_close(a->pl);
    ui_model_free(a->model);
    return status;
}
