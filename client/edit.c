/*
 * edit.c - everyday editing commands (see edit.h): the action table, option
 * checks, and the student, feedback and opt-out edits. Measures and the
 * profile are in edit_records.c.
 */
#include "edit.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "edit_internal.h"
#include "exit_codes.h"
#include "optout.h"
#include "reason.h"
#include "sheet.h"
#include "rcl_db.h"
#include "rcl_platform.h"
#include "student_id.h"

#define PROGRAM "rollcall-school"

static int student_add(struct rcl_edit *e);
static int student_update(struct rcl_edit *e);
static int student_remove(struct rcl_edit *e);
static int feedback_set(struct rcl_edit *e);
static int optout_file(struct rcl_edit *e);
static int optout_decide(struct rcl_edit *e);

#define STUDENT_FIELDS                                                                             \
    " name grade class network devices groups platform participation feedback place-county place " \
    "guardian-contact "

/* Which options each action takes (space-separated, with a blank at each end). */
static const struct edit_action {
    const char *command;
    const char *action;
    const char *allowed;
    int (*run)(struct rcl_edit *e);
    const char *zh; /* the action as the page names it */
} actions[] = {
    {"student", "add", " id" STUDENT_FIELDS, student_add, "新增学生"},
    {"student", "update", " id" STUDENT_FIELDS, student_update, "修改学生"},
    {"student", "remove", " id reason to date ", student_remove, "学生离校"},
    {"measure", "add", " id kind role contact start end ", rcl_edit_measure, "落实帮扶措施"},
    {"measure", "plan", " id kind role contact start end ", rcl_edit_measure, "计划帮扶措施"},
    {"measure", "end", " id kind role end ", rcl_edit_measure, "结束帮扶措施"},
    {"feedback", NULL, " id text ", feedback_set, "家长反馈"},
    {"optout", "file", " id reason date ", optout_file, "登记不参加申请"},
    {"optout", "decide", " id status date ", optout_decide, "记录不参加申请的决定"},
    {"profile", "set", " platforms materials contact-role parent ", rcl_edit_profile, "学校信息"},
};

static const struct edit_action *find_action(const char *command, const char *action)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        const struct edit_action *a = &actions[i];
        if (strcmp(a->command, command) != 0)
            continue;
        if ((a->action == NULL && action == NULL) ||
            (a->action != NULL && action != NULL && strcmp(a->action, action) == 0))
            return a;
    }
    return NULL;
}

int rcl_school_edit_check(const char *command, const char *action,
                          const struct rcl_school_edit_opt *opts, size_t n, bool zh, char *why,
                          size_t whylen)
{
    const struct edit_action *a = find_action(command, action);
    char word[48];

    if (a == NULL) {
        snprintf(why, whylen, zh ? "不认识的操作“%s”" : "unknown action '%s'",
                 action != NULL ? action : "");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(word, sizeof(word), " %s ", opts[i].name);
        if (strstr(a->allowed, word) == NULL) {
            const char *label = zh ? rcl_edit_label_zh(opts[i].name) : NULL;
            if (zh)
                snprintf(why, whylen, "“%s”不适用于“%s”", label != NULL ? label : opts[i].name,
                         a->zh);
            else
                snprintf(why, whylen, "--%s does not apply to '%s%s%s'", opts[i].name, command,
                         action != NULL ? " " : "", action != NULL ? action : "");
            return -1;
        }
    }
    return 0;
}

/* ---- Helpers shared with edit_records.c ---- */

/* fmt in the edit's language: its Chinese wording has the same conversions (edit_zh.c). */
static const char *worded(const struct rcl_edit *e, const char *fmt)
{
    const char *zh = e->zh ? rcl_edit_reason_zh(fmt) : NULL;
    return zh != NULL ? zh : fmt;
}

/* vfprintf of fmt worded so, the codes among its arguments said as their Chinese words in
 * Chinese (reason.h). */
