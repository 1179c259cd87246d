/* base64: encoding and strict decoding. See base64.h. Thirty lines did not justify a library
 * dependency (none of the Debian ones the build already links has it). */
#include "base/base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void base64_encode(char *out, const void *in, size_t n)
{
    const uint8_t *p = in;
    for (; n >= 3; n -= 3, p += 3, out += 4) {
        uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        out[0] = alphabet[v >> 18];
        out[1] = alphabet[v >> 12 & 63];
        out[2] = alphabet[v >> 6 & 63];
        out[3] = alphabet[v & 63];
    }
    if (n) {
        uint32_t v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
        out[0] = alphabet[v >> 18];
        out[1] = alphabet[v >> 12 & 63];
        out[2] = n == 2 ? alphabet[v >> 6 & 63] : '=';
        out[3] = '=';
        out += 4;
    }
    *out = '\0';
}

int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long base64_decode(void *out, size_t cap, const char *s, size_t len)
{
    uint8_t *o = out;
    size_t n = 0;
    if (len % 4)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int pad = last ? (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=') : 0;
        uint32_t v = 0;
        for (int k = 0; k < 4 - pad; k++) {
            int x = base64_value((unsigned char)s[i + (size_t)k]);
            if (x < 0)
                return -1;
            v = v << 6 | (uint32_t)x;
        }
        v <<= 6 * pad;
        if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
            return -1; /* bits beyond the last byte: not what an encoder writes */
        size_t bytes = 3 - (size_t)pad;
        if (cap - n < bytes)
            return -1;
        for (size_t k = 0; k < bytes; k++)
            o[n++] = (uint8_t)(v >> (16 - 8 * k));
    }
    return (long)n;
}
