/*
 * replay_main.c - runs a fuzz target without libFuzzer: every file of the
 * folders (or the files) named on the command line goes through
 * LLVMFuzzerTestOneInput once, in name order, so the committed corpus is a
 * regression test in every build. Each input sits in a buffer of exactly its
 * size, so a sanitizer build catches any read past its end.
 *
 *   fuzz_replay_<target> CORPUS_DIR_OR_FILE...
 *
 * Exits 0 when every input ran (a failed check aborts), 1 when an input
 * could not be read or no input was found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_fixture.h"

/* Reads the whole file at path into a malloc'd buffer of its exact size. 0, or -1 said on stderr.
 */
static int read_input(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    uint8_t *buf = NULL;

    if (f == NULL || fstat(fileno(f), &sb) != 0) {
        fprintf(stderr, "replay: %s: cannot open: %s\n", path, strerror(errno));
        goto fail;
    }
    /* One byte more than needed when empty: malloc(0) may return NULL. */
    buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
    if (buf == NULL) {
        fprintf(stderr, "replay: %s: out of memory for %lld bytes\n", path, (long long)sb.st_size);
        goto fail;
    }
    if (sb.st_size > 0 && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
        fprintf(stderr, "replay: %s: short read\n", path);
        goto fail;
    }
    fclose(f);
    *out = buf;
    *len = (size_t)sb.st_size;
    return 0;
fail:
    free(buf);
    if (f != NULL)
        fclose(f);
    return -1;
}

static int run_file(const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (read_input(path, &buf, &len) != 0)
        return -1;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir in name order; adds the count to *ran. 0, or -1. */
static int run_dir(const char *dir, long *ran)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: %s: cannot open: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
            if (grown == NULL) {
                rc = -1;
                break;
            }
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 0)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct stat sb;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (run_file(path) != 0)
            rc = -1;
        else
            (*ran)++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    long ran = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;

        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(sb.st_mode) ? run_dir(argv[i], &ran) != 0 : run_file(argv[i]) != 0)
            return 1;
        if (!S_ISDIR(sb.st_mode))
            ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "replay: no inputs found in %s\n", argv[1]);
        return 1;
    }
    fprintf(stderr, "replay: %ld inputs ran without a failure\n", ran);
    return 0;
}