static void said(const struct rcl_edit *e, FILE *to, const char *fmt, va_list ap)
{
    char text[1024];

    if (!e->zh) {
        vfprintf(to, fmt, ap);
        return;
    }
    rcl_vsnprintf_zh(text, sizeof(text), worded(e, fmt), ap);
    fputs(text, to);
}

int rcl_edit_fail(struct rcl_edit *e, const char *fmt, ...)
{
    va_list ap;

    fprintf(e->errs, e->zh ? "%s：" : "%s: ", e->zh ? e->where_zh : e->where);
    va_start(ap, fmt);
    said(e, e->errs, fmt, ap);
    va_end(ap);
    fputc('\n', e->errs);
    return RCL_SCHOOL_EXIT_DATA;
}

void rcl_edit_done(struct rcl_edit *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    said(e, e->out, fmt, ap);
    va_end(ap);
}

const char *rcl_edit_label(struct rcl_edit *e, const char *name)
{
    const char *zh = e->zh ? rcl_edit_label_zh(name) : NULL;

    if (zh != NULL)
        return zh;
    snprintf(e->label, sizeof(e->label), "--%s", name);
    return e->label;
}

const char *rcl_edit_opt(const struct rcl_edit *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->opts[i].name, name) == 0)
            return e->opts[i].value;
    }
    return NULL;
}

int rcl_edit_text(struct rcl_edit *e, const char *name, bool required, char *out, size_t cap)
{
    const char *v = rcl_edit_opt(e, name);
    size_t len;

    if (v == NULL)
        return 0;
    len = strlen(v);
    if (required && len == 0) {
        rcl_edit_fail(e, "%s is empty", rcl_edit_label(e, name));
        return -1;
    }
    if (len >= cap) {
        rcl_edit_fail(e, "%s is %zu bytes long, at most %zu allowed", rcl_edit_label(e, name), len,
                      cap - 1);
        return -1;
    }
    if (!rcl_utf8_valid(v, len)) {
        rcl_edit_fail(e, "%s is not valid UTF-8 text (or holds control characters)",
                      rcl_edit_label(e, name));
        return -1;
    }
    memcpy(out, v, len + 1);
    return 0;
}

