/* The path's findings, their advice, and the words for a side and a session's end. */
#include <stdio.h>

#include "path/internal.h"

static const struct {
    const char *name, *advice;
} findings[PATH_FINDING_COUNT] = {
    [PATH_DROPPED_EOD] = {"middlebox_dropped_eod",
                          "the end of data entered the box and never left it: the server waits, "
                          "the sender times out and sends the message again (PIX/ASA SMTP "
                          "inspection, CSCds90792): disable it (no fixup protocol smtp; no "
                          "inspect esmtp) or upgrade"},
    [PATH_RESET] = {"middlebox_reset",
                    "a RST that neither endpoint sent: the box in the middle reset the connection "
                    "(an inspection or IPS policy, a connection limit, an idle timer): its log "
                    "says which rule"},
    [PATH_ANSWERED] = {"middlebox_answered",
                       "a reply the server never sent: the box answered (or changed) it itself, "
                       "as PIX Mailguard answers EHLO with 500: disable SMTP inspection, or "
                       "allow ESMTP in its policy"},
    [PATH_REWROTE_COMMAND] = {"middlebox_rewrote_command",
                              "a command reached the server changed (ASA inspect esmtp masks "
                              "verbs it does not allow as XXXX): allow the command in the "
                              "ESMTP inspection policy, or disable the inspection"},
    [PATH_MASKED_BANNER] = {"middlebox_masked_banner",
                            "the greeting was changed on its way (PIX/ASA mask it with '*'): "
                            "senders see an unknown server and may disable ESMTP; harmless "
                            "alone, but the sign of SMTP inspection"},
    [PATH_DELAY] = {"middlebox_delay",
                    "what the box adds to each crossing, per direction: a large or growing "
                    "delay points at an overloaded box"},
};

const char *path_finding_name(unsigned f)
{
    return f < PATH_FINDING_COUNT ? findings[f].name : "?";
}

const char *path_finding_advice(unsigned f)
{
    return f < PATH_FINDING_COUNT ? findings[f].advice : "";
}

const char *path_vantage_name(path_vantage v)
{
    return v == PATH_OUTSIDE ? "outside" : "inside";
}

const char *path_end_text(const path_session *s)
{
    static const char *const side[] = {"client", "server"};
    static __thread char text[64];
    const char *by = s->closed_by == 0 || s->closed_by == 1 ? side[s->closed_by] : NULL;
    switch (s->end_reason) {
    case SMTP_END_FIN:
    case SMTP_END_RST:
        snprintf(text, sizeof text, "ended by %s from the %s",
                 s->end_reason == SMTP_END_FIN ? "FIN" : "RST", by ? by : "unknown side");
        return text;
    case SMTP_END_TIMEOUT:
        return "went silent (idle timeout)";
    case SMTP_END_CAPTURE_END:
        return "was still open at the end of the capture";
    default:
        return "was dropped from a full stream table";
    }
}

path_frame_text path_frame(const path_work *w, path_vantage v, uint64_t frame)
{
    path_frame_text t;
    if (w->name_frame)
        w->name_frame(w->name_ctx, v, frame, t.s, sizeof t.s);
    else
        snprintf(t.s, sizeof t.s, "%llu", (unsigned long long)frame);
    return t;
}
