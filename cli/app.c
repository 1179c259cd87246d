/* app: what running smtpscope needs in one process and in --workers alike: the capture
 * opened with privileges given up, the pipeline's configuration from the options, sessions
 * into the report, the end of the run, and the signals that stop it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/handoff.h"
#include "html/html.h"
#include "sniff/privs.h"

/* ---- the report ---- */

report *app_new_report(const app *a)
{
    const options *o = &a->opt;
    report *r = report_new(stdout, o->json ? REPORT_JSON : REPORT_TEXT, o->verbose);
    /* live, a duplicate is news the moment it happens */
    if (r)
        report_set_correlation(r, o->stream || o->iface, (int64_t)(o->dup_window * 1e6),
                               (uint64_t)(o->dup_memory * 1048576.0));
    if (r && a->html)
        report_set_html(r, a->html);
    if (r && o->sensor)
        report_tag(r, "sensor", o->sensor);
    return r;
}

int app_open_html(app *a, char *err, size_t errlen)
{
    if (!(a->html = html_new(a->opt.html_sessions))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!(a->html_out = privs_create_output(a->opt.html, err, errlen))) {
        app_close_html(a);
        return -1;
    }
    if (!a->opt.iface || a->opt.stats <= 0)
        return 0;
    /* Rewritten each period by the user root becomes, who renames over it: that user's file
     * (a sticky directory such as /tmp lets only the owner replace it). */
    a->html_each_period = 1;
    int rc = privs_hand_over(a->html_out, a->opt.user, err, errlen);
    fclose(a->html_out);
    a->html_out = NULL;
    if (rc < 0)
        app_close_html(a);
    return rc;
}

