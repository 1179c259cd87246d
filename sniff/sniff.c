/* sniff: the libpcap side of smtpscope. See sniff.h. */
#include "sniff/sniff.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decompress/decompress.h"
#include "sniff/internal.h"
#include "sniff/live.h"

struct sniff {
    pcap_t *pcap;
    /* The filter is kept here and run with pcap_offline_filter instead of being installed
     * with pcap_setfilter: an installed filter makes libpcap skip records silently, and then
     * neither the frame numbers nor the frame count would match what Wireshark shows. */
    struct bpf_program prog;
    int have_prog;
    int dlt;
    const uint8_t *ports;
    int any_tcp;
    net_packet net; /* the current frame, decoded by the port filter */
    int decoded;
    uint64_t count;
    sniff_stats stats;
    rotator *dump;
    int files_done;          /* -G -W: the last file is written */
    unsigned rotate_seconds; /* -G: the clock is read for each frame */
    volatile sig_atomic_t stopped;
    int failed;
    int nonblock;
    void (*tick)(void *ctx); /* sniff_set_tick */
    void *tick_ctx;
    decompress *dc;          /* the reader behind the file */
    sniff_fast *fast;        /* a plain pcap file read in place, until libpcap takes over */
    const char *compression; /* "gzip", "zstd", "xz", "bzip2", or NULL */
    sniff_merge *merge;      /* several files (then pcap is the first one's, not ours) */
    char iface[IF_NAMESIZE]; /* live, for sniff_iface_state */
    unsigned ifindex;        /* 0: not watched */
    char source[160];
    char error[PCAP_ERRBUF_SIZE];
};

static int compile_filter(sniff *s, const char *filter, char *err, size_t errlen)
{
    int rc = sniff_compile(s->pcap, &s->prog, filter, err, errlen);
    s->have_prog = rc > 0;
    return rc < 0 ? -1 : 0;
}

/* Several files: the first one's handle stands for them (the pipeline's link check). */
static int open_files(sniff *s, const sniff_config *cfg, char *err, size_t errlen)
{
    snprintf(s->source, sizeof s->source, "%u files", cfg->nfiles);
    s->merge = merge_open(cfg->files, cfg->nfiles, cfg->filter, err, errlen);
    if (s->merge == NULL)
        return -1;
    s->pcap = merge_first(s->merge);
    s->compression = merge_compression(s->merge);
    return 0;
}

static int open_file(sniff *s, const sniff_config *cfg, char *err, size_t errlen)
{
    if (cfg->nfiles > 1)
        return open_files(s, cfg, err, errlen);
    sniff_describe_file(cfg->file, s->source, sizeof s->source);
    s->pcap = sniff_offline(cfg->file, &s->dc, &s->compression, err, errlen);
    if (s->pcap == NULL)
        return -1;
    s->dlt = pcap_datalink(s->pcap);
    off_t origin;
    int fd = decompress_plain_file(s->dc, &origin);
    if (fd >= 0)
        s->fast = fast_open(fd, origin, s->pcap);
    return sniff_check_link(cfg->file, s->dlt, err, errlen) != 0 ||
                   compile_filter(s, cfg->filter, err, errlen) != 0
               ? -1
               : 0;
}

/* Live: the kernel runs the filter (so it drops the rest before copying); a user's
 * expression then need not run again here, the port filter still does (it decodes). */
static int open_live(sniff *s, const sniff_config *cfg, char *err, size_t errlen)
{
    snprintf(s->source, sizeof s->source, "interface %s", cfg->iface);
    s->stats.live = 1;
    s->pcap = live_open(cfg, err, errlen);
    if (s->pcap == NULL)
        return -1;
    /* "any" and names too long to ask the kernel about have no index: not watched */
    if (strlen(cfg->iface) < sizeof s->iface) {
        snprintf(s->iface, sizeof s->iface, "%s", cfg->iface);
        s->ifindex = if_nametoindex(cfg->iface);
    }
    s->dlt = pcap_datalink(s->pcap);
    if (sniff_check_link(cfg->iface, s->dlt, err, errlen) != 0 ||
        compile_filter(s, cfg->filter, err, errlen) != 0 ||
        live_filter(s->pcap, cfg, s->have_prog ? &s->prog : NULL, err, errlen) != 0 ||
        (cfg->fanout_group && live_fanout(s->pcap, cfg, err, errlen) != 0))
        return -1;
    if (s->have_prog) {
        pcap_freecode(&s->prog);
        s->have_prog = 0;
    }
    return 0;
}

