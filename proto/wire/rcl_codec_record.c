/*
 * rcl_codec_record.c - students, tombstones and school profiles on the wire
 * (see rcl_codec_record.h).
 */
#include "rcl_codec_record.h"

#include <inttypes.h>
#include <string.h>

#include "rcl_codec_check.h"

/* ---- Student ---- */

static int measure_from_wire(const Rollcall__Measure *m, struct rcl_measure *out, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (m == NULL) {
        codec_err(err, errlen, "student.measures holds an empty entry");
        return -1;
    }
    if (codec_check_enum("student.measures.kind", m->kind, RCL_MEASURE_KIND_COUNT, err, errlen) !=
            0 ||
        codec_check_enum("student.measures.status", m->status, RCL_STATUS_COUNT, err, errlen) !=
            0 ||
        codec_take_string("student.measures.helper_role", m->helper_role, out->helper_role,
                          sizeof(out->helper_role), err, errlen) != 0 ||
        codec_take_date("student.measures.start_date", m->start_date, out->start_date, err,
                        errlen) != 0 ||
        codec_take_date("student.measures.end_date", m->end_date, out->end_date, err, errlen) !=
            0 ||
        codec_take_contact("student.measures.helper_contact", m->helper_contact,
                           out->helper_contact, err, errlen) != 0)
        return -1;
    /* Same-length ISO dates compare as text. */
    if (out->start_date[0] && out->end_date[0] && strcmp(out->end_date, out->start_date) < 0) {
        codec_err(err, errlen, "student.measures.end_date %s is before its start_date %s",
                  out->end_date, out->start_date);
        return -1;
    }
    out->kind = (uint8_t)m->kind;
    out->status = (uint8_t)m->status;
    return 0;
}

static int optout_from_wire(const Rollcall__Student *w, struct rcl_student *s, char *err,
                            size_t errlen)
{
    if (codec_check_enum("student.optout_status", w->optout_status, RCL_OPTOUT_STATUS_COUNT, err,
                         errlen) != 0 ||
        codec_take_string("student.optout_reason", w->optout_reason, s->optout_reason,
                          sizeof(s->optout_reason), err, errlen) != 0 ||
        codec_take_date("student.optout_filed", w->optout_filed, s->optout_filed, err, errlen) !=
            0 ||
        codec_take_date("student.optout_decided", w->optout_decided, s->optout_decided, err,
                        errlen) != 0)
        return -1;
    s->optout_status = w->optout_status;
    if (s->optout_status == RCL_OPTOUT_NONE &&
        (s->optout_reason[0] || s->optout_filed[0] || s->optout_decided[0])) {
        codec_err(err, errlen, "student.optout_status is none but the application has fields");
        return -1;
    }
    if (s->optout_decided[0] && s->optout_status != RCL_OPTOUT_APPROVED &&
        s->optout_status != RCL_OPTOUT_REJECTED) {
        codec_err(err, errlen, "student.optout_decided is set but the application is %s",
                  rcl_optout_status_names[s->optout_status]);
        return -1;
    }
    if (s->optout_filed[0] && s->optout_decided[0] &&
        strcmp(s->optout_decided, s->optout_filed) < 0) {
        codec_err(err, errlen, "student.optout_decided %s is before optout_filed %s",
                  s->optout_decided, s->optout_filed);
        return -1;
    }
    return 0;
}

int codec_student_from_wire(const Rollcall__Student *w, struct rcl_student *s, char *err,
                            size_t errlen)
{
    memset(s, 0, sizeof(*s));
    if (codec_take_bytes("student.pseudonym", &w->pseudonym, s->pseudonym, RCL_PSEUDONYM_BYTES, err,
                         errlen) != 0)
        return -1;
    if (codec_take_string("student.name", w->name, s->name, sizeof(s->name), err, errlen) != 0)
        return -1;
    if (w->grade < 1 || w->grade > 12) {
        codec_err(err, errlen, "student.grade %" PRIu32 " is out of range 1-12", w->grade);
        return -1;
    }
    s->grade = w->grade;
    if (codec_take_string("student.class_name", w->class_name, s->class_name, sizeof(s->class_name),
                          err, errlen) != 0)
        return -1;
    if (codec_check_bits("student.network", w->network, RCL_NETWORK_COUNT, err, errlen) != 0 ||
        codec_check_bits("student.devices", w->devices, RCL_DEVICE_COUNT, err, errlen) != 0 ||
        codec_check_bits("student.groups", w->groups, RCL_GROUP_COUNT, err, errlen) != 0)
        return -1;
    s->network = w->network;
    s->devices = w->devices;
    s->groups = w->groups;
    if (codec_take_string("student.platform", w->platform, s->platform, sizeof(s->platform), err,
                          errlen) != 0)
        return -1;
    if (codec_check_enum("student.participation", w->participation, RCL_PARTICIPATION_COUNT, err,
                         errlen) != 0)
        return -1;
    s->participation = w->participation;
    if (w->n_measures > RCL_MEASURES_MAX) {
        codec_err(err, errlen, "student has %zu measures, limit %d", w->n_measures,
                  RCL_MEASURES_MAX);
        return -1;
    }
    for (size_t i = 0; i < w->n_measures; i++) {
        if (measure_from_wire(w->measures[i], &s->measures[i], err, errlen) != 0)
            return -1;
    }
    s->n_measures = w->n_measures;
    if (codec_take_string("student.feedback", w->feedback, s->feedback, sizeof(s->feedback), err,
                          errlen) != 0 ||
        codec_take_county("student.place_county", w->place_county, s->place_county, err, errlen) !=
            0 ||
        codec_take_string("student.place", w->place, s->place, sizeof(s->place), err, errlen) !=
            0 ||
        codec_take_contact("student.guardian_contact", w->guardian_contact, s->guardian_contact,
                           err, errlen) != 0)
        return -1;
    return optout_from_wire(w, s, err, errlen);
}

