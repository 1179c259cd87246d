/* The server's bytes: the greeting, each response paired with the oldest command awaiting
 * one (RFC 2449 PIPELINING keeps them in order), what each response means for the session,
 * and the multi-line lists (LIST, UIDL, CAPA) read up to their "." line. A RETR or TOP
 * response's message goes to content.c. */
#include <string.h>
#include <strings.h>

#include "pop3/internal.h"

static int is_ok(const line_t *l)
{
    return pop3_prefix_nocase(l->text, l->len, "+OK");
}

static int is_err(const line_t *l)
{
    return pop3_prefix_nocase(l->text, l->len, "-ERR");
}

/* A SASL challenge (RFC 5034): "+ " and base64, or a bare "+". */
static int is_continuation(const line_t *l)
{
    return l->len >= 1 && l->text[0] == '+' && (l->len == 1 || l->text[1] == ' ');
}

static int contains_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(s + i, word, n) == 0)
            return 1;
    return 0;
}

/* The refusal of a login says the mailbox is in use: RFC 2449's [IN-USE] response code, or
 * the words servers use without it. */
static int says_locked(const line_t *l)
{
    return contains_nocase(l->text, l->len, "[IN-USE]") ||
           contains_nocase(l->text, l->len, "lock") || contains_nocase(l->text, l->len, "in use");
}

static void on_greeting(pop3_session *s, const line_t *l)
{
    pop3_report *r = &s->rep;
    pop3_note_line(s, FLOW_SERVER, l->text, l->len);
    if (!is_ok(l) && !is_err(l)) {
        r->non_pop3 = 1;
        s->sm = SM_STOP;
        s->cm = CM_STOP;
        pop3_note_event(s, "not POP3: the greeting is neither +OK nor -ERR");
        return;
    }
    r->greeting = is_ok(l) ? 1 : -1;
    const char *lt = memchr(l->text, '<', l->len);
    r->apop = lt && memchr(lt, '>', l->len - (size_t)(lt - l->text)) != NULL;
    pop3_copy_text(r->greeting_text, sizeof r->greeting_text, l->text, l->len);
    s->sm = SM_RESPONSE;
    pop3_notify(s, (pop3_event){.kind = POP3_EV_GREETING, .ok = r->greeting > 0});
}

static void on_login(pop3_session *s, const line_t *l, int ok)
{
    pop3_report *r = &s->rep;
    r->login = ok ? 1 : -1;
    if (ok)
        return;
    pop3_copy_text(r->login_error, sizeof r->login_error, l->text, l->len);
    r->login_error_at = s->now;
    r->locked |= says_locked(l);
}

/* "n rest" (after "+OK " in LIST n and UIDL n, or a line of their lists): the message
 * number and its size or unique-id. */
static void on_listing(pop3_session *s, pop3_verb v, const char *p, size_t n)
{
    while (n && *p == ' ')
        p++, n--;
    size_t used;
    uint32_t num = pop3_parse_number(p, n, &used);
    if (!num)
        return;
    p += used, n -= used;
    while (n && *p == ' ')
        p++, n--;
    size_t word = 0;
    while (word < n && p[word] != ' ')
        word++;
    if (v == V_UIDL && word)
        pop3_listed_uidl(s, num, p, word);
    else if (v == V_LIST && word)
        pop3_listed_size(s, num, pop3_parse_number(p, word, NULL));
}

static void on_list_line(pop3_session *s, const line_t *l)
{
    if (l->len == 1 && l->text[0] == '.')
        s->sm = SM_RESPONSE;
    else if (s->list_verb == V_LIST || s->list_verb == V_UIDL)
        on_listing(s, s->list_verb, l->text, l->len);
}

/* Whether the answer to p ends a login attempt, as on_answer judges it: the live screen
 * draws those, not AUTH's list of mechanisms. */
static int settles_login(const pending *p, int ok)
{
    if (p->verb == V_PASS || p->verb == V_APOP)
        return 1;
    return p->verb == V_AUTH && !(ok && !p->has_arg);
}

