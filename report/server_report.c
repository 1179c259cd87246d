/* report servers: the attempts to connect that failed (with JSON a line each as it comes; the
 * text report keeps the first REPORT_CONNECTS_LISTED for a list before its summary) and one
 * object, or line, per server seen (report/servers.h holds the figures). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

static const char *reason_name(const connect_failed *c)
{
    return c->refused ? "refused" : "no_synack";
}

static void connect_json(report *r, const connect_failed *c)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "connect_failed");
    json_field_str(j, "client", c->client);
    json_field_str(j, "server", c->server);
    json_field_str(j, "reason", reason_name(c));
    json_field_uint(j, "attempts", c->attempts);
    json_field_time(j, "first", c->first);
    json_field_time(j, "last", c->last);
    json_field_frame(j, "first_frame", c->first_frame);
    json_field_frame(j, "last_frame", c->last_frame);
    json_end_object(j);
    report_json_line(r);
}

void report_connect_failed(report *r, const connect_failed *c)
{
    servers_connect_failed(r->servers, c);
    if (r->fmt == REPORT_JSON && !report_connect_burst(r, c))
        connect_json(r, c);
    else if (r->connects_failed < REPORT_CONNECTS_LISTED && r->connects)
        r->connects[r->connects_failed] = *c;
    r->connects_failed++;
    r->connects_refused += c->refused != 0;
}

void report_opened(report *r, const flow_report *f)
{
    if (f->proto != PROTO_SMTP)
        return; /* the per-server figures are SMTP's (greetings, 421s, sessions open at once) */
    servers_opened(r->servers, f->server);
}

/* ---- text ---- */

static void connect_line(report *r, const connect_failed *c)
{
    char client[sizeof c->client * 4], server[sizeof c->server * 4], when[40];
    escape_line(client, sizeof client, c->client, strnlen(c->client, sizeof c->client));
    escape_line(server, sizeof server, c->server, strnlen(c->server, sizeof c->server));
    report_format_time(when, sizeof when, c->first);
    fprintf(r->out, "  %s -> %s  %s UTC  %-9s  %u SYN%s over %.3f s, frames %s%s%s\n", client,
            server, when, reason_name(c), c->attempts, c->attempts == 1 ? "" : "s",
            (double)(c->last - c->first) / 1e6, report_frame_ref(c->first_frame).s,
            report_frame_dash(), report_frame_ref(c->last_frame).s);
}

void report_connects_text(report *r)
{
    uint64_t n = r->connects_failed;
    if (n == 0)
        return;
    fprintf(r->out,
            "Connection attempts that failed: %" PRIu64 " (%" PRIu64 " refused with a RST, %" PRIu64
            " never answered)\n",
            n, r->connects_refused, n - r->connects_refused);
    for (uint64_t i = 0; i < n && i < REPORT_CONNECTS_LISTED && r->connects; i++)
        connect_line(r, &r->connects[i]);
    if (n > REPORT_CONNECTS_LISTED)
        fprintf(r->out, "  ... and %" PRIu64 " more (--json lists them all)\n",
                n - REPORT_CONNECTS_LISTED);
    fputc('\n', r->out);
}

/* "p50 / p99 / max" in seconds, or "-" without samples. */
static void delays_text(char *out, size_t cap, const quantile *q)
{
    if (!q || q->n == 0)
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.3f / %.3f / %.3f", quantile_get(q, 0.5) / 1e6,
                 quantile_get(q, 0.99) / 1e6, (double)q->max / 1e6);
}

static void server_line(report *r, const server_stats *v)
{
    char addr[sizeof v->address * 4], banner[64], eod[64];
    escape_line(addr, sizeof addr, v->address, strnlen(v->address, sizeof v->address));
    delays_text(banner, sizeof banner, v->banner_delay);
    delays_text(eod, sizeof eod, v->eod_reply_delay);
    fprintf(r->out,
            "  %-24s %8" PRIu64 " %5" PRIu64 " %7" PRIu64 " %5" PRIu64 "  %-26s %-26s %" PRIu64
            "\n",
            addr, v->sessions, v->peak_concurrent, v->connect_failed, v->replies_421, banner, eod,
            v->unanswered_eod);
}

void report_servers_text(report *r)
{
    unsigned n = servers_count(r->servers);
    if (n == 0)
        return;
    fprintf(r->out, "Servers: %u (delays in seconds: p50 / p99 / max)\n", n);
    fprintf(r->out, "  %-24s %8s %5s %7s %5s  %-26s %-26s %s\n", "server", "sessions", "peak",
            "failed", "421", "greeting delay", "end-of-data reply delay", "unanswered");
    for (unsigned i = 0; i < n && i < REPORT_SERVERS_LISTED; i++)
        server_line(r, servers_get(r->servers, i));
    if (n > REPORT_SERVERS_LISTED)
        fprintf(r->out, "  ... and %u more (--json lists them all)\n", n - REPORT_SERVERS_LISTED);
    if (servers_over_limit(r->servers))
        fprintf(r->out,
                "  (%" PRIu64 " sessions and failed connects at servers past the first %d not "
                "counted)\n",
                servers_over_limit(r->servers), SERVERS_MAX);
    fputc('\n', r->out);
}

