/* base64: RFC 4648's alphabet with padding, for the binary records a --sensor run carries in
 * its JSON lines (--merge reads them back). */
#ifndef SMTPSCOPE_BASE_BASE64_H
#define SMTPSCOPE_BASE_BASE64_H

#include <stddef.h>

/* The value of one base64 character, or -1 (for lenient decoders of packet bytes). */
int base64_value(unsigned char c);
/* Characters base64_encode writes for n bytes, its NUL not counted. */
size_t base64_encoded_len(size_t n);
/* Writes n bytes of in as base64 to out (base64_encoded_len(n) + 1 bytes), NUL-terminated. */
void base64_encode(char *out, const void *in, size_t n);
/* Decodes len characters of s into out (at most cap bytes): the bytes written, or -1 when s is
 * not canonical padded base64 (a stray character, a bad length or padding, bits left over)
 * or does not fit. Packet-derived bytes come back through it: nothing is trusted. */
long base64_decode(void *out, size_t cap, const char *s, size_t len);

#endif
