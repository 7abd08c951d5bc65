/*
 * report.c - the school's totals as JSON or CSV (see report.h).
 */
#include "report.h"

#include <string.h>
#include <time.h>

#include "rcl_json.h"

static int add_student(void *arg, const struct rcl_student *s)
{
    rcl_totals_add_student(arg, s);
    return 0;
}

int rcl_school_totals(sqlite3 *db, struct rcl_totals *t)
{
    memset(t, 0, sizeof(*t));
    return rcl_school_students_each(db, add_student, t) == 0 ? 0 : -1;
}

int rcl_school_report(sqlite3 *db, const struct rcl_school_meta *m,
                      enum rcl_school_report_format format, FILE *out)
{
    struct rcl_totals t;
    struct rcl_json j;

    if (rcl_school_totals(db, &t) != 0)
        return -1;
    if (format == RCL_SCHOOL_REPORT_CSV) {
        fputs("id,name,", out);
        rcl_csv_totals_header(out);
        rcl_csv_field(out, m->school_id);
        fputc(',', out);
        rcl_csv_field(out, m->name);
        fputc(',', out);
        rcl_csv_totals_row(out, &t);
        return 0;
    }
    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "scope");
    rcl_json_string(&j, m->school_id);
    rcl_json_key(&j, "tier");
    rcl_json_string(&j, "school");
    rcl_json_key(&j, "name");
    rcl_json_string(&j, m->name);
    rcl_json_key(&j, "county");
    rcl_json_string(&j, m->county);
    rcl_json_key(&j, "generated_at");
    rcl_json_int(&j, (int64_t)time(NULL));
    rcl_json_key(&j, "totals");
    rcl_json_totals(&j, &t);
    rcl_json_object_end(&j);
    fputc('\n', out);
    return 0;
}
