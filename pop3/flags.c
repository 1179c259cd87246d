/* flags: the table of pop3/flags.def as data, for the reports and the live screen. */
#include "pop3/pop3.h"

static const flag_info flags[POP3_FLAG_COUNT] = {
#define FLAG(id, name, badge, serious, advice) {name, badge, advice, serious},
#include "pop3/flags.def"
};

const flag_info *pop3_flag(unsigned index)
{
    return index < POP3_FLAG_COUNT ? &flags[index] : NULL;
}

const char *pop3_flag_name(unsigned index)
{
    return index < POP3_FLAG_COUNT ? flags[index].name : "?";
}
