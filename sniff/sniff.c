/* sniff: the libpcap side of smtpscope. See sniff.h. */
#include "sniff/sniff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char error[PCAP_ERRBUF_SIZE];
};

/* How the file is named in messages: "-" alone would read badly. */
static void describe_file(const char *file, char *out, size_t outlen)
{
    if (strcmp(file, "-") == 0)
        snprintf(out, outlen, "standard input");
    else
        snprintf(out, outlen, "'%s'", file);
}

/* libpcap words open errors as "<file>: <reason>" or as a bare reason; turn both into one
 * line that says which file and what went wrong, with the reason only once. */
static void open_error(const char *file, const char *pcap_msg, char *err, size_t errlen)
{
    char name[PCAP_ERRBUF_SIZE];
    size_t flen = strlen(file);
    const char *reason = pcap_msg;

    describe_file(file, name, sizeof name);
    if (strncmp(reason, file, flen) == 0 && strncmp(reason + flen, ": ", 2) == 0)
        reason += flen + 2;
    if (strstr(reason, "unknown file format") != NULL)
        snprintf(err, errlen, "%s is not a capture file (%s)", name, reason);
    else
        snprintf(err, errlen, "cannot read capture %s: %s", name, reason);
}

/* libpcap 1.10 wraps parse errors as "can't parse filter expression: syntax error" or
 * "syntax error in filter expression", which would repeat what our own message says. */
static const char *filter_reason(const char *pcap_msg)
{
    static const char prefix[] = "can't parse filter expression: ";

    if (strncmp(pcap_msg, prefix, sizeof prefix - 1) == 0)
        return pcap_msg + sizeof prefix - 1;
    if (strcmp(pcap_msg, "syntax error in filter expression") == 0)
        return "syntax error";
    return pcap_msg;
}

static int compile_filter(sniff *s, const char *filter, char *err, size_t errlen)
{
    if (filter == NULL || filter[0] == '\0')
        return 0;
    if (pcap_compile(s->pcap, &s->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter expression '%s': %s", filter,
                 filter_reason(pcap_geterr(s->pcap)));
        return -1;
    }
    s->have_prog = 1;
    return 0;
}

/* Refuses, naming it, a link type whose frames cannot be decoded: better than reading the
 * whole file and reporting no session. */
static int check_link(const char *file, int dlt, char *err, size_t errlen)
{
    char name[PCAP_ERRBUF_SIZE];
    const char *dname = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    if (net_link_supported(dlt))
        return 0;
    describe_file(file, name, sizeof name);
    snprintf(err, errlen,
             "%s has link type %s%s%s (DLT %d), which smtpscope cannot decode; it reads %s", name,
             dname ? dname : "unknown", desc ? ", " : "", desc ? desc : "", dlt, net_link_names());
    return -1;
}

sniff *sniff_open(const sniff_config *cfg, char *err, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    sniff *s = calloc(1, sizeof *s);

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->pcap = pcap_open_offline(cfg->file, pcap_err);
    if (s->pcap == NULL) {
        open_error(cfg->file, pcap_err, err, errlen);
        free(s);
        return NULL;
    }
    s->dlt = pcap_datalink(s->pcap);
    if (check_link(cfg->file, s->dlt, err, errlen) != 0 ||
        compile_filter(s, cfg->filter, err, errlen) != 0) {
        sniff_close(s);
        return NULL;
    }
    s->count = cfg->count;
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

/* libpcap 1.10 reads a pcapng file only while all its interfaces share the first one's link
 * type and snapshot length; a merged or multi-adapter capture that mixes them stops at the
 * first other interface, with a message that does not say why. */
static void read_error(sniff *s)
{
    const char *msg = pcap_geterr(s->pcap);

    if (strstr(msg, "different from the") != NULL && strstr(msg, "first interface") != NULL)
        snprintf(s->error, sizeof s->error,
                 "%s: libpcap reads a pcapng file only while all its interfaces have the same "
                 "link type and snapshot length; write each interface to its own file "
                 "(tshark -r FILE -Y 'frame.interface_id == N' -w PART)",
                 msg);
    else
        snprintf(s->error, sizeof s->error, "%s", msg);
}

/* Times in a file are data too: pcapng allows 64-bit microseconds, which would overflow the
 * microsecond arithmetic downstream. Kept within 0 .. 2^40 s (the year 36812). */
static void sane_time(struct pcap_pkthdr *hdr)
{
    const time_t max = (time_t)1 << 40;
    struct timeval *t = &hdr->ts;
    if (t->tv_sec < 0 || t->tv_sec > max)
        t->tv_sec = t->tv_sec < 0 ? 0 : max;
    if (t->tv_usec < 0 || t->tv_usec >= 1000000) {
        t->tv_sec += t->tv_usec / 1000000;
        t->tv_usec %= 1000000;
        if (t->tv_usec < 0) {
            t->tv_usec += 1000000;
            t->tv_sec--;
        }
        if (t->tv_sec < 0 || t->tv_sec > max)
            t->tv_sec = t->tv_sec < 0 ? 0 : max;
    }
}

int sniff_loop(sniff *s, sniff_packet_fn fn, void *ctx)
{
    struct pcap_pkthdr *hdr;
    const u_char *bytes;

    /* The count is checked before reading, so a record beyond it is not counted as read. */
    while (s->count == 0 || s->stats.matched < s->count) {
        int rc = pcap_next_ex(s->pcap, &hdr, &bytes);

        if (rc == PCAP_ERROR_BREAK) /* end of file */
            return 0;
        if (rc == PCAP_ERROR) {
            read_error(s);
            return -1;
        }
        if (rc != 1) /* 0 is a live-capture timeout; a file never gives it */
            continue;
        s->stats.frames++;
        sane_time(hdr);
        if (!matches(s, hdr, bytes))
            continue;
        account(&s->stats, hdr);
        fn(ctx, s->stats.frames, hdr, bytes);
    }
    return 0;
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
    if (s->pcap != NULL)
        pcap_close(s->pcap);
    free(s);
}
