/* metrics: the exposition text of a snapshot. See metrics.h. */
#include "metrics/metrics.h"

#include <inttypes.h>
#include <string.h>

size_t metrics_label_value(char *out, size_t cap, const char *value)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        char esc[2] = {0, 0};
        size_t len = 1;
        if (*p == '\\' || *p == '"' || *p == '\n') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : (char)*p;
            len = 2;
        } else {
            esc[0] = *p < 0x20 || *p >= 0x7f ? '?' : (char)*p;
        }
        if (n + len >= cap)
            break; /* never half an escape */
        memcpy(out + n, esc, len);
        n += len;
    }
    out[n] = '\0';
    return n;
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void plain(FILE *out, const char *name, const char *type, const char *help, uint64_t v)
{
    head(out, name, type, help);
    fprintf(out, "%s %" PRIu64 "\n", name, v);
}

static void packets(FILE *out, const metrics_snapshot *s)
{
    plain(out, "smtpscope_packets_total", "counter",
          "Frames read from the capture (live: after the kernel's filter).", s->packets);
    plain(out, "smtpscope_packets_matched_total", "counter",
          "Frames that passed the filter and were analysed.", s->packets_matched);
    head(out, "smtpscope_drops_total", "counter",
         "Packets dropped before smtpscope read them: where=\"kernel\" for want of buffer "
         "space, where=\"interface\" by the network interface or its driver.");
    fprintf(out, "smtpscope_drops_total{where=\"kernel\"} %" PRIu64 "\n", s->drops_kernel);
    fprintf(out, "smtpscope_drops_total{where=\"interface\"} %" PRIu64 "\n", s->drops_interface);
}

static void sessions(FILE *out, const metrics_snapshot *s)
{
    head(out, "smtpscope_sessions_total", "counter", "Sessions ended, by protocol.");
    fprintf(out, "smtpscope_sessions_total{protocol=\"smtp\"} %" PRIu64 "\n", s->sessions_smtp);
    fprintf(out, "smtpscope_sessions_total{protocol=\"pop3\"} %" PRIu64 "\n", s->sessions_pop3);
    plain(out, "smtpscope_flagged_sessions_total", "counter",
          "Sessions ended with at least one flag.", s->flagged);
    head(out, "smtpscope_flags_total", "counter",
         "Sessions ended with a flag, by protocol and flag (see smtpscope(1)).");
    for (size_t i = 0; i < s->nflags; i++) {
        char proto[64], flag[128];
        metrics_label_value(proto, sizeof proto, s->flags[i].protocol);
        metrics_label_value(flag, sizeof flag, s->flags[i].name);
        fprintf(out, "smtpscope_flags_total{protocol=\"%s\",flag=\"%s\"} %" PRIu64 "\n", proto,
                flag, s->flags[i].count);
    }
    plain(out, "smtpscope_not_analysed_total", "counter",
          "Connections seen without their handshake, not analysed.", s->not_analysed);
    plain(out, "smtpscope_connect_failed_total", "counter",
          "Attempts to connect to a server port that failed (refused or never answered).",
          s->connects_failed);
    plain(out, "smtpscope_open_sessions", "gauge", "Sessions open now.", s->open_sessions);
}

static void correlation(FILE *out, const metrics_snapshot *s)
{
    plain(out, "smtpscope_duplicate_groups_total", "counter",
          "Duplicate groups formed: a message delivered more than once.", s->duplicate_groups);
    plain(out, "smtpscope_correlation_expired_total", "counter",
          "Delivery attempts the duplicate correlator let go (window or memory limit).",
          s->correlation_expired);
    plain(out, "smtpscope_correlation_bytes", "gauge", "Memory the duplicate correlator holds now.",
          s->correlation_bytes);
}

static void process(FILE *out, const metrics_snapshot *s)
{
    plain(out, "smtpscope_resident_bytes", "gauge", "Resident memory of the smtpscope process.",
          s->resident_bytes);
    if (!s->interface)
        return;
    char name[256];
    metrics_label_value(name, sizeof name, s->interface);
    head(out, "smtpscope_interface_up", "gauge",
         "1 while the capture interface is up with a link, 0 while it is down.");
    fprintf(out, "smtpscope_interface_up{interface=\"%s\"} %d\n", name, s->interface_up ? 1 : 0);
}

int metrics_write(FILE *out, const metrics_snapshot *s)
{
    packets(out, s);
    sessions(out, s);
    correlation(out, s);
    process(out, s);
    return ferror(out) ? -1 : 0;
}