int rcl_edit_contact(struct rcl_edit *e, const char *name, char out[RCL_CONTACT_MAX + 1])
{
    const char *v = rcl_edit_opt(e, name);

    if (v == NULL)
        return 0;
    /* The number is not repeated back: it is personal data, and messages end up in logs. */
    if (v[0] != '\0' && !rcl_contact_valid(v)) {
        rcl_edit_fail(e,
                      "%s is not a phone number (5 to 20 digits, with blanks, '-', '(', ')' "
                      "and a leading '+' allowed; at most %d bytes; '' clears it)",
                      rcl_edit_label(e, name), RCL_CONTACT_MAX);
        return -1;
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int rcl_edit_date(struct rcl_edit *e, const char *name, char out[RCL_DATE_LEN + 1])
{
    const char *v = rcl_edit_opt(e, name);

    if (v == NULL)
        return 0;
    if (!rcl_date_valid(v)) {
        rcl_edit_fail(e, "%s '%s' is not a date written YYYY-MM-DD", rcl_edit_label(e, name), v);
        return -1;
    }
    memcpy(out, v, RCL_DATE_LEN + 1);
    return 0;
}

/* Looks the student of --id up. Returns 1 found, 0 absent (said), -1 bad id or store error (said).
 */
int rcl_edit_student(struct rcl_edit *e, struct rcl_student *s)
{
    const char *id = rcl_edit_opt(e, "id");
    char why[192];
    int found;

    memset(s, 0, sizeof(*s));
    if (id == NULL || rcl_student_id_check_in(id, strlen(id), e->zh, why, sizeof(why)) != 0) {
        rcl_edit_fail(e, "student id '%s': %s", id != NULL ? id : "",
                      id != NULL ? why : worded(e, "missing"));
        return -1;
    }
    found = rcl_school_student_get(e->db, id, s);
    if (found < 0) {
        rcl_edit_fail(e, "cannot read student %s from the store (see the log above)", id);
        return -1;
    }
    memcpy(s->id, id, RCL_STUDENT_ID_LEN);
    s->id[RCL_STUDENT_ID_LEN] = '\0';
    return found;
}

int rcl_edit_save(struct rcl_edit *e, struct rcl_student *s, const struct rcl_student *old,
                  const char *done)
{
    switch (rcl_school_student_save(e->db, e->m->pseudonym_key, s, old, e->now)) {
    case RCL_SCHOOL_SAVE_NEW:
    case RCL_SCHOOL_SAVE_CHANGED:
        rcl_edit_done(e, "student %s: %s\n", s->id, worded(e, done));
        return 0;
    case RCL_SCHOOL_SAVE_UNCHANGED:
        rcl_edit_done(e, "student %s: unchanged\n", s->id);
        return 0;
    case RCL_SCHOOL_SAVE_FAILED:
        break;
    }
    return rcl_edit_fail(e, "cannot save student %s (see the log above)", s->id);
}

/*
 * Feedback as the family gave it may hold line breaks (pasted text); they
 * become spaces, as in an import, since no stored text carries control
 * characters. Copies into out (cap bytes). 0, or -1 said.
 */
static int feedback_text(struct rcl_edit *e, const char *name, char *out, size_t cap)
{
    const char *v = rcl_edit_opt(e, name);
    size_t n = 0;

    if (v == NULL)
        return 0;
    for (size_t i = 0; v[i] != '\0'; i++) {
        char ch = v[i];
        if (ch == '\r' || ch == '\n') {
            if (ch == '\r' && v[i + 1] == '\n')
                i++;
            ch = ' ';
        }
        if (n + 1 >= cap) {
            rcl_edit_fail(e, "%s is %zu bytes long, at most %zu allowed", rcl_edit_label(e, name),
                          strlen(v), cap - 1);
            return -1;
        }
        out[n++] = ch;
    }
    out[n] = '\0';
    if (!rcl_utf8_valid(out, n)) {
        rcl_edit_fail(e, "%s is not valid UTF-8 text (or holds control characters)",
                      rcl_edit_label(e, name));
        return -1;
    }
    return 0;
}

/* ---- Students ---- */

/* Participation and the opt-out application stay consistent (optout.h); says what it did. */
static void optout_rule(struct rcl_edit *e, struct rcl_student *s, const struct rcl_student *old)
{
    enum rcl_optout_outcome o = rcl_school_optout_rule(s, old, "修改参与情况时申请", e->today);

    if (o != RCL_OPTOUT_RULE_KEPT)
        rcl_edit_fail(e, "student %s: %s", s->id, worded(e, rcl_optout_outcome_text(o)));
}

/* Applies every student field option given. Returns 0, or an exit code after saying why. */
static int student_fields(struct rcl_edit *e, struct rcl_student *s)
{
    static const struct {
        const char *name;
        const char *const *names;
        int count;
        size_t offset;
    } sets[] = {
        {"network", rcl_network_names, RCL_NETWORK_COUNT, offsetof(struct rcl_student, network)},
        {"devices", rcl_device_names, RCL_DEVICE_COUNT, offsetof(struct rcl_student, devices)},
        {"groups", rcl_group_names, RCL_GROUP_COUNT, offsetof(struct rcl_student, groups)},
    };
    const char *v;
    char bad[64];

    if (rcl_edit_text(e, "name", true, s->name, sizeof(s->name)) != 0 ||
        rcl_edit_text(e, "class", true, s->class_name, sizeof(s->class_name)) != 0 ||
        rcl_edit_text(e, "platform", false, s->platform, sizeof(s->platform)) != 0 ||
        feedback_text(e, "feedback", s->feedback, sizeof(s->feedback)) != 0 ||
        rcl_edit_text(e, "place", false, s->place, sizeof(s->place)) != 0 ||
        rcl_edit_contact(e, "guardian-contact", s->guardian_contact) != 0)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_edit_opt(e, "class") != NULL) {
        /* The one form import stores ("三（1）班" is 1班), so that the class is one class. */
        char name[sizeof(s->class_name) * 2];
        unsigned grade;
        bool in_stage;
        if (rcl_sheet_class_normalize(s->class_name, strlen(s->class_name), name, sizeof(name),
                                      &grade, &in_stage) == 0 &&
            strlen(name) < sizeof(s->class_name))
            memcpy(s->class_name, name, strlen(name) + 1);
    }
    if ((v = rcl_edit_opt(e, "place-county")) != NULL) {
        if (v[0] != '\0' && !rcl_digits_only(v, RCL_COUNTY_LEN))
            return rcl_edit_fail(
                e, "--place-county '%s' is not a 6-digit county code ('' clears it)", v);
        snprintf(s->place_county, sizeof(s->place_county), "%s", v);
    }
    if ((v = rcl_edit_opt(e, "grade")) != NULL) {
        char *end = NULL;
        long g = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end != '\0' || g < 1 || g > 12)
            return rcl_edit_fail(e, "--grade '%s' is out of range 1-12", v);
        s->grade = (unsigned)g;
    }
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        if ((v = rcl_edit_opt(e, sets[i].name)) == NULL)
            continue;
        if (rcl_set_parse(sets[i].names, sets[i].count, v,
                          (uint32_t *)(void *)((char *)s + sets[i].offset), bad, sizeof(bad)) != 0)
            return rcl_edit_fail(e, "%s: unknown value '%s'", rcl_edit_label(e, sets[i].name), bad);
    }
    if ((v = rcl_edit_opt(e, "participation")) != NULL) {
        int p = rcl_name_find(rcl_participation_names, RCL_PARTICIPATION_COUNT, v, strlen(v));
        if (p < 0)
            return rcl_edit_fail(e,
                                 "--participation '%s' is not one of active, irregular, "
                                 "absent, opted_out",
                                 v);
        s->participation = (unsigned)p;
    }
    return 0;
}

