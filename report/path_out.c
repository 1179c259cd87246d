/* path_out: the comparison of the two capture points (--outside, --inside) as text ("Between
 * the two capture points") or JSON ("path" lines, one "path_summary"). Evidence, banners and
 * commands come from packets: escaped on the way out. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

/* Pairs written in full in the text report (each with a finding besides the delay; -v: all);
 * the rest counted. Sessions of one side only likewise. */
#define PATH_LISTED 100

static void text_delays(FILE *out, const char *lead, const path_delays *to_server,
                        const path_delays *to_client)
{
    fprintf(out, "%s", lead);
    if (to_server->n)
        fprintf(out, "toward the server median %.3f ms, max %.3f ms (%u crossings)",
                to_server->median * 1e3, to_server->max * 1e3, to_server->n);
    if (to_server->n && to_client->n)
        fprintf(out, "; ");
    if (to_client->n)
        fprintf(out, "back median %.3f ms, max %.3f ms (%u crossings)", to_client->median * 1e3,
                to_client->max * 1e3, to_client->n);
    if (!to_server->n && !to_client->n)
        fprintf(out, "no crossing measured");
    if (to_server->n && to_client->n) /* whatever the clocks' offset, the sum is measured */
        fprintf(out, "; a round trip %.3f ms", (to_server->median + to_client->median) * 1e3);
    fputc('\n', out);
}

static void text_session(FILE *out, const char *side, const path_session *s)
{
    char c[200], v[200];
    escape_str(c, sizeof c, s->client);
    escape_str(v, sizeof v, s->server);
    fprintf(out, "%s session %" PRIu64 " (%s -> %s)", side, s->id, c, v);
}

static void text_pair(FILE *out, const path_pair *p)
{
    char line[PATH_EVIDENCE_TEXT * 4];
    fprintf(out, "  ");
    text_session(out, "outside", p->outside);
    fprintf(out, " = ");
    text_session(out, "inside", p->inside);
    fprintf(out, ", paired by %s\n    findings:", p->matched_by);
    for (unsigned f = 0; f < PATH_FINDING_COUNT; f++)
        if (p->findings >> f & 1)
            fprintf(out, " %s", path_finding_name(f));
    fputc('\n', out);
    for (unsigned e = 0; e < p->nevidence; e++) {
        escape_str(line, sizeof line, p->evidence[e]);
        fprintf(out, "    - %s\n", line);
    }
    text_delays(out, "    - the box's delay: ", &p->to_server, &p->to_client);
}

static void text_one_sided(FILE *out, const path_result *r, int outside, int verbose)
{
    size_t n = outside ? r->outside_only : r->inside_only, listed = 0;
    if (!n)
        return;
    fprintf(out, "  seen %s only (%zu):\n", outside ? "outside" : "inside", n);
    for (size_t k = r->paired; k < r->npairs; k++) {
        const path_session *s = outside ? r->pairs[k].outside : r->pairs[k].inside;
        if (!s)
            continue;
        if (listed++ >= PATH_LISTED && !verbose)
            continue;
        char when[40];
        report_format_time(when, sizeof when, s->start);
        fprintf(out, "    ");
        text_session(out, outside ? "outside" : "inside", s);
        fprintf(out, " %s UTC, %s\n", when, path_end_text(s));
    }
    if (listed > PATH_LISTED && !verbose)
        fprintf(out, "    ... and %zu more (-v lists them)\n", listed - PATH_LISTED);
}

static void text_clocks(FILE *out, const path_result *r)
{
    if (r->offset_from_content)
        fprintf(out,
                "  clocks: the inside's sessions begin %+.6f s from the outside's (the "
                "pairs that share a message)",
                r->coarse_offset);
    else
        fprintf(out, "  clocks: no pair shares a message: sessions paired by time alone, the "
                     "clocks taken as equal");
    if (r->clock_estimated)
        fprintf(out,
                "; some crossing ran back in time: the inside's clock is taken as %+.6f s "
                "ahead (the fastest crossing each way made equal; the round trip is "
                "exact)\n",
                r->clock_offset);
    else
        fprintf(out, "; no crossing ran back in time: the delays are as measured\n");
}

static void text_path(FILE *out, const path_result *r, const report_path_sides *sides, int verbose)
{
    char verdict[sizeof r->verdict * 4];
    fprintf(out, "\nBetween the two capture points\n");
    fprintf(out, "  outside (the sender's side): %s\n", sides->source[0]);
    fprintf(out, "  inside (the server's side):  %s\n", sides->source[1]);
    escape_str(verdict, sizeof verdict, r->verdict);
    fprintf(out, "  verdict: %s\n", verdict);
    fprintf(out, "  sessions: %zu paired, %zu seen outside only, %zu seen inside only\n", r->paired,
            r->outside_only, r->inside_only);
    for (int v = 0; v < 2; v++)
        if (sides->not_kept[v])
            fprintf(out, "  not compared: %" PRIu64 " %s sessions past the first %zu kept\n",
                    sides->not_kept[v], v ? "inside" : "outside", sides->max_sessions);
    text_clocks(out, r);
    text_delays(out, "  the box's delay: ", &r->to_server, &r->to_client);
    for (unsigned f = 0; f < PATH_FINDING_COUNT; f++)
        if (r->with[f])
            fprintf(out, "  %-26s %u of %zu pairs\n", path_finding_name(f), r->with[f], r->paired);
    size_t listed = 0, quiet = 0;
    for (size_t k = 0; k < r->paired; k++) {
        int notable = r->pairs[k].findings & ~(1u << PATH_DELAY);
        if (!notable && !verbose) {
            quiet++;
            continue;
        }
        if (listed++ < PATH_LISTED || verbose)
            text_pair(out, &r->pairs[k]);
    }
    if (listed > PATH_LISTED && !verbose)
        fprintf(out, "  ... and %zu more pairs with findings (-v lists them)\n",
                listed - PATH_LISTED);
    if (quiet)
        fprintf(out, "  %zu pairs with nothing but the box's delay (-v lists them)\n", quiet);
    text_one_sided(out, r, 1, verbose);
    text_one_sided(out, r, 0, verbose);
    for (unsigned f = 0; f < PATH_DELAY; f++)
        if (r->with[f])
            report_advice(out, path_finding_name(f), path_finding_advice(f));
}

