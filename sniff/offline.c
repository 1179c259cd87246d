/* sniff offline: opening a capture file for reading (compressed or not, pcap or pcapng), its
 * link type checked, its filter compiled, and the words for what goes wrong: what reading one
 * file (sniff.c) and reading several as one (merge.c) share. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decompress/decompress.h"
#include "sniff/internal.h"
#include "sniff/sniff.h"

/* How the file is named in messages: "-" alone would read badly. */
void sniff_describe_file(const char *file, char *out, size_t outlen)
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

    sniff_describe_file(file, name, sizeof name);
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

int sniff_compile(pcap_t *p, struct bpf_program *prog, const char *filter, char *err, size_t errlen)
{
    if (filter == NULL || filter[0] == '\0')
        return 0;
    if (pcap_compile(p, prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter expression '%s': %s", filter,
                 filter_reason(pcap_geterr(p)));
        return -1;
    }
    return 1;
}

/* Refuses, naming it, a link type whose frames cannot be decoded: better than reading the
 * whole file and reporting no session. */
int sniff_check_link(const char *file, int dlt, char *err, size_t errlen)
{
    char name[PCAP_ERRBUF_SIZE];
    const char *dname = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    if (net_link_supported(dlt))
        return 0;
    sniff_describe_file(file, name, sizeof name);
    snprintf(err, errlen,
             "%s has link type %s%s%s (DLT %d), which smtpscope cannot decode; it reads %s", name,
             dname ? dname : "unknown", desc ? ", " : "", desc ? desc : "", dlt, net_link_names());
    return -1;
}

/* The file (standard input for "-") as a stream for libpcap: decompressed when its first
 * bytes say it is compressed, whatever its name. */
static FILE *open_stream(const char *file, decompress **dc, const char **compression, char *err,
                         size_t errlen)
{
    char why[PCAP_ERRBUF_SIZE];
    int fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : decompress_open(fd, dc, why, sizeof why);
    if (fd < 0)
        snprintf(why, sizeof why, "%s", strerror(errno));
    if (f == NULL) {
        open_error(file, why, err, errlen);
        if (fd > STDIN_FILENO)
            close(fd);
        return NULL;
    }
    *compression = decompress_format(*dc);
    return f;
}

/* libpcap refused the stream: a damaged compressed one says where it broke; a compressed file
 * that holds no capture is named with its format. */
static void stream_error(decompress *dc, const char *compression, const char *file,
                         const char *pcap_msg, char *err, size_t errlen)
{
    char name[PCAP_ERRBUF_SIZE];
    const char *broke = decompress_error(dc);
    sniff_describe_file(file, name, sizeof name);
    if (broke)
        snprintf(err, errlen, "cannot read capture %s: %s", name, broke);
    else if (compression && strstr(pcap_msg, "unknown file format") != NULL)
        snprintf(err, errlen, "%s is %s-compressed, but what it holds is not a capture file (%s)",
                 name, compression, pcap_msg);
    else
        open_error(file, pcap_msg, err, errlen);
}

pcap_t *sniff_offline(const char *file, decompress **dc, const char **compression, char *err,
                      size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    FILE *f = open_stream(file, dc, compression, err, errlen);
    if (f == NULL)
        return NULL;
    pcap_t *p = pcap_fopen_offline(f, pcap_err);
    if (p == NULL) {
        stream_error(*dc, *compression, file, pcap_err, err, errlen);
        if (f != stdin) /* libpcap leaves it open when it refuses it */
            fclose(f);
        *dc = NULL;
    }
    return p;
}

/* libpcap 1.10 reads a pcapng file only while all its interfaces share the first one's link
 * type and snapshot length; a merged or multi-adapter capture that mixes them stops at the
 * first other interface, with a message that does not say why. */
void sniff_read_error(pcap_t *p, decompress *dc, const char *compression, char *out, size_t outlen)
{
    const char *msg = pcap_geterr(p);
    const char *broke = decompress_error(dc);

    if (broke) /* libpcap saw only a failed read; the decompressor knows where and why */
        snprintf(out, outlen, "%s", broke);
    else if (strstr(msg, "different from the") != NULL && strstr(msg, "first interface") != NULL)
        snprintf(out, outlen,
                 "%s: libpcap reads a pcapng file only while all its interfaces have the same "
                 "link type and snapshot length; write each interface to its own file "
                 "(tshark -r FILE -Y 'frame.interface_id == N' -w PART)",
                 msg);
    else if (compression) /* damage the decoder let through, or a capture damaged as made */
        snprintf(out, outlen, "%s (%s data decompressed up to compressed byte %" PRIu64 ")", msg,
                 compression, decompress_consumed(dc));
    else
        snprintf(out, outlen, "%s", msg);
}

/* Times in a file are data too: pcapng allows 64-bit microseconds, which would overflow the
 * microsecond arithmetic downstream. Kept within 0 .. 2^40 s (the year 36812). */
void sniff_sane_time(struct pcap_pkthdr *hdr)
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
