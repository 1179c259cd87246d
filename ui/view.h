/* ui view: the ncurses screen over a ui_model (model.h). The capture loop owns the timing:
 * it polls the capture and the terminal together, calls ui_view_input when the terminal has
 * bytes and ui_view_draw at a bounded rate, so drawing never holds up packets. */
#ifndef SMTPSCOPE_UI_VIEW_H
#define SMTPSCOPE_UI_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "ui/model.h"

typedef struct ui_view ui_view;

/* Writes the current report text of a session still open (owner: ui_session.owner). */
typedef void (*ui_live_detail_fn)(void *ctx, void *owner, FILE *out);

/* Takes over the terminal (stdin/stdout must be one). NULL with a message in err otherwise. */
ui_view *ui_view_open(ui_model *m, ui_live_detail_fn detail, void *ctx, char *err, size_t errlen);
/* The fd to poll for keys. */
int ui_view_fd(const ui_view *v);
/* Reads every pending key without blocking; returns 1 when the user asked to quit. */
int ui_view_input(ui_view *v);
/* 'p' pressed: the file replay waits (a live capture goes on; the screen stops moving). */
int ui_view_paused(const ui_view *v);
void ui_view_draw(ui_view *v);
/* Gives the terminal back as it was. */
void ui_view_close(ui_view *v);

#endif
