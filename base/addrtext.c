/* addrtext: addresses and endpoints as text. See addrtext.h. */
#include "base/addrtext.h"

#include <arpa/inet.h>
#include <string.h>

size_t text_decimal(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t ip4_text(char *out, const uint8_t *a)
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        if (i)
            out[n++] = '.';
        n += text_decimal(out + n, a[i]);
    }
    return n;
}

/* The n bytes of text built in buf into out, terminated, when they fit: their length; else
 * (and for no text) out "" and 0. */
static size_t copy_out(char *out, size_t cap, const char *buf, size_t n)
{
    if (cap == 0)
        return 0;
    if (n == 0 || n >= cap) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, buf, n);
    out[n] = '\0';
    return n;
}

/* The address's text into buf (INET6_ADDRSTRLEN bytes), unterminated: its length, 0 if none. */
static size_t address(char *buf, int family, const uint8_t *addr)
{
    if (family == 4)
        return ip4_text(buf, addr);
    return inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN) ? strlen(buf) : 0;
}

size_t addr_text(char *out, size_t cap, int family, const uint8_t *addr)
{
    char buf[INET6_ADDRSTRLEN];

    return copy_out(out, cap, buf, address(buf, family, addr));
}

size_t endpoint_text(char *out, size_t cap, int family, const uint8_t *addr, uint16_t port)
{
    char buf[ADDRTEXT_ENDPOINT_MAX];
    size_t v6 = family != 4, a = address(buf + v6, family, addr), n = v6 + a;

    if (a == 0)
        return copy_out(out, cap, buf, 0);
    if (v6) {
        buf[0] = '[';
        buf[n++] = ']';
    }
    buf[n++] = ':';
    n += text_decimal(buf + n, port);
    return copy_out(out, cap, buf, n);
}
