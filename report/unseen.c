/* report unseen: connections seen without their handshake. With JSON each is a line as it
 * arrives; the text report keeps the first REPORT_UNSEEN_LISTED and lists them before its
 * summary. Both count them all for the summary. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

static void unseen_json(report *r, const unseen_conn *u)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "not_analysed");
    json_field_str(j, "reason", u->syn_seen ? "handshake_incomplete" : "no_handshake");
    json_field_str(j, "client", u->client);
    json_field_str(j, "server", u->server);
    json_field_time(j, "start", u->first);
    json_field_time(j, "end", u->last);
    json_field_frame(j, "first_frame", u->first_frame);
    json_field_frame(j, "last_frame", u->last_frame);
    json_field_uint(j, "packets", u->packets);
    json_field_uint(j, "bytes", u->bytes);
    json_end_object(j);
    report_json_line(r);
}

void report_unseen(report *r, const unseen_conn *u)
{
    if (r->fmt == REPORT_JSON)
        unseen_json(r, u);
    else if (r->not_analysed < REPORT_UNSEEN_LISTED && r->unseen)
        r->unseen[r->not_analysed] = *u;
    r->not_analysed++;
}

/* The addresses are formatted by the capture side, not taken from packets; escaped all the
 * same, as everything the text report writes. */
static void unseen_line(report *r, const unseen_conn *u)
{
    char client[sizeof u->client * 4], server[sizeof u->server * 4], when[40];
    escape_line(client, sizeof client, u->client, strnlen(u->client, sizeof u->client));
    escape_line(server, sizeof server, u->server, strnlen(u->server, sizeof u->server));
    report_format_time(when, sizeof when, u->first);
    fprintf(r->out, "  %s -> %s  %s UTC  frames %s%s%s, %" PRIu64 " packets, %" PRIu64 " bytes%s\n",
            client, server, when, report_frame_ref(u->first_frame).s, report_frame_dash(),
            report_frame_ref(u->last_frame).s, u->packets, u->bytes,
            u->syn_seen ? "  (SYN seen, handshake never completed)" : "");
}

void report_unseen_text(report *r)
{
    uint64_t n = r->not_analysed;
    if (n == 0)
        return;
    fprintf(r->out,
            "Not analysed: %" PRIu64 " TCP connection%s whose handshake is not in the capture "
            "(it started mid-session, or the SYN was lost)\n",
            n, n == 1 ? "" : "s");
    for (uint64_t i = 0; i < n && i < REPORT_UNSEEN_LISTED && r->unseen; i++)
        unseen_line(r, &r->unseen[i]);
    if (n > REPORT_UNSEEN_LISTED)
        fprintf(r->out, "  ... and %" PRIu64 " more (--json lists them all)\n",
                n - REPORT_UNSEEN_LISTED);
    fputc('\n', r->out);
}
