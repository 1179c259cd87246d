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

size_t addr_text(char *out, size_t cap, int family, const uint8_t *addr)
{
    char buf[INET6_ADDRSTRLEN];
    size_t n;

    if (family == 4) {
        n = ip4_text(buf, addr);
    } else {
        if (inet_ntop(AF_INET6, addr, buf, sizeof buf) == NULL)
            buf[0] = '\0';
        n = strlen(buf);
    }
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

size_t endpoint_text(char *out, size_t cap, int family, const uint8_t *addr, uint16_t port)
{
    char buf[ADDRTEXT_ENDPOINT_MAX];
    size_t n = 0;

    if (family != 4)
        buf[n++] = '[';
    size_t a = addr_text(buf + n, sizeof buf - n, family, addr);
    if (a == 0) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    n += a;
    if (family != 4)
        buf[n++] = ']';
    buf[n++] = ':';
    n += text_decimal(buf + n, port);
    if (cap == 0)
        return 0;
    if (n >= cap) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, buf, n);
    out[n] = '\0';
    return n;
}
