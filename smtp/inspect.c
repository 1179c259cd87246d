/* Fingerprints of an SMTP-inspecting firewall in the path (Cisco PIX Mailguard, ASA
 * 'inspect esmtp'), as documented publicly, each kept with the line that shows it. */
#include <string.h>

#include "smtp/internal.h"

static const char *const print_names[SMTP_PRINT_COUNT] = {
    "masked_banner",  "ehlo_refused",     "helo_accepted",    "esmtp_masked",
    "command_masked", "starttls_refused", "split_eod_unacked"};

/* How strongly each fingerprint, alone, points at inspection. A HELO-only server also
 * refuses EHLO, and servers refuse STARTTLS for their own reasons, so those weigh less;
 * asterisks in the greeting and X-masked keywords have no other known origin. */
static const double weight[SMTP_PRINT_COUNT] = {0.7, 0.5, 0.0, 0.7, 0.6, 0.2, 0.4};

const char *smtp_print_name(unsigned index)
{
    return index < SMTP_PRINT_COUNT ? print_names[index] : "?";
}

void smtp_inspect_record(smtp_report *r, unsigned print, uint64_t frame, const char *line,
                         size_t len)
{
    smtp_print *p = &r->prints[print];
    if (p->seen)
        return;
    p->seen = 1;
    p->frame = frame;
    smtp_copy_text(p->line, sizeof p->line, line, len);
}

/* The reply line being parsed shows fingerprint print. */
static void shown_by_reply(smtp_session *s, unsigned print, const char *line, size_t len)
{
    smtp_inspect_record(&s->rep, print, s->now.ref.frame, line, len);
}

/* ASA replaces keywords it does not support with X's of the same length, the last one a
 * sequence letter: "250-XXXXXXXA", "250 XXXB". */
static int keyword_masked(const char *text, size_t len)
{
    if (len < 3)
        return 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] != 'X')
            return 0;
    return text[len - 1] >= 'A' && text[len - 1] <= 'Z';
}

void smtp_inspect_reply_line(smtp_session *s, smtp_verb v, const char *line, size_t len)
{
    if (v == SMTP_VERB_EHLO && len > 4 && keyword_masked(line + 4, len - 4))
        shown_by_reply(s, SMTP_PRINT_ESMTP_MASKED, line, len);
}

static int contains_xxxx(const char *line, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(line + i, "XXXX", 4) == 0)
            return 1;
    return 0;
}

void smtp_inspect_reply(smtp_session *s, smtp_verb v, int code, const char *line, size_t len)
{
    int refused = code >= 500 && code < 600;
    /* an over-long or garbled EHLO is refused for itself, not by a firewall */
    if (v == SMTP_VERB_EHLO && refused && s->ehlo_sane)
        shown_by_reply(s, SMTP_PRINT_EHLO_REFUSED, line, len);
    if (v == SMTP_VERB_HELO && smtp_is_2xx(code) && s->rep.prints[SMTP_PRINT_EHLO_REFUSED].seen)
        shown_by_reply(s, SMTP_PRINT_HELO_ACCEPTED, line, len);
    if (code >= 500 && code <= 502 && contains_xxxx(line, len))
        shown_by_reply(s, SMTP_PRINT_COMMAND_MASKED, line, len);
    if (v == SMTP_VERB_STARTTLS && refused)
        shown_by_reply(s, SMTP_PRINT_STARTTLS_REFUSED, line, len);
}

/* Independent pieces of evidence combine as 1 - prod(1 - w). An EHLO refusal counts only
 * when HELO then worked (the Mailguard pattern), not on a server that refuses both. */
double smtp_inspect_confidence(const smtp_report *r)
{
    double doubt = 1.0;
    for (unsigned i = 0; i < SMTP_PRINT_COUNT; i++) {
        if (!r->prints[i].seen)
            continue;
        if (i == SMTP_PRINT_EHLO_REFUSED && !r->prints[SMTP_PRINT_HELO_ACCEPTED].seen)
            continue;
        doubt *= 1.0 - weight[i];
    }
    return 1.0 - doubt;
}
