/*
 * agg_conf.c - the keys rollcall-agg reads from its configuration file, with
 * the same checks as its command line.
 */
#include "agg_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_health.h"
#include "agg_http.h"
#include "agg_report.h"
#include "agg_store.h"
#include "rcl_codec.h"

static int check_id(const char *value, char *why, size_t whylen)
{
    if (rcl_id_valid(value))
        return 0;
    snprintf(why, whylen, "is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)");
    return -1;
}

static int check_tier(const char *value, char *why, size_t whylen)
{
    enum rcl_agg_tier tier;

    if (rcl_agg_tier_parse(value, &tier) == 0)
        return 0;
    snprintf(why, whylen, "must be county, city or province");
    return -1;
}

static int check_listen(const char *value, char *why, size_t whylen)
{
    if (rcl_agg_endpoint_valid(value))
        return 0;
    snprintf(why, whylen, "is not a tcp://HOST:PORT endpoint");
    return -1;
}

static int check_upstream(const char *value, char *why, size_t whylen)
{
    if (rcl_agg_endpoint_valid(value) && strchr(value, '*') == NULL)
        return 0;
    snprintf(why, whylen, "is not a tcp://HOST:PORT endpoint");
    return -1;
}

static int check_stale_days(const char *value, char *why, size_t whylen)
{
    return rcl_config_check_number(value, 3650, why, whylen);
}

static int check_suppress_below(const char *value, char *why, size_t whylen)
{
    return rcl_config_check_number(value, RCL_AGG_SUPPRESS_BELOW_MAX, why, whylen);
}

/* A whole number from 0 to max (health's thresholds, where 0 turns the check off). */
static int check_count(const char *value, long long max, char *why, size_t whylen)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(value, &end, 10);
    if (value[0] >= '0' && value[0] <= '9' && *end == '\0' && errno == 0 && v <= max)
        return 0;
    snprintf(why, whylen, "must be a whole number from 0 to %lld", max);
    return -1;
}

static int check_max_lag(const char *value, char *why, size_t whylen)
{
    return check_count(value, RCL_AGG_HEALTH_MAX_LAG_MAX, why, whylen);
}

static int check_min_free_mb(const char *value, char *why, size_t whylen)
{
    return check_count(value, RCL_AGG_HEALTH_MIN_FREE_MB_MAX, why, whylen);
}

static int check_http(const char *value, char *why, size_t whylen)
{
    if (strcmp(value, "off") == 0 || rcl_agg_http_addr_parse(value, NULL) == 0)
        return 0;
    snprintf(why, whylen,
             "is not HOST:PORT (an IPv4 address or localhost), [IPv6]:PORT, PORT or off");
    return -1;
}

/* Option names of the commands, without the dashes; a command takes those it has. */
static const struct rcl_config_key agg_keys[] = {
    {"db", NULL},
    {"id", check_id},
    {"tier", check_tier},
    {"listen", check_listen},
    {"upstream", check_upstream},
    {"upstream-key", rcl_config_check_key},
    {"stale-days", check_stale_days},
    {"log-level", rcl_config_check_log_level},
    {"http", check_http},
    {"metrics", check_http},
    {"tls-cert", NULL},
    {"tls-key", NULL},
    {"divisions", NULL},
    {"suppress-below", check_suppress_below},
    {"max-lag", check_max_lag},
    {"min-free-mb", check_min_free_mb},
};

struct rcl_config *rcl_agg_conf_load(const char *file, char *err, size_t errlen)
{
    err[0] = '\0';
    if (file == NULL)
        file = rcl_config_default_path(RCL_AGG_CONF_ENV, RCL_AGG_CONF_DEFAULT);
    if (file == NULL)
        return NULL;
    return rcl_config_load(file, agg_keys, sizeof(agg_keys) / sizeof(agg_keys[0]), err, errlen);
}
