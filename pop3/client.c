/* The client's bytes: command lines, each queued for its response; the mailbox name; and
 * credentials, which stop here: PASS's argument, APOP's digest, AUTH's initial response and
 * every line answering a SASL challenge become POP3_AUTH_PLACEHOLDER before anything is
 * kept. */
#include <stdio.h>
#include <string.h>

#include "pop3/internal.h"

static const char *const verb_names[V_COUNT] = {
    [V_OTHER] = "other", [V_USER] = "USER", [V_PASS] = "PASS", [V_APOP] = "APOP",
    [V_AUTH] = "AUTH",   [V_STAT] = "STAT", [V_LIST] = "LIST", [V_RETR] = "RETR",
    [V_DELE] = "DELE",   [V_NOOP] = "NOOP", [V_RSET] = "RSET", [V_QUIT] = "QUIT",
    [V_TOP] = "TOP",     [V_UIDL] = "UIDL", [V_CAPA] = "CAPA", [V_STLS] = "STLS",
};

const char *pop3_verb_name(pop3_verb v)
{
    return v < V_COUNT ? verb_names[v] : "?";
}

/* The length of the first word: up to a space, a tab or the end. */
static size_t word_len(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    return i;
}

/* Begins like a command that carries credentials, whatever follows ("PASSsecret" too). */
static int credential_prefix(const line_t *l)
{
    return pop3_prefix_nocase(l->text, l->len, "PASS") ||
           pop3_prefix_nocase(l->text, l->len, "APOP") ||
           pop3_prefix_nocase(l->text, l->len, "AUTH");
}

pop3_verb pop3_parse_verb(const char *line, size_t len)
{
    size_t w = word_len(line, len);
    for (unsigned v = V_USER; v < V_COUNT; v++)
        if (w == strlen(verb_names[v]) && pop3_prefix_nocase(line, len, verb_names[v]))
            return (pop3_verb)v;
    return V_OTHER;
}

int pop3_looks_like_command(const uint8_t *p, size_t n)
{
    for (unsigned v = V_USER; v < V_COUNT; v++) {
        size_t k = strlen(verb_names[v]);
        if (n > k && pop3_prefix_nocase((const char *)p, n, verb_names[v]) &&
            (p[k] == ' ' || p[k] == '\r' || p[k] == '\n'))
            return 1;
    }
    return 0;
}

/* The arguments after the verb, leading spaces skipped. */
static const char *args_of(const line_t *l, size_t *n)
{
    size_t w = word_len(l->text, l->len);
    const char *a = l->text + w;
    *n = l->len - w;
    while (*n && (*a == ' ' || *a == '\t'))
        a++, (*n)--;
    return a;
}

static void set_mailbox(pop3_session *s, const char *name, size_t n)
{
    pop3_copy_text(s->rep.mailbox, sizeof s->rep.mailbox, name, n);
}

/* What the transcript shows of a command: credentials replaced, the rest as sent. */
static void note_command(pop3_session *s, pop3_verb v, const line_t *l)
{
    size_t n;
    if (s->no_transcript)
        return;
    const char *a = args_of(l, &n);
    char buf[POP3_TRANSCRIPT_TEXT];
    size_t w = word_len(a, n); /* APOP's name, AUTH's mechanism */
    if (v == V_APOP || (v == V_AUTH && w < n))
        snprintf(buf, sizeof buf, "%s %.*s %s", verb_names[v], (int)(w > 64 ? 64 : w), a,
                 POP3_AUTH_PLACEHOLDER);
    else if (v == V_PASS || (v == V_OTHER && credential_prefix(l)))
        snprintf(buf, sizeof buf, "%.4s %s", l->text, POP3_AUTH_PLACEHOLDER);
    else {
        pop3_note_line(s, FLOW_CLIENT, l->text, l->len);
        return;
    }
    pop3_note_line(s, FLOW_CLIENT, buf, strlen(buf));
}

