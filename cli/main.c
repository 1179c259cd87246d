/* smtpscope: reads a capture, reassembles TCP, follows SMTP sessions and reports why mail
 * is lost, stalled or delivered twice. This file only wires the modules together:
 * sniff -> reassembly -> smtp -> report. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly/reasm.h"
#include "report/report.h"
#include "smtp/smtp.h"
#include "sniff/sniff.h"

#ifndef SMTPSCOPE_VERSION
#define SMTPSCOPE_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_ERROR = 2 };

typedef struct options {
    const char *file;
    uint64_t count;
    uint8_t ports[65536 / 8]; /* server ports that carry SMTP */
    char port_list[256];
    int json, verbose, verify_checksums;
    double idle_timeout;
    int max_streams;
    char *filter; /* user's BPF expression, or NULL */
} options;

typedef struct app {
    options opt;
    report *rep;
    uint64_t next_id;
} app;

typedef struct session {
    uint64_t id;
    char client[64], server[64];
    smtp_session *smtp;
} session;

static const char usage_text[] =
    "Usage: smtpscope -r FILE [options] [BPF expression]\n"
    "Finds why SMTP mail is lost, stalled or delivered twice, from a packet capture.\n"
    "\n"
    "  -r FILE              read packets from FILE (pcap or pcapng; - for stdin)\n"
    "  -c COUNT             stop after COUNT packets that match the filter\n"
    "      --ports LIST     SMTP server ports, comma-separated (default 25,587,2525)\n"
    "      --json           JSON Lines: one object per session, then a summary object\n"
    "  -v, --verbose        text report: also one line per session without findings\n"
    "      --verify-checksums  drop packets with wrong TCP checksums (default: accept them,\n"
    "                       as captures taken on the sending host carry offloaded ones)\n"
    "      --idle-timeout SECS  end a silent session after SECS (default 900)\n"
    "      --max-streams N  concurrent TCP streams followed (default 262144)\n"
    "  -h, --help           this help\n"
    "      --version        version\n"
    "\n"
    "The BPF expression (as in tcpdump) replaces the default filter, which keeps TCP on\n"
    "the SMTP ports and IPv4 fragments. Exit status: 0 analysed, 2 usage or input error\n"
    "(a damaged capture is analysed up to the damage, then exits 2).\n"
    "Flags: split_eod_unacked, missing_quit, masked_banner (see smtpscope(1)).\n";

static void fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "smtpscope: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
}

static int parse_ports(options *o, const char *list)
{
    memset(o->ports, 0, sizeof o->ports);
    snprintf(o->port_list, sizeof o->port_list, "%s", list);
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 65535 || (*end && *end != ','))
            return -1;
        o->ports[v / 8] |= (uint8_t)(1u << (v % 8));
        p = *end ? end + 1 : end;
    }
    return p == list ? -1 : 0;
}

static int port_is_smtp(const options *o, uint16_t port)
{
    return (o->ports[port / 8] >> (port % 8)) & 1;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int parse_number(const char *arg, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

enum { OPT_PORTS = 256, OPT_JSON, OPT_VERIFY, OPT_IDLE, OPT_STREAMS, OPT_VERSION };

/* Returns -1 to exit with EXIT_ERROR, 1 to exit with EXIT_OK (help, version), 0 to run. */
static int parse_options(options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ports", required_argument, 0, OPT_PORTS},
        {"json", no_argument, 0, OPT_JSON},
        {"verbose", no_argument, 0, 'v'},
        {"verify-checksums", no_argument, 0, OPT_VERIFY},
        {"idle-timeout", required_argument, 0, OPT_IDLE},
        {"max-streams", required_argument, 0, OPT_STREAMS},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, OPT_VERSION},
        {0, 0, 0, 0},
    };
    double v;
    int c;
    parse_ports(o, "25,587,2525");
    o->idle_timeout = REASM_DEFAULT_IDLE_TIMEOUT;
    o->max_streams = REASM_DEFAULT_MAX_STREAMS;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->file = optarg;
            break;
        case 'c':
            if (parse_number(optarg, 1, 1e18, &v) < 0)
                return fail("bad packet count '%s' (a positive number)", optarg), -1;
            o->count = (uint64_t)v;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case OPT_PORTS:
            if (parse_ports(o, optarg) < 0)
                return fail("bad port list '%s' (e.g. 25,587,2525)", optarg), -1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_VERIFY:
            o->verify_checksums = 1;
            break;
        case OPT_IDLE:
            if (parse_number(optarg, 1, 1e9, &v) < 0)
                return fail("bad idle timeout '%s' (seconds, at least 1)", optarg), -1;
            o->idle_timeout = v;
            break;
        case OPT_STREAMS:
            if (parse_number(optarg, 16, 1 << 24, &v) < 0)
                return fail("bad stream count '%s' (16 to 16777216)", optarg), -1;
            o->max_streams = (int)v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case OPT_VERSION:
            printf("smtpscope %s (%s)\n", SMTPSCOPE_VERSION, pcap_lib_version());
            return 1;
        case ':':
            return fail("option '%s' needs a value (try --help)", argv[optind - 1]), -1;
        default:
            return fail("unknown option '%s' (try --help)", argv[optind - 1]), -1;
        }
    }
    if (!o->file)
        return fail("%s", "no capture given: use -r FILE (try --help)"), -1;
    if (optind < argc && !(o->filter = join_args(argc - optind, argv + optind)))
        return fail("%s", "out of memory"), -1;
    return 0;
}

