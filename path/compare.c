/* One pair compared: the dialogue of each side lined up command by command, and what the box
 * in the middle changed (path.h's findings), with the evidence lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path/internal.h"

/* A command (or end of data) and the reply that answered it. */
typedef struct exch {
    const path_step *cmd, *reply;
} exch;

typedef struct dialogue {
    exch x[PATH_STEPS];
    unsigned n;
} dialogue;

/* Replies pair with commands in order (pipelined ones too: SMTP answers in order); the
 * greeting's lines, before the first command, are the banner's business. */
static void build_dialogue(dialogue *d, const path_session *s)
{
    unsigned answered = 0;
    d->n = 0;
    for (unsigned i = 0; i < s->nsteps; i++) {
        const path_step *st = &s->steps[i];
        if (st->dir == 0 && d->n < PATH_STEPS)
            d->x[d->n++] = (exch){st, NULL};
        else if (st->dir == 1 && answered < d->n)
            d->x[answered++].reply = st;
    }
}

static size_t verb_len(const char *t)
{
    const char *sp = strchr(t, ' ');
    return sp ? (size_t)(sp - t) : strlen(t);
}

/* The same command with another verb: "EHLO host" became "XXXX host". */
static int rewritten(const char *a, const char *b)
{
    size_t va = verb_len(a), vb = verb_len(b);
    return va == vb && strcmp(a, b) != 0 && strcmp(a + va, b + vb) == 0;
}

void path_evidence(path_pair *p, const char *fmt, ...)
{
    if (p->nevidence >= PATH_EVIDENCE)
        return;
    if (!p->evidence && !(p->evidence = calloc(PATH_EVIDENCE, sizeof *p->evidence)))
        return; /* out of memory: the findings stand without their lines */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->evidence[p->nevidence++], PATH_EVIDENCE_TEXT, fmt, ap);
    va_end(ap);
}

static void add_delay(path_work *w, int dir, int64_t raw)
{
    if (w->nraw[dir] < PATH_STEPS + 1)
        w->raw[dir][w->nraw[dir]++] = raw;
}

static void compare_banner(path_pair *p, path_work *w)
{
    const path_session *o = p->outside, *in = p->inside;
    if (!o->banner_seen || !in->banner_seen)
        return;
    add_delay(w, 1, o->banner_ts - in->banner_ts);
    if (strcmp(o->banner, in->banner) == 0)
        return;
    p->findings |= 1u << PATH_MASKED_BANNER;
    path_evidence(p, "greeting outside \"%s\" (frame %s), the server's inside \"%s\" (frame %s)",
                  o->banner, path_frame(w, PATH_OUTSIDE, o->banner_frame).s, in->banner,
                  path_frame(w, PATH_INSIDE, in->banner_frame).s);
}

static void box_answered(path_pair *p, const path_work *w, const exch *ox)
{
    p->findings |= 1u << PATH_ANSWERED;
    path_evidence(p, "\"%s\" answered \"%s\" outside (frame %s): the server never saw the command",
                  ox->reply->text, ox->cmd->text, path_frame(w, PATH_OUTSIDE, ox->reply->frame).s);
}

/* Two lined-up exchanges: the command as it crossed, the reply as it came back. */
static void compare_exchange(path_pair *p, path_work *w, const exch *ox, const exch *ix)
{
    if (strcmp(ox->cmd->text, ix->cmd->text) != 0) {
        p->findings |= 1u << PATH_REWROTE_COMMAND;
        path_evidence(p, "\"%s\" outside (frame %s) reached the server as \"%s\" (frame %s)",
                      ox->cmd->text, path_frame(w, PATH_OUTSIDE, ox->cmd->frame).s, ix->cmd->text,
                      path_frame(w, PATH_INSIDE, ix->cmd->frame).s);
    }
    add_delay(w, 0, ix->cmd->ts - ox->cmd->ts);
    if (!ox->reply || !ix->reply)
        return;
    if (strcmp(ox->reply->text, ix->reply->text) != 0) {
        p->findings |= 1u << PATH_ANSWERED;
        path_evidence(p,
                      "\"%s\" outside (frame %s) to \"%s\", where the server sent \"%s\" "
                      "(frame %s)",
                      ox->reply->text, path_frame(w, PATH_OUTSIDE, ox->reply->frame).s,
                      ox->cmd->text, ix->reply->text,
                      path_frame(w, PATH_INSIDE, ix->reply->frame).s);
        return;
    }
    add_delay(w, 1, ox->reply->ts - ix->reply->ts);
}

/* Does text come among the outside's next few commands after k? */
static int sent_later(const dialogue *o, unsigned k, const char *text)
{
    for (unsigned j = k + 1; j < o->n && j <= k + 4; j++)
        if (strcmp(o->x[j].cmd->text, text) == 0)
            return 1;
    return 0;
}

/* Where the outside's command k went inside: the same command a few lines on (the box may
 * have kept one back), or the next one rewritten (unless that one is the client's own next
 * command: then k never crossed, as EHLO refused by the box and HELO after it); -1 when it
 * never reached the server. */
