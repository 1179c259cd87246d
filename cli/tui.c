/* tui: see tui.h. */
#include "cli/tui.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum {
    DRAW_EVERY_US = 100000, /* at most 10 frames a second */
    FILE_SLICE_US = 30000,  /* a file is read in slices this long between keys and frames */
    BATCH = 2048,           /* packets per read call */
    STATS_EVERY_US = 500000 /* kernel drop counters */
};

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* --speed: the packet read but not yet due. libpcap keeps its bytes valid until the next
 * read, and nothing is read before it is delivered, so no copy is needed. */
typedef struct pacer {
    const tui_hooks *h;
    struct pcap_pkthdr hdr;
    const uint8_t *bytes;
    uint64_t frame;
    int held;
    int started;
    int64_t cap0, wall0; /* capture time and clock time the replay is anchored at */
    int64_t paused_at;   /* clock time the pause began, or 0 */
} pacer;

static void hold_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                        const uint8_t *bytes)
{
    pacer *p = ctx;
    p->hdr = *hdr;
    p->bytes = bytes;
    p->frame = frame;
    p->held = 1;
}

/* Clock time at which the held packet is due. */
static int64_t due(pacer *p, double speed)
{
    int64_t ts = sniff_usec(p->hdr.ts);
    if (!p->started) {
        p->started = 1;
        p->cap0 = ts;
        p->wall0 = mono_us();
    }
    return ts <= p->cap0 ? p->wall0 : p->wall0 + (int64_t)((double)(ts - p->cap0) / speed);
}

/* Delivers the packets that are due; returns 1 when one is held for later, else what
 * sniff_step said. *wait: microseconds until the held one is due. */
static int read_paced(sniff *sn, pacer *p, double speed, int64_t *wait)
{
    for (int n = 0; n < BATCH; n++) {
        if (!p->held) {
            int rc = sniff_step(sn, hold_packet, p, 1);
            if (rc <= 0)
                return rc == 0 ? SNIFF_END : rc; /* a file always has a record or an end */
        }
        int64_t when = due(p, speed), now = mono_us();
        if (when > now) {
            *wait = when - now;
            return 1;
        }
        p->held = 0;
        p->h->packet(p->h->ctx, p->frame, &p->hdr, p->bytes);
    }
    *wait = 0;
    return 1;
}

/* The capture time a paced replay has reached: the screen's "now" while a packet waits (the
 * held packet is already counted as read, but its time has not come). */
static int64_t replay_clock(const pacer *p, double speed)
{
    int64_t wall = p->paused_at ? p->paused_at : mono_us();
    int64_t t = p->cap0 + (int64_t)((double)(wall - p->wall0) * speed);
    int64_t held = sniff_usec(p->hdr.ts);
    return t > held ? held : t;
}

static void pace_pause(pacer *p, int paused)
{
    int64_t now = mono_us();
    if (paused && !p->paused_at)
        p->paused_at = now;
    if (!paused && p->paused_at) {
        p->wall0 += now - p->paused_at; /* resume where it stopped */
        p->paused_at = 0;
    }
}

/* A file at full speed: slices of FILE_SLICE_US. Returns >0 when more is left. */
static int read_slice(sniff *sn, const tui_hooks *h)
{
    int64_t end = mono_us() + FILE_SLICE_US;
    do {
        int rc = sniff_step(sn, h->packet, h->ctx, BATCH);
        if (rc <= 0)
            return rc == 0 ? SNIFF_END : rc;
    } while (mono_us() < end);
    return 1;
}

static void update_capture(ui_capture *cap, sniff *sn, int64_t *stats_at)
{
    const sniff_stats *st = sniff_get_stats(sn);
    int64_t now = mono_us();
    if (st->live && now - *stats_at >= STATS_EVERY_US) {
        sniff_poll_stats(sn);
        *stats_at = now;
    }
    cap->packets = st->frames;
    cap->bytes = st->bytes;
    cap->drops = st->drops;
    cap->if_drops = st->if_drops;
    if (st->matched && !cap->first)
        cap->first = sniff_usec(st->first);
    if (st->live) { /* a live session's wait grows with the clock, packets or not */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        cap->now = sniff_usec(tv);
        if (!cap->first)
            cap->first = cap->now;
    } else if (st->matched) {
        cap->now = sniff_usec(st->last);
    }
}

typedef struct loop {
    ui_model *m;
    ui_view *v;
    sniff *sn;
    const tui_hooks *h;
    pacer pace;
    double speed;
    int live, eof, rc;
    int64_t drawn_at, stats_at, wait;
} loop;

/* One round of reading; returns 1 when more can be read at once. */
static int read_round(loop *l)
{
    int paused = ui_view_paused(l->v);
    if (l->speed > 0)
        pace_pause(&l->pace, paused);
    if (l->eof || (paused && !l->live))
        return 0;
    l->wait = DRAW_EVERY_US;
    int rc = l->live        ? sniff_step(l->sn, l->h->packet, l->h->ctx, BATCH)
             : l->speed > 0 ? read_paced(l->sn, &l->pace, l->speed, &l->wait)
                            : read_slice(l->sn, l->h);
    if (rc == SNIFF_END || rc < 0) {
        l->eof = 1;
        l->rc = rc < 0 && rc != SNIFF_END ? -1 : 0;
        ui_model_capture(l->m)->finished = 1;
        if (!l->live)
            l->h->finish(l->h->ctx);
        return 0;
    }
    return l->live ? rc == BATCH : l->speed > 0 ? l->wait == 0 : 1;
}

static int wait_input(loop *l, int more)
{
    int64_t since = mono_us() - l->drawn_at;
    int64_t t = more ? 0 : DRAW_EVERY_US - since;
    if (!more && l->speed > 0 && !l->eof && l->wait < t)
        t = l->wait;
    struct pollfd fds[2] = {{ui_view_fd(l->v), POLLIN, 0}, {sniff_fd(l->sn), POLLIN, 0}};
    int n = l->live && !l->eof && fds[1].fd >= 0 ? 2 : 1;
    int rc = poll(fds, (nfds_t)n, t < 0 ? 0 : (int)((t + 999) / 1000));
    /* EINTR: a resize (SIGWINCH) is queued as a key; a Ctrl-C is seen by the caller's flag */
    return (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP))) || (rc < 0 && errno == EINTR);
}

int tui_run(ui_model *m, sniff *sn, const tui_hooks *h, double speed, volatile sig_atomic_t *stop,
            char *err, size_t errlen)
{
    loop l = {.m = m, .sn = sn, .h = h, .speed = speed};
    l.live = sniff_get_stats(sn)->live;
    l.pace.h = h;
    ui_capture *cap = ui_model_capture(m);
    snprintf(cap->source, sizeof cap->source, "%s", sniff_source(sn));
    cap->live = l.live;
    l.v = ui_view_open(m, h->detail, h->ctx, err, errlen);
    if (!l.v)
        return -2;
    while (!*stop && !(l.live && l.eof)) {
        int more = read_round(&l);
        update_capture(cap, sn, &l.stats_at);
        if (l.speed > 0 && l.pace.held)
            cap->now = replay_clock(&l.pace, l.speed);
        if (mono_us() - l.drawn_at >= DRAW_EVERY_US) {
            ui_view_draw(l.v);
            l.drawn_at = mono_us();
        }
        if (wait_input(&l, more)) {
            if (ui_view_input(l.v))
                break;
            ui_view_draw(l.v);
            l.drawn_at = mono_us();
        }
    }
    ui_view_close(l.v);
    return l.rc;
}
