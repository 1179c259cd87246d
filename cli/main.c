/* smtpscope: reads a capture, reassembles TCP, follows SMTP sessions and reports why mail
 * is lost, stalled or delivered twice. This file only wires the modules together:
 * sniff -> reassembly -> smtp -> report. */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "sniff/privs.h"
#include "cli/tui.h"
#include "cli/workers.h"
#include "reassembly/reasm.h"
#include "report/report.h"
#include "smtp/smtp.h"
#include "sniff/sniff.h"
#include "ui/model.h"

/* What a worker tells at its end: the capture's counters and its reassembly's. */
typedef struct wk_totals {
    sniff_stats sniff;
    reasm_stats reasm;
    int read_failed;
    char error[PCAP_ERRBUF_SIZE + 64];
} wk_totals;

typedef struct app {
    options opt;
    report *rep;
    const sniff *sn;
    uint64_t next_id;
    int warned_evicted;
    ui_model *model; /* the live screen's, or NULL */
    /* --workers: in a worker, where its records go and which flows are its own */
    wk_writer *writer;
    unsigned nworkers;     /* --workers, as resolved */
    unsigned part, nparts; /* nparts 0: every packet is this process's */
    /* in the parent: what the workers said at their end */
    wk_totals totals;
    unsigned ntotals;
    char worker_error[PCAP_ERRBUF_SIZE + 512];
    unsigned fanout_group; /* live workers share the interface through it */
    char source[300];      /* the capture, as the summary names it */
    int dlt;
} app;

/* --detect: a session on a port not in --ports is held on probation, its first bytes kept,
 * until they show SMTP (a 220 greeting, then EHLO, HELO or QUIT from the client) or not.
 * Bounded: what does not fit decides at once. */
#define HOLD_SERVER 2048
#define HOLD_CLIENT 512
#define HOLD_SEGS 128 /* an interactive client may send its EHLO a byte at a time */

typedef struct held_seg {
    reasm_dir dir;
    uint32_t off, len; /* in that direction's buffer */
    uint64_t frame;
    struct timeval ts;
} held_seg;

typedef struct probe {
    uint8_t server[HOLD_SERVER], client[HOLD_CLIENT];
    uint32_t server_len, client_len;
    held_seg seg[HOLD_SEGS];
    unsigned nseg;
} probe;

typedef struct session {
    uint64_t id;
    char client[64], server[64];
    smtp_session *smtp; /* NULL while on probation */
    probe *probe;       /* non-NULL while on probation */
    struct timeval start;
    uint64_t start_frame;
    ui_model *model;
    ui_session *ui; /* its entry on the live screen, or NULL */
} session;

/* ---- the pipeline's callbacks ---- */

static void on_smtp_event(void *ctx, const smtp_event *ev)
{
    session *s = ctx;
    ui_model_smtp_event(s->model, s->ui, ev);
}

/* A session becomes SMTP: it gets its number and its analyser. */
static int start_smtp(app *a, session *s)
{
    s->smtp = smtp_session_new(sniff_usec(s->start), s->start_frame);
    if (!s->smtp)
        return -1;
    smtp_session_configure(s->smtp, &a->opt.smtp);
    if (a->writer) {
        reasm_position at;
        reasm_now(&at);
        s->id = wk_start(a->writer, &at);
    } else {
        s->id = ++a->next_id;
    }
    if (a->model) {
        s->model = a->model;
        s->ui = ui_model_open(a->model, s->id, s->client, s->server, sniff_usec(s->start),
                              s->start_frame, s);
        if (s->ui)
            smtp_set_observer(s->smtp, on_smtp_event, s);
    }
    return 0;
}

static void *on_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                     struct timeval ts, uint64_t frame)
{
    app *a = ctx;
    int smtp_port = port_is_smtp(&a->opt, server->port);
    if (!smtp_port && !a->opt.detect)
        return NULL;
    session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->start = ts;
    s->start_frame = frame;
    reasm_format_endpoint(s->client, sizeof s->client, client);
    reasm_format_endpoint(s->server, sizeof s->server, server);
    if (smtp_port ? start_smtp(a, s) : !(s->probe = calloc(1, sizeof *s->probe))) {
        free(s);
        return NULL;
    }
    return s;
}

static void free_session(session *s)
{
    smtp_session_free(s->smtp);
    free(s->probe);
    free(s);
}

