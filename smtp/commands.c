/* The client's command lines: what each records (envelope, transaction, BDAT chunk, HELO
 * name) and the command it queues for the server's reply. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "smtp/internal.h"

/* The address argument of MAIL FROM:/RCPT TO:, as sent (with its angle brackets); *full
 * gets its length before truncation, *after the offset just past it (where the parameters
 * begin). */
static char *path_arg(const char *line, size_t len, const char *keyword, unsigned *full,
                      size_t *after)
{
    size_t i = 5; /* past "MAIL " / "RCPT " */
    if (i <= len && smtp_prefix_nocase(line + i, len - i, keyword))
        i += strlen(keyword);
    else
        i = i < len ? i : len;
    while (i < len && line[i] == ' ')
        i++;
    size_t end = i;
    if (end < len && line[end] == '<') {
        while (end < len && line[end] != '>')
            end++;
        end += end < len;
    } else {
        while (end < len && line[end] != ' ')
            end++;
    }
    *full = (unsigned)(end - i);
    *after = end;
    return smtp_dup_text(line + i, end - i);
}

/* The decimal number of p[0 .. n-1], all digits; 0 when it is not one or exceeds UINT64_MAX. */
static int parse_decimal(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* The first SIZE= among MAIL FROM's parameters (RFC 1870), when it is a number. */
static void parse_size(smtp_txn *t, const char *line, size_t len, size_t i)
{
    while (i < len) {
        while (i < len && line[i] == ' ')
            i++;
        size_t end = i;
        while (end < len && line[end] != ' ')
            end++;
        if (smtp_prefix_nocase(line + i, end - i, "SIZE=")) {
            t->has_size = parse_decimal(line + i + 5, end - i - 5, &t->size_declared);
            return;
        }
        i = end;
    }
}

/* "BDAT size [LAST]": the chunk size and whether it is the last; 0 when malformed. */
static int parse_bdat(const char *line, size_t len, uint64_t *size, int *last)
{
    size_t i = 4;
    while (i < len && line[i] == ' ')
        i++;
    size_t digits = i;
    while (digits < len && isdigit((unsigned char)line[digits]))
        digits++;
    if (!parse_decimal(line + i, digits - i, size))
        return 0;
    i = digits;
    while (i < len && line[i] == ' ')
        i++;
    *last = smtp_prefix_nocase(line + i, len - i, "LAST");
    return i == len || *last;
}

static void on_mail(smtp_session *s, const char *line, size_t len)
{
    s->cur = smtp_txn_new(s);
    smtp_txn *t = smtp_txn_at(s, s->cur);
    if (t) {
        size_t params;
        t->mail_from = path_arg(line, len, "FROM:", &t->mail_from_len, &params);
        parse_size(t, line, len, params);
        if (t->mail_from_len > s->rep.asa.sender_max)
            s->rep.asa.sender_max = t->mail_from_len;
    }
    smtp_enqueue(s, SMTP_VERB_MAIL, s->cur, 0, 0);
}

static void on_rcpt(smtp_session *s, const char *line, size_t len)
{
    smtp_txn *t = smtp_current_txn(s, 0);
    unsigned idx = SMTP_MAX_RCPTS;
    if (t) {
        t->rcpt_total++;
        if (t->nrcpt < SMTP_MAX_RCPTS) {
            idx = t->nrcpt++;
            unsigned full;
            size_t params;
            t->rcpt[idx] = path_arg(line, len, "TO:", &full, &params);
        }
    }
    smtp_enqueue(s, SMTP_VERB_RCPT, s->cur, idx, 0);
}

static void on_data(smtp_session *s, int crlf)
{
    smtp_txn *t = smtp_current_txn(s, 1);
    if (t)
        t->data_at = s->now.ref;
    s->data_line = s->now;
    s->data_line_crlf = crlf;
    s->body_start = s->line_end;
    smtp_enqueue(s, SMTP_VERB_DATA, s->cur, 0, 0);
    s->cm = CM_HOLD;
}

static void on_bdat(smtp_session *s, const char *line, size_t len)
{
    uint64_t size;
    int last;
    if (!parse_bdat(line, len, &size, &last)) {
        s->rep.count.bad_lines++;
        smtp_enqueue(s, SMTP_VERB_OTHER, NO_TXN, 0, 0);
        return;
    }
    smtp_txn *t = smtp_current_txn(s, 1);
    if (t && t->bdat_chunks++ == 0)
        smtp_start_headers(s);
    smtp_enqueue(s, SMTP_VERB_BDAT, s->cur, 0, last);
    s->bdat_left = size;
    s->bdat_last = last;
    s->cm = CM_BDAT;
}

static void on_helo(smtp_session *s, const line_t *l)
{
    if (s->rep.helo[0] == '\0' && l->len > 5)
        smtp_copy_text(s->rep.helo, sizeof s->rep.helo, l->text + 5, l->len - 5);
    s->ehlo_sane = l->full <= SMTP_ASA_COMMAND_LINE && !smtp_has_binary(l->text, l->len);
}

/* "AUTH PLAIN dXNlcgB1c2VyAHNlY3JldA==": the mechanism may be followed by an initial response
 * (RFC 4954), which carries the credentials: the transcript keeps "AUTH PLAIN" and a
 * placeholder, as it does for the lines that answer a 334. */
static void note_auth(smtp_session *s, const line_t *l)
{
    size_t i = 4; /* past "AUTH" */
    while (i < l->len && l->text[i] == ' ')
        i++;
    while (i < l->len && l->text[i] != ' ')
        i++;
    size_t mech_end = i;
    while (i < l->len && l->text[i] == ' ')
        i++;
    if (i == l->len) {
        smtp_note_line(s, SMTP_CLIENT, s->now.ref, l->text, mech_end);
        return;
    }
    char buf[SMTP_TRANSCRIPT_TEXT];
    size_t keep = mech_end < 64 ? mech_end : 64;
    snprintf(buf, sizeof buf, "%.*s %s", (int)keep, l->text, SMTP_AUTH_PLACEHOLDER);
    smtp_note_line(s, SMTP_CLIENT, s->now.ref, buf, strlen(buf));
}

/* Counts the line and keeps it: its length (the ASA policy's limit), the transcript, and
 * whether it looks like a command at all. */
static void note_command(smtp_session *s, const line_t *l, smtp_verb v)
{
    if (l->full > s->rep.asa.command_line_max) {
        s->rep.asa.command_line_max = (unsigned)(l->full > UINT32_MAX ? UINT32_MAX : l->full);
        s->rep.asa.command_line_frame = s->now.ref.frame;
    }
    s->rep.count.commands++;
    if (v == SMTP_VERB_AUTH)
        note_auth(s, l);
    else
        smtp_note_line(s, SMTP_CLIENT, s->now.ref, l->text, l->len);
    if (l->len == 0 || !isalpha((unsigned char)l->text[0]) || smtp_has_binary(l->text, l->len))
        s->rep.count.bad_lines++;
}

void smtp_on_command(smtp_session *s, const line_t *l)
{
    const char *line = l->text;
    size_t len = l->len;
    smtp_verb v = smtp_parse_verb(line, len);
    note_command(s, l, v);
    smtp_notify(s, (smtp_event){.kind = SMTP_EV_COMMAND, .verb = v});
    switch (v) {
    case SMTP_VERB_MAIL:
        on_mail(s, line, len);
        return;
    case SMTP_VERB_RCPT:
        on_rcpt(s, line, len);
        return;
    case SMTP_VERB_DATA:
        on_data(s, l->crlf);
        return;
    case SMTP_VERB_BDAT:
        on_bdat(s, line, len);
        return;
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
        on_helo(s, l);
        break;
    case SMTP_VERB_RSET:
        s->cur = NO_TXN;
        break;
    case SMTP_VERB_QUIT:
        s->rep.quit = 1;
        break;
    default:
        break;
    }
    smtp_enqueue(s, v, s->cur, 0, 0);
}