static char *default_filter(const options *o)
{
    /* the SMTP ports, plus IPv4 fragments, whose later pieces carry no TCP header */
    size_t cap = 64 + 16 * 65536 / 8;
    char *f = malloc(cap);
    if (!f)
        return NULL;
    size_t n = (size_t)snprintf(f, cap, "(ip[6:2] & 0x3fff != 0)");
    for (unsigned port = 1; port < 65536; port++)
        if (port_is_smtp(o, (uint16_t)port))
            n += (size_t)snprintf(f + n, cap - n, " or tcp port %u", port);
    return f;
}

/* ---- the pipeline's callbacks ---- */

static int64_t usec_of(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void format_endpoint(char *out, size_t cap, const reasm_endpoint *e)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, addr, sizeof addr);
    snprintf(out, cap, e->family == 6 ? "[%s]:%u" : "%s:%u", addr, e->port);
}

static void *on_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                     struct timeval ts, uint64_t frame)
{
    app *a = ctx;
    if (!port_is_smtp(&a->opt, server->port))
        return NULL;
    session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->smtp = smtp_session_new(usec_of(ts), frame);
    if (!s->smtp) {
        free(s);
        return NULL;
    }
    s->id = ++a->next_id;
    format_endpoint(s->client, sizeof s->client, client);
    format_endpoint(s->server, sizeof s->server, server);
    return s;
}

static void on_data(void *ctx, void *handle, const reasm_segment *seg)
{
    (void)ctx;
    session *s = handle;
    smtp_feed(s->smtp, seg->dir == REASM_FROM_CLIENT ? SMTP_CLIENT : SMTP_SERVER, seg->data,
              seg->len, usec_of(seg->ts), seg->frame);
}

static void on_end(void *ctx, void *handle, const reasm_end *end)
{
    app *a = ctx;
    session *s = handle;
    static const smtp_end_reason reasons[] = {SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT,
                                              SMTP_END_CAPTURE_END};
    int closed_by = end->closed_by == REASM_FROM_CLIENT   ? SMTP_CLIENT
                    : end->closed_by == REASM_FROM_SERVER ? SMTP_SERVER
                                                          : -1;
    smtp_end(s->smtp, reasons[end->reason], closed_by, usec_of(end->ts), end->frame);
    report_session(a->rep, s->id, s->client, s->server, smtp_get_report(s->smtp));
    smtp_session_free(s->smtp);
    free(s);
}

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    (void)ctx;
    reasm_packet(frame, hdr, bytes);
}

/* ---- main ---- */

static void fill_capture(report_capture *c, const options *o, const sniff *sn, int read_failed)
{
    const sniff_stats *st = sniff_get_stats(sn);
    const reasm_stats *rs = reasm_get_stats();
    memset(c, 0, sizeof *c);
    c->source = o->file;
    c->frames = st->frames;
    c->matched = st->matched;
    c->bytes = st->bytes;
    c->first = usec_of(st->first);
    c->last = usec_of(st->last);
    c->streams_evicted = rs->evicted;
    c->idle_expired = rs->idle_expired;
    c->warn_ip = rs->warn_ip;
    c->warn_tcp = rs->warn_tcp;
    c->read_error = read_failed ? sniff_error(sn) : NULL;
}

static int run(app *a)
{
    char err[PCAP_ERRBUF_SIZE + 256];
    char *filter = a->opt.filter ? a->opt.filter : default_filter(&a->opt);
    sniff_config sc = {a->opt.file, filter, a->opt.count};
    sniff *sn = sniff_open(&sc, err, sizeof err);
    if (filter != a->opt.filter)
        free(filter);
    if (!sn)
        return fail("%s", err), EXIT_ERROR;
    reasm_config rc = {a->opt.verify_checksums, a->opt.max_streams, a->opt.idle_timeout};
    reasm_callbacks cb = {on_open, on_data, on_end, a};
    if (reasm_init(&rc, &cb, sniff_handle(sn), err, sizeof err) < 0) {
        sniff_close(sn);
        return fail("%s", err), EXIT_ERROR;
    }
    a->rep = report_new(stdout, a->opt.json ? REPORT_JSON : REPORT_TEXT, a->opt.verbose);
    if (!a->rep)
        return fail("%s", "out of memory"), EXIT_ERROR;
    int read_failed = sniff_loop(sn, on_packet, a) < 0;
    reasm_finish();
    report_capture cap;
    fill_capture(&cap, &a->opt, sn, read_failed);
    report_summary(a->rep, &cap);
    int status = read_failed ? EXIT_ERROR : EXIT_OK;
    if (read_failed)
        fprintf(stderr, "smtpscope: %s: damaged capture, analysed up to frame %" PRIu64 ": %s\n",
                a->opt.file, sniff_get_stats(sn)->frames, sniff_error(sn));
    if (report_error(a->rep) < 0) {
        fail("writing the report failed: %s", strerror(errno));
        status = EXIT_ERROR;
    }
    report_free(a->rep);
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