void codec_student_to_wire(struct rcl_student *s, Rollcall__Student *w,
                           struct codec_record_scratch *scratch)
{
    size_t nm = s->n_measures <= RCL_MEASURES_MAX ? s->n_measures : RCL_MEASURES_MAX;

    rollcall__student__init(w);
    w->pseudonym.data = s->pseudonym;
    w->pseudonym.len = RCL_PSEUDONYM_BYTES;
    w->name = s->name;
    w->grade = s->grade;
    w->class_name = s->class_name;
    w->network = s->network;
    w->devices = s->devices;
    w->platform = s->platform;
    w->groups = s->groups;
    w->participation = s->participation;
    for (size_t i = 0; i < nm; i++) {
        Rollcall__Measure *m = &scratch->measures[i];

        rollcall__measure__init(m);
        m->kind = s->measures[i].kind;
        m->status = s->measures[i].status;
        m->helper_role = s->measures[i].helper_role;
        m->start_date = s->measures[i].start_date;
        m->end_date = s->measures[i].end_date;
        m->helper_contact = s->measures[i].helper_contact;
        scratch->measure_ptrs[i] = m;
    }
    w->n_measures = nm;
    w->measures = nm > 0 ? scratch->measure_ptrs : NULL;
    w->feedback = s->feedback;
    w->optout_status = s->optout_status;
    w->optout_reason = s->optout_reason;
    w->optout_filed = s->optout_filed;
    w->optout_decided = s->optout_decided;
    w->place_county = s->place_county;
    w->place = s->place;
    w->guardian_contact = s->guardian_contact;
}

/* ---- Tombstone ---- */

int codec_removed_from_wire(const Rollcall__StudentRemoved *w, struct rcl_departure *d, char *err,
                            size_t errlen)
{
    memset(d, 0, sizeof(*d));
    if (codec_take_bytes("removed.pseudonym", &w->pseudonym, d->pseudonym, RCL_PSEUDONYM_BYTES, err,
                         errlen) != 0 ||
        codec_check_enum("removed.reason", w->reason, RCL_DEPART_REASON_COUNT, err, errlen) != 0 ||
        codec_take_school_code("removed.destination", w->destination, d->destination, err,
                               errlen) != 0 ||
        codec_take_date("removed.left_on", w->left_on, d->left_on, err, errlen) != 0 ||
        codec_take_string("removed.name", w->name, d->name, sizeof(d->name), err, errlen) != 0 ||
        codec_take_string("removed.class_name", w->class_name, d->class_name, sizeof(d->class_name),
                          err, errlen) != 0)
        return -1;
    if (w->grade > 12) {
        codec_err(err, errlen, "removed.grade %" PRIu32 " is out of range 0-12", w->grade);
        return -1;
    }
    d->reason = w->reason;
    d->grade = w->grade;
    if (d->destination[0] && d->reason != RCL_DEPART_TRANSFERRED_OUT) {
        codec_err(err, errlen, "removed.destination is set but the reason is %s",
                  rcl_departure_reason_names[d->reason]);
        return -1;
    }
    return 0;
}

void codec_removed_to_wire(struct rcl_departure *d, Rollcall__StudentRemoved *w)
{
    rollcall__student_removed__init(w);
    w->pseudonym.data = d->pseudonym;
    w->pseudonym.len = RCL_PSEUDONYM_BYTES;
    w->reason = d->reason;
    w->destination = d->destination;
    w->left_on = d->left_on;
    w->name = d->name;
    w->grade = d->grade;
    w->class_name = d->class_name;
}

