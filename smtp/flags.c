/* flags: the table of smtp/flags.def as data, for the reports, the live screen and the
 * ranking of causes. */
#include "smtp/smtp.h"

static const smtp_flag_info flags[SMTP_FLAG_COUNT] = {
#define FLAG(id, name, badge, serious, cause, weight, rule, advice)                                \
    {{name, badge, advice, serious}, CAUSE_##cause, weight, CAUSE_RULE_##rule},
#include "smtp/flags.def"
};

static const struct {
    const char *name, *fix;
} causes[CAUSE_COUNT] = {
#define CAUSE(id, name, fix) {name, fix},
#include "smtp/flags.def"
};

const smtp_flag_info *smtp_flag(unsigned index)
{
    return index < SMTP_FLAG_COUNT ? &flags[index] : NULL;
}

const char *smtp_flag_name(unsigned index)
{
    return index < SMTP_FLAG_COUNT ? flags[index].info.name : "?";
}

const char *smtp_cause_name(cause_id id)
{
    return id >= 0 && id < CAUSE_COUNT ? causes[id].name : "?";
}

const char *smtp_cause_fix(cause_id id)
{
    return id >= 0 && id < CAUSE_COUNT ? causes[id].fix : "";
}
