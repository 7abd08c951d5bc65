/*
 * school_conf.c - the keys rollcall-school reads from its configuration
 * file, with the same checks as its command line.
 */
#include "school_conf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rcl_model.h"
#include "school_store.h"

#define SCHOOL_TIMEOUT_MAX_S (7 * 24 * 3600)

static int check_school(const char *value, char *why, size_t whylen)
{
    if (rcl_digits_only(value, RCL_SCHOOL_ID_LEN))
        return 0;
    snprintf(why, whylen, "must be 10 digits (the school code)");
    return -1;
}

static int check_county(const char *value, char *why, size_t whylen)
{
    if (rcl_digits_only(value, RCL_COUNTY_LEN))
        return 0;
    snprintf(why, whylen, "must be 6 digits");
    return -1;
}

static int check_name(const char *value, char *why, size_t whylen)
{
    if (rcl_utf8_valid(value, strlen(value)) && strlen(value) <= RCL_NAME_MAX)
        return 0;
    snprintf(why, whylen, "must be UTF-8 text of at most %d bytes", RCL_NAME_MAX);
    return -1;
}

static int check_upstream(const char *value, char *why, size_t whylen)
{
    if (strlen(value) > RCL_SCHOOL_ENDPOINT_MAX) {
        snprintf(why, whylen, "is longer than %d bytes", RCL_SCHOOL_ENDPOINT_MAX);
        return -1;
    }
    return rcl_config_check_tcp(value, why, whylen);
}

static int check_timeout(const char *value, char *why, size_t whylen)
{
    return rcl_config_check_number(value, SCHOOL_TIMEOUT_MAX_S, why, whylen);
}

/*
 * Option names of the commands, without the dashes; a command takes those it
 * has. Not --watch: a file that made every `sync` run forever would surprise
 * whoever runs one by hand (the service unit passes --watch itself).
 */
static const struct rcl_config_key school_keys[] = {
    {"db", NULL},
    {"school", check_school},
    {"county", check_county},
    {"name", check_name},
    {"upstream", check_upstream},
    {"upstream-key", rcl_config_check_key},
    {"pseudonym-key-file", NULL},
    {"timeout", check_timeout},
    {"log-level", rcl_config_check_log_level},
};

struct rcl_config *rcl_school_conf_load(const char *file, char *err, size_t errlen)
{
    err[0] = '\0';
    if (file == NULL)
        file = rcl_config_default_path(RCL_SCHOOL_CONF_ENV, RCL_SCHOOL_CONF_DEFAULT);
    if (file == NULL)
        return NULL;
    return rcl_config_load(file, school_keys, sizeof(school_keys) / sizeof(school_keys[0]), err,
                           errlen);
}
