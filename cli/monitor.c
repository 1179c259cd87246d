/* monitor: --stats, --metrics and the interface watch. See monitor.h. */
#include "cli/monitor.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/escape.h"
#include "metrics/metrics.h"
#include "reassembly/reasm.h"

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return sniff_usec(tv);
}

/* ---- the interface ---- */

static int is_up(sniff_if_state st)
{
    return st == SNIFF_IF_UP || st == SNIFF_IF_UNKNOWN;
}

static void say_change(const iface_watch *w, sniff_if_state was, sniff_if_state now)
{
    char name[4 * 64 + 1]; /* an interface name is any bytes but '/' and spaces */
    escape_str(name, sizeof name, w->name);
    if (now == SNIFF_IF_DOWN)
        fprintf(stderr, "smtpscope: interface %s is down; waiting for it to come back\n", name);
    else if (now == SNIFF_IF_NO_CARRIER)
        fprintf(stderr,
                "smtpscope: interface %s has no link (no carrier); waiting for it to come back\n",
                name);
    else if (now == SNIFF_IF_UP && !is_up(was))
        fprintf(stderr, "smtpscope: interface %s is up again\n", name);
}

void iface_watch_init(iface_watch *w, sniff *sn, const char *name, int say)
{
    *w = (iface_watch){.sn = sn, .name = name, .say = say, .state = SNIFF_IF_UP};
}

void iface_watch_tick(iface_watch *w)
{
    int64_t now = mono_us();
    if (now < w->next)
        return;
    w->next = now + MONITOR_IFACE_EVERY_US;
    /* gone: sniff fails the capture, which ends with its message */
    sniff_if_state st = sniff_iface_state(w->sn);
    if (st != w->state && st != SNIFF_IF_GONE && w->say)
        say_change(w, w->state, st);
    w->state = st;
}

/* ---- the figures ---- */

static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

/* What the capture and the process say; at a file's period boundary the packet that crossed
 * it is not yet counted (exclude 1). */
static void stats_line(const monitor *m, report_stats_line *s, int64_t time, int exclude)
{
    app *a = m->a;
    sniff_poll_stats(a->sn);
    const sniff_stats *st = sniff_get_stats(a->sn);
    *s = (report_stats_line){
        .time = time,
        .packets = st->frames - (uint64_t)exclude,
        .matched = st->matched - (uint64_t)exclude,
        .drops = st->drops,
        .if_drops = st->if_drops,
        .open_sessions = a->next_id - a->ended,
        .resident_bytes = resident_bytes(),
    };
    if (st->live) {
        s->interface = a->opt.iface;
        s->interface_state = sniff_if_state_name(m->iface.state);
    }
}

/* Every analyser's flags, named. */
static size_t flag_list(const report_counts *c, metrics_flag *out)
{
    size_t n = 0;
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        out[n++] = (metrics_flag){"smtp", smtp_flag_name(i), c->smtp_flags[i]};
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        out[n++] = (metrics_flag){"pop3", pop3_flag_name(i), c->pop3_flags[i]};
    return n;
}

static int write_metrics(monitor *m, const report_stats_line *s, char *err, size_t errlen)
{
    report_counts c;
    metrics_flag flags[SMTP_FLAG_COUNT + POP3_FLAG_COUNT];
    report_get_counts(m->a->rep, &c);
    metrics_snapshot snap = {
        .packets = s->packets,
        .packets_matched = s->matched,
        .drops_kernel = s->drops,
        .drops_interface = s->if_drops,
        .sessions_smtp = c.smtp_sessions,
        .sessions_pop3 = c.pop3_sessions,
        .flagged = c.flagged,
        .flags = flags,
        .nflags = flag_list(&c, flags),
        .not_analysed = c.not_analysed,
        .connects_failed = c.connects_failed,
        .duplicate_groups = c.dup_groups,
        .correlation_expired = c.correlation_expired,
        .open_sessions = s->open_sessions,
        .resident_bytes = s->resident_bytes,
        .correlation_bytes = c.correlation_bytes,
        .interface = s->interface,
        .interface_up = s->interface && is_up(m->iface.state),
    };
    return metrics_file_write(m->a->opt.metrics, &snap, err, errlen);
}

/* Live with --html: the page as it stands (the final one comes with the summary); a failed
 * write is said once, and again after one has worked. */
