/* The greeting-line classifier: a banner masked by an SMTP-inspecting firewall, by rule. */
#include "smtp/banner.h"

#include <ctype.h>

/* Firewalls substitute bytes in place, so a masked line keeps its length and holds only
 * '*' plus the characters the firewall spares ('2', '0', blanks). Requiring several '*'
 * and far more of them than spared digits keeps short banners such as "220 2.0.0" or banners that
 * merely contain a few stars ("** no UCE **", among letters) out. */
enum { MIN_STARS = 3 };

static size_t text_start(const char *line, size_t len)
{
    if (len >= 4 && isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[1]) &&
        isdigit((unsigned char)line[2]) && (line[3] == ' ' || line[3] == '-'))
        return 4;
    return 0; /* code or separator masked too: judge the whole line */
}

banner_mask smtp_banner_classify(const char *line, size_t len)
{
    size_t stars = 0, spared = 0, other = 0;
    for (size_t i = text_start(line, len); i < len; i++) {
        char c = line[i];
        if (c == '*')
            stars++;
        else if (c == '2' || c == '0')
            spared++;
        else if (c != ' ' && c != '\t' && c != '\r')
            other++;
    }
    if (other || stars < MIN_STARS || stars <= 2 * spared)
        return BANNER_NORMAL;
    return spared ? BANNER_MASKED_EXCEPT_20 : BANNER_MASKED_ALL;
}