static int line_up(const dialogue *o, unsigned k, const dialogue *in, unsigned *next)
{
    const char *text = o->x[k].cmd->text;
    for (unsigned j = *next; j < in->n && j < *next + 4; j++)
        if (strcmp(in->x[j].cmd->text, text) == 0) {
            *next = j + 1;
            return (int)j;
        }
    if (*next < in->n && rewritten(text, in->x[*next].cmd->text) &&
        !sent_later(o, k, in->x[*next].cmd->text))
        return (int)(*next)++;
    return -1;
}

static void compare_dialogues(path_pair *p, path_work *w)
{
    static __thread dialogue o, in; /* 2 x 320 B: kept off the stack of deep callers */
    build_dialogue(&o, p->outside);
    build_dialogue(&in, p->inside);
    unsigned next = 0;
    for (unsigned k = 0; k < o.n; k++) {
        int j = line_up(&o, k, &in, &next);
        if (j >= 0)
            compare_exchange(p, w, &o.x[k], &in.x[j]);
        else if (o.x[k].reply && strcmp(o.x[k].cmd->text, PATH_EOD_STEP) != 0)
            box_answered(p, w, &o.x[k]);
    }
}

/* The inside's transaction carrying the outside's t: the same Message-ID, else the same
 * sender and recipients, else the one at the same place. */
static const path_txn *inside_txn(const path_session *in, const path_txn *t, unsigned index)
{
    for (unsigned i = 0; i < in->ntxn; i++)
        if (t->id_hash && in->txn[i].id_hash == t->id_hash)
            return &in->txn[i];
    for (unsigned i = 0; i < in->ntxn; i++)
        if (t->from_hash && in->txn[i].from_hash == t->from_hash &&
            in->txn[i].rcpt_hash == t->rcpt_hash)
            return &in->txn[i];
    return index < in->ntxn ? &in->txn[index] : NULL;
}

static void dropped_eod(path_pair *p, const path_work *w, const path_txn *t, const path_txn *it)
{
    const path_session *in = p->inside;
    p->findings |= 1u << PATH_DROPPED_EOD;
    if (!p->dropped_id)
        p->dropped_id = t->message_id;
    char parts[2 * PATH_FRAME_TEXT + 32];
    if (t->eod_parts > 1)
        snprintf(parts, sizeof parts, "frames %s to %s",
                 path_frame(w, PATH_OUTSIDE, t->eod_frame[0]).s,
                 path_frame(w, PATH_OUTSIDE, t->eod_frame[1]).s);
    else
        snprintf(parts, sizeof parts, "frame %s", path_frame(w, PATH_OUTSIDE, t->eod_frame[1]).s);
    char waited[PATH_FRAME_TEXT + 200] = "";
    if (it && it->data_at && in->end > it->data_at)
        snprintf(waited, sizeof waited,
                 "; inside, the server waited %.3f s after DATA (frame %s) until the connection %s",
                 (double)(in->end - it->data_at) / 1e6,
                 path_frame(w, PATH_INSIDE, it->data_frame).s, path_end_text(in));
    char bytes[96] = "";
    /* fewer by more than a terminator's bytes (a lone CR may wait to be one) */
    if (it && it->bytes + 4 < t->bytes)
        snprintf(bytes, sizeof bytes, "; %llu of its %llu bytes never left the box",
                 (unsigned long long)(t->bytes - it->bytes), (unsigned long long)t->bytes);
    path_evidence(p, "end of data of %s entered the box outside (%s%s) and never left it%s%s",
                  t->message_id[0] ? t->message_id : "the message", parts,
                  t->eod_parts > 1 ? ", split" : "", waited, bytes);
}

static void compare_messages(path_pair *p, const path_work *w)
{
    const path_session *o = p->outside;
    for (unsigned i = 0; i < o->ntxn; i++) {
        const path_txn *t = &o->txn[i];
        if (!t->eod_seen)
            continue;
        const path_txn *it = inside_txn(p->inside, t, i);
        if (!it || !it->eod_seen)
            dropped_eod(p, w, t, it);
    }
}

/* A RST from one side's endpoint that the other side's same endpoint never sent. */
static void compare_ends(path_pair *p, const path_work *w)
{
    const path_session *o = p->outside, *in = p->inside;
    int o_rst = o->end_reason == SMTP_END_RST, i_rst = in->end_reason == SMTP_END_RST;
    if (o_rst && o->closed_by == SMTP_SERVER && !(i_rst && in->closed_by == SMTP_SERVER)) {
        p->findings |= 1u << PATH_RESET;
        path_evidence(p,
                      "outside, a RST from the server's side (frame %s) that the server never "
                      "sent: inside the connection %s",
                      path_frame(w, PATH_OUTSIDE, o->end_frame).s, path_end_text(in));
    }
    if (i_rst && in->closed_by == SMTP_CLIENT && !(o_rst && o->closed_by == SMTP_CLIENT)) {
        p->findings |= 1u << PATH_RESET;
        path_evidence(p,
                      "inside, a RST from the client's side (frame %s) that the client never "
                      "sent: outside the connection %s",
                      path_frame(w, PATH_INSIDE, in->end_frame).s, path_end_text(o));
    }
}

void path_compare_pair(path_pair *p, path_work *w)
{
    w->nraw[0] = w->nraw[1] = 0;
    compare_banner(p, w);
    compare_dialogues(p, w);
    compare_messages(p, w);
    compare_ends(p, w);
}