/* ---- --detect: is it SMTP? ---- */

enum { NOT_SMTP, SMTP, UNDECIDED };

static int greeting_is_220(const probe *p)
{
    static const char code[] = "220";
    uint32_t n = p->server_len;
    for (uint32_t i = 0; i < 3 && i < n; i++)
        if (p->server[i] != (uint8_t)code[i])
            return 0;
    return n < 4 || p->server[3] == ' ' || p->server[3] == '-' || p->server[3] == '\r' ||
           p->server[3] == '\n';
}

/* The client's first line opens a session: EHLO, HELO (or QUIT, giving up at once). */
static int first_command_is_smtp(const uint8_t *line, size_t len)
{
    static const char *const verbs[] = {"EHLO", "HELO", "QUIT"};
    if (len < 4 || (len > 4 && line[4] != ' ' && line[4] != '\r' && line[4] != '\n'))
        return 0;
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
        size_t i = 0;
        while (i < 4 && (line[i] & 0xdf) == (uint8_t)verbs[v][i])
            i++;
        if (i == 4)
            return 1;
    }
    return 0;
}

static int verdict(const probe *p)
{
    if (p->server_len == 0)
        return p->client_len == 0 ? UNDECIDED : NOT_SMTP; /* the client spoke first */
    if (!greeting_is_220(p))
        return NOT_SMTP;
    if (p->server_len < 4)
        return UNDECIDED;
    const uint8_t *eol = memchr(p->client, '\n', p->client_len);
    if (eol == NULL)
        return p->client_len < HOLD_CLIENT ? UNDECIDED : NOT_SMTP;
    return first_command_is_smtp(p->client, (size_t)(eol - p->client) + 1) ? SMTP : NOT_SMTP;
}

/* When nothing more can be held, or the session ended: a 220 greeting that the client has
 * not answered (a long greeting, a stalled one) is taken as SMTP. */
static int final_verdict(const probe *p)
{
    int v = verdict(p);
    if (v != UNDECIDED)
        return v;
    return p->server_len >= 3 && greeting_is_220(p) && p->client_len == 0 ? SMTP : NOT_SMTP;
}

/* The segment seg did not fit: a client line longer than the client buffer is no EHLO, and
 * a first client segment that does not fit is judged by its own first line. */
static int overflow_verdict(const probe *p, const reasm_segment *seg)
{
    if (seg->dir != REASM_FROM_CLIENT)
        return final_verdict(p);
    if (p->server_len == 0 || !greeting_is_220(p) || p->client_len > 0)
        return NOT_SMTP;
    const uint8_t *eol = memchr(seg->data, '\n', seg->len);
    return eol && first_command_is_smtp(seg->data, (size_t)(eol - seg->data) + 1) ? SMTP : NOT_SMTP;
}

/* Keeps a segment; 0 when it does not fit. */
static int hold(probe *p, const reasm_segment *seg)
{
    int srv = seg->dir == REASM_FROM_SERVER;
    uint32_t used = srv ? p->server_len : p->client_len, cap = srv ? HOLD_SERVER : HOLD_CLIENT;
    if (p->nseg == HOLD_SEGS || seg->len > cap - used)
        return 0;
    memcpy((srv ? p->server : p->client) + used, seg->data, seg->len);
    held_seg *h = &p->seg[p->nseg++];
    *h = (held_seg){seg->dir, used, (uint32_t)seg->len, seg->frame, seg->ts};
    if (srv)
        p->server_len += (uint32_t)seg->len;
    else
        p->client_len += (uint32_t)seg->len;
    return 1;
}

static void feed(session *s, reasm_dir dir, const uint8_t *data, size_t len, struct timeval ts,
                 uint64_t frame)
{
    smtp_feed(s->smtp, dir == REASM_FROM_CLIENT ? SMTP_CLIENT : SMTP_SERVER, data, len,
              sniff_usec(ts), frame);
}

/* Proven SMTP: the held segments go to the analyser in the order they came. */
static int promote(app *a, session *s)
{
    probe *p = s->probe;
    if (start_smtp(a, s) < 0)
        return -1;
    for (unsigned i = 0; i < p->nseg; i++) {
        const held_seg *h = &p->seg[i];
        const uint8_t *buf = h->dir == REASM_FROM_SERVER ? p->server : p->client;
        feed(s, h->dir, buf + h->off, h->len, h->ts, h->frame);
    }
    free(p);
    s->probe = NULL;
    return 0;
}

