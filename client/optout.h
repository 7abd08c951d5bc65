/*
 * optout.h - the rule that keeps a student's participation and opt-out
 * application consistent whatever sets them (a sheet, `student add|update`).
 *
 * Participation opted_out is what an approved application means, so it is
 * never set on its own: asking for it without approval files a pending
 * application instead (or finds one pending) and participation stays as it
 * was, until `optout decide --status approved`. Leaving opted_out withdraws
 * the opt-out: the approved application is cleared (status none), so opting
 * out again needs a new application. `optout decide` itself does not pass
 * through here: it sets both fields together.
 */
#ifndef RCL_SCHOOL_OPTOUT_H
#define RCL_SCHOOL_OPTOUT_H

#include "rcl_model.h"

enum rcl_optout_outcome {
    RCL_OPTOUT_RULE_KEPT,     /* consistent: nothing changed, nothing to say */
    RCL_OPTOUT_RULE_FILED,    /* opted_out without approval: a pending application was filed */
    RCL_OPTOUT_RULE_PENDING,  /* opted_out without approval: an application is pending already */
    RCL_OPTOUT_RULE_WITHDRAWN /* no longer opted_out: the approved application was cleared */
};

/*
 * Applies the rule to s, the student about to be saved; old is the stored
 * row (NULL for a new student). A filed application takes reason (the
 * sheet's, or the caller's words for "filed on import") and the date
 * today. Returns what happened; rcl_optout_outcome_text says it in a
 * sentence (NULL for KEPT).
 */
enum rcl_optout_outcome rcl_school_optout_rule(struct rcl_student *s, const struct rcl_student *old,
                                               const char *reason, const char *today);
const char *rcl_optout_outcome_text(enum rcl_optout_outcome o);

#endif
