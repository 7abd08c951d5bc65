/*
 * optout.c - participation opted_out only with an approved application (see optout.h).
 */
#include "optout.h"

#include <stdio.h>
#include <string.h>

enum rcl_optout_outcome rcl_school_optout_rule(struct rcl_student *s, const struct rcl_student *old,
                                               const char *reason, const char *today)
{
    unsigned was = old != NULL ? old->participation : RCL_PART_ACTIVE;

    if (s->participation == RCL_PART_OPTED_OUT && was != RCL_PART_OPTED_OUT) {
        if (s->optout_status == RCL_OPTOUT_APPROVED)
            return RCL_OPTOUT_RULE_KEPT;
        s->participation = was;
        if (s->optout_status == RCL_OPTOUT_PENDING)
            return RCL_OPTOUT_RULE_PENDING;
        s->optout_status = RCL_OPTOUT_PENDING;
        if (reason != s->optout_reason)
            snprintf(s->optout_reason, sizeof(s->optout_reason), "%s", reason);
        snprintf(s->optout_filed, sizeof(s->optout_filed), "%s", today);
        s->optout_decided[0] = '\0';
        return RCL_OPTOUT_RULE_FILED;
    }
    if (was == RCL_PART_OPTED_OUT && s->participation != RCL_PART_OPTED_OUT &&
        s->optout_status == RCL_OPTOUT_APPROVED) {
        s->optout_status = RCL_OPTOUT_NONE;
        s->optout_reason[0] = s->optout_filed[0] = s->optout_decided[0] = '\0';
        return RCL_OPTOUT_RULE_WITHDRAWN;
    }
    return RCL_OPTOUT_RULE_KEPT;
}

const char *rcl_optout_outcome_text(enum rcl_optout_outcome o)
{
    switch (o) {
    case RCL_OPTOUT_RULE_FILED:
        return "opted_out needs an approved application: filed one, pending";
    case RCL_OPTOUT_RULE_PENDING:
        return "opted_out needs an approved application: one is pending";
    case RCL_OPTOUT_RULE_WITHDRAWN:
        return "no longer opted_out: the approved application is withdrawn (cleared)";
    case RCL_OPTOUT_RULE_KEPT:
        break;
    }
    return NULL;
}