/* A segment of a session on probation: 1 when the session is now SMTP and seg still has to
 * be fed, 0 when it was held (and maybe fed by the promotion), -1 when it is not SMTP. */
static int probe_segment(app *a, session *s, const reasm_segment *seg)
{
    int held = hold(s->probe, seg);
    int v = held ? verdict(s->probe) : overflow_verdict(s->probe, seg);
    if (v == UNDECIDED)
        return 0;
    if (v == NOT_SMTP || promote(a, s) < 0)
        return -1;
    return !held;
}

static void on_data(void *ctx, void *handle, const reasm_segment *seg)
{
    session *s = handle;
    if (s->probe) {
        int r = probe_segment(ctx, s, seg);
        if (r < 0) {
            free_session(s);
            reasm_unfollow();
        }
        if (r <= 0)
            return;
    }
    feed(s, seg->dir, seg->data, seg->len, seg->ts, seg->frame);
}

static void on_tcp_event(void *ctx, void *handle, const reasm_tcp_event *ev)
{
    session *s = handle;
    smtp_dir from = ev->from == REASM_FROM_CLIENT ? SMTP_CLIENT : SMTP_SERVER;
    (void)ctx;
    if (!s->smtp)
        return; /* still on probation (--detect): no SMTP state to inform yet */
    switch (ev->kind) {
    case REASM_EV_FIN:
        smtp_tcp_fin(s->smtp, from, sniff_usec(ev->ts), ev->frame);
        if (s->ui)
            ui_model_tcp_end(s->model, s->ui, 0, from, sniff_usec(ev->ts), ev->frame);
        break;
    case REASM_EV_RETRANSMISSION:
        smtp_tcp_retransmission(s->smtp, from, ev->offset, ev->len, sniff_usec(ev->ts), ev->frame);
        break;
    case REASM_EV_ZERO_WINDOW:
        smtp_tcp_zero_window(s->smtp, from, sniff_usec(ev->ts), ev->frame);
        break;
    }
}

/* The live screen keeps the session's report text for its detail pane. */
static void write_detail(void *ctx, void *owner, FILE *out)
{
    (void)ctx;
    const session *s = owner;
    report_session_text(out, s->id, s->client, s->server, smtp_get_report(s->smtp));
}

static void screen_end(session *s, const reasm_end *end, int closed_by)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (end->reason == REASM_END_RST)
        ui_model_tcp_end(s->model, s->ui, 1, closed_by < 0 ? SMTP_CLIENT : (smtp_dir)closed_by,
                         sniff_usec(end->ts), end->frame);
    if (f) {
        write_detail(NULL, s, f);
        fclose(f);
    }
    ui_model_end(s->model, s->ui, smtp_get_report(s->smtp), text ? text : "", text ? len : 0);
    free(text);
}

/* A finished session into the report (in the parent, as the workers' merge delivers it). */
static void report_ended(app *a, uint64_t id, const char *client, const char *server,
                         const smtp_report *r)
{
    if (r->end_reason == SMTP_END_EVICTED && !a->warned_evicted) {
        a->warned_evicted = 1; /* said once here; the summary counts them all */
        fprintf(stderr,
                "smtpscope: more than %d connections open at once: the oldest are dropped "
                "unfinished (raise --max-streams)\n",
                a->opt.max_streams);
    }
    report_session(a->rep, id, client, server, r);
}

static void on_end(void *ctx, void *handle, const reasm_end *end)
{
    app *a = ctx;
    session *s = handle;
    static const smtp_end_reason reasons[] = {SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT,
                                              SMTP_END_CAPTURE_END, SMTP_END_EVICTED};
    int closed_by = end->closed_by == REASM_FROM_CLIENT   ? SMTP_CLIENT
                    : end->closed_by == REASM_FROM_SERVER ? SMTP_SERVER
                                                          : -1;
    if (s->probe && (final_verdict(s->probe) != SMTP || promote(a, s) < 0)) {
        free_session(s);
        return;
    }
    smtp_end(s->smtp, reasons[end->reason], closed_by, sniff_usec(end->ts), end->frame);
    if (a->writer) {
        reasm_position at;
        reasm_now(&at);
        wk_session(a->writer, &at, s->id, s->client, s->server, smtp_get_report(s->smtp));
    } else {
        report_ended(a, s->id, s->client, s->server, smtp_get_report(s->smtp));
    }
    if (s->ui)
        screen_end(s, end, closed_by);
    free_session(s);
}