/* ---- School profile ---- */

static int materials_check(const struct rcl_school_profile *p, char *err, size_t errlen)
{
    if (p->materials_total == 0) {
        if (p->materials_delivered != 0) {
            codec_err(err, errlen, "school.materials_delivered is set without a total");
            return -1;
        }
        if (p->materials_percent > 100) {
            codec_err(err, errlen, "school.materials_percent %" PRIu32 " is over 100",
                      p->materials_percent);
            return -1;
        }
        return 0;
    }
    if (p->materials_delivered > p->materials_total) {
        codec_err(err, errlen,
                  "school.materials_delivered %" PRIu32 " is more than the total %" PRIu32,
                  p->materials_delivered, p->materials_total);
        return -1;
    }
    if (p->materials_percent !=
        (uint32_t)((uint64_t)p->materials_delivered * 100 / p->materials_total)) {
        codec_err(err, errlen,
                  "school.materials_percent %" PRIu32 " is not %" PRIu32 " of %" PRIu32,
                  p->materials_percent, p->materials_delivered, p->materials_total);
        return -1;
    }
    return 0;
}

int codec_profile_from_wire(const Rollcall__SchoolProfile *w, struct rcl_school_profile *p,
                            char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    if (codec_take_id("school.school_id", w->school_id, p->school_id, sizeof(p->school_id), err,
                      errlen) != 0 ||
        codec_take_string("school.name", w->name, p->name, sizeof(p->name), err, errlen) != 0 ||
        codec_take_county("school.county", w->county, p->county, err, errlen) != 0 ||
        codec_take_string("school.contact_role", w->contact_role, p->contact_role,
                          sizeof(p->contact_role), err, errlen) != 0 ||
        codec_take_school_code("school.parent_school", w->parent_school, p->parent_school, err,
                               errlen) != 0)
        return -1;
    if (p->parent_school[0] && strcmp(p->parent_school, p->school_id) == 0) {
        codec_err(err, errlen, "school.parent_school names the school itself");
        return -1;
    }
    if (w->n_platforms > RCL_PLATFORMS_MAX) {
        codec_err(err, errlen, "school has %zu platforms, limit %d", w->n_platforms,
                  RCL_PLATFORMS_MAX);
        return -1;
    }
    for (size_t i = 0; i < w->n_platforms; i++) {
        const Rollcall__Platform *pw = w->platforms[i];
        struct rcl_platform *pl = &p->platforms[i];

        if (pw == NULL) {
            codec_err(err, errlen, "school.platforms holds an empty entry");
            return -1;
        }
        if (codec_take_string("school.platforms.name", pw->name, pl->name, sizeof(pl->name), err,
                              errlen) != 0 ||
            codec_check_enum("school.platforms.kind", pw->kind, RCL_PLATFORM_KIND_COUNT, err,
                             errlen) != 0 ||
            codec_take_string("school.platforms.classes", pw->classes, pl->classes,
                              sizeof(pl->classes), err, errlen) != 0)
            return -1;
        if (pl->name[0] == '\0') {
            codec_err(err, errlen, "school.platforms.name is empty");
            return -1;
        }
        pl->kind = pw->kind;
    }
    p->n_platforms = w->n_platforms;
    p->materials_delivered = w->materials_delivered;
    p->materials_total = w->materials_total;
    p->materials_percent = w->materials_percent;
    return materials_check(p, err, errlen);
}

void codec_profile_to_wire(struct rcl_school_profile *p, Rollcall__SchoolProfile *w,
                           struct codec_record_scratch *scratch)
{
    size_t np = p->n_platforms <= RCL_PLATFORMS_MAX ? p->n_platforms : RCL_PLATFORMS_MAX;

    rollcall__school_profile__init(w);
    w->school_id = p->school_id;
    w->name = p->name;
    w->county = p->county;
    for (size_t i = 0; i < np; i++) {
        Rollcall__Platform *pw = &scratch->platforms[i];

        rollcall__platform__init(pw);
        pw->name = p->platforms[i].name;
        pw->kind = p->platforms[i].kind;
        pw->classes = p->platforms[i].classes;
        scratch->platform_ptrs[i] = pw;
    }
    w->n_platforms = np;
    w->platforms = np > 0 ? scratch->platform_ptrs : NULL;
    w->materials_delivered = p->materials_delivered;
    w->materials_total = p->materials_total;
    w->materials_percent = p->materials_percent;
    w->contact_role = p->contact_role;
    w->parent_school = p->parent_school;
}