static int student_add(struct rcl_edit *e)
{
    struct rcl_student s;
    int found = rcl_edit_student(e, &s), rc;

    if (found < 0)
        return RCL_SCHOOL_EXIT_DATA;
    if (found > 0)
        return rcl_edit_fail(e, "student %s is already on the list (use 'student update')", s.id);
    if (rcl_edit_opt(e, "name") == NULL || rcl_edit_opt(e, "grade") == NULL ||
        rcl_edit_opt(e, "class") == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--name, --grade and --class");
    rc = student_fields(e, &s);
    if (rc == 0) {
        optout_rule(e, &s, NULL);
        rc = rcl_edit_save(e, &s, NULL, "added");
    }
    sodium_memzero(&s, sizeof(s));
    return rc;
}

static int student_update(struct rcl_edit *e)
{
    struct rcl_student s, old;
    int found, rc;

    if (e->n < 2)
        return RCL_EDIT_USAGE_NEEDS(e, "at least one field to change");
    found = rcl_edit_student(e, &old);
    if (found < 0)
        return RCL_SCHOOL_EXIT_DATA;
    if (found == 0)
        return rcl_edit_fail(e, "no student %s on the list (use 'student add')", old.id);
    s = old;
    rc = student_fields(e, &s);
    if (rc == 0) {
        optout_rule(e, &s, &old);
        rc = rcl_edit_save(e, &s, &old, "updated");
    }
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&old, sizeof(old));
    return rc;
}