/* ---- connections seen without their handshake ---- */

static int looks_like_command(const uint8_t *p, size_t len)
{
    static const char *const verbs[] = {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET",
                                        "NOOP", "QUIT", "VRFY", "AUTH", "BDAT", "STAR"};
    if (len < 4)
        return 0;
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
        size_t i = 0;
        while (i < 4 && (p[i] & 0xdf) == (uint8_t)verbs[v][i])
            i++;
        if (i == 4)
            return 1;
    }
    return 0;
}

static int looks_like_reply(const uint8_t *p, size_t len)
{
    return len >= 4 && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' && p[2] >= '0' &&
           p[2] <= '9' && (p[3] == ' ' || p[3] == '-' || p[3] == '\r');
}

/* A connection on an SMTP port, or with --detect one whose bytes look like SMTP, is worth
 * telling about; orients it by the SMTP port when reasm's guess has it backwards. */
static int unseen_is_smtp(const app *a, reasm_unseen *u)
{
    if (!port_is_smtp(&a->opt, u->server.port) && port_is_smtp(&a->opt, u->client.port)) {
        reasm_endpoint e = u->client;
        u->client = u->server;
        u->server = e;
        const uint8_t *d = u->client_data;
        size_t n = u->client_len;
        u->client_data = u->server_data;
        u->client_len = u->server_len;
        u->server_data = d;
        u->server_len = n;
    }
    if (port_is_smtp(&a->opt, u->server.port))
        return 1;
    return a->opt.detect && (looks_like_reply(u->server_data, u->server_len) ||
                             looks_like_command(u->client_data, u->client_len));
}

static void on_unseen(void *ctx, const reasm_unseen *seen)
{
    app *a = ctx;
    reasm_unseen u = *seen;
    if (!unseen_is_smtp(a, &u))
        return;
    unseen_conn l;
    memset(&l, 0, sizeof l); /* sent whole to the parent with --workers */
    reasm_format_endpoint(l.client, sizeof l.client, &u.client);
    reasm_format_endpoint(l.server, sizeof l.server, &u.server);
    l.first = sniff_usec(u.first);
    l.last = sniff_usec(u.last);
    l.first_frame = u.first_frame;
    l.last_frame = u.last_frame;
    l.packets = u.packets;
    l.bytes = u.bytes;
    l.syn_seen = u.syn_seen;
    if (a->writer) {
        reasm_position at;
        reasm_now(&at);
        wk_blob(a->writer, &at, WK_UNSEEN, &l, sizeof l);
    } else {
        report_unseen(a->rep, &l);
    }
}

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    const app *a = ctx;
    const net_packet *decoded = sniff_decoded(a->sn);
    if (a->nparts == 0) {
        if (decoded)
            reasm_packet_decoded(frame, hdr, decoded);
        else
            reasm_packet(frame, hdr, bytes);
        return;
    }
    net_packet p;
    if (!decoded) {
        net_decode(a->dlt, bytes, hdr->caplen, &p);
        decoded = &p;
    }
    /* Every worker reads every frame; the clock moves on in all, the packet goes to one. */
    if (net_pair_hash(decoded) % a->nparts == a->part)
        reasm_packet_decoded(frame, hdr, decoded);
    else
        reasm_tick(frame, hdr, decoded);
    wk_progress(a->writer, frame);
}

/* ---- main ---- */

/* The summary's view of the capture, from the counters of sniff and reasm. */
static void summarise_capture(capture_summary *c, const char *source, const sniff_stats *st,
                              const reasm_stats *rs, const char *read_error)
{
    memset(c, 0, sizeof *c);
    c->source = source;
    c->frames = st->frames;
    c->matched = st->matched;
    c->bytes = st->bytes;
    c->first = sniff_usec(st->first);
    c->last = sniff_usec(st->last);
    c->streams_evicted = rs->evicted;
    c->idle_expired = rs->idle_expired;
    c->warn_ip = rs->warn_ip;
    c->warn_tcp = rs->warn_tcp;
    c->read_error = read_error;
    c->live = st->live;
    c->drops = st->drops;
    c->if_drops = st->if_drops;
}