static int open_dump(sniff *s, const sniff_config *cfg, char *err, size_t errlen)
{
    if (!cfg->dump)
        return 0;
    s->dump = rotator_new(&cfg->rotate, cfg->rotate_start, s->pcap, cfg->dump, err, errlen);
    return s->dump ? 0 : -1;
}

sniff *sniff_open(const sniff_config *cfg, char *err, size_t errlen)
{
    sniff *s = calloc(1, sizeof *s);

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        if (cfg->dump)
            fclose(cfg->dump);
        return NULL;
    }
    int rc = cfg->iface ? open_live(s, cfg, err, errlen) : open_file(s, cfg, err, errlen);
    if (rc != 0 || open_dump(s, cfg, err, errlen) != 0) {
        if (rc != 0 && cfg->dump)
            fclose(cfg->dump);
        sniff_close(s);
        return NULL;
    }
    int snap = pcap_snapshot(s->pcap);
    s->stats.snaplen = snap > 0 ? (uint32_t)snap : 0;
    if (s->merge)
        s->stats.snaplen = merge_snaplen(s->merge);
    s->count = cfg->count;
    s->rotate_seconds = cfg->rotate.seconds;
    s->ports = cfg->ports;
    s->any_tcp = cfg->any_tcp;
    return s;
}

pcap_t *sniff_handle(sniff *s)
{
    return s->pcap;
}

static void account(sniff_stats *st, const struct pcap_pkthdr *hdr)
{
    if (st->matched == 0)
        st->first = hdr->ts;
    st->last = hdr->ts;
    st->matched++;
    st->bytes += hdr->len;
    if (hdr->caplen < hdr->len) {
        st->cut_frames++;
        if (hdr->caplen > st->cut_len)
            st->cut_len = hdr->caplen;
    }
}

static int port_set(const uint8_t *ports, uint16_t port)
{
    return (ports[port / 8] >> (port % 8)) & 1;
}

/* The filter used without a BPF expression: see sniff_config. */
static int default_match(sniff *s, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    const net_packet *n = &s->net;

    net_decode(s->dlt, bytes, hdr->caplen, &s->net);
    s->decoded = 1;
    if (n->family == NET_NONE)
        return 0;
    if (n->fragment)
        return 1;
    if (n->proto != IP6_TCP || !n->has_ports)
        return 0;
    return s->ports == NULL || port_set(s->ports, n->sport) || port_set(s->ports, n->dport);
}

static int matches(sniff *s, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    s->decoded = 0;
    if (s->have_prog)
        return pcap_offline_filter(&s->prog, hdr, bytes) != 0;
    if (s->ports == NULL && !s->any_tcp)
        return 1;
    return default_match(s, hdr, bytes);
}

/* Into the -w file before the frame is counted: a frame that ends the capture (-G -W) or
 * finds no file to go to is not counted as read, so the files hold every frame counted.
 * 0 written, SNIFF_END, -1. */
static int write_frame(sniff *s, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    /* the wall clock, not the packet's time, as tcpdump -G */
    time_t now = s->rotate_seconds ? time(NULL) : 0;
    int rc = rotator_write(s->dump, s->stats.frames + 1, hdr, bytes, now);
    if (rc == 1) {
        s->files_done = 1;
        s->stopped = 1;
        return SNIFF_END;
    }
    if (rc < 0) {
        snprintf(s->error, sizeof s->error, "%s", rotator_error(s->dump));
        s->failed = 1;
        return -1;
    }
    return 0;
}

/* libpcap reads on from the record the fast reader left to it (only a damaged or unusual file
 * comes here), and that record is its to judge: its stream, which can seek (fast_open's
 * condition), is moved there. 0, or -1 with the reason in s->error. */
static int hand_over(sniff *s)
{
    off_t at = (off_t)fast_offset(s->fast);
    fast_close(s->fast);
    s->fast = NULL;
    if (fseeko(pcap_file(s->pcap), at, SEEK_SET) == 0)
        return 0;
    snprintf(s->error, sizeof s->error, "moving to the capture's byte %lld failed: %s",
             (long long)at, strerror(errno));
    return -1;
}

/* pcap_next_ex, from the fast reader while it can; PCAP_ERROR with s->failed set when the
 * hand-over failed (s->error says why). */