int app_write_html_now(app *a, const capture_summary *cap, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", a->opt.html) >= sizeof tmp) {
        snprintf(err, errlen, "--html: the file name is too long");
        return -1;
    }
    /* O_NOFOLLOW: a link planted at the temporary name is not written through. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = report_write_html(a->rep, cap, f);
    if (fclose(f) != 0 || rc < 0 || rename(tmp, a->opt.html) != 0) {
        snprintf(err, errlen, "cannot write the --html page %s: %s", a->opt.html, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void app_close_html(app *a)
{
    if (a->html_out)
        fclose(a->html_out);
    a->html_out = NULL;
    html_free(a->html);
    a->html = NULL;
}

/* The page, once the summary has settled the duplicate groups. */
static int write_html(app *a, const capture_summary *cap)
{
    char err[PATH_MAX + 256];
    if (a->html_each_period && app_write_html_now(a, cap, err, sizeof err) < 0) {
        cli_fail("%s", err);
        return EXIT_ERROR;
    }
    if (!a->html_out)
        return EXIT_OK;
    int rc = report_write_html(a->rep, cap, a->html_out);
    if (fclose(a->html_out) != 0)
        rc = -1;
    a->html_out = NULL;
    if (rc < 0) {
        cli_fail("writing the --html page failed: %s", strerror(errno));
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

void app_report_session(app *a, const flow_report *f)
{
    const smtp_report *r = f->report;
    if (f->proto == PROTO_SMTP && r->end_reason == SMTP_END_EVICTED && !a->warned_evicted) {
        a->warned_evicted = 1; /* said once here; the summary counts them all */
        fprintf(stderr,
                "smtpscope: more than %d connections open at once: the oldest are dropped "
                "unfinished (raise --max-streams)\n",
                a->opt.max_streams);
    }
    a->ended++;
    report_flow(a->rep, f);
    if (a->path && f->proto == PROTO_SMTP)
        path_add(a->path, (path_vantage)a->path_side, f->id, f->client, f->server, f->report);
    if (a->handoff)
        handoff_session(a->handoff, f);
}

int app_finish_extract(app *a, int status)
{
    if (a->handoff && handoff_finish(a->handoff, a->rep) < 0)
        return EXIT_ERROR;
    return status;
}

int app_report_end(app *a, const capture_summary *cap)
{
    report_summary(a->rep, cap);
    int status = cap->read_error ? EXIT_ERROR : EXIT_OK;
    if (cap->read_error && a->opt.nfiles > 1) /* the message names the damaged file */
        fprintf(stderr, "smtpscope: %s\n", cap->read_error);
    else if (cap->read_error && a->opt.file)
        fprintf(stderr, "smtpscope: %s: damaged capture, analysed up to frame %" PRIu64 ": %s\n",
                a->opt.file, cap->frames, cap->read_error);
    else if (cap->read_error)
        fprintf(stderr, "smtpscope: %s: capture failed after %" PRIu64 " packets: %s\n",
                cap->source, cap->frames, cap->read_error);
    if (report_error(a->rep) < 0) {
        cli_fail("writing the report failed: %s", strerror(errno));
        status = EXIT_ERROR;
    }
    if (write_html(a, cap) != EXIT_OK)
        status = EXIT_ERROR;
    return status;
}

void app_report_unseen(app *a, const unseen_conn *u)
{
    report_unseen(a->rep, u);
}

void app_report_opened(app *a, const flow_report *f)
{
    report_opened(a->rep, f);
}

void app_report_connect_failed(app *a, const connect_failed *c)
{
    report_connect_failed(a->rep, c);
}

/* ---- setup ---- */

void app_pipeline_config(const app *a, pipeline_config *cfg, unsigned part, unsigned nparts)
{
    memset(cfg, 0, sizeof *cfg);
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        cfg->ports[p] = a->opt.ports[p];
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        cfg->tls_ports[p] = a->opt.tls_ports[p];
    cfg->analyser_config[PROTO_SMTP] = &a->opt.smtp;
    cfg->analyser_config[PROTO_POP3] = &a->opt.pop3;
    cfg->detect = a->opt.detect;
    cfg->part = part;
    cfg->nparts = nparts;
    cfg->reasm = (reasm_config){a->opt.verify_checksums, a->opt.max_streams, a->opt.idle_timeout};
}

static rotate_config rotation(const options *o)
{
    return (rotate_config){.pattern = o->write_file,
                           .size_limit = o->rotate_bytes,
                           .seconds = o->rotate_seconds,
                           .files = o->rotate_files};
}

static sniff *open_capture(const app *a, FILE *dump, time_t start, char *err, size_t errlen)
{
    /* Without a BPF expression: TCP on the analysers' ports (any port with --detect) and IP
     * fragments, whatever the link layer (sniff.h). */
    sniff_config sc = {.file = a->opt.file,
                       .files = a->opt.files,
                       .nfiles = a->opt.nfiles,
                       .iface = a->opt.iface,
                       .filter = a->opt.filter,
                       .count = a->opt.count,
                       .snaplen = a->opt.snaplen,
                       .buffer_kib = a->opt.buffer_kib,
                       .no_promisc = a->opt.no_promisc,
                       .dump = dump,
                       .rotate = rotation(&a->opt),
                       .rotate_start = start,
                       .fanout_group = a->fanout_group};
    if (!a->opt.filter && !a->opt.detect)
        sc.ports = a->opt.all_ports;
    sc.any_tcp = !a->opt.filter && a->opt.detect;
    return sniff_open(&sc, err, errlen);
}

const char *app_files_text(const char *const *files, unsigned n, char *out, size_t len)
{
    size_t at = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < n && at < len; i++) {
        int k = snprintf(out + at, len - at, "%s%s", i ? ", " : "", files[i]);
        at += k > 0 ? (size_t)k : 0;
    }
    return out;
}

sniff *app_open_files(const app *a, char *err, size_t errlen)
{
    return open_capture(a, NULL, time(NULL), err, errlen);
}

/* The first -w file, created as root; with rotation it is handed to the user root becomes,
 * who writes the next files and, in a ring, this one again. */
static FILE *create_first_file(const app *a, time_t start, char *err, size_t errlen)
{
    rotate_config rc = rotation(&a->opt);
    rotate_state st;
    char name[PATH_MAX];
    rotate_start(&st, start);
    if (rotate_name(&rc, &st, name, sizeof name) < 0) {
        snprintf(err, errlen, "-w: the file name is empty or too long");
        return NULL;
    }
    FILE *f = privs_create_output(name, err, errlen);
    if (f && rotate_active(&rc) && privs_hand_over(f, a->opt.user, err, errlen) < 0) {
        fclose(f);
        return NULL;
    }
    return f;
}

sniff *app_open_source(app *a, char *err, size_t errlen)
{
    FILE *dump = NULL;
    time_t start = time(NULL); /* -G: the first period, and the first file's name */
    if (a->opt.write_file && !(dump = create_first_file(a, start, err, errlen)))
        return NULL;
    if (dump && a->handoff && handoff_read_later(a->handoff, a->opt.write_file, err, errlen) < 0) {
        fclose(dump);
        return NULL;
    }
    sniff *sn = open_capture(a, dump, start, err, errlen);
    if (sn && privs_drop(a->opt.user, err, errlen) < 0) {
        sniff_close(sn);
        return NULL;
    }
    return sn;
}

/* ---- signals ---- */

static sniff *volatile stop_target;
volatile sig_atomic_t app_stop_requested;

/* Ctrl-C (or a kill) ends the capture cleanly: open sessions end as capture_end and the
 * summary is printed. */
void app_on_stop_signal(int sig)
{
    (void)sig;
    app_stop_requested = 1;
    if (stop_target)
        sniff_stop(stop_target);
}

void app_catch_stop_signals(sniff *sn, void (*handler)(int), int once)
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
