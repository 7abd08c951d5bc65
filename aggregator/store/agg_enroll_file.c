/*
 * agg_enroll_file.c - enrolling many sources from one file, all or nothing
 * (see agg_enroll_file.h).
 */
#include "agg_enroll_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_tier.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"

/* One listed source. */
struct entry {
    char id[RCL_ID_MAX + 1];
    uint8_t pk[RCL_PK_BYTES];
    unsigned long line;
};

/* One problem, kept so that all of them are printed in line order (duplicates are found late). */
struct problem_text {
    unsigned long line;
    uint64_t found; /* the order it was found in, for problems of the same line */
    char text[320];
};

struct problems {
    const char *path;
    FILE *out;
    uint64_t count;
    struct problem_text *items; /* malloc'd; count of them, or fewer when memory ran out */
    size_t n, cap;
};

static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
{
    struct problem_text *t;
    va_list ap;

    p->count++;
    if (p->n == p->cap) {
        size_t want = p->cap ? p->cap * 2 : 16;
        struct problem_text *more = realloc(p->items, want * sizeof(*more));

        if (!more)
            return; /* still counted; the summary line says how many */
        p->items = more;
        p->cap = want;
    }
    t = &p->items[p->n++];
    t->line = line;
    t->found = p->count;
    va_start(ap, fmt);
    vsnprintf(t->text, sizeof(t->text), fmt, ap);
    va_end(ap);
}

static int by_line(const void *a, const void *b)
{
    const struct problem_text *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->found > y->found) - (x->found < y->found);
}

/* Prints the first RCL_AGG_ENROLL_ERRORS_SHOWN problems in line order, and how many more; frees
 * them. */
static void problems_print(struct problems *p)
{
    if (p->n > 1)
        qsort(p->items, p->n, sizeof(*p->items), by_line);
    for (size_t i = 0; i < p->n && i < RCL_AGG_ENROLL_ERRORS_SHOWN; i++)
        fprintf(p->out, "%s:%lu: %s\n", p->path, p->items[i].line, p->items[i].text);
    if (p->count > RCL_AGG_ENROLL_ERRORS_SHOWN)
        fprintf(p->out, "%s: ... and %" PRIu64 " more\n", p->path,
                p->count - RCL_AGG_ENROLL_ERRORS_SHOWN);
    free(p->items);
    p->items = NULL;
    p->n = p->cap = 0;
}

/* Splits s at blanks into at most max words (NUL-terminated in place). Returns how many there were.
 */
static size_t split_words(char *s, char **words, size_t max)
{
    size_t n = 0;

    for (;;) {
        s += strspn(s, " \t\r\n");
        if (*s == '\0')
            return n;
        if (n < max)
            words[n] = s;
        n++;
        s += strcspn(s, " \t\r\n");
        if (*s != '\0')
            *s++ = '\0';
    }
}

/*
 * Checks one line's words and appends the entry to *v. Returns 0, or -1 out
 * of memory (a problem with the line is counted in p, not returned).
 */
static int parse_line(char *text, unsigned long line, const struct rcl_agg_config *cfg,
                      const uint8_t own[RCL_PK_BYTES], struct problems *p, struct entry **v,
                      size_t *n, size_t *cap)
{
    char *words[3];
    size_t n_words = split_words(text, words, 3);
    struct entry e;

    if (n_words == 0 || words[0][0] == '#')
        return 0;
    if (n_words != 2) {
        problem(p, line, "expected 'SOURCE_ID KEY', found %zu word%s", n_words,
                n_words == 1 ? "" : "s");
        return 0;
    }
    memset(&e, 0, sizeof(e));
    e.line = line;
    if (!rcl_id_valid(words[0])) {
        problem(p, line,
                "source '%.64s' is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)",
                words[0]);
        return 0;
    }
    if (rcl_agg_holds_students(cfg) && !rcl_agg_school_code_valid(words[0])) {
        problem(p, line,
                "source '%s' is not a 10-digit school code (the sources of county aggregator %s "
                "are schools)",
                words[0], cfg->id);
        return 0;
    }
    if (rcl_key_from_hex(words[1], e.pk) != 0) {
        problem(p, line, "key '%.80s' of source %s is not a public key (64 hex characters)",
                words[1], words[0]);
        return 0;
    }
    if (sodium_memcmp(e.pk, own, RCL_PK_BYTES) == 0) {
        problem(p, line, "the key of source %s is this aggregator's own key", words[0]);
        return 0;
    }
    strcpy(e.id, words[0]);
    if (*n == *cap) {
        size_t want = *cap ? *cap * 2 : 256;
        struct entry *more = realloc(*v, want * sizeof(*more));

        if (!more)
            return -1;
        *v = more;
        *cap = want;
    }
    (*v)[(*n)++] = e;
    return 0;
}

/* Reads and checks the whole file into *v, *n. Returns 0, 1 (problems or unreadable), -1 memory. */
static int read_entries(const char *path, const struct rcl_agg_config *cfg,
                        const uint8_t own[RCL_PK_BYTES], struct problems *p, struct entry **v,
                        size_t *n)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t text_cap = 0, cap = 0;
    unsigned long line = 0;
    int ret = 0;

    if (!f) {
        fprintf(p->out, "%s: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    while (getline(&text, &text_cap, f) >= 0) {
        line++;
        if (parse_line(text, line, cfg, own, p, v, n, &cap) != 0) {
            ret = -1;
            break;
        }
    }
    if (ret == 0 && ferror(f)) {
        fprintf(p->out, "%s: reading failed after line %lu\n", path, line);
        ret = 1;
    }
    free(text);
    fclose(f);
    return ret;
}