static int next_record(sniff *s, struct pcap_pkthdr **hdr, const u_char **bytes)
{
    if (s->fast) {
        int rc = fast_next(s->fast, hdr, bytes);
        if (rc != -1)
            return rc == 1 ? 1 : PCAP_ERROR_BREAK;
        if (hand_over(s) < 0) {
            s->failed = 1;
            return PCAP_ERROR;
        }
    }
    return pcap_next_ex(s->pcap, hdr, bytes);
}

/* Reads one record: 1 delivered or filtered out, 0 none ready (live), SNIFF_END, -1. */
static int read_one(sniff *s, sniff_packet_fn fn, void *ctx)
{
    struct pcap_pkthdr *hdr;
    const u_char *bytes;

    /* The count is checked before reading, so a record beyond it is not counted as read. */
    if (s->failed)
        return -1;
    if (s->stopped || (s->count && s->stats.matched >= s->count))
        return SNIFF_END;
    int rc = next_record(s, &hdr, &bytes);
    if (rc == PCAP_ERROR_BREAK) /* end of file, or sniff_stop */
        return SNIFF_END;
    if (rc == PCAP_ERROR) {
        if (!s->failed) /* else the hand-over said why */
            sniff_read_error(s->pcap, s->dc, s->compression, s->error, sizeof s->error);
        s->failed = 1;
        return -1;
    }
    if (rc != 1) /* 0: a live read timed out, or nothing ready in non-blocking mode */
        return 0;
    if (s->dump) { /* every frame read, so that frame numbers match the written files */
        int wrc = write_frame(s, hdr, bytes);
        if (wrc != 0)
            return wrc;
    }
    s->stats.frames++;
    sniff_sane_time(hdr);
    if (!matches(s, hdr, bytes))
        return 1;
    account(&s->stats, hdr);
    fn(ctx, s->stats.frames, hdr, bytes);
    return 1;
}

/* read_one over several files: the next packet in time order, decoded with its own file's
 * link type (the pipeline decodes with one, the first file's). */
static int read_merged(sniff *s, sniff_packet_fn fn, void *ctx)
{
    struct pcap_pkthdr *hdr;
    const u_char *bytes;
    unsigned file;
    uint64_t frame;

    if (s->failed)
        return -1;
    if (s->stopped || (s->count && s->stats.matched >= s->count))
        return SNIFF_END;
    if (!merge_next(s->merge, &file, &frame, &hdr, &bytes)) {
        if (!merge_error(s->merge))
            return SNIFF_END;
        snprintf(s->error, sizeof s->error, "%s", merge_error(s->merge));
        s->failed = 1; /* after every other file was read to its end */
        return -1;
    }
    s->stats.frames++;
    s->dlt = merge_dlt(s->merge, file);
    s->decoded = 0;
    if (merge_has_filter(s->merge) ? !merge_filter(s->merge, file, hdr, bytes)
                                   : (s->ports || s->any_tcp) && !default_match(s, hdr, bytes))
        return 1;
    if (!s->decoded) {
        net_decode(s->dlt, bytes, hdr->caplen, &s->net);
        s->decoded = 1;
    }
    account(&s->stats, hdr);
    fn(ctx, sniff_frame_make(file, frame), hdr, bytes);
    return 1;
}

/* Live with a tick: libpcap's own read blocks until a packet comes whatever its timeout
 * (immediate mode), so the loop reads without blocking and waits here, at most the timeout
 * (were non-blocking mode refused, the tick would still follow each packet). */
static int ticking(sniff *s)
{
    if (!s->tick || !s->stats.live)
        return 0;
    if (!s->nonblock && pcap_setnonblock(s->pcap, 1, s->error) == 0)
        s->nonblock = 1;
    s->error[0] = '\0';
    return 1;
}

static void wait_readable(sniff *s)
{
    struct pollfd pfd = {pcap_get_selectable_fd(s->pcap), POLLIN, 0};
    if (s->nonblock && !s->stopped && pfd.fd >= 0) /* a signal (sniff_stop) interrupts it */
        poll(&pfd, 1, SNIFF_READ_TIMEOUT_MS);
}

int sniff_loop(sniff *s, sniff_packet_fn fn, void *ctx)
{
    int tick = ticking(s);
    for (;;) {
        int rc = s->merge ? read_merged(s, fn, ctx) : read_one(s, fn, ctx);
        if (rc == SNIFF_END)
            return 0;
        if (rc < 0)
            return -1;
        if (!tick)
            continue;
        s->tick(s->tick_ctx);
        if (rc == 0)
            wait_readable(s);
    }
}