static void fill_capture(capture_summary *c, const app *a, sniff *sn, int read_failed)
{
    sniff_poll_stats(sn);
    summarise_capture(c, a->opt.file ? a->opt.file : sniff_source(sn), sniff_get_stats(sn),
                      reasm_get_stats(), read_failed ? sniff_error(sn) : NULL);
}

static sniff *open_capture(const app *a, FILE *dump, char *err, size_t errlen)
{
    /* Without a BPF expression: TCP on the SMTP ports (any port with --detect) and IP
     * fragments, whatever the link layer (sniff.h). */
    sniff_config sc = {.file = a->opt.file,
                       .iface = a->opt.iface,
                       .filter = a->opt.filter,
                       .count = a->opt.count,
                       .snaplen = a->opt.snaplen,
                       .buffer_kib = a->opt.buffer_kib,
                       .no_promisc = a->opt.no_promisc,
                       .dump = dump,
                       .fanout_group = a->fanout_group};
    if (!a->opt.filter && !a->opt.detect)
        sc.ports = a->opt.ports;
    sc.any_tcp = !a->opt.filter && a->opt.detect;
    return sniff_open(&sc, err, errlen);
}

/* ---- the packet loop ---- */

static sniff *volatile stop_target;
static volatile sig_atomic_t stop_requested;

/* Ctrl-C (or a kill) ends the capture cleanly: open sessions end as capture_end and the
 * summary is printed. A second one while finishing is not caught again. */
static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (stop_target)
        sniff_stop(stop_target);
}

/* A worker keeps its handler: Ctrl-C reaches it from the terminal and from the parent. */
static void catch_stop_signals(sniff *sn, void (*handler)(int), int once)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = once ? SA_RESETHAND : 0;
    sigemptyset(&sa.sa_mask);
    stop_target = sn;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int finished;

static void finish(void *ctx)
{
    (void)ctx;
    if (!finished)
        reasm_finish();
    finished = 1;
}

