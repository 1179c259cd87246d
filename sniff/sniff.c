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
    if (compile_filter(s, cfg->filter, err, errlen) != 0) {
        sniff_close(s);
        return NULL;
    }
    s->count = cfg->count;
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
            snprintf(s->error, sizeof s->error, "%s", pcap_geterr(s->pcap));
            return -1;
        }
        if (rc != 1) /* 0 is a live-capture timeout; a file never gives it */
            continue;
        s->stats.frames++;
        if (s->have_prog && pcap_offline_filter(&s->prog, hdr, bytes) == 0)
            continue;
        account(&s->stats, hdr);
        fn(ctx, s->stats.frames, hdr, bytes);
    }
    return 0;
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