static int by_id(const void *a, const void *b)
{
    const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
    int c = strcmp(x->id, y->id);

    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int by_key(const void *a, const void *b)
{
    const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
    int c = memcmp(x->pk, y->pk, RCL_PK_BYTES);

    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Reports every id and every key listed twice. Returns 0, or -1 out of memory. */
static int check_duplicates(const struct entry *v, size_t n, struct problems *p)
{
    const struct entry **order = malloc((n ? n : 1) * sizeof(*order));

    if (!order)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = &v[i];
    qsort(order, n, sizeof(*order), by_id);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(order[i]->id, order[first]->id) != 0)
            first = i;
        else
            problem(p, order[i]->line, "source %s is listed again (first on line %lu)",
                    order[i]->id, order[first]->line);
    }
    qsort(order, n, sizeof(*order), by_key);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (memcmp(order[i]->pk, order[first]->pk, RCL_PK_BYTES) != 0)
            first = i;
        else if (strcmp(order[i]->id, order[first]->id) != 0)
            problem(p, order[i]->line, "the key of source %s is source %s's too (line %lu)",
                    order[i]->id, order[first]->id, order[first]->line);
    }
    free(order);
    return 0;
}

/* Enrolls v[0..n) in one transaction. Returns 0, 1 (a key held by another source), -1. */
static int enroll_all(sqlite3 *db, const struct rcl_agg_config *cfg, const struct entry *v,
                      size_t n, int64_t now, struct problems *p, struct rcl_agg_enroll_counts *c)
{
    char other[RCL_ID_MAX + 1], err[512];
    int ret = -1;

    if (rcl_db_begin(db) != 0) {
        fprintf(p->out, "%s: cannot start a transaction: %s\n", p->path, sqlite3_errmsg(db));
        return -1;
    }
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        enum rcl_agg_enroll_result r;

        if (rcl_agg_enroll_in_tx(db, cfg, v[i].id, v[i].pk, &r, other, now, err, sizeof(err)) !=
            0) {
            fprintf(p->out, "%s:%lu: %s\n", p->path, v[i].line, err);
            goto rollback;
        }
        switch (r) {
        case RCL_AGG_ENROLLED:
            c->enrolled++;
            break;
        case RCL_AGG_REKEYED:
            c->rekeyed++;
            break;
        case RCL_AGG_UNREVOKED:
            c->unrevoked++;
            break;
        case RCL_AGG_UNCHANGED:
            c->unchanged++;
            break;
        case RCL_AGG_KEY_IN_USE:
            problem(p, v[i].line, "the key of source %s is already enrolled for source %s", v[i].id,
                    other);
            break;
        case RCL_AGG_NOT_A_SCHOOL: /* checked while reading */
            problem(p, v[i].line, "source '%s' is not a 10-digit school code", v[i].id);
            break;
        }
    }
    if (p->count > 0) {
        ret = 1;
        goto rollback;
    }
    if (rcl_db_commit(db) != 0) {
        fprintf(p->out, "%s: cannot commit: %s\n", p->path, sqlite3_errmsg(db));
        goto rollback;
    }
    return 0;
rollback:
    rcl_db_rollback(db);
    memset(c, 0, sizeof(*c));
    return ret;
}

int rcl_agg_enroll_file(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                        int64_t now, FILE *errors, struct rcl_agg_enroll_counts *counts)
{
    struct problems p = {path, errors, 0, NULL, 0, 0};
    struct entry *v = NULL;
    uint8_t own[RCL_PK_BYTES];
    size_t n = 0;
    int ret;

    memset(counts, 0, sizeof(*counts));
    if (rcl_agg_store_keys(db, own, NULL) != 0) {
        fprintf(errors, "%s: cannot read this aggregator's key: %s\n", path, sqlite3_errmsg(db));
        return -1;
    }
    ret = read_entries(path, cfg, own, &p, &v, &n);
    if (ret == 0 && check_duplicates(v, n, &p) != 0)
        ret = -1;
    if (ret == -1)
        fprintf(errors, "%s: out of memory; nothing enrolled\n", path);
    else if (ret == 0 && p.count == 0)
        ret = enroll_all(db, cfg, v, n, now, &p, counts);
    problems_print(&p);
    if (p.count > 0) {
        fprintf(errors, "%s: %" PRIu64 " problem%s; nothing enrolled\n", path, p.count,
                p.count == 1 ? "" : "s");
        ret = 1;
    }
    free(v);
    return ret;
}

int rcl_agg_enroll_from(const char *db_path, const char *list_path, bool single_given)
{
    struct rcl_agg_enroll_counts c;
    struct rcl_agg_config cfg;
    char err[512];
    sqlite3 *db;
    int rc;

    if (single_given) {
        fputs("enroll: --from cannot be combined with --source or --key (see enroll --help)\n",
              stderr);
        return 2;
    }
    db = rcl_agg_store_open(db_path, &cfg, err, sizeof(err));
    if (!db) {
        rcl_log_write(RCL_LOG_ERROR, "enroll: %s", err);
        return 1;
    }
    rc = rcl_agg_enroll_file(db, &cfg, list_path, (int64_t)time(NULL), stderr, &c);
    rcl_db_close(&db);
    if (rc != 0)
        return 1;
    printf("enrolled %" PRIu64 " sources from %s: %" PRIu64 " new, %" PRIu64
           " with a new key (their batches start again from seq 1), %" PRIu64
           " revocations lifted, %" PRIu64 " already enrolled with that key\n",
           c.enrolled + c.rekeyed + c.unrevoked + c.unchanged, list_path, c.enrolled, c.rekeyed,
           c.unrevoked, c.unchanged);
    return 0;
}
