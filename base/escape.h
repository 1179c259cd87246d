/* escape: bytes made safe for a terminal (and for an HTML page: escape_html). Printable ASCII
 * stays, every other byte becomes
 * "\xNN", so no control sequence (CSI, OSC, C1, a bare CR) from a packet reaches a terminal.
 * The text report and the live screen both escape with it, so they show a byte alike. */
#ifndef SMTPSCOPE_ESCAPE_H
#define SMTPSCOPE_ESCAPE_H

#include <stddef.h>

/* Escapes len bytes of in into out (with keep_newlines, LF stays: multi-line text that is
 * already a report). Stops before an escape would be cut; out is always terminated, and
 * nothing is written when cap is 0. Returns the length written. */
size_t escape_text(char *out, size_t cap, const char *in, size_t len, int keep_newlines);
/* escape_text on one line: LF is escaped too. */
size_t escape_line(char *out, size_t cap, const char *in, size_t len);
/* escape_line on a string; NULL is taken as "". */
size_t escape_str(char *out, size_t cap, const char *s);
/* The length escape_text would write given all the room it needs (without the NUL). */
size_t escape_len(const char *in, size_t len, int keep_newlines);

/* For HTML text and attribute values: as escape_line, and & < > " ' : become the entities
 * &amp; &lt; &gt; &quot; &#39; &#58;, so no markup, attribute, URL or scheme from a packet
 * survives in the file's bytes (a reader's grep finds no "javascript:").
 * Bounded like escape_text (never half an entity); returns the length written. */
size_t escape_html(char *out, size_t cap, const char *in, size_t len);
/* The most one input byte becomes in escape_html ("&quot;"). */
#define ESCAPE_HTML_MAX 6

#endif
