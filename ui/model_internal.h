/* Internal to the ui model's files (ui/model.c, ui/dups.c): the model's table, which both
 * change (dups.c marks the sessions of a duplicate group). Nothing here is for the view. */
#ifndef SMTPSCOPE_UI_MODEL_INTERNAL_H
#define SMTPSCOPE_UI_MODEL_INTERNAL_H

#include <stdint.h>

#include "ui/model.h"

struct ui_model {
    ui_session *slot; /* cap entries, never moved: open sessions are held by pointer */
    size_t cap;
    size_t *kept; /* slot indexes of kept sessions, oldest first */
    size_t nkept;
    size_t *free_slot; /* slots not in use */
    size_t nfree;
    /* Ended sessions in the order they ended, without flags (0) and with (1): the heads are
     * the next to make room, found without a scan. Links by slot index. */
    size_t *next, *prev;
    size_t head[2], tail[2];
    ui_capture capture;
    uint64_t untracked, opened, ended, next_order;
    uint64_t flag_count[SMTP_FLAG_COUNT];
    uint64_t pop3_flag_count[POP3_FLAG_COUNT];
    uint64_t proto_sessions[PROTO_COUNT]; /* SMTP's stays 0: every session starts as one */
    uint64_t last_id;                     /* the latest opened session's id */
    int ids_unordered; /* an id came lower than an earlier one: ui_model_find_id scans */
    /* duplicate groups (dups.c): UI_DUP_CAPACITY entries, ndups in use */
    ui_dup *dups;
    size_t ndups;
    uint64_t dup_seen, dup_updates;
};

#endif