/* A control byte other than tab and CR, or DEL: not a command line. */
static int has_binary(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return 1;
    }
    return 0;
}

/* AUTH mechanism [initial-response]: PLAIN's response names the mailbox. */
static void on_auth(pop3_session *s, const char *a, size_t n)
{
    size_t w = word_len(a, n);
    int plain = w == 5 && pop3_prefix_nocase(a, n, "PLAIN");
    s->rep.login_method = 'S';
    s->auth_active = 1;
    s->auth_plain = plain && w == n;
    if (plain && w < n) {
        size_t rest;
        const char *ir = args_of(&(line_t){a, n, 0}, &rest);
        pop3_plain_name(ir, rest, s->rep.mailbox, sizeof s->rep.mailbox);
    }
}

static void on_command(pop3_session *s, const line_t *l)
{
    pop3_report *r = &s->rep;
    pop3_verb v = pop3_parse_verb(l->text, l->len);
    size_t n;
    const char *a = args_of(l, &n);
    size_t used = 0;
    uint32_t num = pop3_parse_number(a, n, &used);
    r->count.commands++;
    r->count.bad_lines += v == V_OTHER && (l->len == 0 || has_binary(l->text, l->len));
    note_command(s, v, l);
    if (v == V_USER || v == V_APOP) {
        set_mailbox(s, a, word_len(a, n));
        r->login_method = v == V_USER ? 'U' : 'A';
    } else if (v == V_AUTH) {
        on_auth(s, a, n);
    } else if (v == V_QUIT) {
        r->quit = 1;
    }
    /* AUTH's has_arg: a mechanism was named (AUTH alone lists them) */
    pop3_enqueue(s, v, v == V_AUTH ? n > 0 : num != 0, num);
    pop3_notify(s, (pop3_event){.kind = POP3_EV_COMMAND, .verb = verb_names[v]});
}

/* STLS accepted or TLS from the first byte: both sides are only counted from here on. */
void pop3_go_tls(pop3_session *s, const char *why)
{
    s->rep.tls = 1;
    s->sm = SM_STOP;
    s->cm = CM_STOP;
    pop3_note_event(s, "%s: encrypted from here on", why);
    pop3_notify(s, (pop3_event){.kind = POP3_EV_TLS});
}

void pop3_snaplen_cut(pop3_session *s, int64_t ts, uint64_t frame)
{
    if (s->rep.snaplen_cut)
        return;
    s->rep.snaplen_cut = 1;
    s->rep.snaplen_cut_frame = frame;
    s->sm = SM_STOP;
    s->cm = CM_STOP;
    s->now.ts = ts;
    s->now.frame = frame;
    pop3_note_event(s, "payload cut by the capture's snaplen: the rest is not in the capture");
}

void pop3_implicit_tls(pop3_session *s)
{
    s->tls_port = 1;
}

/* A line answering a SASL challenge: credentials, whatever it says ("*" cancels). */
static void on_sasl_line(pop3_session *s, const line_t *l)
{
    if (s->auth_plain)
        pop3_plain_name(l->text, l->len, s->rep.mailbox, sizeof s->rep.mailbox);
    s->auth_plain = 0;
    s->rep.count.auth_lines++;
    pop3_note_line(s, FLOW_CLIENT, POP3_AUTH_PLACEHOLDER, strlen(POP3_AUTH_PLACEHOLDER));
}

void pop3_feed_client(pop3_session *s, const uint8_t *d, size_t len)
{
    line_t l;
    while (len) {
        if (s->cm == CM_STOP) {
            s->rep.count.encrypted_bytes += s->rep.tls ? len : 0;
            return;
        }
        if (!pop3_take_line(&s->cl, &d, &len, &l))
            return;
        if (l.overflow)
            s->rep.count.long_lines++;
        if (s->auth_active)
            on_sasl_line(s, &l);
        else
            on_command(s, &l);
    }
}
