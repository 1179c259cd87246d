/* flags: the tables of pop3/flags.def (findings and re-download causes) as data, for the
 * reports and the live screen. */
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

typedef struct cause_row {
    const char *name, *fix;
} cause_row;

static const cause_row causes[POP3_CAUSE_COUNT] = {
#define CAUSE(id, name, fix) {name, fix},
#include "pop3/flags.def"
};

const char *pop3_cause_name(unsigned id)
{
    return id < POP3_CAUSE_COUNT ? causes[id].name : "?";
}

const char *pop3_cause_fix(unsigned id)
{
    return id < POP3_CAUSE_COUNT ? causes[id].fix : "";
}
