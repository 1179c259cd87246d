/* registry: the analysers there are, one line each. A new protocol adds its analyser here
 * (and its id to proto_id in analyser/analyser.h); the command line's port option, the
 * classification, --detect, the workers and the report then know it. */
#include "pipeline/pipeline.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"

static const analyser *const registry[PROTO_COUNT] = {
    [PROTO_SMTP] = &smtp_analyser,
    [PROTO_POP3] = &pop3_analyser,
};

const analyser *pipeline_analyser(proto_id proto)
{
    return proto < PROTO_COUNT ? registry[proto] : NULL;
}