/* What a +OK or -ERR does to the session, by the command it answers. */
static void on_answer(pop3_session *s, const pending *p, const line_t *l, int ok)
{
    pop3_report *r = &s->rep;
    pop3_msg *m;
    switch ((pop3_verb)p->verb) {
    case V_PASS:
    case V_APOP:
        on_login(s, l, ok);
        break;
    case V_AUTH:
        s->auth_active = 0;
        s->auth_plain = 0;
        if (ok && !p->has_arg) { /* AUTH alone: the mechanisms, a multi-line list */
            s->list_verb = V_AUTH;
            s->sm = SM_LIST;
        } else {
            on_login(s, l, ok);
        }
        break;
    case V_STLS:
        if (ok) {
            r->stls = 1;
            pop3_go_tls(s, "STLS accepted");
        }
        break;
    case V_RETR:
    case V_TOP:
        if (ok && p->has_arg)
            pop3_content_start(s, p->arg, p->verb == V_TOP);
        if (ok && p->has_arg && (m = s->c.msg >= 0 ? &s->msgs[s->c.msg] : NULL)) {
            m->retrieved |= p->verb == V_RETR;
            m->top = !m->retrieved;
            m->retr_at = s->now;
        }
        break;
    case V_LIST:
    case V_UIDL:
    case V_CAPA:
        if (ok && (!p->has_arg || p->verb == V_CAPA)) {
            s->list_verb = (pop3_verb)p->verb;
            s->sm = SM_LIST;
        } else if (ok) {
            on_listing(s, (pop3_verb)p->verb, l->text + 3, l->len - 3);
        }
        break;
    case V_DELE:
        if (ok && p->has_arg && (m = pop3_msg_get(s, p->arg))) {
            m->deleted = 1;
            m->dele_at = s->now;
        } else if (ok && p->has_arg) {
            r->count.deleted_not_kept++;
        }
        break;
    case V_RSET:
        for (unsigned i = 0; ok && i < r->nmsgs; i++)
            s->msgs[i].deleted = 0;
        r->count.deleted_not_kept = ok ? 0 : r->count.deleted_not_kept;
        break;
    case V_QUIT:
        r->quit_reply = ok ? 1 : -1;
        r->quit_at = s->now;
        pop3_copy_text(r->quit_text, sizeof r->quit_text, l->text, l->len);
        for (unsigned i = 0; ok && i < r->nmsgs; i++)
            s->msgs[i].committed = s->msgs[i].deleted;
        break;
    default:
        break;
    }
}

static void on_response(pop3_session *s, const line_t *l)
{
    if (s->auth_active && is_continuation(l)) {
        pop3_note_line(s, FLOW_SERVER, l->text, l->len); /* a challenge, not a secret */
        return;
    }
    int ok = is_ok(l);
    pop3_note_line(s, FLOW_SERVER, l->text, l->len);
    if (!ok && !is_err(l)) {
        s->rep.count.unpaired_responses++;
        return;
    }
    s->rep.count.responses++;
    pending *head = pop3_queue_head(s);
    if (!head) {
        s->rep.count.unpaired_responses++;
        return;
    }
    pending p = *head;
    pop3_dequeue(s);
    on_answer(s, &p, l, ok);
    pop3_notify(s, (pop3_event){.kind = POP3_EV_RESPONSE,
                                .verb = pop3_verb_name(p.verb),
                                .ok = ok,
                                .login = settles_login(&p, ok)});
}

static void on_server_line(pop3_session *s, const line_t *l)
{
    if (l->overflow)
        s->rep.count.long_lines++;
    if (s->sm == SM_GREETING)
        on_greeting(s, l);
    else if (s->sm == SM_LIST)
        on_list_line(s, l);
    else
        on_response(s, l);
}

void pop3_feed_server(pop3_session *s, const uint8_t *d, size_t len)
{
    line_t l;
    while (len) {
        if (s->sm == SM_STOP) {
            s->rep.count.encrypted_bytes += s->rep.tls ? len : 0;
            return;
        }
        if (s->sm == SM_CONTENT) {
            size_t used = pop3_content_feed(s, d, len);
            d += used;
            len -= used;
        } else if (pop3_take_line(&s->sl, &d, &len, &l)) {
            on_server_line(s, &l);
        }
    }
}