enum { TRIAGE_SERVERS = 5, BANNER_LATE_US = 30000000, EOD_LATE_US = 60000000 };

static int late(const quantile *q, int64_t limit)
{
    return q && q->n && quantile_get(q, 0.99) > (double)limit;
}

/* One plain line for a server that refused every attempt, or shows what overload looks
 * like (unanswered SYNs, 421s, greetings or end-of-data replies late at p99). */
static int server_triage(report *r, const server_stats *v)
{
    char addr[sizeof v->address * 4];
    escape_line(addr, sizeof addr, v->address, strnlen(v->address, sizeof v->address));
    uint64_t unanswered = v->connect_failed - v->connect_refused;
    if (v->connect_refused && !v->sessions && !unanswered) {
        fprintf(r->out,
                "- Server %s refused %" PRIu64 " connection attempt%s (RST): nothing listens "
                "there or a firewall rejects the port. Fix: start the service, correct the port "
                "the senders use, or open the firewall.\n",
                addr, v->connect_refused, v->connect_refused == 1 ? "" : "s");
        return 1;
    }
    int late_banner = late(v->banner_delay, BANNER_LATE_US);
    int late_eod = late(v->eod_reply_delay, EOD_LATE_US);
    if (!unanswered && !v->replies_421 && !late_banner && !late_eod)
        return 0;
    char why[256] = "";
    size_t n = 0;
    if (unanswered)
        n += (size_t)snprintf(why + n, sizeof why - n,
                              ", %" PRIu64 " connection attempt%s never answered", unanswered,
                              unanswered == 1 ? "" : "s");
    if (v->replies_421 && n < sizeof why)
        n += (size_t)snprintf(why + n, sizeof why - n, ", %" PRIu64 " 421 repl%s", v->replies_421,
                              v->replies_421 == 1 ? "y" : "ies");
    if (late_banner && n < sizeof why)
        n += (size_t)snprintf(why + n, sizeof why - n, ", greetings late (p99 %.1f s)",
                              quantile_get(v->banner_delay, 0.99) / 1e6);
    if (late_eod && n < sizeof why)
        snprintf(why + n, sizeof why - n, ", end-of-data replies late (p99 %.1f s)",
                 quantile_get(v->eod_reply_delay, 0.99) / 1e6);
    fprintf(r->out,
            "- Server %s looks overloaded: %s; %" PRIu64 " session%s, %" PRIu64
            " open at once. Fix: set a limit to the concurrent connections on the senders (50 "
            "is usually acceptable), add capacity at the server, and check the firewall for the "
            "port.\n",
            addr, why + 2, v->sessions, v->sessions == 1 ? "" : "s", v->peak_concurrent);
    return 1;
}

void report_servers_triage(report *r)
{
    unsigned told = 0;
    for (unsigned i = 0; i < servers_count(r->servers) && told < TRIAGE_SERVERS; i++)
        told += (unsigned)server_triage(r, servers_get(r->servers, i));
}

/* ---- JSON ---- */

static void delays_json(json *j, const char *key, const quantile *q)
{
    int have = q && q->n;
    json_key(j, key);
    json_begin_object(j);
    json_field_seconds_or_null(j, "p50", have, have ? (int64_t)(quantile_get(q, 0.5) + 0.5) : 0);
    json_field_seconds_or_null(j, "p99", have, have ? (int64_t)(quantile_get(q, 0.99) + 0.5) : 0);
    json_field_seconds_or_null(j, "max", have, have ? q->max : 0);
    json_end_object(j);
}

static void server_json(report *r, const server_stats *v)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "server");
    json_field_str(j, "server", v->address);
    json_field_uint(j, "sessions", v->sessions);
    json_field_uint(j, "peak_concurrent", v->peak_concurrent);
    json_field_uint(j, "connect_failed", v->connect_failed);
    json_field_uint(j, "replies_421", v->replies_421);
    delays_json(j, "banner_delay", v->banner_delay);
    delays_json(j, "eod_reply_delay", v->eod_reply_delay);
    json_field_uint(j, "unanswered_eod", v->unanswered_eod);
    json_end_object(j);
    report_json_line(r);
}

void report_servers_json(report *r)
{
    report_connect_bursts_end(r); /* the failed attempts first, as they came */
    for (unsigned i = 0; i < servers_count(r->servers); i++)
        server_json(r, servers_get(r->servers, i));
}