void sniff_set_tick(sniff *s, void (*fn)(void *ctx), void *ctx)
{
    s->tick = fn;
    s->tick_ctx = ctx;
}

sniff_if_state sniff_iface_state(sniff *s)
{
    if (!s->stats.live)
        return SNIFF_IF_UNKNOWN;
    sniff_if_state st = live_iface_state(s->pcap, s->iface, s->ifindex);
    if (st == SNIFF_IF_GONE && !s->failed) {
        snprintf(s->error, sizeof s->error, "The interface disappeared"); /* libpcap's words */
        s->failed = 1;
    }
    return st;
}

const char *sniff_if_state_name(sniff_if_state st)
{
    static const char *const names[] = {"unknown", "up", "down", "no_carrier", "gone"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "unknown";
}

int sniff_step(sniff *s, sniff_packet_fn fn, void *ctx, int max)
{
    if (s->stats.live && !s->nonblock) {
        if (pcap_setnonblock(s->pcap, 1, s->error) != 0)
            return -1;
        s->nonblock = 1;
    }
    int n = 0;
    while (n < max) {
        int rc = s->merge ? read_merged(s, fn, ctx) : read_one(s, fn, ctx);
        if (rc == 0)
            break;
        if (rc < 0)
            return n ? n : rc;
        n++;
    }
    return n;
}

int sniff_fd(const sniff *s)
{
    return s->stats.live ? pcap_get_selectable_fd(s->pcap) : -1;
}

void sniff_stop(sniff *s)
{
    s->stopped = 1;
    pcap_breakloop(s->pcap);
}

void sniff_poll_stats(sniff *s)
{
    struct pcap_stat ps;
    if (!s->stats.live || pcap_stats(s->pcap, &ps) != 0)
        return;
    s->stats.drops = ps.ps_drop;
    s->stats.if_drops = ps.ps_ifdrop;
}

const char *sniff_source(const sniff *s)
{
    return s->source;
}

const char *sniff_compression(const sniff *s)
{
    return s->compression;
}

int sniff_list_interfaces(FILE *out, char *err, size_t errlen)
{
    pcap_if_t *all = NULL;
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    if (pcap_findalldevs(&all, pcap_err) != 0) {
        snprintf(err, errlen, "cannot list interfaces: %s", pcap_err);
        return -1;
    }
    int i = 0;
    for (pcap_if_t *d = all; d; d = d->next)
        fprintf(out, "%d.%s%s%s%s\n", ++i, d->name, d->description ? " (" : "",
                d->description ? d->description : "", d->description ? ")" : "");
    pcap_freealldevs(all);
    return 0;
}

void sniff_on_capture_file(sniff *s, rotate_file_fn fn, void *ctx)
{
    if (s->dump)
        rotator_on_file(s->dump, fn, ctx);
}

int sniff_files_done(const sniff *s)
{
    return s->files_done;
}

const net_packet *sniff_decoded(const sniff *s)
{
    return s->decoded ? &s->net : NULL;
}

const char *sniff_error(const sniff *s)
{
    return s->error;
}

const sniff_stats *sniff_get_stats(const sniff *s)
{
    return &s->stats;
}

void sniff_close(sniff *s)
{
    if (s == NULL)
        return;
    if (s->have_prog)
        pcap_freecode(&s->prog);
    rotator_close(s->dump);
    fast_close(s->fast);
    if (s->merge)
        merge_close(s->merge); /* the files, the first one's handle with them */
    else if (s->pcap != NULL)
        pcap_close(s->pcap); /* closes the stream, and the decompressor with it */
    free(s);
}

void sniff_stats_merge(sniff_stats *sum, const sniff_stats *s, int same_frames)
{
    if (same_frames) {
        if (s->frames > sum->frames)
            *sum = *s;
        return;
    }
    sum->frames += s->frames;
    sum->matched += s->matched;
    sum->bytes += s->bytes;
    sum->drops += s->drops;
    sum->if_drops += s->if_drops;
    sum->cut_frames += s->cut_frames;
    sum->snaplen = s->snaplen > sum->snaplen ? s->snaplen : sum->snaplen;
    sum->cut_len = s->cut_len > sum->cut_len ? s->cut_len : sum->cut_len;
    if (s->matched && (!sum->first.tv_sec || timercmp(&s->first, &sum->first, <)))
        sum->first = s->first;
    if (timercmp(&s->last, &sum->last, >))
        sum->last = s->last;
}
