/*
 * gen_data.h - deterministic synthetic students, shared by rollcall-gen
 * (which writes them as a students CSV) and rollcall-bench-schools (which
 * sends them as a school would, without a store).
 *
 * The only randomness is a xoshiro256** generator seeded (through
 * splitmix64) from a seed and two codes, so the same arguments always give
 * the same students, and two schools given the same seed still differ. The
 * proportions follow ../shared/data/README.md (Henan 2019/2020).
 */
#ifndef RCL_GEN_DATA_H
#define RCL_GEN_DATA_H
#include <stddef.h>
#include <stdint.h>

/* ---- Pseudo-random numbers ---- */

struct rcl_gen_rng {
    uint64_t s[4];
};

/* Seeds r from seed and the codes a and b. */
void rcl_gen_rng_seed(struct rcl_gen_rng *r, uint64_t seed, const char *a, const char *b);
/* Uniform in [0, n), without modulo bias. n must be > 0. */
uint64_t rcl_gen_rng_below(struct rcl_gen_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rcl_gen_rng_unit(struct rcl_gen_rng *r);

/* ---- Students of one school ---- */

/* One generated student, its cells as the students CSV writes them. */
struct rcl_gen_student {
    char id[20]; /* "G" + an 18-character ID number with a valid check character */
    char name[64];
    unsigned grade;
    unsigned long klass; /* the class number; the CSV writes it as "<n>班" */
    char network[64];
    char devices[64];
    char groups[128];
    char assistance[160];
    const char *participation; /* a static word, or "" (active) */
};

/* The state of one school's generation: its generator and the ids it gave out. */
struct rcl_gen_school {
    struct rcl_gen_rng rng;
    uint64_t *used; /* an open-addressing set of the 17-digit id prefixes given out */
    size_t used_mask;
    char county[7];
    unsigned lo;
    unsigned n_grades;
    unsigned long classes;
};

/*
 * Starts the students of school (10 digits; its category, the first two
 * digits, sets its grades) in county (6 digits), count of them, with seed.
 * Returns 0, or -1 out of memory. Free with rcl_gen_school_end.
 */
int rcl_gen_school_begin(struct rcl_gen_school *g, uint64_t seed, const char *school,
                         const char *county, unsigned long count);
/*
 * Writes the next student into out. Returns 0, or -1 when no new distinct id
 * could be made (more students than the school's grades have birth dates).
 */
int rcl_gen_student_next(struct rcl_gen_school *g, struct rcl_gen_student *out);
void rcl_gen_school_end(struct rcl_gen_school *g);

#endif
