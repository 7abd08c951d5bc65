/*
 * serve_form.h - a form posted to the page of `serve` (serve.c), read by
 * libmicrohttpd's post processor into named fields and, for /import, the
 * uploaded sheet written to a folder of its own; removed when the request ends.
 */
#ifndef RCL_SERVE_FORM_H
#define RCL_SERVE_FORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <microhttpd.h>

#define SERVE_UPLOAD_MAX (32u * 1024 * 1024) /* a sheet larger than this is refused */
#define SERVE_FIELDS_MAX 48
#define SERVE_FIELD_MAX 4096 /* one form field (not the sheet) */

/* One form field; a name given again (ticked boxes) joins its values with ';'. */
struct rcl_serve_field {
    char name[32];
    char *value;
    size_t len;
};

/* A POST being read. */
struct rcl_serve_request {
    const char *dir;   /* serve's folder for sheets */
    unsigned *counter; /* names the folders in it */
    struct MHD_PostProcessor *pp;
    struct rcl_serve_field fields[SERVE_FIELDS_MAX];
    size_t n_fields;
    bool takes_sheet;      /* /import */
    char sheet_dir[1056];  /* a folder in dir for the uploaded sheet, "" when none */
    char sheet_path[1280]; /* the sheet in it under its own name, "" when none */
    FILE *sheet;
    uint64_t sheet_bytes;
    bool too_big, bad_form;
};

const char *rcl_serve_form_field(const struct rcl_serve_request *rq, const char *name);

/* libmicrohttpd's post iterator over rq (cls): sets bad_form or too_big and stops on a bad form. */
enum MHD_Result rcl_serve_form_post(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size);

/* libmicrohttpd's request-completed callback: frees the request, its fields (wiped) and sheet. */
void rcl_serve_form_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe);

#endif