/* The live screen: on a live capture when the output is a terminal, or asked for. */
static int wants_tui(const options *o)
{
    if (o->tui >= 0)
        return o->tui;
    if (o->workers > 1)
        return 0;
    return o->iface && !o->json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static int run_tui(app *a, sniff *sn, char *err, size_t errlen)
{
    a->model = ui_model_new(UI_DEFAULT_CAPACITY);
    if (!a->model)
        return snprintf(err, errlen, "out of memory"), -2;
    report_quiet_sessions(a->rep);
    tui_hooks h = {on_packet, finish, write_detail, a};
    int rc = tui_run(a->model, sn, &h, a->opt.speed, &stop_requested, err, errlen);
    return rc;
}

/* Opens the capture (and -w) while privileged, then gives root up. */
static sniff *open_source(app *a, char *err, size_t errlen)
{
    FILE *dump = NULL;
    if (a->opt.write_file && !(dump = privs_create_output(a->opt.write_file, err, errlen)))
        return NULL;
    sniff *sn = open_capture(a, dump, err, errlen);
    if (sn && privs_drop(a->opt.user, err, errlen) < 0) {
        sniff_close(sn);
        return NULL;
    }
    return sn;
}

static int report_end(app *a, const capture_summary *cap)
{
    report_summary(a->rep, cap);
    int status = cap->read_error ? EXIT_ERROR : EXIT_OK;
    if (cap->read_error && a->opt.file)
        fprintf(stderr, "smtpscope: %s: damaged capture, analysed up to frame %" PRIu64 ": %s\n",
                a->opt.file, cap->frames, cap->read_error);
    else if (cap->read_error)
        fprintf(stderr, "smtpscope: %s: capture failed after %" PRIu64 " packets: %s\n",
                cap->source, cap->frames, cap->read_error);
    if (report_error(a->rep) < 0) {
        fail("writing the report failed: %s", strerror(errno));
        status = EXIT_ERROR;
    }
    return status;
}

/* ---- --workers: the processes and their merge ---- */

static unsigned worker_count(const options *o)
{
    if (o->workers)
        return (unsigned)o->workers;
    if (wants_tui(o) || one_process(o))
        return 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (unsigned)n;
}

static void worker_failed(wk_writer *w, const char *err)
{
    wk_blob(w, NULL, WK_ERROR, err, strlen(err) + 1);
}

/* One worker: the whole pipeline on its share of the flows; what would be reported goes to
 * the parent instead. */
static int worker_main(void *ctx, unsigned index, wk_writer *w)
{
    app *a = ctx;
    char err[PCAP_ERRBUF_SIZE + 512];
    unsigned n = a->nworkers;
    a->writer = w;
    a->part = index;
    a->nparts = a->opt.file ? n : 0; /* live, the kernel's fanout splits the flows */
    sniff *sn = open_source(a, err, sizeof err);
    if (!sn)
        return worker_failed(w, err), EXIT_ERROR;
    /* The table is shared out: the same memory in all as in one process. */
    int share = (a->opt.max_streams + (int)n - 1) / (int)n;
    reasm_config rc = {a->opt.verify_checksums, share < 16 ? 16 : share, a->opt.idle_timeout};
    reasm_callbacks cb = {on_open, on_data, on_end, a, on_unseen, on_tcp_event};
    if (reasm_init(&rc, &cb, sniff_handle(sn), err, sizeof err) < 0) {
        sniff_close(sn);
        return worker_failed(w, err), EXIT_ERROR;
    }
    a->sn = sn;
    a->dlt = pcap_datalink(sniff_handle(sn));
    catch_stop_signals(sn, on_stop_signal, 0);
    int loop_rc = sniff_loop(sn, on_packet, a);
    finish(a);
    wk_totals t;
    memset(&t, 0, sizeof t);
    sniff_poll_stats(sn);
    t.sniff = *sniff_get_stats(sn);
    t.reasm = *reasm_get_stats();
    t.read_failed = loop_rc < 0;
    if (t.read_failed)
        snprintf(t.error, sizeof t.error, "%s", sniff_error(sn));
    wk_blob(w, NULL, WK_TOTALS, &t, sizeof t);
    sniff_close(sn);
    return EXIT_OK;
}

static void merged_session(void *ctx, uint64_t id, const char *client, const char *server,
                           const smtp_report *r)
{
    report_ended(ctx, id, client, server, r);
}

/* A file: every worker read the same frames, so its counters are anyone's (the largest, if
 * a signal stopped them apart); live: each saw its own packets, so they add up. */
static void add_totals(app *a, const wk_totals *t)
{
    sniff_stats *m = &a->totals.sniff;
    const sniff_stats *s = &t->sniff;
    if (a->ntotals++ == 0) {
        a->totals = *t;
        return;
    }
    if (a->opt.file) {
        if (s->frames > m->frames)
            *m = *s;
    } else {
        m->frames += s->frames;
        m->matched += s->matched;
        m->bytes += s->bytes;
        m->drops += s->drops;
        m->if_drops += s->if_drops;
        if (s->matched && (!m->first.tv_sec || timercmp(&s->first, &m->first, <)))
            m->first = s->first;
        if (timercmp(&s->last, &m->last, >))
            m->last = s->last;
    }
    reasm_stats *r = &a->totals.reasm;
    r->packets += t->reasm.packets;
    r->ip6_packets += t->reasm.ip6_packets;
    r->sessions += t->reasm.sessions;
    r->evicted += t->reasm.evicted;
    r->idle_expired += t->reasm.idle_expired;
    r->unseen += t->reasm.unseen;
    r->warn_ip += t->reasm.warn_ip;
    r->warn_tcp += t->reasm.warn_tcp;
    if (t->read_failed && !a->totals.read_failed) {
        a->totals.read_failed = 1;
        memcpy(a->totals.error, t->error, sizeof t->error);
    }
}

static void merged_blob(void *ctx, unsigned worker, int type, const void *data, size_t len)
{
    app *a = ctx;
    (void)worker;
    if (type == WK_UNSEEN && len == sizeof(unseen_conn)) {
        unseen_conn l;
        memcpy(&l, data, sizeof l);
        l.client[sizeof l.client - 1] = l.server[sizeof l.server - 1] = '\0';
        report_unseen(a->rep, &l);
    } else if (type == WK_TOTALS && len == sizeof(wk_totals)) {
        wk_totals t;
        memcpy(&t, data, sizeof t);
        t.error[sizeof t.error - 1] = '\0';
        add_totals(a, &t);
    } else if (type == WK_ERROR && len > 0 && !a->worker_error[0]) {
        snprintf(a->worker_error, sizeof a->worker_error, "%.*s", (int)len, (const char *)data);
    }
}

/* The parent reads no packets, but gives root up all the same. */
static void parent_started(void *ctx)
{
    app *a = ctx;
    char err[512];
    if (privs_drop(a->opt.user, err, sizeof err) < 0 && !a->worker_error[0]) {
        snprintf(a->worker_error, sizeof a->worker_error, "%s", err);
        workers_stop();
    }
}

static void on_parent_signal(int sig)
{
    (void)sig;
    workers_stop();
}

static void merged_capture(capture_summary *c, app *a)
{
    if (a->opt.file)
        snprintf(a->source, sizeof a->source, "%s", a->opt.file);
    else
        snprintf(a->source, sizeof a->source, "interface %s", a->opt.iface);
    summarise_capture(c, a->source, &a->totals.sniff, &a->totals.reasm,
                      a->totals.read_failed ? a->totals.error : NULL);
}

static int run_workers(app *a, unsigned n)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    a->rep = report_new(stdout, a->opt.json ? REPORT_JSON : REPORT_TEXT, a->opt.verbose);
    if (!a->rep)
        return fail("%s", "out of memory"), EXIT_ERROR;
    if (a->opt.iface)
        setvbuf(stdout, NULL, _IOLBF, 0);
    a->nworkers = n;
    a->fanout_group = ((unsigned)getpid() & 0xffff) | 1u << 16; /* bit 16: "set" */
    catch_stop_signals(NULL, on_parent_signal, 1);
    wk_handlers h = {merged_session, merged_blob, parent_started, a};
    int rc = workers_run(n, a->opt.file != NULL, worker_main, a, &h, err, sizeof err);
    int status;
    if (a->worker_error[0])
        status = (fail("%s", a->worker_error), EXIT_ERROR);
    else if (rc < 0)
        status = (fail("%s", err), EXIT_ERROR);
    else if (a->ntotals != n)
        status = (fail("%s", "a worker ended without its counters"), EXIT_ERROR);
    else {
        capture_summary cap;
        merged_capture(&cap, a);
        status = report_end(a, &cap);
    }
    report_free(a->rep);
    return status;
}

