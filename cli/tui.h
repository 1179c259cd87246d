/* tui: the capture loop when the live screen is up. It polls the capture and the terminal
 * together, reads packets in bounded batches and redraws at most 10 times a second, so
 * drawing never holds up packets (the kernel buffer absorbs what arrives meanwhile). */
#ifndef SMTPSCOPE_TUI_H
#define SMTPSCOPE_TUI_H

#include <signal.h>
#include <stddef.h>

#include "sniff/sniff.h"
#include "ui/model.h"
#include "ui/view.h"

typedef struct tui_hooks {
    sniff_packet_fn packet;    /* each packet read */
    void (*finish)(void *ctx); /* end of file: end the open sessions (called once) */
    ui_live_detail_fn detail;  /* report text of an open session */
    void *ctx;
} tui_hooks;

/* Runs until q, *stop (set by a signal) or, live, a capture error. speed > 0 paces a file
 * at capture speed times speed. Returns 0, 1 when the file ended and finish was called,
 * -1 when reading failed (sniff_error), -2 when the terminal could not be used (err). */
int tui_run(ui_model *m, sniff *sn, const tui_hooks *h, double speed, volatile sig_atomic_t *stop,
            char *err, size_t errlen);

#endif
