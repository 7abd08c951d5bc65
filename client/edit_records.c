/*
 * edit_records.c - measure add|plan|end and profile set (see edit.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "edit_internal.h"
#include "exit_codes.h"
#include "reason.h"

/* ---- Measures ---- */

/* The first measure of kind that has not ended, or -1. */
static int open_measure(const struct rcl_student *s, int kind)
{
    for (size_t i = 0; i < s->n_measures; i++) {
        if (s->measures[i].kind == kind && s->measures[i].status != RCL_STATUS_ENDED)
            return (int)i;
    }
    return -1;
}

/*
 * measure add: the kind is in place (an open measure of the kind is updated,
 * else one is added; the start date defaults to today). measure plan: a
 * planned one (refused when one is in place already). measure end: the open
 * measure of the kind has ended (the end date defaults to today).
 */
int rcl_edit_measure(struct rcl_edit *e)
{
    const char *kind_word = rcl_edit_opt(e, "kind");
    const char *action = e->action;
    struct rcl_student s, old;
    struct rcl_measure *m;
    int kind, i, found, rc = RCL_SCHOOL_EXIT_DATA;

    if (kind_word == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--kind KIND");
    kind =
        rcl_name_find(rcl_measure_kind_names, RCL_MEASURE_KIND_COUNT, kind_word, strlen(kind_word));
    if (kind < 0)
        return rcl_edit_fail(e,
                             "--kind '%s' is not one of tv_at_village, loaned_device, "
                             "data_subsidy, one_to_one, paper_materials, funding",
                             kind_word);
    found = rcl_edit_student(e, &old);
    if (found == 0)
        rc = rcl_edit_fail(e, "no student %s on the list", old.id);
    if (found <= 0)
        return rc;
    s = old;
    i = open_measure(&s, kind);
    if (strcmp(action, "end") == 0) {
        if (i < 0) {
            rc = rcl_edit_fail(e, "student %s has no planned or in-place measure %s", s.id,
                               rcl_measure_kind_names[kind]);
            goto done;
        }
    } else if (i >= 0 && strcmp(action, "plan") == 0 &&
               s.measures[i].status == RCL_STATUS_IN_PLACE) {
        rc = rcl_edit_fail(e, "student %s already has measure %s in place", s.id,
                           rcl_measure_kind_names[kind]);
        goto done;
    } else if (i < 0) {
        if (s.n_measures >= RCL_MEASURES_MAX) {
            rc = rcl_edit_fail(e, "student %s has %d measures already, the most allowed", s.id,
                               RCL_MEASURES_MAX);
            goto done;
        }
        i = (int)s.n_measures++;
        memset(&s.measures[i], 0, sizeof(s.measures[i]));
        s.measures[i].kind = (uint8_t)kind;
    }
    m = &s.measures[i];
    if (strcmp(action, "add") == 0) {
        m->status = RCL_STATUS_IN_PLACE;
        if (m->start_date[0] == '\0')
            memcpy(m->start_date, e->today, sizeof(m->start_date));
    } else if (strcmp(action, "plan") == 0) {
        m->status = RCL_STATUS_PLANNED;
    } else {
        m->status = RCL_STATUS_ENDED;
        memcpy(m->end_date, e->today, sizeof(m->end_date));
    }
    if (rcl_edit_text(e, "role", false, m->helper_role, sizeof(m->helper_role)) != 0 ||
        rcl_edit_contact(e, "contact", m->helper_contact) != 0 ||
        rcl_edit_date(e, "start", m->start_date) != 0 || rcl_edit_date(e, "end", m->end_date) != 0)
        goto done;
    /* The sheet lists one role per measure separated by ';' (helper_roles): a role holds none. */
    if (strchr(m->helper_role, ';') != NULL) {
        rc = rcl_edit_fail(e, "--role '%s' holds a ';' (use '、' between several helpers)",
                           m->helper_role);
        goto done;
    }
    if (m->start_date[0] && m->end_date[0] && strcmp(m->end_date, m->start_date) < 0) {
        rc =
            rcl_edit_fail(e, "end date %s is before the start date %s", m->end_date, m->start_date);
        goto done;
    }
    rc = rcl_edit_save(e, &s, &old,
                       strcmp(action, "add") == 0    ? "measure in place"
                       : strcmp(action, "plan") == 0 ? "measure planned"
                                                     : "measure ended");
done:
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&old, sizeof(old));
    return rc;
}

/* ---- Profile ---- */