static int run(app *a)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    if (a->opt.list_interfaces)
        return sniff_list_interfaces(stdout, err, sizeof err) < 0 ? (fail("%s", err), EXIT_ERROR)
                                                                  : EXIT_OK;
    unsigned workers = worker_count(&a->opt);
    if (workers > 1)
        return run_workers(a, workers);
    sniff *sn = open_source(a, err, sizeof err);
    if (!sn)
        return fail("%s", err), EXIT_ERROR;
    reasm_config rc = {a->opt.verify_checksums, a->opt.max_streams, a->opt.idle_timeout};
    reasm_callbacks cb = {on_open, on_data, on_end, a, on_unseen, on_tcp_event};
    if (reasm_init(&rc, &cb, sniff_handle(sn), err, sizeof err) < 0) {
        sniff_close(sn);
        return fail("%s", err), EXIT_ERROR;
    }
    a->rep = report_new(stdout, a->opt.json ? REPORT_JSON : REPORT_TEXT, a->opt.verbose);
    if (!a->rep)
        return fail("%s", "out of memory"), EXIT_ERROR;
    a->sn = sn;
    if (a->opt.iface) /* each session's report as it ends, not when a buffer fills */
        setvbuf(stdout, NULL, _IOLBF, 0);
    catch_stop_signals(sn, on_stop_signal, 1);
    int loop_rc =
        wants_tui(&a->opt) ? run_tui(a, sn, err, sizeof err) : sniff_loop(sn, on_packet, a);
    finish(a);
    capture_summary cap;
    fill_capture(&cap, a, sn, loop_rc < 0);
    int status = loop_rc == -2 ? (fail("%s", err), EXIT_ERROR) : report_end(a, &cap);
    report_free(a->rep);
    ui_model_free(a->model);
    sniff_close(sn);
    return status;
}

int main(int argc, char **argv)
{
    app a;
    memset(&a, 0, sizeof a);
    int rc = parse_options(&a.opt, argc, argv);
    int status = rc < 0 ? EXIT_ERROR : rc > 0 ? EXIT_OK : run(&a);
    free(a.opt.filter);
    return status;
}
