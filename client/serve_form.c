/*
 * serve_form.c - reading a posted form (see serve_form.h).
 */
#include "serve_form.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rcl_platform.h"

/* The value of the form field name, or NULL. */
const char *rcl_serve_form_field(const struct rcl_serve_request *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_fields; i++) {
        if (strcmp(rq->fields[i].name, name) == 0)
            return rq->fields[i].value;
    }
    return NULL;
}

/* The uploaded file's own name, made safe to be a file name in dir (it is named in messages). */
static void sheet_name(const char *filename, char *out, size_t outlen)
{
    const char *base = filename;
    size_t n = 0;

    for (const char *p = filename; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    for (const char *p = base; *p != '\0' && n + 1 < outlen; p++)
        out[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '_' : *p;
    /* Do not end inside a multi-byte character. */
    while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80 && n + 1 >= outlen)
        n--;
    out[n] = '\0';
    if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, outlen, "students.csv");
}

/*
 * Opens a new file for the sheet under its own name (as the import's
 * messages name it), in a folder of its own in dir. 0, or -1.
 */
static int sheet_open(struct rcl_serve_request *rq, const char *filename)
{
    char name[128];

    if (rq->sheet_path[0] != '\0')
        return -1; /* a second sheet in one form */
    snprintf(rq->sheet_dir, sizeof(rq->sheet_dir), "%s/%u", rq->dir, ++*rq->counter);
    if (rcl_mkdir_private(rq->sheet_dir) != 0) {
        rq->sheet_dir[0] = '\0';
        return -1;
    }
    sheet_name(filename, name, sizeof(name));
    snprintf(rq->sheet_path, sizeof(rq->sheet_path), "%s/%s", rq->sheet_dir, name);
    rq->sheet = rcl_fopen_new(rq->sheet_path);
    if (rq->sheet == NULL) {
        rq->sheet_path[0] = '\0';
        return -1;
    }
    return 0;
}

static int append(struct rcl_serve_field *f, const char *data, size_t size)
{
    char *p;

    if (f->len + size > SERVE_FIELD_MAX)
        return -1;
    p = realloc(f->value, f->len + size + 1);
    if (p == NULL)
        return -1;
    memcpy(p + f->len, data, size);
    f->len += size;
    p[f->len] = '\0';
    f->value = p;
    return 0;
}

enum MHD_Result rcl_serve_form_post(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size)
{
    struct rcl_serve_request *rq = cls;
    struct rcl_serve_field *f = NULL;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (strcmp(key, "sheet") == 0 && filename != NULL) {
        if (filename[0] == '\0')
            return MHD_YES; /* the form was sent without a file chosen */
        if (!rq->takes_sheet || (rq->sheet == NULL && off > 0))
            return MHD_YES; /* a sheet sent where none is read */
        if (rq->sheet == NULL && sheet_open(rq, filename) != 0) {
            rq->bad_form = true;
            return MHD_NO;
        }
        if (rq->sheet_bytes + size > SERVE_UPLOAD_MAX) {
            rq->too_big = true;
            return MHD_NO;
        }
        if (size > 0 && fwrite(data, 1, size, rq->sheet) != size) {
            rq->bad_form = true;
            return MHD_NO;
        }
        rq->sheet_bytes += size;
        return MHD_YES;
    }
    if (strlen(key) >= sizeof(rq->fields[0].name)) {
        rq->bad_form = true;
        return MHD_NO;
    }
    for (size_t i = rq->n_fields; i > 0; i--) {
        if (strcmp(rq->fields[i - 1].name, key) == 0) {
            f = &rq->fields[i - 1];
            break;
        }
    }
    if (f == NULL) {
        if (rq->n_fields == SERVE_FIELDS_MAX) {
            rq->bad_form = true;
            return MHD_NO;
        }
        f = &rq->fields[rq->n_fields++];
        snprintf(f->name, sizeof(f->name), "%s", key);
        if (append(f, "", 0) != 0) {
            rq->bad_form = true;
            return MHD_NO;
        }
    } else if (off == 0 && append(f, ";", 1) != 0) {
        rq->bad_form = true;
        return MHD_NO;
    }
    if (size > 0 && append(f, data, size) != 0) {
        rq->bad_form = true;
        return MHD_NO;
    }
    return MHD_YES;
}

void rcl_serve_form_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct rcl_serve_request *rq = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (rq == NULL)
        return;
    if (rq->pp != NULL)
        MHD_destroy_post_processor(rq->pp);
    if (rq->sheet != NULL)
        fclose(rq->sheet);
    if (rq->sheet_path[0] != '\0')
        rcl_unlink(rq->sheet_path);
    if (rq->sheet_dir[0] != '\0')
        rcl_rmdir(rq->sheet_dir);
    for (size_t i = 0; i < rq->n_fields; i++) {
        if (rq->fields[i].value != NULL)
            sodium_memzero(rq->fields[i].value, rq->fields[i].len);
        free(rq->fields[i].value);
    }
    free(rq);
    *con_cls = NULL;
}