static void trim(const char **s, const char **end)
{
    while (*s < *end && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
        (*end)--;
}

/* Copies [s, end) into out (cap bytes) when it fits. 0, or -1. */
static int take_part(const char *s, const char *end, char *out, size_t cap)
{
    size_t n = (size_t)(end - s);

    if (n >= cap || !rcl_utf8_valid(s, n))
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* --platforms "NAME:KIND[:CLASSES];..." ("" clears them). 0, or an exit code said. */
static int parse_platforms(struct rcl_edit *e, const char *v, struct rcl_school_profile *p)
{
    const char *item = v;

    p->n_platforms = 0;
    while (*item != '\0') {
        const char *next = strchr(item, ';');
        const char *end = next != NULL ? next : item + strlen(item);
        const char *c1 = memchr(item, ':', (size_t)(end - item));
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
        const char *ns = item, *ne = c1 != NULL ? c1 : end;
        struct rcl_platform *pl;
        int kind;

        trim(&ns, &ne);
        if (ns == ne && c1 == NULL) { /* an empty item, as in "a:tv;" */
            item = next != NULL ? next + 1 : end;
            continue;
        }
        if (p->n_platforms >= RCL_PLATFORMS_MAX)
            return rcl_edit_fail(e, "--platforms lists more than %d platforms", RCL_PLATFORMS_MAX);
        pl = &p->platforms[p->n_platforms];
        memset(pl, 0, sizeof(*pl));
        if (c1 == NULL || ns == ne)
            return rcl_edit_fail(e, "--platforms item '%.*s' is not NAME:KIND[:CLASSES]",
                                 (int)(end - item), item);
        if (take_part(ns, ne, pl->name, sizeof(pl->name)) != 0)
            return rcl_edit_fail(e, "--platforms name '%.*s' is too long or not UTF-8 text",
                                 (int)(ne - ns), ns);
        {
            const char *ks = c1 + 1, *ke = c2 != NULL ? c2 : end;
            trim(&ks, &ke);
            kind = rcl_name_find(rcl_platform_kind_names, RCL_PLATFORM_KIND_COUNT, ks,
                                 (size_t)(ke - ks));
            if (kind < 0)
                return rcl_edit_fail(e,
                                     "--platforms kind '%.*s' of '%s' is not one of live, "
                                     "recorded, tv, other",
                                     (int)(ke - ks), ks, pl->name);
            pl->kind = (unsigned)kind;
        }
        if (c2 != NULL) {
            const char *cs = c2 + 1, *ce = end;
            trim(&cs, &ce);
            if (take_part(cs, ce, pl->classes, sizeof(pl->classes)) != 0)
                return rcl_edit_fail(e,
                                     "--platforms classes of '%s' are too long (at most %d "
                                     "bytes) or not UTF-8 text",
                                     pl->name, RCL_CLASSES_MAX);
        }
        p->n_platforms++;
        item = next != NULL ? next + 1 : end;
    }
    return 0;
}

/* --materials "DELIVERED/TOTAL" or "PERCENT%". 0, or an exit code said. */
static int parse_materials(struct rcl_edit *e, const char *v, struct rcl_school_profile *p)
{
    char *end = NULL;
    unsigned long a, b;

    if (v[0] < '0' || v[0] > '9')
        goto bad;
    a = strtoul(v, &end, 10);
    if (strcmp(end, "%") == 0) {
        if (a > 100)
            return rcl_edit_fail(e, "--materials '%s': a percent is at most 100", v);
        p->materials_delivered = 0;
        p->materials_total = 0;
        p->materials_percent = (uint32_t)a;
        return 0;
    }
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        goto bad;
    b = strtoul(end + 1, &end, 10);
    if (*end != '\0' || b == 0 || b > UINT32_MAX || a > b)
        return rcl_edit_fail(e,
                             "--materials '%s': the delivered count must be at most the "
                             "total, which must be 1 or more",
                             v);
    p->materials_delivered = (uint32_t)a;
    p->materials_total = (uint32_t)b;
    p->materials_percent = (uint32_t)((uint64_t)a * 100 / b);
    return 0;
bad:
    return rcl_edit_fail(e,
                         "--materials '%s' is not DELIVERED/TOTAL (e.g. 120/300) or "
                         "PERCENT%% (e.g. 40%%)",
                         v);
}

int rcl_edit_profile(struct rcl_edit *e)
{
    struct rcl_school_profile p;
    const char *v;
    int rc;

    if (e->n == 0)
        return RCL_EDIT_USAGE_NEEDS(e, "at least one of --platforms, --materials, "
                                       "--contact-role, --parent");
    if (rcl_school_profile_load(e->db, e->m, &p) != 0)
        return rcl_edit_fail(e, "cannot read the profile (see the log above)");
    if ((v = rcl_edit_opt(e, "platforms")) != NULL && (rc = parse_platforms(e, v, &p)) != 0)
        return rc;
    if ((v = rcl_edit_opt(e, "materials")) != NULL && (rc = parse_materials(e, v, &p)) != 0)
        return rc;
    if (rcl_edit_text(e, "contact-role", false, p.contact_role, sizeof(p.contact_role)) != 0)
        return RCL_SCHOOL_EXIT_DATA;
    if ((v = rcl_edit_opt(e, "parent")) != NULL) {
        bool ok = strlen(v) == RCL_SCHOOL_ID_LEN;
        for (size_t i = 0; ok && i < RCL_SCHOOL_ID_LEN; i++)
            ok = v[i] >= '0' && v[i] <= '9';
        if (v[0] != '\0' && strcmp(v, "none") != 0 && !ok)
            return rcl_edit_fail(e, "--parent '%s' is not a 10-digit school code (or none)", v);
        if (ok && strcmp(v, e->m->school_id) == 0)
            return rcl_edit_fail(e, "--parent '%s' is this school itself", v);
        snprintf(p.parent_school, sizeof(p.parent_school), "%s", ok ? v : "");
    }
    if (rcl_school_profile_save(e->db, &p) != 0)
        return rcl_edit_fail(e, "cannot save the profile (see the log above)");
    rcl_edit_done(
        e, "profile of %s: %zu platform%s, materials %u%%, contact role '%s', parent school %s\n",
        p.school_id, p.n_platforms, p.n_platforms == 1 ? "" : "s", p.materials_percent,
        p.contact_role, p.parent_school[0] ? p.parent_school : rcl_word_none);
    return 0;
}