static int student_remove(struct rcl_edit *e)
{
    const char *reason = rcl_edit_opt(e, "reason"), *to = rcl_edit_opt(e, "to");
    struct rcl_departure d;
    struct rcl_student s;
    int r, found;

    memset(&d, 0, sizeof(d));
    if (reason == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--reason left|graduated|transferred_out|other");
    r = rcl_name_find(rcl_departure_reason_names, RCL_DEPART_REASON_COUNT, reason, strlen(reason));
    if (r < 0)
        return rcl_edit_fail(e,
                             "--reason '%s' is not one of left, graduated, transferred_out, "
                             "other",
                             reason);
    d.reason = (unsigned)r;
    if (to != NULL) {
        bool ok = strlen(to) == RCL_SCHOOL_ID_LEN;
        for (size_t i = 0; ok && i < RCL_SCHOOL_ID_LEN; i++)
            ok = to[i] >= '0' && to[i] <= '9';
        if (d.reason != RCL_DEPART_TRANSFERRED_OUT)
            return rcl_edit_fail(e, "--to names the school a student transferred to: it needs "
                                    "--reason transferred_out");
        if (!ok)
            return rcl_edit_fail(e, "--to '%s' is not a 10-digit school code", to);
        memcpy(d.destination, to, RCL_SCHOOL_ID_LEN + 1);
    }
    memcpy(d.left_on, e->today, sizeof(d.left_on));
    if (rcl_edit_date(e, "date", d.left_on) != 0)
        return RCL_SCHOOL_EXIT_DATA;
    found = rcl_edit_student(e, &s);
    sodium_memzero(&s, sizeof(s));
    if (found < 0)
        return RCL_SCHOOL_EXIT_DATA;
    if (found == 0)
        return rcl_edit_fail(e, "no student %s on the list", rcl_edit_opt(e, "id"));
    if (rcl_school_student_remove(e->db, e->m->pseudonym_key, rcl_edit_opt(e, "id"), &d, e->now) !=
        1)
        return rcl_edit_fail(e, "cannot remove student %s (see the log above)",
                             rcl_edit_opt(e, "id"));
    rcl_edit_done(e, "student %s: removed (%s%s%s, %s)\n", rcl_edit_opt(e, "id"), worded(e, reason),
                  d.destination[0] ? worded(e, " to ") : "", d.destination, d.left_on);
    return 0;
}

/* ---- Feedback and opt-out ---- */

static int feedback_set(struct rcl_edit *e)
{
    struct rcl_student s, old;
    int found, rc = RCL_SCHOOL_EXIT_DATA;

    if (rcl_edit_opt(e, "text") == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--text TEXT (empty to clear)");
    found = rcl_edit_student(e, &old);
    if (found == 0)
        rc = rcl_edit_fail(e, "no student %s on the list", old.id);
    if (found <= 0)
        return rc;
    s = old;
    if (feedback_text(e, "text", s.feedback, sizeof(s.feedback)) == 0)
        rc = rcl_edit_save(e, &s, &old, "feedback saved");
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&old, sizeof(old));
    return rc;
}

static int optout_file(struct rcl_edit *e)
{
    struct rcl_student s, old;
    int found, rc = RCL_SCHOOL_EXIT_DATA;

    if (rcl_edit_opt(e, "reason") == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--reason TEXT");
    found = rcl_edit_student(e, &old);
    if (found == 0)
        rc = rcl_edit_fail(e, "no student %s on the list", old.id);
    if (found <= 0)
        return rc;
    s = old;
    s.optout_status = RCL_OPTOUT_PENDING;
    s.optout_decided[0] = '\0';
    memcpy(s.optout_filed, e->today, sizeof(s.optout_filed));
    if (rcl_edit_text(e, "reason", true, s.optout_reason, sizeof(s.optout_reason)) == 0 &&
        rcl_edit_date(e, "date", s.optout_filed) == 0)
        rc = rcl_edit_save(e, &s, &old, "opt-out application filed (pending)");
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&old, sizeof(old));
    return rc;
}

static int optout_decide(struct rcl_edit *e)
{
    const char *status = rcl_edit_opt(e, "status");
    struct rcl_student s, old;
    int found, rc = RCL_SCHOOL_EXIT_DATA;

    if (status == NULL)
        return RCL_EDIT_USAGE_NEEDS(e, "--status approved|rejected");
    if (strcmp(status, "approved") != 0 && strcmp(status, "rejected") != 0)
        return rcl_edit_fail(e, "--status '%s' is not approved or rejected", status);
    found = rcl_edit_student(e, &old);
    if (found == 0)
        rc = rcl_edit_fail(e, "no student %s on the list", old.id);
    if (found <= 0)
        return rc;
    s = old;
    if (s.optout_status == RCL_OPTOUT_NONE) {
        rc = rcl_edit_fail(e, "student %s has no opt-out application (use 'optout file')", s.id);
        goto done;
    }
    memcpy(s.optout_decided, e->today, sizeof(s.optout_decided));
    if (rcl_edit_date(e, "date", s.optout_decided) != 0)
        goto done;
    if (s.optout_filed[0] && strcmp(s.optout_decided, s.optout_filed) < 0) {
        rc = rcl_edit_fail(e, "decision date %s is before the application was filed (%s)",
                           s.optout_decided, s.optout_filed);
        goto done;
    }
    /* An approved opt-out is what participation opted_out means; a rejected one undoes it. */
    if (strcmp(status, "approved") == 0) {
        s.optout_status = RCL_OPTOUT_APPROVED;
        s.participation = RCL_PART_OPTED_OUT;
    } else {
        s.optout_status = RCL_OPTOUT_REJECTED;
        if (s.participation == RCL_PART_OPTED_OUT)
            s.participation = RCL_PART_ACTIVE;
    }
    rc = rcl_edit_save(e, &s, &old,
                       s.optout_status == RCL_OPTOUT_APPROVED
                           ? "opt-out approved (participation opted_out)"
                           : "opt-out rejected");
done:
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&old, sizeof(old));
    return rc;
}