/* ---- JSON ---- */

static void json_delays(json *j, const char *key, const path_delays *d)
{
    json_key(j, key);
    json_begin_object(j);
    json_field_uint(j, "n", d->n);
    if (json_key_or_null(j, "median", d->n > 0))
        json_seconds(j, (int64_t)(d->median * 1e6 + (d->median < 0 ? -0.5 : 0.5)));
    if (json_key_or_null(j, "max", d->n > 0))
        json_seconds(j, (int64_t)(d->max * 1e6 + (d->max < 0 ? -0.5 : 0.5)));
    json_end_object(j);
}

static void json_both_delays(json *j, const path_delays *to_server, const path_delays *to_client)
{
    json_key(j, "delay");
    json_begin_object(j);
    json_delays(j, "to_server", to_server);
    json_delays(j, "to_client", to_client);
    json_end_object(j);
}

static void json_session(json *j, const char *key, const path_session *s)
{
    if (!json_key_or_null(j, key, s != NULL))
        return;
    json_begin_object(j);
    json_field_uint(j, "session", s->id);
    json_field_str(j, "client", s->client);
    json_field_str(j, "server", s->server);
    json_field_time(j, "start", s->start);
    json_field_time(j, "end", s->end);
    json_field_str(j, "end_reason", flow_end_name(s->end_reason));
    json_field_str(j, "closed_by",
                   s->closed_by == 0   ? "client"
                   : s->closed_by == 1 ? "server"
                                       : NULL);
    json_end_object(j);
}

static void json_pair(json *j, const path_pair *p)
{
    json_begin_object(j);
    json_field_str(j, "type", "path");
    json_session(j, "outside", p->outside);
    json_session(j, "inside", p->inside);
    if (json_key_or_null(j, "matched_by", p->outside && p->inside))
        json_str(j, p->matched_by);
    json_key(j, "findings");
    json_begin_array(j);
    for (unsigned f = 0; f < PATH_FINDING_COUNT; f++)
        if (p->findings >> f & 1)
            json_str(j, path_finding_name(f));
    json_end_array(j);
    json_key(j, "evidence");
    json_begin_array(j);
    for (unsigned e = 0; e < p->nevidence; e++)
        json_str(j, p->evidence[e]);
    if (!p->outside || !p->inside)
        json_str(j, p->outside ? "seen outside only" : "seen inside only");
    json_end_array(j);
    if (p->outside && p->inside)
        json_both_delays(j, &p->to_server, &p->to_client);
    else
        json_key_or_null(j, "delay", 0);
    json_end_object(j);
}

static void json_side(json *j, const char *key, const report_path_sides *sides, int v,
                      size_t sessions)
{
    json_key(j, key);
    json_begin_object(j);
    json_field_str(j, "source", sides->source[v]);
    json_field_uint(j, "sessions", sessions);
    json_field_uint(j, "not_compared", sides->not_kept[v]);
    json_end_object(j);
}

static void json_summary(json *j, const path_result *r, const report_path_sides *sides)
{
    json_begin_object(j);
    json_field_str(j, "type", "path_summary");
    json_side(j, "outside", sides, 0, r->paired + r->outside_only);
    json_side(j, "inside", sides, 1, r->paired + r->inside_only);
    json_field_uint(j, "paired", r->paired);
    json_field_uint(j, "outside_only", r->outside_only);
    json_field_uint(j, "inside_only", r->inside_only);
    json_field_bool(j, "offset_from_content", r->offset_from_content);
    json_field_seconds(j, "session_offset", (int64_t)(r->coarse_offset * 1e6));
    json_field_bool(j, "clock_estimated", r->clock_estimated);
    json_field_seconds(j, "clock_offset", (int64_t)(r->clock_offset * 1e6));
    json_both_delays(j, &r->to_server, &r->to_client);
    json_key(j, "findings");
    json_begin_object(j);
    for (unsigned f = 0; f < PATH_FINDING_COUNT; f++)
        json_field_uint(j, path_finding_name(f), r->with[f]);
    json_end_object(j);
    json_field_str(j, "verdict", r->verdict);
    json_end_object(j);
}

static int json_path(FILE *out, const path_result *r, const report_path_sides *sides)
{
    json j;
    int rc = 0;
    char tags[REPORT_TAGS_MAX] = "";
    if (sides->sensor)
        report_tag_append(tags, sizeof tags, "sensor", sides->sensor);
    json_init(&j);
    for (size_t k = 0; k < r->npairs; k++) {
        json_pair(&j, &r->pairs[k]);
        rc |= report_json_flush_tagged(&j, out, tags);
    }
    json_summary(&j, r, sides);
    rc |= report_json_flush_tagged(&j, out, tags);
    json_free(&j);
    return rc;
}

int report_path(FILE *out, report_format fmt, int verbose, const path_result *r,
                const report_path_sides *sides)
{
    if (fmt == REPORT_JSON)
        return json_path(out, r, sides);
    text_path(out, r, sides, verbose);
    return ferror(out) ? -1 : 0;
}
