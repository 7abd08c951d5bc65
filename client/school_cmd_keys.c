/*
 * school_cmd_keys.c - rollcall-school's commands that set the school up
 * (school_setup.h) and look after its keys: init, pubkey, rotate-key and
 * set-upstream.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "exit_codes.h"
#include "pseudonym.h"
#include "rcl_keys.h"
#include "rcl_model.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_setup.h"
#include "school_store.h"

static int cmd_init(const struct rcl_school_args *a)
{
    const char *path = rcl_school_opt(a, "db");
    const char *key_file = rcl_school_opt(a, "pseudonym-key-file");
    struct rcl_school_setup in = {
        rcl_school_opt(a, "school"),       rcl_school_opt(a, "county"),
        rcl_school_opt(a, "name"),         rcl_school_opt(a, "upstream"),
        rcl_school_opt(a, "upstream-key"), NULL /* the pseudonym key's file is read below */};
    struct rcl_school_meta m;
    struct rcl_reason why;
    char err[512];
    char hex[RCL_PK_HEX_LEN + 1];
    int rc;

    memset(&m, 0, sizeof(m));
    if (rcl_school_setup_check(&in, &m, &why) != 0)
        return rcl_school_usage_reason(a->cmd, &why);
    rc = RCL_SCHOOL_EXIT_DATA;
    if (key_file != NULL &&
        rcl_school_pseudonym_key_read(key_file, m.pseudonym_key, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: %s", err);
        goto done;
    }
    if (rcl_school_setup_create(path, &m, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: %s db=%s", err, rcl_log_value(path));
        goto done;
    }
    rcl_key_to_hex(m.public_key, hex);
    printf("%s\n", hex);
    /* The key alone on the output, which scripts take; the clerk's sentence beside it. */
    if (a->says == RCL_SHEET_ZH)
        fprintf(stderr, "已建立%s（%s）的数据：%s。上面一行是本校的公钥，请交给县里登记。\n",
                m.name, m.school_id, path);
    rc = RCL_SCHOOL_EXIT_OK;
done:
    rcl_school_meta_wipe(&m);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_init = {
    "init",
    "--db FILE --school ID --county CODE --name NAME --upstream ENDPOINT --upstream-key KEY "
    "[--pseudonym-key-file FILE] [--lang zh|en]",
    "Creates the school's store with a new identity key and prints its public key,\n"
    "which the county enrolls. ID is the 10-digit school code, CODE the 6-digit county\n"
    "code, ENDPOINT the county's tcp:// address and KEY its public key (64 hex\n"
    "characters). The pseudonym key file holds the province's key as 64 hex\n"
    "characters; without it a built-in default is used.",
    {{"db", "FILE", true},
     {"school", "ID", true},
     {"county", "CODE", true},
     {"name", "NAME", true},
     {"upstream", "ENDPOINT", true},
     {"upstream-key", "KEY", true},
     {"pseudonym-key-file", "FILE", false},
     {"lang", "zh|en", false}},
    NULL,
    cmd_init,
    RCL_SCHOOL_STORE_READS}; /* it creates the store: nothing can hold it yet */

static int cmd_pubkey(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rcl_key_to_hex(m.public_key, hex);
    printf("%s\n", hex);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return RCL_SCHOOL_EXIT_OK;
}

const struct rcl_school_command rcl_school_cmd_pubkey = {
    "pubkey",
    "--db FILE",
    "Prints the school's public key (64 hex characters).",
    {{"db", "FILE", true}},
    NULL,
    cmd_pubkey,
    RCL_SCHOOL_STORE_READS};

static int cmd_rotate_key(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    struct rcl_outbox_rotation rot;
    uint8_t sk[RCL_SK_BYTES], new_pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    enum rcl_outbox_rotate_result begun;
    int rc = RCL_SCHOOL_EXIT_DATA;
    sqlite3 *db = rcl_school_cli_store_open(a, &m);

    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_secret_key_load(db, sk) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "rotate-key: the store has no usable secret key db=%s",
                      rcl_log_value(rcl_school_opt(a, "db")));
        goto done;
    }
    begun = rcl_outbox_rotate_begin(db, m.school_id, m.public_key, sk, new_pk);
    sodium_memzero(sk, sizeof(sk));
    if (begun == RCL_OUTBOX_ROTATE_PENDING && rcl_outbox_rotation(db, &rot) == 0) {
        rcl_key_to_hex(rot.new_pk, hex);
        rcl_log_write(RCL_LOG_ERROR,
                      "rotate-key: a key rotation is already waiting for the county's "
                      "acknowledgement; run sync first db=%s new_key=%s seq=%llu",
                      rcl_log_value(rcl_school_opt(a, "db")), hex, (unsigned long long)rot.seq);
        if (a->says == RCL_SHEET_ZH)
            fprintf(stderr, "上一次换用的新公钥还在等县里确认：请先同步一次\n");
        goto done;
    }
    if (begun != RCL_OUTBOX_ROTATE_BEGUN) {
        rcl_log_write(RCL_LOG_ERROR,
                      "rotate-key: cannot start the key rotation (see the log above) db=%s",
                      rcl_log_value(rcl_school_opt(a, "db")));
        goto done;
    }
    rcl_key_to_hex(new_pk, hex);
    printf("%s\n", hex);
    rcl_log_write(RCL_LOG_INFO,
                  "rotate-key: new key queued. It takes effect once the county acknowledges the "
                  "next sync; until then the current key stays in use. Nothing needs "
                  "re-enrolling: the county learns the new key from the school school=%s",
                  rcl_log_value(m.school_id));
    if (a->says == RCL_SHEET_ZH)
        fprintf(stderr, "上面一行是本校的新公钥：下次同步县里确认后启用，在此之前仍用旧公钥；"
                        "县里不必重新登记\n");
    rc = RCL_SCHOOL_EXIT_OK;
done:
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_rotate_key = {
    "rotate-key",
    "--db FILE [--lang zh|en]",
    "Replaces the school's identity key and prints the new public key. The old key\n"
    "signs the change that announces the new one; the new key takes effect once the\n"
    "county acknowledges it at the next sync, and signs everything after it. Nothing\n"
    "needs re-enrolling: the county replaces the key itself, and the school's history\n"
    "goes on. One rotation at a time: status shows one still waiting.",
    {{"db", "FILE", true}, {"lang", "zh|en", false}},
    NULL,
    cmd_rotate_key,
    RCL_SCHOOL_STORE_WRITES};

static int cmd_set_upstream(const struct rcl_school_args *a)
{
    const char *upstream = rcl_school_opt(a, "upstream");
    const char *key_hex = rcl_school_opt(a, "upstream-key");
    struct rcl_school_meta m;
    uint8_t key[RCL_PK_BYTES];
    char err[512], hex[RCL_PK_HEX_LEN + 1];
    struct rcl_reason why;
    int rc;
    sqlite3 *db;

    if (upstream == NULL && key_hex == NULL)
        return rcl_school_usage_error(a->cmd, "give --upstream, --upstream-key or both");
    if (rcl_school_setup_check_upstream(upstream, key_hex, key, &why) != 0)
        return rcl_school_usage_reason(a->cmd, &why);
    rc = RCL_SCHOOL_EXIT_DATA;
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (key_hex != NULL && sodium_memcmp(key, m.public_key, RCL_PK_BYTES) == 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "set-upstream: that key is this school's own key, not its county's");
        goto done;
    }
    if (rcl_school_upstream_set(db, upstream, key_hex != NULL ? key : NULL, err, sizeof(err)) !=
        0) {
        rcl_log_write(RCL_LOG_ERROR, "set-upstream: %s db=%s", err,
                      rcl_log_value(rcl_school_opt(a, "db")));
        goto done;
    }
    rcl_key_to_hex(key_hex != NULL ? key : m.upstream_key, hex);
    printf(a->says == RCL_SHEET_ZH ? "同步到：%s（县里的公钥 %s），下次同步起使用\n"
                                   : "upstream: %s (key %s); used from the next sync\n",
           upstream != NULL ? upstream : m.upstream, hex);
    rc = RCL_SCHOOL_EXIT_OK;
done:
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_set_upstream = {
    "set-upstream",
    "--db FILE [--upstream ENDPOINT] [--upstream-key KEY] [--lang zh|en]",
    "Changes where the school syncs to: the county's tcp:// address and/or its public\n"
    "key (64 hex characters, as the county's 'pubkey' prints it), e.g. after the\n"
    "county rotated its own key or moved. Takes effect at the next sync. A different\n"
    "county must enroll this school's key first; it then gets the school's data in\n"
    "full by itself.",
    {{"db", "FILE", true},
     {"upstream", "ENDPOINT", false},
     {"upstream-key", "KEY", false},
     {"lang", "zh|en", false}},
    NULL,
    cmd_set_upstream,
    RCL_SCHOOL_STORE_WRITES};