/* ---- Running one edit ---- */

int rcl_school_edit(sqlite3 *db, const struct rcl_school_meta *m, const char *command,
                    const char *action, const struct rcl_school_edit_opt *opts, size_t n, bool zh,
                    FILE *out, FILE *errs)
{
    const struct edit_action *a = find_action(command, action);
    struct rcl_edit e;
    time_t t = time(NULL);
    struct tm tm;
    int rc;

    memset(&e, 0, sizeof(e));
    e.db = db;
    e.m = m;
    e.opts = opts;
    e.n = n;
    e.out = out;
    e.errs = errs;
    e.now = (int64_t)t;
    e.action = action;
    e.zh = zh;
    e.where_zh = a != NULL ? a->zh : "";
    snprintf(e.where, sizeof(e.where), "%s %s%s%s", PROGRAM, command, action ? " " : "",
             action ? action : "");
    /* "Today" is the school's own calendar day. */
    if (rcl_localtime(t, &tm) != 0 ||
        strftime(e.today, sizeof(e.today), "%Y-%m-%d", &tm) != RCL_DATE_LEN)
        snprintf(e.today, sizeof(e.today), "%s", "");
    if (a == NULL)
        return rcl_edit_fail(&e, "unknown action");
    if (rcl_db_begin(db) != 0)
        return rcl_edit_fail(&e, "cannot start a transaction: %s", sqlite3_errmsg(db));
    rc = a->run(&e);
    if (rc == 0 && rcl_db_commit(db) != 0)
        rc = rcl_edit_fail(&e, "cannot commit: %s", sqlite3_errmsg(db));
    if (rc != 0)
        rcl_db_rollback(db);
    if (rc == RCL_SCHOOL_EXIT_USAGE)
        rcl_edit_fail(&e, "needs %s", worded(&e, e.usage_needs ? e.usage_needs : "other options"));
    return rc;
}