static void html_now(monitor *m)
{
    app *a = m->a;
    if (!a->html_each_period)
        return;
    capture_summary cap;
    pipeline_summary(&cap, sniff_source(a->sn), sniff_get_stats(a->sn), reasm_get_stats(), NULL);
    char err[PATH_MAX + 256];
    int failed = app_write_html_now(a, &cap, err, sizeof err) < 0;
    if (failed && !m->html_failing)
        fprintf(stderr, "smtpscope: %s (tried again each period)\n", err);
    m->html_failing = failed;
}

/* One period's output: the stats line (--stats) and the metrics file (--metrics); a failed
 * metrics write is said once, and again after one has worked. */
static void emit(monitor *m, int64_t time, int exclude, int final)
{
    report_stats_line s;
    stats_line(m, &s, time, exclude);
    s.final = final;
    if (m->a->opt.stats > 0)
        report_stats(m->a->rep, &s);
    if (!final)
        html_now(m);
    if (!m->a->opt.metrics)
        return;
    char err[4300];
    int failed = write_metrics(m, &s, err, sizeof err) < 0;
    if (failed && !m->metrics_failing)
        fprintf(stderr, "smtpscope: %s (tried again each period)\n", err);
    m->metrics_failing = failed;
}

/* ---- the run ---- */

/* The first page, before any packet: a directory the run cannot write is said at once. */
static int html_first(app *a, char *err, size_t errlen)
{
    capture_summary cap;
    pipeline_summary(&cap, sniff_source(a->sn), sniff_get_stats(a->sn), reasm_get_stats(), NULL);
    if (app_write_html_now(a, &cap, err, errlen) == 0)
        return 0;
    size_t n = strlen(err);
    snprintf(err + n, errlen - n,
             " (live with --stats the page is renamed into place each period: its directory "
             "must be writable by the user smtpscope runs as once it has given root up: see -Z)");
    return -1;
}

int monitor_start(monitor *m, app *a, char *err, size_t errlen)
{
    double secs = a->opt.stats > 0 ? a->opt.stats : MONITOR_METRICS_PERIOD;
    *m = (monitor){.a = a, .period = (int64_t)(secs * 1e6)};
    if (m->period < 1)
        m->period = 1;
    int live = sniff_get_stats(a->sn)->live;
    iface_watch_init(&m->iface, a->sn, a->opt.iface, 1);
    if (live) {
        iface_watch_tick(&m->iface);
        m->next = mono_us() + m->period;
    }
    if (a->html_each_period && html_first(a, err, errlen) < 0)
        return -1;
    if (!a->opt.metrics)
        return 0;
    report_stats_line s;
    stats_line(m, &s, 0, 0);
    if (write_metrics(m, &s, err, errlen) == 0)
        return 0;
    size_t n = strlen(err);
    snprintf(err + n, errlen - n,
             " (the directory must be writable by the user smtpscope runs "
             "as once it has given root up: see -Z)");
    return -1;
}

void monitor_packet(monitor *m, int64_t ts)
{
    if (sniff_get_stats(m->a->sn)->live)
        return;
    if (!m->next) {
        m->next = ts + m->period; /* periods count from the first packet */
        return;
    }
    if (ts < m->next)
        return;
    /* A stretch without packets ends in one line, at the last boundary it crossed. */
    int64_t boundary = m->next + (ts - m->next) / m->period * m->period;
    emit(m, boundary, 1, 0);
    m->next = boundary + m->period;
}

void monitor_tick(void *ctx)
{
    monitor *m = ctx;
    iface_watch_tick(&m->iface);
    int64_t now = mono_us();
    if (now < m->next || (m->a->opt.stats <= 0 && !m->a->opt.metrics))
        return;
    emit(m, wall_us(), 0, 0);
    m->next += m->period;
    if (m->next <= now) /* held up (a stopped process): no burst to catch up */
        m->next = now + m->period;
}

void monitor_end(monitor *m)
{
    const sniff_stats *st = sniff_get_stats(m->a->sn);
    if (st->live)
        m->iface.state = sniff_iface_state(m->a->sn);
    if (m->a->opt.stats > 0 || m->a->opt.metrics)
        emit(m, st->live ? wall_us() : st->matched ? sniff_usec(st->last) : 0, 0, 1);
}
